package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/crossborder/reconcile/internal/batch"
	"github.com/crossborder/reconcile/internal/cst"
	"github.com/crossborder/reconcile/internal/journal"
)

const historyHelp = `Usage: reconcile history [flags]

List the runs the journal remembers, newest first: id, window, start,
duration, status, what was declared and sent, the exceptions and the
workbook. A run that was killed shows as "abandoned"; the next run resumed
its work.

Flags:
  --state PATH             the journal: a SQLite file (default reconcile.db
                           next to the workbooks of --report, as for run)
                           or a PostgreSQL connection string
  --report PATH            where run writes workbooks, to find the journal
                           when --state is not given (default ".")
  --limit N                show the N newest runs (default 20; 0: all)
  --json                   print a JSON array for machines instead of a table
  --config FILE            read state and report from a config file, as run
  --store NAME             the runs of the store NAME of the config file's
                           [[store]] tables

Example:
  reconcile history --state /var/lib/reconcile/reconcile.db --limit 7

Exit status:
  0    listed (an empty journal lists nothing)
  1    the journal could not be read
  2    usage error
`

type historyOptions struct {
	state, report, config, store string
	limit                        int
	json                         bool
}

func cmdHistory(ctx context.Context, args []string, std *stdio) error {
	var o historyOptions
	fs := newFlagSet("history")
	fs.StringVar(&o.state, "state", "", "")
	fs.StringVar(&o.report, "report", defaultReport, "")
	fs.IntVar(&o.limit, "limit", 20, "")
	fs.BoolVar(&o.json, "json", false, "")
	fs.StringVar(&o.config, "config", "", "")
	fs.StringVar(&o.store, "store", "", "")
	if err := parseFlags(fs, args, historyHelp, std); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf("unexpected argument %q", fs.Arg(0))
	}
	if err := applyConfig(fs, o.config, o.store, std.getenv, std.env()); err != nil {
		return err
	}
	if o.limit < 0 {
		return usageErrorf("--limit %d: want 0 or more", o.limit)
	}
	return runHistory(ctx, &o, std)
}

// historyRun is one run as history prints it.
type historyRun struct {
	ID        int64           `json:"id"`
	From      string          `json:"from"`
	To        string          `json:"to"`
	StartedAt string          `json:"started_at"`
	EndedAt   string          `json:"ended_at,omitempty"`
	Seconds   float64         `json:"duration_seconds"`
	Status    string          `json:"status"`
	ExitCode  int             `json:"exit_code"`
	Host      string          `json:"host,omitempty"`
	PID       int             `json:"pid,omitempty"`
	Counts    *batch.Summary  `json:"summary,omitempty"`
	Report    string          `json:"report,omitempty"`
	Error     string          `json:"error,omitempty"`
	Inputs    json.RawMessage `json:"inputs,omitempty"`
}

func runHistory(ctx context.Context, o *historyOptions, std *stdio) error {
	state := o.state
	if state == "" {
		state = defaultState(o.report)
	}
	if _, err := os.Stat(state); err != nil && journal.IsFile(state) {
		return fmt.Errorf("no journal at %s: give --state (run writes it next to its workbooks)", state)
	}
	j, err := journal.Open(ctx, state, journal.WithStore(o.store))
	if errors.Is(err, journal.ErrBadState) || errors.Is(err, journal.ErrBadStore) {
		return &usageError{err}
	}
	if err != nil {
		return err
	}
	defer j.Close()
	runs, err := j.Runs(ctx, o.limit)
	if err != nil {
		return err
	}
	out := make([]historyRun, 0, len(runs))
	for _, r := range runs {
		h := historyRun{ID: r.ID, From: r.From, To: r.To, StartedAt: stamp(r.StartedAt), EndedAt: stamp(r.EndedAt),
			Status: string(r.Status), ExitCode: r.ExitCode, Host: r.Host, PID: r.PID, Report: r.ReportPath, Error: r.Error, Inputs: r.Inputs}
		if !r.EndedAt.IsZero() {
			h.Seconds = r.EndedAt.Sub(r.StartedAt).Seconds()
		}
		if len(r.Counts) > 0 {
			var s batch.Summary
			if json.Unmarshal(r.Counts, &s) == nil {
				h.Counts = &s
			}
		}
		out = append(out, h)
	}
	if o.json {
		enc := json.NewEncoder(std.out)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	if len(out) == 0 {
		fmt.Fprintf(std.out, "no runs in %s\n", state)
		return nil
	}
	tw := tabwriter.NewWriter(std.out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tWINDOW\tSTARTED\tDURATION\tSTATUS\tDECLARED\tSKIPPED\tFAILED\tCALLBACKS\tEXCEPTIONS\tREPORT")
	for _, h := range out {
		win := h.From
		if h.To != h.From {
			win += ".." + h.To
		}
		dur := "-"
		if h.EndedAt != "" {
			dur = humanDuration(time.Duration(h.Seconds * float64(time.Second)))
		}
		decl, skip, fail, cb, exc := "-", "-", "-", "-", "-"
		if c := h.Counts; c != nil {
			decl, skip, fail = fmt.Sprint(c.Declared), fmt.Sprint(c.Skipped), fmt.Sprint(c.DeclareFailed+c.NotDeclared)
			cb, exc = fmt.Sprintf("%d/%d", c.CallbacksSent+c.CallbacksSkipped, c.PendingCallbacks), fmt.Sprint(c.ExceptionsTotal)
		}
		status := h.Status
		if h.Status != string(journal.RunRunning) && h.Status != string(journal.RunAbandoned) {
			status = fmt.Sprintf("%s (%d)", h.Status, h.ExitCode)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", h.ID, win, strings.Replace(h.StartedAt, "T", " ", 1)[:19],
			dur, status, decl, skip, fail, cb, exc, h.Report)
	}
	return tw.Flush()
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(cst.Zone).Format(time.RFC3339)
}

// humanDuration rounds d for a table: milliseconds under a second, tenths
// of a second under a minute, seconds beyond.
func humanDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}
