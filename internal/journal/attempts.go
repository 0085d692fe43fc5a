package journal

import (
	"context"
	"fmt"
	"time"
)

// AttemptKind is what an attempt called.
type AttemptKind string

// Attempt kinds.
const (
	KindDeclaration AttemptKind = "declaration" // tmall.hk.clearance.declare.wechat
	KindCallback    AttemptKind = "callback"    // tmall.hk.clearance.info.send
	KindMaterials   AttemptKind = "materials"   // tmall.hk.clearance.distribution.get
)

// Attempt is one row of the attempts log: one call, written before it was
// made (StartedAt) and completed with its outcome after it (EndedAt,
// Outcome). An attempt whose EndedAt is zero was in flight when its process
// stopped, or still is.
type Attempt struct {
	ID        int64
	RunID     int64
	Kind      AttemptKind
	Key       string // the order id; for a callback its idempotent key
	Status    int    // a callback's clearance status; 0 for other kinds
	Attempt   int    // 1 for the first attempt ever of this kind and key
	StartedAt time.Time
	EndedAt   time.Time
	Outcome   string // the final state ("accepted", "sent", ...); "" while in flight
	ErrorCode string
	ErrorMsg  string
	RequestID string
}

// Attempts returns the attempts log of run runID in the order the attempts
// began.
func (j *Journal) Attempts(ctx context.Context, runID int64) ([]Attempt, error) {
	var out []Attempt
	err := j.query(ctx, `
SELECT id, run_id, kind, key, clearance_status, attempt, started_at, ended_at, outcome, error_code, error_msg, request_id
FROM attempts WHERE run_id = ? ORDER BY id`, []any{runID}, func(s scanner) error {
		var a Attempt
		var kind string
		err := s.Scan(&a.ID, &a.RunID, &kind, &a.Key, &a.Status, &a.Attempt, dbTime{&a.StartedAt}, dbTime{&a.EndedAt},
			&a.Outcome, &a.ErrorCode, &a.ErrorMsg, &a.RequestID)
		if err != nil {
			return err
		}
		a.Kind = AttemptKind(kind)
		out = append(out, a)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("journal %s: attempts of run %d: %w", j.name, runID, err)
	}
	return out, nil
}

const sqlEndAttempt = `
UPDATE attempts SET ended_at = ?, outcome = ?, error_code = ?, error_msg = ?, request_id = ?
WHERE kind = ? AND key = ? AND clearance_status = ? AND attempt = ? AND run_id = ? AND ended_at IS NULL`

// endAttempt completes an attempts-log row inside tx; the error wraps
// ErrNoAttempt when there is no unfinished row for that attempt in runID.
func endAttempt(ctx context.Context, w wtx, runID int64, kind AttemptKind, key string, status, attempt int,
	outcome, code, msg, requestID string, at any) error {
	res, err := w.exec(ctx, sqlEndAttempt, at, outcome, code, msg, requestID, string(kind), key, status, attempt, runID)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n != 1 {
		return fmt.Errorf("%w %d of run %d", ErrNoAttempt, attempt, runID)
	}
	return nil
}

// MaterialsOutcome is the result of one materials lookup.
type MaterialsOutcome struct {
	Outcome   string    // e.g. "valid", "invalid", "failed"; must not be empty
	ErrorCode string    // the platform's, transport's or check's code
	ErrorMsg  string    // never holds an ID number or a name unmasked
	RequestID string    // the gateway's request_id
	At        time.Time // zero means now
}

const sqlLogMaterials = `
INSERT INTO attempts (run_id, kind, key, attempt, started_at)
SELECT ?, 'materials', ?, COALESCE(MAX(attempt), 0) + 1, ?
FROM attempts WHERE kind = 'materials' AND key = ? AND clearance_status = 0
RETURNING attempt`

// BeginMaterials logs, before the call, an attempt of run runID to fetch
// the materials of orderID, and returns its number. Materials have no state
// table: the check is repeated on every run.
func (j *Journal) BeginMaterials(ctx context.Context, runID int64, orderID string) (attempt int, err error) {
	if orderID == "" {
		return 0, fmt.Errorf("journal %s: begin materials: empty order id", j.name)
	}
	err = j.write(ctx, func(w wtx) error {
		if err := checkRun(ctx, w, runID); err != nil {
			return err
		}
		return w.queryRow(ctx, sqlLogMaterials, runID, orderID, formatTime(j.now()), orderID).Scan(&attempt)
	})
	if err != nil {
		return 0, fmt.Errorf("journal %s: begin materials of order %s: %w", j.name, orderID, err)
	}
	return attempt, nil
}

// FinishMaterials logs, after the call, the outcome of a materials attempt.
// The error wraps ErrNoAttempt when the attempt was not begun in runID or is
// already finished.
func (j *Journal) FinishMaterials(ctx context.Context, runID int64, orderID string, attempt int, o MaterialsOutcome) error {
	if o.Outcome == "" {
		return fmt.Errorf("journal %s: finish materials of order %s: empty outcome", j.name, orderID)
	}
	err := j.write(ctx, func(w wtx) error {
		return endAttempt(ctx, w, runID, KindMaterials, orderID, 0, attempt, o.Outcome, o.ErrorCode, o.ErrorMsg, o.RequestID, formatTime(j.at(o.At)))
	})
	if err != nil {
		return fmt.Errorf("journal %s: finish materials of order %s attempt %d: %w", j.name, orderID, attempt, err)
	}
	return nil
}
