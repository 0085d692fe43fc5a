package batch

import (
	"errors"
	"fmt"
	"strings"

	"github.com/crossborder/reconcile/internal/top"
)

// declareAdvice says what to do about a refused declaration, for the codes
// the finance team meets; otherwise the general advice.
func declareAdvice(err error, customs string) string {
	var be *top.BusinessError
	code, state := "", ""
	if errors.As(err, &be) {
		code, state = be.Code, be.State
	} else if c, _ := platformCode(err); c != "" {
		code = c
	}
	switch {
	case code == "NO_AUTH":
		return fmt.Sprintf("商户尚未在海关 %s 备案：在微信支付商户平台完成该海关的备案，或在导出中改用已备案的海关，然后重跑", customs)
	case state == "EXCEPT" || strings.Contains(code, "EXCEPT"):
		return "海关接口异常，与订单数据无关：稍后重跑即可"
	case code == "PARAM_ERROR" || code == "CL_PARAM_ERROR":
		return "申报参数有误：核对订单号、支付单号、海关代码和金额后重跑"
	case strings.Contains(code, "isv.invalid-parameter"):
		return "平台认为参数无效：核对订单号、支付单号和海关代码后重跑"
	}
	return "按原因处理后，下次运行会重新申报"
}

// callbackAdvice says what to do about a refused callback.
func callbackAdvice(err error) string {
	var be *top.BusinessError
	if errors.As(err, &be) {
		switch be.Code {
		case "PARAM_NOT_NULL":
			return "缺少必填字段（幂等键）：在清关结果文件中补全后重跑"
		case "PARAM_ILLEGAL":
			return "字段取值无效（如清关状态）：修正清关结果文件后重跑"
		}
	}
	return "修正清关结果文件后重跑，下次运行会重新回传"
}

// platformCode formats a failure's code for the journal and the workbook:
// "15 isv.invalid-parameter", "NO_AUTH", "HTTP 502", "transport".
func platformCode(err error) (code, msg string) {
	var te *top.Error
	var be *top.BusinessError
	switch {
	case errors.As(err, &be):
		return be.Code, strings.TrimSpace(strings.Join(nonEmpty(be.Msg, be.Detail), "："))
	case errors.As(err, &te):
		switch {
		case te.Code != 0:
			code = fmt.Sprint(te.Code)
			if te.SubCode != "" {
				code += " " + te.SubCode
			}
			return code, strings.Join(nonEmpty(te.Msg, te.SubMsg), "：")
		case te.StatusCode != 0:
			return fmt.Sprintf("HTTP %d", te.StatusCode), te.Error()
		default:
			return "transport", te.Error()
		}
	case err != nil:
		return "error", err.Error()
	}
	return "", ""
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" && (len(out) == 0 || out[len(out)-1] != s) {
			out = append(out, s)
		}
	}
	return out
}

func requestID(err error) string {
	var te *top.Error
	var be *top.BusinessError
	switch {
	case errors.As(err, &be):
		return be.RequestID
	case errors.As(err, &te):
		return te.RequestID
	}
	return ""
}

// isBusiness reports whether err is a business refusal: a success envelope
// that says no (response_success false, msg_success false, …).
func isBusiness(err error) bool {
	var be *top.BusinessError
	return errors.As(err, &be)
}
