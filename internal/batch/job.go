package batch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/crossborder/reconcile/internal/cst"
	"github.com/crossborder/reconcile/internal/dispatch"
	"github.com/crossborder/reconcile/internal/idcard"
	"github.com/crossborder/reconcile/internal/ingest"
	"github.com/crossborder/reconcile/internal/journal"
	"github.com/crossborder/reconcile/internal/outfile"
	"github.com/crossborder/reconcile/internal/reconcile"
	"github.com/crossborder/reconcile/internal/top"
)

// Errors a run returns, which decide its exit status (see ExitStatus).
var (
	// ErrInterrupted: SIGINT, SIGTERM or SIGHUP stopped the run (exit status 130).
	ErrInterrupted = errors.New("interrupted")
	// ErrExceptions: the run completed with exceptions and the
	// configuration asked to fail on them (exit status 3).
	ErrExceptions = errors.New("completed with exceptions")
	// ErrBillMismatch: a bill does not tie out, so nothing was declared
	// (exit status 1).
	ErrBillMismatch = errors.New("the bills do not tie out")
)

// Exit statuses of docs/design.md#exit-statuses.
const (
	ExitOK          = 0
	ExitFailure     = 1
	ExitUsage       = 2
	ExitExceptions  = 3
	ExitInterrupted = 130
)

// ExitStatus returns the exit status for the error a run returned: 0 for
// nil, 130 for an interrupt, 3 for ErrExceptions, 2 for a *PreflightError
// (a configuration that cannot work), 1 for anything else.
func ExitStatus(err error) int {
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, ErrInterrupted):
		return ExitInterrupted
	case errors.Is(err, ErrExceptions):
		return ExitExceptions
	case errors.As(err, new(*PreflightError)):
		return ExitUsage
	}
	return ExitFailure
}

// Platform is what the job needs of the TOP gateway; *top.Client has it.
type Platform interface {
	ClearanceDeclareWechat(ctx context.Context, req top.WechatPayValidateReq) (*top.ClearanceDeclareWechatResponse, error)
	ClearanceInfoSend(ctx context.Context, req top.OrderClearanceInfoRequest) (*top.ClearanceInfoSendResponse, error)
	ClearanceDistributionGet(ctx context.Context, req top.ClearanceDistributionGetRequest) (*top.ClearanceDistributionGetResponse, error)
}

// ReportWriter writes the workbook of a run; *report.Writer has it.
type ReportWriter interface {
	// Prepare returns the workbook's path for the --report target and the
	// window, ready to be written: the rules of overwriting checked, the
	// directory there and writable. It is the workbook's preflight.
	Prepare(target string, w cst.Window, dryRun bool) (path string, err error)
	// Write writes the workbook of r to path.
	Write(ctx context.Context, path string, r *reconcile.Result) error
	// Handlings reads back what the finance team wrote beside the
	// exceptions in the job's earlier workbooks of windows overlapping w
	// (at or beside the --report target, and from, --notes-from, unless
	// ""), oldest first, with a note for each workbook it could not read.
	// A from that cannot be read is an error.
	Handlings(target string, w cst.Window, from string) ([]reconcile.Handlings, []reconcile.Note, error)
}

// Config is the settings of one run.
type Config struct {
	// Store names the store of a run of several stores ([[store]]); ""
	// for the single store.
	Store          string
	Window         cst.Window
	Inputs         reconcile.Inputs
	DefaultCustoms string // --customs, for orders whose export has none
	DryRun         bool   // read, check and report; call nothing; leave the journal alone
	// AllowBillMismatch declares although a bill does not tie out, for the
	// day staff have checked the bill by hand.
	AllowBillMismatch bool
	CheckMaterials    bool // check the buyers' clearance materials before declaring
	// FollowUpDays is how long after it was accepted a declaration is
	// followed until it is final (--follow-up-days); 0 turns follow-ups
	// off.
	FollowUpDays int
	// OrderLimit and AnnualLimit are the cross-border retail import
	// limits, in fen: per order (--order-limit) and, with CheckMaterials,
	// per buyer and calendar year (--annual-limit); 0 turns one off.
	OrderLimit, AnnualLimit int64
	// BuyerKey keys the hash by which the journal knows a buyer (never
	// stored); the annual limit needs it.
	BuyerKey         []byte
	FailOnExceptions bool // return ErrExceptions when the run completed with exceptions
	// ReportPath is the --report target: the workbook (a name ending in
	// .xlsx) or the directory to write it in; "" for none.
	ReportPath string
	// NotesFrom is a workbook of the job's to read the team's notes
	// (处理状态, 处理人, 备注) from, beside the earlier workbooks at the
	// --report target (--notes-from); "" for none.
	NotesFrom   string
	SummaryPath string // the summary JSON to write; "" for none
	Engine      dispatch.Config
	// Settings is recorded with the run in the journal (no secrets).
	Settings map[string]any

	Logger *slog.Logger // nil: discard
	// Progress receives a live progress line when it is a terminal; nil
	// logs progress every ProgressEvery instead.
	Progress      io.Writer
	ProgressEvery time.Duration // default 5s
	Now           func() time.Time

	// onSend, if set (by tests), sees the time of every call sent.
	onSend func(time.Time)
}

// Deps are what a run talks to. Platform and Journal may be nil only for a
// dry run; Report may be nil when no workbook is wanted.
type Deps struct {
	Platform Platform
	Journal  *journal.Journal
	Report   ReportWriter
	// Notifier, if not nil, sends the run's digest to the team's chat
	// once the workbook is written.
	Notifier Notifier
	// Metrics, if not nil, records the run for monitoring at its very end.
	Metrics MetricsSink
}

// MetricsSink records a run for monitoring (Prometheus) once it is over:
// res, its exit status and the journal's runs (for the last success; nil
// without a journal). Its failure is logged and never fails the run.
type MetricsSink interface {
	Record(ctx context.Context, res *reconcile.Result, exitStatus int, runs []journal.Run) error
}

// Notifier sends a run's digest to the team's chat: once per run, never
// one message per exception. It reports how many robots took the digest
// and how many did not; a failure never fails the run.
type Notifier interface {
	Notify(ctx context.Context, res *reconcile.Result) (sent, failed int)
}

// runner is one run in progress.
type runner struct {
	cfg      Config
	log      *slog.Logger
	journal  *journal.Journal
	runID    int64
	disp     *dispatch.Dispatcher
	platform Platform
	progress *progress
	today    cst.Date
	// reportPath is the workbook to write, once the preflight found it
	// writable; "" for none.
	reportPath string
	finished   bool // finish has begun: a panic after it is not finished again
	// handlings are the team's notes read back from earlier workbooks,
	// oldest first.
	handlings []reconcile.Handlings
	// buyers hashes the buyers' ID numbers for the annual limit (nil
	// without a key); buyerLocks serialises the check of one buyer's
	// orders.
	buyers     *idcard.Hasher
	buyerLocks keyLocks
	calls      callCounts // the HTTP calls by method and result
}

// Run runs the job once: read the exports, check them, and unless it is a
// dry run, check materials, declare and send callbacks, recording every
// attempt in the journal; then write the workbook and the summary.
//
// The returned Result is never nil. The error is nil when the run
// completed (with exceptions or not, unless FailOnExceptions); it wraps
// ErrInterrupted when ctx was cancelled (in-flight calls are given
// Engine.DrainTimeout to finish and the workbook is still written), a
// *FatalError when the gateway refused the run, a *journal.LockedError
// when another run holds the journal, or the error that made an input
// unreadable. ExitStatus maps it to the process's exit status.
func Run(ctx context.Context, cfg Config, deps Deps) (res *reconcile.Result, err error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.ProgressEvery <= 0 {
		cfg.ProgressEvery = 5 * time.Second
	}
	res = &reconcile.Result{Store: cfg.Store, DryRun: cfg.DryRun, Window: cfg.Window, StartedAt: cfg.Now(), ByCode: map[reconcile.Code]int{},
		BillMismatchAllowed: cfg.AllowBillMismatch}
	r := &runner{cfg: cfg, log: cfg.Logger, journal: deps.Journal, today: cst.DateOf(cfg.Now())}
	defer func() {
		if perr := reconcile.Recovered(recover()); perr != nil && !r.finished {
			r.log.Error("the run panicked", "panic", perr.(*reconcile.PanicError).Value, "stack", string(perr.(*reconcile.PanicError).Stack))
			res, err = r.finish(ctx, res, deps, perr)
		}
	}()
	if !cfg.DryRun && (deps.Platform == nil || deps.Journal == nil) {
		return r.finish(ctx, res, deps, errors.New("a run that calls the platform needs a platform client and a journal"))
	}
	if len(cfg.Inputs.Orders)+len(cfg.Inputs.Payments)+len(cfg.Inputs.Clearance) == 0 {
		return r.finish(ctx, res, deps, reconcile.ErrNoInputs)
	}

	// One run at a time: take the journal first, before any work.
	if !cfg.DryRun {
		settings, _ := json.Marshal(map[string]any{"inputs": cfg.Inputs, "settings": cfg.Settings})
		host, _ := os.Hostname()
		id, err := deps.Journal.BeginRun(ctx, journal.RunStart{
			From: cfg.Window.From.String(), To: cfg.Window.To.String(), Inputs: settings,
			StartedAt: res.StartedAt, PID: os.Getpid(), Host: host, ReportPath: cfg.ReportPath,
		})
		if err != nil {
			return r.finish(ctx, res, deps, err)
		}
		r.runID, res.RunID = id, id
	}

	// Preflight, before reading anything or calling anyone: what the run
	// will write at its end must be writable now, not found unwritable
	// after every declaration was made.
	if r.reportPath, err = preflight(&r.cfg, deps); err != nil {
		return r.finish(ctx, res, deps, &PreflightError{Err: err})
	}
	if err := r.readHandlings(ctx, deps, res); err != nil {
		return r.finish(ctx, res, deps, &PreflightError{Err: err})
	}
	if err := r.setBuyerKey(ctx, res); err != nil {
		return r.finish(ctx, res, deps, &PreflightError{Err: err})
	}
	r.log.Info("run started", "run", r.runID, "window", cfg.Window.String(), "dry_run", cfg.DryRun)

	r.progress = newProgress(cfg.Progress, r.log, cfg.ProgressEvery)
	var reading reconcile.Reading
	readingProgress := r.progress.sampled("reading", reading.Progress)
	l, err := reconcile.LoadWatched(ctx, cfg.Inputs, &reading)
	readingProgress.end()
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w while reading the exports", ErrInterrupted)
		}
		return r.finish(ctx, res, deps, err)
	}
	res.Inputs, res.Notes = l.Inputs(), append(res.Notes, l.Notes()...)
	for _, n := range res.Notes {
		r.log.Warn(n.Text, "source", n.Source)
	}
	p := reconcile.Check(l, reconcile.Options{Window: cfg.Window, DefaultCustoms: cfg.DefaultCustoms, OrderLimit: cfg.OrderLimit})
	res.Counts = p.Counts
	res.Exceptions = p.Exceptions
	res.Money, res.Bills, res.Orders = p.Money, p.Bills, p.Orders()
	r.log.Info("checks done", "orders_in_window", p.Counts.OrdersInWindow, "eligible", p.Counts.Eligible,
		"pending_callbacks", p.Counts.Pending, "exceptions", len(p.Exceptions))
	if err := ctx.Err(); err != nil {
		return r.finish(ctx, res, deps, fmt.Errorf("%w after the checks", ErrInterrupted))
	}

	var billErr error
	if p.BillMismatches > 0 {
		var which []string
		for i := range p.Bills {
			if b := &p.Bills[i]; reconcile.BillMismatched(b) {
				which = append(which, b.Describe())
				r.log.Error("a bill does not tie out", "bill", b.File, "section", b.Section, "differs", b.Describe())
			}
		}
		if len(which) > 3 {
			which = append(which[:3], fmt.Sprintf("and %d more", len(which)-3))
		}
		if cfg.AllowBillMismatch {
			for i := range res.Exceptions {
				if res.Exceptions[i].Code == reconcile.BillMismatch {
					res.Exceptions[i].Advice = "账单被编辑过、缺行或未下载完整：请重新下载原始账单核对。本次按 --allow-bill-mismatch 照常申报"
				}
			}
		} else {
			billErr = fmt.Errorf("%w: %s. Nothing was declared: download the bills again and rerun, or, once they are checked by hand, rerun with --allow-bill-mismatch",
				ErrBillMismatch, strings.Join(which, "; "))
		}
	}
	if cfg.DryRun {
		res.Counts.NotDeclared, res.Counts.NotSent = p.Counts.Eligible, p.Counts.Pending
		if billErr != nil {
			// What a real run would do: hold every declaration back.
			res.Counts.NotDeclared, res.Counts.HeldBack = 0, p.Counts.Eligible
		}
		if cfg.CheckMaterials {
			r.log.Info("dry run: the materials check is skipped (it calls the platform)")
		}
		return r.finish(ctx, res, deps, billErr)
	}

	if err = r.act(ctx, deps.Platform, p, res); err == nil {
		err = billErr
	}
	return r.finish(ctx, res, deps, err)
}

// act runs the platform phases: materials and declarations, then callbacks.
// When ctx is done no new call starts, and the calls in flight get the
// engine's DrainTimeout to finish; a fatal error only stops new calls.
//
// The phases add their records, exceptions and counts to res.
func (r *runner) act(ctx context.Context, platform Platform, p *reconcile.Plan, res *reconcile.Result) error {
	// A refund seen of a declared order takes it out of its buyer's
	// annual total.
	if err := r.journal.MarkRefunded(context.WithoutCancel(ctx), r.runID, p.RefundedOrders()); err != nil {
		return &dispatch.FatalError{Err: fmt.Errorf("%w: %w", errJournalWrite, err), Advice: "the journal could not record the refunds seen: " + checkJournal}
	}
	// The follow-ups count among the records the retry budget is sized
	// for: look them up first.
	var unsettled []journal.Declaration
	if r.cfg.FollowUpDays > 0 {
		var err error
		if unsettled, err = r.journal.Unsettled(context.WithoutCancel(ctx), r.runID); err != nil {
			return &dispatch.FatalError{Err: err, Advice: "the journal could not be read: " + checkJournal}
		}
	}
	cfg := r.cfg.Engine.WithDefaults(p.Counts.Eligible + len(p.Callbacks) + len(unsettled))
	cfg.OnSend = r.cfg.onSend
	r.disp = dispatch.New(cfg, r.log)
	r.platform = platform

	stop := context.AfterFunc(ctx, func() {
		r.log.Warn("interrupted: no new calls; waiting for the calls in flight", "at_most", cfg.DrainTimeout)
	})
	defer stop()

	if p.BillMismatches > 0 && !r.cfg.AllowBillMismatch {
		// Declaring on an incomplete bill risks declaring refunded or
		// doubly paid orders: declare nothing, send the callbacks.
		res.Counts.HeldBack = p.Counts.Eligible
		r.log.Error("the bills do not tie out: nothing is declared", "sections", p.BillMismatches, "held_back", res.Counts.HeldBack)
	} else {
		r.declareAll(ctx, p.Candidates(), res)
	}
	r.sendAll(ctx, p.Callbacks, res)
	r.followUpAll(ctx, unsettled, res)
	st := r.disp.Stats()
	res.Counts.Calls, res.Counts.Retries, res.Counts.Bans = st.Calls, st.Retries, st.Bans
	res.API = r.calls.list()
	return r.stopCause(ctx)
}

// stopCause returns why the platform phases stopped: the engine's
// *FatalError, ErrInterrupted after an interrupt, or nil.
func (r *runner) stopCause(ctx context.Context) error {
	err := r.disp.Err(ctx)
	var fe *dispatch.FatalError
	if err != nil && !errors.As(err, &fe) {
		return ErrInterrupted
	}
	return err
}

// finish completes a run whatever happened: the result's status and
// reason, the exceptions sorted and counted, the workbook, the journal's
// record of the run and the summary. It returns the run's error.
func (r *runner) finish(ctx context.Context, res *reconcile.Result, deps Deps, runErr error) (*reconcile.Result, error) {
	r.finished = true
	res.EndedAt = r.cfg.Now()
	switch {
	case runErr == nil:
		res.Status = reconcile.StatusCompleted
	case errors.Is(runErr, ErrInterrupted):
		res.Status = reconcile.StatusInterrupted
		res.Reason = "interrupted by a signal: calls stopped; the next run continues where this one stopped"
	default:
		res.Status = reconcile.StatusFailed
		res.Reason = runErr.Error()
	}
	if err := r.addStates(context.WithoutCancel(ctx), res); err != nil {
		r.log.Error("the journal could not give the declarations' states", "err", err)
	}
	res.Failure = explain(runErr)
	// failed turns a run that was to complete into a failed one.
	failed := func(err error) {
		runErr = err
		res.Status, res.Reason, res.Failure = reconcile.StatusFailed, err.Error(), explain(err)
	}
	res.Tally()
	if err := res.CheckAccounting(); err != nil {
		// A bug of the job: say so loudly, and never report such a run as
		// done. The workbook and the summary are still written.
		r.log.Error("internal error: the run's accounting does not add up; please report it with the log", "err", err)
		if runErr == nil || errors.Is(runErr, ErrExceptions) {
			failed(fmt.Errorf("internal error, please report it with the log: %w", err))
			res.Failure = reconcile.Failure{Reason: "程序内部错误：本次运行的计数对不上", Advice: "请把日志发给技术支持；本次结果请勿作为对账依据"}
		}
	}
	if runErr == nil && r.cfg.FailOnExceptions && len(res.Exceptions) > 0 {
		runErr = fmt.Errorf("%w: %d", ErrExceptions, len(res.Exceptions))
	}

	// The rest must happen even after an interrupt.
	wctx := context.WithoutCancel(ctx)
	if err := r.track(wctx, res); err != nil {
		r.log.Error("the journal could not follow the exceptions", "err", err)
		if runErr == nil || errors.Is(runErr, ErrExceptions) {
			failed(fmt.Errorf("following the exceptions in the journal: %w", err))
		}
	} else if res.Tracked.Known {
		r.log.Info("exceptions followed", "new", res.Tracked.New, "open", res.Tracked.Open, "resolved", res.Tracked.Resolved)
	}
	report := ""
	var locked *journal.LockedError
	if deps.Report != nil && r.reportPath != "" && !errors.As(runErr, &locked) {
		r.log.Info("writing the workbook", "path", r.reportPath, "exceptions", len(res.Exceptions))
		if err := writeReport(wctx, deps.Report, r.reportPath, res); err != nil {
			r.log.Error("the workbook could not be written", "path", r.reportPath, "err", err)
			if runErr == nil || errors.Is(runErr, ErrExceptions) {
				failed(fmt.Errorf("writing the workbook: %w", err))
			}
		} else {
			report = r.reportPath
			res.Workbook = report
			if w, ok := deps.Report.(ordersCSVWriter); ok {
				res.OrdersCSV = w.OrdersCSV(report, res)
			}
			r.log.Info("workbook written", "path", report, "exceptions", len(res.Exceptions))
		}
	}
	exit := ExitStatus(runErr)
	if deps.Notifier != nil && !errors.As(runErr, &locked) {
		res.Notified.Sent, res.Notified.Failed = deps.Notifier.Notify(wctx, res)
	}
	summary := summarize(res, exit, report)
	if r.runID != 0 {
		counts, _ := json.Marshal(summary)
		end := journal.RunEnd{
			Status: journal.RunStatus(res.Status), EndedAt: res.EndedAt, Counts: counts,
			ReportPath: report, SummaryPath: r.cfg.SummaryPath, Error: res.Reason, ExitCode: exit,
		}
		if err := deps.Journal.EndRun(wctx, r.runID, end); err != nil {
			r.log.Error("the journal could not record the end of the run", "err", err)
			if runErr == nil {
				runErr = err
			}
		}
	}
	if r.cfg.SummaryPath != "" && !errors.As(runErr, &locked) {
		if err := WriteSummary(r.cfg.SummaryPath, summary); err != nil {
			r.log.Error("the summary could not be written", "err", err)
			if runErr == nil {
				runErr = err
			}
		}
	}
	if deps.Metrics != nil && !errors.As(runErr, &locked) {
		var runs []journal.Run
		if deps.Journal != nil {
			runs, _ = deps.Journal.Runs(wctx, 100) // a success older than the last 100 runs is none
		}
		if err := deps.Metrics.Record(wctx, res, ExitStatus(runErr), runs); err != nil {
			r.log.Error("the metrics could not be written; the run's outcome stands", "err", err)
		}
	}
	r.log.Info("run ended", "run", r.runID, "status", res.Status, "exit", ExitStatus(runErr),
		"declared", res.Counts.Declared, "already", res.Counts.AlreadyDeclared, "callbacks_sent", res.Counts.CallbacksSent,
		"exceptions", len(res.Exceptions), "duration", res.EndedAt.Sub(res.StartedAt).Round(time.Millisecond))
	return res, runErr
}

// ordersCSVWriter is a ReportWriter that may put the orders of a big
// window in a CSV beside the workbook (*report.Writer), and names it.
type ordersCSVWriter interface {
	OrdersCSV(path string, r *reconcile.Result) string
}

// writeReport writes the workbook; a panic in the writer is an error.
func writeReport(ctx context.Context, w ReportWriter, path string, res *reconcile.Result) (err error) {
	defer func() {
		if perr := reconcile.Recovered(recover()); perr != nil {
			err = perr
		}
	}()
	return w.Write(ctx, path, res)
}

// PreflightError is a run that could not start: what it would write is
// not writable, or its settings cannot work. It is a configuration error
// (exit status 2), recorded in the journal like any run.
type PreflightError struct{ Err error }

func (e *PreflightError) Error() string { return "preflight: " + e.Err.Error() }
func (e *PreflightError) Unwrap() error { return e.Err }

// preflight checks, before anything is read or called, that the workbook
// and the summary of cfg can be written, and returns the workbook's path
// ("" for none).
func preflight(cfg *Config, deps Deps) (reportPath string, err error) {
	if deps.Report != nil && cfg.ReportPath != "" {
		path, err := deps.Report.Prepare(cfg.ReportPath, cfg.Window, cfg.DryRun)
		if err != nil {
			return "", fmt.Errorf("the workbook: %w", err)
		}
		reportPath = path
	}
	if cfg.SummaryPath != "" {
		// Like the workbook's, the summary's directory is made when missing.
		if err := os.MkdirAll(filepath.Dir(cfg.SummaryPath), 0o755); err != nil {
			return "", fmt.Errorf("the summary (--summary-json): %w", err)
		}
		if err := outfile.Check(cfg.SummaryPath); err != nil {
			return "", fmt.Errorf("the summary (--summary-json): %w", err)
		}
	}
	return reportPath, nil
}

// CheckConfig checks, once and ahead of the runs that will use it, that a
// configuration can work: the platform and the journal are there unless it
// is a dry run, inputs are given and their directories exist (files may
// come later: see ingest.CheckPatterns), and the workbook and the summary
// of cfg.Window can be written (the directories are made when missing, as
// a run would). A schedule calls it at start, so that a configuration its
// runs could never use fails at once, not every night.
func CheckConfig(cfg Config, deps Deps) error {
	if !cfg.DryRun && (deps.Platform == nil || deps.Journal == nil) {
		return errors.New("a run that calls the platform needs a platform client and a journal")
	}
	in := cfg.Inputs
	if len(in.Orders)+len(in.Payments)+len(in.Clearance) == 0 {
		return reconcile.ErrNoInputs
	}
	for _, k := range []struct {
		flag     string
		patterns []string
	}{{"--orders", in.Orders}, {"--payments", in.Payments}, {"--clearance", in.Clearance}} {
		if err := ingest.CheckPatterns(k.patterns); err != nil {
			return fmt.Errorf("%s %w", k.flag, err)
		}
	}
	_, err := preflight(&cfg, deps)
	return err
}

// buyerKeyMeta is the journal's record of the key buyers are hashed with:
// its id, never the key.
const buyerKeyMeta = "buyer_key_id"

// setBuyerKey makes the buyers' hasher of a run that checks the annual
// limit, and notes when the key is not the one the journal's buyers were
// hashed with: their totals then start again from this run.
func (r *runner) setBuyerKey(ctx context.Context, res *reconcile.Result) error {
	if !r.cfg.CheckMaterials || r.cfg.AnnualLimit <= 0 || r.cfg.DryRun {
		return nil
	}
	h, err := idcard.NewHasher(r.cfg.BuyerKey)
	if err != nil {
		return fmt.Errorf("the annual limit (--annual-limit) needs a key to hash the buyers with: give --pii-key-file a file of 16 bytes or more, or the app secret: %w", err)
	}
	r.buyers = h
	id := h.KeyID()
	old, err := r.journal.Meta(ctx, buyerKeyMeta)
	if err != nil {
		return err
	}
	if old != "" && old != id {
		n := reconcile.Note{Source: r.journal.Path(), Text: "the key the buyers are hashed with has changed (--pii-key-file, or the app secret it is derived from): " +
			"the buyers' annual totals of earlier declarations no longer count, and start again from this run; restore the old key to keep them"}
		res.Notes = append(res.Notes, n) // logged with the reading's notes
	}
	if old != id {
		return r.journal.SetMeta(ctx, buyerKeyMeta, id)
	}
	return nil
}
