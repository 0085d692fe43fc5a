package reconcile

import (
	"strings"
	"testing"

	"github.com/crossborder/reconcile/internal/cst"
)

func TestMaterialsProblem(t *testing.T) {
	today, _ := cst.ParseDate("2026-11-22")
	const valid = "11010519491231002X" // a valid GB 11643 number
	m := func(name, id, exp string) *Materials {
		return &Materials{Name: name, IDNo: id, Expiry: exp}
	}
	tests := []struct {
		name      string
		m         *Materials
		buyerName string
		buyerIDNo string
		want      string // substring of the reason; "" means usable
	}{
		{"usable", m("张三", valid, "20301231"), "", "", ""},
		{"no expiry", m("张三", valid, "长期"), "", "", ""},
		{"expires today", m("张三", valid, "20261122"), "", "", ""},
		{"expired yesterday", m("张三", valid, "20261121"), "", "", "身份证 1101**********002X 已于 2026-11-21 过期"},
		{"none on the platform", nil, "", "", "平台上没有这笔订单的清关材料"},
		{"empty id", m("张三", "", "20301231"), "", "", "平台上没有这笔订单的清关材料"},
		{"check character", m("张三", "110105194912310021", "20301231"), "", "", "1101**********0021 校验位错误"},
		{"lower-case x", m("张三", "11010519491231002x", "20301231"), "", "", "格式错误"},
		{"impossible birth date", m("张三", "110105194902300027", "20301231"), "", "", "出生日期不存在或不合理"},
		{"too short", m("张三", "1101051949", "20301231"), "", "", "格式错误"},
		{"expiry not a date", m("张三", valid, "2030-12-31"), "", "", `有效期 "2030-12-31" 无法识别`},
		{"no expiry given", m("张三", valid, ""), "", "", "没有有效期"},
		{"name differs", m("张三", valid, "长期"), "李四", "", "订单的买家姓名 李* 与清关材料的 张* 不一致"},
		{"id differs", m("张三", valid, "长期"), "", "110101199003074514", "订单的买家身份证号 1101**********4514 与清关材料的 1101**********002X 不一致"},
		{"masked export name agrees", m("张三丰", valid, "长期"), "张*", "", ""},
		{"masked export name agrees rune by rune", m("张三丰", valid, "长期"), "张**", "", ""},
		{"masked export name differs", m("张三丰", valid, "长期"), "李*", "", "不一致"},
		{"masked export id agrees", m("张三", valid, "长期"), "", "1101**********002X", ""},
		{"masked export id differs", m("张三", valid, "长期"), "", "3101**********002X", "不一致"},
		{"export id with lower-case x agrees", m("张三", valid, "长期"), "张三", "11010519491231002x", ""},
	}
	for _, tt := range tests {
		got := MaterialsProblem(tt.m, tt.buyerName, tt.buyerIDNo, today)
		switch {
		case tt.want == "" && got != "":
			t.Errorf("%s: reason %q, want usable", tt.name, got)
		case tt.want != "" && !strings.Contains(got, tt.want):
			t.Errorf("%s: reason %q, want it to contain %q", tt.name, got, tt.want)
		}
		// Personal data never appears unmasked.
		for _, secret := range []string{valid, "110105194912310021", "110101199003074514", "张三", "李四"} {
			if strings.Contains(got, secret) {
				t.Errorf("%s: reason %q shows %q unmasked", tt.name, got, secret)
			}
		}
	}
}
