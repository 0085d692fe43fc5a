package report

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/xuri/excelize/v2"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// dumpCells lists every non-empty cell of the workbook: sheet, reference,
// type, raw value (quoted) and number format, one per line.
func dumpCells(t testing.TB, f *excelize.File) []byte {
	t.Helper()
	var b bytes.Buffer
	for _, sheet := range f.GetSheetList() {
		fmt.Fprintf(&b, "== %s\n", sheet)
		rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		for r, row := range rows {
			for c, v := range row {
				if v == "" {
					continue
				}
				ref, _ := excelize.CoordinatesToCellName(c+1, r+1)
				typ, err := f.GetCellType(sheet, ref)
				if err != nil {
					t.Fatal(err)
				}
				fmt.Fprintf(&b, "%s\t%s\t%q\t%s\n", ref, cellTypeName(typ), v, numFmtOf(t, f, sheet, ref))
			}
		}
	}
	return b.Bytes()
}

// TestGolden compares the cells of the small workbook with
// testdata/small.golden; go test -run TestGolden -update rewrites it.
func TestGolden(t *testing.T) {
	got := dumpCells(t, openBook(t, writeBook(t, smallResult())))
	golden := filepath.Join("testdata", "small.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := bytes.Split(got, []byte("\n")), bytes.Split(want, []byte("\n"))
		for i := 0; i < max(len(gl), len(wl)); i++ {
			var g, w []byte
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if !bytes.Equal(g, w) {
				t.Errorf("line %d:\n got %s\nwant %s", i+1, g, w)
				break
			}
		}
		t.Errorf("the cells differ from %s (%d lines, want %d); review and run with -update if intended", golden, len(gl), len(wl))
	}
}
