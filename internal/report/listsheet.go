package report

import (
	"context"
	"strconv"

	"github.com/xuri/excelize/v2"
)

// style returns the style of a column of kind k.
func (st *styles) of(k cellKind) int {
	switch k {
	case kindWrap:
		return st.wrap
	case kindMoney:
		return st.money
	case kindDate:
		return st.date
	case kindCount:
		return st.attempts
	case kindState:
		return st.state
	}
	return st.text
}

// ctxCheckRows is how often, in rows, a list sheet checks its context.
const ctxCheckRows = 256

// list is one list sheet being streamed.
type list struct {
	sheet string
	cols  []column
	rows  int                              // rows to write below the header
	fill  func(i int, row []excelize.Cell) // fills row i; a cell without a value stays empty
	sw    *excelize.StreamWriter
}

// openList starts a list sheet: column widths and styles, the frozen
// header row. n is the number of rows; beyond Excel's limit they are cut,
// and the summary says so.
func (b *book) openList(sheet string, cols []column, n int, fill func(i int, row []excelize.Cell)) (*list, error) {
	f := b.f
	// The sheet properties precede the rows in the stream: set them first.
	fit := true
	if err := f.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return nil, err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return nil, err
	}
	for i, c := range cols {
		if err := sw.SetColWidth(i+1, i+1, c.width); err != nil {
			return nil, err
		}
		if err := sw.SetColStyle(i+1, i+1, b.st.of(c.kind)); err != nil {
			return nil, err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{
		Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}},
	}); err != nil {
		return nil, err
	}
	header := make([]interface{}, len(cols))
	for i, c := range cols {
		header[i] = excelize.Cell{StyleID: b.st.header, Value: c.title}
	}
	if err := sw.SetRow("A1", header, excelize.RowOpts{Height: 24}); err != nil {
		return nil, err
	}
	l := &list{sheet: sheet, cols: cols, rows: n, fill: fill, sw: sw}
	if l.rows > maxDataRows {
		l.rows = maxDataRows
		if b.cut == nil {
			b.cut = map[string]int{}
		}
		b.cut[sheet] = n - l.rows
	}
	return l, nil
}

// writeRows streams the rows of l, checking ctx every ctxCheckRows rows.
//
// A cell without a value is left out of the row: an empty cell costs
// nothing and still has its column's style (list cells have no borders or
// fills, so nothing else shows the difference).
func (b *book) writeRows(ctx context.Context, l *list) error {
	row := make([]interface{}, len(l.cols))
	cells := make([]excelize.Cell, len(l.cols)) // reused: SetRow copies what it needs
	for i := 0; i < l.rows; i++ {
		if i%ctxCheckRows == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		clear(cells)
		l.fill(i, cells)
		for j := range cells {
			if cells[j].Value == nil {
				row[j] = nil
			} else {
				row[j] = &cells[j] // a pointer: no copy boxed per cell
			}
		}
		var err error
		if h := rowHeight(l.cols, cells); h > 0 {
			err = l.sw.SetRow("A"+strconv.Itoa(i+2), row, excelize.RowOpts{Height: h})
		} else {
			err = l.sw.SetRow("A"+strconv.Itoa(i+2), row)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// closeList ends a list sheet: an autofilter over the header and the rows,
// print settings, no "number stored as text" warnings, and the stream's
// end. These are worksheet parts the stream writer emits after the rows,
// at Flush, so they are set just before it.
func (b *book) closeList(l *list) error {
	f := b.f
	lastCol, err := excelize.ColumnNumberToName(len(l.cols))
	if err != nil {
		return err
	}
	if err := f.AutoFilter(l.sheet, "A1:"+lastCol+strconv.Itoa(l.rows+1), nil); err != nil {
		return err
	}
	if err := b.printSetup(l.sheet, "$1:$1"); err != nil {
		return err
	}
	if err := f.AddIgnoredErrors(l.sheet, "A1:"+lastCol+strconv.Itoa(excelize.TotalRows), excelize.IgnoredErrorsNumberStoredAsText); err != nil {
		return err
	}
	return l.sw.Flush()
}

// writeLists writes the three list sheets, one after the other. (Writing
// them concurrently was tried: on a busy two-core machine it was slower and
// raised the peak heap, the big sheet dominating anyway.)
func (b *book) writeLists(ctx context.Context) error {
	for _, open := range []func() (*list, error){b.exceptionList, b.declarationList, b.callbackList} {
		l, err := open()
		if err != nil {
			return err
		}
		if err := b.writeRows(ctx, l); err != nil {
			return err
		}
		if err := b.closeList(l); err != nil {
			return err
		}
	}
	return nil
}

// Row heights, in points: what one line of the default font takes, and the
// most lines a row grows to (the rest of a long text stays in the cell,
// readable in the formula bar).
const (
	lineHeight = 15.0
	maxLines   = 8
)

// rowHeight returns the height of a list row that shows its wrapped
// columns in full, up to maxLines lines; 0 (the default height) for a
// one-line row. Excel and LibreOffice do not grow rows to fit wrapped text
// when they open a file, so the writer estimates it.
func rowHeight(cols []column, row []excelize.Cell) float64 {
	lines := 1
	for i, c := range cols {
		if c.kind != kindWrap {
			continue
		}
		s, ok := row[i].Value.(string)
		if !ok || s == "" {
			continue
		}
		if n := textLines(s, c.width); n > lines {
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
	return float64(lines)*lineHeight + 2
}

// printSetup prints sheet landscape on A4, one page wide, with titleRows
// (e.g. "$1:$1", or "" for none) repeated on every page and the sheet name
// and page number in the footer.
func (b *book) printSetup(sheet, titleRows string) error {
	f := b.f
	landscape, a4, one, any := "landscape", 9, 1, 0
	if err := f.SetPageLayout(sheet, &excelize.PageLayoutOptions{
		Size: &a4, Orientation: &landscape, FitToWidth: &one, FitToHeight: &any,
	}); err != nil {
		return err
	}
	side, top, edge := 0.4, 0.6, 0.3
	if err := f.SetPageMargins(sheet, &excelize.PageLayoutMarginsOptions{
		Left: &side, Right: &side, Top: &top, Bottom: &top, Header: &edge, Footer: &edge,
	}); err != nil {
		return err
	}
	if err := f.SetHeaderFooter(sheet, &excelize.HeaderFooterOptions{
		OddFooter: "&L&A&R第 &P 页，共 &N 页",
	}); err != nil {
		return err
	}
	if titleRows == "" {
		return nil
	}
	return f.SetDefinedName(&excelize.DefinedName{
		Name: "_xlnm.Print_Titles", RefersTo: "'" + sheet + "'!" + titleRows, Scope: sheet,
	})
}
