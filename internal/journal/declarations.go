package journal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// DeclarationState is the journal's state of a declaration.
type DeclarationState string

// Declaration states.
const (
	// DeclarationInFlight: an attempt has begun and its outcome is not
	// known. After a crash this is what the rerun finds; it declares again
	// (the API is idempotent for identical parameters).
	DeclarationInFlight DeclarationState = "in_flight"
	// DeclarationAccepted: the platform accepted it (state UNDECLARED,
	// SUBMITTED, PROCESSING or SUCCESS). A rerun skips it.
	DeclarationAccepted DeclarationState = "accepted"
	// DeclarationRejected: the platform refused it (business failure,
	// FAIL/EXCEPT, isv.*, codes 40/41). A rerun tries again.
	DeclarationRejected DeclarationState = "rejected"
	// DeclarationFailed: transient errors outlasted the retries. A rerun
	// tries again.
	DeclarationFailed DeclarationState = "failed"
)

// final reports whether s is an outcome FinishDeclaration accepts.
func (s DeclarationState) final() bool {
	return s == DeclarationAccepted || s == DeclarationRejected || s == DeclarationFailed
}

// Declaration is the journal's row for one order: the parameters of its
// latest attempt and that attempt's outcome. Money is in fen. Times are in
// UTC+8; RunID is the run of the latest attempt.
type Declaration struct {
	OrderID, TransactionID, Customs    string
	OrderFee, ProductFee, TransportFee int64
	State                              DeclarationState
	PlatformState                      string
	Attempts                           int
	ErrorCode, ErrorMsg, RequestID     string
	FirstAttemptAt, LastAttemptAt      time.Time
	RunID                              int64
	// Buyer is a keyed hash of the buyer's ID number (never the number),
	// "" when the run did not know it; PaidYear the calendar year (UTC+8)
	// the order was paid in, 0 when not known. For the annual limit.
	Buyer    string
	PaidYear int
	// PaidAt is when the buyer paid the order, zero when not known: the
	// day a follow-up's exception is about.
	PaidAt time.Time
	// AcceptedAt is when the platform first accepted it; SettledAt when it
	// learned a final state (SUCCESS, FAIL, EXCEPT) of an accepted one;
	// StuckAt when a run reported it DECLARE_STUCK; RefundedAt when a run
	// saw a refund of its payment. Zero when not.
	AcceptedAt, SettledAt, StuckAt, RefundedAt time.Time
	// AcceptedRunID is the run whose attempt the platform first accepted
	// (RunID moves on with every follow-up); 0 when never accepted.
	AcceptedRunID int64
}

// sameParameters reports whether d and e would send the same declaration.
func (d Declaration) sameParameters(e Declaration) bool {
	return d.TransactionID == e.TransactionID && d.Customs == e.Customs &&
		d.OrderFee == e.OrderFee && d.ProductFee == e.ProductFee && d.TransportFee == e.TransportFee
}

// DeclarationOutcome is the result of one declaration attempt.
type DeclarationOutcome struct {
	State         DeclarationState // accepted, rejected or failed
	PlatformState string           // the platform's declaration state, if it answered
	ErrorCode     string           // the platform's or transport's code; "" when accepted
	ErrorMsg      string           // never holds a secret
	RequestID     string           // the gateway's request_id, for support
	At            time.Time        // when the outcome was known; zero means now
	// FollowUp marks the attempt as a follow-up: the identical
	// declaration sent again to learn its state.
	FollowUp bool
}

// ConflictError is returned by [Journal.BeginDeclaration] when the order was
// accepted before with other parameters: a modify is needed, not a
// re-declare (DECLARE_CONFLICT). errors.Is(err, ErrConflict) reports true.
type ConflictError struct {
	Path     string      // the journal (a connection string redacted)
	Store    string      // its store, "" for the default
	Schema   string      // on PostgreSQL, the store's schema
	Existing Declaration // the accepted row
	Wanted   Declaration // the parameters asked for
}

// Error names the order and the first parameter that differs.
func (e *ConflictError) Error() string {
	x, w := e.Existing, e.Wanted
	var diff string
	switch {
	case x.TransactionID != w.TransactionID:
		diff = fmt.Sprintf("transaction id %q, now %q", x.TransactionID, w.TransactionID)
	case x.Customs != w.Customs:
		diff = fmt.Sprintf("customs %q, now %q", x.Customs, w.Customs)
	default:
		diff = fmt.Sprintf("fees %d = %d + %d fen, now %d = %d + %d fen",
			x.OrderFee, x.ProductFee, x.TransportFee, w.OrderFee, w.ProductFee, w.TransportFee)
	}
	return fmt.Sprintf("journal %s: order %s was accepted in run %d with %s", label(e.Path, e.Store, e.Schema), x.OrderID, x.RunID, diff)
}

// Is reports whether target is ErrConflict.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

const declarationColumns = `order_id, transaction_id, customs, order_fee, product_fee, transport_fee,
	state, platform_state, attempts, error_code, error_msg, request_id, first_attempt_at, last_attempt_at, last_run_id,
	buyer, paid_year, paid_at, accepted_at, settled_at, stuck_at, refunded_at, accepted_run_id`

func scanDeclaration(s scanner) (Declaration, error) {
	var d Declaration
	var state string
	var acceptedRun sql.NullInt64
	err := s.Scan(&d.OrderID, &d.TransactionID, &d.Customs, &d.OrderFee, &d.ProductFee, &d.TransportFee,
		&state, &d.PlatformState, &d.Attempts, &d.ErrorCode, &d.ErrorMsg, &d.RequestID,
		dbTime{&d.FirstAttemptAt}, dbTime{&d.LastAttemptAt}, &d.RunID,
		&d.Buyer, &d.PaidYear, dbTime{&d.PaidAt}, dbTime{&d.AcceptedAt}, dbTime{&d.SettledAt}, dbTime{&d.StuckAt}, dbTime{&d.RefundedAt}, &acceptedRun)
	d.AcceptedRunID = acceptedRun.Int64
	if err != nil {
		return Declaration{}, err
	}
	d.State = DeclarationState(state)
	return d, nil
}

// chunk is how many ids one IN (...) query binds, well under SQLite's limit
// on bound parameters.
const chunk = 500

// Declarations returns the journal's rows for orderIDs, keyed by order id.
// Ids the journal has never seen are absent from the map; duplicates are
// harmless. Any number of ids may be asked for: the lookup is split into
// queries of at most 500 ids.
func (j *Journal) Declarations(ctx context.Context, orderIDs []string) (map[string]Declaration, error) {
	out := make(map[string]Declaration, len(orderIDs))
	for start := 0; start < len(orderIDs); start += chunk {
		ids := orderIDs[start:min(start+chunk, len(orderIDs))]
		args := make([]any, len(ids))
		for i, id := range ids {
			args[i] = id
		}
		q := `SELECT ` + declarationColumns + ` FROM declarations WHERE order_id IN (?` + strings.Repeat(", ?", len(ids)-1) + `)`
		if err := j.query(ctx, q, args, func(s scanner) error {
			d, err := scanDeclaration(s)
			if err == nil {
				out[d.OrderID] = d
			}
			return err
		}); err != nil {
			return nil, fmt.Errorf("journal %s: declarations: %w", j.name, err)
		}
	}
	return out, nil
}

const (
	sqlGetDeclaration    = `SELECT ` + declarationColumns + ` FROM declarations WHERE order_id = ?`
	sqlUpsertDeclaration = `
INSERT INTO declarations (order_id, transaction_id, customs, order_fee, product_fee, transport_fee,
	state, attempts, first_attempt_at, last_attempt_at, last_run_id, buyer, paid_year, paid_at)
VALUES (?, ?, ?, ?, ?, ?, 'in_flight', 1, ?, ?, ?, ?, ?, ?)
ON CONFLICT (order_id) DO UPDATE SET
	transaction_id = excluded.transaction_id, customs = excluded.customs,
	order_fee = excluded.order_fee, product_fee = excluded.product_fee, transport_fee = excluded.transport_fee,
	state = 'in_flight', attempts = declarations.attempts + 1,
	last_attempt_at = excluded.last_attempt_at, last_run_id = excluded.last_run_id,
	buyer = CASE WHEN excluded.buyer <> '' THEN excluded.buyer ELSE declarations.buyer END,
	paid_year = CASE WHEN excluded.paid_year <> 0 THEN excluded.paid_year ELSE declarations.paid_year END,
	paid_at = COALESCE(excluded.paid_at, declarations.paid_at)
RETURNING attempts`
	sqlLogDeclaration    = `INSERT INTO attempts (run_id, kind, key, attempt, started_at) VALUES (?, 'declaration', ?, ?, ?)`
	sqlFinishDeclaration = `
UPDATE declarations SET state = ?, platform_state = ?, error_code = ?, error_msg = ?, request_id = ?,
	accepted_at = CASE WHEN ? = 'accepted' THEN COALESCE(accepted_at, ?) ELSE accepted_at END,
	accepted_run_id = CASE WHEN ? = 'accepted' THEN COALESCE(accepted_run_id, ?) ELSE accepted_run_id END,
	settled_at = CASE WHEN settled_at IS NULL AND (? = 'SUCCESS' OR (accepted_at IS NOT NULL AND ? IN ('FAIL', 'EXCEPT'))) THEN ? ELSE settled_at END
WHERE order_id = ? AND attempts = ?`
	sqlLogDeclarationState = `INSERT INTO declaration_states (order_id, run_id, state, learned_at, follow_up) VALUES (?, ?, ?, ?, ?)`
)

// BeginDeclaration records, before the call, that run runID is about to
// declare d: in one transaction it upserts the order's row with d's
// parameters in state in_flight, attempts+1, first_attempt_at if unset,
// last_attempt_at now and last_run_id runID, and inserts an attempts-log
// row. It returns the attempt number (1 for the first attempt ever), which
// [Journal.FinishDeclaration] needs. The outcome fields of the previous
// attempt stay until Finish overwrites them.
//
// It refuses, writing nothing, when runID is not a running, non-dry run
// (ErrRunNotRunning, ErrDryRun) and when the order was accepted before with
// other transaction id, customs or fees (a *ConflictError). Beginning again
// an accepted order with the same parameters is allowed (a deliberate,
// harmless repeat).
func (j *Journal) BeginDeclaration(ctx context.Context, runID int64, d Declaration) (attempt int, err error) {
	if d.OrderID == "" {
		return 0, fmt.Errorf("journal %s: begin declaration: empty order id", j.name)
	}
	now := formatTime(j.now())
	err = j.write(ctx, func(w wtx) error {
		if err := checkRun(ctx, w, runID); err != nil {
			return err
		}
		old, err := scanDeclaration(w.queryRow(ctx, sqlGetDeclaration, d.OrderID))
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		case old.State == DeclarationAccepted && !old.sameParameters(d):
			return &ConflictError{Path: j.path, Store: j.store, Schema: j.schema, Existing: old, Wanted: d}
		}
		err = w.queryRow(ctx, sqlUpsertDeclaration,
			d.OrderID, d.TransactionID, d.Customs, d.OrderFee, d.ProductFee, d.TransportFee, now, now, runID, d.Buyer, d.PaidYear, formatTime(d.PaidAt)).Scan(&attempt)
		if err != nil {
			return err
		}
		_, err = w.exec(ctx, sqlLogDeclaration, runID, d.OrderID, attempt, now)
		return err
	})
	if err != nil {
		var ce *ConflictError
		if errors.As(err, &ce) {
			return 0, err
		}
		return 0, fmt.Errorf("journal %s: begin declaration of order %s: %w", j.name, d.OrderID, err)
	}
	return attempt, nil
}

// FinishDeclaration records, after the call, the outcome of attempt (as
// returned by BeginDeclaration in run runID): in one transaction it ends the
// attempts-log row and, if the order's row still describes this attempt,
// sets its state and outcome fields. If a later attempt has begun since,
// only the log row is written. The error wraps ErrNoAttempt when the
// attempt was not begun in runID or is already finished.
func (j *Journal) FinishDeclaration(ctx context.Context, runID int64, orderID string, attempt int, o DeclarationOutcome) error {
	if !o.State.final() {
		return fmt.Errorf("journal %s: finish declaration of order %s: state %q is not an outcome", j.name, orderID, o.State)
	}
	at := formatTime(j.at(o.At))
	err := j.write(ctx, func(w wtx) error {
		if err := endAttempt(ctx, w, runID, KindDeclaration, orderID, 0, attempt, string(o.State), o.ErrorCode, o.ErrorMsg, o.RequestID, at); err != nil {
			return err
		}
		if _, err := w.exec(ctx, sqlFinishDeclaration,
			string(o.State), o.PlatformState, o.ErrorCode, o.ErrorMsg, o.RequestID,
			string(o.State), at, string(o.State), runID, o.PlatformState, o.PlatformState, at, orderID, attempt); err != nil {
			return err
		}
		if o.PlatformState == "" {
			return nil
		}
		_, err := w.exec(ctx, sqlLogDeclarationState, orderID, runID, o.PlatformState, at, o.FollowUp)
		return err
	})
	if err != nil {
		return fmt.Errorf("journal %s: finish declaration of order %s attempt %d: %w", j.name, orderID, attempt, err)
	}
	return nil
}
