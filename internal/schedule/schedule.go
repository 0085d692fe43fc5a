// Package schedule runs the reconciliation every night on a cron spec, as
// a small daemon: it catches up the nights it missed while it was down,
// never starts a run while another is in progress, survives a run that
// panics, and stops cleanly after the run in progress.
package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/crossborder/reconcile/internal/cst"
)

// DefaultZone is the zone a spec is read in unless told otherwise.
const DefaultZone = "Asia/Shanghai"

// Nightly runs a job for yesterday's window at every activation of a cron
// spec.
type Nightly struct {
	// Spec is a cron spec: five fields (minute hour day month weekday),
	// six with a leading seconds field, or a descriptor such as @daily or
	// "@every 1h".
	Spec string
	// Location is the zone Spec is read in; nil means Asia/Shanghai.
	// Windows are always calendar days in UTC+8.
	Location *time.Location
	// CatchUp is how many past nights to look back on start: each whose
	// activation has passed and that no completed run covers is run, the
	// oldest first, before the schedule goes on.
	CatchUp int
	// Run runs one window; the same code as "reconcile run". Its context
	// is not cancelled by Serve's: a run in progress is let finish.
	Run func(ctx context.Context, w cst.Window) error
	// History returns the runs of the past, for the catch-up.
	History func(ctx context.Context) ([]PastRun, error)
	// ExitStatus, if set, maps a run's error to the exit status the log
	// line of the run shows.
	ExitStatus func(error) int
	Logger     *slog.Logger     // nil: discard
	Now        func() time.Time // nil: time.Now
}

// PastRun is a run of the past as the catch-up sees it.
type PastRun struct {
	Window cst.Window
	// Done is set for a run that completed and was no dry run: its window
	// needs no catching up.
	Done bool
}

// Parse parses a cron spec as Nightly reads it.
func Parse(spec string, loc *time.Location) (cron.Schedule, error) {
	p := cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
	s, err := p.Parse(spec)
	if err != nil {
		return nil, fmt.Errorf("invalid cron spec %q: %w (want e.g. \"30 10 * * *\" for 10:30 every day)", spec, err)
	}
	if ss, ok := s.(*cron.SpecSchedule); ok && loc != nil {
		ss.Location = loc
	}
	return s, nil
}

// Serve catches up, then runs the schedule until ctx is done, and then
// waits for the run in progress to end. It returns nil on a clean stop;
// an error only when the spec is invalid or the catch-up cannot read the
// history.
func (n *Nightly) Serve(ctx context.Context) error {
	if n.Logger == nil {
		n.Logger = slog.New(slog.DiscardHandler)
	}
	if n.Now == nil {
		n.Now = time.Now
	}
	if n.Location == nil {
		loc, err := time.LoadLocation(DefaultZone)
		if err != nil {
			return err
		}
		n.Location = loc
	}
	sched, err := Parse(n.Spec, n.Location)
	if err != nil {
		return err
	}
	log := n.Logger

	var running sync.Mutex // held while a run is in progress
	runCtx := context.WithoutCancel(ctx)
	missed, err := n.missed(ctx, sched)
	if err != nil {
		return err
	}

	c := cron.New(cron.WithLocation(n.Location), cron.WithParser(cronParser{n.Location}))
	var stopped atomic.Bool
	_, err = c.AddFunc(n.Spec, func() {
		if !running.TryLock() {
			log.Warn("tick skipped: the previous run is still in progress", "next", c.Entries()[0].Next.In(n.Location))
			return
		}
		defer running.Unlock()
		w := yesterday(n.Now())
		log.Info("tick", "window", w.String())
		n.runOne(runCtx, w)
		if !stopped.Load() && len(c.Entries()) > 0 {
			log.Info("next tick", "at", c.Entries()[0].Next.In(n.Location))
		}
	})
	if err != nil {
		return err
	}

	// The catch-up holds the run lock, so that a tick meanwhile is skipped
	// rather than run beside it.
	running.Lock()
	c.Start()
	log.Info("schedule started", "spec", n.Spec, "zone", n.Location.String(), "next", sched.Next(n.Now()).In(n.Location))
	go func() {
		defer running.Unlock()
		for _, w := range missed {
			if ctx.Err() != nil {
				return
			}
			log.Info("catching up a missed night", "window", w.String())
			n.runOne(runCtx, w)
		}
	}()

	<-ctx.Done()
	stopped.Store(true)
	log.Info("stopping: no new runs; waiting for the run in progress, if any")
	<-c.Stop().Done()
	running.Lock() // the catch-up, if it is still going
	running.Unlock()
	log.Info("schedule stopped")
	return nil
}

// runOne runs one window and logs how it ended. A panic is recovered and
// logged with its stack: the schedule goes on.
func (n *Nightly) runOne(ctx context.Context, w cst.Window) {
	start := n.Now()
	defer func() {
		if p := recover(); p != nil {
			n.Logger.Error("the run panicked; the schedule goes on", "window", w.String(), "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		}
	}()
	err := n.Run(ctx, w)
	attrs := []any{"window", w.String(), "duration", n.Now().Sub(start).Round(time.Millisecond)}
	if n.ExitStatus != nil {
		attrs = append(attrs, "exit", n.ExitStatus(err))
	}
	if err != nil {
		n.Logger.Error("run ended", append(attrs, "err", err)...)
		return
	}
	n.Logger.Info("run ended", attrs...)
}

// missed returns the nights of the last CatchUp days whose activation has
// passed and that no completed run covers, the oldest first.
func (n *Nightly) missed(ctx context.Context, sched cron.Schedule) ([]cst.Window, error) {
	if n.CatchUp <= 0 {
		return nil, nil
	}
	if n.History == nil {
		return nil, errors.New("catch-up needs the journal's history")
	}
	runs, err := n.History(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the journal for the catch-up: %w", err)
	}
	now := n.Now()
	today := cst.DateOf(now)
	var out []cst.Window
	for d := today.AddDays(-n.CatchUp); d.Before(today); d = d.AddDays(1) {
		// The night of d is due at the first activation after d ends.
		if due := sched.Next(d.AddDays(1).Start().Add(-time.Second)); due.After(now) {
			continue
		}
		if covered(runs, d) {
			continue
		}
		out = append(out, cst.Window{From: d, To: d})
	}
	return out, nil
}

// covered reports whether a done run's window includes d.
func covered(runs []PastRun, d cst.Date) bool {
	for _, r := range runs {
		if r.Done && !d.Before(r.Window.From) && !r.Window.To.Before(d) {
			return true
		}
	}
	return false
}

// yesterday is the window of the day before now, in UTC+8.
func yesterday(now time.Time) cst.Window {
	d := cst.DateOf(now).AddDays(-1)
	return cst.Window{From: d, To: d}
}

// cronParser reads specs as Parse does, in the schedule's zone.
type cronParser struct{ loc *time.Location }

func (p cronParser) Parse(spec string) (cron.Schedule, error) { return Parse(spec, p.loc) }
