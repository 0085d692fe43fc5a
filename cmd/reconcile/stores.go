package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/crossborder/reconcile/internal/cst"
	"github.com/crossborder/reconcile/internal/dispatch"
	"github.com/crossborder/reconcile/internal/journal"
)

// runStores runs every store of the config file (--all-stores), one after
// the other, or --stores-concurrency at once, each with its own settings,
// window, journal, lock, workbook and summary. Stores that share an app key
// (on one gateway) share one rate limit, the --qps of the first of them:
// the platform limits per app key. A store that fails does not stop the
// others. The exit status is the worst of the stores' (see storesErr).
func runStores(ctx context.Context, args []string, all *runOptions, std *stdio) error {
	names, err := storeNames(all.config, std.getenv)
	if err != nil {
		return err
	}
	// Read every store's settings first: a store whose settings are bad
	// stops everything before anything runs.
	opts := make([]*runOptions, len(names))
	jobs := make([]*job, len(names))
	paces := map[[2]string]*dispatch.Pace{}
	states := map[string]string{}
	for i, name := range names {
		if opts[i], err = parseRun(args, name, std); err != nil {
			return fmt.Errorf("store %s: %w", name, err)
		}
		if opts[i].dryRun {
			continue
		}
		appKey := opts[i].appKey
		if appKey == "" {
			appKey = std.getenv("TOP_APP_KEY")
		}
		k := [2]string{opts[i].gateway, appKey}
		if paces[k] == nil {
			paces[k] = dispatch.NewPace(opts[i].qps, nil)
		}
		opts[i].pace = paces[k]
	}
	for i, name := range names {
		if jobs[i], err = opts[i].prepare(std); err != nil {
			return fmt.Errorf("store %s: %w", name, err)
		}
		if s := jobs[i].state; s != "" && journal.IsFile(s) {
			if other, dup := states[s]; dup {
				return usageErrorf("stores %s and %s share the journal %s: a file journal holds one store; give each its own state (e.g. state = \"/var/lib/reconcile/{store}.db\")", other, name, s)
			}
			states[s] = name
		}
	}
	var out sync.Mutex // one store's lines at a time
	errs := make([]error, len(names))
	var g errgroup.Group
	g.SetLimit(all.storesConcurrency)
	for i, name := range names {
		g.Go(func() error {
			win, err := cst.ParseWindow(opts[i].date, opts[i].from, opts[i].to, time.Now())
			if err != nil {
				errs[i] = &usageError{err}
				return nil
			}
			res, err := jobs[i].run(ctx, win)
			out.Lock()
			printRunSummary(std, res, opts[i])
			if err != nil {
				fmt.Fprintf(std.err, "reconcile run: store %s: %v\n", name, err)
			}
			out.Unlock()
			errs[i] = err
			return nil
		})
	}
	g.Wait()
	return storesErr(names, errs)
}

// storesErr is the error of a run of several stores: nil when every store
// completed; else the worst of theirs, by the exit status it maps to: an
// interrupt (130) over a failure (1) over a configuration error (2) over
// exceptions under --fail-on-exceptions (3). Its message names the stores
// that did not complete (each store's own error is printed as it ends).
func storesErr(names []string, errs []error) error {
	rank := map[int]int{exitInterrupted: 4, 1: 3, exitUsage: 2, 3: 1}
	var worst error
	var failed []string
	for i, err := range errs {
		if err == nil {
			continue
		}
		failed = append(failed, names[i])
		if worst == nil || rank[exitCode(err)] > rank[exitCode(worst)] {
			worst = err
		}
	}
	if worst == nil {
		return nil
	}
	return &storesError{worst: worst, failed: failed}
}

// storesError is the worst error of a run of several stores.
type storesError struct {
	worst  error
	failed []string
}

func (e *storesError) Error() string {
	return fmt.Sprintf("%d store(s) did not complete (%v): the first worst: %v", len(e.failed), e.failed, e.worst)
}

func (e *storesError) Unwrap() error { return e.worst }
