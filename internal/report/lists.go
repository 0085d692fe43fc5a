package report

import (
	"cmp"
	"context"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/crossborder/reconcile/internal/reconcile"
)

// The columns of 异常明细, by index. The three the finance team fills in
// and the hidden key are found by their titles when the workbook is read
// back (handling.go); the others may move.
const (
	exOrder = iota
	exCode
	exLabel
	exState
	exFirstSeen
	exDays
	exAmount
	exExpected
	exActual
	exDiff
	exTx
	exOtherTx
	exAt
	exMessage
	exAdvice
	exStatus
	exHandler
	exHandling
	exCustoms
	exPlatformCode
	exPlatformMsg
	exFile
	exLine
	exSource
	exKey
)

// The columns of the list sheets. Tests and the golden file rely on them.
var (
	exceptionColumns = []column{
		exOrder:        {title: "订单号", width: 21, kind: kindText},
		exCode:         {title: "异常代码", width: 22, kind: kindText, shared: true}, // SERVICE_FEE_MISMATCH
		exLabel:        {title: "异常类型", width: 18, kind: kindText, shared: true},
		exState:        {title: "状态", width: 8, kind: kindState, shared: true},
		exFirstSeen:    {title: "首次发现", width: 11, kind: kindDay},
		exDays:         {title: "天数", width: 6, kind: kindCount},
		exAmount:       {title: "涉及金额（元）", width: 13, kind: kindMoney, sum: true},
		exExpected:     {title: "应为（元）", width: 12, kind: kindMoney, sum: true},
		exActual:       {title: "实际（元）", width: 12, kind: kindMoney, sum: true},
		exDiff:         {title: "差额（元）", width: 12, kind: kindMoney, sum: true},
		exTx:           {title: "支付交易号", width: 30, kind: kindText},
		exOtherTx:      {title: "其他交易号", width: 30, kind: kindText}, // PAYMENT_DUPLICATE's second payment
		exAt:           {title: "发生时间", width: 19, kind: kindDate},
		exMessage:      {title: "说明", width: 40, kind: kindWrap},
		exAdvice:       {title: "处理建议", width: 36, kind: kindWrap, shared: true},
		exStatus:       {title: colStatus, width: 11, kind: kindEdit, shared: true},
		exHandler:      {title: colHandler, width: 10, kind: kindEdit, shared: true},
		exHandling:     {title: colHandling, width: 30, kind: kindEditWrap},
		exCustoms:      {title: "海关", width: 26, kind: kindWrap, shared: true},
		exPlatformCode: {title: "平台代码", width: 24, kind: kindWrap, shared: true},
		exPlatformMsg:  {title: "平台信息", width: 24, kind: kindWrap, shared: true},
		exFile:         {title: "来源文件", width: 34, kind: kindWrap, shared: true},
		exLine:         {title: "行号", width: 7, kind: kindNumber},
		exSource:       {title: "来源（完整）", width: 40, kind: kindTech, tech: true}, // where 来源文件 and 行号 do not say it all
		exKey:          {title: colKey, width: 30, kind: kindTech, hidden: true},
	}
	resolvedColumns = []column{
		{title: "订单号", width: 21, kind: kindText},
		{title: "异常代码", width: 22, kind: kindText, shared: true},
		{title: "异常类型", width: 18, kind: kindText, shared: true},
		{title: "支付交易号", width: 30, kind: kindText},
		{title: "涉及金额（元）", width: 13, kind: kindMoney, sum: true},
		{title: "日期", width: 11, kind: kindDay},
		{title: "首次发现", width: 11, kind: kindDay},
		{title: "首次发现运行", width: 12, kind: kindState},
		{title: "持续天数", width: 8, kind: kindCount},
		{title: colStatus, width: 11, kind: kindText, shared: true},
		{title: colHandler, width: 10, kind: kindText, shared: true},
		{title: colHandling, width: 30, kind: kindWrap},
		{title: "说明", width: 40, kind: kindWrap},
	}
	declarationColumns = []column{
		{title: "订单号", width: 21, kind: kindText},
		{title: "申报结果", width: 12, kind: kindState, shared: true},
		{title: "受理时间", width: 19, kind: kindDate},
		{title: "运行编号", width: 9, kind: kindState, shared: true},
		{title: "支付交易号", width: 30, kind: kindText},
		{title: "付款时间", width: 19, kind: kindDate},
		{title: "海关", width: 26, kind: kindWrap, shared: true},
		{title: "订单金额（元）", width: 14, kind: kindMoney, sum: true},
		{title: "货款（元）", width: 13, kind: kindMoney, sum: true},
		{title: "运费（元）", width: 12, kind: kindMoney, sum: true},
		{title: "平台状态", width: 20, kind: kindText, shared: true},
		{title: "尝试次数", width: 9, kind: kindCount},
		{title: "首次尝试", width: 19, kind: kindDate},
		{title: "最后尝试", width: 19, kind: kindDate},
		{title: "错误代码", width: 24, kind: kindWrap, shared: true},
		{title: "错误信息", width: 34, kind: kindWrap, shared: true},
		{title: "请求编号", width: 18, kind: kindWrap},
	}
	callbackColumns = []column{
		{title: "订单号", width: 21, kind: kindText},
		{title: "幂等键", width: 24, kind: kindWrap},
		{title: "清关状态", width: 11, kind: kindText, shared: true},
		{title: "回传结果", width: 12, kind: kindState, shared: true},
		{title: "回传时间", width: 19, kind: kindDate},
		{title: "运行编号", width: 9, kind: kindState, shared: true},
		{title: "结果代码", width: 15, kind: kindText, shared: true},
		{title: "口岸", width: 9, kind: kindText, shared: true},
		{title: "清关时间", width: 19, kind: kindDate},
		{title: "尝试次数", width: 9, kind: kindCount},
		{title: "首次尝试", width: 19, kind: kindDate},
		{title: "最后尝试", width: 19, kind: kindDate},
		{title: "错误代码", width: 24, kind: kindWrap, shared: true},
		{title: "错误信息", width: 34, kind: kindWrap, shared: true},
		{title: "请求编号", width: 18, kind: kindWrap},
	}
)

// writeLists writes the list sheets, one after the other. (Writing them
// concurrently was tried: on a busy two-core machine it was slower and
// raised the peak heap, the big sheet dominating anyway.)
func (b *book) writeLists(ctx context.Context) error {
	for _, spec := range []func() listSpec{b.exceptionSpec, b.resolvedSpec, b.declarationSpec, b.callbackSpec} {
		if err := b.writeList(ctx, spec()); err != nil {
			return err
		}
	}
	return b.writeOrders(ctx)
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

// exceptionNote is the remark of 异常明细's subtotal row.
const exceptionNote = "← 可见行数与金额合计，随筛选变化；各代码的金额含义不同，请按异常代码筛选后再看"

func (b *book) exceptionSpec() listSpec {
	ex := b.r.Exceptions
	order := sortedExceptions(ex)
	// Each code's first row, for the summary's links.
	b.codeRow = map[reconcile.Code]int{}
	for i, j := range order {
		if i >= maxDataRows {
			break
		}
		if _, ok := b.codeRow[ex[j].Code]; !ok {
			b.codeRow[ex[j].Code] = firstRow + i
		}
	}
	st := b.st
	return listSpec{
		sheet: sheetExceptions, cols: exceptionColumns, rows: len(ex), freeze: exOrder + 1, count: exCode,
		note: exceptionNote,
		fill: func(i int, row []excelize.Cell) {
			e := &ex[order[i]]
			if e.Code.Known() { // constants: nothing to clean
				row[exCode] = excelize.Cell{StyleID: st.text, Value: string(e.Code)}
				row[exLabel] = excelize.Cell{StyleID: st.text, Value: e.Code.Label()}
			} else {
				row[exCode] = b.text(string(e.Code))
				row[exLabel] = b.text(e.Code.Label())
			}
			row[exOrder] = b.text(e.OrderID)
			t := &e.Tracking
			switch t.State {
			case reconcile.StateNew:
				row[exState] = excelize.Cell{StyleID: st.stateNew, Value: t.State.Label()}
			case reconcile.StateOpen:
				row[exState] = excelize.Cell{StyleID: st.stateOpen, Value: t.State.Label()}
			case "":
			default:
				row[exState] = b.text(t.State.Label())
			}
			if t.State != "" {
				row[exFirstSeen] = b.day(t.FirstSeenAt)
				row[exDays] = b.attempts(t.Days)
			}
			if e.Amount != 0 { // 0 is "unknown": an unreadable row, a callback
				row[exAmount] = b.money(e.Amount)
			}
			if e.HasAmounts {
				row[exExpected] = b.money(e.Expected)
				row[exActual] = b.money(e.Actual)
				row[exDiff] = b.difference(e.Actual, e.Expected)
			}
			row[exTx] = b.text(e.TransactionID)
			row[exOtherTx] = b.text(e.OtherTransactionID)
			row[exAt] = b.date(e.At)
			row[exMessage] = b.free(e.Message)
			row[exAdvice] = b.advice(e)
			row[exStatus] = b.editText(t.Handling.Status, st.edit)
			row[exHandler] = b.editText(t.Handling.Handler, st.edit)
			row[exHandling] = b.editText(t.Handling.Text, st.editWrap)
			row[exCustoms] = b.wrapText(b.names.customs(e.Customs))
			row[exPlatformCode] = b.wrapText(b.names.platformCode(e.PlatformCode))
			row[exPlatformMsg] = b.free(e.PlatformMsg)
			file, line := splitSource(e.Source)
			row[exFile] = b.wrapText(file)
			if line > 0 {
				row[exLine] = excelize.Cell{StyleID: st.lineNo, Value: line}
			}
			// The full source where it says more than the file and the
			// line: a directory, or the other rows of the exception.
			if line == 0 && e.Source != file || line > 0 && e.Source != file+":"+strconv.Itoa(line) {
				row[exSource] = excelize.Cell{StyleID: st.tech, Value: cleanText(e.Source)}
			}
			row[exKey] = excelize.Cell{StyleID: st.tech, Value: cleanText(e.Key())}
		},
		after: b.handlingValidation,
	}
}

// advice is an exception's 处理建议: its own, else its code's. The code's
// advice is a constant, nothing to clean.
func (b *book) advice(e *reconcile.Exception) excelize.Cell {
	if e.Advice == "" && b.notAttempted(e) {
		return excelize.Cell{StyleID: b.st.wrap, Value: b.stopped()}
	}
	if e.Advice == "" {
		if a := e.Code.Advice(); a != "" {
			return excelize.Cell{StyleID: b.st.wrap, Value: a}
		}
		return b.blank()
	}
	return b.free(e.Advice)
}

// stopped is the advice for the exceptions the next run retries by itself
// (DECLARE_ERROR, CALLBACK_ERROR) when this run did not complete: not a
// platform's hiccup, but the cause in the summary's banner, which has its
// own remedy (an expired session needs 重新授权 first); "" when the run
// completed or says no remedy.
func (b *book) stopped() string {
	r := b.r
	if r.Status == reconcile.StatusCompleted || r.Status == "" || r.Failure.Advice == "" {
		return ""
	}
	return "本次运行未完成，重跑时会重试；先按“" + sheetSummary + "”的红色提示处理：" + freeText(r.Failure.Advice, b.now)
}

// notAttempted reports whether e is a declaration or callback that the
// run, stopped early, did not attempt (rather than one that failed on the
// platform): its advice is then the banner's (stopped).
func (b *book) notAttempted(e *reconcile.Exception) bool {
	if b.stopped() == "" || b.r.DryRun { // a dry run attempts nothing
		return false
	}
	c := &b.r.Counts
	switch e.Code {
	case reconcile.DeclareError:
		if c.NotDeclared == 0 {
			return false
		}
		d := b.outcomes().declaration(e.OrderID)
		return d == nil || d.Outcome != reconcile.OutcomeError
	case reconcile.CallbackError:
		return c.NotSent > 0
	}
	return false
}

// outcomes returns the judge of the orders' outcomes, made on first use.
func (b *book) outcomes() *orderOutcomes {
	if b.orderOutcome == nil {
		b.orderOutcome = b.orderOutcomes()
	}
	return b.orderOutcome
}

// editText is a cell the finance team fills in, pre-filled with what
// they wrote before (read back from their workbook, masked then).
func (b *book) editText(s string, style int) excelize.Cell {
	if s == "" {
		return b.blank()
	}
	return excelize.Cell{StyleID: style, Value: freeText(s, b.now)}
}

// handlingValidation makes 处理状态 a drop-down of reconcile.HandlingStatuses.
// Another value typed in is warned about but kept (ReadHandlings moves it
// into 备注).
func (b *book) handlingValidation(l *list) error {
	if l.rows == 0 {
		return nil
	}
	col := colName(exStatus)
	dv := excelize.NewDataValidation(true)
	dv.Sqref = col + strconv.Itoa(firstRow) + ":" + col + strconv.Itoa(l.last())
	if err := dv.SetDropList(reconcile.HandlingStatuses); err != nil {
		return err
	}
	dv.SetError(excelize.DataValidationErrorStyleWarning, colStatus,
		"请从列表中选择："+strings.Join(reconcile.HandlingStatuses, "、")+"。其他说明请写在“"+colHandling+"”。")
	return b.f.AddDataValidation(l.sheet, dv)
}

// splitSource returns the base name of the file of an exception's first
// source ("dir/orders.csv:12; …" gives "orders.csv", 12; a sheet stays
// with its file: "bill.xlsx[Sheet1]") and its line, 0 when it has none.
func splitSource(source string) (string, int) {
	first, _, _ := strings.Cut(source, "; ")
	file, line := first, 0
	if i := strings.LastIndexByte(first, ':'); i >= 0 {
		if n, err := strconv.Atoi(first[i+1:]); err == nil && n > 0 {
			file, line = first[:i], n
		}
	}
	if file == "" {
		return "", line
	}
	return filepath.Base(file), line
}

// resolvedNote is the remark of 已解决's subtotal row.
const resolvedNote = "← 此前的运行报告过、本次运行已不再出现的异常（订单或支付在本次的区间内）"

func (b *book) resolvedSpec() listSpec {
	ex := b.r.Resolved
	order := sortedExceptions(ex)
	return listSpec{
		sheet: sheetResolved, cols: resolvedColumns, rows: len(ex), freeze: 1, count: 1, note: resolvedNote,
		fill: func(i int, row []excelize.Cell) {
			e := &ex[order[i]]
			row[0] = b.text(e.OrderID)
			row[1] = b.text(string(e.Code))
			row[2] = b.text(e.Code.Label())
			row[3] = b.text(e.TransactionID)
			if e.Amount != 0 {
				row[4] = b.money(e.Amount)
			}
			row[5] = b.day(e.At)
			t := &e.Tracking
			row[6] = b.day(t.FirstSeenAt)
			if t.FirstRunID != 0 {
				row[7] = b.runText(t.FirstRunID)
			}
			if !t.FirstSeenAt.IsZero() {
				row[8] = b.attempts(t.Days)
			}
			row[9] = b.text(freeText(t.Handling.Status, b.now))
			row[10] = b.text(freeText(t.Handling.Handler, b.now))
			row[11] = b.free(t.Handling.Text)
			row[12] = b.free(e.Message)
		},
	}
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

// accepted returns when a sent callback was accepted (its last attempt),
// else the zero time.
func accepted(o reconcile.Outcome, last excelize.Cell) excelize.Cell {
	if o == reconcile.OutcomeDone || o == reconcile.OutcomeEarlier {
		return last
	}
	return excelize.Cell{}
}

// runText is a run id, "" for none.
func (b *book) runText(id int64) excelize.Cell {
	if id == 0 {
		return b.blank()
	}
	return excelize.Cell{StyleID: b.st.state, Value: strconv.FormatInt(id, 10)}
}

func (b *book) declarationSpec() listSpec {
	ds := b.r.Declarations
	idx := sortedIndex(len(ds), func(i, j int32) int {
		a, c := &ds[i], &ds[j]
		return cmp.Or(reconcile.CompareIDs(a.OrderID, c.OrderID), reconcile.CompareIDs(a.TransactionID, c.TransactionID))
	})
	return listSpec{
		sheet: sheetDeclarations, cols: declarationColumns, rows: len(ds), freeze: 1, count: 0,
		note: "← 本区间的全部申报，含此前运行已申报的（此前已申报）",
		fill: func(i int, row []excelize.Cell) {
			d := &ds[idx[i]]
			row[0] = b.text(d.OrderID)
			row[1] = b.outcome(d.Outcome, declarationOutcomes)
			row[2] = b.date(d.Accepted())
			row[3] = b.runText(d.RunID)
			row[4] = b.text(d.TransactionID)
			row[5] = b.date(d.PaidAt)
			row[6] = b.wrapText(b.names.customs(d.Customs))
			row[7] = b.money(d.OrderFee)
			row[8] = b.money(d.ProductFee)
			row[9] = b.money(d.TransportFee)
			row[10] = b.text(platformState(d.PlatformState))
			row[11] = b.attempts(d.Attempts)
			row[12] = b.date(d.FirstAttempt)
			row[13] = b.date(d.LastAttempt)
			row[14] = b.wrapText(b.names.platformCode(d.ErrorCode))
			row[15] = b.free(d.ErrorMsg)
			row[16] = b.wrapText(d.RequestID)
		},
	}
}

func (b *book) callbackSpec() listSpec {
	cs := b.r.Callbacks
	idx := sortedIndex(len(cs), func(i, j int32) int {
		a, c := &cs[i], &cs[j]
		return cmp.Or(reconcile.CompareIDs(a.OrderID, c.OrderID), cmp.Compare(a.Status, c.Status),
			strings.Compare(a.Idempotent, c.Idempotent))
	})
	return listSpec{
		sheet: sheetCallbacks, cols: callbackColumns, rows: len(cs), freeze: 1, count: 3,
		note: "← 本区间的全部清关回传，含此前运行已回传的（此前已回传）",
		fill: func(i int, row []excelize.Cell) {
			c := &cs[idx[i]]
			row[0] = b.text(c.OrderID)
			row[1] = b.wrapText(c.Idempotent)
			row[2] = b.text(clearanceStatus(c.Status))
			row[3] = b.outcome(c.Outcome, callbackOutcomes)
			row[4] = accepted(c.Outcome, b.date(c.LastAttempt))
			row[5] = b.runText(c.RunID)
			row[6] = b.text(clearanceResult(c.ResultCode))
			row[7] = b.text(c.PortNo)
			row[8] = b.date(c.ClearanceTime)
			row[9] = b.attempts(c.Attempts)
			row[10] = b.date(c.FirstAttempt)
			row[11] = b.date(c.LastAttempt)
			row[12] = b.wrapText(b.names.platformCode(c.ErrorCode))
			row[13] = b.free(c.ErrorMsg)
			row[14] = b.wrapText(c.RequestID)
		},
	}
}

// The Chinese words for outcomes.
var (
	declarationOutcomes = map[reconcile.Outcome]string{
		reconcile.OutcomeDone: "已申报", reconcile.OutcomeEarlier: "此前已申报", reconcile.OutcomeFollowed: "此前已申报（跟进）",
		reconcile.OutcomeRejected: "被拒", reconcile.OutcomeConflict: "冲突", reconcile.OutcomeError: "失败待重试",
	}
	callbackOutcomes = map[reconcile.Outcome]string{
		reconcile.OutcomeDone: "已回传", reconcile.OutcomeEarlier: "此前已回传", reconcile.OutcomeRejected: "被拒",
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
