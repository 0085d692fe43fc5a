package journal

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
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
	Path  string    // the journal
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
	fmt.Fprintf(&b, "journal %s is in use by ", e.Path)
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
	key   fileKey
	runID int64
}

// release drops the lock.
func (l *heldLock) release() error {
	if err := unlockFile(l.key); err != nil {
		return fmt.Errorf("release the run lock: %w", err)
	}
	return nil
}

// BeginRun takes the journal's lock and records a run with status
// "running". It returns the new run's id.
//
// The lock is an exclusive, non-blocking flock(2) on the journal file
// itself (see filelock.go), so it excludes another process, another
// Journal on the same file in this process, and a second BeginRun on this
// Journal before EndRun, whatever path reaches the file: a symlink, a
// relative or an absolute path all lock the one file. When the
// lock is held, BeginRun returns a *LockedError naming the holding run,
// from its row in the runs table; it does not wait.
//
// The lock of a killed process is released by the kernel. BeginRun then
// marks every run still "running" as "abandoned", with ended_at now and an
// error saying the process ended without finishing, in the transaction that
// records the new run.
func (j *Journal) BeginRun(ctx context.Context, s RunStart) (int64, error) {
	from, err := cst.ParseDate(s.From)
	if err != nil {
		return 0, fmt.Errorf("journal %s: begin run: window start: %w", j.path, err)
	}
	to, err := cst.ParseDate(s.To)
	if err != nil {
		return 0, fmt.Errorf("journal %s: begin run: window end: %w", j.path, err)
	}
	if to.Before(from) {
		return 0, fmt.Errorf("journal %s: begin run: window %s..%s ends before it starts", j.path, s.From, s.To)
	}
	inputs, err := jsonArg(s.Inputs)
	if err != nil {
		return 0, fmt.Errorf("journal %s: begin run: inputs: %w", j.path, err)
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
	key, ok, err := lockFile(j.abs)
	if err != nil {
		return 0, fmt.Errorf("journal %s: run lock: %w", j.path, err)
	}
	if !ok {
		return 0, j.lockedError(ctx)
	}
	l := &heldLock{key: key}

	var id int64
	err = j.write(ctx, func(w wtx) error {
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
	error = printf('the process (pid %d on host %s) ended without finishing the run; found when run %d began', pid, host, ?)
WHERE status = 'running' AND id <> ?`,
			formatTime(j.now()), id, id)
		if err != nil {
			return fmt.Errorf("mark abandoned runs: %w", err)
		}
		return nil
	})
	if err != nil {
		l.release()
		return 0, fmt.Errorf("journal %s: begin run: %w", j.path, err)
	}
	l.runID = id
	j.held = l
	return id, nil
}

// lockedError builds the *LockedError for a lock held elsewhere, from the
// holder's row in the runs table. The holder commits that row right after
// taking the lock, so a fresh holder may need a moment; lockedError waits
// up to a second for it.
func (j *Journal) lockedError(ctx context.Context) error {
	e := &LockedError{Path: j.path}
	for range 40 {
		var since string
		err := j.r.QueryRowContext(ctx, `SELECT id, pid, host, started_at FROM runs WHERE status = 'running' ORDER BY id DESC LIMIT 1`).
			Scan(&e.RunID, &e.PID, &e.Host, &since)
		if err == nil {
			if t, perr := parseTime(sql.NullString{String: since, Valid: true}); perr == nil {
				e.Since = t.In(cst.Zone)
			}
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
// the lock stays held (Close releases it), so the caller may retry.
func (j *Journal) EndRun(ctx context.Context, id int64, e RunEnd) error {
	if e.Status == RunRunning || !e.Status.valid() {
		return fmt.Errorf("journal %s: end run %d: status %q is not a final status", j.path, id, e.Status)
	}
	counts, err := jsonArg(e.Counts)
	if err != nil {
		return fmt.Errorf("journal %s: end run %d: counts: %w", j.path, id, err)
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.held == nil || j.held.runID != id {
		return fmt.Errorf("journal %s: end run %d: %w: it was not begun by this journal or has ended", j.path, id, ErrRunNotRunning)
	}
	res, err := j.w.ExecContext(ctx, `
UPDATE runs SET status = ?, ended_at = ?, counts = ?,
	report_path = ?,
	summary_path = ?, error = ?, exit_code = ?
WHERE id = ? AND status = 'running'`,
		string(e.Status), formatTime(j.at(e.EndedAt)), counts, e.ReportPath, e.SummaryPath, e.Error, e.ExitCode, id)
	if err != nil {
		return fmt.Errorf("journal %s: end run %d: %w", j.path, id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("journal %s: end run %d: %w: the run is no longer running", j.path, id, ErrRunNotRunning)
	}
	l := j.held
	j.held = nil
	if err := l.release(); err != nil {
		return fmt.Errorf("journal %s: %w", j.path, err)
	}
	return nil
}

const runColumns = `id, window_from, window_to, inputs, started_at, ended_at, status, counts,
	report_path, summary_path, error, exit_code, pid, host, dry_run`

// Runs returns the recorded runs, newest first; limit <= 0 means all.
func (j *Journal) Runs(ctx context.Context, limit int) ([]Run, error) {
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	rows, err := j.r.QueryContext(ctx, `SELECT `+runColumns+` FROM runs ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("journal %s: runs: %w", j.path, err)
	}
	defer rows.Close()
	var runs []Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, fmt.Errorf("journal %s: runs: %w", j.path, err)
		}
		runs = append(runs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("journal %s: runs: %w", j.path, err)
	}
	return runs, nil
}

// Run returns run id; the error wraps ErrNotFound when there is none.
func (j *Journal) Run(ctx context.Context, id int64) (Run, error) {
	r, err := scanRun(j.r.QueryRowContext(ctx, `SELECT `+runColumns+` FROM runs WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Run{}, fmt.Errorf("journal %s: run %d: %w", j.path, id, ErrNotFound)
	}
	if err != nil {
		return Run{}, fmt.Errorf("journal %s: run %d: %w", j.path, id, err)
	}
	return r, nil
}

type scanner interface{ Scan(dest ...any) error }

func scanRun(s scanner) (Run, error) {
	var r Run
	var inputs, counts, started, ended sql.NullString
	var exit sql.NullInt64
	var status string
	err := s.Scan(&r.ID, &r.From, &r.To, &inputs, &started, &ended, &status, &counts,
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
	if r.StartedAt, err = parseTime(started); err != nil {
		return Run{}, err
	}
	if r.EndedAt, err = parseTime(ended); err != nil {
		return Run{}, err
	}
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
