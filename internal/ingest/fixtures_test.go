package ingest

//go:generate go test -run TestFixtures -update

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
)

var update = flag.Bool("update", false, "rewrite the fixtures and golden files under testdata/")

// The fixtures under testdata/ are generated here, so that their bytes
// (GBK, BOM, CRLF, XLSX) are reproducible; TestFixtures checks that the
// committed files match, and rewrites them with -update.

// tmallHeader is the classic Tmall order export header, 40 columns, with
// the trailing spaces the real export has in some names.
var tmallHeader = []string{"订单编号", "买家会员名", "买家支付宝账号", "买家应付货款", "买家应付邮费", "买家支付积分", "总金额", "返点积分",
	"买家实际支付金额", "买家实际支付积分", "订单状态", "买家留言", "收货人姓名", "收货地址 ", "运送方式", "联系电话 ", "联系手机",
	"订单创建时间", "订单付款时间 ", "宝贝标题 ", "宝贝种类 ", "物流单号 ", "物流公司", "订单备注", "宝贝总数量", "店铺Id", "店铺名称",
	"订单关闭原因", "卖家服务费", "买家服务费", "发票抬头", "是否手机订单", "分阶段订单信息", "特权订金订单id", "是否上传合同照片",
	"是否上传小票", "是否代付", "定金排名", "修改后的sku", "修改后的收货地址"}

// tmallRow builds a Tmall row from the columns that matter; the others get
// realistic filler.
func tmallRow(id, product, transport, total, status, created, paid, note string) string {
	cols := []string{id, "tb_buyer01", "138****0001", product, transport, "0", total, "0",
		total, "0", status, "", "张三", `"上海市 浦东新区, 张江路 1号"`, "快递", "", "'138****0001",
		created, paid, "澳洲 奶粉 900g", "1", `=""`, "", note, "1", "123456789", "某某海外旗舰店",
		"", "0", "0", "", "手机订单", "", "", "否", "否", "否", "", "", ""}
	return strings.Join(cols, ",")
}

func tmallGBK() []byte {
	lines := []string{
		strings.Join(tmallHeader, ","),
		tmallRow(`="5118609024991031607"`, "128.00", "10.00", "138.00", "买家已付款，等待卖家发货", "2026-11-20 19:40:02", "2026-11-20 19:48:33", ""),
		tmallRow(`="5118609024991031608"`, `"1,224.50"`, "10", `"1,234.50"`, "交易成功", "2026/11/20 19:58:10", "2026/11/20 20:01", "\"请尽快发货\r\n谢谢\""),
		tmallRow(`="5118609024991031609"`, "59.90", "0.00", "59.90", "等待买家付款", "2026-11-20 21:00:00", "", ""),
		tmallRow(`="5118609024991031610"`, "59.90", "0.00", "59.90", "等待买家付款", "2026-11-20 21:00:00", "0000-00-00 00:00:00", ""),
		tmallRow("2.53111E+18", "99.00", "0.00", "99.00", "交易成功", "2026-11-20 21:05:00", "2026-11-20 21:06:00", ""),
		tmallRow(`="5118609024991031612"`, "99.00", "0.00", "12.345", "交易成功", "2026-11-20 21:05:00", "2026-11-20 21:06:00", ""),
		tmallRow(`="5118609024991031613"`, "￥99.00", "0.00", "￥99.00", "交易关闭", "2026-11-20 21:05:00", "2026-11-20 21:06:00", ""),
		tmallRow(`="5118609024991031614"`, "99.00", "0.00", "99.00", "交易成功", "2026-11-20 21:05:00", "2026-02-30 10:00:00", ""),
		tmallRow(`="5118609024991031615"`, "99.00", "0.00", "99.00", "@BADSTATUS@", "2026-11-20 21:05:00", "2026-11-20 21:06:00", ""),
		tmallRow(`="5118609024991031616"`, "-1.00", "0.00", "99.00", "交易成功", "2026-11-20 21:05:00", "2026-11-20 21:06:00", "@BADNOTE@"),
		tmallRow(`="5118609024991031617"`, "20.00", "5.00", "25.00", "交易成功", "2026-11-20 21:05:00", "2026-11-20 21:06:00", "@BADNOTE@"),
	}
	b := encodeGBK(strings.Join(lines, "\r\n") + "\r\n\r\n")
	// Bytes that are not GBK: in a used column (the status) they make a row
	// error; in a column the job does not use (the note) they do not.
	b = bytes.Replace(b, []byte("@BADSTATUS@"), []byte("\x81\x20\xfe"), 1)
	b = bytes.ReplaceAll(b, []byte("@BADNOTE@"), []byte("\x81\x20"))
	return b
}

func encodeGBK(s string) []byte {
	b, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(s))
	if err != nil {
		panic(err)
	}
	return b
}

// The WeChat "ALL" trade bill: 27 columns, every data field after a
// backtick, free text with commas, then the summary.
const wechatAllHeader = "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注"

func wechatAllRow(at, tx, order, status, settle, refundNo, refund, goods, attach, orderAmt, refundReq string) string {
	cols := []string{at, "wx2421b1c4370ec43b", "10000100", "0", "", tx, order, "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "JSAPI", status,
		"CMB_CREDIT", "CNY", settle, "0.00", refundNo, refundNo, refund, "0.00", "", "", goods, attach, "0.82800", "0.60%", orderAmt, refundReq, ""}
	return "`" + strings.Join(cols, ",`")
}

func wechatAllText() string {
	return strings.Join([]string{
		wechatAllHeader,
		wechatAllRow("2026-11-20 19:48:35", "4200001234202611201234567890", "5118609024991031607", "SUCCESS", "138.00", "0", "0.00", "澳洲奶粉 900g, 2罐装,包邮", "a=1,b=2", "138.00", "0.00"),
		wechatAllRow("2026-11-20 20:01:12", "4200001234202611201234567891", "5118609024991031608", "SUCCESS", "1234.50", "0", "0.00", `面霜 "特价",50ml`, "", "1234.50", "0.00"),
		wechatAllRow("2026-11-21 10:00:00", "4200001234202611201234567890", "5118609024991031607", "REFUND", "0.00", "50000000012026112100000000001", "100.00", "澳洲奶粉 900g, 2罐装,包邮", "", "0.00", "100.00"),
		wechatAllRow("2026-11-21 11:00:00", "4200001234202611201234567892", "5118609024991031609", "REVOKED", "59.90", "0", "0.00", "纸尿裤", "", "59.90", "0.00"),
		wechatAllRow("2026-11-21 12:00:00", "4200001234202611201234567893", "5118609024991031610", "CLOSED", "59.90", "0", "0.00", "纸尿裤", "", "59.90", "0.00"),
		"总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额",
		"`5,`1432.40,`100.00,`0.00,`8.59000,`1432.40,`100.00",
		"",
	}, "\r\n")
}

func wechatAllBOM() []byte { return append([]byte("\ufeff"), wechatAllText()...) }

func wechatAllGBK() []byte {
	return encodeGBK(strings.ReplaceAll(wechatAllText(), "\r\n", "\n"))
}

func wechatSuccess() []byte {
	header := "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,商品名称,商户数据包,手续费,费率,订单金额,费率备注"
	row := func(at, tx, order, amt string) string {
		return "`" + strings.Join([]string{at, "wx2421b1c4370ec43b", "10000100", "0", "", tx, order, "oUpF8u", "JSAPI", "SUCCESS",
			"CMB_CREDIT", "CNY", amt, "0.00", "奶粉,1罐", "", "0.00600", "0.60%", amt, ""}, ",`")
	}
	return []byte(strings.Join([]string{header,
		row("2026-11-20 19:48:35", "4200001234202611201234567890", "5118609024991031607", "1.00"),
		row("2026-11-20 19:50:00", "4200001234202611201234567894", "5118609024991031611", "2.50"),
		"总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额",
		"`2,`3.50,`0.00,`0.00,`0.02000,`3.50,`0.00", ""}, "\n"))
}

// wechatSuccessOld is a bill of an older merchant: 总金额 in place of
// 应结订单金额, and no 订单金额.
func wechatSuccessOld() []byte {
	header := "交易时间,公众账号ID,商户号,子商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,总金额,代金券或立减优惠金额,商品名称,商户数据包,手续费,费率"
	row := "`" + strings.Join([]string{"2016-05-04 13:04:05", "wx2421b1c4370ec43b", "10000100", "", "", "4000022001201605045678901234",
		"1460536261312998", "oUpF8u", "NATIVE", "SUCCESS", "CFT", "CNY", "88.80", "0.00", "保健品", "", "0.53000", "0.60%"}, ",`")
	return []byte(strings.Join([]string{header, row,
		"总交易单数,总交易额,总退款金额,总代金券或立减优惠退款金额,手续费总金额",
		"`1,`88.80,`0.00,`0.00,`0.53000", ""}, "\n"))
}

func wechatRefund() []byte {
	header := "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,退款申请时间,退款成功时间,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注"
	row := "`" + strings.Join([]string{"2026-11-20 19:48:35", "wx2421b1c4370ec43b", "10000100", "0", "", "4200001234202611201234567890",
		"5118609024991031607", "oUpF8u", "JSAPI", "REFUND", "CMB_CREDIT", "CNY", "138.00", "0.00", "2026-11-21 10:00:00", "2026-11-21 10:00:05",
		"50000000012026112100000000001", "R1", "38.00", "0.00", "ORIGINAL", "SUCCESS", "奶粉", "", "-0.22800", "0.60%", "138.00", "38.00", ""}, ",`")
	return []byte(strings.Join([]string{header, row,
		"总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额",
		"`1,`0.00,`38.00,`0.00,`-0.22800,`0.00,`38.00", ""}, "\n"))
}

// paymentsPlain is a payments export from another system: Chinese
// statuses, a refund column, and the bad rows a hand-kept sheet has.
func paymentsPlain() []byte {
	return []byte(`支付单号,订单编号,支付金额,支付时间,交易状态,退款金额,备注
4200001234202611201234567890,5118609024991031607,138.00,2026-11-20 19:48:35,支付成功,,
4200001234202611201234567891,5118609024991031608,"1,234.50",2026/11/20 20:01,已退款,10.00,部分退款
4200001234202611201234567892,5118609024991031609,59.90,2026-11-20,已撤销,,
4200001234202611201234567893,5118609024991031610,59.90,2026-11-20 21:00,转入退款,59.90,
4200001234202611201234567894,5118609024991031611,¥12.00,,,,没有状态
4200001234202611201234567895,5.11860902499103E+18,10.00,2026-11-20 21:00,支付成功,,Excel 改坏的订单号
4200001234202611201234567896,5118609024991031613,-5.00,2026-11-20 21:00,支付成功,,
,5118609024991031614,5.00,2026-11-20 21:00,支付成功,,没有支付单号
4200001234202611201234567898,5118609024991031615,5.00,2026-11-20 21:00,未支付,,
4200001234202611201234567899,5118609024991031616,1.2E+3,2026-11-20 21:00,支付成功,,
`)
}

func clearanceCSV() []byte {
	return []byte("order_id,idempotent,clearance_status,clearance_result_code,clearance_port_no,clearance_time,customs_pass_no,customs_return_receipt\n" +
		"5118609024991031607,xxe3444k9k9,1,,2991,2026-11-21 09:00:00,,\n" +
		"5118609024991031607,xxe3444k9k9,2,0000,2991,2026-11-21 15:30:00,2991071755662,\"订单已放行, 请留意\"\n" +
		"5118609024991031608,,2,1001,2991,2026-11-21 15:31:00,,申报失败\n" +
		"5118609024991031609,abc123,放行,,,,,\n" +
		"9223372036854775808,abc124,1,,,,,\n" +
		"5118609024991031610,abc125,1,,,2026-11-21 25:00,,\n")
}

// ordersXLSX is a seller-workbench style export: a title-less sheet whose
// header is on row 2 (row 1 is empty), numbers as numeric cells (one with
// float noise, one with a real third decimal), float noise in a text cell,
// dates as real date cells and one as text, masked buyer columns, an id
// stored as a number (its digits lost), a blank row, and a second sheet.
func ordersXLSX() []byte {
	f := excelize.NewFile()
	defer f.Close()
	const sh = "订单"
	f.SetSheetName("Sheet1", sh)
	dateStyle, _ := f.NewStyle(&excelize.Style{NumFmt: 22}) // m/d/yy h:mm
	header := []any{"订单编号", "商品金额", "运费", "应付金额", "订单状态", "付款时间", "订购人姓名", "订购人证件号", "海关"}
	f.SetSheetRow(sh, "A2", &header)
	rows := [][]any{
		{"5118609024991031607", 128, 10, 138, "买家已付款，等待卖家发货", 46346.825381944446, "张*", "3101**********1234", "SHANGHAI_JG"},
		{"5118609024991031608", 0.1, 0.2, 0.1 + 0.2, "交易成功", 46346.5, "李*", "1101**********002X", ""},
		{"5118609024991031609", "59.90", "0.00", "59.90", "等待买家付款", "", "王*", "", ""},
		{"5118609024991031610", 10, 0, 10, "交易成功", "2026/11/20 19:48", "赵*", "", ""},
		{5118609024991031611.0, 10, 0, 10, "交易成功", 46346.5, "", "", ""},
		{"5118609024991031612", 1.005, 0, 1.005, "交易成功", 46346.5, "", "", ""},
		// Float noise in a text cell is not a numeric cell's: refused.
		{"5118609024991031613", "0.30000000000000004", 0, "0.30000000000000004", "交易成功", 46346.5, "", "", ""},
	}
	for i, r := range rows {
		row := i + 3
		if i >= 3 {
			row++ // a blank row between: skipped
		}
		cell, _ := excelize.CoordinatesToCellName(1, row)
		f.SetSheetRow(sh, cell, &r)
		if v, ok := r[5].(float64); ok {
			c, _ := excelize.CoordinatesToCellName(6, row)
			f.SetCellFloat(sh, c, v, -1, 64)
			f.SetCellStyle(sh, c, c, dateStyle)
		}
	}
	f.NewSheet("说明")
	f.SetCellValue("说明", "A1", "本表由卖家工作台导出")
	buf, err := f.WriteToBuffer()
	if err != nil {
		panic(err)
	}
	return buf.Bytes()
}

type fixture struct {
	name string
	kind Kind
	data func() []byte
}

var fixtures = []fixture{
	{"tmall_gbk.csv", Orders, tmallGBK},
	{"orders_workbench.xlsx", Orders, ordersXLSX},
	{"wechat_all_bom.csv", Payments, wechatAllBOM},
	{"wechat_all_gbk.csv", Payments, wechatAllGBK},
	{"wechat_success.csv", Payments, wechatSuccess},
	{"wechat_success_old.csv", Payments, wechatSuccessOld},
	{"wechat_refund.csv", Payments, wechatRefund},
	{"payments_plain.csv", Payments, paymentsPlain},
	{"clearance.csv", Clearances, clearanceCSV},
}

func TestFixtures(t *testing.T) {
	for _, fx := range fixtures {
		path := filepath.Join("testdata", fx.name)
		want := fx.data()
		if *update {
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go generate to create the fixtures)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from what fixtures_test.go generates; run go generate", path)
		}
	}
}
