package batch

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crossborder/reconcile/internal/cst"
	"github.com/crossborder/reconcile/internal/reconcile"
)

const (
	orderHeader     = "order_id,product_fee,transport_fee,order_fee,customs,paid_at,status\n"
	paymentHeader   = "transaction_id,order_id,amount,status,refund_amount,paid_at\n"
	clearanceHeader = "order_id,idempotent,clearance_status,clearance_result_code,clearance_port_no,clearance_time,customs_pass_no,customs_return_receipt\n"
)

// exports are the CSV bodies of a test run, one string per file (header
// added).
type exports struct {
	orders, payments, clearance []string
}

// writeExports writes the exports into dir and returns the inputs.
func writeExports(t testing.TB, dir string, x exports) reconcile.Inputs {
	t.Helper()
	var in reconcile.Inputs
	write := func(kind, header string, bodies []string, dst *[]string) {
		for i, body := range bodies {
			p := filepath.Join(dir, fmt.Sprintf("%s%d.csv", kind, i+1))
			if err := os.WriteFile(p, []byte(header+body), 0o644); err != nil {
				t.Fatal(err)
			}
			*dst = append(*dst, p)
		}
	}
	write("orders", orderHeader, x.orders, &in.Orders)
	write("payments", paymentHeader, x.payments, &in.Payments)
	write("clearance", clearanceHeader, x.clearance, &in.Clearance)
	return in
}

// dryRun runs the job in dry-run mode on x for the window from..to.
func dryRun(t testing.TB, from, to, customs string, x exports) *reconcile.Result {
	t.Helper()
	w, err := cst.ParseWindow("", from, to, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	in := writeExports(t, t.TempDir(), x)
	res, err := Run(context.Background(), Config{Window: w, Inputs: in, DefaultCustoms: customs, DryRun: true}, Deps{})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return res
}

// codes returns "CODE order tx" for each exception, in the result's order.
func exceptionKeys(res *reconcile.Result) []string {
	var out []string
	for _, e := range res.Exceptions {
		out = append(out, strings.TrimSpace(fmt.Sprintf("%s %s %s", e.Code, e.OrderID, e.TransactionID)))
	}
	return out
}

func TestChecks(t *testing.T) {
	tests := []struct {
		name          string
		from, to      string
		customs       string
		x             exports
		want          []string // exceptions, "CODE order tx", sorted as the result sorts them
		wantEligible  int
		wantInWindow  int
		wantUnpaid    int
		wantPending   int
		wantAmounts   map[string][2]int64 // code → expected, actual of its first exception
		wantMessageIn map[string]string   // code → a substring of its first message
	}{
		{
			name: "a clean order is eligible",
			from: "2026-11-20", to: "2026-11-20", customs: "NINGBO",
			x: exports{
				orders:   []string{"1001,100.00,10.00,110.00,,2026-11-20 10:00:00,买家已付款，等待卖家发货\n"},
				payments: []string{"4200000000000000000000001001,1001,110.00,SUCCESS,,2026-11-20 10:00:05\n"},
			},
			wantEligible: 1, wantInWindow: 1,
		},
		{
			// A 29-digit id packs into two words whose low word equals the
			// short id's: the merge and the join must still tell them apart.
			name: "ids longer than 19 digits",
			from: "2026-11-20", to: "2026-11-20", customs: "NINGBO",
			x: exports{
				orders: []string{"1234,1.00,0,1.00,,2026-11-20 10:00:00,\n" +
					"10000000000000000000000001234,2.00,0,2.00,,2026-11-20 10:00:00,\n" +
					"20000000000000000000000001234,3.00,0,3.00,,2026-11-20 10:00:00,\n"},
				payments: []string{"4200000000000000000000000001,1234,1.00,SUCCESS,,2026-11-20 10:00:01\n" +
					"4200000000000000000000000002,10000000000000000000000001234,2.00,SUCCESS,,2026-11-20 10:00:01\n" +
					"4200000000000000000000000003,30000000000000000000000001234,3.00,SUCCESS,,2026-11-20 10:00:01\n"},
			},
			want:         []string{"PAYMENT_MISSING 20000000000000000000000001234", "PAYMENT_ORPHAN 30000000000000000000000001234 4200000000000000000000000003"},
			wantEligible: 2, wantInWindow: 3,
		},
		{
			name: "fee arithmetic",
			from: "2026-11-20", to: "2026-11-20",
			x: exports{
				orders:   []string{"1002,100.00,10.00,120.00,SHANGHAI_ZS,2026-11-20 10:00:00,\n"},
				payments: []string{"4200000000000000000000001002,1002,120.00,SUCCESS,,2026-11-20 10:00:05\n"},
			},
			want: []string{"FEE_MISMATCH 1002"}, wantInWindow: 1,
			wantAmounts:   map[string][2]int64{"FEE_MISMATCH": {11000, 12000}},
			wantMessageIn: map[string]string{"FEE_MISMATCH": "总金额 ¥120.00 ≠ 货款 ¥100.00 + 邮费 ¥10.00（应为 ¥110.00）"},
		},
		{
			name: "no payment, two payments, wrong amount",
			from: "2026-11-20", to: "2026-11-20", customs: "NINGBO",
			x: exports{
				orders: []string{"2001,50.00,0,50.00,,2026-11-20 08:00:00,\n" +
					"2002,50.00,0,50.00,,2026-11-20 08:00:00,\n" +
					"2003,50.00,0,50.00,,2026-11-20 08:00:00,\n"},
				payments: []string{"4200000000000000000000002002,2002,50.00,SUCCESS,,2026-11-20 08:00:01\n" +
					"4200000000000000000000002912,2002,50.00,SUCCESS,,2026-11-20 08:03:00\n" +
					"4200000000000000000000002003,2003,49.99,SUCCESS,,2026-11-20 08:00:01\n"},
			},
			want:         []string{"PAYMENT_MISSING 2001", "PAYMENT_DUPLICATE 2002 4200000000000000000000002002", "AMOUNT_MISMATCH 2003 4200000000000000000000002003"},
			wantInWindow: 3,
			wantAmounts:  map[string][2]int64{"AMOUNT_MISMATCH": {5000, 4999}},
			wantMessageIn: map[string]string{
				"PAYMENT_DUPLICATE": "2 笔成功支付",
				"AMOUNT_MISMATCH":   "差额 -¥0.01",
			},
		},
		{
			name: "the same transaction in two bills is one payment",
			from: "2026-11-20", to: "2026-11-20", customs: "NINGBO",
			x: exports{
				orders: []string{"2101,50.00,0,50.00,,2026-11-20 08:00:00,\n"},
				payments: []string{"4200000000000000000000002101,2101,50.00,SUCCESS,,2026-11-20 08:00:01\n",
					"4200000000000000000000002101,2101,50.00,SUCCESS,,2026-11-20 08:00:01\n"},
			},
			wantEligible: 1, wantInWindow: 1,
		},
		{
			name: "a refund in the next day's bill, a partial refund, a revocation",
			from: "2026-11-20", to: "2026-11-20", customs: "NINGBO",
			x: exports{
				orders: []string{"3001,80.00,0,80.00,,2026-11-20 21:00:00,\n" +
					"3002,80.00,0,80.00,,2026-11-20 21:00:00,\n" +
					"3003,80.00,0,80.00,,2026-11-20 21:00:00,\n"},
				payments: []string{
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
			x: exports{
				orders: []string{"4001,10.00,0,10.00,,2026-11-20 23:59:50,\n"},
				// The payment of the order paid just before midnight lands in
				// the next day's bill, just after midnight.
				payments: []string{"4200000000000000000000004001,4001,10.00,SUCCESS,,2026-11-21 00:00:05\n"},
			},
			wantEligible: 1, wantInWindow: 1,
		},
		{
			name: "the next night: the order is outside the window, its payment inside, still no orphan",
			from: "2026-11-21", to: "2026-11-21", customs: "NINGBO",
			x: exports{
				orders:   []string{"4001,10.00,0,10.00,,2026-11-20 23:59:50,\n"},
				payments: []string{"4200000000000000000000004001,4001,10.00,SUCCESS,,2026-11-21 00:00:05\n"},
			},
		},
		{
			name: "a payment whose order is in no export is an orphan; one outside the window is not",
			from: "2026-11-20", to: "2026-11-20",
			x: exports{
				payments: []string{"4200000000000000000000005001,5001,12.34,SUCCESS,,2026-11-20 12:00:00\n" +
					"4200000000000000000000005002,5002,12.34,SUCCESS,,2026-11-19 12:00:00\n" +
					"4200000000000000000000005003,5003,12.34,REFUND,12.34,2026-11-20 12:00:00\n"},
			},
			want:          []string{"PAYMENT_ORPHAN 5001 4200000000000000000000005001"},
			wantMessageIn: map[string]string{"PAYMENT_ORPHAN": "成功支付 ¥12.34 的商户订单号 5001 不在任何读取的订单导出中"},
		},
		{
			name: "unpaid and closed orders are neither declared nor exceptions",
			from: "2026-11-20", to: "2026-11-20", customs: "NINGBO",
			x: exports{
				orders: []string{"6001,10.00,0,10.00,,,等待买家付款\n" +
					"6002,10.00,0,10.00,,0000-00-00 00:00:00,\n" +
					"6003,10.00,0,10.00,,2026-11-20 10:00:00,交易关闭\n" +
					"6004,10.00,0,10.00,,2026-11-20 10:00:00,TRADE_CLOSED\n"},
			},
			wantUnpaid: 4,
		},
		{
			name: "customs: the order's own, else --customs, else an exception",
			from: "2026-11-20", to: "2026-11-20",
			x: exports{
				orders: []string{"7001,10.00,0,10.00,HANGZHOU_ZS,2026-11-20 10:00:00,\n" +
					"7002,10.00,0,10.00,,2026-11-20 10:00:00,\n"},
				payments: []string{"4200000000000000000000007001,7001,10.00,SUCCESS,,2026-11-20 10:00:01\n" +
					"4200000000000000000000007002,7002,10.00,SUCCESS,,2026-11-20 10:00:01\n"},
			},
			want: []string{"INPUT_INVALID 7002 4200000000000000000000007002"}, wantEligible: 1, wantInWindow: 2,
			wantMessageIn: map[string]string{"INPUT_INVALID": "订单没有海关代码"},
		},
		{
			name: "identical repeats across files merge; conflicting ones are ORDER_DUPLICATE",
			from: "2026-11-20", to: "2026-11-20", customs: "NINGBO",
			x: exports{
				orders: []string{
					"8001,10.00,0,10.00,,2026-11-20 10:00:00,\n8002,10.00,0,10.00,,2026-11-20 10:00:00,\n8003,10.00,0,10.00,NINGBO,2026-11-20 10:00:00,\n",
					"8001,10.00,0,10.00,,2026-11-20 10:00:00,\n8002,10.00,1.00,11.00,,2026-11-20 10:00:00,\n8003,10.00,0,10.00,TIANJIN,2026-11-20 10:00:00,\n",
				},
				payments: []string{"4200000000000000000000008001,8001,10.00,SUCCESS,,2026-11-20 10:00:01\n" +
					"4200000000000000000000008002,8002,10.00,SUCCESS,,2026-11-20 10:00:01\n" +
					"4200000000000000000000008003,8003,10.00,SUCCESS,,2026-11-20 10:00:01\n"},
			},
			want:         []string{"ORDER_DUPLICATE 8002", "ORDER_DUPLICATE 8003"},
			wantEligible: 1, wantInWindow: 3,
			wantMessageIn: map[string]string{"ORDER_DUPLICATE": "orders1.csv:3 货款¥10.00 邮费¥0.00 总金额¥10.00；"},
		},
		{
			name: "an unreadable row is INPUT_INVALID and its order's payment is no orphan",
			from: "2026-11-20", to: "2026-11-20", customs: "NINGBO",
			x: exports{
				orders:   []string{"9001,10.001,0,10.00,,2026-11-20 10:00:00,\n"},
				payments: []string{"4200000000000000000000009001,9001,10.00,SUCCESS,,2026-11-20 10:00:01\n"},
			},
			want: []string{"INPUT_INVALID 9001"},
		},
		{
			name: "callbacks: pending, invalid, repeated, conflicting, outside the window",
			from: "2026-11-20", to: "2026-11-20",
			x: exports{
				clearance: []string{
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
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := dryRun(t, tt.from, tt.to, tt.customs, tt.x)
			got := exceptionKeys(res)
			if !slices.Equal(got, tt.want) {
				t.Errorf("exceptions:\n got %q\nwant %q", got, tt.want)
			}
			c := res.Counts
			if c.Eligible != tt.wantEligible || c.OrdersInWindow != tt.wantInWindow || c.OrdersUnpaid != tt.wantUnpaid || c.Pending != tt.wantPending {
				t.Errorf("counts: eligible %d, in window %d, unpaid %d, pending %d; want %d, %d, %d, %d",
					c.Eligible, c.OrdersInWindow, c.OrdersUnpaid, c.Pending, tt.wantEligible, tt.wantInWindow, tt.wantUnpaid, tt.wantPending)
			}
			for code, want := range tt.wantAmounts {
				e := firstException(res, reconcile.Code(code))
				if e == nil || !e.HasAmounts || e.Expected != want[0] || e.Actual != want[1] {
					t.Errorf("%s amounts = %+v, want expected %d actual %d", code, e, want[0], want[1])
				}
			}
			for code, want := range tt.wantMessageIn {
				if e := firstException(res, reconcile.Code(code)); e == nil || !strings.Contains(e.Message, want) {
					t.Errorf("%s message = %+v, want it to contain %q", code, e, want)
				}
			}
			for _, e := range res.Exceptions {
				if e.Code == reconcile.PaymentRefunded && e.HasAmounts {
					t.Errorf("a refund has expected/actual amounts: %+v", e)
				}
				if e.Code == reconcile.PaymentRefunded && e.OrderID == "3002" && !strings.Contains(e.Message, "已退款 ¥30.00（部分退款，原支付 ¥80.00）") {
					t.Errorf("partial refund message = %q", e.Message)
				}
			}
			assertAccounting(t, res)
		})
	}
}

func firstException(res *reconcile.Result, code reconcile.Code) *reconcile.Exception {
	for i := range res.Exceptions {
		if res.Exceptions[i].Code == code {
			return &res.Exceptions[i]
		}
	}
	return nil
}

// orderCheckCodes are the exceptions raised against an order in the
// window by the checks (INPUT_INVALID counts only when it is about the
// order's customs, not an unreadable row).
var orderCheckCodes = map[reconcile.Code]bool{
	reconcile.OrderDuplicate: true, reconcile.FeeMismatch: true, reconcile.PaymentMissing: true, reconcile.PaymentDuplicate: true,
	reconcile.AmountMismatch: true, reconcile.PaymentRefunded: true, reconcile.MaterialsInvalid: true,
}

// assertAccounting proves the counts add up: every order in the window is
// eligible or has exactly one check exception; every eligible order is
// declared, already declared, failed or not attempted; every pending
// callback likewise.
func assertAccounting(t *testing.T, res *reconcile.Result) {
	t.Helper()
	c := res.Counts
	checkExceptions := 0
	perOrder := map[string]int{}
	for _, e := range res.Exceptions {
		if orderCheckCodes[e.Code] || e.Code == reconcile.InputInvalid && e.Source != "" && strings.Contains(e.Message, "海关代码") {
			checkExceptions++
			perOrder[e.OrderID]++
		}
	}
	for id, n := range perOrder {
		if n != 1 {
			t.Errorf("order %s has %d check exceptions, want exactly 1", id, n)
		}
	}
	if c.OrdersInWindow != c.Eligible+checkExceptions {
		t.Errorf("orders in window %d ≠ eligible %d + check exceptions %d", c.OrdersInWindow, c.Eligible, checkExceptions)
	}
	if got := c.Declared + c.AlreadyDeclared + c.DeclareFailed + c.NotDeclared; got != c.Eligible {
		t.Errorf("eligible %d ≠ declared %d + already %d + failed %d + not attempted %d", c.Eligible, c.Declared, c.AlreadyDeclared, c.DeclareFailed, c.NotDeclared)
	}
	if got := c.CallbacksSent + c.AlreadySent + c.CallbacksFailed + c.NotSent; got != c.Pending {
		t.Errorf("pending %d ≠ sent %d + already %d + failed %d + not attempted %d", c.Pending, c.CallbacksSent, c.AlreadySent, c.CallbacksFailed, c.NotSent)
	}
	// Each declaration that failed or was not attempted is one exception of
	// the declaration phase, and likewise for callbacks.
	by := res.ByCode
	if got := by[reconcile.DeclareRejected] + by[reconcile.DeclareConflict] + by[reconcile.DeclareError]; got != c.DeclareFailed+c.NotDeclared && !res.DryRun {
		t.Errorf("declaration exceptions %d ≠ failed %d + not attempted %d", got, c.DeclareFailed, c.NotDeclared)
	}
	if got := by[reconcile.CallbackRejected] + by[reconcile.CallbackError]; got != c.CallbacksFailed+c.NotSent && !res.DryRun {
		t.Errorf("callback exceptions %d ≠ failed %d + not attempted %d", got, c.CallbacksFailed, c.NotSent)
	}
	total := 0
	for _, n := range res.ByCode {
		total += n
	}
	if total != len(res.Exceptions) || len(res.ByCode) != len(reconcile.Codes()) {
		t.Errorf("ByCode has %d codes summing to %d; want %d codes summing to %d", len(res.ByCode), total, len(reconcile.Codes()), len(res.Exceptions))
	}
}
