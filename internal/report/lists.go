package report

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

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
