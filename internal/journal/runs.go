package journal

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/crossborder/reconcile/internal/cst"
)

// RunStatus is the status of a run.
type RunStatus string

// Run statuses.
const (
	RunRunning     RunStatus = "running"     // begun, not ended; holds the lock
	RunCompleted   RunStatus = "completed"   // went through every phase
	RunInterrupted RunStatus = "interrupted" // stopped by SIGINT, SIGTERM or SIGHUP
	RunFailed      RunStatus = "failed"      // could not complete (fatal error)
	RunAbandoned   RunStatus = "abandoned"   // its process ended without ending it
)

func (s RunStatus) valid() bool {
	switch s {
	case RunRunning, RunCompleted, RunInterrupted, RunFailed, RunAbandoned:
		return true
	}
	return false
}

// RunStart describes a run as it begins.
type RunStart struct {
	From, To   string          // the window, inclusive, YYYY-MM-DD
	Inputs     json.RawMessage // files read and settings; nil or valid JSON
	StartedAt  time.Time       // zero means now
	PID        int             // zero means this process
	Host       string          // empty means this host
	ReportPath string          // the --report target, shown while it runs
	DryRun     bool            // a dry run records itself but may not Begin declarations or callbacks
}

// RunEnd describes how a run ended.
type RunEnd struct {
	Status      RunStatus       // anything but RunRunning
	EndedAt     time.Time       // zero means now
	Counts      json.RawMessage // the summary counts; nil or valid JSON
	ReportPath  string          // the workbook written; empty when none was (the path given at start is dropped)
	SummaryPath string
	Error       string // why it failed or was interrupted; never a secret
	ExitCode    int
}

// Run is a recorded run. EndedAt is zero and ExitCode 0 while it is running.
// Times are in UTC+8.
type Run struct {
	ID                             int64
	From, To                       string
	Inputs                         json.RawMessage
	StartedAt, EndedAt             time.Time
	Status                         RunStatus
	Counts                         json.RawMessage
	ReportPath, SummaryPath, Error string
	ExitCode, PID                  int
	Host                           string
	DryRun                         bool
}

// LockedError is returned by [Journal.BeginRun] when another run holds the
// journal. Fields the holder had not yet written are zero. errors.Is(err,
// ErrLocked) reports true for it.
type LockedError struct {
	Path   string // the journal (a connection string redacted)
	Store  string // its store, "" for the default
	Schema string // on PostgreSQL, the store's schema

	RunID int64     // the run holding it; 0 if not known yet
	PID   int       // its process; 0 if not known
	Host  string    // its host
	Since time.Time // when it started
}

// Error says which run holds the journal, for instance "journal
// /var/lib/reconcile/state.db is in use by run 42 (pid 1234 on host h,
// started 2026-11-21 02:00:03)".
func (e *LockedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "journal %s is in use by ", label(e.Path, e.Store, e.Schema))
	if e.RunID != 0 {
		fmt.Fprintf(&b, "run %d", e.RunID)
	} else {
		b.WriteString("another run")
	}
	if e.PID != 0 {
		fmt.Fprintf(&b, " (pid %d", e.PID)
		if e.Host != "" {
			fmt.Fprintf(&b, " on host %s", e.Host)
		}
		if !e.Since.IsZero() {
			fmt.Fprintf(&b, ", started %s", cst.Format(e.Since))
		}
		b.WriteString(")")
	}
	return b.String()
}

// Is reports whether target is ErrLocked.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// heldLock is the run lock of the run begun by this Journal.
type heldLock struct {
	lock  runLock
	runID int64
}

// BeginRun takes the journal's lock and records a run with status
// "running". It returns the new run's id.
//
// The lock does not wait. When it is held, BeginRun returns a *LockedError
// naming the holding run, from its row in the runs table. On SQLite it is
// an exclusive flock(2) on the journal file itself (see filelock.go), so it
// excludes another process, another Journal on the same file in this
// process, and a second BeginRun on this Journal before EndRun, whatever
// path reaches the file: a symlink, a relative or an absolute path all
// lock the one file. On PostgreSQL it is a session-level advisory lock of
// the store, held by the session of the Journal's writer connection,
// through which every write of the run then goes (see the package
// documentation): it excludes every other session, on any host, and this
// Journal refuses a second BeginRun itself.
//
// The lock of a killed process is released by the kernel, or by the
// server with its session. BeginRun then marks every run of the store
// still "running" as "abandoned", with ended_at now and an error saying
// the process ended without finishing, in the transaction that records
// the new run.
func (j *Journal) BeginRun(ctx context.Context, s RunStart) (int64, error) {
	from, err := cst.ParseDate(s.From)
	if err != nil {
		return 0, fmt.Errorf("journal %s: begin run: window start: %w", j.name, err)
	}
	to, err := cst.ParseDate(s.To)
	if err != nil {
		return 0, fmt.Errorf("journal %s: begin run: window end: %w", j.name, err)
	}
	if to.Before(from) {
		return 0, fmt.Errorf("journal %s: begin run: window %s..%s ends before it starts", j.name, s.From, s.To)
	}
	inputs, err := jsonArg(s.Inputs)
	if err != nil {
		return 0, fmt.Errorf("journal %s: begin run: inputs: %w", j.name, err)
	}
	if s.PID == 0 {
		s.PID = os.Getpid()
	}
	if s.Host == "" {
		s.Host, _ = os.Hostname()
	}
	s.StartedAt = j.at(s.StartedAt)

	j.mu.Lock()
	defer j.mu.Unlock()
	if j.held != nil {
		// This Journal's own run holds the lock.
		return 0, j.lockedError(ctx)
	}
	if err := j.acquire(ctx); err != nil {
		return 0, fmt.Errorf("journal %s: begin run: %w", j.name, err)
	}
	l, ok, err := j.be.lock(ctx)
	if err != nil {
		j.release()
		return 0, fmt.Errorf("journal %s: run lock: %w", j.name, err)
	}
	if !ok {
		j.release()
		return 0, j.lockedError(ctx)
	}
	j.session, j.sessionLock = l.session(), l
	if j.session == nil {
		j.sessionLock = nil
	}

	var id int64
	err = j.writeHeld(ctx, func(w wtx) error {
		err := w.queryRow(ctx, `
INSERT INTO runs (window_from, window_to, inputs, started_at, status, report_path, pid, host, dry_run)
VALUES (?, ?, ?, ?, 'running', ?, ?, ?, ?) RETURNING id`,
			from.String(), to.String(), inputs, formatTime(s.StartedAt), s.ReportPath, s.PID, s.Host, s.DryRun).Scan(&id)
		if err != nil {
			return fmt.Errorf("record run: %w", err)
		}
		// Recovery: we hold the lock, so a run still "running" belongs to
		// a process that died holding it.
		_, err = w.exec(ctx, `
UPDATE runs SET status = 'abandoned', ended_at = ?, report_path = '',
	error = 'the process (pid ' || pid || ' on host ' || host || ') ended without finishing the run; found when run ' || ? || ' began'
WHERE status = 'running' AND id <> ?`,
			formatTime(j.now()), strconv.FormatInt(id, 10), id)
		if err != nil {
			return fmt.Errorf("mark abandoned runs: %w", err)
		}
		return nil
	})
	if err != nil {
		j.releaseLock(ctx, l)
		j.release()
		return 0, fmt.Errorf("journal %s: begin run: %w", j.name, err)
	}
	j.release()
	j.held = &heldLock{lock: l, runID: id}
	return id, nil
}

// releaseLock drops the run lock l; the writer semaphore is held.
func (j *Journal) releaseLock(ctx context.Context, l runLock) error {
	j.session, j.sessionLock = nil, nil
	if err := l.release(ctx); err != nil {
		return fmt.Errorf("release the run lock: %w", err)
	}
	return nil
}

// lockedError builds the *LockedError for a lock held elsewhere, from the
// holder's row in the runs table. The holder commits that row right after
// taking the lock, so a fresh holder may need a moment; lockedError waits
// up to a second for it.
func (j *Journal) lockedError(ctx context.Context) error {
	e := &LockedError{Path: j.path, Store: j.store, Schema: j.schema}
	for range 40 {
		var since time.Time
		err := j.readRow(ctx, `SELECT id, pid, host, started_at FROM runs WHERE status = 'running' ORDER BY id DESC LIMIT 1`).
			Scan(&e.RunID, &e.PID, &e.Host, dbTime{&since})
		if err == nil {
			e.Since = since
			return e
		}
		select {
		case <-ctx.Done():
			return e
		case <-time.After(25 * time.Millisecond):
		}
	}
	return e
}

// EndRun records the end of run id and releases the journal's lock. The run
// must have been begun by this Journal and not ended. When recording fails
// the lock stays held (Close releases it), so the caller may retry; but
// when the lock was lost with its session (PostgreSQL), EndRun records the
// end through a new connection, unless a run that took the lock since has
// marked this one abandoned ([ErrRunNotRunning]).
func (j *Journal) EndRun(ctx context.Context, id int64, e RunEnd) error {
	if e.Status == RunRunning || !e.Status.valid() {
		return fmt.Errorf("journal %s: end run %d: status %q is not a final status", j.name, id, e.Status)
	}
	counts, err := jsonArg(e.Counts)
	if err != nil {
		return fmt.Errorf("journal %s: end run %d: counts: %w", j.name, id, err)
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.held == nil || j.held.runID != id {
		return fmt.Errorf("journal %s: end run %d: %w: it was not begun by this journal or has ended", j.name, id, ErrRunNotRunning)
	}
	err = j.endHeld(ctx, func(w wtx) error {
		res, err := w.exec(ctx, `
UPDATE runs SET status = ?, ended_at = ?, counts = ?,
	report_path = ?,
	summary_path = ?, error = ?, exit_code = ?
WHERE id = ? AND status = 'running'`,
			string(e.Status), formatTime(j.at(e.EndedAt)), counts, e.ReportPath, e.SummaryPath, e.Error, e.ExitCode, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return fmt.Errorf("%w: the run is no longer running", ErrRunNotRunning)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("journal %s: end run %d: %w", j.name, id, err)
	}
	return nil
}

// endHeld runs fn, the write that ends the run held here, in a write
// transaction, and releases the run's lock when fn succeeds; when fn fails
// the lock stays held. The caller holds j.mu.
//
// A write that fails because the lock's session is gone (see [runLock])
// lost the lock with it: endHeld lets the run go and runs fn once more
// through a new connection, where the run's row decides (a run that took
// the lock since has marked it abandoned).
func (j *Journal) endHeld(ctx context.Context, fn func(w wtx) error) error {
	h := j.held
	if err := j.acquire(ctx); err != nil {
		return err
	}
	defer j.release()
	err := j.writeHeld(ctx, fn)
	if err == nil {
		j.held = nil
		return j.releaseLock(ctx, h.lock)
	}
	if !h.lock.lost() {
		return err
	}
	j.held = nil
	j.releaseLock(ctx, h.lock)
	if err2 := j.writeHeld(ctx, fn); err2 != nil {
		return fmt.Errorf("the run lock was lost with its connection (%w), and a new connection failed too: %w", err, err2)
	}
	return nil
}

const runColumns = `id, window_from, window_to, inputs, started_at, ended_at, status, counts,
	report_path, summary_path, error, exit_code, pid, host, dry_run`

// Runs returns the recorded runs, newest first; limit <= 0 means all.
func (j *Journal) Runs(ctx context.Context, limit int) ([]Run, error) {
	q := `SELECT ` + runColumns + ` FROM runs ORDER BY id DESC`
	var args []any
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	var runs []Run
	err := j.query(ctx, q, args, func(s scanner) error {
		r, err := scanRun(s)
		if err == nil {
			runs = append(runs, r)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("journal %s: runs: %w", j.name, err)
	}
	return runs, nil
}

// Run returns run id; the error wraps ErrNotFound when there is none.
func (j *Journal) Run(ctx context.Context, id int64) (Run, error) {
	r, err := scanRun(j.readRow(ctx, `SELECT `+runColumns+` FROM runs WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Run{}, fmt.Errorf("journal %s: run %d: %w", j.name, id, ErrNotFound)
	}
	if err != nil {
		return Run{}, fmt.Errorf("journal %s: run %d: %w", j.name, id, err)
	}
	return r, nil
}

type scanner interface{ Scan(dest ...any) error }

func scanRun(s scanner) (Run, error) {
	var r Run
	var inputs, counts sql.NullString
	var exit sql.NullInt64
	var status string
	err := s.Scan(&r.ID, dbDate{&r.From}, dbDate{&r.To}, &inputs, dbTime{&r.StartedAt}, dbTime{&r.EndedAt}, &status, &counts,
		&r.ReportPath, &r.SummaryPath, &r.Error, &exit, &r.PID, &r.Host, &r.DryRun)
	if err != nil {
		return Run{}, err
	}
	r.Status = RunStatus(status)
	if inputs.Valid {
		r.Inputs = json.RawMessage(inputs.String)
	}
	if counts.Valid {
		r.Counts = json.RawMessage(counts.String)
	}
	r.ExitCode = int(exit.Int64)
	return r, nil
}

// jsonArg returns raw as a string for a JSON column, nil for SQL NULL when
// raw is empty, or an error when raw is not valid JSON.
func jsonArg(raw json.RawMessage) (any, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	if !json.Valid(raw) {
		return nil, errors.New("not valid JSON")
	}
	return string(raw), nil
}
