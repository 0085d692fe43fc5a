package batch

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/crossborder/reconcile/internal/cst"
	"github.com/crossborder/reconcile/internal/ingest"
	"github.com/crossborder/reconcile/internal/reconcile"
	"github.com/crossborder/reconcile/internal/reconcile/reconciletest"
)

var update = flag.Bool("update", false, "rewrite the golden fixtures and files under testdata/golden")

// The golden night of 2026-11-20: a GBK Tmall export, a 千牛 workbench XLSX
// that repeats two of its orders (one identically, one with other fees), a
// UTF-8-BOM WeChat "ALL" bill for the day and a GBK one for the next day
// (a refund, and a payment just after midnight), and clearance results.
// The fixtures are generated here so that their bytes are reproducible.
const goldenDir = "testdata/golden"

func tmallLine(id, product, transport, total, status, paid string) string {
	// 12 of the ~40 columns of the classic export, the ones around those
	// the job reads, with their real names.
	return strings.Join([]string{id, "tb_buyer", "138****0001", product, transport, "0", total, "0", total, status, "2026-11-20 08:00:00", paid}, ",")
}

func goldenTmall() []byte {
	lines := []string{
		"订单编号,买家会员名,买家支付宝账号,买家应付货款,买家应付邮费,买家支付积分,总金额,返点积分,买家实际支付金额,订单状态,订单创建时间,订单付款时间 ",
		tmallLine(`="5118609024991031601"`, "128.00", "10.00", "138.00", "买家已付款，等待卖家发货", "2026-11-20 09:15:02"),
		tmallLine(`="5118609024991031602"`, "100.00", "10.00", "120.00", "买家已付款，等待卖家发货", "2026-11-20 09:20:00"),
		tmallLine(`="5118609024991031603"`, "59.90", "0.00", "59.90", "买家已付款，等待卖家发货", "2026-11-20 10:01:00"),
		tmallLine(`="5118609024991031604"`, "88.00", "0.00", "88.00", "买家已付款，等待卖家发货", "2026-11-20 10:30:00"),
		tmallLine(`="5118609024991031605"`, `"1,000.00"`, "0.00", `"1,000.00"`, "买家已付款，等待卖家发货", "2026/11/20 11:00"),
		tmallLine(`="5118609024991031606"`, "66.00", "6.00", "72.00", "交易成功", "2026-11-20 12:00:00"),
		tmallLine(`="5118609024991031607"`, "19.90", "0.00", "19.90", "买家已付款，等待卖家发货", "2026-11-20 23:59:58"),
		tmallLine(`="5118609024991031608"`, "19.90", "0.00", "19.90", "等待买家付款", ""),
		tmallLine(`="5118609024991031609"`, "19.90", "0.00", "19.90", "交易关闭", "2026-11-20 13:00:00"),
		tmallLine("5.11860902499103E+18", "19.90", "0.00", "19.90", "买家已付款，等待卖家发货", "2026-11-20 13:00:00"),
		tmallLine(`="5118609024991031611"`, "45.00", "5.00", "50.00", "买家已付款，等待卖家发货", "2026-11-20 14:00:00"),
		tmallLine(`="5118609024991031612"`, "45.00", "5.00", "50.00", "买家已付款，等待卖家发货", "2026-11-20 14:00:00"),
		tmallLine(`="5118609024991031613"`, "30.00", "0.00", "30.00", "交易成功", "2026-11-19 14:00:00"),
	}
	b, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(strings.Join(lines, "\r\n") + "\r\n"))
	if err != nil {
		panic(err)
	}
	return b
}

// goldenWorkbench writes the 千牛 workbench XLSX: real date cells, masked
// buyer columns, a customs column.
func goldenWorkbench(path string) error {
	f := excelize.NewFile()
	defer f.Close()
	sheet := f.GetSheetName(0)
	dateStyle, _ := f.NewStyle(&excelize.Style{NumFmt: 22})
	rows := [][]any{
		{"主订单编号", "商品金额", "运费", "订单金额", "付款时间", "订单状态", "申报海关", "订购人姓名", "订购人证件号"},
		{"5118609024991031611", 45.0, 5.0, 50.0, time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC), "买家已付款", "", "李*", "3101**********1234"},
		{"5118609024991031612", 45.0, 0.0, 45.0, time.Date(2026, 11, 20, 14, 0, 0, 0, time.UTC), "买家已付款", "", "王*", "4401**********5678"},
		{"5118609024991031614", 210.5, 0.0, 210.5, time.Date(2026, 11, 20, 15, 30, 0, 0, time.UTC), "买家已付款", "HANGZHOU_ZS", "赵*", "3301**********0011"},
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
	return f.SaveAs(path)
}

const goldenWechatHeader = "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注"

// wechatRow is a row of a golden WeChat bill; amounts in fen.
type wechatRow struct {
	at, tx, order, status string
	amount                int64 // paid, or refunded on a REFUND row
	goods                 string
	fee                   string // 手续费 as printed; "" for the right one (amount × 0.60%, to the fen)
}

// wechatBill writes a bill section: the header, the rows as docs/formats.md has
// them (a refund row: 0.00 settled and ordered, the refund in 退款金额 and
// 申请退款金额, the fee returned as a negative 手续费), and a summary that
// adds up the rows, as WeChat writes it.
func wechatBill(rows []wechatRow) []string {
	lines := []string{goldenWechatHeader}
	var n, settle, refund, fee, order, req int64
	for _, r := range rows {
		settled, refunded, refundNo := r.amount, int64(0), ""
		if r.status == "REFUND" {
			settled, refunded, refundNo = 0, r.amount, "50300"+r.tx[len(r.tx)-10:]
		}
		f := (r.amount*6000 + 500_000) / 1_000_000 * 1000 // 0.60%, to the fen, in 10⁻⁵ yuan
		if r.status == "REFUND" {
			f = -f
		}
		feeText := ingest.FormatFee(f)
		if r.fee != "" {
			feeText = r.fee
			f, _ = ingest.ParseFee(r.fee)
		}
		cols := []string{r.at, "wx2421b1c4370ec43b", "10000100", "0", "", r.tx, r.order, "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "JSAPI", r.status,
			"CMB_CREDIT", "CNY", ingest.FormatAmount(settled), "0.00", refundNo, refundNo, ingest.FormatAmount(refunded), "0.00", "", "",
			r.goods, "attach,with,commas", feeText, "0.60%", ingest.FormatAmount(settled), ingest.FormatAmount(refunded), ""}
		lines = append(lines, "`"+strings.Join(cols, ",`"))
		n++
		settle, refund, fee, order, req = settle+settled, refund+refunded, fee+f, order+settled, req+refunded
	}
	return append(lines, "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额",
		fmt.Sprintf("`%d,`%s,`%s,`0.00,`%s,`%s,`%s", n, ingest.FormatAmount(settle), ingest.FormatAmount(refund),
			ingest.FormatFee(fee), ingest.FormatAmount(order), ingest.FormatAmount(req)))
}

func goldenWechatDay() []byte {
	lines := wechatBill([]wechatRow{
		{"2026-11-20 09:15:09", "4200002026112000000000000001", "5118609024991031601", "SUCCESS", 13800, "澳洲奶粉 900g, 2罐装", ""},
		{"2026-11-20 09:20:05", "4200002026112000000000000002", "5118609024991031602", "SUCCESS", 12000, "面霜", ""},
		{"2026-11-20 10:30:04", "4200002026112000000000000004", "5118609024991031604", "SUCCESS", 8800, "维生素", ""},
		{"2026-11-20 10:33:10", "4200002026112000000000000044", "5118609024991031604", "SUCCESS", 8800, "维生素", ""},
		// 999.90 × 0.60% is 5.9994, 6.00 to the fen: the bill says 5.99.
		{"2026-11-20 11:00:31", "4200002026112000000000000005", "5118609024991031605", "SUCCESS", 99990, "相机", "5.99000"},
		{"2026-11-20 12:00:05", "4200002026112000000000000006", "5118609024991031606", "SUCCESS", 7200, "口红", ""},
		{"2026-11-20 14:00:06", "4200002026112000000000000011", "5118609024991031611", "SUCCESS", 5000, "鱼油", ""},
		{"2026-11-20 14:00:07", "4200002026112000000000000012", "5118609024991031612", "SUCCESS", 5000, "鱼油", ""},
		// 210.50 × 0.60% is 1.263: the exact product, as very old bills print it.
		{"2026-11-20 15:30:03", "4200002026112000000000000014", "5118609024991031614", "SUCCESS", 21050, "奶粉", "1.26300"},
		{"2026-11-20 16:00:00", "4200002026112000000000000099", "5118609024991031699", "SUCCESS", 1500, "小样", ""},
	})
	return append([]byte("\ufeff"), []byte(strings.Join(lines, "\r\n")+"\r\n")...)
}

func goldenWechatNextDay() []byte {
	lines := wechatBill([]wechatRow{
		{"2026-11-21 00:00:03", "4200002026112100000000000007", "5118609024991031607", "SUCCESS", 1990, "面膜", ""},
		{"2026-11-21 09:12:00", "4200002026112000000000000006", "5118609024991031606", "REFUND", 7200, "口红", ""},
	})
	b, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(strings.Join(lines, "\n") + "\n"))
	if err != nil {
		panic(err)
	}
	return b
}

func goldenClearance() []byte {
	return []byte("订单号,幂等键,清关状态,清关结果编码,清关口岸代码,清关时间,清单编号,海关回执\n" +
		"5118609024991031601,IDEM-0001,1,,2991,2026-11-20 18:00:00,,\n" +
		"5118609024991031601,IDEM-0001,2,0000,2991,2026-11-20 20:00:00,2991071755662,订单已放行/...\n" +
		"5118609024991031611,,1,,2991,2026-11-20 18:00:00,,\n" +
		"5118609024991031614,IDEM-0014,3,,2991,2026-11-20 18:00:00,,\n")
}

// writeGoldenFixtures writes the fixtures into dir.
func writeGoldenFixtures(dir string) error {
	files := map[string][]byte{
		"orders_tmall_gbk.csv":    goldenTmall(),
		"wechat_20261120.csv":     goldenWechatDay(),
		"wechat_20261121_gbk.csv": goldenWechatNextDay(),
		"clearance.csv":           goldenClearance(),
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return err
		}
	}
	return goldenWorkbench(filepath.Join(dir, "orders_workbench.xlsx"))
}

// TestGoldenDryRun runs the golden night through a dry run and compares the
// summary JSON and every exception with testdata/golden/dry_run.golden.
func TestGoldenDryRun(t *testing.T) {
	if *update {
		if err := writeGoldenFixtures(goldenDir); err != nil {
			t.Fatal(err)
		}
	} else {
		// The committed fixtures must be what the generator writes (the
		// XLSX is a zip with timestamps, so only the text files compare).
		for name, want := range map[string][]byte{"orders_tmall_gbk.csv": goldenTmall(), "wechat_20261120.csv": goldenWechatDay(),
			"wechat_20261121_gbk.csv": goldenWechatNextDay(), "clearance.csv": goldenClearance()} {
			got, err := os.ReadFile(filepath.Join(goldenDir, name))
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("fixture %s differs from its generator (err %v): run go test -run TestGoldenDryRun -update", name, err)
			}
		}
	}
	dir := t.TempDir()
	summary := filepath.Join(dir, "summary.json")
	w, _ := cst.ParseWindow("2026-11-20", "", "", time.Now())
	in := reconcile.Inputs{
		Orders:    []string{filepath.Join(goldenDir, "orders_*")},
		Payments:  []string{filepath.Join(goldenDir, "wechat_*.csv")},
		Clearance: []string{filepath.Join(goldenDir, "clearance.csv")},
	}
	fixed := time.Date(2026, 11, 21, 2, 0, 0, 0, cst.Zone)
	res, err := Run(context.Background(), Config{Window: w, Inputs: in, DefaultCustoms: "NINGBO", DryRun: true, SummaryPath: summary,
		Now: func() time.Time { return fixed }}, Deps{})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	reconciletest.AssertAccounting(t, res)

	var out bytes.Buffer
	b, err := os.ReadFile(summary)
	if err != nil {
		t.Fatal(err)
	}
	var s map[string]any
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("summary is not JSON: %v", err)
	}
	out.Write(b)
	out.WriteString("\n# exceptions: code | label | order | transaction | other transaction | expected | actual | amount | customs | at | key | state | message | source\n")
	for _, e := range res.Exceptions {
		exp, act, at := "", "", ""
		if e.HasAmounts {
			exp, act = fmt.Sprint(e.Expected), fmt.Sprint(e.Actual)
		}
		if !e.At.IsZero() {
			at = cst.Format(e.At)
		}
		fmt.Fprintf(&out, "%s | %s | %s | %s | %s | %s | %s | %d | %s | %s | %s | %s | %s | %s\n", e.Code, e.Code.Label(), e.OrderID, e.TransactionID,
			e.OtherTransactionID, exp, act, e.Amount, e.Customs, at, e.Key(), e.Tracking.State, e.Message, e.Source)
	}
	golden := filepath.Join(goldenDir, "dry_run.golden")
	if *update {
		if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(out.Bytes(), want) {
		t.Errorf("the dry run differs from %s (review, then run with -update):\n%s", golden, lineDiff(string(want), out.String()))
	}
}

// lineDiff shows the lines of got that are not in want and the reverse.
func lineDiff(want, got string) string {
	in := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			m[l] = true
		}
		return m
	}
	w, g := in(want), in(got)
	var b strings.Builder
	for _, l := range strings.Split(want, "\n") {
		if !g[l] {
			b.WriteString("- " + l + "\n")
		}
	}
	for _, l := range strings.Split(got, "\n") {
		if !w[l] {
			b.WriteString("+ " + l + "\n")
		}
	}
	return b.String()
}
