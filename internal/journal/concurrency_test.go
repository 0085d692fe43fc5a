package journal

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
)

// hammer runs workers goroutines on the journals js (worker g uses
// js[g%len(js)]); each declares perWorker orders and sends as many
// callbacks, every one failing once and then succeeding. It returns the
// first error met.
func hammer(ctx context.Context, js []*Journal, run int64, workers, perWorker int) error {
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for g := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			j := js[g%len(js)]
			for i := range perWorker {
				d := decl(fmt.Sprintf("C-%02d-%03d", g, i))
				key := CallbackKey{Idempotent: "idem-" + d.OrderID, Status: 1 + i%2}
				for try := 1; try <= 2; try++ {
					n, err := j.BeginDeclaration(ctx, run, d)
					if err != nil {
						errs <- err
						return
					}
					if n != try {
						errs <- fmt.Errorf("order %s: attempt %d, want %d", d.OrderID, n, try)
						return
					}
					o := DeclarationOutcome{State: DeclarationFailed, ErrorCode: "isp.timeout"}
					if try == 2 {
						o = DeclarationOutcome{State: DeclarationAccepted, PlatformState: "SUBMITTED", RequestID: "r"}
					}
					if err := j.FinishDeclaration(ctx, run, d.OrderID, n, o); err != nil {
						errs <- err
						return
					}
					n, err = j.BeginCallback(ctx, run, Callback{Key: key, OrderID: d.OrderID})
					if err != nil {
						errs <- err
						return
					}
					co := CallbackOutcome{State: CallbackFailed, ErrorCode: "transport"}
					if try == 2 {
						co = CallbackOutcome{State: CallbackSent, MsgCode: "0"}
					}
					if err := j.FinishCallback(ctx, run, key, n, co); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

func TestConcurrentBeginFinish(t *testing.T) { forEachBackend(t, testConcurrentBeginFinish) }

func testConcurrentBeginFinish(t *testing.T, b *testBackend) {
	const workers, perWorker = 32, 3
	tests := []struct {
		name     string
		journals int // Journals open on the journal; more than one contend through the database's locks
	}{
		{"one journal", 1},
		{"two journals on one file", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			path := b.fresh(t)
			var js []*Journal
			for range tt.journals {
				js = append(js, open(t, path))
			}
			run := beginRun(t, js[0])
			if err := hammer(ctx, js, run, workers, perWorker); err != nil {
				t.Fatalf("concurrent Begin/Finish: %v", err)
			}

			j := js[0]
			var orders []string
			var keys []CallbackKey
			for g := range workers {
				for i := range perWorker {
					id := fmt.Sprintf("C-%02d-%03d", g, i)
					orders = append(orders, id)
					keys = append(keys, CallbackKey{"idem-" + id, 1 + i%2})
				}
			}
			ds, err := j.Declarations(ctx, orders)
			if err != nil {
				t.Fatal(err)
			}
			if len(ds) != len(orders) {
				t.Errorf("%d declarations, want %d", len(ds), len(orders))
			}
			for _, d := range ds {
				if d.State != DeclarationAccepted || d.Attempts != 2 || d.RunID != run || d.PlatformState != "SUBMITTED" {
					t.Errorf("declaration %s = %s after %d attempts, want accepted after 2", d.OrderID, d.State, d.Attempts)
				}
			}
			cs, err := j.Callbacks(ctx, keys)
			if err != nil {
				t.Fatal(err)
			}
			if len(cs) != len(keys) {
				t.Errorf("%d callbacks, want %d", len(cs), len(keys))
			}
			for _, c := range cs {
				if c.State != CallbackSent || c.Attempts != 2 {
					t.Errorf("callback %v = %s after %d attempts, want sent after 2", c.Key, c.State, c.Attempts)
				}
			}
			attempts, err := j.Attempts(ctx, run)
			if err != nil {
				t.Fatal(err)
			}
			if want := workers * perWorker * 2 * 2; len(attempts) != want {
				t.Errorf("%d attempts logged, want %d", len(attempts), want)
			}
			seen := map[string][]int{}
			for _, a := range attempts {
				if a.EndedAt.IsZero() || a.Outcome == "" {
					t.Errorf("attempt %+v not finished", a)
				}
				k := fmt.Sprintf("%s/%s/%d", a.Kind, a.Key, a.Status)
				seen[k] = append(seen[k], a.Attempt)
			}
			for k, ns := range seen {
				sort.Ints(ns)
				if fmt.Sprint(ns) != "[1 2]" {
					t.Errorf("%s attempts %v, want [1 2]", k, ns)
				}
			}
			if err := j.Check(ctx); err != nil {
				t.Error(err)
			}
		})
	}
}

// A child writing from childWriters goroutines is killed with SIGKILL: every
// finished attempt is in its row, at most one attempt per writer is in
// flight, and the rerun takes the lock and abandons the killed run.
func TestKilledMidWrite(t *testing.T) { forEachBackend(t, testKilledMidWrite) }

func testKilledMidWrite(t *testing.T, b *testBackend) {
	ctx := context.Background()
	path := b.fresh(t)
	c := startChild(t, "write", path)
	c.waitFor(t, "ready") // 300 pairs finished, the writers are going
	c.kill(t)

	j := open(t, path)
	if err := j.Check(ctx); err != nil {
		t.Fatalf("Check after the writer was killed: %v", err)
	}
	// Every finished attempt has its outcome in its row (or a later attempt
	// does), and every row's latest attempt is logged.
	var bad []string
	err := j.query(ctx, `
SELECT a.kind, a.key, a.attempt, a.outcome, COALESCE(d.state, c.state, 'missing'), COALESCE(d.attempts, c.attempts, 0)
FROM attempts a
LEFT JOIN declarations d ON a.kind = 'declaration' AND d.order_id = a.key
LEFT JOIN callbacks c ON a.kind = 'callback' AND c.idempotent = a.key AND c.clearance_status = a.clearance_status
WHERE a.ended_at IS NOT NULL`, nil, func(s scanner) error {
		var kind, key, outcome, state string
		var attempt, latest int
		if err := s.Scan(&kind, &key, &attempt, &outcome, &state, &latest); err != nil {
			return err
		}
		switch {
		case latest < attempt:
			bad = append(bad, fmt.Sprintf("%s %s: attempt %d finished, row says attempt %d", kind, key, attempt, latest))
		case latest == attempt && state != outcome:
			bad = append(bad, fmt.Sprintf("%s %s: attempt %d finished %s, row says %s", kind, key, attempt, outcome, state))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var inFlight, rows int
	err = j.query(ctx, `
SELECT 'declaration', order_id, attempts, state, (SELECT ended_at IS NULL FROM attempts WHERE kind = 'declaration' AND key = order_id AND attempt = attempts)
FROM declarations
UNION ALL
SELECT 'callback', idempotent, attempts, state, (SELECT ended_at IS NULL FROM attempts WHERE kind = 'callback' AND key = idempotent AND clearance_status = callbacks.clearance_status AND attempt = attempts)
FROM callbacks`, nil, func(s scanner) error {
		var kind, key, state string
		var n int
		var open *bool
		if err := s.Scan(&kind, &key, &n, &state, &open); err != nil {
			return err
		}
		rows++
		switch {
		case open == nil:
			bad = append(bad, fmt.Sprintf("%s %s: attempt %d not in the log", kind, key, n))
		case *open != (state == "in_flight"):
			bad = append(bad, fmt.Sprintf("%s %s: state %s but its attempt %d open=%v", kind, key, state, n, *open))
		case *open:
			inFlight++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(bad) > 0 {
		t.Errorf("inconsistent rows after the kill:\n%s", strings.Join(bad, "\n"))
	}
	if rows == 0 {
		t.Fatal("the child wrote nothing")
	}
	// At most one call per writer can have been in flight.
	if inFlight > childWriters {
		t.Errorf("%d attempts in flight after the kill, want at most %d", inFlight, childWriters)
	}
	var open int
	if err := j.readRow(ctx, `SELECT count(*) FROM attempts WHERE ended_at IS NULL`).Scan(&open); err != nil {
		t.Fatal(err)
	}
	if open != inFlight {
		t.Errorf("%d unfinished attempts in the log, %d rows in flight; want equal", open, inFlight)
	}
	t.Logf("after the kill: %d rows, %d in flight", rows, inFlight)

	// The rerun recovers the lock and abandons the killed run.
	id, err := beginRunAfterKill(t, j)
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := j.Run(ctx, c.runID); r.Status != RunAbandoned {
		t.Errorf("killed run status = %s, want abandoned", r.Status)
	}
	if err := j.EndRun(ctx, id, RunEnd{Status: RunCompleted}); err != nil {
		t.Fatal(err)
	}
}
