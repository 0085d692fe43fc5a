package main

import (
	"context"
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
                           "@every 6h"; e.g. --cron "30 2 * * *" is 02:30
                           every night
  --tz ZONE                the zone SPEC is read in (default Asia/Shanghai),
                           e.g. --tz Europe/London
  --catch-up N             nights to look back on start (default 3; 0: none)

Every flag of "reconcile run" except --date, --from and --to, with the same
meaning and defaults: --orders, --payments, --clearance, --report,
--summary-json, --state, --notes-from, --gateway, --app-key, --secret-file,
--session-file, --sign-method, --customs, --concurrency, --qps,
--max-ban-wait, --follow-up-days, --check-materials, --order-limit,
--annual-limit, --pii-key-file, --allow-bill-mismatch, --dry-run,
--fail-on-exceptions, --log-format, --quiet, --config. As for run, each may
also come from RECONCILE_<NAME> or the config file; the secret and session
only from TOP_APP_SECRET/TOP_SESSION or --secret-file/--session-file.

Example:
  reconcile schedule --cron "30 2 * * *" --config /etc/reconcile/reconcile.toml

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
	var o scheduleOptions
	fs := o.run.flags("schedule")
	fs.StringVar(&o.cron, "cron", "", "")
	fs.StringVar(&o.tz, "tz", schedule.DefaultZone, "")
	fs.IntVar(&o.catchUp, "catch-up", 3, "")
	if err := parseFlags(fs, args, scheduleHelp, std); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf("unexpected argument %q", fs.Arg(0))
	}
	for _, name := range []string{"date", "from", "to"} {
		if f := fs.Lookup(name); f != nil && f.Value.String() != "" {
			return usageErrorf("--%s: each tick runs yesterday's window; use \"reconcile run\" for a given window", name)
		}
	}
	if err := applyConfig(fs, o.run.config, std.getenv, std.env()); err != nil {
		return err
	}
	// The flags were refused above: a window now comes from the file or
	// the environment, where it would be ignored every night.
	for name, v := range map[string]string{"date": o.run.date, "from": o.run.from, "to": o.run.to} {
		if v != "" {
			return usageErrorf("the configuration sets %s = %q (in the config file or %s), but each tick runs yesterday's window: remove it, or use \"reconcile run\" for a given window", name, v, envName(name))
		}
	}
	return runSchedule(ctx, &o, std)
}

func runSchedule(ctx context.Context, o *scheduleOptions, std *stdio) error {
	if o.cron == "" {
		return usageErrorf("--cron is required, e.g. --cron \"30 2 * * *\"")
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
	j, err := o.run.prepare(std)
	if err != nil {
		return err
	}
	if err := j.check(ctx); err != nil {
		return err
	}
	n := &schedule.Nightly{
		Spec: o.cron, Location: loc, CatchUp: o.catchUp, Logger: j.logger,
		Run: func(ctx context.Context, w cst.Window) error {
			res, err := j.run(ctx, w)
			printRunSummary(std, res, &o.run)
			return err
		},
		History: func(ctx context.Context) ([]schedule.PastRun, error) {
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
		},
		ExitStatus: batch.ExitStatus,
	}
	if err := n.Serve(ctx); err != nil {
		return fmt.Errorf("schedule: %w", err)
	}
	return nil
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
