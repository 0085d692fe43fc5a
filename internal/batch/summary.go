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

	OrdersRead     int `json:"orders_read"`
	OrdersInWindow int `json:"orders_in_window"`
	OrdersUnpaid   int `json:"orders_unpaid"`
	PaymentsRead   int `json:"payments_read"`
	ClearanceRead  int `json:"clearance_read"`
	RowsInvalid    int `json:"rows_invalid"`

	Eligible      int `json:"eligible"`       // declarations the checks allow
	Declared      int `json:"declared"`       // accepted in this run
	Skipped       int `json:"skipped"`        // already declared in an earlier run
	DeclareFailed int `json:"declare_failed"` // rejected, conflicting or errored
	NotDeclared   int `json:"not_declared"`   // not attempted: dry run, or the run stopped first

	PendingCallbacks int `json:"pending_callbacks"`
	CallbacksSent    int `json:"callbacks_sent"`
	CallbacksSkipped int `json:"callbacks_skipped"` // already sent in an earlier run
	CallbacksFailed  int `json:"callbacks_failed"`
	CallbacksNotSent int `json:"callbacks_not_sent"`

	Calls   int    `json:"calls"`
	Retries int    `json:"retries"`
	Report  string `json:"report,omitempty"`
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
		PaymentsRead: r.Counts.PaymentsRead, ClearanceRead: r.Counts.ClearanceRead, RowsInvalid: r.Counts.RowsInvalid,
		Eligible: r.Counts.Eligible, Declared: r.Counts.Declared, Skipped: r.Counts.AlreadyDeclared,
		DeclareFailed: r.Counts.DeclareFailed, NotDeclared: r.Counts.NotDeclared,
		PendingCallbacks: r.Counts.Pending, CallbacksSent: r.Counts.CallbacksSent, CallbacksSkipped: r.Counts.AlreadySent,
		CallbacksFailed: r.Counts.CallbacksFailed, CallbacksNotSent: r.Counts.NotSent,
		Calls: r.Counts.Calls, Retries: r.Counts.Retries, Report: report,
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
