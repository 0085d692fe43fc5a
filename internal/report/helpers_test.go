package report

import (
	"archive/zip"
	"context"
	"encoding/xml"
	"io"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/crossborder/reconcile/internal/reconcile"
	"github.com/xuri/excelize/v2"
)

// fixedNow is the time the tests' writers run at.
var fixedNow = time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)

// writeBook writes r to a new file under t.TempDir and returns its path.
// It tallies r first, as the job does before it writes the workbook.
func writeBook(t testing.TB, r *reconcile.Result) string {
	t.Helper()
	r.Tally()
	p, err := Path(t.TempDir()+string(filepath.Separator), r.Window, false)
	if err != nil {
		t.Fatal(err)
	}
	w := Writer{Now: func() time.Time { return fixedNow }}
	if err := w.Write(context.Background(), p, r); err != nil {
		t.Fatalf("Write: %v", err)
	}
	return p
}

// openBook opens the workbook at p; it is closed when the test ends.
func openBook(t testing.TB, p string) *excelize.File {
	t.Helper()
	f, err := excelize.OpenFile(p)
	if err != nil {
		t.Fatalf("open %s: %v", p, err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return f
}

// numFmtOf returns the number format code of a cell: the custom code, or
// "@" / "General" / "#,##0" … for the built-in ids this package uses.
func numFmtOf(t testing.TB, f *excelize.File, sheet, ref string) string {
	t.Helper()
	id, err := f.GetCellStyle(sheet, ref)
	if err != nil {
		t.Fatalf("GetCellStyle(%s!%s): %v", sheet, ref, err)
	}
	st, err := f.GetStyle(id)
	if err != nil {
		t.Fatalf("GetStyle(%d): %v", id, err)
	}
	if st.CustomNumFmt != nil {
		return *st.CustomNumFmt
	}
	switch st.NumFmt {
	case 0:
		return "General"
	case 1:
		return "0"
	case 49:
		return "@"
	}
	return "builtin:" + strconv.Itoa(st.NumFmt)
}

// zipParts reads every part of the zip at p.
func zipParts(t testing.TB, p string) map[string][]byte {
	t.Helper()
	zr, err := zip.OpenReader(p)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	parts := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		parts[f.Name] = b
	}
	return parts
}

// rels parses a relationships part: id → absolute part name.
func rels(t testing.TB, parts map[string][]byte, relsPart string) map[string]string {
	t.Helper()
	var doc struct {
		Rel []struct {
			ID     string `xml:"Id,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if err := xml.Unmarshal(parts[relsPart], &doc); err != nil {
		t.Fatalf("%s: %v", relsPart, err)
	}
	// A rels part describes the part in the folder above _rels.
	base := path.Dir(path.Dir(relsPart))
	out := map[string]string{}
	for _, r := range doc.Rel {
		target := r.Target
		if strings.HasPrefix(target, "/") {
			target = strings.TrimPrefix(target, "/")
		} else {
			target = path.Clean(path.Join(base, target))
		}
		out[r.ID] = target
	}
	return out
}

// sheetParts maps sheet names to their worksheet part names.
func sheetParts(t testing.TB, parts map[string][]byte) map[string]string {
	t.Helper()
	var wb struct {
		Sheets []struct {
			Name string `xml:"name,attr"`
			RID  string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	if err := xml.Unmarshal(parts["xl/workbook.xml"], &wb); err != nil {
		t.Fatal(err)
	}
	r := rels(t, parts, "xl/_rels/workbook.xml.rels")
	out := map[string]string{}
	for _, s := range wb.Sheets {
		out[s.Name] = r[s.RID]
	}
	return out
}

// relsOf returns the name of the rels part of a part.
func relsOf(part string) string {
	return path.Join(path.Dir(part), "_rels", path.Base(part)+".rels")
}

// colOf returns the letters of the column titled title among cols.
func colOf(t testing.TB, cols []column, title string) string {
	t.Helper()
	for i, c := range cols {
		if c.title == title {
			return colName(i)
		}
	}
	t.Fatalf("no column %q", title)
	return ""
}

// ref returns the reference of the cell of data row i (0-based) in the
// column titled title among cols.
func ref(t testing.TB, cols []column, title string, i int) string {
	t.Helper()
	return colOf(t, cols, title) + strconv.Itoa(firstRow+i)
}
