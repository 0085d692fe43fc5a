package report

import (
	"context"
	"fmt"
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

// list is one list sheet being written: its frame is a normal excelize
// sheet, its rows go to a rowsFile (see sheetxml.go).
type list struct {
	sheet string
	cols  []column
	rows  int                              // rows to write below the header
	fill  func(i int, row []excelize.Cell) // fills row i; a cell without a value stays empty
	out   *rowsFile
}

// openList starts a list sheet: column widths and styles, the frozen
// header row. n is the number of rows; beyond Excel's limit they are cut,
// and the summary says so.
func (b *book) openList(sheet string, cols []column, n int, fill func(i int, row []excelize.Cell)) (*list, error) {
	f := b.f
	for i, c := range cols {
		col := colName(i)
		if err := f.SetColWidth(sheet, col, col, c.width); err != nil {
			return nil, err
		}
		if err := f.SetColStyle(sheet, col, b.st.of(c.kind)); err != nil {
			return nil, err
		}
	}
	if err := f.SetPanes(sheet, &excelize.Panes{
		Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}},
	}); err != nil {
		return nil, err
	}
	out, err := b.rowsFile(sheet, len(cols))
	if err != nil {
		return nil, err
	}
	header := make([]excelize.Cell, len(cols))
	for i, c := range cols {
		header[i] = excelize.Cell{StyleID: b.st.header, Value: c.title}
	}
	if err := out.row(1, 24, header); err != nil {
		return nil, err
	}
	l := &list{sheet: sheet, cols: cols, rows: n, fill: fill, out: out}
	if l.rows > maxDataRows {
		l.rows = maxDataRows
		if b.cut == nil {
			b.cut = map[string]int{}
		}
		b.cut[sheet] = n - l.rows
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
func (b *book) rowsFile(sheet string, ncols int) (*rowsFile, error) {
	part, err := b.sheetPart(sheet)
	if err != nil {
		return nil, err
	}
	out, err := newRowsFile(b.tmpDir, sheet, ncols)
	if err != nil {
		return nil, err
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
	for i := 0; i < l.rows; i++ {
		if i%ctxCheckRows == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		clear(cells)
		l.fill(i, cells)
		if err := l.out.row(i+2, rowHeight(l.cols, cells), cells); err != nil {
			return err
		}
	}
	return nil
}

// closeList ends a list sheet: the dimension, an autofilter over the
// header and the rows, print settings and no "number stored as text"
// warnings.
func (b *book) closeList(l *list) error {
	f := b.f
	last := colName(len(l.cols) - 1)
	if err := f.SetSheetDimension(l.sheet, "A1:"+last+strconv.Itoa(l.rows+1)); err != nil {
		return err
	}
	if err := f.AutoFilter(l.sheet, "A1:"+last+strconv.Itoa(l.rows+1), nil); err != nil {
		return err
	}
	if err := b.printSetup(l.sheet, "$1:$1"); err != nil {
		return err
	}
	fit := true
	if err := f.SetSheetProps(l.sheet, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return err
	}
	return f.AddIgnoredErrors(l.sheet, "A1:"+last+strconv.Itoa(excelize.TotalRows), excelize.IgnoredErrorsNumberStoredAsText)
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
