package reconcile

import (
	"iter"
	"slices"
	"time"

	"github.com/crossborder/reconcile/internal/ingest"
)

// OrderState is where an order of the window stands after the checks.
type OrderState uint8

const (
	// OrderEligible: it passed every check; what the declaration did is
	// in the run's Declarations (or the run did not declare it).
	OrderEligible  OrderState = iota + 1
	OrderException            // it failed a check: Code says which
	OrderUnpaid               // no payment time, or a status that says unpaid
	OrderClosed               // a status that says closed or cancelled
)

// OrderLine is one order of the window as the workbook's 订单明细 lists
// it: every paid order of the window and every unpaid or closed order
// read (those have no day), each order id once.
type OrderLine struct {
	OrderID       string
	TransactionID string // the order's (first) successful payment, "" when none
	Customs       string // the export's, else the default (--customs)
	OrderFee      int64  // fen
	ProductFee    int64
	TransportFee  int64
	PaidAt        time.Time // zero when unpaid
	PaymentAt     time.Time // the payment's 交易时间, zero when unknown
	Payment       int64     // the payment's amount in fen, when TransactionID is set
	State         OrderState
	Code          Code   // the check it failed (OrderException)
	Source        string // "file:line" of the order
}

// Orders returns the orders of the window, in the order they were read:
// Counts.OrdersInWindow + Counts.OrdersUnpaid lines. It reads them from
// the ledger on each call, allocating little per line.
func (p *Plan) Orders() iter.Seq[OrderLine] {
	l := p.ledger
	from, to := p.options.Window.From.Start().Unix(), p.options.Window.To.AddDays(1).Start().Unix()
	return func(yield func(OrderLine) bool) {
		var pays orderPayments
		for i := range int32(l.orders.len()) {
			o := l.orders.at(i)
			if o.flags&orderRepeat != 0 {
				continue
			}
			line := OrderLine{
				OrderID: l.orderID(o), Customs: l.customsOf(o), OrderFee: o.orderFee, ProductFee: o.productFee,
				TransportFee: o.transportFee, PaidAt: unixTime(o.paidAt), Source: l.orderSource(o.src),
			}
			switch {
			case o.flags&orderClosed != 0:
				line.State = OrderClosed
			case o.paidAt == 0 || o.flags&orderUnpaid != 0:
				line.State = OrderUnpaid
			case o.paidAt < from || o.paidAt >= to:
				continue
			default:
				line.State = OrderEligible
				if line.Code = l.checkOrder(i, p.options, &pays); line.Code != "" {
					line.State = OrderException
				}
			}
			if line.Customs == "" {
				line.Customs = p.options.DefaultCustoms
			}
			if line.State == OrderEligible || line.State == OrderException {
				if len(pays.success) > 0 {
					pay := l.payments.at(pays.success[0])
					line.TransactionID, line.Payment, line.PaymentAt = l.txID(pay), pay.amount, unixTime(pay.paidAt)
				}
			}
			if !yield(line) {
				return
			}
		}
	}
}

// RefundedOrders returns the order ids of every refund and revocation row
// read, whatever its time, each once, sorted as ids (CompareIDs): the
// journal stops counting their declarations towards their buyers' annual
// totals.
func (p *Plan) RefundedOrders() []string {
	l := p.ledger
	var out []string
	seen := map[key]bool{}
	for i := range int32(l.payments.len()) {
		pay := l.payments.at(i)
		if pay.status == ingest.PaymentSuccess || pay.order == (key{}) || seen[pay.order] {
			continue
		}
		seen[pay.order] = true
		out = append(out, l.ids.str(pay.order))
	}
	slices.SortFunc(out, CompareIDs)
	return out
}
