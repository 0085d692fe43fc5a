package batch

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/crossborder/reconcile/internal/cst"
	"github.com/crossborder/reconcile/internal/outfile"
	"github.com/crossborder/reconcile/internal/reconcile"
)

// Summary is the --summary-json document: what a monitoring script needs
// to know about a run. Its field names are stable.
type Summary struct {
	RunID      int64            `json:"run_id"`
	DryRun     bool             `json:"dry_run"`
	Status     reconcile.Status `json:"status"`
	ExitStatus int              `json:"exit_status"`
	Reason     string           `json:"reason,omitempty"`
	Window     SummaryWindow    `json:"window"`
	StartedAt  string           `json:"started_at"`
	EndedAt    string           `json:"ended_at"`
	Inputs     []SummaryInput   `json:"inputs"`
	// Notes are what the reading left out, and why: files and sheets.
	Notes []SummaryNote `json:"notes,omitempty"`
	// Exceptions maps every exception code to its count, zeros included.
	Exceptions      map[reconcile.Code]int `json:"exceptions"`
	ExceptionsTotal int                    `json:"exceptions_total"`
	// ExceptionsNew and ExceptionsOpen split the run's exceptions into
	// those first seen now and those seen by an earlier run and still
	// there; ExceptionsResolved are those of earlier runs found resolved;
	// Aging counts the run's exceptions by days open ("0-1", "1-7",
	// "7-30", "30+"). All absent in a dry run, which knows no history.
	ExceptionsNew      *int           `json:"exceptions_new,omitempty"`
	ExceptionsOpen     *int           `json:"exceptions_open,omitempty"`
	ExceptionsResolved *int           `json:"exceptions_resolved,omitempty"`
	Aging              map[string]int `json:"aging,omitempty"`

	OrdersRead     int `json:"orders_read"`
	OrdersInWindow int `json:"orders_in_window"`
	OrdersUnpaid   int `json:"orders_unpaid"`
	// OrdersClosed are the unpaid orders whose status says closed or
	// cancelled; OrdersOutside the paid orders of other days:
	// orders_read = orders_in_window + orders_unpaid + orders_outside_window.
	OrdersClosed  int `json:"orders_closed"`
	OrdersOutside int `json:"orders_outside_window"`
	PaymentsRead  int `json:"payments_read"`
	ClearanceRead int `json:"clearance_read"`
	RowsInvalid   int `json:"rows_invalid"`

	Eligible      int `json:"eligible"`       // declarations the checks allow
	Declared      int `json:"declared"`       // accepted in this run
	Skipped       int `json:"skipped"`        // already declared in an earlier run
	DeclareFailed int `json:"declare_failed"` // rejected, conflicting or errored
	NotDeclared   int `json:"not_declared"`   // not attempted: dry run, or the run stopped first
	HeldBack      int `json:"held_back"`      // not declared: a bill does not tie out (BILL_MISMATCH)

	PendingCallbacks int `json:"pending_callbacks"`
	CallbacksSent    int `json:"callbacks_sent"`
	CallbacksSkipped int `json:"callbacks_skipped"` // already sent in an earlier run
	CallbacksFailed  int `json:"callbacks_failed"`
	CallbacksNotSent int `json:"callbacks_not_sent"`

	// FollowUps are the follow-ups of declarations earlier runs had
	// accepted (docs/design.md#follow-ups).
	FollowUps SummaryFollowUps `json:"follow_ups"`

	// API counts the calls by method and result; Bans the flow-control
	// bans met.
	API  []SummaryAPICalls `json:"api"`
	Bans int               `json:"bans"`
	// Notify counts the chat robots that took the digest and those that
	// did not (--notify); a failure does not fail the run.
	Notify SummaryNotify `json:"notify"`

	Calls   int    `json:"calls"`
	Retries int    `json:"retries"`
	Report  string `json:"report,omitempty"`
	// OrdersCSV is the CSV of the orders beside the workbook, for a window
	// of more orders than the workbook lists (above 200,000).
	OrdersCSV string `json:"orders_csv,omitempty"`

	// Money is the window's money; Bills every section of every WeChat
	// bill read, and whether it ties out.
	Money SummaryMoney  `json:"money"`
	Bills []SummaryBill `json:"bills"`
}

// SummaryFollowUps counts a run's follow-ups: due = sent + not_sent +
// errors, sent = success + failed + pending.
type SummaryFollowUps struct {
	Due     int `json:"due"`
	Sent    int `json:"sent"`
	Success int `json:"success"`
	Failed  int `json:"failed"`
	Pending int `json:"pending"`
	NotSent int `json:"not_sent"`
	Errors  int `json:"errors"`
	Stuck   int `json:"stuck"`
}

// SummaryNotify counts the robots the digest went to.
type SummaryNotify struct {
	Sent   int `json:"sent"`
	Failed int `json:"failed"`
}

// SummaryAPICalls counts the calls of one method with one result.
type SummaryAPICalls struct {
	Method string `json:"method"`
	Result string `json:"result"`
	Calls  int    `json:"calls"`
}

// SummaryAmount is a count and its money in fen.
type SummaryAmount struct {
	Count int   `json:"count"`
	Fen   int64 `json:"fen"`
}

// SummaryMoney is the money of a Summary: integers only, fen and 10⁻⁵
// yuan, in CNY but the Global statements' settlements.
type SummaryMoney struct {
	Orders        SummaryAmount `json:"orders"`
	Payments      SummaryAmount `json:"payments"`
	Refunds       SummaryAmount `json:"refunds"`
	ServiceFee1e5 int64         `json:"service_fee_1e5"`
	Declared      SummaryAmount `json:"declared"`
	// SettledFen is what the window's CNY bill rows settle before fees
	// (Σ 应结订单金额 of payments − Σ 退款金额 of refunds); Net1e5 the CNY
	// settlement to expect: settled − fees.
	SettledFen  int64               `json:"settled_fen"`
	Net1e5      int64               `json:"net_1e5"`
	Days        []SummaryDay        `json:"days"`
	Settlements []SummarySettlement `json:"settlements,omitempty"`
}

// SummaryDay is the money of one day of the window.
type SummaryDay struct {
	Date          string        `json:"date"`
	SettledFen    int64         `json:"settled_fen"`
	Net1e5        int64         `json:"net_1e5"`
	Orders        SummaryAmount `json:"orders"`
	Payments      SummaryAmount `json:"payments"`
	Refunds       SummaryAmount `json:"refunds"`
	ServiceFee1e5 int64         `json:"service_fee_1e5"`
	Declared      SummaryAmount `json:"declared"`
}

// SummarySettlement is what Global statements settle in one currency, in
// its hundredths (fees in 10⁻⁵ of its unit).
type SummarySettlement struct {
	Currency      string        `json:"currency"`
	Payments      SummaryAmount `json:"payments"`
	Refunds       SummaryAmount `json:"refunds"`
	ServiceFee1e5 int64         `json:"service_fee_1e5"`
	Net1e5        int64         `json:"net_1e5"`
}

// SummaryBill is a section of a WeChat bill.
type SummaryBill struct {
	File    string `json:"file"`
	Section int    `json:"section"`
	Rows    int    `json:"rows"`
	TiesOut bool   `json:"ties_out"`
	// Summary is "file:line" of its summary; "" when it has none.
	Summary     string              `json:"summary,omitempty"`
	SummaryErr  string              `json:"summary_error,omitempty"`
	Differences []SummaryBillFigure `json:"differences,omitempty"`
	Currency    string              `json:"settle_currency,omitempty"`
}

// SummaryBillFigure is a figure on which a bill's summary and its rows
// disagree (fen; 10⁻⁵ yuan for 手续费总金额; a count for 总交易单数).
type SummaryBillFigure struct {
	Figure  string `json:"figure"`
	Summary int64  `json:"summary"`
	Rows    int64  `json:"rows"`
}

// SummaryWindow is the window of a Summary.
type SummaryWindow struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// SummaryInput is one file read, in a Summary.
type SummaryInput struct {
	Kind     string `json:"kind"`
	Path     string `json:"path"`
	Format   string `json:"format"`
	Encoding string `json:"encoding,omitempty"`
	Records  int    `json:"records"`
	Errors   int    `json:"errors"`
	// SkippedSheets are the workbook's sheets not read: "name: why".
	SkippedSheets []string `json:"skipped_sheets,omitempty"`
}

// SummaryNote is a note of a Summary.
type SummaryNote struct {
	Source string `json:"source"`
	Text   string `json:"text"`
}

// summarize returns the summary of r for a run that exits with exitStatus
// and wrote its workbook to report ("" when none).
func summarize(r *reconcile.Result, exitStatus int, report string) Summary {
	s := Summary{
		RunID: r.RunID, DryRun: r.DryRun, Status: r.Status, ExitStatus: exitStatus, Reason: r.Reason,
		Window:    SummaryWindow{r.Window.From.String(), r.Window.To.String()},
		StartedAt: timeString(r.StartedAt), EndedAt: timeString(r.EndedAt),
		Inputs:     []SummaryInput{},
		Exceptions: map[reconcile.Code]int{},
		OrdersRead: r.Counts.OrdersRead, OrdersInWindow: r.Counts.OrdersInWindow, OrdersUnpaid: r.Counts.OrdersUnpaid,
		OrdersClosed: r.Counts.OrdersClosed, OrdersOutside: r.Counts.OrdersOutside,
		PaymentsRead: r.Counts.PaymentsRead, ClearanceRead: r.Counts.ClearanceRead, RowsInvalid: r.Counts.RowsInvalid,
		Eligible: r.Counts.Eligible, Declared: r.Counts.Declared, Skipped: r.Counts.AlreadyDeclared,
		DeclareFailed: r.Counts.DeclareFailed, NotDeclared: r.Counts.NotDeclared, HeldBack: r.Counts.HeldBack,
		PendingCallbacks: r.Counts.Pending, CallbacksSent: r.Counts.CallbacksSent, CallbacksSkipped: r.Counts.AlreadySent,
		CallbacksFailed: r.Counts.CallbacksFailed, CallbacksNotSent: r.Counts.NotSent,
		Calls: r.Counts.Calls, Retries: r.Counts.Retries, Report: report, OrdersCSV: r.OrdersCSV,
	}
	for _, in := range r.Inputs {
		s.Inputs = append(s.Inputs, SummaryInput{in.Kind, in.Path, in.Format, in.Encoding, in.Records, in.Errors, in.SkippedSheets})
	}
	for _, n := range r.Notes {
		s.Notes = append(s.Notes, SummaryNote{n.Source, n.Text})
	}
	for _, c := range reconcile.Codes() {
		s.Exceptions[c] = r.ByCode[c]
		s.ExceptionsTotal += r.ByCode[c]
	}
	s.API, s.Bans, s.Notify = []SummaryAPICalls{}, r.Counts.Bans, SummaryNotify{r.Notified.Sent, r.Notified.Failed}
	for _, a := range r.API {
		s.API = append(s.API, SummaryAPICalls{a.Method, a.Result, a.Calls})
	}
	f := r.Counts.FollowUps
	s.FollowUps = SummaryFollowUps{Due: f.Due, Sent: f.Sent(), Success: f.Success, Failed: f.Failed, Pending: f.Pending,
		NotSent: f.NotSent, Errors: f.Errors, Stuck: f.Stuck}
	if t := r.Tracked; t.Known {
		s.ExceptionsNew, s.ExceptionsOpen, s.ExceptionsResolved = &t.New, &t.Open, &t.Resolved
		s.Aging = map[string]int{}
		for i, b := range reconcile.AgingBuckets {
			s.Aging[b] = t.Aging[i]
		}
	}
	m := &r.Money
	amount := func(a reconcile.Amount) SummaryAmount { return SummaryAmount{a.Count, a.Fen} }
	s.Money = SummaryMoney{Orders: amount(m.Orders), Payments: amount(m.Payments), Refunds: amount(m.Refunds),
		ServiceFee1e5: m.ServiceFee, Declared: amount(m.Declared), SettledFen: m.Settled, Net1e5: m.Net(), Days: []SummaryDay{}}
	for _, d := range m.Days {
		s.Money.Days = append(s.Money.Days, SummaryDay{Date: d.Date.String(), SettledFen: d.Settled, Net1e5: d.Net(), Orders: amount(d.Orders), Payments: amount(d.Payments),
			Refunds: amount(d.Refunds), ServiceFee1e5: d.ServiceFee, Declared: amount(d.Declared)})
	}
	for _, st := range m.Settlements {
		s.Money.Settlements = append(s.Money.Settlements, SummarySettlement{st.Currency, amount(st.Payments), amount(st.Refunds), st.ServiceFee, st.Net()})
	}
	s.Bills = []SummaryBill{}
	for _, b := range r.Bills {
		sb := SummaryBill{File: b.File, Section: b.Section, Rows: b.Rows, TiesOut: b.TiesOut, Summary: b.SummarySource,
			SummaryErr: b.SummaryErr, Currency: b.SettleCurrency}
		for _, d := range b.Diffs {
			sb.Differences = append(sb.Differences, SummaryBillFigure{d.Figure.Label(), d.Summary, d.Rows})
		}
		s.Bills = append(s.Bills, sb)
	}
	return s
}

func timeString(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(cst.Zone).Format(time.RFC3339)
}

// WriteSummary writes s as indented JSON to path, atomically (see package
// outfile), with the permission 0644 as modified by the umask.
func WriteSummary(path string, s Summary) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("summary: %w", err)
	}
	return outfile.WriteFile(path, append(b, '\n'), 0o644)
}
