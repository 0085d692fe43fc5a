package report

import (
	"cmp"
	"context"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/crossborder/reconcile/internal/cst"
	"github.com/crossborder/reconcile/internal/reconcile"
)

// column is one column of a list sheet.
type column struct {
	title string
	width float64  // in Excel's character units; a CJK character takes about two
	kind  cellKind // the column's style: what an empty cell, or one typed in later, gets
}

// cellKind is what a column holds.
type cellKind int

const (
	kindText  cellKind = iota // ids, codes, short text: "@"
	kindWrap                  // free or long text: "@", wrapped; the row grows to show it
	kindMoney                 // yuan
	kindDate                  // date and time
	kindCount                 // a small count, centred
	kindState                 // an outcome word, centred
)

// The columns of the list sheets. Tests and the golden file rely on them.
var (
	exceptionColumns = []column{
		{"异常代码", 22, kindText}, // SERVICE_FEE_MISMATCH
		{"异常类型", 19, kindText},
		{"订单号", 21, kindText},
		{"支付交易号", 30, kindWrap}, // two ids for PAYMENT_DUPLICATE
		{"涉及金额（元）", 13, kindMoney},
		{"应为（元）", 12, kindMoney},
		{"实际（元）", 12, kindMoney},
		{"差额（元）", 12, kindMoney},
		{"海关", 11, kindWrap},
		{"平台代码", 16, kindWrap},
		{"平台信息", 24, kindWrap},
		{"说明", 38, kindWrap},
		{"来源", 30, kindWrap},
	}
	declarationColumns = []column{
		{"订单号", 21, kindText},
		{"支付交易号", 30, kindText},
		{"海关", 12, kindWrap},
		{"订单金额（元）", 14, kindMoney},
		{"货款（元）", 13, kindMoney},
		{"运费（元）", 12, kindMoney},
		{"申报结果", 11, kindState},
		{"平台状态", 13, kindText},
		{"尝试次数", 9, kindCount},
		{"首次尝试", 20, kindDate},
		{"最后尝试", 20, kindDate},
		{"错误代码", 22, kindWrap},
		{"错误信息", 34, kindWrap},
		{"请求编号", 18, kindWrap},
	}
	callbackColumns = []column{
		{"幂等键", 24, kindWrap},
		{"清关状态", 11, kindText},
		{"订单号", 21, kindText},
		{"结果代码", 9, kindText},
		{"口岸", 9, kindText},
		{"清关时间", 20, kindDate},
		{"回传结果", 11, kindState},
		{"尝试次数", 9, kindCount},
		{"首次尝试", 20, kindDate},
		{"最后尝试", 20, kindDate},
		{"错误代码", 22, kindWrap},
		{"错误信息", 34, kindWrap},
		{"请求编号", 18, kindWrap},
	}
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

// sortedExceptions returns the indices of ex in the job's one exception
// order (reconcile.CompareExceptions), ties in their input order; ex itself
// is not touched. The result holds them in that order already, so one pass
// usually suffices.
func sortedExceptions(ex []reconcile.Exception) []int32 {
	idx := make([]int32, len(ex))
	for i := range idx {
		idx[i] = int32(i)
	}
	compare := func(i, j int32) int {
		return cmp.Or(reconcile.CompareExceptions(&ex[i], &ex[j]), cmp.Compare(i, j))
	}
	if !slices.IsSortedFunc(idx, compare) {
		slices.SortFunc(idx, compare)
	}
	return idx
}

func (b *book) exceptionList() (*list, error) {
	ex := b.r.Exceptions
	order := sortedExceptions(ex)
	return b.openList(sheetExceptions, exceptionColumns, len(ex), func(i int, row []excelize.Cell) {
		e := &ex[order[i]]
		if e.Code.Known() { // constants: nothing to clean
			row[0] = excelize.Cell{StyleID: b.st.text, Value: string(e.Code)}
			row[1] = excelize.Cell{StyleID: b.st.text, Value: e.Code.Label()}
		} else {
			row[0] = b.text(string(e.Code))
			row[1] = b.text(e.Code.Label())
		}
		row[2] = b.text(e.OrderID)
		row[3] = b.wrapText(e.TransactionID)
		if e.Amount != 0 { // 0 is "unknown": an unreadable row, a callback
			row[4] = b.money(e.Amount)
		}
		if e.HasAmounts {
			row[5] = b.money(e.Expected)
			row[6] = b.money(e.Actual)
			row[7] = b.difference(e.Actual, e.Expected)
		} else {
			row[5], row[6], row[7] = b.blank(), b.blank(), b.blank()
		}
		row[8] = b.wrapText(e.Customs)
		row[9] = b.wrapText(e.PlatformCode)
		row[10] = b.free(e.PlatformMsg)
		row[11] = b.free(e.Message)
		row[12] = b.wrapText(e.Source)
	})
}

// sortedIndex returns the indices 0..n-1 ordered by compare, ties in
// their input order, so that a sheet does not depend on the order the
// engine's workers finished in.
func sortedIndex(n int, compare func(i, j int32) int) []int32 {
	idx := make([]int32, n)
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortStableFunc(idx, compare)
	return idx
}

func (b *book) declarationList() (*list, error) {
	ds := b.r.Declarations
	idx := sortedIndex(len(ds), func(i, j int32) int {
		a, c := &ds[i], &ds[j]
		return cmp.Or(reconcile.CompareIDs(a.OrderID, c.OrderID), reconcile.CompareIDs(a.TransactionID, c.TransactionID))
	})
	return b.openList(sheetDeclarations, declarationColumns, len(ds), func(i int, row []excelize.Cell) {
		d := &ds[idx[i]]
		row[0] = b.text(d.OrderID)
		row[1] = b.text(d.TransactionID)
		row[2] = b.wrapText(d.Customs)
		row[3] = b.money(d.OrderFee)
		row[4] = b.money(d.ProductFee)
		row[5] = b.money(d.TransportFee)
		row[6] = b.outcome(d.Outcome, declarationOutcomes)
		row[7] = b.text(d.PlatformState)
		row[8] = b.attempts(d.Attempts)
		row[9] = b.date(d.FirstAttempt)
		row[10] = b.date(d.LastAttempt)
		row[11] = b.wrapText(d.ErrorCode)
		row[12] = b.free(d.ErrorMsg)
		row[13] = b.wrapText(d.RequestID)
	})
}

func (b *book) callbackList() (*list, error) {
	cs := b.r.Callbacks
	idx := sortedIndex(len(cs), func(i, j int32) int {
		a, c := &cs[i], &cs[j]
		return cmp.Or(reconcile.CompareIDs(a.OrderID, c.OrderID), cmp.Compare(a.Status, c.Status),
			strings.Compare(a.Idempotent, c.Idempotent))
	})
	return b.openList(sheetCallbacks, callbackColumns, len(cs), func(i int, row []excelize.Cell) {
		c := &cs[idx[i]]
		row[0] = b.wrapText(c.Idempotent)
		row[1] = b.text(clearanceStatus(c.Status))
		row[2] = b.text(c.OrderID)
		row[3] = b.text(c.ResultCode)
		row[4] = b.text(c.PortNo)
		row[5] = b.date(c.ClearanceTime)
		row[6] = b.outcome(c.Outcome, callbackOutcomes)
		row[7] = b.attempts(c.Attempts)
		row[8] = b.date(c.FirstAttempt)
		row[9] = b.date(c.LastAttempt)
		row[10] = b.wrapText(c.ErrorCode)
		row[11] = b.free(c.ErrorMsg)
		row[12] = b.wrapText(c.RequestID)
	})
}

// The Chinese words for outcomes.
var (
	declarationOutcomes = map[reconcile.Outcome]string{
		reconcile.OutcomeDone: "已申报", reconcile.OutcomeRejected: "被拒",
		reconcile.OutcomeConflict: "冲突", reconcile.OutcomeError: "失败待重试",
	}
	callbackOutcomes = map[reconcile.Outcome]string{
		reconcile.OutcomeDone: "已回传", reconcile.OutcomeRejected: "被拒",
		reconcile.OutcomeConflict: "冲突", reconcile.OutcomeError: "失败待重试",
	}
)

// clearanceStatus names a clearance callback status: "1 清关发起",
// "2 清关结果", or the number alone when unknown.
func clearanceStatus(s int) string {
	switch s {
	case 1:
		return "1 清关发起"
	case 2:
		return "2 清关结果"
	}
	return strconv.Itoa(s)
}

// The cells. Each returns an excelize.Cell with its style; strings are
// always written as strings (inline or shared), never as formulas.

// text is an id, a code or other short text, kept exactly (cleaned only of
// what XML cannot hold).
func (b *book) text(s string) excelize.Cell {
	if s == "" {
		return b.blank()
	}
	return excelize.Cell{StyleID: b.st.text, Value: cleanText(s)}
}

// wrapText is text that may be long (ids joined with "; ", file names),
// kept exactly and wrapped.
func (b *book) wrapText(s string) excelize.Cell {
	if s == "" {
		return b.blank()
	}
	return excelize.Cell{StyleID: b.st.wrap, Value: cleanText(s)}
}

// free is free text: a message. ID numbers in it are masked.
func (b *book) free(s string) excelize.Cell {
	if s == "" {
		return b.blank()
	}
	return excelize.Cell{StyleID: b.st.wrap, Value: freeText(s, b.now)}
}

// blank is an empty cell: left out of a list row (it keeps its column's
// style), unset on the summary.
func (b *book) blank() excelize.Cell { return excelize.Cell{} }

// money is an amount in fen shown in yuan: a number when it is exact, its
// exact decimal as text beyond ±10^13 yuan.
func (b *book) money(fen int64) excelize.Cell {
	if v, ok := yuan(fen); ok {
		return excelize.Cell{StyleID: b.st.money, Value: v}
	}
	b.textAmounts++
	return excelize.Cell{StyleID: b.st.moneyText, Value: fenDecimal(fen)}
}

// difference is actual − expected in fen, exact even where the int64
// subtraction would overflow (then it is text, being far beyond the exact
// range anyway).
func (b *book) difference(actual, expected int64) excelize.Cell {
	d := actual - expected
	if (expected > 0 && d > actual) || (expected < 0 && d < actual) { // overflowed
		b.textAmounts++
		t := fenTotal{over: new(big.Int).Sub(big.NewInt(actual), big.NewInt(expected))}
		return excelize.Cell{StyleID: b.st.moneyText, Value: t.decimal()}
	}
	return b.money(d)
}

// count is a whole number.
func (b *book) count(n int) excelize.Cell {
	return excelize.Cell{StyleID: b.st.count, Value: n}
}

// attempts is a count of attempts, centred.
func (b *book) attempts(n int) excelize.Cell {
	return excelize.Cell{StyleID: b.st.attempts, Value: n}
}

// date is a time as a date cell showing its UTC+8 wall clock; the zero time
// is an empty cell; a time Excel cannot show is text.
func (b *book) date(t time.Time) excelize.Cell {
	if v, ok := serial(t); ok {
		return excelize.Cell{StyleID: b.st.date, Value: v}
	}
	if t.IsZero() {
		return b.blank()
	}
	return excelize.Cell{StyleID: b.st.text, Value: cst.Format(t)}
}

// outcome is an outcome in Chinese; an unknown outcome is shown as it is.
func (b *book) outcome(o reconcile.Outcome, words map[reconcile.Outcome]string) excelize.Cell {
	if w, ok := words[o]; ok {
		style := b.st.bad
		if o == reconcile.OutcomeDone {
			style = b.st.good
		}
		return excelize.Cell{StyleID: style, Value: w}
	}
	return b.text(string(o))
}
