package schedule

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crossborder/reconcile/internal/cst"
)

type logBuffer struct {
	mu    sync.Mutex
	lines []map[string]any
}

func (l *logBuffer) Write(p []byte) (int, error) {
	var m map[string]any
	if err := json.Unmarshal(p, &m); err != nil {
		return 0, err
	}
	l.mu.Lock()
	l.lines = append(l.lines, m)
	l.mu.Unlock()
	return len(p), nil
}

func (l *logBuffer) count(msg string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, m := range l.lines {
		if m["msg"] == msg {
			n++
		}
	}
	return n
}

// journalWith returns a history that holds runs with the given windows and
// statuses.
func journalWith(t *testing.T, runs ...[3]string) func(context.Context) ([]PastRun, error) {
	t.Helper()
	var past []PastRun
	for _, r := range runs {
		w, err := cst.ParseWindow("", r[0], r[1], time.Now())
		if err != nil {
			t.Fatal(err)
		}
		past = append(past, PastRun{Window: w, Done: r[2] == "completed"})
	}
	return func(context.Context) ([]PastRun, error) { return past, nil }
}

func TestCatchUpRunsTheMissedNightsOldestFirst(t *testing.T) {
	// Now is 2026-11-22 03:00 in UTC+8; the schedule runs at 02:30, so the
	// night of the 21st is due already. The 18th is covered by a range run,
	// the 20th by a completed run; the 19th only failed.
	now := time.Date(2026, 11, 22, 3, 0, 0, 0, cst.Zone)
	history := journalWith(t,
		[3]string{"2026-11-17", "2026-11-18", "completed"},
		[3]string{"2026-11-19", "2026-11-19", "failed"},
		[3]string{"2026-11-20", "2026-11-20", "completed"},
	)
	var mu sync.Mutex
	var got []string
	n := &Nightly{Spec: "30 2 * * *", CatchUp: 5, History: history, Now: func() time.Time { return now },
		Run: func(ctx context.Context, w cst.Window) error {
			mu.Lock()
			got = append(got, w.String())
			mu.Unlock()
			return nil
		}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- n.Serve(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		k := len(got)
		mu.Unlock()
		if k >= 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // time for a wrong extra run to show
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// 17 and 18 are covered by the range run, 20 by its run; 16 is older
	// than the five nights looked back.
	if want := []string{"2026-11-19", "2026-11-21"}; !slices.Equal(got, want) {
		t.Errorf("caught up %q, want %q", got, want)
	}
}

func TestCatchUpSkipsANightNotYetDue(t *testing.T) {
	// At 01:00 the night of the 21st is not due until 02:30.
	now := time.Date(2026, 11, 22, 1, 0, 0, 0, cst.Zone)
	n := &Nightly{Spec: "30 2 * * *", CatchUp: 2, History: journalWith(t), Now: func() time.Time { return now }}
	sched, _ := Parse(n.Spec, mustZone(t))
	missed, err := n.missed(context.Background(), sched)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range missed {
		got = append(got, w.String())
	}
	if want := []string{"2026-11-20"}; !slices.Equal(got, want) {
		t.Errorf("missed %q, want %q", got, want)
	}
}

func mustZone(t *testing.T) *time.Location {
	loc, err := time.LoadLocation(DefaultZone)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestTicksNeverOverlapAndSurviveAPanic(t *testing.T) {
	var logs logBuffer
	var inFlight, most, calls atomic.Int32
	n := &Nightly{Spec: "* * * * * *", Logger: slog.New(slog.NewJSONHandler(&logs, nil)),
		Run: func(ctx context.Context, w cst.Window) error {
			k := inFlight.Add(1)
			defer inFlight.Add(-1)
			for {
				m := most.Load()
				if k <= m || most.CompareAndSwap(m, k) {
					break
				}
			}
			switch calls.Add(1) {
			case 1:
				panic("a bug")
			case 2:
				time.Sleep(1500 * time.Millisecond) // longer than a tick
			}
			if want := cst.DateOf(time.Now()).AddDays(-1); w.From != want || w.To != want {
				t.Errorf("window %s, want yesterday %s", w, want)
			}
			return errors.New("a failed run")
		}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- n.Serve(ctx) }()
	deadline := time.Now().Add(8 * time.Second)
	for calls.Load() < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if calls.Load() < 3 {
		t.Fatalf("%d runs in 8 s of a every-second schedule, want at least 3", calls.Load())
	}
	if most.Load() != 1 {
		t.Errorf("%d runs at once, want 1", most.Load())
	}
	if logs.count("the run panicked; the schedule goes on") != 1 {
		t.Error("the panic was not logged")
	}
	if logs.count("tick skipped: the previous run is still in progress") == 0 {
		t.Error("no tick was skipped while the long run was in progress")
	}
	if logs.count("tick") < 3 || logs.count("next tick") < 2 || logs.count("schedule stopped") != 1 {
		t.Errorf("log lacks ticks, next ticks or the stop: %d, %d, %d", logs.count("tick"), logs.count("next tick"), logs.count("schedule stopped"))
	}
}

func TestStopWaitsForTheRunInProgress(t *testing.T) {
	started := make(chan struct{})
	var runs atomic.Int32
	var finished atomic.Bool
	n := &Nightly{Spec: "* * * * * *", Run: func(ctx context.Context, w cst.Window) error {
		if runs.Add(1) > 1 {
			return nil
		}
		close(started)
		time.Sleep(300 * time.Millisecond)
		if ctx.Err() != nil {
			t.Error("the run in progress was cancelled by the stop")
		}
		finished.Store(true)
		return nil
	}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- n.Serve(ctx) }()
	<-started
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !finished.Load() {
		t.Error("Serve returned before the run in progress finished")
	}
	if runs.Load() != 1 {
		t.Errorf("%d runs after the stop, want none after the first", runs.Load()-1)
	}
}

func TestParse(t *testing.T) {
	for _, spec := range []string{"30 2 * * *", "0 30 2 * * *", "@daily", "@every 1h", "*/5 * * * * *"} {
		if _, err := Parse(spec, time.UTC); err != nil {
			t.Errorf("Parse(%q): %v", spec, err)
		}
	}
	for _, spec := range []string{"", "61 * * * *", "every night", "* * *"} {
		if _, err := Parse(spec, time.UTC); err == nil || !strings.Contains(err.Error(), "invalid cron spec") {
			t.Errorf("Parse(%q) error = %v, want invalid cron spec", spec, err)
		}
	}
}
