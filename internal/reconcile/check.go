package reconcile

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/crossborder/reconcile/internal/cst"
	"github.com/crossborder/reconcile/internal/ingest"
)

// candidate is an order that passed every local check, with its payment.
type candidate struct {
	order   int32 // index into ledger.orders
	payment int32 // index into ledger.payments
}

// Candidate is an order that passed every check: the declaration to make,
// and the buyer columns the materials check compares (never journaled).
type Candidate struct {
	OrderID       string
	TransactionID string
	Customs       string // the export's, else the default (--customs)
	OrderFee      int64  // fen
	ProductFee    int64  // fen
	TransportFee  int64  // fen
	BuyerName     string
	BuyerIDNo     string
	Source        string    // "file:line" of the order
	PaidAt        time.Time // when the buyer paid, in cst.Zone
}

// Plan is the outcome of the checks: what may be declared, which callbacks
// are pending, and the exceptions found.
type Plan struct {
	candidates []candidate
	Callbacks  []ingest.Clearance
	Exceptions []Exception
	Counts     Counts
	// Money is the window's money; Declared is left for the declarations
	// to fill.
	Money Money
	// Bills are the sections of the WeChat bills read; BillMismatches
	// counts those that do not tie out (each a BILL_MISMATCH).
	Bills          []Bill
	BillMismatches int

	ledger  *Ledger
	options Options
}

// Candidates returns the declarations the checks allow, in the order the
// orders were read. They are built from the ledger on each call.
func (p *Plan) Candidates() []Candidate {
	out := make([]Candidate, len(p.candidates))
	for i, c := range p.candidates {
		out[i] = p.ledger.candidate(c, p.options.DefaultCustoms)
	}
	return out
}

// candidate builds the Candidate of c.
func (l *Ledger) candidate(c candidate, defaultCustoms string) Candidate {
	o, p := l.orders.at(c.order), l.payments.at(c.payment)
	cand := Candidate{
		OrderID: l.orderID(o), TransactionID: l.txID(p), Customs: l.customsOf(o),
		OrderFee: o.orderFee, ProductFee: o.productFee, TransportFee: o.transportFee,
		Source: l.orderSource(o.src), PaidAt: time.Unix(o.paidAt, 0).In(cst.Zone),
	}
	if cand.Customs == "" {
		cand.Customs = defaultCustoms
	}
	if x := l.orderExtra[c.order]; x != nil {
		cand.BuyerName, cand.BuyerIDNo = x.buyerName, x.buyerIDNo
	}
	return cand
}

// Options are the settings the checks depend on.
type Options struct {
	Window         cst.Window
	DefaultCustoms string // --customs: for orders whose export has none
	// OrderLimit is the most an order may total, in fen (--order-limit:
	// the cross-border retail import limit per transaction, 5,000 CNY); an
	// order above it is LIMIT_EXCEEDED. 0 turns the check off.
	OrderLimit int64
}

// Check runs the local checks of docs/design.md#the-checks on the ledger. Every paid order
// whose paid_at falls in the window ends as a candidate or as exactly one
// exception, its first failing Check in this order: ORDER_DUPLICATE,
// FEE_MISMATCH, PAYMENT_REFUNDED, PAYMENT_MISSING, PAYMENT_DUPLICATE,
// AMOUNT_MISMATCH, no customs code (INPUT_INVALID). Unpaid and closed orders
// are neither. Every successful payment in the window whose order is in
// none of the exports is a PAYMENT_ORPHAN; every clearance row in the
// window is a pending callback or a CALLBACK_INVALID.
func Check(l *Ledger, opt Options) *Plan {
	p := &Plan{ledger: l, options: opt}
	p.Exceptions = append(p.Exceptions, l.exceptions...)
	p.Counts.OrdersRead = l.orders.len() - l.repeats
	p.Counts.PaymentsRead = l.payments.len()
	p.Counts.ClearanceRead = len(l.clearance)
	p.Counts.RowsInvalid = l.rowErrors

	from, to := opt.Window.From.Start().Unix(), opt.Window.To.AddDays(1).Start().Unix()
	p.Money = l.money(opt.Window)
	p.candidates = make([]candidate, 0, l.orders.len()-l.repeats)
	var pays orderPayments // reused per order
	for i := range int32(l.orders.len()) {
		o := l.orders.at(i)
		if o.flags&orderRepeat != 0 {
			continue
		}
		if o.paidAt == 0 || o.flags&orderUnpaid != 0 {
			p.Counts.OrdersUnpaid++
			if o.flags&orderClosed != 0 {
				p.Counts.OrdersClosed++
			}
			continue
		}
		if o.paidAt < from || o.paidAt >= to {
			p.Counts.OrdersOutside++
			continue
		}
		p.Counts.OrdersInWindow++
		p.Money.addOrder(o, from)
		code := l.checkOrder(i, opt, &pays)
		if code != "" {
			p.Exceptions = append(p.Exceptions, l.orderException(i, code, &pays, opt))
			p.Counts.CheckExceptions++
			continue
		}
		p.candidates = append(p.candidates, candidate{order: i, payment: pays.success[0]})
	}
	p.Counts.Eligible = len(p.candidates)

	p.Exceptions = append(p.Exceptions, l.orphans(from, to)...)
	p.Exceptions = append(p.Exceptions, l.feeMismatches(opt.Window)...)
	p.Bills = l.bills
	for i := range p.Bills {
		if e := billException(&p.Bills[i]); e != nil {
			p.Exceptions = append(p.Exceptions, *e)
			p.BillMismatches++
		}
	}
	p.Callbacks = l.pendingCallbacks(opt.Window, &p.Exceptions)
	p.Counts.Pending = len(p.Callbacks)
	return p
}

// orderPayments is what the checks gather of an order's payments.
type orderPayments struct {
	success []int32 // distinct successful transactions, in file order
	refund  int32   // the first refund or revocation in file order, or -1
}

// checkOrder runs the checks on one order in the window and returns the
// code of the first that fails, or "" when the order is a candidate. It
// allocates nothing: the exception is built only for an order that fails.
func (l *Ledger) checkOrder(i int32, opt Options, pays *orderPayments) Code {
	o := l.orders.at(i)
	pays.success, pays.refund = pays.success[:0], -1
	if o.flags&orderDuplicate != 0 {
		return OrderDuplicate
	}
	if o.orderFee != o.productFee+o.transportFee {
		return FeeMismatch
	}
	for j := l.firstPayment[i]; j >= 0; j = l.payments.at(j).next {
		p := l.payments.at(j)
		switch p.status {
		case ingest.PaymentSuccess:
			dup := false
			for _, k := range pays.success {
				if l.payments.at(k).tx == p.tx {
					dup = true
					break
				}
			}
			if !dup {
				pays.success = append(pays.success, j)
			}
		case ingest.PaymentRefund, ingest.PaymentRevoked:
			if pays.refund < 0 {
				pays.refund = j
			}
		}
	}
	switch {
	case pays.refund >= 0:
		return PaymentRefunded
	case len(pays.success) == 0:
		return PaymentMissing
	case len(pays.success) > 1:
		return PaymentDuplicate
	case l.payments.at(pays.success[0]).amount != o.orderFee:
		return AmountMismatch
	case opt.OrderLimit > 0 && o.orderFee > opt.OrderLimit:
		return LimitExceeded
	case o.customs == 0 && opt.DefaultCustoms == "":
		return InputInvalid
	}
	return ""
}

// orderException builds the exception of an order that failed check code.
func (l *Ledger) orderException(i int32, code Code, pays *orderPayments, opt Options) Exception {
	o := l.orders.at(i)
	e := Exception{Code: code, OrderID: l.orderID(o), Customs: l.customsOf(o), Amount: o.orderFee, Source: l.orderSource(o.src)}
	if o.paidAt != 0 {
		e.At = time.Unix(o.paidAt, 0)
	}
	switch code {
	case OrderDuplicate:
		var copies, sources []string
		dups := l.orderExtra[i].duplicates
		for _, d := range dups {
			copies = append(copies, l.describeOrder(d))
			sources = append(sources, l.orderSource(d.src))
		}
		// 应为 the first copy's total, 实际 the first other copy's.
		e.HasAmounts, e.Expected, e.Actual = true, dups[0].orderFee, dups[1].orderFee
		e.Message = "同一订单号在导出中出现多次且金额或海关不同：" + strings.Join(copies, "；")
		e.Source = strings.Join(sources, "; ")
	case FeeMismatch:
		want := o.productFee + o.transportFee
		e.HasAmounts, e.Expected, e.Actual = true, want, o.orderFee
		e.Message = fmt.Sprintf("总金额 %s ≠ 货款 %s + 邮费 %s（应为 %s）", Yuan(o.orderFee), Yuan(o.productFee), Yuan(o.transportFee), Yuan(want))
	case PaymentRefunded:
		r := l.payments.at(pays.refund)
		e.TransactionID, e.Source = l.txID(r), l.paymentSource(r.src)
		paid := l.paidAmount(r.tx, pays.success)
		if r.status == ingest.PaymentRevoked {
			e.Message = fmt.Sprintf("支付 %s 已撤销", l.txID(r))
		} else {
			e.Message = fmt.Sprintf("支付 %s 已退款", l.txID(r))
			if r.amount > 0 {
				e.Message += " " + Yuan(r.amount)
			}
			if paid > 0 && r.amount > 0 && r.amount < paid {
				e.Message += fmt.Sprintf("（部分退款，原支付 %s）", Yuan(paid))
			}
			if paid > 0 && r.amount > 0 {
				// 应为 the payment, 实际 the refund.
				e.HasAmounts, e.Expected, e.Actual = true, paid, r.amount
			}
		}
		if r.paidAt != 0 {
			e.Message += "，退款记录时间 " + cst.Format(time.Unix(r.paidAt, 0))
		}
	case PaymentMissing:
		e.Message = "读取的支付账单中没有这笔订单的成功支付"
	case PaymentDuplicate:
		var txs []string
		for _, j := range pays.success {
			p := l.payments.at(j)
			txs = append(txs, fmt.Sprintf("%s（%s，%s）", l.txID(p), Yuan(p.amount), shortSource(l.paymentSource(p.src))))
		}
		e.TransactionID = l.txID(l.payments.at(pays.success[0]))
		e.OtherTransactionID = l.txID(l.payments.at(pays.success[1]))
		e.Message = fmt.Sprintf("这笔订单有 %d 笔成功支付：%s", len(txs), strings.Join(txs, "；"))
	case AmountMismatch:
		pay := l.payments.at(pays.success[0])
		e.TransactionID = l.txID(pay)
		e.HasAmounts, e.Expected, e.Actual = true, o.orderFee, pay.amount
		e.Message = fmt.Sprintf("微信支付金额 %s 与订单总金额 %s 不符，差额 %s（支付记录 %s）", Yuan(pay.amount), Yuan(o.orderFee), Yuan(pay.amount-o.orderFee), shortSource(l.paymentSource(pay.src)))
	case LimitExceeded:
		e.TransactionID = l.txID(l.payments.at(pays.success[0]))
		e.HasAmounts, e.Expected, e.Actual = true, opt.OrderLimit, o.orderFee
		e.Message = fmt.Sprintf("订单总金额 %s 超过跨境电商零售进口单笔限额 %s：不能按跨境零售进口申报", Yuan(o.orderFee), Yuan(opt.OrderLimit))
	case InputInvalid:
		e.TransactionID = l.txID(l.payments.at(pays.success[0]))
		e.Message = "订单没有海关代码，且未设置默认海关（--customs）：请在导出中补上“海关”列或设置 --customs"
	}
	return e
}

// paidAmount is the amount of the successful payment of transaction tx
// among the order's payments, or 0 when the export holds none.
func (l *Ledger) paidAmount(tx key, success []int32) int64 {
	for _, j := range success {
		if p := l.payments.at(j); p.tx == tx {
			return p.amount
		}
	}
	return 0
}

// orphans returns a PAYMENT_ORPHAN for each successful payment in [from,
// to) whose order is in none of the exports read, whatever that order's
// date. A payment without a time is taken to be in the window. A
// transaction that appears in two bills is reported once.
func (l *Ledger) orphans(from, to int64) []Exception {
	var out []Exception
	seen := map[key]bool{}
	for i := range int32(l.payments.len()) {
		p := l.payments.at(i)
		if !p.orphan || p.status != ingest.PaymentSuccess || p.paidAt != 0 && (p.paidAt < from || p.paidAt >= to) {
			continue
		}
		if l.invalidOrder[p.order] || seen[p.tx] {
			continue
		}
		seen[p.tx] = true
		out = append(out, Exception{
			Code: PaymentOrphan, OrderID: l.paymentOrderID(p), TransactionID: l.txID(p), Amount: p.amount, At: unixTime(p.paidAt),
			Message: fmt.Sprintf("成功支付 %s 的商户订单号 %s 不在任何读取的订单导出中", Yuan(p.amount), l.paymentOrderID(p)),
			Source:  l.paymentSource(p.src),
		})
	}
	return out
}

// callbackKey identifies a callback: the platform takes one per
// idempotency key and status.
type callbackKey struct {
	idempotent string
	status     int
}

// pendingCallbacks returns the clearance rows in the window that are valid
// callbacks, and adds a CALLBACK_INVALID for each row that is not: no
// idempotency key, a status other than 1 or 2, or the same key and status
// as an earlier row with different data. Identical repeats count once. A
// row without a clearance time is taken to be in the window.
func (l *Ledger) pendingCallbacks(w cst.Window, exceptions *[]Exception) []ingest.Clearance {
	var out []ingest.Clearance
	seen := map[callbackKey]int{}
	for _, c := range l.clearance {
		if !c.ClearanceTime.IsZero() && !w.Contains(c.ClearanceTime) {
			continue
		}
		e := Exception{Code: CallbackInvalid, OrderID: c.OrderID, Source: c.Source.String(), At: c.ClearanceTime}
		if strings.TrimSpace(c.Idempotent) != "" {
			e.Callback = CallbackKey(c.Idempotent, c.ClearanceStatus)
		}
		switch {
		case strings.TrimSpace(c.Idempotent) == "":
			e.Message = "没有幂等键（idempotent）：它来自清关材料接口，平台要求必填"
		case c.ClearanceStatus != 1 && c.ClearanceStatus != 2:
			e.Message = "清关状态 " + strconv.Quote(c.StatusText) + " 无效：应为 1（清关发起）或 2（清关结果）"
		}
		if e.Message != "" {
			*exceptions = append(*exceptions, e)
			continue
		}
		k := callbackKey{c.Idempotent, c.ClearanceStatus}
		if j, dup := seen[k]; dup {
			if !sameCallback(out[j], c) {
				e.Message = fmt.Sprintf("幂等键 %s 与状态 %d 已在 %s 出现，但内容不同：请核对后只保留一行", c.Idempotent, c.ClearanceStatus, shortSource(out[j].Source.String()))
				*exceptions = append(*exceptions, e)
			}
			continue
		}
		seen[k] = len(out)
		out = append(out, c)
	}
	return out
}

func sameCallback(a, b ingest.Clearance) bool {
	return a.OrderID == b.OrderID && a.ResultCode == b.ResultCode && a.PortNo == b.PortNo &&
		a.ClearanceTime.Equal(b.ClearanceTime) && a.CustomsPassNo == b.CustomsPassNo &&
		a.CustomsReturnReceipt == b.CustomsReturnReceipt
}

// feeMismatches returns the SERVICE_FEE_MISMATCH of the bill rows whose
// 交易时间 falls in the window (a row without a time counts as in it, as
// for PAYMENT_ORPHAN), each once: a row in two bills (a bill given twice,
// a day's bill inside a month's) is one.
func (l *Ledger) feeMismatches(w cst.Window) []Exception {
	type row struct {
		key string
		at  time.Time
	}
	var out []Exception
	seen := map[row]bool{}
	for _, e := range l.feeErrors {
		if !e.At.IsZero() && !w.Contains(e.At) {
			continue
		}
		k := row{e.Key(), e.At}
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, e)
	}
	return out
}

// unixTime is the time of unix seconds t, or the zero time for 0.
func unixTime(t int64) time.Time {
	if t == 0 {
		return time.Time{}
	}
	return time.Unix(t, 0)
}

// CallbackKey is a callback's key: its idempotency key and status, as
// the journal knows it.
func CallbackKey(idempotent string, status int) string {
	return idempotent + "/" + strconv.Itoa(status)
}
