package reconcile_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/crossborder/reconcile/internal/ingest"
	"github.com/crossborder/reconcile/internal/reconcile"
	"github.com/crossborder/reconcile/internal/reconcile/reconciletest"
)

type billRow = reconciletest.BillRow

const (
	o1, o2, o3 = "5118609024991031601", "5118609024991031602", "5118609024991031603"
	t1, t2, t3 = "4200001234202611200000000001", "4200001234202611200000000002", "4200001234202611210000000003"
)

// orders of the golden night: three orders paid on the 20th.
func nightOrders() []string {
	return []string{o1 + ",130.00,8.00,138.00,NINGBO,2026-11-20 10:00:00,\n" +
		o2 + ",1200.00,34.50,1234.50,NINGBO,2026-11-20 11:00:00,\n" +
		o3 + ",59.90,0,59.90,NINGBO,2026-11-20 12:00:00,\n"}
}

var (
	dayBill = []billRow{
		{At: "2026-11-20 10:00:05", Tx: t1, Order: o1, Status: "SUCCESS", Amount: 13800},
		{At: "2026-11-20 11:00:05", Tx: t2, Order: o2, Status: "SUCCESS", Amount: 123450},
		{At: "2026-11-20 12:00:05", Tx: t3, Order: o3, Status: "SUCCESS", Amount: 5990},
	}
	// The next day: the first payment refunded, its fee returned.
	nextBill = []billRow{{At: "2026-11-21 09:00:00", Tx: t1, Order: o1, Status: "REFUND", Amount: 13800}}
)

func TestBillsTieOut(t *testing.T) {
	tests := []struct {
		name         string
		bills        []string
		window       string // from..to
		wantCodes    map[reconcile.Code]int
		wantMessage  map[reconcile.Code]string // a substring of the code's first message
		wantEligible int
		check        func(t *testing.T, res *reconcile.Result)
	}{
		{
			name:         "a clean night ties out",
			bills:        []string{reconciletest.WeChatBill(dayBill, nil)},
			window:       "2026-11-20",
			wantEligible: 3,
			check: func(t *testing.T, res *reconcile.Result) {
				m := res.Money
				if m.Orders != (reconcile.Amount{Count: 3, Fen: 143240}) || m.Payments != (reconcile.Amount{Count: 3, Fen: 143240}) {
					t.Errorf("orders %+v, payments %+v; want 3 and ¥1432.40 each", m.Orders, m.Payments)
				}
				// 0.83 + 7.41 + 0.36 (138.00, 1234.50, 59.90 at 0.60%)
				if m.ServiceFee != 860000 || m.Net() != 143240*1000-860000 {
					t.Errorf("fees %d, net %d; want 860000 and payments minus fees", m.ServiceFee, m.Net())
				}
				if len(res.Bills) != 1 || !res.Bills[0].TiesOut || res.Bills[0].Rows != 3 {
					t.Errorf("bills %+v", res.Bills)
				}
			},
		},
		{
			name:         "pasted bills: the refund in the second is read, and the order not declared",
			bills:        []string{reconciletest.WeChatBill(dayBill, nil) + reconciletest.WeChatBill(nextBill, nil)},
			window:       "2026-11-20..2026-11-21",
			wantCodes:    map[reconcile.Code]int{reconcile.PaymentRefunded: 1},
			wantEligible: 2,
			check: func(t *testing.T, res *reconcile.Result) {
				m := res.Money
				if m.Refunds != (reconcile.Amount{Count: 1, Fen: 13800}) || m.ServiceFee != 860000-83000 {
					t.Errorf("refunds %+v, fees %d; want one of ¥138.00, the fee returned", m.Refunds, m.ServiceFee)
				}
				if len(m.Days) != 2 || m.Days[1].Refunds.Fen != 13800 || m.Days[0].Payments.Count != 3 {
					t.Errorf("days %+v", m.Days)
				}
				if len(res.Bills) != 2 || !res.Bills[0].TiesOut || !res.Bills[1].TiesOut {
					t.Errorf("bills %+v", res.Bills)
				}
			},
		},
		{
			name: "the same bill read twice counts each payment and refund once",
			bills: []string{reconciletest.WeChatBill(append(dayBill, nextBill...), nil),
				reconciletest.WeChatBill(append(dayBill, nextBill...), nil)},
			window:       "2026-11-20..2026-11-21",
			wantCodes:    map[reconcile.Code]int{reconcile.PaymentRefunded: 1},
			wantEligible: 2,
			check: func(t *testing.T, res *reconcile.Result) {
				if m := res.Money; m.Payments.Count != 3 || m.Refunds.Count != 1 || m.ServiceFee != 860000-83000 {
					t.Errorf("money %+v; want 3 payments, 1 refund, fees once", m)
				}
			},
		},
		{
			name: "a row deleted under intact totals",
			bills: []string{reconciletest.WeChatBill(dayBill[:2], func(f *ingest.BillFigures) {
				f.Trades, f.Settlement, f.OrderAmount, f.Fee = 3, 143240, 143240, 860000
			})},
			window:       "2026-11-20",
			wantCodes:    map[reconcile.Code]int{reconcile.BillMismatch: 1, reconcile.PaymentMissing: 1},
			wantMessage:  map[reconcile.Code]string{reconcile.BillMismatch: "bill1.csv 第 1 段（表头在第 1 行）的汇总（第 5 行）与各行不符：总交易单数：汇总 3，各行合计 2；应结订单总金额：汇总 ¥1432.40，各行合计 ¥1372.50"},
			wantEligible: 2,
			check: func(t *testing.T, res *reconcile.Result) {
				e := reconciletest.FirstException(res, reconcile.BillMismatch)
				if !e.HasAmounts || e.Expected != 143240 || e.Actual != 137250 || !strings.HasSuffix(e.Source, "bill1.csv:5") {
					t.Errorf("BILL_MISMATCH %+v: want the settlement's two figures and the summary's line", e)
				}
				if b := res.Bills[0]; b.TiesOut || len(b.Diffs) != 4 {
					t.Errorf("bill %+v", b)
				}
			},
		},
		{
			name:         "a truncated download",
			bills:        []string{reconciletest.WeChatBill(dayBill, reconciletest.Truncated)},
			window:       "2026-11-20",
			wantCodes:    map[reconcile.Code]int{reconcile.BillMismatch: 1},
			wantMessage:  map[reconcile.Code]string{reconcile.BillMismatch: "没有汇总行"},
			wantEligible: 3,
		},
		{
			name: "a fee off by a fen; a legacy unrounded fee; a refund's negative fee",
			bills: []string{reconciletest.WeChatBill([]billRow{
				{At: "2026-11-20 10:00:05", Tx: t1, Order: o1, Status: "SUCCESS", Amount: 13800, Fee: "0.82000"},
				{At: "2026-11-20 11:00:05", Tx: t2, Order: o2, Status: "SUCCESS", Amount: 123450, Fee: "7.40700"},
				{At: "2026-11-20 12:00:05", Tx: t3, Order: o3, Status: "SUCCESS", Amount: 5990},
				{At: "2026-11-20 23:00:00", Tx: t3, Order: o3, Status: "REFUND", Amount: 5990, Fee: "-0.36000"},
			}, nil)},
			window:       "2026-11-20",
			wantCodes:    map[reconcile.Code]int{reconcile.ServiceFeeMismatch: 1, reconcile.PaymentRefunded: 1},
			wantMessage:  map[reconcile.Code]string{reconcile.ServiceFeeMismatch: "手续费 ¥0.82000 与应结订单金额 ¥138.00 × 费率 0.6% 不符，应为 ¥0.83000"},
			wantEligible: 2, // the fee mismatch does not stop the declaration: 1 and 2 are declarable
			check: func(t *testing.T, res *reconcile.Result) {
				if e := reconciletest.FirstException(res, reconcile.ServiceFeeMismatch); e.OrderID != o1 || e.TransactionID != t1 {
					t.Errorf("SERVICE_FEE_MISMATCH %+v, want order %s", e, o1)
				}
			},
		},
		{
			// The bill given twice, and the next day's with a fee off: the
			// window's row is reported once, the next day's not tonight.
			name: "a fee off in a bill given twice, and one in the next day's bill",
			bills: []string{
				reconciletest.WeChatBill([]billRow{{At: "2026-11-20 10:00:05", Tx: t1, Order: o1, Status: "SUCCESS", Amount: 13800, Fee: "0.82000"}}, nil),
				reconciletest.WeChatBill([]billRow{{At: "2026-11-20 10:00:05", Tx: t1, Order: o1, Status: "SUCCESS", Amount: 13800, Fee: "0.82000"}}, nil),
				reconciletest.WeChatBill([]billRow{{At: "2026-11-21 10:00:05", Tx: t2, Order: o2, Status: "SUCCESS", Amount: 123450, Fee: "7.00000"}}, nil),
			},
			window:       "2026-11-20",
			wantCodes:    map[reconcile.Code]int{reconcile.ServiceFeeMismatch: 1, reconcile.PaymentMissing: 1},
			wantEligible: 2,
			check: func(t *testing.T, res *reconcile.Result) {
				if e := reconciletest.FirstException(res, reconcile.ServiceFeeMismatch); e.OrderID != o1 || e.At.IsZero() {
					t.Errorf("SERVICE_FEE_MISMATCH %+v, want order %s with its time", e, o1)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from, to, _ := strings.Cut(tt.window, "..")
			if to == "" {
				to = from
			}
			res := dryRun(t, from, to, "NINGBO", reconciletest.Exports{Orders: nightOrders(), Bills: tt.bills})
			reconciletest.AssertAccounting(t, res)
			for _, c := range reconcile.Codes() {
				if got := res.ByCode[c]; got != tt.wantCodes[c] {
					t.Errorf("%s: %d, want %d", c, got, tt.wantCodes[c])
				}
			}
			for c, want := range tt.wantMessage {
				if e := reconciletest.FirstException(res, c); e == nil || !strings.Contains(e.Message, want) {
					t.Errorf("%s message = %+v, want it to contain %q", c, e, want)
				}
			}
			if res.Counts.Eligible != tt.wantEligible {
				t.Errorf("eligible %d, want %d", res.Counts.Eligible, tt.wantEligible)
			}
			if tt.check != nil {
				tt.check(t, res)
			}
		})
	}
}

// Pasted bills in GBK, as saved from the web console, read the same.
func TestPastedBillsInGBK(t *testing.T) {
	text := reconciletest.WeChatBill(dayBill, nil) + reconciletest.WeChatBill(nextBill, nil)
	b, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	in := reconciletest.WriteExports(t, dir, reconciletest.Exports{Orders: nightOrders()})
	p := filepath.Join(dir, "pasted_gbk.csv")
	os.WriteFile(p, b, 0o644)
	in.Payments = []string{p}
	res := check(t, "2026-11-20", "2026-11-21", in)
	if res.ByCode[reconcile.PaymentRefunded] != 1 || res.ByCode[reconcile.BillMismatch] != 0 || len(res.Bills) != 2 {
		t.Errorf("GBK pasted bills: %v, bills %+v", res.ByCode, res.Bills)
	}
}

// A WeChat Pay Global statement: the buyer paid CNY, which is matched and
// declared; the merchant is settled in HKD, summed apart and never added
// to CNY.
func TestGlobalStatementSettlesApart(t *testing.T) {
	header := "交易时间,公众账号ID,商户号,子商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,充值券币种,充值券金额,优惠券币种,优惠券金额,微信退款单号,商户退款单号,退款类型,退款状态,商品名称,商户数据包,手续费,费率,标价币种,订单金额(标价币种),用户支付币种,用户支付金额,结算币种,应结订单金额,支付汇率,退款汇率,申请退款金额,用户退款币种,用户退款金额,退款结算币种,退款应结订单金额,充值券退款金额,优惠券退款金额"
	row := func(at, tx, order, cny, hkd, fee string) string {
		cols := []string{at, "wx1", "10000100", "0", "", tx, order, "oU", "JSAPI", "SUCCESS", "OTHERS", "", "0", "", "0", "", "", "", "",
			"保健品", "", fee, "0.60%", "HKD", hkd, "CNY", cny, "HKD", hkd, "108.21", "", "0.00", "", "0.00", "", "0.00", "0.00", "0.00"}
		return "`" + strings.Join(cols, ",`")
	}
	bill := header + "\n" +
		row("2026-11-20 10:00:05", t1, o1, "138.00", "149.33", "0.90000") + "\n" + // 149.33 × 0.6% = 0.89598 → 0.90
		row("2026-11-20 11:00:05", t2, o2, "1234.50", "1335.87", "8.00000") + "\n" // 8.01522 → 8.02: off
	res := dryRun(t, "2026-11-20", "2026-11-20", "NINGBO", reconciletest.Exports{Orders: nightOrders(), Bills: []string{bill}})
	reconciletest.AssertAccounting(t, res)
	if res.ByCode[reconcile.AmountMismatch] != 0 || res.ByCode[reconcile.PaymentMissing] != 1 || res.Counts.Eligible != 2 {
		t.Errorf("matched with the CNY paid: %v, eligible %d; want 2 eligible, order 3 missing", res.ByCode, res.Counts.Eligible)
	}
	if e := reconciletest.FirstException(res, reconcile.ServiceFeeMismatch); e == nil || !strings.Contains(e.Message, "HKD 8.00000") || !strings.Contains(e.Message, "应为 HKD 8.02000") {
		t.Errorf("the fee is checked in HKD: %+v", e)
	}
	m := res.Money
	if m.Payments.Fen != 137250 || m.ServiceFee != 0 || m.Settled != 0 || m.Net() != 0 {
		t.Errorf("CNY payments %d, CNY fees %d, settled %d, net %d; want ¥1372.50 paid, no CNY fee, all of it settled in HKD, no CNY to settle",
			m.Payments.Fen, m.ServiceFee, m.Settled, m.Net())
	}
	if len(m.Settlements) != 1 || m.Settlements[0].Currency != "HKD" || m.Settlements[0].Payments.Fen != 148520 || m.Settlements[0].ServiceFee != 890000 {
		t.Errorf("settlements %+v; want HKD 1485.20 settled, HKD 8.90 fees", m.Settlements)
	}
	if b := res.Bills; len(b) != 1 || b[0].SettleCurrency != "HKD" || res.ByCode[reconcile.BillMismatch] != 0 {
		t.Errorf("a Global statement without a summary is no BILL_MISMATCH (its layout is not documented): %+v", b)
	}
}

// A 免充值券 (a coupon WeChat does not pay out) makes the settlement less
// than the payment: the order is matched with what the buyer paid
// (订单金额), the net is what the merchant is settled (应结订单金额 −
// 退款金额 − 手续费).
func TestCouponsAreNotSettled(t *testing.T) {
	bill := reconciletest.WeChatBill([]billRow{
		{At: "2026-11-20 10:00:05", Tx: t1, Order: o1, Status: "SUCCESS", Amount: 13800, Voucher: 1000},
		{At: "2026-11-20 11:00:05", Tx: t2, Order: o2, Status: "SUCCESS", Amount: 123450},
		{At: "2026-11-20 12:00:05", Tx: t3, Order: o3, Status: "SUCCESS", Amount: 5990},
		{At: "2026-11-20 20:00:00", Tx: t1, Order: o1, Status: "REFUND", Amount: 13800, Voucher: 1000},
	}, nil)
	res := dryRun(t, "2026-11-20", "2026-11-20", "NINGBO", reconciletest.Exports{Orders: nightOrders(), Bills: []string{bill}})
	reconciletest.AssertAccounting(t, res)
	m := res.Money
	// Settled: 128.00 + 1234.50 + 59.90 − 128.00; fees: 0.77 + 7.41 + 0.36 − 0.77.
	if res.ByCode[reconcile.BillMismatch] != 0 || res.ByCode[reconcile.ServiceFeeMismatch] != 0 || res.ByCode[reconcile.AmountMismatch] != 0 {
		t.Errorf("a bill with coupons: %v", res.ByCode)
	}
	if m.Payments.Fen != 143240 || m.Refunds.Fen != 13800 || m.Settled != 129440 || m.ServiceFee != 777000 || m.Net() != 129440*1000-777000 {
		t.Errorf("payments %d, refunds %d, settled %d, fees %d, net %d; want 1432.40 paid, 138.00 refunded, 1294.40 settled, 7.77 fees",
			m.Payments.Fen, m.Refunds.Fen, m.Settled, m.ServiceFee, m.Net())
	}
}
