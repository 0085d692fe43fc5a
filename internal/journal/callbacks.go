package journal

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// CallbackState is the journal's state of a clearance callback.
type CallbackState string

// Callback states.
const (
	// CallbackInFlight: an attempt has begun and its outcome is not known.
	// A rerun sends it again (the idempotency key makes that harmless).
	CallbackInFlight CallbackState = "in_flight"
	// CallbackSent: the platform took it (msg_success true). A rerun skips it.
	CallbackSent CallbackState = "sent"
	// CallbackRejected: the platform refused it (msg_success false, isv.*).
	CallbackRejected CallbackState = "rejected"
	// CallbackFailed: transient errors outlasted the retries.
	CallbackFailed CallbackState = "failed"
)

func (s CallbackState) final() bool {
	return s == CallbackSent || s == CallbackRejected || s == CallbackFailed
}

// CallbackKey identifies a callback: the clearance row's idempotency key and
// its clearance status. The same key with another status is another
// callback.
type CallbackKey struct {
	Idempotent string
	Status     int
}

// Callback is the journal's row for one callback: the parameters of its
// latest attempt and that attempt's outcome. MsgCode and MsgInfo are the
// platform's answer; ErrorCode and ErrorMsg the last error. Times are in
// UTC+8; RunID is the run of the latest attempt.
type Callback struct {
	Key                            CallbackKey
	OrderID, ResultCode, PortNo    string
	State                          CallbackState
	MsgCode, MsgInfo               string
	ErrorCode, ErrorMsg, RequestID string
	Attempts                       int
	FirstAttemptAt, LastAttemptAt  time.Time
	RunID                          int64
}

// CallbackOutcome is the result of one callback attempt.
type CallbackOutcome struct {
	State     CallbackState // sent, rejected or failed
	MsgCode   string        // the platform's msg_code, if it answered
	MsgInfo   string        // the platform's msg_info
	ErrorCode string        // the platform's or transport's code; "" when sent
	ErrorMsg  string        // never holds a secret
	RequestID string        // the gateway's request_id
	At        time.Time     // when the outcome was known; zero means now
}

const callbackColumns = `idempotent, clearance_status, order_id, result_code, port_no, state, msg_code, msg_info,
	error_code, error_msg, request_id, attempts, first_attempt_at, last_attempt_at, last_run_id`

func scanCallback(s scanner) (Callback, error) {
	var c Callback
	var state string
	err := s.Scan(&c.Key.Idempotent, &c.Key.Status, &c.OrderID, &c.ResultCode, &c.PortNo, &state, &c.MsgCode, &c.MsgInfo,
		&c.ErrorCode, &c.ErrorMsg, &c.RequestID, &c.Attempts, dbTime{&c.FirstAttemptAt}, dbTime{&c.LastAttemptAt}, &c.RunID)
	if err != nil {
		return Callback{}, err
	}
	c.State = CallbackState(state)
	return c, nil
}

// Callbacks returns the journal's rows for keys. Keys the journal has never
// seen are absent from the map. Any number of keys may be asked for: the
// lookup is split into queries of at most 500 keys.
func (j *Journal) Callbacks(ctx context.Context, keys []CallbackKey) (map[CallbackKey]Callback, error) {
	out := make(map[CallbackKey]Callback, len(keys))
	for start := 0; start < len(keys); start += chunk {
		ks := keys[start:min(start+chunk, len(keys))]
		args := make([]any, 0, 2*len(ks))
		for _, k := range ks {
			args = append(args, k.Idempotent, k.Status)
		}
		// The CAST types the VALUES list's second column, which
		// PostgreSQL would otherwise take for text.
		q := `SELECT ` + callbackColumns + ` FROM callbacks WHERE (idempotent, clearance_status) IN (VALUES (?, CAST(? AS INTEGER))` +
			strings.Repeat(", (?, CAST(? AS INTEGER))", len(ks)-1) + `)`
		if err := j.query(ctx, q, args, func(s scanner) error {
			c, err := scanCallback(s)
			if err == nil {
				out[c.Key] = c
			}
			return err
		}); err != nil {
			return nil, fmt.Errorf("journal %s: callbacks: %w", j.name, err)
		}
	}
	return out, nil
}

const (
	sqlUpsertCallback = `
INSERT INTO callbacks (idempotent, clearance_status, order_id, result_code, port_no,
	state, attempts, first_attempt_at, last_attempt_at, last_run_id)
VALUES (?, ?, ?, ?, ?, 'in_flight', 1, ?, ?, ?)
ON CONFLICT (idempotent, clearance_status) DO UPDATE SET
	order_id = excluded.order_id, result_code = excluded.result_code, port_no = excluded.port_no,
	state = 'in_flight', attempts = callbacks.attempts + 1,
	last_attempt_at = excluded.last_attempt_at, last_run_id = excluded.last_run_id
RETURNING attempts`
	sqlLogCallback    = `INSERT INTO attempts (run_id, kind, key, clearance_status, attempt, started_at) VALUES (?, 'callback', ?, ?, ?, ?)`
	sqlFinishCallback = `
UPDATE callbacks SET state = ?, msg_code = ?, msg_info = ?, error_code = ?, error_msg = ?, request_id = ?
WHERE idempotent = ? AND clearance_status = ? AND attempts = ?`
)

// BeginCallback records, before the call, that run runID is about to send
// callback c: in one transaction it upserts the row of c.Key with c's
// parameters in state in_flight, attempts+1, first_attempt_at if unset,
// last_attempt_at now and last_run_id runID, and inserts an attempts-log
// row. It returns the attempt number for [Journal.FinishCallback]. It
// refuses, writing nothing, when runID is not a running, non-dry run.
func (j *Journal) BeginCallback(ctx context.Context, runID int64, c Callback) (attempt int, err error) {
	if c.Key.Idempotent == "" {
		return 0, fmt.Errorf("journal %s: begin callback: empty idempotent key", j.name)
	}
	now := formatTime(j.now())
	err = j.write(ctx, func(w wtx) error {
		if err := checkRun(ctx, w, runID); err != nil {
			return err
		}
		err := w.queryRow(ctx, sqlUpsertCallback,
			c.Key.Idempotent, c.Key.Status, c.OrderID, c.ResultCode, c.PortNo, now, now, runID).Scan(&attempt)
		if err != nil {
			return err
		}
		_, err = w.exec(ctx, sqlLogCallback, runID, c.Key.Idempotent, c.Key.Status, attempt, now)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("journal %s: begin callback %s/%d: %w", j.name, c.Key.Idempotent, c.Key.Status, err)
	}
	return attempt, nil
}

// FinishCallback records, after the call, the outcome of attempt (as
// returned by BeginCallback in run runID): in one transaction it ends the
// attempts-log row and, if the callback's row still describes this attempt,
// sets its state and outcome fields. The error wraps ErrNoAttempt when the
// attempt was not begun in runID or is already finished.
func (j *Journal) FinishCallback(ctx context.Context, runID int64, key CallbackKey, attempt int, o CallbackOutcome) error {
	if !o.State.final() {
		return fmt.Errorf("journal %s: finish callback %s/%d: state %q is not an outcome", j.name, key.Idempotent, key.Status, o.State)
	}
	at := formatTime(j.at(o.At))
	err := j.write(ctx, func(w wtx) error {
		if err := endAttempt(ctx, w, runID, KindCallback, key.Idempotent, key.Status, attempt, string(o.State), o.ErrorCode, o.ErrorMsg, o.RequestID, at); err != nil {
			return err
		}
		_, err := w.exec(ctx, sqlFinishCallback,
			string(o.State), o.MsgCode, o.MsgInfo, o.ErrorCode, o.ErrorMsg, o.RequestID, key.Idempotent, key.Status, attempt)
		return err
	})
	if err != nil {
		return fmt.Errorf("journal %s: finish callback %s/%d attempt %d: %w", j.name, key.Idempotent, key.Status, attempt, err)
	}
	return nil
}
