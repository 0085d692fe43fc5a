package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/crossborder/reconcile/internal/top/sandbox"
)

const sandboxHelp = `Usage: reconcile sandbox [flags]

Serve a local simulator of the Taobao Open Platform gateway for the three
Tmall Global clearance APIs (tmall.hk.clearance.declare.wechat,
tmall.hk.clearance.info.send, tmall.hk.clearance.distribution.get) at
http://LISTEN/router/rest, for demos, tests and load or fault tests. It
checks signatures, timestamps and sessions like the platform, keeps the
declarations and callbacks it receives in memory, and answers in the
platform's JSON or XML envelopes.

It prints one line with the URL it serves and the app key, then serves until
SIGINT, SIGTERM or SIGHUP. Credentials come from the environment: TOP_APP_KEY,
TOP_APP_SECRET and TOP_SESSION; each one unset takes its demo default (app key
12345678, secret sandbox-secret, session sandbox-session). The secret and the
session are never printed.

Flags:
  --listen ADDR            address to listen on (default 127.0.0.1:8790);
                           port 0 picks a free port, printed on start
  --verbose                log every request (method, app key, code, fault,
                           duration) to standard error
  --latency D              delay every answer by D, e.g. 50ms (default 0)
  --jitter D               add a random delay in [0, D) (default 0)
  --rate-limit N           calls per second allowed per app key; 0: no limit
                           (default 0). Over it, code 7 and a ban
  --rate-jitter D          arrival jitter tolerated by the rate limit
                           (default 100ms)
  --ban-seconds N          length of a flow-control ban (default 10)
  --daily-quota N          calls per app key and day (UTC+8); over it, code 7
                           accesscontrol.limited-by-app-access-count until
                           midnight; 0: no quota (default 0)
  --fault-rate P           probability 0..1 that a valid call gets a fault
                           (default 0)
  --faults LIST            fault kinds to draw from, comma-separated: isp,
                           http502, drop, lost, ban (default all)
  --seed N                 seed of the fault and jitter PRNG (default 0)
  --spare-materials        no faults on tmall.hk.clearance.distribution.get
  --materials FILE         JSON file of materials overrides per order id:
                           {"ORDER_ID": {"ocr_name": …, "ocr_id": …,
                           "ocr_exp": …} or {"missing": true}}
  --fail-customs LIST      customs codes whose declarations fail with NO_AUTH
                           (repeatable, comma-separated)
  --except-orders LIST     order ids whose declarations answer state EXCEPT
  --reject-orders LIST     order ids whose declarations answer code 15
                           isv.invalid-parameter
  --deny-methods LIST      API methods answered with code 11 (no permission)
  --processing-after D     a declaration turns PROCESSING after D
                           (default 1m; negative: at once)
  --success-after D        and SUCCESS after D (default 3m; negative: at once)
  --fail-later-orders LIST order ids whose accepted declarations end FAIL or
                           EXCEPT at --success-after instead of SUCCESS;
                           entries ORDER_ID (FAIL), ORDER_ID=FAIL or
                           ORDER_ID=EXCEPT (repeatable, comma-separated).
                           A repeat answers the final state
  --stuck-orders LIST      order ids whose accepted declarations never
                           settle: PROCESSING after --processing-after, for
                           ever (repeatable, comma-separated)

Example:
  TOP_APP_SECRET=s3cret reconcile sandbox --listen 127.0.0.1:0 \
      --rate-limit 50 --fault-rate 0.05 --faults isp,drop,lost --verbose

Exit status:
  0  stopped by SIGINT, SIGTERM or SIGHUP
  1  could not listen or serve
  2  usage or configuration error (a bad flag value or materials file)
`

// sandboxOptions are the flags of "reconcile sandbox".
type sandboxOptions struct {
	listen          string
	verbose         bool
	latency, jitter time.Duration
	rateLimit       int
	rateJitter      time.Duration
	banSeconds      int
	dailyQuota      int
	faultRate       float64
	faults          string
	seed            uint64
	spareMaterials  bool
	materials       string
	failCustoms     stringList
	exceptOrders    stringList
	rejectOrders    stringList
	denyMethods     stringList
	processingAfter time.Duration
	successAfter    time.Duration
	failLater       stringList
	stuckOrders     stringList
}

func cmdSandbox(ctx context.Context, args []string, std *stdio) error {
	var o sandboxOptions
	fs := newFlagSet("sandbox")
	o.define(fs)
	if err := parseFlags(fs, args, sandboxHelp, std); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf("unexpected argument %q", fs.Arg(0))
	}
	return runSandbox(ctx, o, std)
}

// define defines the flags of "reconcile sandbox" on fs.
func (o *sandboxOptions) define(fs *flag.FlagSet) {
	fs.StringVar(&o.listen, "listen", "127.0.0.1:8790", "")
	fs.BoolVar(&o.verbose, "verbose", false, "")
	fs.DurationVar(&o.latency, "latency", 0, "")
	fs.DurationVar(&o.jitter, "jitter", 0, "")
	fs.IntVar(&o.rateLimit, "rate-limit", 0, "")
	fs.DurationVar(&o.rateJitter, "rate-jitter", sandbox.DefaultRateJitter, "")
	fs.IntVar(&o.banSeconds, "ban-seconds", sandbox.DefaultBanSeconds, "")
	fs.IntVar(&o.dailyQuota, "daily-quota", 0, "")
	fs.Float64Var(&o.faultRate, "fault-rate", 0, "")
	fs.StringVar(&o.faults, "faults", "", "")
	fs.Uint64Var(&o.seed, "seed", 0, "")
	fs.BoolVar(&o.spareMaterials, "spare-materials", false, "")
	fs.StringVar(&o.materials, "materials", "", "")
	fs.Var(&o.failCustoms, "fail-customs", "")
	fs.Var(&o.exceptOrders, "except-orders", "")
	fs.Var(&o.rejectOrders, "reject-orders", "")
	fs.Var(&o.denyMethods, "deny-methods", "")
	fs.DurationVar(&o.processingAfter, "processing-after", sandbox.DefaultProcessingAfter, "")
	fs.DurationVar(&o.successAfter, "success-after", sandbox.DefaultSuccessAfter, "")
	fs.Var(&o.failLater, "fail-later-orders", "")
	fs.Var(&o.stuckOrders, "stuck-orders", "")
}

// sandboxConfig turns the options and the environment into the gateway's
// configuration.
func sandboxConfig(o sandboxOptions, std *stdio) (sandbox.Config, error) {
	switch {
	case o.latency < 0 || o.jitter < 0:
		return sandbox.Config{}, usageErrorf("--latency and --jitter must not be negative")
	case o.rateLimit < 0, o.banSeconds < 0, o.dailyQuota < 0:
		return sandbox.Config{}, usageErrorf("--rate-limit, --ban-seconds and --daily-quota must not be negative")
	case !(o.faultRate >= 0 && o.faultRate <= 1):
		return sandbox.Config{}, usageErrorf("--fault-rate %v: want a probability from 0 to 1", o.faultRate)
	}
	faults, err := sandbox.ParseFaults(o.faults)
	if err != nil {
		return sandbox.Config{}, usageErrorf("--faults: %v", err)
	}
	failLater, err := sandbox.ParseFailLaterOrders(o.failLater...)
	if err != nil {
		return sandbox.Config{}, usageErrorf("--fail-later-orders: %v", err)
	}
	for _, id := range o.stuckOrders {
		if strings.Trim(id, "0123456789") != "" {
			return sandbox.Config{}, usageErrorf("--stuck-orders: entry %q: want an order id (decimal digits)", id)
		}
		if _, both := failLater[id]; both {
			return sandbox.Config{}, usageErrorf("--stuck-orders: order %s is in --fail-later-orders too", id)
		}
	}
	cfg := sandbox.Config{
		AppKey:          std.getenv("TOP_APP_KEY"),
		Secret:          std.getenv("TOP_APP_SECRET"),
		Session:         std.getenv("TOP_SESSION"),
		DeniedMethods:   o.denyMethods,
		RateLimit:       o.rateLimit,
		RateJitter:      o.rateJitter,
		BanSeconds:      o.banSeconds,
		DailyQuota:      o.dailyQuota,
		Latency:         o.latency,
		Jitter:          o.jitter,
		FaultRate:       o.faultRate,
		Faults:          faults,
		Seed:            o.seed,
		SpareMaterials:  o.spareMaterials,
		ProcessingAfter: o.processingAfter,
		SuccessAfter:    o.successAfter,
		FailCustoms:     o.failCustoms,
		ExceptOrders:    o.exceptOrders,
		RejectOrders:    o.rejectOrders,
		FailLaterOrders: failLater,
		StuckOrders:     o.stuckOrders,
	}
	if cfg.RateJitter == 0 {
		cfg.RateJitter = -1 // --rate-jitter 0 means none
	}
	if o.materials != "" {
		if cfg.Materials, err = sandbox.LoadMaterials(o.materials); err != nil {
			return sandbox.Config{}, usageErrorf("--materials: %v", err)
		}
	}
	if o.verbose {
		cfg.Logger = slog.New(slog.NewTextHandler(std.err, nil))
	}
	return cfg, nil
}

// runSandbox serves the gateway until ctx is done.
func runSandbox(ctx context.Context, o sandboxOptions, std *stdio) error {
	cfg, err := sandboxConfig(o, std)
	if err != nil {
		return err
	}
	g := sandbox.New(cfg)
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return err
	}
	appKey, _, _ := sandbox.DefaultCredentials()
	if cfg.AppKey != "" {
		appKey = cfg.AppKey
	}
	fmt.Fprintf(std.out, "reconcile sandbox: serving http://%s%s (app key %s)\n", ln.Addr(), sandbox.Path, appKey)

	srv := &http.Server{Handler: g, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	// Let answers in flight finish, within bounds: a long --latency must
	// not hold the process.
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}
