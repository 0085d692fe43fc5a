package reconcile

import (
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/crossborder/reconcile/internal/cst"
)

// Status is how a run ended.
type Status string

const (
	StatusCompleted   Status = "completed"   // every phase ran to its end
	StatusInterrupted Status = "interrupted" // SIGINT or SIGTERM stopped dispatching
	StatusFailed      Status = "failed"      // a fatal error stopped the run
)

// Input is one export file the run read.
type Input struct {
	Kind     string // "orders", "payments" or "clearance"
	Path     string
	Format   string // "csv" or "xlsx"
	Encoding string // "utf-8", "utf-8-bom", "gb18030"; "" for xlsx
	Variant  string // the kind of export detected, e.g. "wechat-all"
	Records  int    // records read
	Errors   int    // rows that could not be read (each an INPUT_INVALID exception)
	// SkippedSheets are the sheets of a workbook that were not read:
	// "name: why" each.
	SkippedSheets []string
}

// A Note is something the run did that a person should know, though it is
// no exception: a file or a sheet left out, and why.
type Note struct {
	Source string // the file, or "file[sheet]"
	Text   string
}

// Outcome is how one declaration or callback attempted in this run ended.
type Outcome string

const (
	OutcomeDone     Outcome = "done"     // accepted (declared) or taken (callback sent)
	OutcomeRejected Outcome = "rejected" // refused by the platform
	OutcomeConflict Outcome = "conflict" // declared before with different data (declarations only)
	OutcomeError    Outcome = "error"    // transient failures outlasted the retries; tried again next run
	// OutcomeEarlier: an earlier run did it (accepted, sent); this run
	// found it in the journal and made no call.
	OutcomeEarlier Outcome = "earlier"
	// OutcomeFollowed: an earlier run's declaration of another window,
	// followed by this run, still accepted (its state is the answer).
	OutcomeFollowed Outcome = "followed"
)

// Declaration is one declaration of the run's window: one this run
// attempted, or one an earlier run had accepted (OutcomeEarlier; its
// attempts, times and request id are that run's, from the journal).
type Declaration struct {
	RunID  int64     // the run that made it: this one, or the earlier one
	PaidAt time.Time // when the buyer paid the order
	// FollowUp marks a declaration an earlier run had accepted (run
	// AcceptedRunID, at AcceptedAt) that this run followed: sent again,
	// identical, to learn its state. Of tonight's window it is the earlier
	// run's row, its state and outcome tonight's answer; of another window
	// a row of its own (OutcomeFollowed, or refused), RunID the earlier run.
	FollowUp      bool
	AcceptedRunID int64
	AcceptedAt    time.Time
	// States are every state the platform gave the declaration, in the
	// order learned (from the journal; empty in a dry run).
	States        []StateSeen
	OrderID       string
	TransactionID string
	Customs       string
	OrderFee      int64 // fen
	ProductFee    int64 // fen
	TransportFee  int64 // fen
	Outcome       Outcome
	PlatformState string // UNDECLARED, SUBMITTED, PROCESSING, SUCCESS, FAIL, EXCEPT or ""
	Attempts      int    // HTTP calls made for it in this run
	FirstAttempt  time.Time
	LastAttempt   time.Time
	ErrorCode     string // the platform's (or transport's) code of the last failure
	ErrorMsg      string
	RequestID     string // of the last answer
}

// Accepted returns when the platform first accepted d: AcceptedAt when
// known (an earlier run's declaration, from the journal, also when
// customs refused it since), else the last attempt of one this run had
// accepted; zero for one never accepted.
func (d *Declaration) Accepted() time.Time {
	if !d.AcceptedAt.IsZero() {
		return d.AcceptedAt
	}
	if d.Outcome == OutcomeDone || d.Outcome == OutcomeEarlier || d.Outcome == OutcomeFollowed {
		return d.LastAttempt
	}
	return time.Time{}
}

// StateSeen is a state the platform gave a declaration: when it was
// learned, by which run, and whether a follow-up learned it.
type StateSeen struct {
	State     string
	LearnedAt time.Time
	RunID     int64
	FollowUp  bool
}

// PlatformStateLabel is a declaration state in Chinese: UNDECLARED 待申报,
// SUBMITTED 已修改未申报, PROCESSING 申报中, SUCCESS 申报成功, FAIL
// 申报失败, EXCEPT 海关接口异常; any other state is itself.
func PlatformStateLabel(state string) string {
	switch state {
	case "UNDECLARED":
		return "待申报"
	case "SUBMITTED":
		return "已修改未申报"
	case "PROCESSING":
		return "申报中"
	case "SUCCESS":
		return "申报成功"
	case "FAIL":
		return "申报失败"
	case "EXCEPT":
		return "海关接口异常"
	}
	return state
}

// Callback is one clearance callback of the run's window: one this run
// attempted, or one an earlier run had sent (OutcomeEarlier, as for
// Declaration).
type Callback struct {
	RunID         int64 // the run that made it: this one, or the earlier one
	Idempotent    string
	Status        int // 1 clearance started, 2 clearance result
	OrderID       string
	ResultCode    string
	PortNo        string
	ClearanceTime time.Time // zero when unknown
	Outcome       Outcome
	Attempts      int
	FirstAttempt  time.Time
	LastAttempt   time.Time
	ErrorCode     string // msg_code, or the platform's or transport's code
	ErrorMsg      string
	RequestID     string
}

// Counts are the run's totals. They add up: every order in the window is
// eligible or has exactly one check exception; every eligible order is
// declared, already declared, or has one declaration exception; every
// clearance row in the window is sent, already sent, or has one callback
// exception. Result.CheckAccounting checks it.
type Counts struct {
	OrdersRead     int // distinct orders read, in the window or not
	OrdersInWindow int // paid orders whose paid_at falls in the window
	OrdersUnpaid   int // orders without a payment time or with an unpaid/closed status: neither declared nor exceptions
	OrdersClosed   int // of OrdersUnpaid, those whose status says closed or cancelled
	// OrdersOutside are paid orders whose paid_at falls outside the
	// window: read, and left to the run of their own day.
	OrdersOutside   int
	CheckExceptions int // orders in the window with a check exception, one each (the materials check's included)
	PaymentsRead    int
	ClearanceRead   int
	RowsInvalid     int // rows that could not be read (INPUT_INVALID)
	Eligible        int // orders that passed every check
	Declared        int // declarations accepted in this run
	AlreadyDeclared int // skipped: the journal holds them as accepted
	DeclareFailed   int // DECLARE_REJECTED + DECLARE_CONFLICT + DECLARE_ERROR
	NotDeclared     int // eligible but not attempted: the run stopped first
	HeldBack        int // eligible but not declared: a bill does not tie out (BILL_MISMATCH)
	Pending         int // clearance rows in the window that are valid callbacks
	CallbacksSent   int
	AlreadySent     int
	CallbacksFailed int // CALLBACK_REJECTED + CALLBACK_ERROR
	NotSent         int // valid callbacks not attempted: the run stopped first
	Calls           int // HTTP calls made to the gateway
	Retries         int // calls that were retries of an earlier attempt
	FollowUps       FollowUps
	Bans            int // flow-control bans that paused the run's calls
}

// APICalls counts the calls of one API method that ended one way: "ok",
// "refused" (the platform said no), "retry" (a transient failure: HTTP
// 5xx, transport, isp.*), "ban" (flow control), "fatal", or "panic" (a bug
// of the job while calling).
type APICalls struct {
	Method, Result string
	Calls          int
}

// FollowUps counts the run's follow-ups of declarations earlier runs had
// accepted (docs/design.md#follow-ups). Due = Success + Failed + Pending
// + NotSent + Errors; Sent = Success + Failed + Pending.
type FollowUps struct {
	Due     int // not final, accepted within --follow-up-days: followed tonight
	Success int // answered SUCCESS: followed no more
	Failed  int // answered FAIL or EXCEPT (or refused): a DECLARE_REJECTED (DECLARE_CONFLICT) each
	Pending int // answered a state not final yet: followed again next run
	NotSent int // no answer (transient failures, the run stopped): followed again next run
	Errors  int // an internal error on the record: a DECLARE_ERROR each
	Stuck   int // accepted before --follow-up-days and still not final: a DECLARE_STUCK each, once
}

// Sent is the follow-ups the platform answered.
func (f FollowUps) Sent() int { return f.Success + f.Failed + f.Pending }

// Result is everything a run produced: what the workbook shows and the
// summary JSON reports.
type Result struct {
	Store     string // the store ([[store]]) of a run of several; "" for the single store
	RunID     int64  // the journal's run id; 0 for a dry run
	DryRun    bool
	Window    cst.Window
	StartedAt time.Time
	EndedAt   time.Time
	Status    Status
	Reason    string // why the run failed or was interrupted, and what to do; "" when completed
	// Failure says the same in Chinese, for the workbook's banner: zero
	// when the run completed.
	Failure Failure
	// BillMismatchAllowed is set when the run was told to declare
	// although a bill does not tie out (--allow-bill-mismatch).
	BillMismatchAllowed bool
	Workbook            string // the workbook written; "" when none was
	// OrdersCSV is the CSV of the window's orders written beside the
	// workbook when they are too many for it; "" when none was.
	OrdersCSV  string
	Inputs     []Input
	Notes      []Note
	Money      Money
	Bills      []Bill
	Exceptions []Exception // in the one exception order (CompareExceptions)
	// Resolved are the exceptions of earlier runs that this run found
	// resolved, in the one exception order; their Tracking says when they
	// were first seen and how many days they were open, At their day.
	Resolved []Exception
	// API counts the run's HTTP calls by API method and result, in order.
	API []APICalls
	// Notified counts the chat robots that took the run's digest and those
	// that did not.
	Notified struct{ Sent, Failed int }
	// Tracked counts the exceptions by state across runs.
	Tracked Tracked
	// History is the exceptions of the last nights with a run (this one
	// included), oldest first; empty in a dry run.
	History []Night
	// Orders lists the orders of the window (订单明细), from the checks'
	// ledger; nil when the run read none.
	Orders       iter.Seq[OrderLine]
	Declarations []Declaration
	Callbacks    []Callback
	Counts       Counts
	ByCode       map[Code]int // exceptions per code, every code present (zeros included)
}

// Tally puts the exceptions in the one exception order (SortExceptions)
// and counts them per code into ByCode, every known code present, zeros
// included. Call it once the exceptions are all in.
func (r *Result) Tally() {
	SortExceptions(r.Exceptions)
	r.ByCode = make(map[Code]int, len(codes))
	for _, c := range codes {
		r.ByCode[c] = 0
	}
	for i := range r.Exceptions {
		r.ByCode[r.Exceptions[i].Code]++
	}
}

// CheckAccounting returns an error naming every identity of the counts
// that does not hold, nil when they all do: every order in the window is
// eligible or has one check exception; every eligible order is declared,
// already declared, failed or not attempted, and every pending callback
// sent, already sent, failed or not attempted; each declaration or callback
// that failed or was not attempted is one exception of its phase; and the
// counts per code add up to the exceptions. SERVICE_FEE_MISMATCH,
// PAYMENT_ORPHAN and BILL_MISMATCH are about payments and bills, not
// orders: they take no order out of the eligible ones. Call it after Tally.
// A result
// that fails it is a bug of the job, never of the input.
func (r *Result) CheckAccounting() error {
	c := &r.Counts
	var errs []error
	check := func(ok bool, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	check(c.OrdersRead == c.OrdersInWindow+c.OrdersUnpaid+c.OrdersOutside,
		"orders read %d ≠ in window %d + unpaid %d + outside the window %d", c.OrdersRead, c.OrdersInWindow, c.OrdersUnpaid, c.OrdersOutside)
	check(c.OrdersClosed <= c.OrdersUnpaid, "closed orders %d > unpaid %d", c.OrdersClosed, c.OrdersUnpaid)
	check(c.OrdersInWindow == c.Eligible+c.CheckExceptions,
		"orders in window %d ≠ eligible %d + check exceptions %d", c.OrdersInWindow, c.Eligible, c.CheckExceptions)
	check(c.Eligible == c.Declared+c.AlreadyDeclared+c.DeclareFailed+c.NotDeclared+c.HeldBack,
		"eligible %d ≠ declared %d + already %d + failed %d + not attempted %d + held back %d", c.Eligible, c.Declared, c.AlreadyDeclared, c.DeclareFailed, c.NotDeclared, c.HeldBack)
	check(c.Pending == c.CallbacksSent+c.AlreadySent+c.CallbacksFailed+c.NotSent,
		"pending %d ≠ sent %d + already %d + failed %d + not attempted %d", c.Pending, c.CallbacksSent, c.AlreadySent, c.CallbacksFailed, c.NotSent)
	if !r.DryRun {
		by := r.ByCode
		d := by[DeclareRejected] + by[DeclareConflict] + by[DeclareError]
		f := c.FollowUps
		check(d == c.DeclareFailed+c.NotDeclared+f.Failed+f.Errors,
			"declaration exceptions %d ≠ failed %d + not attempted %d + follow-ups failed %d + in error %d", d, c.DeclareFailed, c.NotDeclared, f.Failed, f.Errors)
		check(f.Due == f.Success+f.Failed+f.Pending+f.NotSent+f.Errors,
			"follow-ups due %d ≠ success %d + failed %d + pending %d + not sent %d + in error %d", f.Due, f.Success, f.Failed, f.Pending, f.NotSent, f.Errors)
		check(by[DeclareStuck] == f.Stuck, "DECLARE_STUCK %d ≠ follow-ups stuck %d", by[DeclareStuck], f.Stuck)
		cb := by[CallbackRejected] + by[CallbackError]
		check(cb == c.CallbacksFailed+c.NotSent,
			"callback exceptions %d ≠ failed %d + not attempted %d", cb, c.CallbacksFailed, c.NotSent)
	}
	total := 0
	for _, n := range r.ByCode {
		total += n
	}
	check(total == len(r.Exceptions), "the counts per code add up to %d, not to the %d exceptions", total, len(r.Exceptions))
	for _, code := range codes {
		_, ok := r.ByCode[code]
		check(ok, "no count for %s", code)
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("the counts do not add up: %w", errors.Join(errs...))
}

// Night is what the runs of one night (by their start, UTC+8) found:
// the exceptions first seen and resolved, summed over its runs, and those
// its last run reported (new or still open).
type Night struct {
	Date                    cst.Date
	Runs                    int
	New, Resolved, Reported int
}

// HistoryNights is how many nights Result.History covers.
const HistoryNights = 14

// Failure is why a run did not complete and what to do, in Chinese, for
// the finance team.
type Failure struct {
	Reason string // what happened
	Advice string // what to do: specific to the cause
}

// Tracked counts a run's exceptions by where they stand across runs
// (docs/design.md#exceptions-across-runs).
type Tracked struct {
	// Known is set when the run compared its exceptions with the
	// journal's: never in a dry run, which knows no history.
	Known     bool
	New, Open int // the run's exceptions, first seen now or before
	Resolved  int // exceptions of earlier runs found resolved
	Aging     [4]int
}

// AgingBuckets name the buckets of Tracked.Aging: days open below 1, 1 to
// below 7, 7 to below 30, 30 and more.
var AgingBuckets = [4]string{"0-1", "1-7", "7-30", "30+"}

// AgingBucket is the index in AgingBuckets of an exception open days
// calendar days (Tracking.Days).
func AgingBucket(days int) int {
	switch {
	case days < 1:
		return 0
	case days < 7:
		return 1
	case days < 30:
		return 2
	}
	return 3
}
