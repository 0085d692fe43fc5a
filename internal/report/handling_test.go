package report

import (
	"strconv"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/crossborder/reconcile/internal/reconcile"
)

// TestHandlingsRoundTrip writes a workbook, edits 处理状态, 处理人 and 备注
// as the finance team would (here with excelize, which rewrites the sheet
// as Excel does on saving), and reads them back with ReadHandlings: a
// status from the list, a status typed by hand (kept in 备注), an ID number
// typed into 备注 (masked), and cells that were pre-filled and emptied.
func TestHandlingsRoundTrip(t *testing.T) {
	r := demoResult()
	p := writeBook(t, r)

	// What the workbook was written with comes back as it was (masked).
	h, err := ReadHandlings(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.ByKey) != len(r.Exceptions) {
		t.Errorf("read %d rows back, want one per exception (%d)", len(h.ByKey), len(r.Exceptions))
	}
	prefilled := ""
	for i := range r.Exceptions {
		e := &r.Exceptions[i]
		want := e.Tracking.Handling
		want.Text = maskIDs(want.Text, fixedNow)
		if got := h.ByKey[e.Key()]; got != want {
			t.Errorf("%s read back as %+v, want %+v", e.Key(), got, want)
		}
		if !want.IsZero() && prefilled == "" {
			prefilled = e.Key()
		}
	}
	if prefilled == "" {
		t.Fatal("the demo has no notes to carry")
	}

	// The finance team edits the sheet.
	f, err := excelize.OpenFile(p)
	if err != nil {
		t.Fatal(err)
	}
	rowOf := map[string]int{}
	rows, err := f.GetRows(sheetExceptions)
	if err != nil {
		t.Fatal(err)
	}
	for i, row := range rows {
		if exKey < len(row) && i+1 >= firstRow {
			rowOf[row[exKey]] = i + 1
		}
	}
	var plain []string // exceptions without notes, in the sheet's order
	for _, row := range rows[headerRow:] {
		if k := row[exKey]; k != prefilled {
			if hd := h.ByKey[k]; hd.IsZero() {
				plain = append(plain, k)
			}
		}
	}
	if len(plain) < 3 {
		t.Fatalf("%d exceptions without notes, want 3", len(plain))
	}
	set := func(key string, col int, v interface{}) {
		t.Helper()
		ref := colName(col) + strconv.Itoa(rowOf[key])
		if err := f.SetCellValue(sheetExceptions, ref, v); err != nil {
			t.Fatal(err)
		}
	}
	done, typed, id := plain[0], plain[1], plain[2]
	set(done, exStatus, "已处理")
	set(done, exHandler, "  王芳 ")
	set(done, exHandling, "已补发，\n请勿重复处理")
	set(typed, exStatus, "先放着")
	set(typed, exHandling, "等下周")
	set(id, exHandling, "买家身份证 110101199003070011 已更新")
	set(prefilled, exStatus, nil) // emptied
	set(prefilled, exHandler, "")
	set(prefilled, exHandling, nil)
	if err := f.SaveAs(p); err != nil {
		t.Fatal(err)
	}
	_ = f.Close()

	h, err = ReadHandlings(p)
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]reconcile.Handling{
		done:      {Status: "已处理", Handler: "王芳", Text: "已补发，\n请勿重复处理"},
		typed:     {Text: "[先放着] 等下周"}, // not a status of the list: kept in 备注
		id:        {Text: "买家身份证 1101**********0011 已更新"},
		prefilled: {}, // emptied: read back empty, so that the journal forgets the note
	} {
		got, ok := h.ByKey[key]
		if !ok || got != want {
			t.Errorf("%s read back as %+v (%v), want %+v", key, got, ok, want)
		}
	}
	if len(h.ByKey) != len(r.Exceptions) {
		t.Errorf("read %d rows back after editing, want %d", len(h.ByKey), len(r.Exceptions))
	}
}

// A workbook without the three columns (an older version's) is refused,
// and so is a file that is not this job's workbook.
func TestReadHandlingsRefuses(t *testing.T) {
	p := writeBook(t, smallResult())
	f, err := excelize.OpenFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.SetCellValue(sheetExceptions, colName(exKey)+strconv.Itoa(headerRow), "key"); err != nil {
		t.Fatal(err)
	}
	if err := f.SaveAs(p); err != nil {
		t.Fatal(err)
	}
	_ = f.Close()
	if _, err := ReadHandlings(p); err == nil {
		t.Errorf("a workbook without the key column was read")
	}
	other := t.TempDir() + "/other.xlsx"
	g := excelize.NewFile()
	if err := g.SaveAs(other); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadHandlings(other); err == nil {
		t.Errorf("another program's workbook was read")
	}
}
