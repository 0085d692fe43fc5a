package ingest

import (
	"fmt"
	"math/big"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// billRow is one row of a test bill, amounts in fen and the fee in 10⁻⁵
// yuan.
type billRow struct {
	at, tx, order, status string
	settle, refund, fee   int64
	refundID              string
}

func yuanText(fen int64) string { return FormatAmount(fen) }

// allBill writes a WeChat ALL bill section of rows, its summary computed
// from them (so that it ties out) unless summary is given.
func allBill(rows []billRow, summary *BillFigures) string {
	var b strings.Builder
	b.WriteString(wechatAllHeader + "\r\n")
	var sum BillFigures
	for _, r := range rows {
		orderAmt, reqRefund := r.settle, r.refund
		cols := []string{r.at, "wx2421b1c4370ec43b", "10000100", "0", "", r.tx, r.order, "oUpF8uMuAJO", "JSAPI", r.status,
			"CMB_CREDIT", "CNY", yuanText(r.settle), "0.00", r.refundID, r.refundID, yuanText(r.refund), "0.00", "", "", "奶粉, 2罐", "",
			FormatFee(r.fee), "0.60%", yuanText(orderAmt), yuanText(reqRefund), ""}
		b.WriteString("`" + strings.Join(cols, ",`") + "\r\n")
		sum.Trades++
		sum.Settlement += r.settle
		sum.Refund += r.refund
		sum.Fee += r.fee
		sum.OrderAmount += orderAmt
		sum.RequestedRefund += reqRefund
	}
	if summary == nil {
		summary = &sum
	}
	if summary.Has != 0xff { // 0xff: a truncated download, no summary at all
		b.WriteString("总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\r\n")
		fmt.Fprintf(&b, "`%d,`%s,`%s,`%s,`%s,`%s,`%s\r\n", summary.Trades, yuanText(summary.Settlement), yuanText(summary.Refund),
			yuanText(summary.VoucherRefund), FormatFee(summary.Fee), yuanText(summary.OrderAmount), yuanText(summary.RequestedRefund))
	}
	return b.String()
}

var (
	day1 = []billRow{
		{"2026-11-20 10:00:00", "4200001234202611200000000001", "5118609024991031601", "SUCCESS", 13800, 0, 82800, ""},
		{"2026-11-20 11:00:00", "4200001234202611200000000002", "5118609024991031602", "SUCCESS", 123450, 0, 740700, ""},
	}
	day2 = []billRow{
		{"2026-11-21 09:00:00", "4200001234202611210000000003", "5118609024991031603", "SUCCESS", 5990, 0, 35900, ""},
		// The refund of day 1's first payment: 0.00 settled, the refund, a
		// negative fee (the fee returned).
		{"2026-11-21 10:00:00", "4200001234202611200000000001", "5118609024991031601", "REFUND", 0, 13800, -82800, "50000000012026112100000000001"},
	}
)

func TestPastedBillsReadEverySection(t *testing.T) {
	text := allBill(day1, nil) + allBill(day2, nil)
	for name, data := range map[string][]byte{"UTF-8": []byte(text), "GBK": gbk(t, text)} {
		t.Run(name, func(t *testing.T) {
			ps, es, info := readPayments(t, writeFile(t, "pasted.csv", data))
			if len(ps) != 4 || len(es) != 0 {
				t.Fatalf("%d payments, %d errors (%v); want 4 and 0: no row of the second bill may be lost", len(ps), len(es), es)
			}
			if len(info.Sections) != 2 {
				t.Fatalf("%d sections, want 2", len(info.Sections))
			}
			for i, sec := range info.Sections {
				if !sec.TiesOut() || sec.Rows != 2 || sec.Index != i+1 {
					t.Errorf("section %d: rows %d, ties out %v, diffs %+v", i+1, sec.Rows, sec.TiesOut(), sec.Differences())
				}
			}
			if h := info.Sections[1].Header.Line; h != 6 {
				t.Errorf("the second section's header is on line %d, want 6", h)
			}
			if r := ps[3]; r.Status != PaymentRefund || r.Bill.Fee != -82800 || r.Bill.Refund != 13800 || r.Bill.Section != 2 || r.Bill.RefundID == "" {
				t.Errorf("the refund row: %+v", r)
			}
			if p := ps[0]; !p.Bill.HasFee || p.Bill.FeeRate != 6000 || p.Bill.Fee != 82800 || p.Bill.Settlement != 13800 || p.Bill.Section != 1 {
				t.Errorf("the first payment's bill row: %+v", p.Bill)
			}
		})
	}
}

func TestEditedAndTruncatedBills(t *testing.T) {
	// A row deleted under intact totals: the summary names 3 trades.
	edited := allBill(day1[:1], &BillFigures{Trades: 2, Settlement: 137250, Fee: 823500, OrderAmount: 137250})
	_, _, info := readPayments(t, writeFile(t, "edited.csv", []byte(edited)))
	sec := info.Sections[0]
	want := map[Figure][2]int64{FigTrades: {2, 1}, FigSettlement: {137250, 13800}, FigFee: {823500, 82800}, FigOrderAmount: {137250, 13800}}
	diffs := sec.Differences()
	if sec.TiesOut() || len(diffs) != len(want) {
		t.Fatalf("an edited bill ties out %v with differences %+v", sec.TiesOut(), diffs)
	}
	for _, d := range diffs {
		if w := want[d.Figure]; d.Summary != w[0] || d.Rows != w[1] {
			t.Errorf("%s: summary %d, rows %d; want %d, %d", d.Figure.Label(), d.Summary, d.Rows, w[0], w[1])
		}
	}
	// A truncated download: the rows, no summary.
	truncated := allBill(day1, &BillFigures{Has: 0xff})
	ps, _, info := readPayments(t, writeFile(t, "truncated.csv", []byte(truncated)))
	if len(ps) != 2 || len(info.Sections) != 1 || info.Sections[0].Summary != nil || info.Sections[0].TiesOut() {
		t.Errorf("a truncated bill: %d payments, sections %+v", len(ps), info.Sections)
	}
	// A truncated bill with the next day's pasted below it: the header
	// opens the second section; the first has no summary. In GBK too.
	for _, enc := range []string{"utf-8", "gbk"} {
		data := []byte(truncated + allBill(day2, nil))
		if enc == "gbk" {
			data = gbk(t, string(data))
		}
		ps, es, info := readPayments(t, writeFile(t, "cut_"+enc+".csv", data))
		if len(es) != 0 || len(ps) != 4 || len(info.Sections) != 2 || info.Sections[0].Summary != nil || !info.Sections[1].TiesOut() ||
			info.Sections[1].Header.Line != 4 || info.Sections[0].Rows != 2 {
			t.Errorf("%s: a cut bill and a whole one: %d payments, errors %v, sections %+v", enc, len(ps), es, info.Sections)
		}
	}
	// A summary line that cannot be read says why.
	bad := strings.Replace(allBill(day1, nil), "`2,`", "`two,`", 1)
	_, _, info = readPayments(t, writeFile(t, "bad.csv", []byte(bad)))
	if s := info.Sections[0]; s.Summary != nil || !strings.Contains(s.SummaryErr, "总交易单数") {
		t.Errorf("an unreadable summary: %+v", s)
	}
}

// Bills of different layouts pasted together: each section is read with
// its own header.
func TestPastedBillsOfDifferentLayouts(t *testing.T) {
	success := string(wechatSuccess())
	data := allBill(day1, nil) + success
	ps, es, info := readPayments(t, writeFile(t, "mixed.csv", []byte(data)))
	if len(es) != 0 || len(info.Sections) != 2 || info.Sections[1].Variant != "wechat-success" || len(ps) != 2+info.Sections[1].Rows {
		t.Errorf("%d payments, errors %v, sections %+v", len(ps), es, info.Sections)
	}
}

const globalHeader = "交易时间,公众账号ID,商户号,子商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,充值券币种,充值券金额,优惠券币种,优惠券金额,微信退款单号,商户退款单号,退款类型,退款状态,商品名称,商户数据包,手续费,费率,标价币种,订单金额(标价币种),用户支付币种,用户支付金额,结算币种,应结订单金额,支付汇率,退款汇率,申请退款金额,用户退款币种,用户退款金额,退款结算币种,退款应结订单金额,充值券退款金额,优惠券退款金额"

// A WeChat Pay Global statement: the buyer paid CNY (用户支付金额, the
// amount matched and declared), the merchant is settled in HKD (应结订单金额,
// 手续费).
func TestGlobalStatement(t *testing.T) {
	row := func(at, tx, order, cny, hkd, fee string) string {
		cols := []string{at, "wx1", "10000100", "0", "", tx, order, "oU", "JSAPI", "SUCCESS", "OTHERS", "", "0", "", "0", "", "", "", "",
			"保健品", "", fee, "0.60%", "HKD", hkd, "CNY", cny, "HKD", hkd, "108.21", "", "0.00", "", "0.00", "", "0.00", "0.00", "0.00"}
		return "`" + strings.Join(cols, ",`")
	}
	// set replaces columns of a row: by index, 9 交易状态, 25 用户支付币种,
	// 31 申请退款金额, 32 用户退款币种, 33 用户退款金额.
	set := func(r string, cols map[int]string) string {
		f := strings.Split(r, ",`")
		for i, v := range cols {
			f[i] = v
		}
		return strings.Join(f, ",`")
	}
	data := globalHeader + "\n" +
		row("2026-11-20 10:00:00", "4200001234202611200000000011", "5118609024991031611", "100.00", "108.21", "0.64926") + "\n" +
		row("2026-11-20 11:00:00", "4200001234202611200000000012", "5118609024991031612", "50.00", "54.11", "0.32466") + "\n" +
		// The refund of the first: 100.00 CNY back to the buyer, 108.21
		// requested in the price currency.
		set(row("2026-11-21 10:00:00", "4200001234202611200000000011", "5118609024991031611", "0.00", "0.00", "-0.64926"),
			map[int]string{9: "REFUND", 31: "108.21", 32: "CNY", 33: "100.00"}) + "\n" +
		// Paid in USD: no payment the job can match or declare.
		set(row("2026-11-20 12:00:00", "4200001234202611200000000013", "5118609024991031613", "15.00", "117.00", "0.70200"),
			map[int]string{25: "USD"}) + "\n" +
		set(row("2026-11-21 12:00:00", "4200001234202611200000000012", "5118609024991031612", "0.00", "0.00", "-0.32466"),
			map[int]string{9: "REFUND", 31: "54.11", 32: "HKD", 33: "54.11"}) + "\n"
	ps, es, info := readPayments(t, writeFile(t, "global.csv", []byte(data)))
	if len(ps) != 3 || info.Variant != "wechat-global" {
		t.Fatalf("%d payments, errors %v, variant %q", len(ps), es, info.Variant)
	}
	if len(es) != 2 || es[0].Reason != ReasonCurrency || es[0].Column != "用户支付币种" || es[1].Column != "用户退款币种" || es[0].Source.Line != 5 {
		t.Errorf("rows in another currency: errors %+v; want 用户支付币种 on line 5 and 用户退款币种 on line 6", es)
	}
	if r := ps[2]; r.Status != PaymentRefund || r.RefundAmount != 10000 {
		t.Errorf("a Global refund: status %v, refund %d; want the CNY refunded to the buyer, 10000", r.Status, r.RefundAmount)
	}
	p := ps[0]
	if p.Amount != 10000 || p.Bill.Settlement != 10821 || p.Bill.SettleCurrency != "HKD" || p.Bill.PayCurrency != "CNY" || p.Bill.Fee != 64926 {
		t.Errorf("a Global row: amount %d (want the CNY paid, 10000), bill %+v", p.Amount, p.Bill)
	}
	if sec := info.Sections[0]; sec.SettleCurrency != "HKD" || sec.Sums.Settlement != 16232 || sec.Summary != nil {
		t.Errorf("the Global section: %+v", sec)
	}
}

func TestParseFee(t *testing.T) {
	for _, tt := range []struct {
		in      string
		want    int64
		wantErr string
	}{
		{"0.06000", 6000, ""}, {"0.6", 60000, ""}, {"-0.00600", -600, ""}, {"12.34567", 1234567, ""}, {"0", 0, ""},
		{"0.600000", 60000, ""}, {" 1.5 ", 150000, ""},
		{"0.123456", 0, "more than 5 decimals"}, {"1,000.00", 0, "not a number"}, {"¥0.6", 0, "not a number"}, {"", 0, "is empty"},
		{"10000000000000", 0, "too large"}, {".", 0, "not a number"},
		// At the cap (10,000,000,000.00 yuan) and past it; a value whose
		// ×10⁵ leaves an int64 is too large, never a wrapped negative.
		{"10000000000", 1_000_000_000_000_000, ""}, {"-10000000000.00000", -1_000_000_000_000_000, ""},
		{"10000000000.00001", 0, "too large"}, {"10000000001", 0, "too large"},
		{"1844674407370955", 0, "too large"}, {"92233720368547", 0, "too large"},
	} {
		got, err := ParseFee(tt.in)
		switch {
		case tt.wantErr == "" && (err != nil || got != tt.want):
			t.Errorf("ParseFee(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("ParseFee(%q) = %d, %v; want an error with %q", tt.in, got, err, tt.wantErr)
		}
	}
	for _, v := range []int64{0, 1, 600, -600, 82800, -82800, 123456789} {
		if got, err := ParseFee(FormatFee(v)); err != nil || got != v {
			t.Errorf("ParseFee(FormatFee(%d)) = %d, %v", v, got, err)
		}
	}
}

func TestParseRate(t *testing.T) {
	for _, tt := range []struct {
		in       string
		fraction bool
		want     int64
		wantErr  string
	}{
		{"0.60%", false, 6000, ""}, {"0.6%", false, 6000, ""}, {"0.38%", false, 3800, ""}, {"1%", false, 10000, ""},
		{"0.0001%", false, 1, ""}, {"100%", false, 1_000_000, ""},
		{"0.006", true, 6000, ""}, {"0.0038", true, 3800, ""},
		{"0.60", false, 0, "no % sign"}, {"0.00001%", false, 0, "too many decimals"}, {"101%", false, 0, "over 100%"},
		{"abc%", false, 0, "not a rate"}, {"", false, 0, "is empty"},
	} {
		got, err := ParseRate(tt.in, tt.fraction)
		switch {
		case tt.wantErr == "" && (err != nil || got != tt.want):
			t.Errorf("ParseRate(%q, %v) = %d, %v; want %d", tt.in, tt.fraction, got, err, tt.want)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("ParseRate(%q) = %d, %v; want an error with %q", tt.in, got, err, tt.wantErr)
		}
	}
}

// FuzzParseFee checks that ParseFee never panics, that what it accepts is
// the exact value of the text (big.Rat's reading of it, in 10⁻⁵ yuan,
// within the cap), and that it round-trips through FormatFee.
func FuzzParseFee(f *testing.F) {
	for _, s := range []string{"0.06000", "-0.00600", "0.6", "12.34567", "1e5", "", "-", "99999999999999999999", "1844674407370955"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseFee(s)
		if err != nil {
			return
		}
		r, ok := new(big.Rat).SetString(strings.Trim(s, " \t"))
		if !ok {
			t.Fatalf("%q accepted as %d, but it is no number", s, v)
		}
		if want := r.Mul(r, big.NewRat(100000, 1)); !want.IsInt() || want.Num().Cmp(big.NewInt(v)) != 0 || v > MaxAmount*1000 || v < -MaxAmount*1000 {
			t.Fatalf("%q = %d, want %s within ±%d", s, v, want.RatString(), MaxAmount*1000)
		}
		if back, err := ParseFee(FormatFee(v)); err != nil || back != v {
			t.Fatalf("%q → %d → %q → %d, %v", s, v, FormatFee(v), back, err)
		}
		if _, err := ParseRate(s+"%", false); err == nil && v < 0 {
			t.Fatalf("a negative rate accepted: %q", s)
		}
	})
}

func gbk(t *testing.T, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A bill saved as XLSX keeps 手续费 and 费率 as numbers: with a double's
// noise, in scientific notation, as a fraction formatted as a percentage.
func TestXLSXBillFeesAreNumbers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bill.xlsx")
	f := excelize.NewFile()
	for i, h := range strings.Split(wechatAllHeader, ",") {
		cell, _ := excelize.CoordinatesToCellName(i+1, 1)
		f.SetCellValue("Sheet1", cell, h)
	}
	rows := []struct {
		fee, rate string // raw <v> values
		wantFee   int64
		wantRate  int64
		wantErr   Reason
	}{
		{"6.6000000000000005", "6E-3", 660000, 6000, ""},
		{"0.82799999999999996", "6.0000000000000001E-3", 82800, 6000, ""},
		{"-8.28E-1", "0.006", -82800, 6000, ""},
		{"0.0012345", "0.006", 0, 0, ReasonFee}, // a sixth decimal, not noise
		{"0.828", "1.5", 0, 0, ReasonRate},      // 150%
	}
	for i, r := range rows {
		line := i + 2
		vals := []any{"2026-11-20 10:00:00", "wx", "1", "0", "", fmt.Sprintf("42000012342026112000000000%02d", i), fmt.Sprintf("51186090249910316%02d", i),
			"oU", "JSAPI", "SUCCESS", "CMB", "CNY", 138.0, 0.0, "", "", 0.0, 0.0, "", "", "x", ""}
		for j, v := range vals {
			cell, _ := excelize.CoordinatesToCellName(j+1, line)
			f.SetCellValue("Sheet1", cell, v)
		}
		f.SetCellDefault("Sheet1", fmt.Sprintf("W%d", line), r.fee)
		f.SetCellDefault("Sheet1", fmt.Sprintf("X%d", line), r.rate)
		f.SetCellValue("Sheet1", fmt.Sprintf("Y%d", line), 138.0)
		f.SetCellValue("Sheet1", fmt.Sprintf("Z%d", line), 0.0)
	}
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	ps, es, _ := readPayments(t, path)
	got := map[int]string{}
	for _, p := range ps {
		got[p.Source.Line] = fmt.Sprintf("fee %d rate %d", p.Bill.Fee, p.Bill.FeeRate)
	}
	for _, e := range es {
		got[e.Source.Line] = "error " + string(e.Reason)
	}
	for i, r := range rows {
		want := fmt.Sprintf("fee %d rate %d", r.wantFee, r.wantRate)
		if r.wantErr != "" {
			want = "error " + string(r.wantErr)
		}
		if got[i+2] != want {
			t.Errorf("手续费 %s, 费率 %s: got %s, want %s", r.fee, r.rate, got[i+2], want)
		}
	}
}
