package report

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/crossborder/reconcile/internal/reconcile"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// dumpCells lists every non-empty cell of the workbook's sheets (all of
// them when none are named): sheet, reference, type (or =formula), raw
// value (quoted) and number format, one per line.
func dumpCells(t testing.TB, f *excelize.File, only ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	for _, sheet := range f.GetSheetList() {
		if len(only) > 0 && !slices.Contains(only, sheet) {
			continue
		}
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
				kind := cellTypeName(typ)
				if fm, err := f.GetCellFormula(sheet, ref); err != nil {
					t.Fatal(err)
				} else if fm != "" {
					kind = "=" + fm
				}
				fmt.Fprintf(&b, "%s\t%s\t%q\t%s\n", ref, kind, v, numFmtOf(t, f, sheet, ref))
			}
		}
	}
	return b.Bytes()
}

// TestGolden compares the cells of the small workbook with
// testdata/small.golden, and the summary and money sheets of the night
// whose bills do not tie out with testdata/money.golden; go test -run
// TestGolden -update rewrites them.
func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		name   string
		r      *reconcile.Result
		sheets []string
	}{
		{"small", smallResult(), nil},
		{"money", moneyResult(), []string{sheetSummary, sheetMoney}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := dumpCells(t, openBook(t, writeBook(t, tc.r)), tc.sheets...)
			golden := filepath.Join("testdata", tc.name+".golden")
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
		})
	}
}
