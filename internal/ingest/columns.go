package ingest

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// colSpec is one canonical column: its name, its aliases in order of
// preference (when a header has several, the earliest alias wins; the
// canonical name comes first of all) and whether it must be present.
type colSpec struct {
	name     string
	aliases  []string
	required bool
	typ      colType
}

// colType is what a column holds.
type colType uint8

const (
	colText colType = iota
	colID
	colAmount
	colTime
)

// The canonical columns of each kind, in canonical order, with the aliases
// of docs/formats.md#headers-and-aliases.
var (
	orderCols = []colSpec{
		{"order_id", []string{"订单编号", "订单号", "主订单编号"}, true, colID},
		{"product_fee", []string{"买家应付货款", "商品金额", "货款"}, true, colAmount},
		{"transport_fee", []string{"买家应付邮费", "邮费", "运费"}, true, colAmount},
		{"order_fee", []string{"总金额", "订单金额", "应付金额"}, true, colAmount},
		{"customs", []string{"海关", "海关代码", "申报海关"}, false, colText},
		{"paid_at", []string{"订单付款时间", "付款时间", "支付时间"}, false, colTime},
		{"status", []string{"订单状态"}, false, colText},
		{"buyer_name", []string{"买家姓名", "订购人姓名"}, false, colText},
		{"buyer_id_no", []string{"买家身份证号", "订购人证件号", "身份证号"}, false, colText},
	}
	paymentCols = []colSpec{
		{"transaction_id", []string{"微信订单号", "微信支付单号", "支付单号"}, true, colID},
		{"order_id", []string{"商户订单号", "订单编号"}, true, colID},
		// A WeChat Pay Global statement's 应结订单金额 is in the settlement
		// currency: the buyer's payment in CNY is 用户支付金额, first.
		{"amount", []string{"用户支付金额", "订单金额", "应结订单金额", "总金额", "支付金额"}, true, colAmount},
		{"paid_at", []string{"交易时间", "支付时间"}, false, colTime},
		{"status", []string{"交易状态"}, false, colText},
		// A Global statement's refund to the buyer in CNY is 用户退款金额
		// (申请退款金额 is in the price currency).
		{"refund_amount", []string{"用户退款金额", "申请退款金额", "退款金额"}, false, colAmount},
		// The figures of a WeChat bill, for its tie-out and the day's money.
		{"settlement", []string{"应结订单金额", "总金额"}, false, colAmount},
		{"order_amount", []string{"订单金额"}, false, colAmount},
		// A Global statement's refund in the settlement currency is
		// 退款应结订单金额.
		{"refund", []string{"退款金额", "退款应结订单金额"}, false, colAmount},
		{"voucher_refund", []string{"充值券退款金额", "代金券或立减优惠退款金额"}, false, colAmount},
		{"requested_refund", []string{"申请退款金额"}, false, colAmount},
		{"service_fee", []string{"手续费"}, false, colAmount},
		{"fee_rate", []string{"费率"}, false, colText},
		{"refund_id", []string{"微信退款单号"}, false, colText},
		{"pay_currency", []string{"用户支付币种"}, false, colText},
		{"refund_currency", []string{"用户退款币种"}, false, colText},
		{"settle_currency", []string{"结算币种"}, false, colText},
	}
	clearanceCols = []colSpec{
		{"order_id", []string{"订单号", "订单编号"}, true, colID},
		{"idempotent", []string{"幂等键", "实名幂等键"}, true, colText},
		{"clearance_status", []string{"清关状态"}, true, colText},
		{"clearance_result_code", []string{"清关结果编码", "结果编码"}, false, colText},
		{"clearance_port_no", []string{"清关口岸代码", "口岸代码"}, false, colText},
		{"clearance_time", []string{"清关时间"}, false, colTime},
		{"customs_pass_no", []string{"清单编号", "海关放行清单编号"}, false, colText},
		{"customs_return_receipt", []string{"海关回执", "回执"}, false, colText},
	}
)

// Indexes into the column specs above, used by the record builders.
const (
	oOrderID = iota
	oProductFee
	oTransportFee
	oOrderFee
	oCustoms
	oPaidAt
	oStatus
	oBuyerName
	oBuyerIDNo
)

const (
	pTransactionID = iota
	pOrderID
	pAmount
	pPaidAt
	pStatus
	pRefundAmount
	pSettlement
	pOrderAmount
	pRefund
	pVoucherRefund
	pRequestedRefund
	pServiceFee
	pFeeRate
	pRefundID
	pPayCurrency
	pRefundCurrency
	pSettleCurrency
)

const (
	cOrderID = iota
	cIdempotent
	cStatus
	cResultCode
	cPortNo
	cTime
	cPassNo
	cReceipt
)

func specsFor(k Kind) []colSpec {
	switch k {
	case Orders:
		return orderCols
	case Payments:
		return paymentCols
	case Clearances:
		return clearanceCols
	}
	return nil
}

// cleanHeader trims what exports put around header names: spaces
// (full-width U+3000 and U+00A0 too), tabs, a BOM, = and quotes, and a
// leading backtick.
func cleanHeader(s string) string {
	return strings.TrimFunc(s, func(r rune) bool {
		switch r {
		case ' ', '\t', '\r', '\n', '\u3000', '\u00a0', '\ufeff', '=', '"', '\'', '`':
			return true
		}
		return false
	})
}

// headerKey is the form header names are compared in: cleaned, and for
// ASCII names lower-cased with spaces and hyphens as underscores, so that
// "Order ID" and "order-id" find order_id.
func headerKey(s string) string {
	s = cleanHeader(s)
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if !ascii {
		return s
	}
	b := []byte(strings.ToLower(s))
	for i, c := range b {
		if c == ' ' || c == '-' {
			b[i] = '_'
		}
	}
	return string(b)
}

// mapping is where each canonical column of a kind sits in a row: idx[i]
// is the 0-based field of specs[i], or -1 when the column is absent.
type mapping struct {
	specs   []colSpec
	idx     []int
	headers []string // the cleaned header of each field
	maxIdx  int      // the highest field index used
}

// mapHeader maps a header row to the canonical columns of kind. A missing
// required column is an error naming the column, its aliases and the
// headers found.
func mapHeader(kind Kind, headers []string) (*mapping, error) {
	specs := specsFor(kind)
	m := &mapping{specs: specs, idx: make([]int, len(specs)), headers: headers, maxIdx: -1}
	pos := make(map[string]int, len(headers))
	for i, h := range headers {
		k := headerKey(h)
		if _, dup := pos[k]; !dup && k != "" {
			pos[k] = i
		}
	}
	var missing []string
	for i, sp := range specs {
		m.idx[i] = -1
		for _, name := range append([]string{sp.name}, sp.aliases...) {
			if p, ok := pos[name]; ok {
				m.idx[i] = p
				m.maxIdx = max(m.maxIdx, p)
				break
			}
		}
		if m.idx[i] < 0 && sp.required {
			missing = append(missing, fmt.Sprintf("%s (one of: %s)", sp.name, strings.Join(append([]string{sp.name}, sp.aliases...), ", ")))
		}
	}
	if len(missing) > 0 {
		col := "column"
		if len(missing) > 1 {
			col = "columns"
		}
		return nil, fmt.Errorf("missing required %s %s; headers found: %s", col, strings.Join(missing, "; "), quoteList(headers))
	}
	return m, nil
}

func quoteList(hs []string) string {
	var b strings.Builder
	for i, h := range hs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(h)
	}
	if len(hs) == 0 {
		return "(none)"
	}
	return b.String()
}

// header returns the header of canonical column i as found in the file, or
// the canonical name when the column is absent.
func (m *mapping) header(i int) string {
	if p := m.idx[i]; p >= 0 {
		return m.headers[p]
	}
	return m.specs[i].name
}

// columns lists the canonical columns found, in canonical order.
func (m *mapping) columns() []Column {
	var cols []Column
	for i, sp := range m.specs {
		if p := m.idx[i]; p >= 0 {
			cols = append(cols, Column{Canonical: sp.name, Header: m.headers[p], Index: p})
		}
	}
	return cols
}

// variant names the layout of a header; see the package documentation.
func variant(kind Kind, headers []string) string {
	has := make(map[string]bool, len(headers))
	for _, h := range headers {
		has[headerKey(h)] = true
	}
	switch {
	case kind == Orders && has["订单编号"] && (has["买家会员名"] || has["买家应付货款"]):
		return "tmall"
	case has["微信订单号"] && has["商户订单号"]:
		switch {
		case has["用户支付金额"] && has["结算币种"]:
			return "wechat-global"
		case has["退款申请时间"] || has["退款成功时间"]:
			return "wechat-refund"
		case has["微信退款单号"] || has["退款金额"]:
			return "wechat-all"
		default:
			return "wechat-success"
		}
	}
	return "plain"
}
