package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/crossborder/reconcile/internal/idcard"
	"github.com/crossborder/reconcile/internal/ingest"
)

var update = flag.Bool("update", false, "rewrite samples/ from its generator")

// The samples are one night (2026-11-20) of a fictional store, 某某海外旗舰店,
// exported the ways finance staff export them. Every name and ID number is
// made up; ID numbers pass the GB 11643 check. They are generated here, so
// that their bytes (GBK, BOM, CRLF, XLSX) are reproducible and documented;
// TestSamplesAreCurrent fails when a committed sample drifts from this code
// (go test ./cmd/reconcile -run TestSamplesAreCurrent -update rewrites them).

const samplesDir = "../../samples"

func sampleID(n int) string { return fmt.Sprint(5118609024991031600 + n) }
func sampleTx(day, n int) string {
	return fmt.Sprintf("42000020261120%02d%012d", day, n)
}

// validID returns a made-up ID number that passes GB 11643, with the given
// region and birth date, and a sequence chosen so that it ends with last
// (0-9 or X).
func validID(region, birth string, last byte) string {
	for seq := 0; seq < 1000; seq++ {
		first := fmt.Sprintf("%s%s%03d", region, birth, seq)
		if c, _ := idcard.CheckChar(first); c == last {
			return first + string(c)
		}
	}
	panic("no sequence")
}

var tmallColumns = []string{"订单编号", "买家会员名", "买家支付宝账号", "买家应付货款", "买家应付邮费", "买家支付积分", "总金额", "返点积分",
	"买家实际支付金额", "买家实际支付积分", "订单状态", "买家留言", "收货人姓名", "收货地址 ", "运送方式", "联系电话 ", "联系手机",
	"订单创建时间", "订单付款时间 ", "宝贝标题 ", "宝贝种类 ", "物流单号 ", "物流公司", "订单备注", "宝贝总数量", "店铺Id", "店铺名称",
	"订单关闭原因", "卖家服务费", "买家服务费", "发票抬头", "是否手机订单", "分阶段订单信息", "特权订金订单id", "是否上传合同照片",
	"是否上传小票", "是否代付", "定金排名", "修改后的sku", "修改后的收货地址"}

type sampleOrder struct {
	id                        string // as written in the export
	product, transport, total string
	status, paid, title       string
}

func tmallSampleRow(o sampleOrder) string {
	created := "2026-11-20 08:00:00"
	if o.paid != "" {
		created = o.paid
	}
	amount := func(s string) string {
		if strings.Contains(s, ",") {
			return `"` + s + `"`
		}
		return s
	}
	cols := []string{o.id, "tb_buyer_" + o.id[len(o.id)-3:], "138****" + o.id[len(o.id)-4:], amount(o.product), amount(o.transport), "0", amount(o.total), "0",
		amount(o.total), "0", o.status, "", "张*", `"上海市 浦东新区, 张江路 ***号"`, "快递", "", "138****0000",
		created, o.paid, `"` + o.title + `"`, "1", `=""`, "", "", "1", "62019876", "某某海外旗舰店",
		"", "0", "0", "", "手机订单", "", "", "否", "否", "否", "", "", ""}
	return strings.Join(cols, ",")
}

func quoted(id string) string { return `="` + id + `"` }

func sampleTmall() []byte {
	orders := []sampleOrder{
		{quoted(sampleID(1)), "238.00", "0.00", "238.00", "买家已付款，等待卖家发货", "2026-11-20 08:12:45", "a2奶粉 900g 3段"},
		{quoted(sampleID(2)), "129.00", "10.00", "139.00", "买家已付款，等待卖家发货", "2026-11-20 09:03:10", "Swisse 钙片 150粒"},
		{quoted(sampleID(3)), "1,099.00", "0.00", "1,099.00", "卖家已发货，等待买家确认", "2026/11/20 09:41", "Dyson 吹风机"},
		{quoted(sampleID(4)), "89.00", "10.00", "109.00", "买家已付款，等待卖家发货", "2026-11-20 10:15:00", "面膜 10片装"},
		{quoted(sampleID(5)), "59.90", "0.00", "59.90", "买家已付款，等待卖家发货", "2026-11-20 10:20:31", "牙膏 3支"},
		{quoted(sampleID(6)), "199.00", "0.00", "199.00", "买家已付款，等待卖家发货", "2026-11-20 11:02:17", "鱼油 400粒"},
		{quoted(sampleID(7)), "458.00", "0.00", "458.00", "买家已付款，等待卖家发货", "2026-11-20 12:30:00", "精华液 50ml"},
		{quoted(sampleID(8)), "76.00", "6.00", "82.00", "交易成功", "2026-11-20 13:45:09", "维生素C 泡腾片"},
		{quoted(sampleID(9)), "35.00", "0.00", "35.00", "买家已付款，等待卖家发货", "2026-11-20 23:59:41", "唇膏"},
		{quoted(sampleID(10)), "268.00", "0.00", "268.00", "等待买家付款", "", "奶粉 800g"},
		{quoted(sampleID(11)), "99.00", "0.00", "99.00", "交易关闭", "", "洗发水"},
		{"5.11860902499103E+18", "168.00", "0.00", "168.00", "买家已付款，等待卖家发货", "2026-11-20 14:10:00", "护手霜套装"},
		{quoted(sampleID(13)), "12.345", "0.00", "12.345", "买家已付款，等待卖家发货", "2026-11-20 14:20:00", "小样"},
		{quoted(sampleID(14)), "320.00", "0.00", "320.00", "买家已付款，等待卖家发货", "2026-11-20 15:00:00", "益生菌 60袋"},
		{quoted(sampleID(15)), "150.00", "0.00", "150.00", "买家已付款，等待卖家发货", "2026-11-20 15:30:00", "蛋白粉"},
		{quoted(sampleID(16)), "88.00", "0.00", "88.00", "买家已付款，等待卖家发货", "2026-11-20 16:00:00", "叶黄素"},
		{quoted(sampleID(19)), "520.00", "0.00", "520.00", "买家已付款，等待卖家发货", "2026-11-20 17:45:00", "香水 100ml"},
		{quoted(sampleID(20)), "66.60", "0.00", "66.60", "买家已付款，等待卖家发货", "2026-11-20 18:18:18", "眼霜"},
	}
	lines := []string{strings.Join(tmallColumns, ",")}
	for _, o := range orders {
		lines = append(lines, tmallSampleRow(o))
	}
	b, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(strings.Join(lines, "\r\n") + "\r\n"))
	if err != nil {
		panic(err)
	}
	return b
}

// The buyers of the orders that carry buyer columns (the 千牛 workbench
// export masks them), and the materials the sandbox serves for them.
var (
	buyerID14 = validID("310101", "19900101", '4')
	buyerID17 = validID("440106", "19880808", '8')
	buyerID18 = validID("120101", "19751231", '1')
	buyerID21 = validID("330106", "19950315", '2')
	otherID17 = validID("440106", "19920202", '5') // what the platform holds for 17: another person
	expired16 = validID("110105", "19850505", '3')
)

func sampleWorkbench(path string) error {
	f := excelize.NewFile()
	defer f.Close()
	sheet := "订单列表"
	f.SetSheetName(f.GetSheetName(0), sheet)
	dateStyle, _ := f.NewStyle(&excelize.Style{NumFmt: 22})
	at := func(h, m int) time.Time { return time.Date(2026, 11, 20, h, m, 0, 0, time.UTC) }
	rows := [][]any{
		{"主订单编号", "商品金额", "运费", "订单金额", "付款时间", "订单状态", "申报海关", "订购人姓名", "订购人证件号", "商品名称"},
		{sampleID(14), 320.0, 0.0, 320.0, at(15, 0), "买家已付款", "", "李*", idcard.MaskID(buyerID14), "益生菌 60袋"},
		{sampleID(15), 150.0, 12.0, 162.0, at(15, 30), "买家已付款", "", "王*", "4401**********0000", "蛋白粉"},
		{sampleID(17), 299.0, 0.0, 299.0, at(16, 20), "买家已付款", "", "陈*", idcard.MaskID(buyerID17), "防晒霜"},
		{sampleID(18), 180.0, 0.0, 180.0, at(17, 0), "买家已付款", "TIANJIN", "刘*", idcard.MaskID(buyerID18), "奶瓶"},
		{sampleID(21), 399.0, 0.0, 399.0, at(19, 5), "买家已付款", "HANGZHOU_ZS", "赵*", idcard.MaskID(buyerID21), "电动牙刷"},
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(sheet, cell, &r); err != nil {
			return err
		}
		if i > 0 {
			c, _ := excelize.CoordinatesToCellName(5, i+1)
			f.SetCellStyle(sheet, c, c, dateStyle)
		}
	}
	f.SetColWidth(sheet, "A", "A", 22)
	f.SetColWidth(sheet, "E", "E", 20)
	return f.SaveAs(path)
}

const sampleWechatHeader = "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注"

// sampleBillRow is a row of a sample WeChat bill, amounts in fen.
type sampleBillRow struct {
	at, tx, order, status string
	amount                int64 // paid, or refunded on a REFUND row
	goods                 string
	fee                   string // 手续费 as printed, when it is not the right one
}

// sampleBill writes a bill section as WeChat does: each row's 手续费 is its
// amount × 0.60% to the fen (a refund's is negative: the fee returned; a
// refund row has 0.00 settled and ordered, the refund in 退款金额 and
// 申请退款金额), and the summary adds up the rows.
func sampleBill(rows []sampleBillRow) []string {
	lines := []string{sampleWechatHeader}
	var settle, refund, fee int64
	for _, r := range rows {
		settled, refunded, refundNo, refundType, refundState := r.amount, int64(0), "", "", ""
		f := (r.amount*6000 + 500_000) / 1_000_000 * 1000
		if r.status == "REFUND" {
			settled, refunded, f = 0, r.amount, -f
			refundNo, refundType, refundState = "50300"+r.tx[len(r.tx)-12:], "ORIGINAL", "SUCCESS"
		}
		feeText := ingest.FormatFee(f)
		if r.fee != "" {
			feeText = r.fee
			f, _ = ingest.ParseFee(r.fee)
		}
		cols := []string{r.at, "wx8888888888888888", "1900000109", "0", "", r.tx, r.order, "oXYZ" + r.tx[len(r.tx)-6:] + "AbCdEf", "JSAPI", r.status,
			"CMB_CREDIT", "CNY", ingest.FormatAmount(settled), "0.00", refundNo, refundNo, ingest.FormatAmount(refunded), "0.00", refundType, refundState,
			r.goods, "store=天猫,channel=app", feeText, "0.60%", ingest.FormatAmount(settled), ingest.FormatAmount(refunded), ""}
		lines = append(lines, "`"+strings.Join(cols, ",`"))
		settle, refund, fee = settle+settled, refund+refunded, fee+f
	}
	return append(lines, "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额",
		fmt.Sprintf("`%d,`%s,`%s,`0.00,`%s,`%s,`%s", len(rows), ingest.FormatAmount(settle), ingest.FormatAmount(refund),
			ingest.FormatFee(fee), ingest.FormatAmount(settle), ingest.FormatAmount(refund)))
}

func sampleWechatDay() []byte {
	lines := sampleBill([]sampleBillRow{
		{"2026-11-20 08:12:51", sampleTx(20, 1), sampleID(1), "SUCCESS", 23800, "a2奶粉 900g, 3段", ""},
		{"2026-11-20 09:03:22", sampleTx(20, 2), sampleID(2), "SUCCESS", 13900, "Swisse 钙片", ""},
		// 1099.00 × 0.60% is 6.594, 6.59 to the fen: the bill charged 6.60.
		{"2026-11-20 09:41:37", sampleTx(20, 3), sampleID(3), "SUCCESS", 109900, "Dyson 吹风机", "6.60000"},
		{"2026-11-20 10:15:08", sampleTx(20, 4), sampleID(4), "SUCCESS", 10900, "面膜 10片装", ""},
		{"2026-11-20 11:02:30", sampleTx(20, 6), sampleID(6), "SUCCESS", 19900, "鱼油 400粒", ""},
		{"2026-11-20 11:04:02", sampleTx(20, 66), sampleID(6), "SUCCESS", 19900, "鱼油 400粒", ""},
		{"2026-11-20 12:30:14", sampleTx(20, 7), sampleID(7), "SUCCESS", 45799, "精华液 50ml", ""},
		{"2026-11-20 13:45:20", sampleTx(20, 8), sampleID(8), "SUCCESS", 8200, "维生素C 泡腾片", ""},
		{"2026-11-20 15:00:09", sampleTx(20, 14), sampleID(14), "SUCCESS", 32000, "益生菌 60袋", ""},
		{"2026-11-20 15:30:12", sampleTx(20, 15), sampleID(15), "SUCCESS", 15000, "蛋白粉", ""},
		{"2026-11-20 16:00:05", sampleTx(20, 16), sampleID(16), "SUCCESS", 8800, "叶黄素", ""},
		{"2026-11-20 16:20:33", sampleTx(20, 17), sampleID(17), "SUCCESS", 29900, "防晒霜", ""},
		{"2026-11-20 17:00:41", sampleTx(20, 18), sampleID(18), "SUCCESS", 18000, "奶瓶", ""},
		{"2026-11-20 17:45:10", sampleTx(20, 19), sampleID(19), "SUCCESS", 52000, "香水 100ml", ""},
		{"2026-11-20 18:18:30", sampleTx(20, 20), sampleID(20), "SUCCESS", 6660, "眼霜", ""},
		{"2026-11-20 19:05:18", sampleTx(20, 21), sampleID(21), "SUCCESS", 39900, "电动牙刷", ""},
		{"2026-11-20 20:40:00", sampleTx(20, 99), sampleID(99), "SUCCESS", 4500, "试用装", ""},
	})
	return append([]byte("\ufeff"), []byte(strings.Join(lines, "\r\n")+"\r\n")...)
}

func sampleWechatNextDay() []byte {
	lines := sampleBill([]sampleBillRow{
		{"2026-11-21 00:00:12", sampleTx(21, 9), sampleID(9), "SUCCESS", 3500, "唇膏", ""},
		{"2026-11-21 10:05:44", sampleTx(20, 8), sampleID(8), "REFUND", 8200, "维生素C 泡腾片", ""},
	})
	b, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(strings.Join(lines, "\r\n") + "\r\n"))
	if err != nil {
		panic(err)
	}
	return b
}

func sampleClearance() []byte {
	return []byte("订单号,幂等键,清关状态,清关结果编码,清关口岸代码,清关时间,清单编号,海关回执\r\n" +
		sampleID(1) + ",IDEM-20261120-0001,1,,2991,2026-11-20 18:00:00,,\r\n" +
		sampleID(1) + ",IDEM-20261120-0001,2,0000,2991,2026-11-20 21:30:00,2991071755662,订单已放行/...\r\n" +
		sampleID(2) + ",IDEM-20261120-0002,1,,2991,2026-11-20 18:05:00,,\r\n" +
		sampleID(3) + ",IDEM-20261120-0003,2,1001,2991,2026-11-20 21:40:00,2991071755663,申报要素不符\r\n" +
		sampleID(4) + ",,1,,2991,2026-11-20 18:10:00,,\r\n" +
		sampleID(6) + ",IDEM-20261120-0006,5,,2991,2026-11-20 18:20:00,,\r\n")
}

func sampleMaterials() []byte {
	m := map[string]string{
		sampleID(14): fmt.Sprintf(`{"ocr_name": "李明", "ocr_id": %q, "ocr_exp": "20350101"}`, buyerID14),
		sampleID(15): fmt.Sprintf(`{"ocr_name": "王芳", "ocr_id": %q, "ocr_exp": "长期"}`, validID("440101", "19870707", '0')),
		sampleID(16): fmt.Sprintf(`{"ocr_name": "周杰", "ocr_id": %q, "ocr_exp": "20250601"}`, expired16),
		sampleID(17): fmt.Sprintf(`{"ocr_name": "陈静", "ocr_id": %q, "ocr_exp": "20330909"}`, otherID17),
		sampleID(18): fmt.Sprintf(`{"ocr_name": "刘洋", "ocr_id": %q, "ocr_exp": "长期"}`, buyerID18),
		sampleID(21): fmt.Sprintf(`{"ocr_name": "赵磊", "ocr_id": %q, "ocr_exp": "20311130"}`, buyerID21),
		sampleID(20): `{"missing": true, "err_code": "CERTIFY_NOT_FOUND", "err_msg": "买家未上传身份证"}`,
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("{\n")
	for i, k := range keys {
		fmt.Fprintf(&b, "  %q: %s", k, m[k])
		if i < len(keys)-1 {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	b.WriteString("}\n")
	return []byte(b.String())
}

// sampleFiles are the text samples and their generators.
func sampleFiles() map[string][]byte {
	return map[string][]byte{
		"orders/tmall_orders_20261120.csv":         sampleTmall(),
		"payments/wechat_trade_all_20261120.csv":   sampleWechatDay(),
		"payments/wechat_trade_all_20261121.csv":   sampleWechatNextDay(),
		"clearance/clearance_results_20261120.csv": sampleClearance(),
		"sandbox/materials.json":                   sampleMaterials(),
	}
}

func TestSamplesAreCurrent(t *testing.T) {
	for name, want := range sampleFiles() {
		p := filepath.Join(samplesDir, name)
		if *update {
			if err := os.WriteFile(p, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(p)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("samples/%s differs from its generator (err %v): go test ./cmd/reconcile -run TestSamplesAreCurrent -update", name, err)
		}
	}
	xlsx := filepath.Join(samplesDir, "orders/qianniu_orders_20261120.xlsx")
	if *update {
		if err := sampleWorkbench(xlsx); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(xlsx); err != nil {
		t.Error(err)
	}
}
