package report

import (
	"context"
	"math/big"
	"sort"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/crossborder/reconcile/internal/batch"
	"github.com/crossborder/reconcile/internal/cst"
)

// column is one column of a list sheet.
type column struct {
	title string
	width float64 // in Excel's character units; a CJK character takes about two
	wrap  bool    // free or long text: the row grows to show it wrapped
}

// The columns of the list sheets. Tests and the golden file rely on them.
var (
	exceptionColumns = []column{
		{"异常代码", 19, false},
		{"异常类型", 19, false},
		{"订单号", 21, false},
		{"支付交易号", 30, true},
		{"涉及金额（元）", 13, false},
		{"应为（元）", 12, false},
		{"实际（元）", 12, false},
		{"差额（元）", 12, false},
		{"海关", 11, true},
		{"平台代码", 16, true},
		{"平台信息", 24, true},
		{"说明", 38, true},
		{"来源", 30, true},
	}
	declarationColumns = []column{
		{"订单号", 21, false},
		{"支付交易号", 30, false},
		{"海关", 12, true},
		{"订单金额（元）", 14, false},
		{"货款（元）", 13, false},
		{"运费（元）", 12, false},
		{"申报结果", 11, false},
		{"平台状态", 13, false},
		{"尝试次数", 9, false},
		{"首次尝试", 20, false},
		{"最后尝试", 20, false},
		{"错误代码", 22, true},
		{"错误信息", 34, true},
		{"请求编号", 18, true},
	}
	callbackColumns = []column{
		{"幂等键", 24, true},
		{"清关状态", 11, false},
		{"订单号", 21, false},
		{"结果代码", 9, false},
		{"口岸", 9, false},
		{"清关时间", 20, false},
		{"回传结果", 11, false},
		{"尝试次数", 9, false},
		{"首次尝试", 20, false},
		{"最后尝试", 20, false},
		{"错误代码", 22, true},
		{"错误信息", 34, true},
		{"请求编号", 18, true},
	}
)

// ctxCheckRows is how often, in rows, a list sheet checks its context.
const ctxCheckRows = 256

// writeList streams one list sheet: the header row, frozen, then n rows
// filled by fill, then an autofilter over the header and the rows, print
// settings, and no "number stored as text" warnings on the id columns.
func (b *book) writeList(ctx context.Context, sheet string, cols []column, n int, fill func(i int, row []interface{})) error {
	f := b.f
	// The sheet properties precede the rows in the stream: set them first.
	fit := true
	if err := f.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	for i, c := range cols {
		if err := sw.SetColWidth(i+1, i+1, c.width); err != nil {
			return err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{
		Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}},
	}); err != nil {
		return err
	}
	row := make([]interface{}, len(cols))
	for i, c := range cols {
		row[i] = excelize.Cell{StyleID: b.st.header, Value: c.title}
	}
	if err := sw.SetRow("A1", row, excelize.RowOpts{Height: 24}); err != nil {
		return err
	}
	rows := n
	if rows > maxDataRows {
		rows = maxDataRows
		if b.cut == nil {
			b.cut = map[string]int{}
		}
		b.cut[sheet] = n - rows
	}
	for i := 0; i < rows; i++ {
		if i%ctxCheckRows == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		clear(row)
		fill(i, row)
		if err := sw.SetRow("A"+strconv.Itoa(i+2), row, rowHeight(cols, row)); err != nil {
			return err
		}
	}
	lastCol, err := excelize.ColumnNumberToName(len(cols))
	if err != nil {
		return err
	}
	// The autofilter and the page settings are worksheet parts that the
	// stream writer emits after the rows, at Flush: set them before it.
	if err := f.AutoFilter(sheet, "A1:"+lastCol+strconv.Itoa(rows+1), nil); err != nil {
		return err
	}
	if err := b.printSetup(sheet, "$1:$1"); err != nil {
		return err
	}
	if err := f.AddIgnoredErrors(sheet, "A1:"+lastCol+strconv.Itoa(excelize.TotalRows), excelize.IgnoredErrorsNumberStoredAsText); err != nil {
		return err
	}
	return sw.Flush()
}

// Row heights, in points: what one line of the default font takes, and the
// most lines a row grows to (the rest of a long text stays in the cell,
// readable in the formula bar).
const (
	lineHeight = 15.0
	maxLines   = 8
)

// rowHeight returns the options of a list row: a height that shows its
// wrapped columns in full, up to maxLines lines; none (the default height)
// for a one-line row. Excel and LibreOffice do not grow rows to fit wrapped
// text when they open a file, so the writer estimates it.
func rowHeight(cols []column, row []interface{}) excelize.RowOpts {
	lines := 1
	for i, c := range cols {
		if !c.wrap {
			continue
		}
		cell, ok := row[i].(excelize.Cell)
		if !ok {
			continue
		}
		s, ok := cell.Value.(string)
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
		return excelize.RowOpts{}
	}
	return excelize.RowOpts{Height: float64(lines)*lineHeight + 2}
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

// codeRank orders exception codes as batch.Codes lists them; unknown codes
// come after, in the order of their text.
func codeRank() func(batch.Code) int {
	rank := map[batch.Code]int{}
	for i, c := range batch.Codes() {
		rank[c] = i
	}
	return func(c batch.Code) int {
		if r, ok := rank[c]; ok {
			return r
		}
		return len(rank)
	}
}

// sortedExceptions returns the indices of ex ordered by code (batch.Codes
// order, unknown codes last by text), then order id, then transaction id,
// then source; ties keep their input order. ex itself is not touched.
func sortedExceptions(ex []batch.Exception) []int32 {
	rank := codeRank()
	idx := make([]int32, len(ex))
	for i := range idx {
		idx[i] = int32(i)
	}
	sort.SliceStable(idx, func(i, j int) bool {
		a, b := &ex[idx[i]], &ex[idx[j]]
		if ra, rb := rank(a.Code), rank(b.Code); ra != rb {
			return ra < rb
		}
		if a.Code != b.Code {
			return a.Code < b.Code
		}
		if a.OrderID != b.OrderID {
			return a.OrderID < b.OrderID
		}
		if a.TransactionID != b.TransactionID {
			return a.TransactionID < b.TransactionID
		}
		return a.Source < b.Source
	})
	return idx
}

func (b *book) writeExceptions(ctx context.Context) error {
	ex := b.r.Exceptions
	order := sortedExceptions(ex)
	return b.writeList(ctx, sheetExceptions, exceptionColumns, len(ex), func(i int, row []interface{}) {
		e := &ex[order[i]]
		row[0] = b.text(string(e.Code))
		row[1] = b.text(e.Code.Label())
		row[2] = b.text(e.OrderID)
		row[3] = b.wrapText(e.TransactionID) // two ids for PAYMENT_DUPLICATE
		row[4] = b.money(e.Amount)
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

func (b *book) writeDeclarations(ctx context.Context) error {
	ds := b.r.Declarations
	idx := make([]int32, len(ds))
	for i := range idx {
		idx[i] = int32(i)
	}
	sort.SliceStable(idx, func(i, j int) bool {
		a, c := &ds[idx[i]], &ds[idx[j]]
		if a.OrderID != c.OrderID {
			return a.OrderID < c.OrderID
		}
		return a.TransactionID < c.TransactionID
	})
	return b.writeList(ctx, sheetDeclarations, declarationColumns, len(ds), func(i int, row []interface{}) {
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

func (b *book) writeCallbacks(ctx context.Context) error {
	cs := b.r.Callbacks
	idx := make([]int32, len(cs))
	for i := range idx {
		idx[i] = int32(i)
	}
	sort.SliceStable(idx, func(i, j int) bool {
		a, c := &cs[idx[i]], &cs[idx[j]]
		if a.OrderID != c.OrderID {
			return a.OrderID < c.OrderID
		}
		if a.Status != c.Status {
			return a.Status < c.Status
		}
		return a.Idempotent < c.Idempotent
	})
	return b.writeList(ctx, sheetCallbacks, callbackColumns, len(cs), func(i int, row []interface{}) {
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
	declarationOutcomes = map[batch.Outcome]string{
		batch.OutcomeDone: "已申报", batch.OutcomeRejected: "被拒",
		batch.OutcomeConflict: "冲突", batch.OutcomeError: "失败待重试",
	}
	callbackOutcomes = map[batch.Outcome]string{
		batch.OutcomeDone: "已回传", batch.OutcomeRejected: "被拒",
		batch.OutcomeConflict: "冲突", batch.OutcomeError: "失败待重试",
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
		return excelize.Cell{StyleID: b.st.wrap}
	}
	return excelize.Cell{StyleID: b.st.wrap, Value: cleanText(s)}
}

// free is free text: a message. ID numbers in it are masked.
func (b *book) free(s string) excelize.Cell {
	if s == "" {
		return excelize.Cell{StyleID: b.st.wrap}
	}
	return excelize.Cell{StyleID: b.st.wrap, Value: freeText(s, b.now)}
}

// blank is an empty cell in the text format.
func (b *book) blank() excelize.Cell { return excelize.Cell{StyleID: b.st.text} }

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
		return excelize.Cell{StyleID: b.st.date}
	}
	return excelize.Cell{StyleID: b.st.text, Value: cst.Format(t)}
}

// outcome is an outcome in Chinese; an unknown outcome is shown as it is.
func (b *book) outcome(o batch.Outcome, words map[batch.Outcome]string) excelize.Cell {
	if w, ok := words[o]; ok {
		style := b.st.bad
		if o == batch.OutcomeDone {
			style = b.st.good
		}
		return excelize.Cell{StyleID: style, Value: w}
	}
	return b.text(string(o))
}
