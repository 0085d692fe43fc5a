package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/crossborder/reconcile/internal/batch"
	"github.com/crossborder/reconcile/internal/cst"
	"github.com/crossborder/reconcile/internal/journal"
	"github.com/crossborder/reconcile/internal/report"
	"github.com/crossborder/reconcile/internal/schedule"
)

const scheduleHelp = `Usage: reconcile schedule --cron SPEC [flags]

Stay up and run the reconciliation every night: at each activation of the
cron spec, run yesterday's window (UTC+8) through the same code as
"reconcile run". On start, check that its runs could work (the journal
opens, the inputs' directories exist, the workbook and the summary can be
written) and exit 2 if not; then catch up the nights missed while it was down:
every night of the last --catch-up days whose activation has passed and that
no completed run in the journal covers, oldest first. A tick never starts a
run while another is in progress; a run that panics is recorded and the
schedule goes on. It logs each tick and the next one.

SIGTERM, SIGINT or SIGHUP stops it after the run in progress (a second signal ends
it at once; the journal makes that safe: the next run resumes).

Schedule:
  --cron SPEC              when to run: 5 fields (minute hour day month
                           weekday), 6 with leading seconds, or @daily /
                           "@every 6h"; e.g. --cron "30 10 * * *" is 10:30
                           every day, once WeChat's bills of the day
                           before can be downloaded
  --tz ZONE                the zone SPEC is read in (default Asia/Shanghai),
                           e.g. --tz Europe/London
  --catch-up N             nights to look back on start (default 3; 0: none)

Every flag of "reconcile run" except --date, --from and --to, with the same
meaning and defaults: --orders, --payments, --clearance, --report,
--summary-json, --state, --notes-from, --gateway, --app-key, --secret-file,
--session-file, --sign-method, --customs, --concurrency, --qps,
--max-ban-wait, --follow-up-days, --check-materials, --order-limit,
--annual-limit, --pii-key-file, --notify, --dingtalk-secret-file,
--feishu-secret-file, --metrics-file, --pushgateway, --allow-bill-mismatch,
--dry-run,
--fail-on-exceptions, --log-format, --quiet, --config; and --store NAME or
--all-stores (each tick runs every store of the config file in turn; a
night is caught up until it is done in every store), --stores-concurrency
(ignored: a schedule runs its stores one after the other). As for run, each may
also come from RECONCILE_<NAME> or the config file; the secret and session
only from TOP_APP_SECRET/TOP_SESSION or --secret-file/--session-file.

Example:
  reconcile schedule --cron "30 10 * * *" --config /etc/reconcile/reconcile.toml

Exit status:
  0    stopped by SIGTERM, SIGINT or SIGHUP (runs that failed are logged, not fatal)
  1    the journal could not be opened at start, or read for the catch-up
  2    usage or configuration error: a bad spec, zone or setting, or a
       configuration its runs could never use, found at start (an
       unusable report or summary target, a missing input directory, a
       window set in the config file or the environment)
`

// scheduleOptions are the settings of "reconcile schedule".
type scheduleOptions struct {
	run     runOptions
	cron    string
	tz      string
	catchUp int
}

func cmdSchedule(ctx context.Context, args []string, std *stdio) error {
	o, err := parseSchedule(args, "", std)
	if err != nil {
		return err
	}
	stores := []*scheduleOptions{o}
	if o.run.allStores {
		names, err := storeNames(o.run.config, std.getenv)
		if err != nil {
			return err
		}
		stores = stores[:0]
		for _, name := range names {
			so, err := parseSchedule(args, name, std)
			if err != nil {
				return fmt.Errorf("store %s: %w", name, err)
			}
			stores = append(stores, so)
		}
	}
	return runSchedule(ctx, o, stores, std)
}

// parseSchedule parses the flags of schedule and applies the
// configuration, for store when it is not "" (one of --all-stores).
func parseSchedule(args []string, store string, std *stdio) (*scheduleOptions, error) {
	var o scheduleOptions
	fs := o.run.flags("schedule")
	fs.StringVar(&o.cron, "cron", "", "")
	fs.StringVar(&o.tz, "tz", schedule.DefaultZone, "")
	fs.IntVar(&o.catchUp, "catch-up", 3, "")
	if err := parseFlags(fs, args, scheduleHelp, std); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, usageErrorf("unexpected argument %q", fs.Arg(0))
	}
	for _, name := range []string{"date", "from", "to"} {
		if f := fs.Lookup(name); f != nil && f.Value.String() != "" {
			return nil, usageErrorf("--%s: each tick runs yesterday's window; use \"reconcile run\" for a given window", name)
		}
	}
	switch {
	case o.run.allStores && o.run.store != "":
		return nil, usageErrorf("--store and --all-stores: give one")
	case o.run.allStores && store == "":
		return &o, nil // each store's settings are applied in its own turn
	}
	if store != "" {
		o.run.store = store
	}
	if err := applyConfig(fs, o.run.config, o.run.store, std.getenv, std.env()); err != nil {
		return nil, err
	}
	// The flags were refused above: a window now comes from the file or
	// the environment, where it would be ignored every night.
	for name, v := range map[string]string{"date": o.run.date, "from": o.run.from, "to": o.run.to} {
		if v != "" {
			return nil, usageErrorf("the configuration sets %s = %q (in the config file or %s), but each tick runs yesterday's window: remove it, or use \"reconcile run\" for a given window", name, v, envName(name))
		}
	}
	return &o, nil
}

// runSchedule serves the schedule of o (its cron, zone and catch-up) for
// the stores: each tick runs each of them in turn (one, without stores), and
// a night counts as done for the catch-up when it is done in every store's
// journal.
func runSchedule(ctx context.Context, o *scheduleOptions, stores []*scheduleOptions, std *stdio) error {
	if o.cron == "" {
		return usageErrorf("--cron is required, e.g. --cron \"30 10 * * *\"")
	}
	loc, err := time.LoadLocation(o.tz)
	if err != nil {
		return usageErrorf("--tz %q: %v", o.tz, err)
	}
	if _, err := schedule.Parse(o.cron, loc); err != nil {
		return &usageError{err}
	}
	if o.catchUp < 0 || o.catchUp > 366 {
		return usageErrorf("--catch-up %d: want 0 to 366", o.catchUp)
	}
	if o.run.dryRun && o.catchUp > 0 {
		return usageErrorf("--catch-up needs the journal, which a dry run does not keep: add --catch-up 0")
	}
	jobs := make([]*job, len(stores))
	for i, so := range stores {
		j, err := so.run.prepare(std)
		if err != nil {
			return storeErr(so.run.store, err)
		}
		if err := j.check(ctx); err != nil {
			return storeErr(so.run.store, err)
		}
		jobs[i] = j
	}
	n := &schedule.Nightly{
		Spec: o.cron, Location: loc, CatchUp: o.catchUp, Logger: jobs[0].logger,
		Run: func(ctx context.Context, w cst.Window) error {
			errs := make([]error, len(jobs))
			names := make([]string, len(jobs))
			for i, j := range jobs {
				res, err := j.run(ctx, w)
				printRunSummary(std, res, &stores[i].run)
				errs[i], names[i] = err, stores[i].run.store
			}
			if len(jobs) == 1 {
				return errs[0]
			}
			return storesErr(names, errs)
		},
		History: func(ctx context.Context) ([]schedule.PastRun, error) {
			// A window is done when it is done in every store.
			done := map[cst.Window]int{}
			var past []schedule.PastRun
			for _, j := range jobs {
				runs, err := j.pastRuns(ctx)
				if err != nil {
					return nil, err
				}
				seen := map[cst.Window]bool{}
				for _, r := range runs {
					if r.Done && !seen[r.Window] {
						seen[r.Window] = true
						done[r.Window]++
					}
				}
				past = append(past, runs...)
			}
			for i := range past {
				past[i].Done = done[past[i].Window] == len(jobs)
			}
			return past, nil
		},
		ExitStatus: batch.ExitStatus,
	}
	if err := n.Serve(ctx); err != nil {
		return fmt.Errorf("schedule: %w", err)
	}
	return nil
}

// storeErr names the store of a store's error, if any.
func storeErr(store string, err error) error {
	if store == "" {
		return err
	}
	var ue *usageError
	if errors.As(err, &ue) {
		return usageErrorf("store %s: %v", store, ue.err)
	}
	return fmt.Errorf("store %s: %w", store, err)
}

// pastRuns returns the runs of the job's journal, for the catch-up.
func (j *job) pastRuns(ctx context.Context) ([]schedule.PastRun, error) {
	jr, err := j.openJournal(ctx)
	if err != nil {
		return nil, err
	}
	defer jr.Close()
	runs, err := jr.Runs(ctx, 0)
	past := make([]schedule.PastRun, 0, len(runs))
	for _, r := range runs {
		w, werr := cst.ParseWindow("", r.From, r.To, time.Now())
		if werr == nil {
			past = append(past, schedule.PastRun{Window: w, Done: r.Status == journal.RunCompleted && !r.DryRun})
		}
	}
	return past, err
}

// check checks at start that the schedule's runs could work, with
// yesterday's window: the journal opens, the inputs' directories exist,
// the workbook and the summary can be written. A configuration that could
// never work fails at once (exit 2) instead of every night.
func (j *job) check(ctx context.Context) error {
	win, err := cst.ParseWindow("", "", "", time.Now())
	if err != nil {
		return err
	}
	deps := batch.Deps{Report: &report.Writer{}}
	if !j.opts.dryRun {
		jr, err := j.openJournal(ctx)
		if err != nil {
			return err
		}
		defer jr.Close()
		deps.Platform, deps.Journal = j.client, jr
	}
	if err := batch.CheckConfig(j.config(win), deps); err != nil {
		return usageErrorf("the configuration cannot work: %v", err)
	}
	return nil
}
