package reconcile

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/crossborder/reconcile/internal/cst"
	"github.com/crossborder/reconcile/internal/idcard"
)

// noExpiry is how the platform writes an ID card that does not expire.
const noExpiry = "长期"

// Materials are a buyer's clearance materials as the platform holds them
// (tmall.hk.clearance.distribution.get): the name and ID number read from
// the ID card, and its expiry, yyyyMMdd or 长期.
type Materials struct {
	Name   string
	IDNo   string
	Expiry string
}

// MaterialsProblem returns why a buyer's clearance materials cannot be
// used, or "" when they can: none on the platform (m is nil), an ID number that fails
// GB 11643 or has an impossible birth date, an expiry before the run date,
// or a name or ID number that differs from the order's buyer columns where
// the export has them. The reason names the ID number and the name only
// masked.
func MaterialsProblem(m *Materials, buyerName, buyerIDNo string, today cst.Date) string {
	if m == nil || strings.TrimSpace(m.IDNo) == "" {
		return "平台上没有这笔订单的清关材料（身份证信息）"
	}
	id := strings.TrimSpace(m.IDNo)
	masked := idcard.MaskID(id)
	if err := idcard.Check(id, today.Start().Add(24*time.Hour-time.Second)); err != nil {
		switch {
		case errors.Is(err, idcard.ErrBirthDate):
			return fmt.Sprintf("清关材料的身份证号 %s 出生日期不存在或不合理", masked)
		case errors.Is(err, idcard.ErrCheckChar):
			return fmt.Sprintf("清关材料的身份证号 %s 校验位错误（GB 11643）", masked)
		default:
			return fmt.Sprintf("清关材料的身份证号 %s 格式错误：应为18位，末位为数字或大写X", masked)
		}
	}
	switch exp := strings.TrimSpace(m.Expiry); {
	case exp == noExpiry:
	case exp == "":
		return fmt.Sprintf("清关材料（身份证号 %s）没有有效期", masked)
	default:
		t, err := time.ParseInLocation("20060102", exp, cst.Zone)
		if err != nil {
			return fmt.Sprintf("清关材料（身份证号 %s）的有效期 %q 无法识别：应为 yyyyMMdd 或“长期”", masked, exp)
		}
		if d := cst.DateOf(t); d.Before(today) {
			return fmt.Sprintf("身份证 %s 已于 %s 过期", masked, d)
		}
	}
	if buyerIDNo = strings.TrimSpace(buyerIDNo); buyerIDNo != "" && !maskedEqual(buyerIDNo, id, true) {
		return fmt.Sprintf("订单的买家身份证号 %s 与清关材料的 %s 不一致", idcard.MaskID(buyerIDNo), masked)
	}
	if buyerName = strings.TrimSpace(buyerName); buyerName != "" && !maskedEqual(buyerName, strings.TrimSpace(m.Name), false) {
		return fmt.Sprintf("订单的买家姓名 %s 与清关材料的 %s 不一致", idcard.MaskName(buyerName), idcard.MaskName(m.Name))
	}
	return ""
}

// maskedEqual reports whether the export's value a, which may be masked
// with '*' (3101**********1234, 张*), agrees with the platform's value b:
// every unmasked rune of a equals b's rune at the same place. A masked
// name may hide any number of runes behind a trailing run of '*'. ID
// numbers compare without regard to the case of the check character.
func maskedEqual(a, b string, idNumber bool) bool {
	if idNumber {
		a, b = strings.ToUpper(a), strings.ToUpper(b)
	}
	if !strings.Contains(a, "*") {
		return a == b
	}
	ra, rb := []rune(a), []rune(b)
	if len(ra) != len(rb) {
		// 张* for 张三丰: a masked name may collapse the hidden runes.
		if idNumber || len(ra) > len(rb) || !strings.HasSuffix(a, "*") {
			return false
		}
		prefix := strings.TrimRight(a, "*")
		return strings.HasPrefix(b, prefix)
	}
	for i := range ra {
		if ra[i] != '*' && ra[i] != rb[i] {
			return false
		}
	}
	return true
}
