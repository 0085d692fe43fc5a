package report

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/sync/errgroup"

	"github.com/crossborder/reconcile/internal/reconcile"
)

// orderRows returns 订单明细's data rows, raw, keyed by order id.
func orderRows(t testing.TB, f *excelize.File) (map[string][]string, int) {
	t.Helper()
	rows, err := f.GetRows(sheetOrders, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	by := map[string][]string{}
	for _, row := range rows[headerRow:] {
		row = append(row, make([]string, len(orderColumns)-len(row))...)
		by[row[orOrder]] = row
	}
	return by, len(rows) - headerRow
}

func TestOrdersSheet(t *testing.T) {
	r := demoResult()
	f := openBook(t, writeBook(t, r))
	by, n := orderRows(t, f)
	if want := r.Counts.OrdersInWindow + r.Counts.OrdersUnpaid; n != want || len(by) != want {
		t.Fatalf("订单明细 has %d rows (%d orders), want %d: every order of the window and every unpaid one", n, len(by), want)
	}
	outcomes := map[string]int{}
	for _, row := range by {
		outcomes[row[orOutcome]]++
	}
	for outcome, want := range map[string]int{
		"已申报": r.Counts.Declared, "此前已申报": r.Counts.AlreadyDeclared, "未付款": r.Counts.OrdersUnpaid - r.Counts.OrdersClosed,
		"已关闭": r.Counts.OrdersClosed, "异常:FEE_MISMATCH": 5, "异常:MATERIALS_INVALID": 2,
		"异常:DECLARE_REJECTED": 3, "异常:DECLARE_CONFLICT": 1, "异常:DECLARE_ERROR": 4, "异常:PAYMENT_DUPLICATE": 1,
	} {
		if outcomes[outcome] != want {
			t.Errorf("%d orders %s, want %d", outcomes[outcome], outcome, want)
		}
	}
	var earlier, done *reconcile.Declaration
	for i := range r.Declarations {
		d := &r.Declarations[i]
		switch {
		case d.Outcome == reconcile.OutcomeEarlier && earlier == nil:
			earlier = d
		case d.Outcome == reconcile.OutcomeDone && done == nil:
			done = d
		}
	}
	accepted, _ := serial(earlier.LastAttempt)
	if row := by[earlier.OrderID]; row[orWhy] != "运行 1186" || row[orAccepted] != formatSerial(accepted) {
		t.Errorf("an order declared by an earlier run: %q", row)
	}
	paid, _ := serial(done.PaidAt)
	if row := by[done.OrderID]; row[orOutcome] != "已申报" || row[orTx] != done.TransactionID || row[orPaidAt] != formatSerial(paid) ||
		row[orFee] != exactYuan(done.OrderFee) || row[orCustoms] != customs(done.Customs) || row[orLine] == "" {
		t.Errorf("an order declared now: %q", row)
	}
	if row := by[bulkOID(5000)]; row[orOutcome] != "已关闭" || row[orPaidAt] != "" || row[orTx] != "" || row[orPayment] != "" {
		t.Errorf("a closed order: %q", row)
	}
	// Held back, and in a dry run: 未申报, and why.
	held := demoResult()
	held.Declarations = slices.DeleteFunc(held.Declarations, func(d reconcile.Declaration) bool { return d.Outcome == reconcile.OutcomeDone })
	held.Counts.HeldBack, held.Counts.Declared = held.Counts.Declared, 0
	by, _ = orderRows(t, openBook(t, writeBook(t, held)))
	if row := by[done.OrderID]; row[orOutcome] != "未申报" || row[orWhy] != "账单汇总不符，暂缓申报" || row[orAccepted] != "" {
		t.Errorf("a held-back order: %q", row)
	}
	held.DryRun, held.Counts.HeldBack, held.Counts.NotDeclared = true, 0, held.Counts.HeldBack
	by, _ = orderRows(t, openBook(t, writeBook(t, held)))
	if row := by[done.OrderID]; row[orOutcome] != "未申报" || row[orWhy] != "试运行，未申报" {
		t.Errorf("a dry run's order: %q", row)
	}
}

// formatSerial is a date serial as the file holds it.
func formatSerial(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// withMaxOrderRows lowers the workbook's limit of orders for a test.
func withMaxOrderRows(t *testing.T, n int) {
	saved := maxOrderRows
	maxOrderRows = n
	t.Cleanup(func() { maxOrderRows = saved })
}

// Above the limit the orders go to a CSV file beside the workbook, named
// like it; 订单明细 and the summary name it.
func TestOrdersCSV(t *testing.T) {
	withMaxOrderRows(t, 1000)
	r := demoResult()
	p := writeBook(t, r)
	csvPath := OrdersCSVPath(p)
	if want := strings.TrimSuffix(p, ".xlsx") + "_orders.csv"; csvPath != want || !strings.HasSuffix(csvPath, "reconcile_2026-11-20_orders.csv") {
		t.Fatalf("CSV path %s", csvPath)
	}
	// What the run tells of it (the summary's orders_csv): this CSV, and
	// none for a window the workbook lists whole.
	var w Writer
	if got := w.OrdersCSV(p, r); got != csvPath {
		t.Errorf("OrdersCSV = %q, want %q", got, csvPath)
	}
	if got := w.OrdersCSV(p, smallResult()); got != "" {
		t.Errorf("OrdersCSV of a small window = %q, want none", got)
	}
	b, err := os.ReadFile(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("\uFEFF")) {
		t.Errorf("the CSV has no byte order mark")
	}
	recs, err := csv.NewReader(bytes.NewReader(b[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(recs[0], columnTitles(orderColumns)) {
		t.Errorf("CSV header %q", recs[0])
	}
	if n := len(recs) - 1; n != r.Counts.OrdersInWindow+r.Counts.OrdersUnpaid {
		t.Errorf("CSV has %d orders", n)
	}
	if !bytes.Contains(b, []byte("\r\n")) {
		t.Errorf("CSV lines do not end in CRLF")
	}
	// The same lines as the sheet would have: compare with a workbook of
	// the same night under the limit.
	withMaxOrderRows(t, 1_000_000)
	sheet, _ := orderRows(t, openBook(t, writeBook(t, demoResult())))
	for _, rec := range recs[1:] {
		row := sheet[rec[orOrder]]
		for _, c := range []int{orOutcome, orWhy, orTx, orCustoms, orFile, orLine} {
			if rec[c] != row[c] {
				t.Errorf("order %s %s: CSV %q, sheet %q", rec[orOrder], orderColumns[c].title, rec[c], row[c])
			}
		}
		if rec[orFee] != "" && strings.TrimRight(strings.TrimRight(rec[orFee], "0"), ".") != row[orFee] {
			t.Errorf("order %s amount: CSV %q, sheet %q", rec[orOrder], rec[orFee], row[orFee])
		}
	}
	withMaxOrderRows(t, 1000)
	f := openBook(t, p)
	rows, _ := f.GetRows(sheetOrders)
	if len(rows) != 2 || !strings.Contains(rows[0][0], "reconcile_2026-11-20_orders.csv") {
		t.Errorf("订单明细 does not name the CSV: %q", rows)
	}
	at, all := summaryRows(t, f)
	if i := at["订单明细"]; i == 0 || !strings.Contains(all[i-1][1], "reconcile_2026-11-20_orders.csv") {
		t.Errorf("the summary does not name the CSV")
	}
	// A dry run's beside its workbook.
	dry := demoResult()
	dry.DryRun = true
	dp, err := Path(filepath.Dir(p)+string(filepath.Separator), dry.Window, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := (&Writer{Now: func() time.Time { return fixedNow }}).Write(context.Background(), dp, dry); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(p), "reconcile_2026-11-20_dryrun_orders.csv")); err != nil {
		t.Errorf("the dry run's CSV: %v", err)
	}
	// A run under the limit removes the CSV its workbook replaced.
	withMaxOrderRows(t, 1_000_000)
	if err := (&Writer{Now: func() time.Time { return fixedNow }}).Write(context.Background(), p, demoResult()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(csvPath); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("an earlier run's CSV stays beside a workbook that lists the orders itself (%v)", err)
	}
}

// The CSV is put in place only with the workbook: a write that fails
// leaves neither; a file at the CSV's path that is not the job's is never
// replaced.
func TestOrdersCSVOnlyWithTheWorkbook(t *testing.T) {
	withMaxOrderRows(t, 1000)
	dir := t.TempDir()
	p := filepath.Join(dir, "night.xlsx")
	w := &Writer{Now: func() time.Time { return fixedNow }}
	// Cancelled at every check, from the CSV's first rows to the
	// workbook's last bytes: nothing is left, neither file.
	r := demoResult()
	for n := int64(0); ; n++ {
		err := w.Write(newCountdown(n), p, r)
		if err == nil {
			if n < 15 {
				t.Fatalf("the write completed after %d checks of its context: the test cancels nothing", n)
			}
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
			if err := os.Remove(OrdersCSVPath(p)); err != nil {
				t.Fatal(err)
			}
			break
		}
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Write cancelled after %d checks = %v", n, err)
		}
		if names := dirNames(t, dir); len(names) != 0 {
			t.Fatalf("a write cancelled after %d checks left %q", n, names)
		}
	}
	// Not the job's CSV: refused, nothing written.
	if err := os.WriteFile(filepath.Join(dir, "night_orders.csv"), []byte("订单号,金额\n1,2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(context.Background(), p, demoResult()); !errors.Is(err, ErrRefuseOverwrite) {
		t.Errorf("Write over another CSV = %v, want refused", err)
	}
	if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the workbook was written though its CSV was refused")
	}
	// The job's own: replaced.
	if err := os.Remove(filepath.Join(dir, "night_orders.csv")); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if err := w.Write(context.Background(), p, demoResult()); err != nil {
			t.Fatalf("write %d: %v", i+1, err)
		}
	}
	if got := dirNames(t, dir); !slices.Equal(got, []string{"night.xlsx", "night_orders.csv"}) {
		t.Errorf("directory holds %q", got)
	}
}

// A field of the CSV that a spreadsheet would take for a formula is
// defused; the workbook's cells are strings anyway.
func TestOrdersCSVText(t *testing.T) {
	for in, want := range map[string]string{"=1+1": "'=1+1", "+86": "'+86", "-1": "'-1", "@A1": "'@A1", "2087": "2087", "": ""} {
		if got := csvText(in); got != want {
			t.Errorf("csvText(%q) = %q, want %q", in, got, want)
		}
	}
}

// The two goroutines of a write with a CSV see the caller's context first
// (its checks are counted, its error returned) and stop when the other
// fails.
func TestSiblingCtx(t *testing.T) {
	parent := newCountdown(2)
	g, gctx := errgroup.WithContext(parent)
	c := siblingCtx{gctx, parent}
	if c.Err() != nil || c.Err() != nil {
		t.Fatal("cancelled early")
	}
	if err := c.Err(); !errors.Is(err, context.Canceled) || parent.calls.Load() != 3 {
		t.Fatalf("after the caller's countdown: %v, %d checks", err, parent.calls.Load())
	}
	_ = g.Wait()

	g, gctx = errgroup.WithContext(context.Background())
	c = siblingCtx{gctx, context.Background()}
	failed := errors.New("disk full")
	g.Go(func() error { return failed })
	if err := g.Wait(); err != failed {
		t.Fatalf("Wait = %v", err)
	}
	if err := c.Err(); !errors.Is(err, context.Canceled) {
		t.Fatalf("after the other failed: %v", err)
	}
	select {
	case <-c.Done():
	default:
		t.Fatal("not done after the other failed")
	}
}

// When the workbook fails while the CSV is being written beside it, the
// write returns the workbook's error and leaves neither file.
func TestOrdersCSVWorkbookFails(t *testing.T) {
	withMaxOrderRows(t, 1000)
	dir := t.TempDir()
	w := &Writer{TmpDir: filepath.Join(dir, "missing"), Now: func() time.Time { return fixedNow }}
	err := w.Write(context.Background(), filepath.Join(dir, "night.xlsx"), demoResult())
	if err == nil || errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "night.xlsx") {
		t.Fatalf("Write with an unusable TmpDir = %v, want the workbook's error", err)
	}
	if names := dirNames(t, dir); len(names) != 0 {
		t.Fatalf("a failed write left %q", names)
	}
}
