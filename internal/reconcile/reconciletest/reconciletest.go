// Package reconciletest provides what the tests of the reconciliation and
// of the job share: exports written from CSV bodies, and the proof that a
// result's accounting adds up.
package reconciletest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crossborder/reconcile/internal/ingest"
	"github.com/crossborder/reconcile/internal/reconcile"
)

// The headers WriteExports puts above each body.
const (
	OrderHeader     = "order_id,product_fee,transport_fee,order_fee,customs,paid_at,status\n"
	PaymentHeader   = "transaction_id,order_id,amount,status,refund_amount,paid_at\n"
	ClearanceHeader = "order_id,idempotent,clearance_status,clearance_result_code,clearance_port_no,clearance_time,customs_pass_no,customs_return_receipt\n"
)

// Exports are the CSV bodies of a test run, one string per file, without
// their headers; Bills are whole WeChat bill files (see WeChatBill), read
// as payments.
type Exports struct {
	Orders, Payments, Clearance []string
	Bills                       []string
}

// WriteExports writes x into dir, each body below its header, and returns
// the inputs naming the files.
func WriteExports(t testing.TB, dir string, x Exports) reconcile.Inputs {
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
	write("orders", OrderHeader, x.Orders, &in.Orders)
	write("payments", PaymentHeader, x.Payments, &in.Payments)
	write("clearance", ClearanceHeader, x.Clearance, &in.Clearance)
	write("bill", "", x.Bills, &in.Payments)
	return in
}

// WeChatAllHeader is the header of WeChat Pay's ALL trade bill.
const WeChatAllHeader = "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注"

// BillRow is a row of a test WeChat bill: a payment (SUCCESS) or the
// refund of one (REFUND), amounts in fen.
type BillRow struct {
	At, Tx, Order, Status string
	Amount                int64  // paid, or refunded on a REFUND row
	Fee                   string // 手续费 as printed; "" for the right one: the settlement × 0.60%, to the fen
	// Voucher is the 免充值券 share of Amount, which WeChat does not
	// settle: a payment settles Amount − Voucher (应结订单金额); a refund
	// returns Amount − Voucher in 退款金额 and Voucher in 充值券退款金额.
	Voucher int64
}

// WeChatBill returns a section of an ALL bill as WeChat writes it: the
// header, the rows (a refund row with 0.00 settled and ordered, the refund
// in 退款金额 and 申请退款金额, the fee returned as a negative 手续费), and a
// summary of the rows. edit, if given, changes the summary's figures
// before they are written (to make a bill that does not tie out).
func WeChatBill(rows []BillRow, edit func(*ingest.BillFigures)) string {
	var b strings.Builder
	b.WriteString(WeChatAllHeader + "\n")
	var sum ingest.BillFigures
	for _, r := range rows {
		ordered, settled, refunded, voucherBack, requested, refundNo := r.Amount, r.Amount-r.Voucher, int64(0), int64(0), int64(0), ""
		base := settled
		if r.Status == "REFUND" {
			ordered, settled, refunded, voucherBack, requested = 0, 0, r.Amount-r.Voucher, r.Voucher, r.Amount
			refundNo, base = "50300"+r.Tx[len(r.Tx)-10:], refunded
		}
		fee := (base*6000 + 500_000) / 1_000_000 * 1000
		if r.Status == "REFUND" {
			fee = -fee
		}
		feeText := ingest.FormatFee(fee)
		if r.Fee != "" {
			feeText = r.Fee
			fee, _ = ingest.ParseFee(r.Fee)
		}
		cols := []string{r.At, "wx2421b1c4370ec43b", "10000100", "0", "", r.Tx, r.Order, "oUpF8uMuAJO", "JSAPI", r.Status,
			"CMB_CREDIT", "CNY", ingest.FormatAmount(settled), ingest.FormatAmount(r.Voucher), refundNo, refundNo, ingest.FormatAmount(refunded),
			ingest.FormatAmount(voucherBack), "", "", "奶粉", "", feeText, "0.60%", ingest.FormatAmount(ordered), ingest.FormatAmount(requested), ""}
		b.WriteString("`" + strings.Join(cols, ",`") + "\n")
		sum.Trades++
		sum.Settlement += settled
		sum.Refund += refunded
		sum.VoucherRefund += voucherBack
		sum.Fee += fee
		sum.OrderAmount += ordered
		sum.RequestedRefund += requested
	}
	if edit != nil {
		edit(&sum)
	}
	if sum.Has == ingest.Figure(0xff) { // a truncated download: no summary
		return b.String()
	}
	b.WriteString("总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\n")
	fmt.Fprintf(&b, "`%d,`%s,`%s,`%s,`%s,`%s,`%s\n", sum.Trades, ingest.FormatAmount(sum.Settlement), ingest.FormatAmount(sum.Refund),
		ingest.FormatAmount(sum.VoucherRefund), ingest.FormatFee(sum.Fee), ingest.FormatAmount(sum.OrderAmount), ingest.FormatAmount(sum.RequestedRefund))
	return b.String()
}

// Truncated is an edit for WeChatBill that leaves the summary out, as a
// download cut short does.
func Truncated(f *ingest.BillFigures) { f.Has = ingest.Figure(0xff) }

// checkCodes are the exceptions the checks raise against an order in the
// window (INPUT_INVALID counts only when it is about the order's customs,
// not an unreadable row).
var checkCodes = map[reconcile.Code]bool{
	reconcile.OrderDuplicate: true, reconcile.FeeMismatch: true, reconcile.PaymentMissing: true, reconcile.PaymentDuplicate: true,
	reconcile.AmountMismatch: true, reconcile.PaymentRefunded: true, reconcile.MaterialsInvalid: true, reconcile.LimitExceeded: true,
}

// AssertAccounting fails t unless res's accounting adds up: the result's
// own CheckAccounting, and, counted independently from the exceptions
// themselves, exactly one check exception per order that has one, as many
// as the counts say.
func AssertAccounting(t testing.TB, res *reconcile.Result) {
	t.Helper()
	if err := res.CheckAccounting(); err != nil {
		t.Error(err)
	}
	checkExceptions := 0
	perOrder := map[string]int{}
	for _, e := range res.Exceptions {
		if checkCodes[e.Code] || e.Code == reconcile.InputInvalid && e.Source != "" && strings.Contains(e.Message, "海关代码") {
			checkExceptions++
			perOrder[e.OrderID]++
		}
	}
	for id, n := range perOrder {
		if n != 1 {
			t.Errorf("order %s has %d check exceptions, want exactly 1", id, n)
		}
	}
	if c := res.Counts.CheckExceptions; c != checkExceptions {
		t.Errorf("the counts say %d check exceptions, the exceptions hold %d", c, checkExceptions)
	}
	if res.Orders != nil {
		assertOrderLines(t, res, perOrder)
	}
	calls := 0
	for _, a := range res.API {
		calls += a.Calls
	}
	if calls != res.Counts.Calls {
		t.Errorf("the calls by method and result add up to %d, the run counted %d", calls, res.Counts.Calls)
	}
}

// assertOrderLines checks the run's order lines (订单明细) against its
// counts and exceptions: one line per order of the window and per unpaid
// order, each state as many times as the counts say, each exception line
// with the exception of its order.
func assertOrderLines(t testing.TB, res *reconcile.Result, perOrder map[string]int) {
	t.Helper()
	n := map[reconcile.OrderState]int{}
	codeOf := map[string]reconcile.Code{}
	for _, e := range res.Exceptions {
		if checkCodes[e.Code] || e.Code == reconcile.InputInvalid && perOrder[e.OrderID] == 1 {
			codeOf[e.OrderID] = e.Code
		}
	}
	seen := map[string]bool{}
	moved := 0 // eligible by the local checks, then refused by the declaration phase's (materials, annual limit)
	for l := range res.Orders {
		n[l.State]++
		if seen[l.OrderID] {
			t.Errorf("order %s has two lines", l.OrderID)
		}
		seen[l.OrderID] = true
		switch {
		case l.State == reconcile.OrderException && codeOf[l.OrderID] != l.Code:
			t.Errorf("order %s: line says %s, the exceptions %q", l.OrderID, l.Code, codeOf[l.OrderID])
		case l.State == reconcile.OrderEligible && codeOf[l.OrderID] != "":
			if c := codeOf[l.OrderID]; c != reconcile.MaterialsInvalid && c != reconcile.LimitExceeded {
				t.Errorf("order %s: eligible by its line, but its exception is %s", l.OrderID, c)
			}
			moved++
		}
	}
	c := res.Counts
	if n[reconcile.OrderEligible] != c.Eligible+moved || n[reconcile.OrderException] != c.CheckExceptions-moved ||
		n[reconcile.OrderUnpaid]+n[reconcile.OrderClosed] != c.OrdersUnpaid || n[reconcile.OrderClosed] != c.OrdersClosed {
		t.Errorf("order lines: %d eligible, %d exceptions, %d unpaid, %d closed; the counts say %d+%d, %d−%d, %d in all unpaid, %d closed",
			n[reconcile.OrderEligible], n[reconcile.OrderException], n[reconcile.OrderUnpaid], n[reconcile.OrderClosed],
			c.Eligible, moved, c.CheckExceptions, moved, c.OrdersUnpaid, c.OrdersClosed)
	}
}

// ExceptionKeys returns "CODE order tx" for each exception of res, in the
// result's order.
func ExceptionKeys(res *reconcile.Result) []string {
	var out []string
	for _, e := range res.Exceptions {
		out = append(out, strings.TrimSpace(fmt.Sprintf("%s %s %s", e.Code, e.OrderID, e.TransactionID)))
	}
	return out
}

// FirstException returns the first exception of res with code, or nil.
func FirstException(res *reconcile.Result, code reconcile.Code) *reconcile.Exception {
	for i := range res.Exceptions {
		if res.Exceptions[i].Code == code {
			return &res.Exceptions[i]
		}
	}
	return nil
}
