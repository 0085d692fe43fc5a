package report

import (
	"encoding/xml"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/crossborder/reconcile/internal/reconcile"
)

// The independent read-back: the package is unzipped and its parts parsed
// here, with encoding/xml, not through excelize's reader, which forgives
// (or fixes on reading) what other readers do not: openpyxl's read-only
// mode trusts <dimension>, Excel wants <col> elements in order, a preview
// draws cached values.

// xSheet is what the tests read of a worksheet part.
type xSheet struct {
	Dimension struct {
		Ref string `xml:"ref,attr"`
	} `xml:"dimension"`
	Pane struct {
		XSplit      int    `xml:"xSplit,attr"`
		YSplit      int    `xml:"ySplit,attr"`
		TopLeftCell string `xml:"topLeftCell,attr"`
		State       string `xml:"state,attr"`
	} `xml:"sheetViews>sheetView>pane"`
	Cols []struct {
		Min    int     `xml:"min,attr"`
		Max    int     `xml:"max,attr"`
		Width  float64 `xml:"width,attr"`
		Hidden string  `xml:"hidden,attr"`
		Style  int     `xml:"style,attr"`
	} `xml:"cols>col"`
	Rows []struct {
		R     int    `xml:"r,attr"`
		Ht    string `xml:"ht,attr"`
		Cells []struct {
			R  string `xml:"r,attr"`
			T  string `xml:"t,attr"`
			S  int    `xml:"s,attr"`
			F  string `xml:"f"`
			V  string `xml:"v"`
			IS string `xml:"is>t"`
		} `xml:"c"`
	} `xml:"sheetData>row"`
	Validations []struct {
		Type       string `xml:"type,attr"`
		Sqref      string `xml:"sqref,attr"`
		ErrorStyle string `xml:"errorStyle,attr"`
		Formula1   string `xml:"formula1"`
	} `xml:"dataValidations>dataValidation"`
	Hyperlinks []struct {
		Ref      string `xml:"ref,attr"`
		Location string `xml:"location,attr"`
	} `xml:"hyperlinks>hyperlink"`
	HeaderFooter struct {
		OddHeader string `xml:"oddHeader"`
	} `xml:"headerFooter"`
	PageSetup struct {
		Scale      string `xml:"scale,attr"`
		FitToWidth string `xml:"fitToWidth,attr"`
	} `xml:"pageSetup"`
}

// xCell is a cell as read back: its type, formula, and value (a shared
// string resolved).
type xCell struct {
	t, f, v string
	s       int
}

// readBack is a workbook as the tests read it back.
type readBack struct {
	sheets map[string]*xSheet
	cells  map[string]map[string]xCell // sheet → ref → cell
	names  []xDefinedName
	parts  map[string][]byte
}

type xDefinedName struct {
	Name    string `xml:"name,attr"`
	SheetID *int   `xml:"localSheetId,attr"`
	Value   string `xml:",chardata"`
}

func readBook(t testing.TB, p string) *readBack {
	t.Helper()
	parts := zipParts(t, p)
	var sst struct {
		SI []struct {
			T string `xml:"t"`
			R []struct {
				T string `xml:"t"`
			} `xml:"r"`
		} `xml:"si"`
	}
	if b, ok := parts["xl/sharedStrings.xml"]; ok {
		if err := xml.Unmarshal(b, &sst); err != nil {
			t.Fatal(err)
		}
	}
	var wb struct {
		Names []xDefinedName `xml:"definedNames>definedName"`
	}
	if err := xml.Unmarshal(parts["xl/workbook.xml"], &wb); err != nil {
		t.Fatal(err)
	}
	rb := &readBack{sheets: map[string]*xSheet{}, cells: map[string]map[string]xCell{}, names: wb.Names, parts: parts}
	for name, part := range sheetParts(t, parts) {
		var s xSheet
		if err := xml.Unmarshal(parts[part], &s); err != nil {
			t.Fatalf("%s (%s): %v", name, part, err)
		}
		rb.sheets[name] = &s
		cells := map[string]xCell{}
		for _, r := range s.Rows {
			for _, c := range r.Cells {
				v := c.V + c.IS
				if c.T == "s" {
					i, err := strconv.Atoi(c.V)
					if err != nil || i >= len(sst.SI) {
						t.Fatalf("%s!%s: shared string %q", name, c.R, c.V)
					}
					v = sst.SI[i].T
					for _, r := range sst.SI[i].R {
						v += r.T
					}
				}
				cells[c.R] = xCell{t: c.T, f: c.F, v: v, s: c.S}
			}
		}
		rb.cells[name] = cells
	}
	return rb
}

// TestReadBack checks a workbook read back from its XML: every sheet's
// dimension is its cells' extent and its columns are in order; the list
// sheets' panes, subtotal formulas and cached values; 异常明细's hidden key
// and drop-down; the summary's links; the fonts.
func TestReadBack(t *testing.T) {
	r := demoResult()
	p := writeBook(t, r)
	rb := readBook(t, p)
	if got := len(rb.sheets); got != len(Sheets()) {
		t.Fatalf("%d sheets, want %d", got, len(Sheets()))
	}
	for name, s := range rb.sheets {
		// <dimension> is the extent of the cells.
		maxRow, maxCol := 0, 0
		for ref := range rb.cells[name] {
			c, r, err := excelize.CellNameToCoordinates(ref)
			if err != nil {
				t.Fatalf("%s: cell %q", name, ref)
			}
			maxRow, maxCol = max(maxRow, r), max(maxCol, c)
		}
		_, lastRow, lastCol := splitRange(t, s.Dimension.Ref)
		if lastRow != maxRow || lastCol < maxCol {
			t.Errorf("%s: <dimension ref=%q>, the cells reach row %d, column %d", name, s.Dimension.Ref, maxRow, maxCol)
		}
		// <col> elements in ascending order, not overlapping.
		prev := 0
		for _, c := range s.Cols {
			if c.Min <= prev || c.Max < c.Min {
				t.Errorf("%s: <col min=%d max=%d> after one ending at %d", name, c.Min, c.Max, prev)
			}
			prev = c.Max
		}
		// Rows in order, each with its cells in order.
		for i, row := range s.Rows {
			if i > 0 && row.R <= s.Rows[i-1].R {
				t.Errorf("%s: row %d after row %d", name, row.R, s.Rows[i-1].R)
			}
		}
		if !strings.Contains(s.HeaderFooter.OddHeader, "2026-11-20") {
			t.Errorf("%s: page header %q does not name the window", name, s.HeaderFooter.OddHeader)
		}
		if s.PageSetup.Scale != "" {
			if n, _ := strconv.Atoi(s.PageSetup.Scale); n < 75 {
				t.Errorf("%s prints at %d%%", name, n)
			}
		}
	}

	// The list sheets: frozen below the header and right of the order id;
	// row 1 the subtotals of the visible rows, their values cached.
	for _, tc := range []struct {
		sheet string
		cols  []column
		rows  int
	}{
		{sheetExceptions, exceptionColumns, len(r.Exceptions)},
		{sheetResolved, resolvedColumns, len(r.Resolved)},
		{sheetDeclarations, declarationColumns, len(r.Declarations)},
		{sheetCallbacks, callbackColumns, len(r.Callbacks)},
		{sheetOrders, orderColumns, r.Counts.OrdersInWindow + r.Counts.OrdersUnpaid},
	} {
		s, cells := rb.sheets[tc.sheet], rb.cells[tc.sheet]
		if s.Pane.State != "frozen" || s.Pane.XSplit != 1 || s.Pane.YSplit != headerRow || s.Pane.TopLeftCell != "B3" {
			t.Errorf("%s: pane %+v, want frozen right of the order id and below the header", tc.sheet, s.Pane)
		}
		if got := cells["A"+strconv.Itoa(headerRow)].v; got != "订单号" {
			t.Errorf("%s: the frozen column is %q, want 订单号", tc.sheet, got)
		}
		if want := "A1:" + colName(len(tc.cols)-1) + strconv.Itoa(firstRow+tc.rows-1); s.Dimension.Ref != want {
			t.Errorf("%s: dimension %s, want %s", tc.sheet, s.Dimension.Ref, want)
		}
		subtotals := 0
		for i, c := range tc.cols {
			col := colName(i)
			if h := cells[col+strconv.Itoa(headerRow)]; h.v != c.title {
				t.Errorf("%s!%s%d = %q, want the header %q", tc.sheet, col, headerRow, h.v, c.title)
			}
			sub, ok := cells[col+"1"]
			if !ok || sub.f == "" {
				continue
			}
			subtotals++
			m := regexp.MustCompile(`^SUBTOTAL\((103|109),([A-Z]+)3:([A-Z]+)(\d+)\)$`).FindStringSubmatch(sub.f)
			if m == nil || m[2] != m[3] || m[4] != strconv.Itoa(firstRow+tc.rows-1) {
				t.Errorf("%s!%s1 = %q, want a SUBTOTAL over rows 3 to %d", tc.sheet, col, sub.f, firstRow+tc.rows-1)
				continue
			}
			// The cached value is what Excel would compute: the count of
			// the non-empty cells, the sum of the numbers.
			count, sum := 0, 0.0
			for row := firstRow; row < firstRow+tc.rows; row++ {
				c, ok := cells[m[2]+strconv.Itoa(row)]
				if !ok {
					continue
				}
				count++
				if c.t == "" {
					v, _ := strconv.ParseFloat(c.v, 64)
					sum += v
				}
			}
			want := strconv.Itoa(count)
			got := sub.v
			if m[1] == "109" {
				if !c.sum {
					t.Errorf("%s!%s1 sums a column that is not an amount", tc.sheet, col)
				}
				v, err := strconv.ParseFloat(sub.v, 64)
				if err != nil || math.Abs(v-sum) > 0.005 {
					t.Errorf("%s!%s1 caches %q, the visible cells add up to %.2f", tc.sheet, col, sub.v, sum)
				}
				continue
			}
			if got != want || want != strconv.Itoa(tc.rows) {
				t.Errorf("%s!%s1 caches the count %q, want %s (%d rows)", tc.sheet, col, got, want, tc.rows)
			}
		}
		wantSubtotals := 1
		for _, c := range tc.cols {
			if c.sum {
				wantSubtotals++
			}
		}
		if subtotals != wantSubtotals {
			t.Errorf("%s: %d subtotals, want %d (the count and each amount column)", tc.sheet, subtotals, wantSubtotals)
		}
	}

	// 异常明细: the key column hidden, 处理状态 a drop-down over every row.
	s, cells := rb.sheets[sheetExceptions], rb.cells[sheetExceptions]
	key := colOf(t, exceptionColumns, colKey)
	keyN, _ := excelize.ColumnNameToNumber(key)
	hidden := false
	for _, c := range s.Cols {
		if c.Min <= keyN && keyN <= c.Max {
			hidden = c.Hidden == "1" || c.Hidden == "true"
		}
	}
	if !hidden {
		t.Errorf("异常明细: the key column %s is not hidden", key)
	}
	keys := map[string]bool{}
	for i := range r.Exceptions {
		keys[r.Exceptions[i].Key()] = true
	}
	for row := firstRow; row < firstRow+len(r.Exceptions); row++ {
		if k := cells[key+strconv.Itoa(row)].v; !keys[k] {
			t.Errorf("异常明细!%s%d = %q, not an exception's key", key, row, k)
		}
	}
	status := colOf(t, exceptionColumns, colStatus)
	if len(s.Validations) != 1 {
		t.Fatalf("异常明细 has %d data validations, want 1", len(s.Validations))
	}
	v := s.Validations[0]
	if want := status + "3:" + status + strconv.Itoa(firstRow+len(r.Exceptions)-1); v.Type != "list" || v.Sqref != want ||
		v.Formula1 != `"`+strings.Join(reconcile.HandlingStatuses, ",")+`"` || v.ErrorStyle != "warning" {
		t.Errorf("异常明细 validation = %+v, want a list of %q over %s", v, reconcile.HandlingStatuses, want)
	}
	// The three columns the team fills in are unlocked.
	var styles struct {
		Fonts []struct {
			Name struct {
				Val string `xml:"val,attr"`
			} `xml:"name"`
		} `xml:"fonts>font"`
		Xfs []struct {
			ApplyProtection string `xml:"applyProtection,attr"`
			Protection      *struct {
				Locked string `xml:"locked,attr"`
			} `xml:"protection"`
		} `xml:"cellXfs>xf"`
	}
	if err := xml.Unmarshal(rb.parts["xl/styles.xml"], &styles); err != nil {
		t.Fatal(err)
	}
	for _, title := range []string{colStatus, colHandler, colHandling} {
		n, _ := excelize.ColumnNameToNumber(colOf(t, exceptionColumns, title))
		for _, c := range s.Cols {
			if c.Min <= n && n <= c.Max {
				xf := styles.Xfs[c.Style]
				if xf.Protection == nil || (xf.Protection.Locked != "0" && xf.Protection.Locked != "false") {
					t.Errorf("异常明细 column %s is locked", title)
				}
				if c.Width < 10 {
					t.Errorf("异常明细 column %s is %v wide", title, c.Width)
				}
			}
		}
	}
	// Every font of every style is the CJK one.
	for i, f := range styles.Fonts {
		if f.Name.Val != fontFamily {
			t.Errorf("styles.xml font %d is %q, want %s", i, f.Name.Val, fontFamily)
		}
	}

	// The summary: each code with exceptions links to its first row.
	linked := map[string]bool{}
	sum := rb.cells[sheetSummary]
	for _, h := range rb.sheets[sheetSummary].Hyperlinks {
		code := sum[h.Ref].v
		m := regexp.MustCompile(`^'(.+)'!([A-Z]+)(\d+)$`).FindStringSubmatch(h.Location)
		if m == nil {
			t.Errorf("summary link %s → %q", h.Ref, h.Location)
			continue
		}
		if m[1] == sheetResolved {
			continue
		}
		if m[1] != sheetExceptions || m[2] != colName(exCode) {
			t.Errorf("summary link %s → %q, want a code cell of 异常明细", h.Ref, h.Location)
			continue
		}
		row, _ := strconv.Atoi(m[3])
		if got := cells[m[2]+m[3]].v; got != code {
			t.Errorf("the link of %s goes to %s, which is %q", code, h.Location, got)
		}
		if above := cells[m[2]+strconv.Itoa(row-1)].v; above == code {
			t.Errorf("the link of %s goes to %s, not its first row", code, h.Location)
		}
		linked[code] = true
	}
	for c, n := range r.ByCode {
		if n > 0 && !linked[string(c)] {
			t.Errorf("the summary does not link %s (%d exceptions)", c, n)
		}
	}
	// A print area per list sheet, the technical columns outside it.
	area := map[string]string{}
	for _, d := range rb.names {
		if d.Name == "_xlnm.Print_Area" {
			area[strings.Split(d.Value, "!")[0]] = d.Value
		}
	}
	if got, want := area["'异常明细'"], "'异常明细'!$A$1:$"+colOf(t, exceptionColumns, "行号")+"$"+strconv.Itoa(firstRow+len(r.Exceptions)-1); got != want {
		t.Errorf("异常明细 print area %q, want %q", got, want)
	}
}

// splitRange returns the parts of a range "A1:Y37": the first cell, the
// last row and the last column.
func splitRange(t testing.TB, ref string) (string, int, int) {
	t.Helper()
	from, to, ok := strings.Cut(ref, ":")
	if !ok {
		to = from
	}
	c, r, err := excelize.CellNameToCoordinates(to)
	if err != nil {
		t.Fatalf("range %q: %v", ref, err)
	}
	return from, r, c
}

// Every sheet's dimension is right in the other fixtures too, and in a
// workbook with no rows at all.
func TestDimensions(t *testing.T) {
	empty := smallResult()
	empty.Exceptions, empty.Declarations, empty.Callbacks, empty.Inputs = nil, nil, nil, nil
	for _, r := range []*reconcile.Result{smallResult(), moneyResult(), empty, hostileResult()} {
		rb := readBook(t, writeBook(t, r))
		for name, s := range rb.sheets {
			maxRow := 0
			for ref := range rb.cells[name] {
				_, row, _ := excelize.CellNameToCoordinates(ref)
				maxRow = max(maxRow, row)
			}
			if _, last, _ := splitRange(t, s.Dimension.Ref); last != maxRow {
				t.Errorf("%s: dimension %s, cells to row %d", name, s.Dimension.Ref, maxRow)
			}
			if !slices.IsSortedFunc(s.Cols, func(a, b struct {
				Min    int     `xml:"min,attr"`
				Max    int     `xml:"max,attr"`
				Width  float64 `xml:"width,attr"`
				Hidden string  `xml:"hidden,attr"`
				Style  int     `xml:"style,attr"`
			}) int {
				return a.Min - b.Min
			}) {
				t.Errorf("%s: cols out of order", name)
			}
		}
	}
}
