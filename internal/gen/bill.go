package gen

import (
	"path/filepath"
	"strconv"
)

// The WeChat Pay "ALL" trade bill: a header of 27 columns, data lines whose
// every field starts with a backtick (free text unquoted, commas and all),
// then the summary header and one line of totals. A header, its rows and
// its summary are a section; a file holds one or more.

// BillTotals describes a section of a bill as written: where it is, its
// rows, and the figures of its summary line (of its rows when it has no
// summary). Amounts are in fen, Fees in units of 10^-5 yuan (手续费 has 5
// decimals).
//
// The figures are the sums of their columns over every row of the
// section, the deleted ones included, as docs/formats.md has them: Trades counts the rows; Settlement sums
// 应结订单金额 (0.00 on a refund row), Refunds 退款金额, VoucherRefunds
// 充值券退款金额, Fees 手续费 (negative on a refund row), OrderTotal 订单金额
// (0.00 on a refund row), RefundRequested 申请退款金额. A Global statement
// has no summary: its figures are its rows', Settlement, Refunds (退款应结
// 订单金额) and Fees in its settlement currency (Currency), OrderTotal
// (用户支付金额) and RefundRequested in CNY.
type BillTotals struct {
	File    string `json:"file"`
	Section int    `json:"section"` // 1-based within the file, as the job numbers them
	Date    string `json:"date"`    // the day it is the bill of
	Rows    int    `json:"rows"`    // data rows written
	// Deleted counts the rows deleted under the summary (EditedBill): in
	// its figures, not in the file.
	Deleted int `json:"deleted"`
	// Summary is set when a summary line closes the section; a truncated
	// bill (TruncatedBill) has none.
	Summary bool `json:"summary"`
	// TiesOut is what the job must find: the section has a summary and
	// its figures are the sums of the section's rows.
	TiesOut bool `json:"ties_out"`
	// Currency is a Global statement's settlement currency, "" for CNY.
	Currency        string `json:"settle_currency,omitempty"`
	Trades          int    `json:"trades"`
	Settlement      int64  `json:"settlement_fen"`
	Refunds         int64  `json:"refunds_fen"`
	VoucherRefunds  int64  `json:"voucher_refunds_fen"`
	Fees            int64  `json:"fees_1e5_yuan"`
	OrderTotal      int64  `json:"order_total_fen"`
	RefundRequested int64  `json:"refund_requested_fen"`
}

// Figures returns the figures of bt alone, the rest zero: what its summary
// line says.
func (bt BillTotals) Figures() BillTotals {
	return BillTotals{Trades: bt.Trades, Settlement: bt.Settlement, Refunds: bt.Refunds, VoucherRefunds: bt.VoucherRefunds,
		Fees: bt.Fees, OrderTotal: bt.OrderTotal, RefundRequested: bt.RefundRequested}
}

var (
	tradeTypes = []string{"JSAPI", "JSAPI", "JSAPI", "JSAPI", "JSAPI", "JSAPI", "JSAPI", "APP", "APP", "NATIVE"}
	banks      = []string{"CMB_CREDIT", "ICBC_DEBIT", "CCB_DEBIT", "ABC_DEBIT", "CMB_DEBIT", "BOC_CREDIT", "OTHERS", "CFT"}
)

const openIDChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// figures are what a bill row says of money, in fen (手续费 in 10⁻⁵ yuan).
type figures struct {
	settle    int64 // 应结订单金额
	order     int64 // 订单金额
	refund    int64 // 退款金额: 申请退款金额 less the 充值券 refunded
	voucher   int64 // 充值券退款金额
	requested int64 // 申请退款金额
	fee       int64 // 手续费
}

// How a payment row's 手续费 is rounded (payRow.feeHow).
const (
	feeRounded  = iota // 应结订单金额 × 费率 rounded to the fen, half up
	feeHalfDown        // an exact half rounded down
	feeLegacy          // the unrounded product, to 10⁻⁵ yuan (half up)
	feeOff             // rounded, then off by payRow.feeOff fen
)

// rowFigures returns the figures of row q. A payment: 应结订单金额 =
// 订单金额 − its 免充值券, 手续费 = 应结订单金额 × 费率 rounded to the fen.
// A refund: 0.00 settled and ordered, the refund in 申请退款金额, of which
// the coupon's share (rounded down) in 充值券退款金额 and the rest in
// 退款金额, and 手续费 = −退款金额 × 费率 rounded to the fen: the fee
// returned. A revocation: the amounts of the payment it undoes, no fee.
// In a Global statement 应结订单金额 and 手续费 are in the settlement
// currency, and refund is the refund settled (退款应结订单金额) in it.
func (p *plan) rowFigures(q *payRow) figures {
	var f figures
	switch q.status {
	case paySuccess:
		f.settle, f.order = p.settled(q.amount-q.coupon), q.amount
		f.fee = p.paymentFee(f.settle, q)
	case payRefund:
		f.requested = q.refund
		if q.coupon > 0 {
			f.voucher = q.coupon * q.refund / q.amount
		}
		f.refund = p.settled(q.refund - f.voucher)
		f.fee = -p.fee(f.refund)
	case payRevoked:
		f.settle, f.order = p.settled(q.amount-q.coupon), q.amount
	}
	return f
}

// fee returns base (fen) × the 费率, rounded to the fen half up, in 10⁻⁵
// yuan.
func (p *plan) fee(base int64) int64 {
	return (base*p.ppm + 500_000) / 1_000_000 * 1000
}

// paymentFee returns the 手续费 of payment row q, which settles base: as
// its feeHow says.
func (p *plan) paymentFee(base int64, q *payRow) int64 {
	prod := base * p.ppm // 10⁻⁸ yuan
	switch q.feeHow {
	case feeHalfDown:
		return prod / 1_000_000 * 1000
	case feeLegacy:
		return (prod + 500) / 1000
	case feeOff:
		return p.fee(base) + q.feeOff*1000
	}
	return p.fee(base)
}

// halfClass returns the settled amounts (fen) whose fee at bp basis
// points is an exact half fen (amount × bp ≡ 5000 mod 10⁴): those ≡ at
// modulo period; ok is false when there are none.
func halfClass(bp int) (at, period int64, ok bool) {
	g, b := int64(10_000), int64(bp)
	for b != 0 {
		g, b = b, g%b
	}
	period = 10_000 / g
	for a := int64(0); a < period; a++ {
		if a*int64(bp)%10_000 == 5000 {
			return a, period, true
		}
	}
	return 0, period, false
}

// halfAmount returns an amount whose settlement has a fee of an exact half
// fen: in [floor, total] when there is one, near total (the least amount
// settling the largest such settlement), else the least above total. The
// plan's rate must have halves.
func (p *plan) halfAmount(total, floor int64) int64 {
	// The settlements of the half class, down from total's, then up: the
	// least amount that settles one, unless none does (a currency worth
	// less than the yuan skips some settlements).
	s := p.settled(total)
	s -= ((s-p.halfAt)%p.halfPeriod + p.halfPeriod) % p.halfPeriod
	for ; s >= 0; s -= p.halfPeriod {
		if a := p.unsettled(s); a < floor {
			break
		} else if p.settled(a) == s {
			return a
		}
	}
	for s = p.settled(total) + 1; ; s++ {
		if a := p.unsettled(s); a >= floor && p.settled(a) == s && (s-p.halfAt)%p.halfPeriod == 0 {
			return a
		}
	}
}

// unroundedAmount returns an amount at most total whose settlement's fee
// is not within 5·10⁻⁶ yuan of a whole fen, so that its unrounded fee is
// not the rounded one.
func (p *plan) unroundedAmount(total int64) int64 {
	bp := p.ppm / 100
	for a := total; ; a-- {
		if r := p.settled(a) * bp % 10_000; r >= 5 && r <= 9995 {
			return a
		}
	}
}

// appendTx appends the 28-digit transaction id of row q: 420000, 4
// merchant digits, the date, 10 unique digits.
func (p *plan) appendTx(b []byte, q *payRow) []byte {
	b = append(b, "420000"...)
	b = append(b, p.mch[:]...)
	b = append(b, p.days[q.txDay+1].compact[:]...)
	return appendPadded(b, p.txNumber(q.tx), 10)
}

// appendRowHead appends the first ten columns of payment row q of slot
// s, as a bill and a Global statement both begin (交易时间 to 交易类型),
// and the opening of the eleventh.
func (p *plan) appendRowHead(b []byte, s *slot, q *payRow, r *rng) []byte {
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
	return b
}

// appendBillRow appends payment row q of slot s, with figures f, as a
// bill line, with eol.
func (p *plan) appendBillRow(b []byte, s *slot, q *payRow, f *figures, r *rng, t *texts, eol string) []byte {
	b = p.appendRowHead(b, s, q, r)
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
	b = appendFen(b, f.settle) // 应结订单金额
	b = append(b, ",`"...)
	if q.status == payRefund {
		b = append(b, "0.00"...)
	} else {
		b = appendFen(b, q.coupon) // 代金券金额
	}
	b = append(b, ",`"...)
	if q.status == payRefund {
		b = p.appendRefundID(b, q)
		b = append(b, ",`TK"...) // 商户退款单号
		b = strconv.AppendUint(b, s.id, 10)
		b = append(b, ",`"...)
		b = appendFen(b, f.refund)
		b = append(b, ",`"...)
		b = appendFen(b, f.voucher)
		b = append(b, ",`ORIGINAL,`SUCCESS,`"...)
	} else {
		b = append(b, "0,`0,`0.00,`0.00,`,`,`"...)
	}
	b = append(b, t.goods[s.prod]...)
	b = append(b, ",`"...)
	b = append(b, t.attachs[r.intn(len(t.attachs))]...)
	b = append(b, ",`"...)
	b = appendFee(b, f.fee)
	b = append(b, ",`"...)
	b = append(b, p.rate...)
	b = append(b, ",`"...)
	b = appendFen(b, f.order)
	b = append(b, ",`"...)
	b = appendFen(b, f.requested)
	b = append(b, ",`"...)
	return append(b, eol...)
}

// appendRefundID appends the 微信退款单号 of refund row q: 50300, the day
// of the refund, the transaction's unique digits.
func (p *plan) appendRefundID(b []byte, q *payRow) []byte {
	refundDay := &p.days[2]
	if q.at < secPerDay {
		refundDay = &p.days[1]
	}
	b = append(b, "50300"...)
	b = append(b, refundDay.compact[:]...)
	b = append(b, "000000"...)
	return appendPadded(b, p.txNumber(q.tx), 10)
}

// plus returns the figures of bt and o added up, the rest of bt's.
func (bt BillTotals) plus(o *BillTotals) BillTotals {
	bt.Trades += o.Trades
	bt.Settlement += o.Settlement
	bt.Refunds += o.Refunds
	bt.VoucherRefunds += o.VoucherRefunds
	bt.Fees += o.Fees
	bt.OrderTotal += o.OrderTotal
	bt.RefundRequested += o.RefundRequested
	return bt
}

// add counts a row with figures f into the totals.
func (bt *BillTotals) add(f *figures) {
	bt.Trades++
	bt.Settlement += f.settle
	bt.Refunds += f.refund
	bt.VoucherRefunds += f.voucher
	bt.Fees += f.fee
	bt.OrderTotal += f.order
	bt.RefundRequested += f.requested
}

// appendSummary appends the summary line of a bill.
func appendSummary(b []byte, bt *BillTotals, eol string) []byte {
	b = append(b, '`')
	b = strconv.AppendInt(b, int64(bt.Trades), 10)
	b = append(b, ",`"...)
	b = appendFen(b, bt.Settlement)
	b = append(b, ",`"...)
	b = appendFen(b, bt.Refunds)
	b = append(b, ",`"...)
	b = appendFen(b, bt.VoucherRefunds)
	b = append(b, ",`"...)
	b = appendFee(b, bt.Fees)
	b = append(b, ",`"...)
	b = appendFen(b, bt.OrderTotal)
	b = append(b, ",`"...)
	b = appendFen(b, bt.RefundRequested)
	return append(b, eol...)
}

// billLayout is where the payment rows go: the sections, in the order of
// the files and within each file, and which section takes the rows of Day
// and which those of Day+1 (payRow.nextDay).
type billLayout struct {
	files    []string
	sections []sectionSpec
	route    [2]int
}

// sectionSpec is a section of a bill file.
type sectionSpec struct {
	file int  // index into billLayout.files
	day  int  // 0: Day's bill, 1: Day+1's
	cut  bool // truncated: it ends without its summary
}

// billLayout lays the bills out in dir: the day's bill
// (wechat_trade_all_YYYYMMDD.csv, or wechatpay_global_statement_….csv
// with Global) with every row, or with NextDayBill the
// rows dated after Day in the next day's bill, a file of its own; with
// PasteBills both bills in one file (wechat_trade_all_YYYYMMDD_YYYYMMDD.csv),
// the day's first, or last when it is truncated.
func (p *plan) billLayout(dir string) *billLayout {
	name := func(days ...int) string {
		n := "wechat_trade_all"
		if p.global {
			n = "wechatpay_global_statement"
		}
		for _, d := range days {
			n += "_" + string(p.days[d+1].compact[:])
		}
		return filepath.Join(dir, n+".csv")
	}
	cut := p.counts[TruncatedBill] > 0
	if p.spec.PasteBills {
		lay := &billLayout{files: []string{name(0, 1)}, sections: []sectionSpec{{day: 0, cut: cut}, {day: 1}}, route: [2]int{0, 1}}
		if cut {
			lay.sections[0], lay.sections[1] = lay.sections[1], lay.sections[0]
			lay.route = [2]int{1, 0}
		}
		return lay
	}
	lay := &billLayout{files: []string{name(0)}, sections: []sectionSpec{{file: 0, day: 0}}}
	if p.spec.NextDayBill {
		lay.files = append(lay.files, name(1))
		lay.sections = append(lay.sections, sectionSpec{file: 1, day: 1})
		lay.route[1] = 1
	}
	lay.sections[lay.route[0]].cut = cut
	return lay
}

// section is a section being written: the totals of its rows written, and
// of those deleted under its summary.
type section struct {
	sectionSpec
	out         *output
	pass        int // the pass over the slots that writes it: its place in its file
	bt, deleted BillTotals
}

// writeBills writes the payment rows of every slot, in slot (time) order,
// to their sections (see billLayout), each below its header and followed
// by its summary. The UTF-8 bills start with a BOM and end lines with
// CRLF, as downloaded by the API; the GBK ones end them with LF, as saved
// from the web console. Sections of one file are written one after the
// other, each in a pass over the slots of its own. It returns each
// section's totals, in layout order, and adds the money of every slot to
// mt.
func (p *plan) writeBills(lay *billLayout, outs []*output, t *texts, mt *moneyTally) []BillTotals {
	eol := "\r\n"
	if p.spec.GBK {
		eol = "\n"
	}
	secs := make([]section, len(lay.sections))
	passes := 0
	for k, sp := range lay.sections {
		secs[k] = section{sectionSpec: sp, out: outs[sp.file]}
		secs[k].bt.Date = p.spec.Day.AddDays(sp.day).String()
		secs[k].bt.File = lay.files[sp.file]
		for j := range k {
			if secs[j].file == sp.file {
				secs[k].pass++
			}
		}
		secs[k].bt.Section = secs[k].pass + 1
		passes = max(passes, secs[k].pass+1)
	}
	var s slot
	buf := make([]byte, 0, 8<<10)
	for pass := range passes {
		for k := range secs {
			if sec := &secs[k]; sec.pass == pass {
				if !p.spec.GBK && pass == 0 {
					sec.out.w.WriteString("\ufeff")
				}
				if p.global {
					sec.out.w.Write(t.globalHeader)
				} else {
					sec.out.w.Write(t.wechatHeader)
				}
			}
		}
		for i := 0; i < p.n; i++ {
			p.slot(i, &s)
			if pass == 0 {
				p.addSlotMoney(mt, &s)
			}
			for k := 0; k < s.npay; k++ {
				q := &s.pays[k]
				d := 0
				if q.nextDay {
					d = 1
				}
				sec := &secs[lay.route[d]]
				if sec.pass != pass {
					continue
				}
				f := p.rowFigures(q)
				switch q.lost {
				case lostCut:
					continue
				case lostDeleted:
					sec.deleted.add(&f)
					continue
				}
				r := s.r // every line of an order has the same buyer
				if p.global {
					buf = p.appendGlobalRow(buf[:0], &s, q, &f, &r, t, eol)
				} else {
					buf = p.appendBillRow(buf[:0], &s, q, &f, &r, t, eol)
				}
				sec.out.w.Write(buf)
				sec.out.rows++
				sec.bt.Rows++
				sec.bt.add(&f)
			}
		}
		for k := range secs {
			if sec := &secs[k]; sec.pass == pass && !sec.cut && !p.global {
				sec.bt = sec.bt.plus(&sec.deleted)
				sec.out.w.Write(t.wechatSummary)
				buf = appendSummary(buf[:0], &sec.bt, eol)
				sec.out.w.Write(buf)
				sec.bt.Summary, sec.bt.TiesOut = true, sec.deleted.Trades == 0
			}
		}
	}
	totals := make([]BillTotals, len(secs))
	for k := range secs {
		totals[k] = secs[k].bt
		totals[k].Deleted = secs[k].deleted.Trades
		if p.global && totals[k].Rows > 0 {
			totals[k].Currency = p.spec.Global
		}
	}
	return totals
}
