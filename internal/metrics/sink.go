package metrics

import (
	"context"
	"errors"
	"fmt"

	"github.com/crossborder/reconcile/internal/journal"
	"github.com/crossborder/reconcile/internal/reconcile"
)

// Sink records each run for Prometheus: in a textfile (File, for
// node_exporter's textfile collector) and pushed to a Pushgateway
// (PushURL), either or both. It is what a run calls once it is over.
type Sink struct {
	File    string // "" for none; must end in .prom
	PushURL string // "" for none
	Job     string // the Pushgateway's job; "" is DefaultJob
	Store   string // the store's name, "" for the single store
	Version string // the build, for reconcile_build_info
}

// Check checks the sink's file and URL at start, before any run: a
// configuration error is found at once, not after the night.
func (s *Sink) Check() error {
	if s.File != "" {
		if err := CheckFile(s.File); err != nil {
			return err
		}
	}
	if s.PushURL != "" {
		return CheckPushURL(s.PushURL)
	}
	return nil
}

// Record writes and pushes the metrics of res, a run that exits with
// exitStatus; earlier are the journal's runs (the last success is found
// among them), nil when there is no journal. Both are tried; the error
// joins what failed. It never sees a cancelled context as a reason to
// give up: an interrupted run's metrics matter too.
func (s *Sink) Record(ctx context.Context, res *reconcile.Result, exitStatus int, earlier []journal.Run) error {
	r := Run{Result: res, ExitStatus: exitStatus, Store: s.Store, LastSuccess: LastSuccess(earlier), Version: s.Version}
	var errs []error
	if s.File != "" {
		if err := WriteFile(s.File, r); err != nil {
			errs = append(errs, fmt.Errorf("--metrics-file: %w", err))
		}
	}
	if s.PushURL != "" {
		if err := Push(context.WithoutCancel(ctx), s.PushURL, s.Job, r); err != nil {
			errs = append(errs, fmt.Errorf("--pushgateway: %w", err))
		}
	}
	return errors.Join(errs...)
}
