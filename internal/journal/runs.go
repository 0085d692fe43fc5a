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
	RunInterrupted RunStatus = "interrupted" // stopped by SIGINT/SIGTERM
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
	ReportPath string          // the workbook it will write, if known
	DryRun     bool            // a dry run records itself but may not Begin declarations or callbacks
}

// RunEnd describes how a run ended.
type RunEnd struct {
	Status      RunStatus       // anything but RunRunning
	EndedAt     time.Time       // zero means now
	Counts      json.RawMessage // the summary counts; nil or valid JSON
	ReportPath  string          // empty keeps the path given at start
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

// holder is what the lock file says about the run holding it.
type holder struct {
	RunID int64  `json:"run_id,omitempty"`
	PID   int    `json:"pid"`
	Host  string `json:"host"`
	Since string `json:"since"`
}

// heldLock is the open lock file of the run begun by this Journal.
type heldLock struct {
	f     *os.File
	runID int64
}

// write replaces the lock file's content with h.
func (l *heldLock) write(h holder) error {
	data, err := json.Marshal(h)
	if err != nil {
		return err
	}
	data = append(data, '\n')
	if err := l.f.Truncate(0); err != nil {
		return fmt.Errorf("write lock file: %w", err)
	}
	if _, err := l.f.WriteAt(data, 0); err != nil {
		return fmt.Errorf("write lock file: %w", err)
	}
	return nil
}

// release empties the lock file and drops the lock. The file itself stays:
// removing it would let a later run lock a new file while an older process
// still holds the old one.
func (l *heldLock) release() error {
	terr := l.f.Truncate(0)
	uerr := unlock(l.f)
	cerr := l.f.Close()
	if err := errors.Join(terr, uerr, cerr); err != nil {
		return fmt.Errorf("release lock file %s: %w", l.f.Name(), err)
	}
	return nil
}

// lockPath returns the lock file of the journal.
func (j *Journal) lockPath() string { return j.path + ".lock" }

// BeginRun takes the journal's lock and records a run with status
// "running". It returns the new run's id.
//
// The lock is an exclusive, non-blocking flock(2) on path+".lock", opened
// anew on each call, so it excludes another process, another Journal on the
// same file in this process, and a second BeginRun on this Journal before
// EndRun. The holder (run id, pid, host, start) is written into the lock
// file. When the lock is held, BeginRun returns a *LockedError naming the
// holding run; it does not wait.
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
	f, err := os.OpenFile(j.lockPath(), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return 0, fmt.Errorf("journal %s: open lock file: %w", j.path, err)
	}
	ok, err := tryLock(f)
	if err != nil {
		f.Close()
		return 0, fmt.Errorf("journal %s: lock %s: %w", j.path, f.Name(), err)
	}
	if !ok {
		f.Close()
		return 0, j.lockedError(ctx)
	}
	l := &heldLock{f: f}
	h := holder{PID: s.PID, Host: s.Host, Since: s.StartedAt.In(cst.Zone).Format(time.RFC3339)}
	if err := l.write(h); err != nil {
		l.release()
		return 0, fmt.Errorf("journal %s: %w", j.path, err)
	}

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
UPDATE runs SET status = 'abandoned', ended_at = ?,
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
	h.RunID = id
	// Should this write fail, the run is recorded and the lock held; a
	// refused process would only miss the run id in the lock file and find
	// it in the runs table instead. Not worth failing the run for.
	_ = l.write(h)
	l.runID = id
	j.held = l
	return id, nil
}

// lockedError builds the *LockedError for a lock held elsewhere from the
// lock file and, failing that, from the holder's running run. The holder
// writes its pid at once and its run id once the run is recorded, so a
// fresh holder may need a moment; lockedError waits up to a second for it.
func (j *Journal) lockedError(ctx context.Context) error {
	e := &LockedError{Path: j.path}
	for i := 0; i < 40; i++ {
		if data, err := os.ReadFile(j.lockPath()); err == nil {
			var h holder
			if json.Unmarshal(data, &h) == nil && h.PID != 0 {
				e.RunID, e.PID, e.Host = h.RunID, h.PID, h.Host
				e.Since, _ = time.Parse(time.RFC3339, h.Since)
				if e.RunID == 0 {
					// The run may be committed before the lock file says so.
					var id int64
					err := j.r.QueryRowContext(ctx, `SELECT id FROM runs WHERE status = 'running' AND pid = ? AND host = ? ORDER BY id DESC LIMIT 1`,
						h.PID, h.Host).Scan(&id)
					if err == nil {
						e.RunID = id
					}
				}
				if e.RunID != 0 {
					break
				}
			}
		}
		select {
		case <-ctx.Done():
			return e
		case <-time.After(25 * time.Millisecond):
		}
	}
	if !e.Since.IsZero() {
		e.Since = e.Since.In(cst.Zone)
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
	report_path = CASE WHEN ? = '' THEN report_path ELSE ? END,
	summary_path = ?, error = ?, exit_code = ?
WHERE id = ? AND status = 'running'`,
		string(e.Status), formatTime(j.at(e.EndedAt)), counts, e.ReportPath, e.ReportPath, e.SummaryPath, e.Error, e.ExitCode, id)
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
