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

	"github.com/crossborder/reconcile/internal/reconcile"
)

// The headers WriteExports puts above each body.
const (
	OrderHeader     = "order_id,product_fee,transport_fee,order_fee,customs,paid_at,status\n"
	PaymentHeader   = "transaction_id,order_id,amount,status,refund_amount,paid_at\n"
	ClearanceHeader = "order_id,idempotent,clearance_status,clearance_result_code,clearance_port_no,clearance_time,customs_pass_no,customs_return_receipt\n"
)

// Exports are the CSV bodies of a test run, one string per file, without
// their headers.
type Exports struct {
	Orders, Payments, Clearance []string
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
	return in
}

// checkCodes are the exceptions the checks raise against an order in the
// window (INPUT_INVALID counts only when it is about the order's customs,
// not an unreadable row).
var checkCodes = map[reconcile.Code]bool{
	reconcile.OrderDuplicate: true, reconcile.FeeMismatch: true, reconcile.PaymentMissing: true, reconcile.PaymentDuplicate: true,
	reconcile.AmountMismatch: true, reconcile.PaymentRefunded: true, reconcile.MaterialsInvalid: true,
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
