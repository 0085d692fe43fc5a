package report

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// column is one column of a list sheet.
type column struct {
	title string
	width float64  // in Excel's character units; a CJK character takes about two
	kind  cellKind // the column's style: what an empty cell, or one typed in later, gets
	// sum marks an amount column that the subtotal row adds up (the
	// visible rows' SUBTOTAL(109, …)).
	sum bool
	// tech marks a technical column: after the printed ones, not printed
	// (and hidden when it is the key).
	tech   bool
	hidden bool
	// shared marks a column of texts that repeat from row to row (codes,
	// labels, advice, customs, file names, outcomes): they go to the
	// shared string table (see sst.go).
	shared bool
}

// cellKind is what a column holds.
type cellKind int

const (
	kindText     cellKind = iota // ids, codes, short text: "@"
	kindWrap                     // free or long text: "@", wrapped; the row grows to show it
	kindMoney                    // yuan
	kindDate                     // date and time
	kindDay                      // a date: yyyy-mm-dd
	kindCount                    // a small count, centred
	kindNumber                   // a line number: no thousands separator
	kindState                    // an outcome word, centred
	kindEdit                     // filled in by the finance team: unlocked text
	kindEditWrap                 // likewise, wrapped
	kindTech                     // technical text: grey, not wrapped
)

// of returns the style of a column of kind k.
func (st *styles) of(k cellKind) int {
	switch k {
	case kindWrap:
		return st.wrap
	case kindMoney:
		return st.money
	case kindDate:
		return st.date
	case kindDay:
		return st.day
	case kindCount:
		return st.attempts
	case kindNumber:
		return st.lineNo
	case kindState:
		return st.state
	case kindEdit:
		return st.edit
	case kindEditWrap:
		return st.editWrap
	case kindTech:
		return st.tech
	}
	return st.text
}

// ctxCheckRows is how often, in rows, a list sheet checks its context.
const ctxCheckRows = 256

// The rows of a list sheet: the subtotal row, the header, the data.
const (
	subtotalRow = 1
	headerRow   = 2
	firstRow    = 3
)

// listSpec describes a list sheet.
type listSpec struct {
	sheet string
	cols  []column
	rows  int // data rows
	// freeze is how many columns stay in view when scrolling right:
	// those up to the order id's.
	freeze int
	// count is a column never empty in a data row: the subtotal row
	// counts its visible cells.
	count int
	// note is the subtotal row's remark, beside the count.
	note string
	fill func(i int, row []excelize.Cell) // fills data row i; a cell without a value stays empty
	// after adds what the sheet needs beyond the common frame (data
	// validation), once the rows are written.
	after func(l *list) error
}

// list is one list sheet being written: its frame is a normal excelize
// sheet, its rows go to a rowsFile (see sheetxml.go). Row 1 is the
// subtotal row (SUBTOTAL over the visible rows, so that a filter shows its
// totals), row 2 the header, the data from row 3.
type list struct {
	listSpec
	out *rowsFile
}

// last returns the last data row (the header's when there is none).
func (l *list) last() int { return firstRow + l.rows - 1 }

// printed returns how many columns are printed: all but the technical
// ones at the end.
func (l *list) printed() int {
	n := len(l.cols)
	for n > 0 && (l.cols[n-1].tech || l.cols[n-1].hidden) {
		n--
	}
	return n
}

// openList starts a list sheet: column widths and styles, the panes
// frozen below the header and right of the order id. Rows beyond Excel's
// limit are cut, and the summary says so.
func (b *book) openList(spec listSpec) (*list, error) {
	f := b.f
	l := &list{listSpec: spec}
	for i, c := range l.cols {
		col := colName(i)
		if err := f.SetColWidth(l.sheet, col, col, c.width); err != nil {
			return nil, err
		}
		if err := f.SetColStyle(l.sheet, col, b.st.of(c.kind)); err != nil {
			return nil, err
		}
		if c.hidden {
			if err := f.SetColVisible(l.sheet, col, false); err != nil {
				return nil, err
			}
		}
	}
	top := colName(l.freeze) + strconv.Itoa(firstRow)
	pane := "bottomRight"
	if l.freeze == 0 {
		pane = "bottomLeft"
	}
	if err := f.SetPanes(l.sheet, &excelize.Panes{
		Freeze: true, XSplit: l.freeze, YSplit: headerRow, TopLeftCell: top, ActivePane: pane,
		Selection: []excelize.Selection{{SQRef: top, ActiveCell: top, Pane: pane}},
	}); err != nil {
		return nil, err
	}
	var err error
	if l.out, err = b.rowsFile(l.sheet, l.cols); err != nil {
		return nil, err
	}
	if n := l.rows; n > maxDataRows {
		l.rows = maxDataRows
		if b.cut == nil {
			b.cut = map[string]int{}
		}
		b.cut[l.sheet] = n - l.rows
	}
	return l, nil
}

// colName returns the letters of the column of 0-based index i.
func colName(i int) string {
	name, _ := excelize.ColumnNumberToName(i + 1)
	return name
}

// rowsFile starts the rows of a list sheet, to be spliced into its part
// when the package is saved.
func (b *book) rowsFile(sheet string, cols []column) (*rowsFile, error) {
	part, err := b.sheetPart(sheet)
	if err != nil {
		return nil, err
	}
	sums := make([]bool, len(cols))
	for i, c := range cols {
		sums[i] = c.sum
	}
	out, err := newRowsFile(b.tmpDir, sheet, sums)
	if err != nil {
		return nil, err
	}
	out.shared, out.sst = make([]bool, len(cols)), &b.sst
	for i, c := range cols {
		out.shared[i] = c.shared
	}
	if b.rows == nil {
		b.rows = map[string]*rowsFile{}
	}
	b.rows[part] = out
	return out, nil
}

// sheetPart returns the name of a sheet's worksheet part, as excelize
// names the parts of the sheets it creates: xl/worksheets/sheet<id>.xml.
func (b *book) sheetPart(sheet string) (string, error) {
	for id, name := range b.f.GetSheetMap() {
		if name == sheet {
			return "xl/worksheets/sheet" + strconv.Itoa(id) + ".xml", nil
		}
	}
	return "", fmt.Errorf("no sheet %s", sheet)
}

// writeRows writes the rows of l, checking ctx every ctxCheckRows rows.
//
// A cell without a value is left out of the row: an empty cell costs
// nothing and still has its column's style (list cells have no borders or
// fills, so nothing else shows the difference).
func (b *book) writeRows(ctx context.Context, l *list) error {
	cells := make([]excelize.Cell, len(l.cols))
	lines := lineCache{}
	for i := 0; i < l.rows; i++ {
		if i%ctxCheckRows == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		clear(cells)
		l.fill(i, cells)
		if err := l.out.row(firstRow+i, rowHeight(l.cols, cells, lines), cells); err != nil {
			return err
		}
	}
	return nil
}

// lineCache remembers how many lines texts take in a column: the advice,
// the labels and many messages repeat from row to row. It holds at most
// maxCachedTexts, short texts only.
type lineCache map[lineKey]int

type lineKey struct {
	col  int
	text string
}

const maxCachedTexts = 4096

func (c lineCache) lines(col int, s string, width float64) int {
	if c == nil || len(s) > 256 {
		return textLines(s, width)
	}
	k := lineKey{col, s}
	if n, ok := c[k]; ok {
		return n
	}
	n := textLines(s, width)
	if len(c) < maxCachedTexts {
		c[k] = n
	}
	return n
}

// closeList ends a list sheet: the subtotal and header rows (written
// last, as the subtotals' cached values are the sums of the rows), the
// dimension, an autofilter over the header and the rows, print settings
// and no "number stored as text" warnings.
func (b *book) closeList(l *list) error {
	f := b.f
	// The rows are all written: let their compression end now rather
	// than when the package is saved.
	if err := l.out.z.close(); err != nil {
		return err
	}
	if err := b.headRows(l); err != nil {
		return err
	}
	lastCol := colName(len(l.cols) - 1)
	end := strconv.Itoa(max(l.last(), headerRow))
	if err := f.SetSheetDimension(l.sheet, "A1:"+lastCol+end); err != nil {
		return err
	}
	// AutoFilter replaces the sheet properties: before SetSheetProps.
	if err := f.AutoFilter(l.sheet, "A"+strconv.Itoa(headerRow)+":"+lastCol+end, nil); err != nil {
		return err
	}
	if err := b.printList(l); err != nil {
		return err
	}
	if err := f.AddIgnoredErrors(l.sheet, "A1:"+lastCol+strconv.Itoa(excelize.TotalRows), excelize.IgnoredErrorsNumberStoredAsText); err != nil {
		return err
	}
	if l.after != nil {
		return l.after(l)
	}
	return nil
}

// headRows writes the subtotal row and the header. The subtotal row
// counts the visible rows (SUBTOTAL(103, …) over the count column) and
// adds up each summed column's visible amounts (SUBTOTAL(109, …)), with
// the values for all rows cached, so that a preview, or a reader that does
// not calculate, shows them. These are the workbook's only formulas: fixed
// text of its own, never anything from the input.
func (b *book) headRows(l *list) error {
	st := b.st
	rng := func(i int) string {
		c := colName(i)
		return c + strconv.Itoa(firstRow) + ":" + c + strconv.Itoa(max(l.last(), firstRow))
	}
	sub := make([]excelize.Cell, len(l.cols))
	for i := range sub {
		sub[i] = excelize.Cell{StyleID: st.subBand, Value: styledBlank{}}
	}
	sub[0] = excelize.Cell{StyleID: st.subCount, Formula: "SUBTOTAL(103," + rng(l.count) + ")", Value: l.rows}
	if l.note != "" {
		sub[1] = excelize.Cell{StyleID: st.subNote, Value: l.note}
	}
	for i, c := range l.cols {
		if !c.sum {
			continue
		}
		t := l.out.sums[i]
		var cached interface{}
		if t.over == nil {
			// The exact decimal's nearest double (beyond the exact range
			// too: a reader that calculates gets no better).
			cached = float64(t.n) / 100
			if v, ok := yuan(t.n); ok {
				cached = v
			}
		}
		sub[i] = excelize.Cell{StyleID: st.subMoney, Formula: "SUBTOTAL(109," + rng(i) + ")", Value: cached}
	}
	header := make([]excelize.Cell, len(l.cols))
	lines := 1
	for i, c := range l.cols {
		style := st.header
		if c.kind == kindEdit || c.kind == kindEditWrap {
			style = st.editHeader
		}
		header[i] = excelize.Cell{StyleID: style, Value: c.title}
		lines = max(lines, textLines(c.title, c.width))
	}
	return l.out.head([]headRow{
		{subtotalRow, 20, sub},
		{headerRow, max(24, float64(min(lines, 3))*lineHeight+6), header},
	})
}

// writeList writes one list sheet.
func (b *book) writeList(ctx context.Context, spec listSpec) error {
	l, err := b.openList(spec)
	if err != nil {
		return err
	}
	if err := b.writeRows(ctx, l); err != nil {
		return err
	}
	return b.closeList(l)
}

// Row heights, in points: what one line of the workbook's font takes (等线
// 11 needs about 14.3 in Excel; the fonts a reader may fall back to, 宋体
// or 微软雅黑, up to about 16), what a row adds around its lines, and the
// most lines a row grows to, within Excel's 409 points (the rest of a
// longer text stays in the cell, readable in the formula bar).
const (
	lineHeight = 16.0
	rowPadding = 4.0
	maxLines   = 25
)

// rowHeight returns the height of a list row that shows its wrapped
// columns in full, up to maxLines lines; 0 (the default height) for a
// one-line row. Excel and LibreOffice do not grow rows to fit wrapped text
// when they open a file, so the writer estimates, on the wide side: a
// little room too much, never a line cut off.
func rowHeight(cols []column, row []excelize.Cell, cache lineCache) float64 {
	lines := 1
	for i, c := range cols {
		if c.kind != kindWrap && c.kind != kindEditWrap {
			continue
		}
		s, ok := row[i].Value.(string)
		if !ok || s == "" {
			continue
		}
		if n := cache.lines(i, s, c.width); n > lines {
			lines = n
		}
		if lines >= maxLines {
			lines = maxLines
			break
		}
	}
	if lines == 1 {
		return 0
	}
	return float64(lines)*lineHeight + rowPadding
}

// minPrintScale is the smallest print scale: below it a sheet prints
// across pages instead, its frozen columns repeated on each.
const minPrintScale = 0.75

// printScale returns the scale at which columns of these widths fit the
// width of a landscape A4 page (1 when they fit as they are). Widths are
// turned into pixels as Excel does for a digit 8 pixels wide (等线 11; 7
// for Calibri): erring on the wide side, so that the scale Excel finds is
// not below the one estimated.
func printScale(widths []float64) float64 {
	px := 0.0
	for _, w := range widths {
		px += w*8 + 5
	}
	return min(1, printWidth/(px*0.75))
}

// printList sets up the printing of a list sheet: the printed columns
// (the technical ones left out), the header row on every page, one page
// wide when that is at least minPrintScale, else at that scale across
// pages, left to right, with the frozen columns on every page.
func (b *book) printList(l *list) error {
	n := l.printed()
	widths := make([]float64, n)
	for i := range widths {
		widths[i] = l.cols[i].width
	}
	ref := "'" + l.sheet + "'!"
	titles := ref + "$" + strconv.Itoa(headerRow) + ":$" + strconv.Itoa(headerRow)
	fit := printScale(widths) >= minPrintScale
	if !fit && l.freeze > 0 {
		titles = ref + "$A:$" + colName(l.freeze-1) + "," + titles
	}
	if err := b.printSetup(l.sheet, fit, titles); err != nil {
		return err
	}
	area := ref + "$A$1:$" + colName(n-1) + "$" + strconv.Itoa(max(l.last(), headerRow))
	return b.f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Area", RefersTo: area, Scope: l.sheet})
}

// printSetup prints sheet landscape on A4, one page wide when fit (else
// at minPrintScale, pages left to right first), with titles (e.g.
// "'sheet'!$2:$2", or "" for none) repeated on every page, the window and
// the run in the page header and the sheet name and page number in the
// footer.
func (b *book) printSetup(sheet string, fit bool, titles string) error {
	f := b.f
	landscape, a4 := "landscape", 9
	layout := &excelize.PageLayoutOptions{Size: &a4, Orientation: &landscape}
	if fit {
		one, any := 1, 0
		layout.FitToWidth, layout.FitToHeight = &one, &any
	} else {
		scale, order := uint(minPrintScale*100), "overThenDown"
		layout.AdjustTo, layout.PageOrder = &scale, &order
	}
	if err := f.SetPageLayout(sheet, layout); err != nil {
		return err
	}
	if err := f.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return err
	}
	side, top, edge := sideMargin, 0.6, 0.3
	if err := f.SetPageMargins(sheet, &excelize.PageLayoutMarginsOptions{
		Left: &side, Right: &side, Top: &top, Bottom: &top, Header: &edge, Footer: &edge,
	}); err != nil {
		return err
	}
	if err := f.SetHeaderFooter(sheet, &excelize.HeaderFooterOptions{
		OddHeader: "&L" + headerText(b.pageHeader()) + "&R&A",
		OddFooter: "&L&A&R第 &P 页，共 &N 页",
	}); err != nil {
		return err
	}
	if titles == "" {
		return nil
	}
	return f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", RefersTo: titles, Scope: sheet})
}

// pageHeader is the printed pages' header: the window and the run.
func (b *book) pageHeader() string {
	r := b.r
	s := "对账异常报告 对账区间 " + windowText(r.Window)
	if r.DryRun {
		return s + " · 试运行"
	}
	return s + " · 运行编号 " + strconv.FormatInt(r.RunID, 10)
}

// headerText escapes text for a page header: & starts a code there.
func headerText(s string) string { return strings.ReplaceAll(s, "&", "&&") }

// sumOf is what rowsFile adds up per summed column: the fen of each amount
// written as a number. An amount cell holds fen/100 correctly rounded;
// fen is below 2^53 and the rounding error far below half a fen, so
// rounding the cell's value times 100 gives the fen back exactly.
func sumOf(v float64) int64 { return int64(math.Round(v * 100)) }
