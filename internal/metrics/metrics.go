// Package metrics exposes a run's outcome to Prometheus, the way a batch
// job is watched: as gauges describing the last run, written for
// node_exporter's textfile collector (WriteFile, for --metrics-file) or
// pushed to a Pushgateway (Push, for --pushgateway). Both carry the same
// series; the text is produced by the official client library
// (github.com/prometheus/client_golang), the only package of the job that
// imports it.
//
// # Metrics
//
// Names follow Prometheus's conventions: the reconcile_ prefix, base units
// in the name (times are Unix seconds, durations seconds), _total for
// counters only. Every series describes the last run, as the Prometheus
// documentation advises for batch jobs, so the counts are gauges; the calls,
// retries and bans (_total) are the run's own counts, typed counter, which
// start again from zero with each run as a restarted process's counters do.
//
//	reconcile_last_run_timestamp_seconds      gauge   when the last run ended
//	reconcile_last_success_timestamp_seconds  gauge   when the last successful run ended; 0 when none is known
//	reconcile_run_duration_seconds            gauge   how long the last run took
//	reconcile_exit_status                     gauge   its exit status: 0, 1, 2, 3 or 130
//	reconcile_dry_run                         gauge   1 when it was a dry run (--dry-run), else 0
//	reconcile_build_info{version}             gauge   1, when the version is known
//	reconcile_orders_in_window                gauge   paid orders whose payment time falls in the window
//	reconcile_orders_eligible                 gauge   orders of the window that passed every check
//	reconcile_exceptions{code}                gauge   exceptions per code: every known code, zeros included
//	reconcile_exceptions_new                  gauge   exceptions first reported by the run (*)
//	reconcile_exceptions_open                 gauge   exceptions reported before and still open (*)
//	reconcile_exceptions_resolved             gauge   earlier exceptions the run found resolved (*)
//	reconcile_declarations{outcome}           gauge   declared, already, failed, not_declared, held_back
//	reconcile_callbacks{outcome}              gauge   sent, already, failed, not_sent
//	reconcile_follow_ups{outcome}             gauge   success, failed, pending, not_sent, error, stuck
//	reconcile_api_calls_total{method,result}  counter HTTP calls per API method and result (**)
//	reconcile_api_retries_total               counter calls that were retries of an earlier attempt
//	reconcile_bans_total                      counter flow-control bans that paused the run's calls
//
// (*) only when the run compared its exceptions with the journal's, which a
// dry run never does. (**) results ok, refused, retry, ban, fatal, panic, as
// reconcile.APICalls; a run that made no call has none of these series.
//
// The declarations' outcomes are those of Counts: declared (accepted in
// this run), already (the journal held them as accepted), failed
// (DECLARE_REJECTED, DECLARE_CONFLICT, DECLARE_ERROR), not_declared (the run
// stopped first) and held_back (a bill does not tie out). The follow-ups'
// are those of FollowUps; the orders followed tonight are all but stuck.
//
// # Success
//
// A run succeeded when it completed (Status completed: exit status 0, or 3
// under --fail-on-exceptions, which is a completed run with exceptions) and
// was no dry run. A run that failed or was interrupted leaves
// reconcile_last_success_timestamp_seconds at the last success the journal
// knows (Run.LastSuccess, see LastSuccess), and at 0 when it knows none: the
// series is never left out, so that the one alert
//
//	time() - reconcile_last_success_timestamp_seconds > 26 * 3600
//
// fires both for a job that stopped succeeding and for one that never has.
//
// # Store
//
// A job that serves one store (Run.Store "") has no store label. With a
// store name, every series of the textfile carries store="<name>", so that
// the files of several stores on one host are told apart; a push is grouped
// by it instead (/metrics/job/<job>/store/<name>), and the Pushgateway adds
// the label.
package metrics

import (
	"cmp"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/crossborder/reconcile/internal/journal"
	"github.com/crossborder/reconcile/internal/reconcile"
)

// Run is what the metrics of one run are made of.
type Run struct {
	// Result is the run's result. Nil when the run never started (a usage
	// error, say): the series are written all the same, with zero counts
	// and the time of the call.
	Result *reconcile.Result
	// ExitStatus is the process's exit status for the run.
	ExitStatus int
	// Store names the store the job runs for; "" for the single-store
	// default (no store label).
	Store string
	// LastSuccess is when the last successful run known ended (from the
	// journal: LastSuccess); zero when none is known. This run, when it
	// succeeded, counts as well: it need not be in it.
	LastSuccess time.Time
	// Version is the job's version, for reconcile_build_info; "" leaves
	// the series out.
	Version string
}

// now is the clock, for a run without a result.
var now = time.Now

// Succeeded reports whether a run with this status, exit status and dry-run
// flag counts as a success: completed (exit status 0, or 3 under
// --fail-on-exceptions) and no dry run.
func Succeeded(status reconcile.Status, exitStatus int, dryRun bool) bool {
	return status == reconcile.StatusCompleted && (exitStatus == 0 || exitStatus == 3) && !dryRun
}

// LastSuccess returns when the newest successful run among runs ended (as
// Succeeded decides), or the zero time when none succeeded. Runs are as
// journal.Journal.Runs returns them, in any order.
func LastSuccess(runs []journal.Run) time.Time {
	var last time.Time
	for _, r := range runs {
		if Succeeded(reconcile.Status(r.Status), r.ExitCode, r.DryRun) && r.EndedAt.After(last) {
			last = r.EndedAt
		}
	}
	return last
}

// Outcome label values, in the order they are written.
var (
	declarationOutcomes = []string{"declared", "already", "failed", "not_declared", "held_back"}
	callbackOutcomes    = []string{"sent", "already", "failed", "not_sent"}
	followUpOutcomes    = []string{"success", "failed", "pending", "not_sent", "error", "stuck"}
)

// sample is one series of a family: its label values and its value.
type sample struct {
	labels []string
	value  float64
}

// family is one metric: its name, help, type, label names and series.
type family struct {
	name, help string
	typ        prometheus.ValueType
	labels     []string
	samples    []sample
}

func gauge(name, help string, v float64) family {
	return family{name: name, help: help, typ: prometheus.GaugeValue, samples: []sample{{value: v}}}
}

func counter(name, help string, v float64) family {
	return family{name: name, help: help, typ: prometheus.CounterValue, samples: []sample{{value: v}}}
}

func vec(name, help, label string, values []string, counts []int) family {
	f := family{name: name, help: help, typ: prometheus.GaugeValue, labels: []string{label}}
	for i, v := range values {
		f.samples = append(f.samples, sample{labels: []string{v}, value: float64(counts[i])})
	}
	return f
}

// seconds is t in Unix seconds, 0 for the zero time.
func seconds(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixMilli()) / 1e3
}

// families returns the metrics of r.
func families(r Run) []family {
	res := r.Result
	if res == nil {
		t := now()
		res = &reconcile.Result{StartedAt: t, EndedAt: t, Status: reconcile.StatusFailed}
	}
	ended := res.EndedAt
	if ended.IsZero() {
		ended = now()
	}
	var duration float64
	if !res.StartedAt.IsZero() && ended.After(res.StartedAt) {
		duration = ended.Sub(res.StartedAt).Seconds()
	}
	lastSuccess := r.LastSuccess
	if Succeeded(res.Status, r.ExitStatus, res.DryRun) && ended.After(lastSuccess) {
		lastSuccess = ended
	}
	dry := 0.0
	if res.DryRun {
		dry = 1
	}
	c := &res.Counts

	fs := []family{
		gauge("reconcile_last_run_timestamp_seconds", "When the last run ended, in Unix seconds.", seconds(ended)),
		gauge("reconcile_last_success_timestamp_seconds", "When the last successful run (completed, no dry run) ended, in Unix seconds; 0 when none is known.", seconds(lastSuccess)),
		gauge("reconcile_run_duration_seconds", "How long the last run took, in seconds.", duration),
		gauge("reconcile_exit_status", "The exit status of the last run: 0 completed, 1 could not complete, 2 usage or configuration error, 3 completed with exceptions under --fail-on-exceptions, 130 interrupted.", float64(r.ExitStatus)),
		gauge("reconcile_dry_run", "1 when the last run was a dry run (nothing declared, nothing sent), else 0.", dry),
	}
	if r.Version != "" {
		fs = append(fs, family{name: "reconcile_build_info", help: "The version of reconcile that made the last run; always 1.",
			typ: prometheus.GaugeValue, labels: []string{"version"}, samples: []sample{{labels: []string{r.Version}, value: 1}}})
	}
	fs = append(fs,
		gauge("reconcile_orders_in_window", "Paid orders of the last run whose payment time falls in its window.", float64(c.OrdersInWindow)),
		gauge("reconcile_orders_eligible", "Orders of the last run's window that passed every check.", float64(c.Eligible)),
		exceptions(res),
	)
	if res.Tracked.Known {
		fs = append(fs,
			gauge("reconcile_exceptions_new", "Exceptions the last run reported for the first time.", float64(res.Tracked.New)),
			gauge("reconcile_exceptions_open", "Exceptions the last run reported that earlier runs had reported already.", float64(res.Tracked.Open)),
			gauge("reconcile_exceptions_resolved", "Exceptions of earlier runs that the last run found resolved.", float64(res.Tracked.Resolved)),
		)
	}
	f := c.FollowUps
	fs = append(fs,
		vec("reconcile_declarations", "The last run's declarations to customs by outcome: declared in this run, already declared by an earlier one, failed, not declared (the run stopped first), held back (a bill does not tie out).",
			"outcome", declarationOutcomes, []int{c.Declared, c.AlreadyDeclared, c.DeclareFailed, c.NotDeclared, c.HeldBack}),
		vec("reconcile_callbacks", "The last run's clearance callbacks by outcome: sent in this run, already sent by an earlier one, failed, not sent (the run stopped first).",
			"outcome", callbackOutcomes, []int{c.CallbacksSent, c.AlreadySent, c.CallbacksFailed, c.NotSent}),
		vec("reconcile_follow_ups", "The last run's follow-ups of declarations earlier runs had accepted, by outcome: success, failed, pending (not final yet), not sent, error, stuck (still not final after --follow-up-days).",
			"outcome", followUpOutcomes, []int{f.Success, f.Failed, f.Pending, f.NotSent, f.Errors, f.Stuck}),
		apiCalls(res),
		counter("reconcile_api_retries_total", "HTTP calls of the last run that were retries of an earlier attempt.", float64(c.Retries)),
		counter("reconcile_bans_total", "Flow-control bans that paused the last run's calls.", float64(c.Bans)),
	)
	return fs
}

// exceptions is reconcile_exceptions{code}: every known code in the order
// of reconcile.Codes, zeros included, then any other code the result has.
func exceptions(res *reconcile.Result) family {
	byCode := res.ByCode
	if byCode == nil { // not tallied: count them
		byCode = map[reconcile.Code]int{}
		for i := range res.Exceptions {
			byCode[res.Exceptions[i].Code]++
		}
	}
	f := family{name: "reconcile_exceptions", help: "Exceptions of the last run by code, every known code present (zeros included).",
		typ: prometheus.GaugeValue, labels: []string{"code"}}
	for _, code := range reconcile.Codes() {
		f.samples = append(f.samples, sample{labels: []string{string(code)}, value: float64(byCode[code])})
	}
	var other []reconcile.Code
	for code := range byCode {
		if !code.Known() {
			other = append(other, code)
		}
	}
	slices.Sort(other)
	for _, code := range other {
		f.samples = append(f.samples, sample{labels: []string{string(code)}, value: float64(byCode[code])})
	}
	return f
}

// apiCalls is reconcile_api_calls_total{method,result}, from Result.API
// (a method and result listed twice are added up).
func apiCalls(res *reconcile.Result) family {
	type key struct{ method, result string }
	sums := map[key]int{}
	var keys []key
	for _, a := range res.API {
		k := key{a.Method, a.Result}
		if _, ok := sums[k]; !ok {
			keys = append(keys, k)
		}
		sums[k] += a.Calls
	}
	slices.SortFunc(keys, func(a, b key) int { return cmp.Or(cmp.Compare(a.method, b.method), cmp.Compare(a.result, b.result)) })
	f := family{name: "reconcile_api_calls_total", help: "HTTP calls of the last run to the platform, by API method and result (ok, refused, retry, ban, fatal, panic).",
		typ: prometheus.CounterValue, labels: []string{"method", "result"}}
	for _, k := range keys {
		f.samples = append(f.samples, sample{labels: []string{k.method, k.result}, value: float64(sums[k])})
	}
	return f
}

// collector hands the families to a registry as constant metrics.
type collector struct {
	families []family
	constant prometheus.Labels
}

func (c *collector) descs() []*prometheus.Desc {
	ds := make([]*prometheus.Desc, len(c.families))
	for i, f := range c.families {
		ds[i] = prometheus.NewDesc(f.name, f.help, f.labels, c.constant)
	}
	return ds
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs() {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	for i, d := range c.descs() {
		f := c.families[i]
		for _, s := range f.samples {
			m, err := prometheus.NewConstMetric(d, f.typ, s.value, s.labels...)
			if err != nil {
				m = prometheus.NewInvalidMetric(d, err)
			}
			ch <- m
		}
	}
}

// gather returns the metrics of r as the client library gathers them, with
// the store as a label of every series when storeLabel is set (the
// textfile) and without it otherwise (a push, grouped by it).
func gather(r Run, storeLabel bool) (*prometheus.Registry, []*dto.MetricFamily, error) {
	c := &collector{families: families(r)}
	if storeLabel && r.Store != "" {
		c.constant = prometheus.Labels{"store": r.Store}
	}
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(c); err != nil {
		return nil, nil, err
	}
	mfs, err := reg.Gather()
	return reg, mfs, err
}
