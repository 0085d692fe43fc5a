package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/crossborder/reconcile/internal/batch"
	"github.com/crossborder/reconcile/internal/cst"
	"github.com/crossborder/reconcile/internal/dispatch"
	"github.com/crossborder/reconcile/internal/idcard"
	"github.com/crossborder/reconcile/internal/ingest"
	"github.com/crossborder/reconcile/internal/journal"
	"github.com/crossborder/reconcile/internal/metrics"
	"github.com/crossborder/reconcile/internal/notify"
	"github.com/crossborder/reconcile/internal/reconcile"
	"github.com/crossborder/reconcile/internal/report"
	"github.com/crossborder/reconcile/internal/top"
)

const runHelp = `Usage: reconcile run [flags]

Run the reconciliation once over a date window: read the order, payment and
clearance exports, check them, declare each eligible WeChat payment to
customs (tmall.hk.clearance.declare.wechat), send each pending clearance
callback (tmall.hk.clearance.info.send), and write the exception workbook and
a JSON summary. The journal (--state) remembers every outcome, so rerunning a
window is safe: accepted declarations and sent callbacks are never repeated.

Inputs (each a file, a directory of CSV/XLSX files, or a glob; repeatable):
  --orders PATH            Tmall order exports
  --payments PATH          WeChat Pay trade bills or payment exports
  --clearance PATH         clearance results to send back to Tmall

Window (inclusive calendar days in UTC+8; default: yesterday):
  --date D                 one day, YYYY-MM-DD
  --from D --to D          several days, e.g. --from 2026-11-01 --to 2026-11-07

Outputs:
  --report PATH            the workbook: a name ending in .xlsx; anything
                           else is a directory (created when missing) that
                           gets reconcile_<date>.xlsx, or
                           reconcile_<from>_<to>.xlsx for several days
                           (default ".")
  --summary-json PATH      also write a JSON summary (counts per exception
                           code, new/open/resolved, declared, skipped,
                           callbacks, the window's money and bills, exit
                           status);
                           a regular file is replaced whole, a FIFO or
                           /dev/stdout is written in place
  --state PATH             the journal: a SQLite file (default reconcile.db
                           in the workbook's directory) or a PostgreSQL
                           connection string (postgres://…, postgresql://…
                           or key=value such as "host=db dbname=reconcile")
  --notes-from FILE        also read the 处理状态, 处理人 and 备注 the finance
                           team wrote in FILE, an earlier workbook of this
                           job; those in the job's workbooks of overlapping
                           windows in the --report directory are always
                           read, the most recently saved last

Monitoring:
  --metrics-file PATH      write the run's Prometheus metrics (last run and
                           success times, duration, exit status, exceptions
                           per code, declarations, API calls, bans) for
                           node_exporter's textfile collector: a name ending
                           in .prom, replaced whole
  --pushgateway URL        push the same to a Prometheus Pushgateway (a PUT
                           per job and store, so no stale series remain)

Notifications:
  --notify URL             send the night's digest (in Chinese: how the run
                           ended, the money, new and resolved exceptions,
                           the top codes, the workbook) to a group robot:
                           WeCom, DingTalk or Feishu/Lark, told apart by the
                           URL's host or a wecom:/dingtalk:/feishu: prefix;
                           repeatable. The URL carries the robot's key: it
                           is masked in every log line and error. A robot
                           that fails is logged and counted in the summary,
                           never a failure of the run
  --dingtalk-secret-file FILE, --feishu-secret-file FILE
                           the robot's signing secret (加签/签名校验), else
                           $RECONCILE_DINGTALK_SECRET, $RECONCILE_FEISHU_SECRET

Platform:
  --gateway URL            TOP gateway (default ` + top.ProductionURL + `)
  --app-key KEY            app key (default $TOP_APP_KEY)
  --secret-file FILE       read the app secret from FILE (else $TOP_APP_SECRET);
                           the secret is never a flag value
  --session-file FILE      read the seller's session key from FILE (else
                           $TOP_SESSION)
  --sign-method M          md5, hmac or hmac-sha256 (default hmac-sha256)
  --follow-up-days N       follow every declaration an earlier run had
                           accepted until customs decides, for N days
                           (default 7; 0: no follow-ups); one still not
                           final after that is DECLARE_STUCK
  --concurrency N          calls in flight at once (default 8)
  --qps R                  calls per second, all calls together (default 20)
  --max-ban-wait D         the run's budget of flow-control bans (default
                           15m): once the platform's bans add up to it, the
                           run stops calling, marks what is left for the
                           next run and exits 1 (lower --qps, or run later)

Checks:
  --customs CODE           customs code for orders whose export has none,
                           e.g. --customs NINGBO
  --check-materials        check each order's clearance materials (ID number,
                           expiry, name) before declaring it
  --order-limit YUAN       the cross-border retail limit per order (default
                           5000.00; 0: no check): an order above it is
                           LIMIT_EXCEEDED and not declared
  --annual-limit YUAN      with --check-materials, the limit per buyer and
                           calendar year (default 26000.00; 0: no check),
                           over the orders this job declared and that were
                           not refunded
  --pii-key-file FILE      the key (16 bytes or more) the journal hashes the
                           buyers' ID numbers with; default: derived from
                           the app secret. The key is never stored
  --allow-bill-mismatch    declare although a WeChat bill does not tie out
                           (BILL_MISMATCH), for the day staff have checked
                           the bill by hand; without it such a run declares
                           nothing, still sends the callbacks, and exits 1
  --dry-run                read, check and write the workbook and summary;
                           call nothing and leave the journal untouched. The
                           workbook is …_dryrun.xlsx (reconcile_<date>_dryrun
                           .xlsx, night_dryrun.xlsx): a dry run never
                           replaces a real run's workbook

Stores (several stores in one config file, each a [[store]] table with a
name and its own inputs, report, state, app key, secret and session files,
customs, qps, …; {store} in a path stands for the store's name):
  --store NAME             run the store NAME
  --all-stores             run every store of the config file, one after
                           the other; each has its own window, journal,
                           lock, workbook and summary; the exit status is
                           the worst of theirs
  --stores-concurrency N   run N stores at once (default 1); stores that
                           share an app key share one rate limit

Configuration:
  --config FILE            read settings from a TOML file (also
                           $RECONCILE_CONFIG); see samples/reconcile.toml.
                           Every flag above is also an environment variable
                           RECONCILE_<NAME> (RECONCILE_SUMMARY_JSON, lists
                           comma-separated) and a key <name> in the file
                           (summary_json = "…"). A flag wins over the
                           environment, which wins over the file. Unknown
                           keys and RECONCILE_ variables are errors.

Behaviour:
  --fail-on-exceptions     exit 3 when the run completed with exceptions
  --log-format F           text or json (default text), on standard error
  --quiet                  log warnings and errors only

Example:
  TOP_APP_KEY=12345678 TOP_APP_SECRET=… TOP_SESSION=… \
  reconcile run --date 2026-11-20 --orders exports/orders --payments exports/wechat \
    --clearance exports/clearance --customs NINGBO --report out/

Exit status:
  0    the run completed (with or without exceptions)
  1    it could not complete: unreadable input, a WeChat bill that does not
       tie out (nothing declared; see --allow-bill-mismatch), a fatal
       gateway error (bad signature, expired session, missing permission,
       daily quota), an unreachable gateway, flow-control bans over
       --max-ban-wait, a journal that cannot be opened or is locked by
       another run
  2    usage or configuration error, also found by the preflight before
       anything is read: a workbook or summary that cannot be written, a
       --state that is another application's database
  3    completed with exceptions, under --fail-on-exceptions
  130  interrupted by SIGINT, SIGTERM or SIGHUP (calls in flight finished, the
       journal and the workbook written)
`

// runOptions are the settings of "reconcile run".
type runOptions struct {
	orders, payments, clearance stringList
	date, from, to              string
	report, summaryJSON, state  string
	notesFrom                   string
	gateway, appKey, signMethod string
	secretFile, sessionFile     string
	customs                     string
	concurrency                 int
	qps                         float64
	maxBanWait                  time.Duration
	checkMaterials, dryRun      bool
	orderLimit, annualLimit     yuanFlag
	piiKeyFile                  string
	followUpDays                int
	notify                      stringList
	metricsFile, pushgateway    string
	dingtalkSecretFile          string
	feishuSecretFile            string
	allowBillMismatch           bool
	failOnExceptions            bool
	logFormat                   string
	quiet                       bool
	config                      string
	store                       string
	allStores                   bool
	storesConcurrency           int
	pace                        *dispatch.Pace // shared with the other stores of the app key; nil: the run's own
}

func (o *runOptions) flags(name string) *flagSet {
	fs := newFlagSet(name)
	fs.Var(&o.orders, "orders", "")
	fs.Var(&o.payments, "payments", "")
	fs.Var(&o.clearance, "clearance", "")
	fs.StringVar(&o.date, "date", "", "")
	fs.StringVar(&o.from, "from", "", "")
	fs.StringVar(&o.to, "to", "", "")
	fs.StringVar(&o.report, "report", defaultReport, "")
	fs.StringVar(&o.summaryJSON, "summary-json", "", "")
	fs.StringVar(&o.state, "state", "", "")
	fs.StringVar(&o.notesFrom, "notes-from", "", "")
	fs.StringVar(&o.gateway, "gateway", top.ProductionURL, "")
	fs.StringVar(&o.appKey, "app-key", "", "")
	fs.StringVar(&o.secretFile, "secret-file", "", "")
	fs.StringVar(&o.sessionFile, "session-file", "", "")
	fs.StringVar(&o.signMethod, "sign-method", string(top.SignHMACSHA256), "")
	fs.StringVar(&o.customs, "customs", "", "")
	fs.IntVar(&o.concurrency, "concurrency", 8, "")
	fs.Float64Var(&o.qps, "qps", 20, "")
	fs.DurationVar(&o.maxBanWait, "max-ban-wait", 15*time.Minute, "")
	fs.BoolVar(&o.checkMaterials, "check-materials", false, "")
	o.orderLimit, o.annualLimit = 500_000, 2_600_000
	fs.Var(&o.orderLimit, "order-limit", "")
	fs.Var(&o.annualLimit, "annual-limit", "")
	fs.StringVar(&o.piiKeyFile, "pii-key-file", "", "")
	fs.IntVar(&o.followUpDays, "follow-up-days", 7, "")
	fs.Var(&o.notify, "notify", "")
	fs.StringVar(&o.metricsFile, "metrics-file", "", "")
	fs.StringVar(&o.pushgateway, "pushgateway", "", "")
	fs.StringVar(&o.dingtalkSecretFile, "dingtalk-secret-file", "", "")
	fs.StringVar(&o.feishuSecretFile, "feishu-secret-file", "", "")
	fs.BoolVar(&o.dryRun, "dry-run", false, "")
	fs.BoolVar(&o.allowBillMismatch, "allow-bill-mismatch", false, "")
	fs.BoolVar(&o.failOnExceptions, "fail-on-exceptions", false, "")
	fs.StringVar(&o.logFormat, "log-format", "text", "")
	fs.BoolVar(&o.quiet, "quiet", false, "")
	fs.StringVar(&o.config, "config", "", "")
	fs.StringVar(&o.store, "store", "", "")
	fs.BoolVar(&o.allStores, "all-stores", false, "")
	fs.IntVar(&o.storesConcurrency, "stores-concurrency", 1, "")
	return fs
}

func cmdRun(ctx context.Context, args []string, std *stdio) error {
	opts, err := parseRun(args, "", std)
	if err != nil {
		return err
	}
	if opts.allStores {
		return runStores(ctx, args, opts, std)
	}
	return runRun(ctx, opts, std)
}

// parseRun parses the flags of run and applies the configuration, for
// store when it is not "" (a run of --all-stores), else for --store.
func parseRun(args []string, store string, std *stdio) (*runOptions, error) {
	var opts runOptions
	fs := opts.flags("run")
	if err := parseFlags(fs, args, runHelp, std); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, usageErrorf("unexpected argument %q: inputs are given with --orders, --payments and --clearance", fs.Arg(0))
	}
	switch {
	case opts.allStores && opts.store != "":
		return nil, usageErrorf("--store and --all-stores: give one")
	case opts.storesConcurrency < 1 || opts.storesConcurrency > 32:
		return nil, usageErrorf("--stores-concurrency %d: want 1 to 32", opts.storesConcurrency)
	case opts.allStores && store == "":
		return &opts, nil // each store's settings are applied in its own turn
	}
	if store != "" {
		opts.store = store
	}
	if err := applyConfig(fs, opts.config, opts.store, std.getenv, std.env()); err != nil {
		return nil, err
	}
	return &opts, nil
}

// runRun runs the job once over the window of the options.
func runRun(ctx context.Context, opts *runOptions, std *stdio) error {
	win, err := cst.ParseWindow(opts.date, opts.from, opts.to, time.Now())
	if err != nil {
		return &usageError{err}
	}
	j, err := opts.prepare(std)
	if err != nil {
		return err
	}
	res, err := j.run(ctx, win)
	printRunSummary(std, res, opts)
	return err
}

// job is a run's settings made ready, for any window: what run does once
// and schedule at every tick.
type job struct {
	opts   *runOptions
	std    *stdio
	logger *slog.Logger
	client *top.Client // nil for a dry run
	state  string      // the journal; "" for a dry run
	// buyerKey keys the buyers' hashes (--pii-key-file, or derived from
	// the app secret); nil for a dry run. Never logged or stored.
	buyerKey []byte
	notifier *notify.Notifier // nil without --notify
	metrics  *metrics.Sink    // nil without --metrics-file and --pushgateway
}

// prepare checks the settings that do not depend on the window and builds
// the logger and the client.
func (o *runOptions) prepare(std *stdio) (*job, error) {
	logger, err := newLogger(std.err, o.logFormat, o.quiet)
	if err != nil {
		return nil, err
	}
	switch {
	case len(o.orders)+len(o.payments)+len(o.clearance) == 0:
		return nil, usageErrorf("no exports: give --orders, --payments and/or --clearance")
	case o.concurrency < 1 || o.concurrency > 256:
		return nil, usageErrorf("--concurrency %d: want 1 to 256", o.concurrency)
	case o.qps <= 0 || o.qps > 10000:
		return nil, usageErrorf("--qps %g: want more than 0 and at most 10000", o.qps)
	case o.maxBanWait < time.Second:
		return nil, usageErrorf("--max-ban-wait %s: want at least 1s, e.g. 15m", o.maxBanWait)
	case o.followUpDays < 0 || o.followUpDays > 90:
		return nil, usageErrorf("--follow-up-days %d: want 0 (no follow-ups) to 90", o.followUpDays)
	case o.orderLimit < 0 || o.annualLimit < 0:
		return nil, usageErrorf("--order-limit and --annual-limit: want an amount of 0 or more")
	}
	j := &job{opts: o, std: std, logger: logger}
	if j.notifier, err = o.notifier(std.getenv, logger); err != nil {
		return nil, err
	}
	if o.metricsFile != "" || o.pushgateway != "" {
		j.metrics = &metrics.Sink{File: o.metricsFile, PushURL: o.pushgateway, Store: o.store, Version: versionString()}
		if err := j.metrics.Check(); err != nil {
			return nil, &usageError{err}
		}
	}
	if o.dryRun {
		return j, nil
	}
	var secret string
	if j.client, secret, err = o.client(std.getenv); err != nil {
		return nil, err
	}
	if j.buyerKey, err = o.buyerKey(secret); err != nil {
		return nil, err
	}
	j.state = o.state
	if j.state == "" {
		j.state = defaultState(o.report)
	}
	return j, nil
}

// defaultReport is where the workbook goes when --report is not given: the
// current directory.
const defaultReport = "."

// defaultState is the journal's path when --state is not given:
// reconcile.db next to the workbooks, in the directory of the --report
// target (report.Dir), whether it exists yet or not: the same journal
// every night.
func defaultState(target string) string {
	return filepath.Join(report.Dir(target), "reconcile.db")
}

// openJournal opens the journal, creating its directory if need be. A
// --state that names something other than a journal is a configuration
// error.
func (j *job) openJournal(ctx context.Context) (*journal.Journal, error) {
	if journal.IsFile(j.state) { // not a PostgreSQL connection string
		if err := os.MkdirAll(filepath.Dir(j.state), 0o755); err != nil {
			return nil, fmt.Errorf("--state %s: %w", j.state, err)
		}
	}
	jr, err := journal.Open(ctx, j.state, journal.WithStore(j.opts.store))
	if errors.Is(err, journal.ErrForeignDatabase) || errors.Is(err, journal.ErrNotDatabase) || errors.Is(err, journal.ErrBadState) ||
		errors.Is(err, journal.ErrBadStore) {
		return nil, &usageError{err}
	}
	return jr, err
}

// run runs the job once over win. The journal is opened first, so that
// every run, also one whose preflight fails, is recorded.
func (j *job) run(ctx context.Context, win cst.Window) (*reconcile.Result, error) {
	deps := batch.Deps{Report: &report.Writer{}}
	if j.notifier != nil {
		deps.Notifier = j.notifier
	}
	if j.metrics != nil {
		deps.Metrics = j.metrics
	}
	if !j.opts.dryRun {
		jr, err := j.openJournal(ctx)
		if err != nil {
			return nil, err
		}
		defer jr.Close()
		deps.Platform, deps.Journal = j.client, jr
	}
	return batch.Run(ctx, j.config(win), deps)
}

// config is the run's configuration for window win.
func (j *job) config(win cst.Window) batch.Config {
	o := j.opts
	cfg := batch.Config{
		Window:            win,
		Inputs:            reconcile.Inputs{Orders: o.orders, Payments: o.payments, Clearance: o.clearance},
		DefaultCustoms:    strings.TrimSpace(o.customs),
		DryRun:            o.dryRun,
		CheckMaterials:    o.checkMaterials,
		OrderLimit:        int64(o.orderLimit),
		AnnualLimit:       int64(o.annualLimit),
		FollowUpDays:      o.followUpDays,
		BuyerKey:          j.buyerKey,
		AllowBillMismatch: o.allowBillMismatch,
		FailOnExceptions:  o.failOnExceptions,
		ReportPath:        o.report,
		NotesFrom:         o.notesFrom,
		SummaryPath:       o.summaryJSON,
		Engine:            dispatch.Config{Concurrency: o.concurrency, QPS: o.qps, MaxBanWait: o.maxBanWait, Pace: o.pace},
		Store:             o.store,
		Logger:            j.logger,
		Settings: map[string]any{
			"gateway": o.gateway, "app_key": o.appKey, "sign_method": o.signMethod, "customs": o.customs,
			"concurrency": o.concurrency, "qps": o.qps, "max_ban_wait": o.maxBanWait.String(), "check_materials": o.checkMaterials,
			"order_limit": o.orderLimit.String(), "annual_limit": o.annualLimit.String(), "follow_up_days": o.followUpDays, "pii_key_file": o.piiKeyFile != "", "allow_bill_mismatch": o.allowBillMismatch, "state": journal.Redact(j.state),
		},
	}
	if isTerminal(j.std.err) && !o.quiet {
		cfg.Progress = j.std.err
	}
	return cfg
}

// client builds the TOP client. The secret and the session come from a
// file or the environment, never from a flag value.
func (o *runOptions) client(getenv func(string) string) (*top.Client, string, error) {
	appKey := o.appKey
	if appKey == "" {
		appKey = getenv("TOP_APP_KEY")
	}
	secret, err := credential(o.secretFile, "TOP_APP_SECRET", "--secret-file", getenv)
	if err != nil {
		return nil, "", err
	}
	session, err := credential(o.sessionFile, "TOP_SESSION", "--session-file", getenv)
	if err != nil {
		return nil, "", err
	}
	switch {
	case appKey == "":
		return nil, "", usageErrorf("no app key: set --app-key or TOP_APP_KEY (or use --dry-run)")
	case secret == "":
		return nil, "", usageErrorf("no app secret: set TOP_APP_SECRET or --secret-file (or use --dry-run)")
	case session == "":
		return nil, "", usageErrorf("no session key: set TOP_SESSION or --session-file (or use --dry-run)")
	}
	m, err := top.ParseSignMethod(o.signMethod)
	if err != nil {
		return nil, "", &usageError{fmt.Errorf("--sign-method: %w", err)}
	}
	c, err := top.NewClient(top.WithGateway(o.gateway), top.WithAppKey(appKey), top.WithSecret(secret),
		top.WithSession(session), top.WithSignMethod(m), top.WithUserAgent("reconcile/"+versionString()))
	if err != nil {
		return nil, "", &usageError{err}
	}
	return c, secret, nil
}

// notifier returns the digest's robots of --notify, with their signing
// secrets (a file, else the environment); nil without --notify. A bad URL
// or secret file is a usage error: the run would never reach the robot.
func (o *runOptions) notifier(getenv func(string) string, logger *slog.Logger) (*notify.Notifier, error) {
	if len(o.notify) == 0 {
		return nil, nil
	}
	sec := notify.Secrets{DingTalk: strings.TrimSpace(getenv("RECONCILE_DINGTALK_SECRET")), Feishu: strings.TrimSpace(getenv("RECONCILE_FEISHU_SECRET"))}
	for _, f := range []struct {
		flag, path string
		dst        *string
	}{{"--dingtalk-secret-file", o.dingtalkSecretFile, &sec.DingTalk}, {"--feishu-secret-file", o.feishuSecretFile, &sec.Feishu}} {
		if f.path == "" {
			continue
		}
		v, err := notify.ReadSecret(f.path)
		if err != nil {
			return nil, usageErrorf("%s: %v", f.flag, err)
		}
		*f.dst = v
	}
	targets, err := notify.ParseTargets(o.notify, sec)
	if err != nil {
		return nil, usageErrorf("--notify: %v", err)
	}
	host, _ := os.Hostname()
	return &notify.Notifier{Client: notify.NewClient(), Targets: targets, Options: notify.DigestOptions{Name: o.store, Host: host}, Logger: logger}, nil
}

// buyerKey returns the key the buyers' ID numbers are hashed with: the
// contents of --pii-key-file (surrounding white space dropped; at least
// idcard.MinKeyLen bytes), else one derived from the app secret.
func (o *runOptions) buyerKey(secret string) ([]byte, error) {
	if o.piiKeyFile == "" {
		return idcard.DeriveKey(secret), nil
	}
	b, err := os.ReadFile(o.piiKeyFile)
	if err != nil {
		return nil, usageErrorf("--pii-key-file: %v", errors.Unwrap(err))
	}
	if b = bytes.TrimSpace(b); len(b) < idcard.MinKeyLen {
		return nil, usageErrorf("--pii-key-file %s: the key has %d bytes, want at least %d (e.g. head -c 32 /dev/urandom | base64 > FILE)",
			o.piiKeyFile, len(b), idcard.MinKeyLen)
	}
	return b, nil
}

// credential reads a secret from file, else from the environment
// variable env. The error never shows the value.
func credential(file, env, flagName string, getenv func(string) string) (string, error) {
	if file == "" {
		return strings.TrimSpace(getenv(env)), nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", usageErrorf("%s: %v", flagName, errors.Unwrap(err))
	}
	v := strings.TrimSpace(string(b))
	if v == "" {
		return "", usageErrorf("%s: %s is empty", flagName, file)
	}
	return v, nil
}

// printRunSummary prints a few lines on what the run did, for a person at
// a terminal or in cron mail.
func printRunSummary(std *stdio, res *reconcile.Result, opts *runOptions) {
	if res == nil {
		return
	}
	c := res.Counts
	mode := ""
	if res.DryRun {
		mode = " (dry run: nothing declared)"
	}
	store := ""
	if res.Store != "" {
		store = "store " + res.Store + " "
	}
	fmt.Fprintf(std.out, "reconcile %s%s: %s%s\n", store, res.Window, res.Status, mode)
	if len(res.Inputs) > 0 {
		fmt.Fprintf(std.out, "  orders in window %d, eligible %d, declared %d, already declared %d, declaration failures %d, not attempted %d\n",
			c.OrdersInWindow, c.Eligible, c.Declared, c.AlreadyDeclared, c.DeclareFailed, c.NotDeclared)
		if c.HeldBack > 0 {
			fmt.Fprintf(std.out, "  held back %d: a bill does not tie out (BILL_MISMATCH), so nothing was declared\n", c.HeldBack)
		}
		m := res.Money
		fmt.Fprintf(std.out, "  money: orders %s, payments %s, refunds %s, fees %s, declared %s\n", reconcile.Yuan(m.Orders.Fen),
			reconcile.Yuan(m.Payments.Fen), reconcile.Yuan(m.Refunds.Fen), "¥"+ingest.FormatFee(m.ServiceFee), reconcile.Yuan(m.Declared.Fen))
		fmt.Fprintf(std.out, "  callbacks pending %d, sent %d, already sent %d, failed %d, not attempted %d\n",
			c.Pending, c.CallbacksSent, c.AlreadySent, c.CallbacksFailed, c.NotSent)
		if f := c.FollowUps; f.Due+f.Stuck > 0 {
			fmt.Fprintf(std.out, "  follow-ups of earlier declarations %d: success %d, failed %d, still pending %d, no answer %d; stuck %d\n",
				f.Due, f.Success, f.Failed, f.Pending, f.NotSent+f.Errors, f.Stuck)
		}
		if t := res.Tracked; t.Known {
			fmt.Fprintf(std.out, "  exceptions new %d, still open %d, resolved %d\n", t.New, t.Open, t.Resolved)
		}
		var parts []string
		for _, code := range reconcile.Codes() {
			if n := res.ByCode[code]; n > 0 {
				parts = append(parts, fmt.Sprintf("%s %d", code, n))
			}
		}
		if len(parts) == 0 {
			parts = []string{"none"}
		}
		fmt.Fprintf(std.out, "  exceptions: %s\n", strings.Join(parts, ", "))
	}
	if res.DryRun && opts.checkMaterials {
		fmt.Fprintf(std.out, "  the materials check was skipped: a dry run calls nothing\n")
	}
	// A failure's reason is the error on standard error; an interrupt's
	// says what happens next.
	if res.Status == reconcile.StatusInterrupted {
		fmt.Fprintf(std.out, "  %s\n", res.Reason)
	}
	if res.Workbook != "" {
		fmt.Fprintf(std.out, "  workbook: %s\n", res.Workbook)
	}
	if res.OrdersCSV != "" {
		fmt.Fprintf(std.out, "  orders:   %s (too many for the workbook)\n", res.OrdersCSV)
	}
}

// newLogger returns the structured logger on w.
func newLogger(w interface{ Write([]byte) (int, error) }, format string, quiet bool) (*slog.Logger, error) {
	level := slog.LevelInfo
	if quiet {
		level = slog.LevelWarn
	}
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		// Times in UTC+8, the zone of the platform, the exports and the
		// window, whatever the host's zone.
		if a.Key == slog.TimeKey && len(groups) == 0 && a.Value.Kind() == slog.KindTime {
			a.Value = slog.TimeValue(a.Value.Time().In(cst.Zone))
		}
		return a
	}}
	switch format {
	case "text", "":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, usageErrorf("--log-format %q: want text or json", format)
}

// isTerminal reports whether w is a terminal.
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
