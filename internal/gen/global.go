package gen

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// The WeChat Pay Global statement (境外商户, /v3/global/statements), what an
// overseas merchant gets in place of the ALL bill: 38 columns, the same
// backticks. The buyer pays CNY (用户支付金额, matched and declared); the
// merchant is settled in its currency (结算币种): 应结订单金额, 手续费 and a
// refund's 退款应结订单金额 are in it. Tmall prices in CNY, so 标价币种 is
// CNY and 订单金额(标价币种) and 申请退款金额 are CNY too. Its summary
// layout is not documented: the generator writes none.

// globalHeader is the header of a WeChat Pay Global statement, 38 columns.
const globalHeader = "交易时间,公众账号ID,商户号,子商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,充值券币种,充值券金额,优惠券币种,优惠券金额,微信退款单号,商户退款单号,退款类型,退款状态,商品名称,商户数据包,手续费,费率,标价币种,订单金额(标价币种),用户支付币种,用户支付金额,结算币种,应结订单金额,支付汇率,退款汇率,申请退款金额,用户退款币种,用户退款金额,退款结算币种,退款应结订单金额,充值券退款金额,优惠券退款金额"

// settleRates are the settlement currencies Spec.Global takes, each with
// the exchange rate the night is settled at: millionths of the currency
// per yuan. Only currencies with hundredths: an amount's two decimals.
var settleRates = map[string]int64{
	"HKD": 1_082_100, "MOP": 1_114_500, "USD": 139_000, "EUR": 128_500, "GBP": 110_200,
	"AUD": 214_300, "NZD": 236_900, "SGD": 186_700, "CAD": 194_800, "CHF": 122_600,
}

// SettleCurrencies returns the currencies Spec.Global takes, sorted.
func SettleCurrencies() []string {
	out := make([]string, 0, len(settleRates))
	for c := range settleRates {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// checkGlobal checks Spec.Global.
func checkGlobal(currency string) error {
	if _, ok := settleRates[currency]; currency != "" && !ok {
		return fmt.Errorf("global: settlement currency %q: want one of %s", currency, strings.Join(SettleCurrencies(), ", "))
	}
	return nil
}

// settled returns what cny fen settle, in hundredths of the settlement
// currency (the plan's rate, rounded half up): cny itself for a CNY bill.
func (p *plan) settled(cny int64) int64 { return (cny*p.fx + 500_000) / 1_000_000 }

// unsettled returns the least CNY amount (fen) that settles s or more.
func (p *plan) unsettled(s int64) int64 {
	return max(0, (s*1_000_000-500_000+p.fx-1)/p.fx)
}

// appendGlobalRow appends payment row q of slot s, with figures f, as a
// line of a Global statement, with eol: as appendBillRow, the amounts in
// the columns of the Global statement.
func (p *plan) appendGlobalRow(b []byte, s *slot, q *payRow, f *figures, r *rng, t *texts, eol string) []byte {
	b = p.appendRowHead(b, s, q, r) // 子商户号 where the bill has 特约商户号
	refund := q.status == payRefund
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
	b = append(b, ",`,`0.00,`,`0.00,`"...) // 充值券币种, 充值券金额, 优惠券币种, 优惠券金额
	if refund {
		b = p.appendRefundID(b, q)
		b = append(b, ",`TK"...) // 商户退款单号
		b = strconv.AppendUint(b, s.id, 10)
		b = append(b, ",`ORIGINAL,`SUCCESS,`"...)
	} else {
		b = append(b, "0,`0,`,`,`"...)
	}
	b = append(b, t.goods[s.prod]...)
	b = append(b, ",`"...)
	b = append(b, t.attachs[r.intn(len(t.attachs))]...)
	b = append(b, ",`"...)
	b = appendFee(b, f.fee)
	b = append(b, ",`"...)
	b = append(b, p.rate...)
	b = append(b, ",`CNY,`"...) // 标价币种
	b = appendFen(b, f.order)   // 订单金额(标价币种)
	b = append(b, ",`CNY,`"...)
	b = appendFen(b, f.order) // 用户支付金额
	b = append(b, ",`"...)
	b = append(b, p.spec.Global...) // 结算币种
	b = append(b, ",`"...)
	b = appendFen(b, f.settle) // 应结订单金额
	b = append(b, ",`"...)
	if !refund {
		b = append(b, p.fxText...) // 支付汇率
		b = append(b, ",`,`0.00,`,`0.00,`,`0.00,`0.00,`0.00"...)
		return append(b, eol...)
	}
	b = append(b, ",`"...)
	b = append(b, p.fxText...) // 退款汇率
	b = append(b, ",`"...)
	b = appendFen(b, f.requested) // 申请退款金额
	b = append(b, ",`CNY,`"...)
	b = appendFen(b, f.requested) // 用户退款金额
	b = append(b, ",`"...)
	b = append(b, p.spec.Global...) // 退款结算币种
	b = append(b, ",`"...)
	b = appendFen(b, f.refund) // 退款应结订单金额
	b = append(b, ",`0.00,`0.00"...)
	return append(b, eol...)
}

// fxText returns a rate in millionths with its six decimals: 1.082100.
func fxText(fx int64) string {
	return strconv.FormatInt(fx/1_000_000, 10) + "." + fmt.Sprintf("%06d", fx%1_000_000)
}
