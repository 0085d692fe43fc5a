package report

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/crossborder/reconcile/internal/reconcile"
)

// orderCells is how 订单明细's rows were written, cells for appendRow: the
// reference that appendOrderRow must match byte for byte.
func (b *book) orderCells(line *reconcile.OrderLine, o orderOutcome, row []excelize.Cell) {
	row[orOrder] = b.text(line.OrderID)
	row[orOutcome] = excelize.Cell{StyleID: b.st.outcome(o.tone), Value: cleanText(o.word)}
	if o.why != "" {
		row[orWhy] = b.text(o.why)
	}
	row[orFee] = b.money(line.OrderFee)
	row[orProduct] = b.money(line.ProductFee)
	row[orTransport] = b.money(line.TransportFee)
	row[orPaidAt] = b.date(line.PaidAt)
	row[orTx] = b.text(line.TransactionID)
	if line.TransactionID != "" {
		row[orPayment] = b.money(line.Payment)
	}
	row[orPaymentAt] = b.date(line.PaymentAt)
	row[orCustoms] = b.text(b.names.customs(line.Customs))
	row[orAccepted] = b.date(o.accepted)
	file, n := splitSource(line.Source)
	row[orFile] = b.text(file)
	if n > 0 {
		row[orLine] = excelize.Cell{StyleID: b.st.lineNo, Value: n}
	}
}

// newOrdersBook returns a book for r ready to write 订单明细's rows, and
// their rowsFile.
func newOrdersBook(t testing.TB, r *reconcile.Result) (*book, *rowsFile) {
	t.Helper()
	b := &book{r: r, now: fixedNow, tmpDir: t.TempDir()}
	b.f = excelize.NewFile()
	t.Cleanup(func() { b.f.Close() })
	var err error
	if b.st, err = newStyles(b.f); err != nil {
		t.Fatal(err)
	}
	if _, err = b.f.NewSheet(sheetOrders); err != nil {
		t.Fatal(err)
	}
	w, err := b.rowsFile(sheetOrders, orderColumns)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.remove)
	return b, w
}

// The rows appendOrderRow writes are those of the cells orderCells fills:
// the same bytes, the same shared strings and totals, the same amounts
// counted as text; for the demo night, the benchmark's orders and hostile
// ones (random texts, times over every year, amounts beyond the exact
// range).
func TestOrderRowIsCells(t *testing.T) {
	hostileNight := demoResult()
	hostileOrders(hostileNight, 20_000)
	for name, r := range map[string]*reconcile.Result{"demo": demoResult(), "bench": benchResult(5000), "hostile": hostileNight} {
		ref, refRows := newOrdersBook(t, r)
		got, gotRows := newOrdersBook(t, r)
		outcomes := ref.orderOutcomes()
		cells := make([]excelize.Cell, len(orderColumns))
		n := 0
		for line := range r.Orders {
			o := outcomes.of(&line)
			clear(cells)
			ref.orderCells(&line, o, cells)
			want, err := refRows.appendRow(nil, firstRow+n, 0, cells)
			if err != nil {
				t.Fatal(err)
			}
			for j, on := range refRows.summed {
				if v, ok := cells[j].Value.(float64); ok && on {
					refRows.sums[j].add(sumOf(v))
				}
			}
			if b := got.appendOrderRow(gotRows, nil, firstRow+n, &line, o); !bytes.Equal(b, want) {
				t.Fatalf("%s row %d:\n%s\nwant\n%s", name, firstRow+n, b, want)
			}
			n++
		}
		if got.textAmounts != ref.textAmounts || !equalSums(gotRows.sums, refRows.sums) ||
			!equalStrings(got.sst.list, ref.sst.list) {
			t.Errorf("%s: text amounts %d, sums %v, %d shared; want %d, %v, %d", name, got.textAmounts, gotRows.sums, len(got.sst.list),
				ref.textAmounts, refRows.sums, len(ref.sst.list))
		}
		if name == "hostile" && ref.textAmounts == 0 {
			t.Errorf("the hostile orders have no amount beyond the exact range")
		}
	}
}

func equalSums(a, b []fenTotal) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].decimal() != b[i].decimal() {
			return false
		}
	}
	return true
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// appendYuan is strconv's shortest text of yuan(fen) over the exact range.
func TestAppendYuan(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	vals := []int64{0, 1, -1, 5, -5, 10, 99, 100, 101, 110, -110, 12990, 13000, maxExactFen - 1, -(maxExactFen - 1), maxExactFen - 10, 999_999_999_999_990}
	for i := 0; i < 200_000; i++ {
		v := rng.Int64N(maxExactFen) >> rng.IntN(50)
		if i%2 == 1 {
			v = -v
		}
		vals = append(vals, v, v/100*100, v/10*10)
	}
	for _, fen := range vals {
		v, ok := yuan(fen)
		if !ok {
			t.Fatalf("yuan(%d) not exact", fen)
		}
		if got, want := string(appendYuan([]byte("x"), fen)), "x"+strconv.FormatFloat(v, 'f', -1, 64); got != want {
			t.Fatalf("appendYuan(%d) = %q, want %q", fen, got, want)
		}
	}
	if _, ok := yuan(math.MaxInt64); ok {
		t.Error("yuan(MaxInt64) is exact")
	}
}

func BenchmarkOrderRows(b *testing.B) {
	r := benchResult(200_000)
	bk, w := newOrdersBook(b, r)
	outcomes := bk.orderOutcomes()
	var buf []byte
	for b.Loop() {
		n := 0
		for line := range r.Orders {
			buf = bk.appendOrderRow(w, buf[:0], firstRow+n, &line, outcomes.of(&line))
			n++
		}
	}
}

func BenchmarkOrderCells(b *testing.B) {
	r := benchResult(200_000)
	bk, w := newOrdersBook(b, r)
	outcomes := bk.orderOutcomes()
	cells := make([]excelize.Cell, len(orderColumns))
	var buf []byte
	for b.Loop() {
		n := 0
		for line := range r.Orders {
			clear(cells)
			bk.orderCells(&line, outcomes.of(&line), cells)
			buf, _ = w.appendRow(buf[:0], firstRow+n, 0, cells)
			n++
		}
	}
}
