package gen

import "strconv"

// The WeChat Pay "ALL" trade bill: a header of 27 columns, data lines whose
// every field starts with a backtick (free text unquoted, commas and all),
// then the summary header and one line of totals.

// BillTotals are the totals of a bill's summary line. Amounts are in fen,
// Fees in units of 10^-5 yuan (手续费 has 5 decimals).
//
// The generator's rules, the ones the repository's hand-made bills follow:
// Trades counts every data line; Settlement sums 应结订单金额 over the
// SUCCESS lines; Refunds sums 退款金额 and RefundRequested 申请退款金额 (the
// REFUND lines); OrderTotal sums 订单金额 over every line; Fees sums 手续费
// (negative on REFUND lines).
type BillTotals struct {
	File            string `json:"file"`
	Trades          int    `json:"trades"`
	Settlement      int64  `json:"settlement_fen"`
	Refunds         int64  `json:"refunds_fen"`
	Fees            int64  `json:"fees_1e5_yuan"`
	OrderTotal      int64  `json:"order_total_fen"`
	RefundRequested int64  `json:"refund_requested_fen"`
}

var (
	tradeTypes = []string{"JSAPI", "JSAPI", "JSAPI", "JSAPI", "JSAPI", "JSAPI", "JSAPI", "APP", "APP", "NATIVE"}
	banks      = []string{"CMB_CREDIT", "ICBC_DEBIT", "CCB_DEBIT", "ABC_DEBIT", "CMB_DEBIT", "BOC_CREDIT", "OTHERS", "CFT"}
)

const openIDChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// appendTx appends the 28-digit transaction id of row q: 420000, 4
// merchant digits, the date, 10 unique digits.
func (p *plan) appendTx(b []byte, q *payRow) []byte {
	b = append(b, "420000"...)
	b = append(b, p.mch[:]...)
	b = append(b, p.days[q.txDay+1].compact[:]...)
	return appendPadded(b, p.txNumber(q.tx), 10)
}

// appendBillRow appends payment row q of slot s as a bill line, with eol.
func (p *plan) appendBillRow(b []byte, s *slot, q *payRow, r *rng, t *texts, eol string) []byte {
	b = append(b, '`')
	b = appendTime(b, &p.days, q.at, formDash)
	b = append(b, ",`wx"...)
	b = append(b, p.appID[:]...)
	b = append(b, ",`"...)
	b = append(b, p.mchID[:]...)
	b = append(b, ",`0,`,`"...) // 特约商户号, 设备号
	b = p.appendTx(b, q)
	b = append(b, ",`"...)
	b = strconv.AppendUint(b, s.id, 10)
	b = append(b, ",`oUpF8u"...)
	for k, x := 0, r.u64(); k < 22; k++ {
		if k == 10 {
			x = r.u64()
		}
		b = append(b, openIDChars[x&63])
		x >>= 6
	}
	b = append(b, ",`"...)
	b = append(b, tradeTypes[r.intn(len(tradeTypes))]...)
	b = append(b, ",`"...)
	switch q.status {
	case payRefund:
		b = append(b, "REFUND"...)
	case payRevoked:
		b = append(b, "REVOKED"...)
	default:
		b = append(b, "SUCCESS"...)
	}
	b = append(b, ",`"...)
	b = append(b, banks[r.intn(len(banks))]...)
	b = append(b, ",`CNY,`"...)
	b = appendFen(b, q.amount-q.coupon) // 应结订单金额
	b = append(b, ",`"...)
	b = appendFen(b, q.coupon) // 代金券金额
	b = append(b, ",`"...)
	if q.status == payRefund {
		refundDay := &p.days[2]
		if q.at < secPerDay {
			refundDay = &p.days[1]
		}
		b = append(b, "50300"...) // 微信退款单号
		b = append(b, refundDay.compact[:]...)
		b = append(b, "000000"...)
		b = appendPadded(b, p.txNumber(q.tx), 10)
		b = append(b, ",`TK"...) // 商户退款单号
		b = strconv.AppendUint(b, s.id, 10)
		b = append(b, ",`"...)
		b = appendFen(b, q.refund)
		b = append(b, ",`0.00,`ORIGINAL,`SUCCESS,`"...)
	} else {
		b = append(b, "0,`0,`0.00,`0.00,`,`,`"...)
	}
	b = append(b, t.goods[s.prod]...)
	b = append(b, ",`"...)
	b = append(b, t.attachs[r.intn(len(t.attachs))]...)
	b = append(b, ",`"...)
	b = appendFee(b, billFee(q))
	b = append(b, ",`0.60%,`"...)
	b = appendFen(b, q.amount)
	b = append(b, ",`"...)
	b = appendFen(b, q.refund)
	b = append(b, ",`"...)
	return append(b, eol...)
}

// billFee is a line's 手续费: 0.6% of what was settled, given back on a
// refund.
func billFee(q *payRow) int64 {
	switch q.status {
	case paySuccess:
		return feeUnits(q.amount - q.coupon)
	case payRefund:
		return -feeUnits(q.refund)
	}
	return 0
}

// add counts line q into the totals.
func (bt *BillTotals) add(q *payRow) {
	bt.Trades++
	if q.status == paySuccess {
		bt.Settlement += q.amount - q.coupon
	}
	bt.Refunds += q.refund
	bt.RefundRequested += q.refund
	bt.OrderTotal += q.amount
	bt.Fees += billFee(q)
}

// appendSummary appends the summary line of a bill.
func appendSummary(b []byte, bt *BillTotals, eol string) []byte {
	b = append(b, '`')
	b = strconv.AppendInt(b, int64(bt.Trades), 10)
	b = append(b, ",`"...)
	b = appendFen(b, bt.Settlement)
	b = append(b, ",`"...)
	b = appendFen(b, bt.Refunds)
	b = append(b, ",`0.00,`"...)
	b = appendFee(b, bt.Fees)
	b = append(b, ",`"...)
	b = appendFen(b, bt.OrderTotal)
	b = append(b, ",`"...)
	b = appendFen(b, bt.RefundRequested)
	return append(b, eol...)
}

// writeBills writes the payment rows of every slot, in time order, to the
// day's bill, or to the next day's (next, nil without NextDayBill) for the
// rows dated after Day; then each bill's summary. The UTF-8 bills start
// with a BOM and end lines with CRLF, as downloaded by the API; the GBK
// ones end them with LF, as saved from the web console.
func (p *plan) writeBills(day, next *output, t *texts, totals []BillTotals) {
	eol := "\r\n"
	if p.spec.GBK {
		eol = "\n"
	}
	outs := []*output{day, next}
	for _, o := range outs {
		if o == nil {
			continue
		}
		if !p.spec.GBK {
			o.w.WriteString("\ufeff")
		}
		o.w.Write(t.wechatHeader)
	}
	var s slot
	buf := make([]byte, 0, 8<<10)
	for i := 0; i < p.n; i++ {
		p.slot(i, &s)
		for k := 0; k < s.npay; k++ {
			q := &s.pays[k]
			d := 0
			if q.nextDay && next != nil {
				d = 1
			}
			r := s.r // every line of an order has the same buyer
			buf = p.appendBillRow(buf[:0], &s, q, &r, t, eol)
			outs[d].w.Write(buf)
			outs[d].rows++
			totals[d].add(q)
		}
	}
	for d, o := range outs {
		if o == nil {
			continue
		}
		o.w.Write(t.wechatSummary)
		buf = appendSummary(buf[:0], &totals[d], eol)
		o.w.Write(buf)
	}
}
