package ingest

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// Progress goes from 0 to 1 as a file is read, never backwards, for a CSV
// and for a workbook of two sheets.
func TestProgress(t *testing.T) {
	var b strings.Builder
	b.WriteString("transaction_id,order_id,amount,status,refund_amount,paid_at\n")
	for i := range 20000 {
		fmt.Fprintf(&b, "42000000002026112%011d,%d,10.00,SUCCESS,,2026-11-20 10:00:00\n", i, 5118609024991000000+i)
	}
	csvPath := writeFile(t, "p.csv", []byte(b.String()))

	xlsxPath := filepath.Join(t.TempDir(), "p.xlsx")
	x := excelize.NewFile()
	x.NewSheet("Sheet2")
	for _, sh := range []string{"Sheet1", "Sheet2"} {
		sw, _ := x.NewStreamWriter(sh)
		sw.SetRow("A1", []any{"transaction_id", "order_id", "amount", "status", "refund_amount", "paid_at"})
		for i := range 5000 {
			cell, _ := excelize.CoordinatesToCellName(1, i+2)
			sw.SetRow(cell, []any{fmt.Sprintf("42000000002026112%011d", i), fmt.Sprint(5118609024991000000 + i), "10.00", "SUCCESS", "", "2026-11-20 10:00:00"})
		}
		sw.Flush()
	}
	if err := x.SaveAs(xlsxPath); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{csvPath, xlsxPath} {
		f, err := Open(path, Payments)
		if err != nil {
			t.Fatal(err)
		}
		last, steps, rows := f.Progress(), 0, 0
		if last > 0.5 {
			t.Errorf("%s: progress %.2f before reading", path, last)
		}
		for _, err := range f.Payments() {
			if err != nil {
				t.Fatal(err)
			}
			rows++
			if p := f.Progress(); p < last {
				t.Fatalf("%s: progress went back from %.3f to %.3f", path, last, p)
			} else if p > last {
				steps++
				last = p
			}
		}
		f.Close()
		if last != 1 || steps < 2 || rows == 0 {
			t.Errorf("%s: progress %.3f in %d steps after %d rows, want 1 in several", path, last, steps, rows)
		}
	}
}
