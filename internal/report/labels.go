package report

import (
	"strconv"
	"strings"

	"github.com/crossborder/reconcile/internal/reconcile"
)

// The Chinese names the workbook shows beside the platform's and the
// exports' codes. A code is always shown as it is, its name after it in
// full-width brackets ("HANGZHOU（杭州海关）"), so that nothing is lost when
// a name is missing or a guess, and a filter or a pivot by the cell still
// groups by code.

// withName shows a code and its Chinese name: "SUCCESS（申报成功）", or the
// code alone when the name is unknown or the code is empty.
func withName(code, name string) string {
	if code == "" || name == "" || name == code {
		return code
	}
	return code + "（" + name + "）"
}

// platformState shows a declaration's platform state with its Chinese
// name (reconcile.PlatformStateLabel).
func platformState(s string) string {
	if l := reconcile.PlatformStateLabel(s); l != s {
		return withName(s, l)
	}
	return s
}

// customsCities are the cities of the customs codes WeChat Pay declares
// to, by the code's first part: HANGZHOU, HANGZHOU_ZS, …
var customsCities = map[string]string{
	"BEIJING":   "北京",
	"CHONGQING": "重庆",
	"GUANGZHOU": "广州",
	"HANGZHOU":  "杭州",
	"NINGBO":    "宁波",
	"SHANGHAI":  "上海",
	"SHENZHEN":  "深圳",
	"TIANJIN":   "天津",
	"XIAN":      "西安",
	"ZHENGZHOU": "郑州",
}

// customsVariants name the suffixes of the customs codes that are known
// (docs/protocol.md lists the codes): GUANGZHOU_ZS is the General
// Administration's interface at Guangzhou, and so on.
var customsVariants = map[string]string{
	"ZS":    "总署版",
	"BS":    "保税物流中心",
	"ZH_ZS": "综保区，总署版",
	"HP_GJ": "黄埔国检",
	"NS_GJ": "南沙国检",
}

// customsName returns the Chinese name of a customs code: "杭州海关" for
// HANGZHOU, "郑州海关·保税物流中心" for ZHENGZHOU_BS, "海关总署" for
// ZONGSHU; the city's customs alone for a suffix it does not know; "" for
// a code it does not know.
func customsName(code string) string {
	switch code {
	case "ZONGSHU":
		return "海关总署"
	case "NO":
		return "无需申报海关"
	}
	city, suffix, _ := strings.Cut(code, "_")
	name, ok := customsCities[city]
	if !ok {
		return ""
	}
	name += "海关"
	if v, ok := customsVariants[suffix]; ok {
		name += "·" + v
	}
	return name
}

// customs shows a customs code with its name.
func customs(code string) string { return withName(code, customsName(code)) }

// variantNames name the layouts of the exports the reader recognises
// (ingest's Info.Variant).
var variantNames = map[string]string{
	"tmall":          "天猫订单导出",
	"wechat-all":     "微信支付账单·全部交易",
	"wechat-success": "微信支付账单·成功交易",
	"wechat-refund":  "微信支付账单·退款",
	"wechat-global":  "WeChat Pay Global 账单",
	"plain":          "通用格式",
}

// variantLabel shows an export's variant with its name.
func variantLabel(v string) string { return withName(v, variantNames[v]) }

// platformCodes name the platform's failure codes the finance team meets:
// the declaration's error codes, the callback's msg_code, TOP's sub codes
// and the client's own ("HTTP 502", "transport").
var platformCodes = map[string]string{
	"NO_AUTH":                            "商户未在该海关备案",
	"PARAM_ERROR":                        "参数错误",
	"CL_PARAM_ERROR":                     "参数错误",
	"PARAM_NOT_NULL":                     "必填参数为空",
	"PARAM_ILLEGAL":                      "参数取值不合法",
	"isv.invalid-parameter":              "参数无效",
	"isv.missing-parameter":              "缺少参数",
	"isv.invalid-permission":             "没有权限",
	"isp.timeout":                        "平台超时",
	"isp.unknown-error":                  "平台未知错误",
	"isp.remote-service-error":           "平台服务出错",
	"isp.top-remote-connection-timeout":  "平台连接超时",
	"isp.top-remote-service-unavailable": "平台服务暂不可用",
	"transport":                          "网络错误",
}

// topCodes name TOP's numeric error codes (docs/protocol.md).
var topCodes = map[int]string{
	7:  "调用次数超限",
	10: "服务暂不可用",
	11: "应用没有接口权限",
	12: "用户权限不足",
	13: "授权权限不足",
	15: "远程服务出错",
	25: "签名无效",
	26: "缺少授权",
	27: "授权无效或已过期",
	28: "缺少 App Key",
	29: "App Key 无效",
	31: "时间戳无效",
	40: "缺少必选参数",
	41: "参数无效",
	50: "远程服务出错",
}

// platformCodeName returns the Chinese name of a failure's code as the
// job records it: "NO_AUTH", "15 isv.invalid-parameter" (TOP's code and
// sub code; the sub code's name wins), "isv.invalid-parameter:customs"
// (a sub code with the parameter), "HTTP 502"; "" when unknown.
func platformCodeName(code string) string {
	code = strings.TrimSpace(code)
	if code == "" {
		return ""
	}
	if n, ok := platformCodes[code]; ok {
		return n
	}
	if rest, ok := strings.CutPrefix(code, "HTTP "); ok {
		if _, err := strconv.Atoi(rest); err == nil {
			return "网关返回 HTTP 错误"
		}
	}
	num, sub, hasSub := strings.Cut(code, " ")
	n, err := strconv.Atoi(num)
	if err == nil && strconv.Itoa(n) != num { // "0012", "+12": not as the job writes a code
		return ""
	}
	if err != nil {
		sub, hasSub = code, true
	}
	if hasSub {
		base, _, _ := strings.Cut(sub, ":")
		if name, ok := platformCodes[base]; ok {
			return name
		}
	}
	if err == nil {
		return topCodes[n]
	}
	return ""
}

// platformCode shows a failure's code with its name.
func platformCode(code string) string { return withName(code, platformCodeName(code)) }

// clearanceResult shows a clearance result code with what it means: the
// platform's codes starting 000 are released, 100 failed.
func clearanceResult(code string) string {
	switch {
	case strings.HasPrefix(code, "000"):
		return withName(code, "放行")
	case strings.HasPrefix(code, "100"):
		return withName(code, "清关失败")
	}
	return code
}

// amountMeaning says, per code, what the 涉及金额 of its exceptions is (and
// 应为/实际 where it has them), so that amounts that mean different things
// are never added up. It is "" for a code whose exceptions carry no
// amount at stake.
func amountMeaning(c reconcile.Code) (meaning string, hasAmount bool) {
	switch c {
	case reconcile.InputInvalid:
		return "订单总金额；无法读取的行没有金额", true
	case reconcile.OrderDuplicate:
		return "订单总金额；应为/实际＝两份导出的订单总金额", true
	case reconcile.FeeMismatch:
		return "订单总金额；应为＝货款＋邮费，实际＝订单总金额", true
	case reconcile.PaymentMissing, reconcile.MaterialsInvalid:
		return "订单总金额", true
	case reconcile.LimitExceeded:
		return "订单总金额；应为＝限额，实际＝订单总金额（单笔）或买家本年度累计含本单（年度）", true
	case reconcile.DeclareStuck:
		return "订单总金额（申报金额）", true
	case reconcile.PaymentDuplicate:
		return "订单总金额；“其他交易号”是应退的一笔", true
	case reconcile.AmountMismatch:
		return "订单总金额；应为＝订单总金额，实际＝支付金额", true
	case reconcile.PaymentRefunded:
		return "订单总金额；应为＝原支付，实际＝退款", true
	case reconcile.PaymentOrphan:
		return "支付金额（没有对应的订单）", true
	case reconcile.DeclareRejected, reconcile.DeclareConflict, reconcile.DeclareError:
		return "订单总金额（申报金额）", true
	case reconcile.CallbackInvalid, reconcile.CallbackRejected, reconcile.CallbackError:
		return "无金额（清关回传）", false
	case reconcile.BillMismatch:
		return "无；应为＝汇总行，实际＝各行合计", false
	case reconcile.ServiceFeeMismatch:
		return "无（手续费差额见“说明”）", false
	}
	return "", true
}

// orderAmount reports whether the amount at stake of an exception of code
// c is an order's total (order_fee), which the headline may add up; a
// PAYMENT_ORPHAN's is a payment's, added up apart.
func orderAmount(c reconcile.Code) bool {
	if c == reconcile.PaymentOrphan {
		return false
	}
	_, has := amountMeaning(c)
	return has && c.Known()
}

// named remembers the names shown beside codes, a workbook's few codes
// looked up once each: a column of a hundred thousand rows repeats them.
type named struct {
	cache map[namedKey]string
}

type namedKey struct {
	fn   int
	code string
}

// The functions named remembers.
const (
	namedCustoms = iota
	namedPlatformCode
)

// maxNamed bounds named's cache; codes beyond it are looked up each time.
const maxNamed = 4096

func (n *named) of(fn int, code string, f func(string) string) string {
	k := namedKey{fn, code}
	if s, ok := n.cache[k]; ok {
		return s
	}
	s := f(code)
	if n.cache == nil {
		n.cache = map[namedKey]string{}
	}
	if len(n.cache) < maxNamed {
		n.cache[k] = s
	}
	return s
}

func (n *named) customs(code string) string { return n.of(namedCustoms, code, customs) }

func (n *named) platformCode(code string) string { return n.of(namedPlatformCode, code, platformCode) }
