package journal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Unsettled returns the declarations an earlier run had accepted whose
// last known state is not final (no SUCCESS, FAIL or EXCEPT learned yet)
// and that no run reported stuck: the follow-ups' candidates, oldest
// accepted first. A follow-up that was in flight or failed in transport
// is among them (its state is in_flight or failed, its AcceptedAt set); a
// declaration refused since (rejected) is not. Declarations run exceptRun
// attempted are left out: it declared them itself.
func (j *Journal) Unsettled(ctx context.Context, exceptRun int64) ([]Declaration, error) {
	q := `SELECT ` + declarationColumns + ` FROM declarations
	WHERE accepted_at IS NOT NULL AND settled_at IS NULL AND stuck_at IS NULL AND state <> 'rejected' AND last_run_id <> ?
	ORDER BY accepted_at, order_id`
	var out []Declaration
	if err := j.query(ctx, q, []any{exceptRun}, func(s scanner) error {
		d, err := scanDeclaration(s)
		if err == nil {
			out = append(out, d)
		}
		return err
	}); err != nil {
		return nil, fmt.Errorf("journal %s: unsettled declarations: %w", j.name, err)
	}
	return out, nil
}

// MarkStuck records that run runID reported the declarations of orderIDs
// DECLARE_STUCK: no run follows them again. Unknown ids are ignored.
func (j *Journal) MarkStuck(ctx context.Context, runID int64, orderIDs []string) error {
	return j.mark(ctx, runID, "stuck_at", orderIDs, "mark stuck")
}

// MarkRefunded records that run runID saw a refund of the payments of the
// declarations of orderIDs: they no longer count towards their buyers'
// annual totals. Unknown ids are ignored; the first refund seen is kept.
func (j *Journal) MarkRefunded(ctx context.Context, runID int64, orderIDs []string) error {
	return j.mark(ctx, runID, "refunded_at", orderIDs, "mark refunded")
}

// mark sets column (stuck_at or refunded_at) to now where it is unset.
func (j *Journal) mark(ctx context.Context, runID int64, column string, orderIDs []string, what string) error {
	if len(orderIDs) == 0 {
		return nil
	}
	now := formatTime(j.now())
	err := j.write(ctx, func(w wtx) error {
		if err := checkRun(ctx, w, runID); err != nil {
			return err
		}
		for start := 0; start < len(orderIDs); start += chunk {
			ids := orderIDs[start:min(start+chunk, len(orderIDs))]
			args := []any{now}
			for _, id := range ids {
				args = append(args, id)
			}
			q := `UPDATE declarations SET ` + column + ` = ? WHERE ` + column + ` IS NULL AND order_id IN (?` + strings.Repeat(", ?", len(ids)-1) + `)`
			if _, err := w.exec(ctx, q, args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("journal %s: %s: %w", j.name, what, err)
	}
	return nil
}

// BuyerTotal returns what buyer (a keyed hash) has been declared for in
// year: Σ order_fee (fen) of the declarations of orders paid that year
// that the platform accepted or may have (accepted, or an attempt in
// flight), that no FAIL or EXCEPT undid, and whose payment no refund was
// seen of; the order exceptOrder left out (the one being checked).
func (j *Journal) BuyerTotal(ctx context.Context, buyer string, year int, exceptOrder string) (int64, error) {
	if buyer == "" {
		return 0, errors.New("journal: a buyer total without a buyer")
	}
	var total sql.NullInt64
	err := j.readRow(ctx, `SELECT CAST(SUM(order_fee) AS BIGINT) FROM declarations
	WHERE buyer = ? AND paid_year = ? AND order_id <> ? AND refunded_at IS NULL
		AND (state = 'accepted' OR state = 'in_flight' OR (state = 'failed' AND accepted_at IS NOT NULL))`,
		buyer, year, exceptOrder).Scan(&total)
	if err != nil {
		return 0, fmt.Errorf("journal %s: buyer total: %w", j.name, err)
	}
	return total.Int64, nil
}

// StateSeen is a state the platform gave a declaration, when it was
// learned and by which run, and whether a follow-up learned it.
type StateSeen struct {
	State     string
	LearnedAt time.Time
	RunID     int64
	FollowUp  bool
}

// States returns every state learned of the declarations of orderIDs, in
// the order learned, by order id.
func (j *Journal) States(ctx context.Context, orderIDs []string) (map[string][]StateSeen, error) {
	out := map[string][]StateSeen{}
	for start := 0; start < len(orderIDs); start += chunk {
		ids := orderIDs[start:min(start+chunk, len(orderIDs))]
		args := make([]any, len(ids))
		for i, id := range ids {
			args[i] = id
		}
		q := `SELECT order_id, state, learned_at, run_id, follow_up FROM declaration_states WHERE order_id IN (?` +
			strings.Repeat(", ?", len(ids)-1) + `) ORDER BY id`
		if err := j.query(ctx, q, args, func(s scanner) error {
			var id string
			var st StateSeen
			if err := s.Scan(&id, &st.State, dbTime{&st.LearnedAt}, &st.RunID, &st.FollowUp); err != nil {
				return err
			}
			out[id] = append(out[id], st)
			return nil
		}); err != nil {
			return nil, fmt.Errorf("journal %s: declaration states: %w", j.name, err)
		}
	}
	return out, nil
}

// Meta returns the value the journal keeps under key, "" when none.
func (j *Journal) Meta(ctx context.Context, key string) (string, error) {
	var v string
	err := j.readRow(ctx, `SELECT value FROM meta WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("journal %s: meta %s: %w", j.name, key, err)
	}
	return v, nil
}

// SetMeta keeps value under key. It never holds a secret: callers store
// an id derived from one at most.
func (j *Journal) SetMeta(ctx context.Context, key, value string) error {
	err := j.write(ctx, func(w wtx) error {
		_, err := w.exec(ctx, `INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
		return err
	})
	if err != nil {
		return fmt.Errorf("journal %s: set meta %s: %w", j.name, key, err)
	}
	return nil
}
