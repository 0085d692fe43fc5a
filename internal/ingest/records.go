package ingest

import (
	"bytes"
	"fmt"
	"iter"
	"strings"
)

// Orders returns the rows of an order export: each step is an Order (and
// a nil error) or a *RowError for a row that could not be read. See File
// for what happens on a file of another kind.
func (f *File) Orders() iter.Seq2[Order, *RowError] { return records(f, Orders, f.order) }

// records yields the rows of f, read as kind k: each row parsed by parse
// into a record, or the *RowError that stopped it. Every data row yields
// exactly one of the two, and is counted in Info.
func records[T any](f *File, k Kind, parse func() (T, *RowError)) iter.Seq2[T, *RowError] {
	return func(yield func(T, *RowError) bool) {
		if !f.start(k) {
			return
		}
		var zero T
		for {
			ok, e := f.nextRow()
			if !ok {
				return
			}
			rec := zero
			if e == nil {
				rec, e = parse()
			}
			if !f.emit(e) {
				if !yield(zero, e) {
					return
				}
				continue
			}
			if !yield(rec, nil) {
				return
			}
		}
	}
}

// emit counts a record (e == nil, true) or a row error (false), in the
// file and in its bill section.
func (f *File) emit(e *RowError) bool {
	sec := f.section()
	if sec != nil {
		sec.Rows++
		sec.Sums.Trades++
	}
	if e != nil {
		f.info.Errors++
		if sec != nil {
			sec.Errors++
		}
		return false
	}
	f.info.Records++
	return true
}

func (f *File) order() (o Order, e *RowError) {
	f.arena = f.arena[:0]
	i0, i1, e := f.id(oOrderID, "order id")
	if e != nil {
		return o, e
	}
	f.orderID = f.arena[i0:i1]
	if o.ProductFee, e = f.amount(oProductFee, true); e != nil {
		return o, e
	}
	if o.TransportFee, e = f.amount(oTransportFee, true); e != nil {
		return o, e
	}
	if o.OrderFee, e = f.amount(oOrderFee, true); e != nil {
		return o, e
	}
	if o.Customs, e = f.intern(oCustoms); e != nil {
		return o, e
	}
	if o.PaidAt, e = f.when(oPaidAt); e != nil {
		return o, e
	}
	if o.Status, e = f.intern(oStatus); e != nil {
		return o, e
	}
	n0, n1, e := f.text(oBuyerName)
	if e != nil {
		return o, e
	}
	d0, d1, e := f.text(oBuyerIDNo)
	if e != nil {
		return o, e
	}
	// One allocation for the strings the order keeps.
	s := string(f.arena)
	o.OrderID, o.BuyerName, o.BuyerIDNo = s[i0:i1], s[n0:n1], s[d0:d1]
	o.Source = f.source()
	return o, nil
}

// Payments returns the rows of a WeChat trade bill or a payments export:
// each step is a Payment (and a nil error) or a *RowError. In a WeChat
// bill the summary section ends the rows (see Info.Summary).
func (f *File) Payments() iter.Seq2[Payment, *RowError] { return records(f, Payments, f.payment) }

func (f *File) payment() (p Payment, e *RowError) {
	f.arena = f.arena[:0]
	t0, t1, e := f.id(pTransactionID, "transaction id")
	if e != nil {
		// The order id, best effort, for the exception.
		if b, e2 := f.cell(pOrderID); e2 == nil && checkID(b, "") == nil {
			e.OrderID = string(b)
		}
		return p, e
	}
	f.txID = f.arena[t0:t1]
	o0, o1, e := f.id(pOrderID, "order id")
	if e != nil {
		return p, e
	}
	f.orderID = f.arena[o0:o1]
	if p.Amount, e = f.amount(pAmount, true); e != nil {
		return p, e
	}
	if p.RefundAmount, e = f.amount(pRefundAmount, false); e != nil {
		return p, e
	}
	if p.PaidAt, e = f.when(pPaidAt); e != nil {
		return p, e
	}
	b, e := f.cell(pStatus)
	if e != nil {
		return p, e
	}
	if p.Status = paymentStatus(b); p.Status == 0 {
		return p, f.rowError(pStatus, ReasonStatus, "unknown trade status "+quoteBytes(b)+"; expected SUCCESS, REFUND or REVOKED (支付成功, 已退款, 转入退款, 已撤销), or empty for a success")
	}
	r0, r1 := 0, 0
	if sec := f.section(); sec != nil {
		if r0, r1, e = f.billRow(&p.Bill); e != nil {
			return p, e
		}
		p.Bill.Section = sec.Index
		sec.Sums.add(&p.Bill)
		switch c := p.Bill.SettleCurrency; {
		case sec.Rows == sec.Errors: // its first readable row
			sec.SettleCurrency = c
		case sec.SettleCurrency != c:
			sec.SettleCurrency = "mixed"
		}
	}
	s := string(f.arena)
	p.TransactionID, p.OrderID = s[t0:t1], s[o0:o1]
	p.Bill.RefundID = s[r0:r1]
	p.Source = f.source()
	return p, nil
}

// billRow reads what a WeChat bill's row says of money into r, and returns
// the bounds of its refund id in the arena.
func (f *File) billRow(r *BillRow) (r0, r1 int, e *RowError) {
	if r.Settlement, e = f.amount(pSettlement, false); e != nil {
		return 0, 0, e
	}
	if r.OrderAmount, e = f.amount(pOrderAmount, false); e != nil {
		return 0, 0, e
	}
	if r.Refund, e = f.amount(pRefund, false); e != nil {
		return 0, 0, e
	}
	if r.VoucherRefund, e = f.amount(pVoucherRefund, false); e != nil {
		return 0, 0, e
	}
	if r.RequestedRefund, e = f.amount(pRequestedRefund, false); e != nil {
		return 0, 0, e
	}
	var hasFee, hasRate bool
	if r.Fee, hasFee, e = f.fee(pServiceFee); e != nil {
		return 0, 0, e
	}
	if r.FeeRate, hasRate, e = f.rate(pFeeRate); e != nil {
		return 0, 0, e
	}
	r.HasFee = hasFee && hasRate
	if r.PayCurrency, e = f.intern(pPayCurrency); e != nil {
		return 0, 0, e
	}
	if r.SettleCurrency, e = f.intern(pSettleCurrency); e != nil {
		return 0, 0, e
	}
	// The job matches and declares CNY: a Global statement's buyer paid
	// (or was refunded) in CNY, or the row is not one it can use.
	for _, c := range [...]struct {
		col  int
		what string
	}{{pPayCurrency, "用户支付币种"}, {pRefundCurrency, "用户退款币种"}} {
		cur, e := f.intern(c.col)
		if e != nil {
			return 0, 0, e
		}
		if cur != "" && cur != "CNY" {
			return 0, 0, f.rowError(c.col, ReasonCurrency, fmt.Sprintf("%s is %q: the job matches and declares payments and refunds in CNY only", c.what, cur))
		}
	}
	if r0, r1, e = f.text(pRefundID); e != nil {
		return 0, 0, e
	}
	return r0, r1, nil
}

// paymentStatus maps a trade status cell to a PaymentStatus, 0 when
// unknown. English statuses are matched without regard to case.
func paymentStatus(b []byte) PaymentStatus {
	switch {
	case len(b) == 0, bytes.EqualFold(b, []byte("SUCCESS")), string(b) == "支付成功":
		return PaymentSuccess
	case bytes.EqualFold(b, []byte("REFUND")), string(b) == "已退款", string(b) == "转入退款":
		return PaymentRefund
	case bytes.EqualFold(b, []byte("REVOKED")), string(b) == "已撤销":
		return PaymentRevoked
	}
	return 0
}

func quoteBytes(b []byte) string {
	var sb strings.Builder
	sb.WriteByte('"')
	sb.Write(b)
	sb.WriteByte('"')
	return sb.String()
}

// Clearances returns the rows of a clearance results export: each step is
// a Clearance (and a nil error) or a *RowError.
func (f *File) Clearances() iter.Seq2[Clearance, *RowError] {
	return records(f, Clearances, f.clearance)
}

func (f *File) clearance() (c Clearance, e *RowError) {
	f.arena = f.arena[:0]
	o0, o1, e := f.id(cOrderID, "order id")
	if e != nil {
		return c, e
	}
	if !fitsInt64(f.arena[o0:o1]) {
		return c, f.rowError(cOrderID, ReasonID, quoteBytes(f.arena[o0:o1])+" is too large for an order id (at most 9223372036854775807)")
	}
	f.orderID = f.arena[o0:o1]
	var span [7][2]int
	for i, col := range []int{cIdempotent, cStatus, cResultCode, cPortNo, cPassNo, cReceipt} {
		if span[i][0], span[i][1], e = f.text(col); e != nil {
			return c, e
		}
	}
	if c.ClearanceTime, e = f.when(cTime); e != nil {
		return c, e
	}
	st := f.arena[span[1][0]:span[1][1]]
	if len(st) > 0 && len(st) <= 9 && checkID(st, "") == nil {
		for _, d := range st {
			c.ClearanceStatus = c.ClearanceStatus*10 + int(d-'0')
		}
	}
	s := string(f.arena)
	part := func(i int) string { return s[span[i][0]:span[i][1]] }
	c.OrderID = s[o0:o1]
	c.Idempotent, c.StatusText, c.ResultCode, c.PortNo = part(0), part(1), part(2), part(3)
	c.CustomsPassNo, c.CustomsReturnReceipt = part(4), part(5)
	c.Source = f.source()
	return c, nil
}
