package reconcile

import (
	"strings"
	"testing"
	"time"

	"github.com/crossborder/reconcile/internal/cst"
	"github.com/crossborder/reconcile/internal/ingest"
)

func TestCheckAccountingNamesWhatDoesNotAddUp(t *testing.T) {
	good := func() *Result {
		r := &Result{
			Counts: Counts{OrdersRead: 9, OrdersUnpaid: 3, OrdersClosed: 1, OrdersOutside: 1, OrdersInWindow: 5, Eligible: 3, CheckExceptions: 2, Declared: 1, AlreadyDeclared: 1, DeclareFailed: 1,
				Pending: 2, CallbacksSent: 1, NotSent: 1},
			Exceptions: []Exception{{Code: FeeMismatch, OrderID: "1"}, {Code: PaymentMissing, OrderID: "2"},
				{Code: DeclareError, OrderID: "3"}, {Code: CallbackError, OrderID: "4"}},
		}
		r.Tally()
		return r
	}
	tests := []struct {
		name  string
		spoil func(r *Result)
		want  string // in the error; "" for none
	}{
		{"adds up", func(*Result) {}, ""},
		{"an order lost between the checks", func(r *Result) { r.Counts.Eligible = 4 }, "orders in window 5 ≠ eligible 4"},
		{"an order read lost before the window", func(r *Result) { r.Counts.OrdersOutside = 0 }, "orders read 9 ≠ in window 5 + unpaid 3 + outside the window 0"},
		{"more closed than unpaid", func(r *Result) { r.Counts.OrdersClosed = 4 }, "closed orders 4 > unpaid 3"},
		{"a declaration outcome lost", func(r *Result) { r.Counts.Declared = 0 }, "eligible 3 ≠ declared 0"},
		{"a callback outcome lost", func(r *Result) { r.Counts.NotSent = 0 }, "pending 2 ≠ sent 1"},
		{"a declaration failure without its exception", func(r *Result) {
			r.Exceptions = r.Exceptions[:2]
			r.Exceptions = append(r.Exceptions, Exception{Code: CallbackError})
			r.Tally()
		}, "declaration exceptions 0 ≠ failed 1"},
		{"a callback exception too many", func(r *Result) {
			r.Exceptions = append(r.Exceptions, Exception{Code: CallbackRejected})
			r.Tally()
		}, "callback exceptions 2 ≠ failed 0 + not attempted 1"},
		{"counts per code not tallied", func(r *Result) { r.Exceptions = append(r.Exceptions, Exception{Code: FeeMismatch}) }, "add up to 4, not to the 5"},
		{"a code missing", func(r *Result) { delete(r.ByCode, PaymentOrphan) }, "no count for PAYMENT_ORPHAN"},
	}
	for _, tt := range tests {
		r := good()
		tt.spoil(r)
		err := r.CheckAccounting()
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v, want nil", tt.name, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: got %v, want an error containing %q", tt.name, err, tt.want)
		}
	}
	// A dry run declares nothing: its eligible orders are all "not
	// attempted" without an exception each.
	r := &Result{DryRun: true, Counts: Counts{OrdersRead: 2, OrdersInWindow: 2, Eligible: 2, NotDeclared: 2, Pending: 1, NotSent: 1}}
	r.Tally()
	if err := r.CheckAccounting(); err != nil {
		t.Errorf("dry run: %v", err)
	}
}

func TestExceptionKeyAndDay(t *testing.T) {
	paid := time.Date(2026, 11, 20, 23, 59, 59, 0, cst.Zone)
	tests := []struct {
		e       Exception
		key     string
		wantDay string
	}{
		{Exception{Code: FeeMismatch, OrderID: "1", At: paid}, "FEE_MISMATCH|1|", "2026-11-20"},
		// The day is UTC+8's whatever the time's location.
		{Exception{Code: AmountMismatch, OrderID: "1", TransactionID: "42", At: paid.UTC()}, "AMOUNT_MISMATCH|1|42", "2026-11-20"},
		{Exception{Code: PaymentOrphan, TransactionID: "42", At: paid.Add(time.Second)}, "PAYMENT_ORPHAN||42", "2026-11-21"},
		{Exception{Code: CallbackInvalid, OrderID: "1", Callback: CallbackKey("K1", 2)}, "CALLBACK_INVALID|K1/2", ""},
		{Exception{Code: InputInvalid, Source: "/in/orders.csv:12; /in/orders.csv:13"}, "INPUT_INVALID|orders.csv:12", ""},
		{Exception{Code: BillMismatch, Source: "/in/bill.xlsx[Sheet1]:40"}, "BILL_MISMATCH|bill.xlsx[Sheet1]:40", ""},
	}
	for _, tt := range tests {
		if got := tt.e.Key(); got != tt.key {
			t.Errorf("Key() = %q, want %q", got, tt.key)
		}
		if got := tt.e.Day(); got != tt.wantDay {
			t.Errorf("%s: Day() = %q, want %q", tt.key, got, tt.wantDay)
		}
	}
}

// Every reason a row cannot be read is explained to the finance team in
// its own words.
func TestEveryRowReasonHasChineseWords(t *testing.T) {
	for _, r := range ingest.Reasons() {
		if rowReasons[r] == "" {
			t.Errorf("reason %q has no Chinese explanation in rowReasons", r)
		}
	}
}
