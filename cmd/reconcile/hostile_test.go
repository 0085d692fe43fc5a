package main

import (
	"archive/zip"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crossborder/reconcile/internal/reconcile"
	"github.com/xuri/excelize/v2"
)

// zipBomb writes an XLSX whose sheet inflates to 64 MiB from a few hundred
// kilobytes.
func zipBomb(t *testing.T, path string) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	parts := map[string]string{
		"[Content_Types].xml":        `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`,
		"_rels/.rels":                `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
		"xl/workbook.xml":            `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels": `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`,
	}
	for name, body := range parts {
		w, _ := zw.Create(name)
		w.Write([]byte(body))
	}
	w, _ := zw.Create("xl/worksheets/sheet1.xml")
	w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`))
	pad := bytes.Repeat([]byte(" "), 1<<20)
	for range 64 {
		w.Write(pad)
	}
	w.Write([]byte(`</sheetData></worksheet>`))
	zw.Close()
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestHostileInput feeds the binary what finance staff and broken
// exporters produce; each must end with a clear message and the documented
// exit status, never a panic or a hang.
func TestHostileInput(t *testing.T) {
	bin := reconcileBinary(t)
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	header := "order_id,product_fee,transport_fee,order_fee,customs,paid_at,status\n"
	garbage := make([]byte, 4096)
	for i := range garbage {
		garbage[i] = byte(i*7 + i/13)
	}
	bomb := filepath.Join(dir, "bomb.xlsx")
	zipBomb(t, bomb)
	good := filepath.Join(dir, "good.xlsx")
	f := excelize.NewFile()
	f.SetSheetRow("Sheet1", "A1", &[]any{"order_id", "product_fee", "transport_fee", "order_fee", "paid_at"})
	f.SetSheetRow("Sheet1", "A2", &[]any{"5118609024991031601", 1, 0, 1, "2026-11-20 10:00:00"})
	f.SaveAs(good)
	f.Close()
	raw, _ := os.ReadFile(good)

	tests := []struct {
		name   string
		args   []string
		status int
		want   string // in the output
	}{
		{"empty file", []string{"--orders", write("empty.csv", nil)}, 1, "the file is empty; expected a header row"},
		{"binary garbage named .csv", []string{"--orders", write("garbage.csv", garbage)}, 1, "not CSV text"},
		{"truncated XLSX", []string{"--orders", write("truncated.xlsx", raw[:len(raw)/2])}, 1, "not a readable XLSX workbook"},
		{"zip bomb", []string{"--orders", bomb}, 1, "refusing what looks like a zip bomb"},
		{"UTF-16 text", []string{"--orders", write("utf16.csv", []byte("\xff\xfeo\x00r\x00d\x00e\x00r\x00\n\x00"))}, 1, "UTF-16"},
		{"an unknown encoding (Shift-JIS)", []string{"--orders", write("sjis.csv", []byte("\x92\x8d\x95\xb6\x94\xd4\x8d\x86,\x8b\xe0\x8a\x7a\n1,2\n"))}, 1, "missing"},
		{"no header we know", []string{"--orders", write("other.csv", []byte("a,b,c\n1,2,3\n"))}, 1, "order_id"},
		{"a missing path", []string{"--orders", filepath.Join(dir, "nowhere", "orders.csv")}, 1, "no such file or directory"},
		{"a backwards window", []string{"--orders", write("ok.csv", []byte(header)), "--from", "2026-11-21", "--to", "2026-11-20"}, 2, "the window is backwards"},
		{"a 1 MB field", []string{"--orders", write("big.csv", []byte(header+"5118609024991031601,1.00,0,1.00,NINGBO,2026-11-20 10:00:00,"+strings.Repeat("x", 1<<20)+"\n"))}, 0, "PAYMENT_MISSING 1"},
		{"an unterminated quote", []string{"--orders", write("quote.csv", []byte(header+"5118609024991031601,\"1.00,0,1.00,NINGBO,2026-11-20 10:00:00,\n"))}, 1, "quote"},
		{"no inputs", nil, 2, "no exports"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"run", "--dry-run", "--report", dir + "/", "--quiet"}, tt.args...)
			if !strings.Contains(strings.Join(args, " "), "--from") {
				args = append(args, "--date", "2026-11-20")
			}
			start := time.Now()
			code, stdout, stderr := runBinary(t, bin, args...)
			out := stdout + stderr
			if code != tt.status {
				t.Errorf("exit %d, want %d\n%s", code, tt.status, out)
			}
			if !strings.Contains(out, tt.want) {
				t.Errorf("output lacks %q:\n%s", tt.want, out)
			}
			if strings.Contains(out, "panic") || strings.Contains(out, "goroutine ") {
				t.Errorf("it panicked:\n%s", out)
			}
			if d := time.Since(start); d > 30*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

// A formula-looking value in an export stays text in the workbook.
func TestFormulaLookingTextStaysText(t *testing.T) {
	bin := reconcileBinary(t)
	dir := t.TempDir()
	orders := filepath.Join(dir, "orders.csv")
	os.WriteFile(orders, []byte("order_id,product_fee,transport_fee,order_fee,customs,paid_at,status\n"+
		"5118609024991031601,1.00,0,1.00,=HYPERLINK(\"http://evil\"),2026-11-20 10:00:00,\n"), 0o644)
	code, stdout, stderr := runBinary(t, bin, "run", "--dry-run", "--date", "2026-11-20", "--orders", orders, "--report", dir+"/", "--quiet")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	f, err := excelize.OpenFile(filepath.Join(dir, "reconcile_2026-11-20_dryrun.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("异常明细")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for r, row := range rows {
		for c, v := range row {
			if v != `=HYPERLINK("http://evil")` {
				continue
			}
			found = true
			cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
			if formula, _ := f.GetCellFormula("异常明细", cell); formula != "" {
				t.Errorf("%s holds the formula %q", cell, formula)
			}
		}
	}
	if !found {
		t.Errorf("the customs value is not in the exceptions sheet as text: %q", rows)
	}
}

// An interrupted inspect exits 130, like an interrupted run.
func TestInterruptedInspectExits130(t *testing.T) {
	bin := reconcileBinary(t)
	dir := t.TempDir()
	orders, _ := writeNight(t, dir, 800_000)
	cmd := exec.Command(bin, "inspect", "--kind", "orders", orders)
	var out strings.Builder
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	cmd.Process.Signal(os.Interrupt)
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 {
		t.Fatalf("exit: %v, want 130\n%.300s", err, out.String())
	}
}

// Last night's workbook saved in the orders directory is no export: the
// next run leaves it out with a note, and a workbook of several sheets is
// read sheet by sheet, the ones without an orders header left out with a
// warning naming them; exceptions name the sheet of their row.
func TestOwnWorkbookAndSheetsInTheInputs(t *testing.T) {
	bin := reconcileBinary(t)
	dir := t.TempDir()
	ordersDir := filepath.Join(dir, "orders")
	os.Mkdir(ordersDir, 0o755)
	book := excelize.NewFile()
	book.SetSheetName("Sheet1", "说明")
	book.SetCellValue("说明", "A1", "本文件由千牛导出")
	book.NewSheet("订单")
	rows := [][]any{
		{"订单编号", "买家应付货款", "买家应付邮费", "总金额", "订单付款时间"},
		{"5118609024991031601", "10.00", "1.00", "11.00", "2026-11-20 10:00:00"},
		{"5118609024991031602", "10.00", "1.00", "12.00", "2026-11-20 10:00:00"}, // a fee mismatch
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		book.SetSheetRow("订单", cell, &r)
	}
	book.NewSheet("订单2")
	for i, r := range [][]any{rows[0], {"5118609024991031603", "20.00", "0", "20.00", "2026-11-20 11:00:00"}} {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		book.SetSheetRow("订单2", cell, &r)
	}
	if err := book.SaveAs(filepath.Join(ordersDir, "orders.xlsx")); err != nil {
		t.Fatal(err)
	}
	summary := filepath.Join(dir, "s.json")
	args := []string{"run", "--dry-run", "--date", "2026-11-20", "--orders", ordersDir, "--report", ordersDir, "--summary-json", summary,
		"--customs", "NINGBO", "--log-format", "json"}
	for night := range 2 {
		code, stdout, stderr := runBinary(t, bin, args...)
		if code != 0 {
			t.Fatalf("night %d: exit %d\n%s%s", night, code, stdout, stderr)
		}
		s := readSummary(t, summary)
		if s.OrdersInWindow != 3 || s.Exceptions[reconcile.FeeMismatch] != 1 {
			t.Errorf("night %d: %d orders in window, FEE_MISMATCH %d; want 3 and 1", night, s.OrdersInWindow, s.Exceptions[reconcile.FeeMismatch])
		}
		if len(s.Inputs) != 1 || len(s.Inputs[0].SkippedSheets) != 1 || !strings.HasPrefix(s.Inputs[0].SkippedSheets[0], "说明: ") {
			t.Errorf("night %d: inputs %+v, want the sheet 说明 skipped", night, s.Inputs)
		}
		if !strings.Contains(stderr, "sheet not read") || !strings.Contains(stderr, "说明") {
			t.Errorf("night %d: no warning naming the sheet left out:\n%s", night, stderr)
		}
		wantNote := night == 1 // the first night's workbook now lies among the orders
		gotNote := strings.Contains(stderr, "reconcile_2026-11-20_dryrun.xlsx") && strings.Contains(stderr, "own exception workbook")
		if gotNote != wantNote {
			t.Errorf("night %d: a note that the workbook was left out: %v, want %v\n%s", night, gotNote, wantNote, stderr)
		}
		f, err := excelize.OpenFile(filepath.Join(ordersDir, "reconcile_2026-11-20_dryrun.xlsx"))
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := f.GetRows("异常明细")
		f.Close()
		named := false
		for _, r := range rows {
			named = named || strings.Contains(strings.Join(r, "|"), "orders.xlsx[订单]:3")
		}
		if !named {
			t.Errorf("night %d: the exception does not name its sheet and row: %q", night, rows)
		}
	}
}
