package reconcile_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crossborder/reconcile/internal/cst"
	"github.com/crossborder/reconcile/internal/reconcile"
	"github.com/crossborder/reconcile/internal/reconcile/reconciletest"
)

// dryRun reads and checks x for the window from..to, as a dry run of the
// job does.
func dryRun(t testing.TB, from, to, customs string, x reconciletest.Exports) *reconcile.Result {
	t.Helper()
	return checkInputs(t, from, to, customs, reconciletest.WriteExports(t, t.TempDir(), x))
}

// check is checkInputs with the default customs NINGBO.
func check(t testing.TB, from, to string, in reconcile.Inputs) *reconcile.Result {
	t.Helper()
	return checkInputs(t, from, to, "NINGBO", in)
}

// checkInputs reads and checks in for the window from..to.
func checkInputs(t testing.TB, from, to, customs string, in reconcile.Inputs) *reconcile.Result {
	t.Helper()
	w, err := cst.ParseWindow("", from, to, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	l, err := reconcile.Load(context.Background(), in)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	p := reconcile.Check(l, reconcile.Options{Window: w, DefaultCustoms: customs})
	res := &reconcile.Result{DryRun: true, Window: w, Inputs: l.Inputs(), Exceptions: p.Exceptions, Counts: p.Counts, Money: p.Money, Bills: p.Bills,
		Orders: p.Orders()}
	res.Counts.NotDeclared, res.Counts.NotSent = p.Counts.Eligible, p.Counts.Pending
	res.Tally()
	return res
}

func TestChecks(t *testing.T) {
	tests := []struct {
		name          string
		from, to      string
		customs       string
		x             reconciletest.Exports
		want          []string // exceptions, "CODE order tx", sorted as the result sorts them
		wantEligible  int
		wantInWindow  int
		wantUnpaid    int
		wantPending   int
		wantAmounts   map[string][2]int64 // code → expected, actual of its first exception
		wantOther     string              // the second transaction of the first PAYMENT_DUPLICATE
		wantMessageIn map[string]string   // code → a substring of its first message
	}{
		{
			name: "a clean order is eligible",
			from: "2026-11-20", to: "2026-11-20", customs: "NINGBO",
			x: reconciletest.Exports{
				Orders:   []string{"1001,100.00,10.00,110.00,,2026-11-20 10:00:00,买家已付款，等待卖家发货\n"},
				Payments: []string{"4200000000000000000000001001,1001,110.00,SUCCESS,,2026-11-20 10:00:05\n"},
			},
			wantEligible: 1, wantInWindow: 1,
		},
		{
			// A 29-digit id packs into two words whose low word equals the
			// short id's: the merge and the join must still tell them apart.
			name: "ids longer than 19 digits",
			from: "2026-11-20", to: "2026-11-20", customs: "NINGBO",
			x: reconciletest.Exports{
				Orders: []string{"1234,1.00,0,1.00,,2026-11-20 10:00:00,\n" +
					"10000000000000000000000001234,2.00,0,2.00,,2026-11-20 10:00:00,\n" +
					"20000000000000000000000001234,3.00,0,3.00,,2026-11-20 10:00:00,\n"},
				Payments: []string{"4200000000000000000000000001,1234,1.00,SUCCESS,,2026-11-20 10:00:01\n" +
					"4200000000000000000000000002,10000000000000000000000001234,2.00,SUCCESS,,2026-11-20 10:00:01\n" +
					"4200000000000000000000000003,30000000000000000000000001234,3.00,SUCCESS,,2026-11-20 10:00:01\n"},
			},
			want:         []string{"PAYMENT_MISSING 20000000000000000000000001234", "PAYMENT_ORPHAN 30000000000000000000000001234 4200000000000000000000000003"},
			wantEligible: 2, wantInWindow: 3,
		},
		{
			name: "fee arithmetic",
			from: "2026-11-20", to: "2026-11-20",
			x: reconciletest.Exports{
				Orders:   []string{"1002,100.00,10.00,120.00,SHANGHAI_ZS,2026-11-20 10:00:00,\n"},
				Payments: []string{"4200000000000000000000001002,1002,120.00,SUCCESS,,2026-11-20 10:00:05\n"},
			},
			want: []string{"FEE_MISMATCH 1002"}, wantInWindow: 1,
			wantAmounts:   map[string][2]int64{"FEE_MISMATCH": {11000, 12000}},
			wantMessageIn: map[string]string{"FEE_MISMATCH": "总金额 ¥120.00 ≠ 货款 ¥100.00 + 邮费 ¥10.00（应为 ¥110.00）"},
		},
		{
			name: "no payment, two payments, wrong amount",
			from: "2026-11-20", to: "2026-11-20", customs: "NINGBO",
			x: reconciletest.Exports{
				Orders: []string{"2001,50.00,0,50.00,,2026-11-20 08:00:00,\n" +
					"2002,50.00,0,50.00,,2026-11-20 08:00:00,\n" +
					"2003,50.00,0,50.00,,2026-11-20 08:00:00,\n"},
				Payments: []string{"4200000000000000000000002002,2002,50.00,SUCCESS,,2026-11-20 08:00:01\n" +
					"4200000000000000000000002912,2002,50.00,SUCCESS,,2026-11-20 08:03:00\n" +
					"4200000000000000000000002003,2003,49.99,SUCCESS,,2026-11-20 08:00:01\n"},
			},
			want:         []string{"PAYMENT_MISSING 2001", "PAYMENT_DUPLICATE 2002 4200000000000000000000002002", "AMOUNT_MISMATCH 2003 4200000000000000000000002003"},
			wantInWindow: 3,
			wantAmounts:  map[string][2]int64{"AMOUNT_MISMATCH": {5000, 4999}},
			wantOther:    "4200000000000000000000002912",
			wantMessageIn: map[string]string{
				"PAYMENT_DUPLICATE": "2 笔成功支付",
				"AMOUNT_MISMATCH":   "差额 -¥0.01",
			},
		},
		{
			name: "the same transaction in two bills is one payment",
			from: "2026-11-20", to: "2026-11-20", customs: "NINGBO",
			x: reconciletest.Exports{
				Orders: []string{"2101,50.00,0,50.00,,2026-11-20 08:00:00,\n"},
				Payments: []string{"4200000000000000000000002101,2101,50.00,SUCCESS,,2026-11-20 08:00:01\n",
					"4200000000000000000000002101,2101,50.00,SUCCESS,,2026-11-20 08:00:01\n"},
			},
			wantEligible: 1, wantInWindow: 1,
		},
		{
			name: "a refund in the next day's bill, a partial refund, a revocation",
			from: "2026-11-20", to: "2026-11-20", customs: "NINGBO",
			x: reconciletest.Exports{
				Orders: []string{"3001,80.00,0,80.00,,2026-11-20 21:00:00,\n" +
					"3002,80.00,0,80.00,,2026-11-20 21:00:00,\n" +
					"3003,80.00,0,80.00,,2026-11-20 21:00:00,\n"},
				Payments: []string{
					"4200000000000000000000003001,3001,80.00,SUCCESS,,2026-11-20 21:00:02\n" +
						"4200000000000000000000003002,3002,80.00,SUCCESS,,2026-11-20 21:00:02\n" +
						"4200000000000000000000003003,3003,80.00,REVOKED,,2026-11-20 21:00:02\n",
					// The next day's bill: the refunds.
					"4200000000000000000000003001,3001,80.00,REFUND,80.00,2026-11-21 09:00:00\n" +
						"4200000000000000000000003002,3002,80.00,REFUND,30.00,2026-11-21 09:30:00\n",
				},
			},
			want: []string{"PAYMENT_REFUNDED 3001 4200000000000000000000003001", "PAYMENT_REFUNDED 3002 4200000000000000000000003002",
				"PAYMENT_REFUNDED 3003 4200000000000000000000003003"},
			wantInWindow:  3,
			wantMessageIn: map[string]string{"PAYMENT_REFUNDED": "已退款 ¥80.00，退款记录时间 2026-11-21 09:00:00"},
		},
		{
			name: "the midnight payment is not an orphan",
			from: "2026-11-20", to: "2026-11-20", customs: "NINGBO",
			x: reconciletest.Exports{
				Orders: []string{"4001,10.00,0,10.00,,2026-11-20 23:59:50,\n"},
				// The payment of the order paid just before midnight lands in
				// the next day's bill, just after midnight.
				Payments: []string{"4200000000000000000000004001,4001,10.00,SUCCESS,,2026-11-21 00:00:05\n"},
			},
			wantEligible: 1, wantInWindow: 1,
		},
		{
			name: "the next night: the order is outside the window, its payment inside, still no orphan",
			from: "2026-11-21", to: "2026-11-21", customs: "NINGBO",
			x: reconciletest.Exports{
				Orders:   []string{"4001,10.00,0,10.00,,2026-11-20 23:59:50,\n"},
				Payments: []string{"4200000000000000000000004001,4001,10.00,SUCCESS,,2026-11-21 00:00:05\n"},
			},
		},
		{
			name: "a payment whose order is in no export is an orphan; one outside the window is not",
			from: "2026-11-20", to: "2026-11-20",
			x: reconciletest.Exports{
				Payments: []string{"4200000000000000000000005001,5001,12.34,SUCCESS,,2026-11-20 12:00:00\n" +
					"4200000000000000000000005002,5002,12.34,SUCCESS,,2026-11-19 12:00:00\n" +
					"4200000000000000000000005003,5003,12.34,REFUND,12.34,2026-11-20 12:00:00\n"},
			},
			want:          []string{"PAYMENT_ORPHAN 5001 4200000000000000000000005001"},
			wantMessageIn: map[string]string{"PAYMENT_ORPHAN": "成功支付 ¥12.34 的商户订单号 5001 不在任何读取的订单导出中"},
		},
		{
			name: "unpaid and closed orders are neither declared nor exceptions",
			from: "2026-11-20", to: "2026-11-20", customs: "NINGBO",
			x: reconciletest.Exports{
				Orders: []string{"6001,10.00,0,10.00,,,等待买家付款\n" +
					"6002,10.00,0,10.00,,0000-00-00 00:00:00,\n" +
					"6003,10.00,0,10.00,,2026-11-20 10:00:00,交易关闭\n" +
					"6004,10.00,0,10.00,,2026-11-20 10:00:00,TRADE_CLOSED\n"},
			},
			wantUnpaid: 4,
		},
		{
			name: "customs: the order's own, else --customs, else an exception",
			from: "2026-11-20", to: "2026-11-20",
			x: reconciletest.Exports{
				Orders: []string{"7001,10.00,0,10.00,HANGZHOU_ZS,2026-11-20 10:00:00,\n" +
					"7002,10.00,0,10.00,,2026-11-20 10:00:00,\n"},
				Payments: []string{"4200000000000000000000007001,7001,10.00,SUCCESS,,2026-11-20 10:00:01\n" +
					"4200000000000000000000007002,7002,10.00,SUCCESS,,2026-11-20 10:00:01\n"},
			},
			want: []string{"INPUT_INVALID 7002 4200000000000000000000007002"}, wantEligible: 1, wantInWindow: 2,
			wantMessageIn: map[string]string{"INPUT_INVALID": "订单没有海关代码"},
		},
		{
			name: "identical repeats across files merge; conflicting ones are ORDER_DUPLICATE",
			from: "2026-11-20", to: "2026-11-20", customs: "NINGBO",
			x: reconciletest.Exports{
				Orders: []string{
					"8001,10.00,0,10.00,,2026-11-20 10:00:00,\n8002,10.00,0,10.00,,2026-11-20 10:00:00,\n8003,10.00,0,10.00,NINGBO,2026-11-20 10:00:00,\n",
					"8001,10.00,0,10.00,,2026-11-20 10:00:00,\n8002,10.00,1.00,11.00,,2026-11-20 10:00:00,\n8003,10.00,0,10.00,TIANJIN,2026-11-20 10:00:00,\n",
				},
				Payments: []string{"4200000000000000000000008001,8001,10.00,SUCCESS,,2026-11-20 10:00:01\n" +
					"4200000000000000000000008002,8002,10.00,SUCCESS,,2026-11-20 10:00:01\n" +
					"4200000000000000000000008003,8003,10.00,SUCCESS,,2026-11-20 10:00:01\n"},
			},
			want:         []string{"ORDER_DUPLICATE 8002", "ORDER_DUPLICATE 8003"},
			wantEligible: 1, wantInWindow: 3,
			wantAmounts:   map[string][2]int64{"ORDER_DUPLICATE": {1000, 1100}},
			wantMessageIn: map[string]string{"ORDER_DUPLICATE": "orders1.csv:3 货款¥10.00 邮费¥0.00 总金额¥10.00；"},
		},
		{
			name: "an unreadable row is INPUT_INVALID and its order's payment is no orphan",
			from: "2026-11-20", to: "2026-11-20", customs: "NINGBO",
			x: reconciletest.Exports{
				Orders:   []string{"9001,10.001,0,10.00,,2026-11-20 10:00:00,\n"},
				Payments: []string{"4200000000000000000000009001,9001,10.00,SUCCESS,,2026-11-20 10:00:01\n"},
			},
			want: []string{"INPUT_INVALID 9001"},
		},
		{
			name: "callbacks: pending, invalid, repeated, conflicting, outside the window",
			from: "2026-11-20", to: "2026-11-20",
			x: reconciletest.Exports{
				Clearance: []string{
					"1101,K1,1,,2991,2026-11-20 13:00:00,,\n" +
						"1101,K1,2,0000,2991,2026-11-20 15:00:00,2991071755662,订单已放行\n" +
						"1102,,1,,2991,2026-11-20 13:00:00,,\n" +
						"1103,K3,3,,2991,2026-11-20 13:00:00,,\n" +
						"1101,K1,1,,2991,2026-11-20 13:00:00,,\n" + // an identical repeat
						"1104,K1,2,1001,2991,2026-11-20 15:00:00,,\n" + // same key and status, other data
						"1105,K5,1,,2991,2026-11-19 13:00:00,,\n" + // outside the window
						"1106,K6,1,,2991,,,\n", // no time: in every window
				},
			},
			want:          []string{"CALLBACK_INVALID 1102", "CALLBACK_INVALID 1103", "CALLBACK_INVALID 1104"},
			wantPending:   3,
			wantMessageIn: map[string]string{"CALLBACK_INVALID": "没有幂等键"},
		},
	}
	refundAmounts := map[string][2]int64{"3001": {8000, 8000}, "3002": {8000, 3000}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := dryRun(t, tt.from, tt.to, tt.customs, tt.x)
			got := reconciletest.ExceptionKeys(res)
			if !slices.Equal(got, tt.want) {
				t.Errorf("exceptions:\n got %q\nwant %q", got, tt.want)
			}
			c := res.Counts
			if c.Eligible != tt.wantEligible || c.OrdersInWindow != tt.wantInWindow || c.OrdersUnpaid != tt.wantUnpaid || c.Pending != tt.wantPending {
				t.Errorf("counts: eligible %d, in window %d, unpaid %d, pending %d; want %d, %d, %d, %d",
					c.Eligible, c.OrdersInWindow, c.OrdersUnpaid, c.Pending, tt.wantEligible, tt.wantInWindow, tt.wantUnpaid, tt.wantPending)
			}
			for code, want := range tt.wantAmounts {
				e := reconciletest.FirstException(res, reconcile.Code(code))
				if e == nil || !e.HasAmounts || e.Expected != want[0] || e.Actual != want[1] {
					t.Errorf("%s amounts = %+v, want expected %d actual %d", code, e, want[0], want[1])
				}
			}
			if e := reconciletest.FirstException(res, reconcile.PaymentDuplicate); e != nil && e.OtherTransactionID != tt.wantOther {
				t.Errorf("PAYMENT_DUPLICATE: other transaction %q, want %q", e.OtherTransactionID, tt.wantOther)
			}
			for code, want := range tt.wantMessageIn {
				if e := reconciletest.FirstException(res, reconcile.Code(code)); e == nil || !strings.Contains(e.Message, want) {
					t.Errorf("%s message = %+v, want it to contain %q", code, e, want)
				}
			}
			for _, e := range res.Exceptions {
				// A refund shows the payment as 应为 and the refund as 实际
				// when the bills hold both; a revocation has no refund.
				if e.Code == reconcile.PaymentRefunded {
					want, ok := refundAmounts[e.OrderID]
					if got := [2]int64{e.Expected, e.Actual}; e.HasAmounts != ok || ok && got != want {
						t.Errorf("refund of %s: amounts %v (%v), want %v (%v)", e.OrderID, got, e.HasAmounts, want, ok)
					}
				}
				if e.Code == reconcile.PaymentRefunded && e.OrderID == "3002" && !strings.Contains(e.Message, "已退款 ¥30.00（部分退款，原支付 ¥80.00）") {
					t.Errorf("partial refund message = %q", e.Message)
				}
			}
			reconciletest.AssertAccounting(t, res)
		})
	}
}

// The cross-border retail limit per order: exactly 5000.00 passes,
// 5000.01 does not; 0 turns the check off.
func TestOrderLimitAtItsEdge(t *testing.T) {
	x := reconciletest.Exports{
		Orders: []string{"9001,5000.00,0,5000.00,,2026-11-20 10:00:00,\n9002,4990.01,10.00,5000.01,,2026-11-20 10:00:00,\n"},
		Payments: []string{"4200000000000000000000009001,9001,5000.00,SUCCESS,,2026-11-20 10:00:01\n" +
			"4200000000000000000000009002,9002,5000.01,SUCCESS,,2026-11-20 10:00:01\n"},
	}
	in := reconciletest.WriteExports(t, t.TempDir(), x)
	w, _ := cst.ParseWindow("2026-11-20", "", "", time.Now())
	for _, tt := range []struct {
		limit int64
		want  []string
	}{
		{500_000, []string{"LIMIT_EXCEEDED 9002 4200000000000000000000009002"}},
		{500_001, nil},
		{0, nil},
	} {
		l, err := reconcile.Load(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		p := reconcile.Check(l, reconcile.Options{Window: w, DefaultCustoms: "NINGBO", OrderLimit: tt.limit})
		res := &reconcile.Result{DryRun: true, Window: w, Exceptions: p.Exceptions, Counts: p.Counts, Orders: p.Orders()}
		res.Counts.NotDeclared, res.Counts.NotSent = p.Counts.Eligible, p.Counts.Pending
		res.Tally()
		reconciletest.AssertAccounting(t, res)
		if got := reconciletest.ExceptionKeys(res); !slices.Equal(got, tt.want) {
			t.Errorf("limit %d: exceptions %q, want %q", tt.limit, got, tt.want)
		}
		if e := reconciletest.FirstException(res, reconcile.LimitExceeded); e != nil &&
			(!e.HasAmounts || e.Expected != tt.limit || e.Actual != 500_001 || !strings.Contains(e.Message, "¥5000.01 超过跨境电商零售进口单笔限额 ¥5000.00")) {
			t.Errorf("limit %d: %+v", tt.limit, e)
		}
	}
}

func TestRefundedOrders(t *testing.T) {
	x := reconciletest.Exports{
		Orders: []string{"3001,80.00,0,80.00,,2026-11-20 13:00:00,\n"},
		Payments: []string{"4200000000000000000000003001,3001,80.00,SUCCESS,,2026-11-20 13:00:01\n",
			// A refund without an order id, tied through its transaction;
			// a revocation of an order in no export; a refund twice.
			"4200000000000000000000003001,,80.00,REFUND,80.00,2026-11-21 09:00:00\n" +
				"4200000000000000000000003099,3099,10.00,REVOKED,,2026-11-22 09:00:00\n" +
				"4200000000000000000000003001,3001,80.00,REFUND,80.00,2026-11-21 09:00:00\n"},
	}
	in := reconciletest.WriteExports(t, t.TempDir(), x)
	w, _ := cst.ParseWindow("2026-11-20", "", "", time.Now())
	l, err := reconcile.Load(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	p := reconcile.Check(l, reconcile.Options{Window: w, DefaultCustoms: "NINGBO"})
	if got, want := p.RefundedOrders(), []string{"3001", "3099"}; !slices.Equal(got, want) {
		t.Errorf("RefundedOrders = %q, want %q", got, want)
	}
}

// An export that holds its header and no row below it is read as empty,
// and said so: a note names it (a day without refunds, or the wrong file).
func TestAnEmptyExportIsANote(t *testing.T) {
	x := reconciletest.Exports{
		Orders:   []string{"3001,80.00,0,80.00,,2026-11-20 13:00:00,\n"},
		Payments: []string{"4200000000000000000000003001,3001,80.00,SUCCESS,,2026-11-20 13:00:01\n", "", "\n\n"},
	}
	in := reconciletest.WriteExports(t, t.TempDir(), x)
	l, err := reconcile.Load(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range l.Notes() {
		got = append(got, filepath.Base(n.Source)+": "+n.Text)
	}
	want := []string{
		"payments2.csv: no rows below the header: nothing was read from this file (check that it is the right export of the day)",
		"payments3.csv: no rows below the header: nothing was read from this file (check that it is the right export of the day)",
	}
	if !slices.Equal(got, want) {
		t.Errorf("notes\n got %q\nwant %q", got, want)
	}
}
