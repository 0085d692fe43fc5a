package report

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/crossborder/reconcile/internal/cst"
	"github.com/crossborder/reconcile/internal/reconcile"
)

// csvWriterBytes is what encoding/csv (UseCRLF) writes for the records.
func csvWriterBytes(t testing.TB, recs ...[]string) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.UseCRLF = true
	for _, rec := range recs {
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	return buf.Bytes()
}

// appendRecord writes a record as writeOrdersCSV does, with appendCSVField.
func appendRecord(b []byte, rec []string) []byte {
	for i, f := range rec {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendCSVField(b, f)
	}
	return append(b, '\r', '\n')
}

// csvPieces are what hostile fields are made of: every byte encoding/csv
// looks at, Unicode spaces, invalid UTF-8, the `\.` rule.
var csvPieces = []string{
	"", ",", `"`, "\r", "\n", "\r\n", "\n\r", " ", "\t", "\v", "\f", "\u0085", "\u00a0", "\u2000", "\u3000", "\ufeff",
	`\`, `\.`, ".", "a", "中文", "=", "+", "-", "@", "'", "0", "9", "\x00", "\x01", "\x7f", "\xff", "\xc2", "\xe3\x80",
	"_x0041_", "🧾",
}

func randomField(rng *rand.Rand) string {
	var b strings.Builder
	for n := rng.IntN(6); n > 0; n-- {
		b.WriteString(csvPieces[rng.IntN(len(csvPieces))])
	}
	return b.String()
}

// appendCSVField writes the bytes encoding/csv writes, for every field
// made of the pieces that matter to it, alone and in records.
func TestCSVFieldIsEncodingCSV(t *testing.T) {
	for _, s := range append(csvPieces, `\.\.`, ` \.`, `\. `, `"\."`, "a,b", `say "hi"`, "  padded  ", "x\ry", "\u3000中文") {
		if got, want := appendRecord(nil, []string{s}), csvWriterBytes(t, []string{s}); !bytes.Equal(got, want) {
			t.Errorf("field %q: %q, encoding/csv %q", s, got, want)
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 50_000; i++ {
		rec := make([]string, 1+rng.IntN(len(orderColumns)))
		for j := range rec {
			rec[j] = randomField(rng)
		}
		if got, want := appendRecord(nil, rec), csvWriterBytes(t, rec); !bytes.Equal(got, want) {
			t.Fatalf("record %q: %q, encoding/csv %q", rec, got, want)
		}
	}
}

func FuzzCSVField(f *testing.F) {
	for _, s := range csvPieces {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := appendRecord(nil, []string{s, s}), csvWriterBytes(t, []string{s, s}); !bytes.Equal(got, want) {
			t.Fatalf("field %q: %q, encoding/csv %q", s, got, want)
		}
		if got, want := string(appendCSVText(nil, s)), string(appendCSVField(nil, csvText(s))); got != want {
			t.Fatalf("appendCSVText(%q) = %q, want %q", s, got, want)
		}
	})
}

func TestAppendFenDecimal(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	vals := []int64{0, 1, -1, 9, 10, 99, 100, -100, 12990, -5, math.MaxInt64, math.MinInt64, math.MinInt64 + 1}
	for i := 0; i < 10_000; i++ {
		vals = append(vals, rng.Int64()>>rng.IntN(64), -rng.Int64()>>rng.IntN(64))
	}
	for _, v := range vals {
		if got, want := string(appendFenDecimal([]byte("x"), v)), "x"+fenDecimal(v); got != want {
			t.Fatalf("appendFenDecimal(%d) = %q, want %q", v, got, want)
		}
	}
}

// writeOrdersCSVReference is writeOrdersCSV as it was, through
// encoding/csv and cst.Format: the new one must write the same bytes.
func (b *book) writeOrdersCSVReference(out io.Writer) error {
	bw := bufio.NewWriter(out)
	bw.WriteString(csvHeader())
	w := csv.NewWriter(bw)
	w.UseCRLF = true
	outcomes := b.orderOutcomes()
	var names named
	csvTime := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return cst.Format(t)
	}
	rec := make([]string, len(orderColumns))
	for line := range b.r.Orders {
		o := outcomes.of(&line)
		file, ln := splitSource(line.Source)
		clear(rec)
		rec[orOrder] = csvText(line.OrderID)
		rec[orOutcome] = csvText(o.word)
		rec[orWhy] = o.why
		rec[orFee] = fenDecimal(line.OrderFee)
		rec[orProduct] = fenDecimal(line.ProductFee)
		rec[orTransport] = fenDecimal(line.TransportFee)
		rec[orPaidAt] = csvTime(line.PaidAt)
		rec[orTx] = csvText(line.TransactionID)
		if line.TransactionID != "" {
			rec[orPayment] = fenDecimal(line.Payment)
		}
		rec[orPaymentAt] = csvTime(line.PaymentAt)
		rec[orCustoms] = csvText(names.customs(line.Customs))
		rec[orAccepted] = csvTime(o.accepted)
		rec[orFile] = csvText(file)
		if ln > 0 {
			rec[orLine] = strconv.Itoa(ln)
		}
		if err := w.Write(rec); err != nil {
			return err
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// hostileOrders gives r orders whose every text is hostile or random, and
// times over the whole range.
func hostileOrders(r *reconcile.Result, n int) {
	rng := rand.New(rand.NewPCG(7, 8))
	texts := []string{}
	for _, h := range hostile {
		texts = append(texts, h.in)
	}
	text := func() string {
		if rng.IntN(3) == 0 {
			return texts[rng.IntN(len(texts))]
		}
		return randomField(rng)
	}
	when := func() time.Time {
		switch rng.IntN(4) {
		case 0:
			return time.Time{}
		case 1:
			return time.Unix(rng.Int64N(1<<40)-1<<39, rng.Int64N(1e9))
		}
		return time.Unix(1_700_000_000+rng.Int64N(1e8), 0)
	}
	codes := reconcile.Codes()
	lines := make([]reconcile.OrderLine, n)
	for i := range lines {
		l := &lines[i]
		l.OrderID, l.TransactionID, l.Customs = text(), text(), text()
		if i%4 == 0 {
			l.OrderID = r.Declarations[i%len(r.Declarations)].OrderID
		}
		l.OrderFee, l.ProductFee, l.TransportFee, l.Payment = rng.Int64()>>rng.IntN(64), -rng.Int64N(1e6), rng.Int64N(1e4), rng.Int64N(1e7)
		l.PaidAt, l.PaymentAt = when(), when()
		l.State = reconcile.OrderState(rng.IntN(6))
		l.Code = codes[rng.IntN(len(codes))]
		l.Source = text() + ":" + strconv.Itoa(rng.IntN(3)-1) + []string{"", "; x.csv:3"}[rng.IntN(2)]
		if i%3 == 0 {
			l.Source = "/srv/" + text() + "/orders.csv:" + strconv.Itoa(i)
		}
	}
	r.Orders = func(yield func(reconcile.OrderLine) bool) {
		for _, l := range lines {
			if !yield(l) {
				return
			}
		}
	}
	r.Counts.OrdersInWindow, r.Counts.OrdersUnpaid = n, 0
}

// The CSV of the orders is byte for byte what encoding/csv and
// cst.Format wrote: the demo night's, the benchmark's, hostile orders'.
func TestOrdersCSVIsReference(t *testing.T) {
	hostileNight := demoResult()
	hostileOrders(hostileNight, 20_000)
	for name, r := range map[string]*reconcile.Result{"demo": demoResult(), "bench": benchResult(5000), "hostile": hostileNight} {
		b := &book{r: r, now: fixedNow}
		var want, got bytes.Buffer
		if err := b.writeOrdersCSVReference(&want); err != nil {
			t.Fatal(err)
		}
		if err := b.writeOrdersCSV(context.Background(), &got, b.orderOutcomes(), &named{}); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			g, w := got.Bytes(), want.Bytes()
			i := 0
			for i < min(len(g), len(w)) && g[i] == w[i] {
				i++
			}
			t.Errorf("%s: the CSV differs from encoding/csv's at byte %d of %d: %q, want %q", name, i, len(w),
				g[max(0, i-40):min(len(g), i+40)], w[max(0, i-40):min(len(w), i+40)])
		}
		if testing.Verbose() {
			fmt.Printf("%s: %d bytes identical\n", name, want.Len())
		}
	}
}

func BenchmarkOrdersCSV(b *testing.B) {
	r := benchResult(200_000)
	bk := &book{r: r, now: fixedNow}
	for b.Loop() {
		if err := bk.writeOrdersCSV(context.Background(), io.Discard, bk.orderOutcomes(), &named{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOrdersCSVReference(b *testing.B) {
	r := benchResult(200_000)
	bk := &book{r: r, now: fixedNow}
	for b.Loop() {
		if err := bk.writeOrdersCSVReference(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
