package report

import (
	"strconv"
	"time"

	"github.com/crossborder/reconcile/internal/cst"
	"github.com/crossborder/reconcile/internal/reconcile"
)

// The rows of 订单明细, up to 200,000 of them, are appended to the
// sheet's XML directly rather than through excelize.Cell values (each
// amount, time and text boxed in an interface, the row number formatted
// for every cell): the same XML as rowsFile.appendRow writes for the
// cells orderCells fills, which orderrow_test.go holds it to.

// rowAppender appends one row of a list sheet.
type rowAppender struct {
	w *rowsFile
	b []byte
	r []byte // the row number, as text
}

func (a *rowAppender) start(r int) {
	a.r = strconv.AppendInt(a.r[:0], int64(r), 10)
	a.b = append(a.b, `<row r="`...)
	a.b = append(a.b, a.r...)
	a.b = append(a.b, `">`...)
}

func (a *rowAppender) end() []byte { return append(a.b, `</row>`...) }

// cell starts the element of the cell in column j: `<c r="…" s="…"`.
func (a *rowAppender) cell(j, style int) {
	a.b = append(a.b, `<c r="`...)
	a.b = append(a.b, a.w.cols[j]...)
	a.b = append(a.b, a.r...)
	a.b = append(a.b, '"')
	if style != 0 {
		a.b = append(a.b, ` s="`...)
		a.b = strconv.AppendInt(a.b, int64(style), 10)
		a.b = append(a.b, '"')
	}
}

// str is a string cell of text s, already cleaned: shared when its column's
// are, else inline.
func (a *rowAppender) str(j, style int, s string) {
	a.cell(j, style)
	if i, ok := a.w.sharedID(j, s); ok {
		a.b = appendShared(a.b, i)
		return
	}
	a.b = appendInline(a.b, s)
}

// text is book.text: nothing for "", else s cleaned (an id of digits
// only needs no cleaning).
func (a *rowAppender) text(j, style int, s string) {
	if s == "" {
		return
	}
	if !allDigits(s) {
		s = cleanText(s)
	}
	a.str(j, style, s)
}

// money is book.money: a number cell of yuan, added to the column's
// total, or the exact decimal as text beyond the exact range.
func (a *rowAppender) money(bk *book, j int, fen int64) {
	v, ok := yuan(fen)
	if !ok {
		bk.textAmounts++
		a.str(j, bk.st.moneyText, fenDecimal(fen))
		return
	}
	a.cell(j, bk.st.money)
	a.b = append(a.b, `><v>`...)
	a.b = appendYuan(a.b, fen)
	a.b = append(a.b, `</v></c>`...)
	if a.w.summed[j] {
		a.w.sums[j].add(sumOf(v))
	}
}

// date is book.date: a date serial, nothing for the zero time, text for
// a day Excel cannot show.
func (a *rowAppender) date(bk *book, j int, t time.Time) {
	v, ok := serial(t)
	switch {
	case ok:
		a.cell(j, bk.st.date)
		a.b = append(a.b, `><v>`...)
		a.b = strconv.AppendFloat(a.b, v, 'f', -1, 64)
		a.b = append(a.b, `</v></c>`...)
	case !t.IsZero():
		a.str(j, bk.st.text, cst.Format(t))
	}
}

func (a *rowAppender) int(j, style, n int) {
	a.cell(j, style)
	a.b = append(a.b, `><v>`...)
	a.b = strconv.AppendInt(a.b, int64(n), 10)
	a.b = append(a.b, `</v></c>`...)
}

// appendOrderRow appends row r of 订单明细 to b: an order and its outcome,
// the cells in column order.
func (bk *book) appendOrderRow(w *rowsFile, b []byte, r int, line *reconcile.OrderLine, o orderOutcome) []byte {
	st := bk.st
	a := rowAppender{w: w, b: b, r: w.rowNum[:0]}
	a.start(r)
	a.text(orOrder, st.text, line.OrderID)
	a.str(orOutcome, st.outcome(o.tone), cleanText(o.word))
	a.text(orWhy, st.text, o.why)
	a.money(bk, orFee, line.OrderFee)
	a.money(bk, orProduct, line.ProductFee)
	a.money(bk, orTransport, line.TransportFee)
	a.date(bk, orPaidAt, line.PaidAt)
	a.text(orTx, st.text, line.TransactionID)
	if line.TransactionID != "" {
		a.money(bk, orPayment, line.Payment)
	}
	a.date(bk, orPaymentAt, line.PaymentAt)
	a.text(orCustoms, st.text, bk.names.customs(line.Customs))
	a.date(bk, orAccepted, o.accepted)
	file, n := splitSource(line.Source)
	if n > 0 {
		a.int(orLine, st.lineNo, n)
	}
	a.text(orFile, st.text, file)
	w.rowNum = a.r
	return a.end()
}
