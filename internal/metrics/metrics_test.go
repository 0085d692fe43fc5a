package metrics

import (
	"bytes"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/crossborder/reconcile/internal/cst"
	"github.com/crossborder/reconcile/internal/journal"
	"github.com/crossborder/reconcile/internal/reconcile"
)

var (
	started     = time.Date(2026, 11, 21, 10, 30, 0, 0, cst.Zone)
	ended       = started.Add(90*time.Second + 500*time.Millisecond)
	lastNight   = time.Date(2026, 11, 20, 10, 31, 12, 250e6, cst.Zone)
	fixedNow    = time.Date(2026, 11, 21, 10, 30, 5, 0, cst.Zone)
	unixSeconds = func(t time.Time) float64 { return float64(t.UnixMilli()) / 1e3 }
)

// result is a night's run: every count different, so that a value in the
// wrong series shows.
func result(status reconcile.Status, dryRun bool) *reconcile.Result {
	r := &reconcile.Result{
		RunID: 42, DryRun: dryRun, StartedAt: started, EndedAt: ended, Status: status,
		Counts: reconcile.Counts{
			OrdersRead: 1300, OrdersInWindow: 1234, Eligible: 1200,
			Declared: 1100, AlreadyDeclared: 50, DeclareFailed: 30, NotDeclared: 15, HeldBack: 5,
			CallbacksSent: 70, AlreadySent: 7, CallbacksFailed: 3, NotSent: 2,
			Calls: 1500, Retries: 11, Bans: 2,
			FollowUps: reconcile.FollowUps{Due: 40, Success: 20, Failed: 4, Pending: 9, NotSent: 6, Errors: 1, Stuck: 3},
		},
		ByCode: map[reconcile.Code]int{},
		API: []reconcile.APICalls{
			{Method: "tmall.hk.clearance.declare.wechat", Result: "ok", Calls: 1150},
			{Method: "tmall.hk.clearance.declare.wechat", Result: "refused", Calls: 30},
			{Method: "tmall.hk.clearance.declare.wechat", Result: "retry", Calls: 10},
			{Method: "tmall.hk.clearance.declare.wechat", Result: "ban", Calls: 2},
			{Method: "tmall.hk.clearance.info.send", Result: "ok", Calls: 70},
			{Method: "tmall.hk.clearance.info.send", Result: "retry", Calls: 1},
			{Method: "tmall.hk.clearance.info.send", Result: "ok", Calls: 5}, // listed twice: added up
		},
	}
	if !dryRun {
		r.Tracked = reconcile.Tracked{Known: true, New: 12, Open: 31, Resolved: 8}
	}
	for _, c := range reconcile.Codes() {
		r.ByCode[c] = 0
	}
	r.ByCode[reconcile.FeeMismatch] = 17
	r.ByCode[reconcile.PaymentMissing] = 9
	r.ByCode[reconcile.DeclareRejected] = 30
	return r
}

// types are the families every run has, and their types.
var types = map[string]dto.MetricType{
	"reconcile_last_run_timestamp_seconds":     dto.MetricType_GAUGE,
	"reconcile_last_success_timestamp_seconds": dto.MetricType_GAUGE,
	"reconcile_run_duration_seconds":           dto.MetricType_GAUGE,
	"reconcile_exit_status":                    dto.MetricType_GAUGE,
	"reconcile_dry_run":                        dto.MetricType_GAUGE,
	"reconcile_orders_in_window":               dto.MetricType_GAUGE,
	"reconcile_orders_eligible":                dto.MetricType_GAUGE,
	"reconcile_exceptions":                     dto.MetricType_GAUGE,
	"reconcile_declarations":                   dto.MetricType_GAUGE,
	"reconcile_callbacks":                      dto.MetricType_GAUGE,
	"reconcile_follow_ups":                     dto.MetricType_GAUGE,
	"reconcile_api_retries_total":              dto.MetricType_COUNTER,
	"reconcile_bans_total":                     dto.MetricType_COUNTER,
}

// optional are the families some runs have.
var optional = map[string]dto.MetricType{
	"reconcile_build_info":          dto.MetricType_GAUGE,
	"reconcile_exceptions_new":      dto.MetricType_GAUGE,
	"reconcile_exceptions_open":     dto.MetricType_GAUGE,
	"reconcile_exceptions_resolved": dto.MetricType_GAUGE,
	"reconcile_api_calls_total":     dto.MetricType_COUNTER,
}

// parseFile reads a metrics file back with the client library's own parser.
func parseFile(t *testing.T, path string) map[string]*dto.MetricFamily {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(f)
	if err != nil {
		t.Fatalf("parsing %s: %v", path, err)
	}
	return mfs
}

// value returns the value of the series of mf whose labels are labels
// (the store label aside) and whether there is one.
func value(mf *dto.MetricFamily, labels ...string) (float64, bool) {
	if mf == nil {
		return 0, false
	}
	want := map[string]string{}
	for i := 0; i+1 < len(labels); i += 2 {
		want[labels[i]] = labels[i+1]
	}
	for _, m := range mf.GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			if l.GetName() != "store" {
				got[l.GetName()] = l.GetValue()
			}
		}
		if !maps.Equal(got, want) {
			continue
		}
		switch mf.GetType() {
		case dto.MetricType_COUNTER:
			return m.GetCounter().GetValue(), true
		case dto.MetricType_GAUGE:
			return m.GetGauge().GetValue(), true
		}
	}
	return 0, false
}

func TestWriteFile(t *testing.T) {
	defer func(f func() time.Time) { now = f }(now)
	now = func() time.Time { return fixedNow }

	tests := []struct {
		name string
		run  Run
		// want are series and their values: "name" or "name{l=v,…}" → value.
		want map[string]float64
		// absent are families the file must not have.
		absent []string
	}{
		{
			name: "completed: this run is the last success",
			run:  Run{Result: result(reconcile.StatusCompleted, false), ExitStatus: 0, LastSuccess: lastNight, Version: "v1.4.0"},
			want: map[string]float64{
				"reconcile_last_run_timestamp_seconds":                                               unixSeconds(ended),
				"reconcile_last_success_timestamp_seconds":                                           unixSeconds(ended),
				"reconcile_run_duration_seconds":                                                     90.5,
				"reconcile_exit_status":                                                              0,
				"reconcile_dry_run":                                                                  0,
				"reconcile_build_info{version=v1.4.0}":                                               1,
				"reconcile_orders_in_window":                                                         1234,
				"reconcile_orders_eligible":                                                          1200,
				"reconcile_exceptions{code=FEE_MISMATCH}":                                            17,
				"reconcile_exceptions{code=PAYMENT_MISSING}":                                         9,
				"reconcile_exceptions{code=DECLARE_REJECTED}":                                        30,
				"reconcile_exceptions{code=DECLARE_STUCK}":                                           0,
				"reconcile_exceptions{code=BILL_MISMATCH}":                                           0,
				"reconcile_exceptions_new":                                                           12,
				"reconcile_exceptions_open":                                                          31,
				"reconcile_exceptions_resolved":                                                      8,
				"reconcile_declarations{outcome=declared}":                                           1100,
				"reconcile_declarations{outcome=already}":                                            50,
				"reconcile_declarations{outcome=failed}":                                             30,
				"reconcile_declarations{outcome=not_declared}":                                       15,
				"reconcile_declarations{outcome=held_back}":                                          5,
				"reconcile_callbacks{outcome=sent}":                                                  70,
				"reconcile_callbacks{outcome=already}":                                               7,
				"reconcile_callbacks{outcome=failed}":                                                3,
				"reconcile_callbacks{outcome=not_sent}":                                              2,
				"reconcile_follow_ups{outcome=success}":                                              20,
				"reconcile_follow_ups{outcome=failed}":                                               4,
				"reconcile_follow_ups{outcome=pending}":                                              9,
				"reconcile_follow_ups{outcome=not_sent}":                                             6,
				"reconcile_follow_ups{outcome=error}":                                                1,
				"reconcile_follow_ups{outcome=stuck}":                                                3,
				"reconcile_api_calls_total{method=tmall.hk.clearance.declare.wechat,result=ok}":      1150,
				"reconcile_api_calls_total{method=tmall.hk.clearance.declare.wechat,result=refused}": 30,
				"reconcile_api_calls_total{method=tmall.hk.clearance.declare.wechat,result=retry}":   10,
				"reconcile_api_calls_total{method=tmall.hk.clearance.declare.wechat,result=ban}":     2,
				"reconcile_api_calls_total{method=tmall.hk.clearance.info.send,result=ok}":           75,
				"reconcile_api_calls_total{method=tmall.hk.clearance.info.send,result=retry}":        1,
				"reconcile_api_retries_total":                                                        11,
				"reconcile_bans_total":                                                               2,
			},
		},
		{
			name: "completed with exceptions under --fail-on-exceptions (exit 3): a success",
			run:  Run{Result: result(reconcile.StatusCompleted, false), ExitStatus: 3, LastSuccess: lastNight},
			want: map[string]float64{
				"reconcile_last_success_timestamp_seconds": unixSeconds(ended),
				"reconcile_exit_status":                    3,
			},
			absent: []string{"reconcile_build_info"},
		},
		{
			name: "failed (exit 1): the last success stays last night's",
			run:  Run{Result: result(reconcile.StatusFailed, false), ExitStatus: 1, LastSuccess: lastNight},
			want: map[string]float64{
				"reconcile_last_run_timestamp_seconds":     unixSeconds(ended),
				"reconcile_last_success_timestamp_seconds": unixSeconds(lastNight),
				"reconcile_exit_status":                    1,
			},
		},
		{
			name: "failed, no success known: 0",
			run:  Run{Result: result(reconcile.StatusFailed, false), ExitStatus: 1},
			want: map[string]float64{
				"reconcile_last_success_timestamp_seconds": 0,
				"reconcile_exit_status":                    1,
			},
		},
		{
			name: "interrupted (130): no success",
			run:  Run{Result: result(reconcile.StatusInterrupted, false), ExitStatus: 130, LastSuccess: lastNight},
			want: map[string]float64{
				"reconcile_last_success_timestamp_seconds": unixSeconds(lastNight),
				"reconcile_exit_status":                    130,
			},
		},
		{
			name: "a completed dry run is no success",
			run:  Run{Result: result(reconcile.StatusCompleted, true), ExitStatus: 0, LastSuccess: lastNight},
			want: map[string]float64{
				"reconcile_last_success_timestamp_seconds": unixSeconds(lastNight),
				"reconcile_dry_run":                        1,
			},
			absent: []string{"reconcile_exceptions_new", "reconcile_exceptions_open", "reconcile_exceptions_resolved"},
		},
		{
			name: "no result (a usage error, exit 2): every series, zero counts, the time of the call",
			run:  Run{ExitStatus: 2, LastSuccess: lastNight},
			want: map[string]float64{
				"reconcile_last_run_timestamp_seconds":     unixSeconds(fixedNow),
				"reconcile_last_success_timestamp_seconds": unixSeconds(lastNight),
				"reconcile_run_duration_seconds":           0,
				"reconcile_exit_status":                    2,
				"reconcile_exceptions{code=FEE_MISMATCH}":  0,
				"reconcile_declarations{outcome=declared}": 0,
			},
			absent: []string{"reconcile_api_calls_total", "reconcile_exceptions_new"},
		},
		{
			name: "an exception code the job does not know is still counted",
			run: func() Run {
				r := result(reconcile.StatusCompleted, false)
				r.ByCode["SOMETHING_NEW"] = 4
				return Run{Result: r}
			}(),
			want: map[string]float64{"reconcile_exceptions{code=SOMETHING_NEW}": 4},
		},
		{
			name: "an untallied result: counted from its exceptions",
			run: func() Run {
				r := result(reconcile.StatusCompleted, false)
				r.ByCode = nil
				r.Exceptions = []reconcile.Exception{{Code: reconcile.FeeMismatch}, {Code: reconcile.FeeMismatch}, {Code: reconcile.LimitExceeded}}
				return Run{Result: r}
			}(),
			want: map[string]float64{
				"reconcile_exceptions{code=FEE_MISMATCH}":   2,
				"reconcile_exceptions{code=LIMIT_EXCEEDED}": 1,
				"reconcile_exceptions{code=INPUT_INVALID}":  0,
			},
		},
	}
	for _, tt := range tests {
		for _, store := range []string{"", "hk-flagship"} {
			t.Run(tt.name+"/store="+store, func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "reconcile.prom")
				run := tt.run
				run.Store = store
				if err := WriteFile(path, run); err != nil {
					t.Fatal(err)
				}
				mfs := parseFile(t, path)
				checkFamilies(t, mfs)
				for _, name := range tt.absent {
					if _, ok := mfs[name]; ok {
						t.Errorf("%s: present, want absent", name)
					}
				}
				for series, want := range tt.want {
					name, labels := splitSeries(series)
					got, ok := value(mfs[name], labels...)
					if !ok {
						t.Errorf("%s: no such series", series)
						continue
					}
					if got != want {
						t.Errorf("%s = %v, want %v", series, got, want)
					}
				}
				// Every known code, zeros included.
				for _, code := range reconcile.Codes() {
					if _, ok := value(mfs["reconcile_exceptions"], "code", string(code)); !ok {
						t.Errorf("reconcile_exceptions{code=%s}: missing", code)
					}
				}
				// The store label: on every series with a store, on none without.
				for name, mf := range mfs {
					for _, m := range mf.GetMetric() {
						got := ""
						for _, l := range m.GetLabel() {
							if l.GetName() == "store" {
								got = l.GetValue()
							}
						}
						if got != store {
							t.Errorf("%s %v: store %q, want %q", name, m.GetLabel(), got, store)
						}
					}
				}
			})
		}
	}
}

// checkFamilies checks that every family is known, has a HELP and the
// right TYPE, and that each family of every run is there.
func checkFamilies(t *testing.T, mfs map[string]*dto.MetricFamily) {
	t.Helper()
	for name, typ := range types {
		if _, ok := mfs[name]; !ok {
			t.Errorf("%s (%v): missing", name, typ)
		}
	}
	for name, mf := range mfs {
		want, ok := types[name]
		if !ok {
			want, ok = optional[name]
		}
		if !ok {
			t.Errorf("%s: an unexpected family", name)
			continue
		}
		if mf.GetType() != want {
			t.Errorf("%s: TYPE %v, want %v", name, mf.GetType(), want)
		}
		if strings.TrimSpace(mf.GetHelp()) == "" {
			t.Errorf("%s: no HELP", name)
		}
		if strings.HasSuffix(name, "_total") != (want == dto.MetricType_COUNTER) {
			t.Errorf("%s: a _total name must be a counter and a counter's name must end in _total", name)
		}
	}
}

// splitSeries splits "name{a=b,c=d}" into the name and "a", "b", "c", "d".
func splitSeries(s string) (string, []string) {
	name, rest, ok := strings.Cut(s, "{")
	if !ok {
		return s, nil
	}
	var labels []string
	for _, kv := range strings.Split(strings.TrimSuffix(rest, "}"), ",") {
		k, v, _ := strings.Cut(kv, "=")
		labels = append(labels, k, v)
	}
	return name, labels
}

// TestWriteText checks the raw text: HELP and TYPE lines before each
// family's samples, as node_exporter's collector expects.
func TestWriteText(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, Run{Result: result(reconcile.StatusCompleted, false), Store: "hk"}); err != nil {
		t.Fatal(err)
	}
	text := buf.String()
	for _, want := range []string{
		"# HELP reconcile_bans_total ",
		"# TYPE reconcile_bans_total counter\nreconcile_bans_total{store=\"hk\"} 2\n",
		"# TYPE reconcile_exceptions gauge\n",
		"reconcile_exceptions{code=\"FEE_MISMATCH\",store=\"hk\"} 17\n",
		"# TYPE reconcile_last_run_timestamp_seconds gauge\n",
		"reconcile_run_duration_seconds{store=\"hk\"} 90.5\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the text lacks %q:\n%s", want, text)
		}
	}
	if !strings.HasSuffix(text, "\n") {
		t.Error("the text does not end in a newline")
	}
}

func TestWriteFileReplacesAtomically(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "reconcile.prom")
	if err := os.WriteFile(path, []byte("# an earlier run's file\nreconcile_exit_status 1\nreconcile_stale_series 7\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A temporary file a killed writer left behind (pid 2^22+1 is above
	// Linux's pid_max default and is not running).
	stale := filepath.Join(dir, ".reconcile.prom.4194305.0123456789abcdef.tmp")
	if err := os.WriteFile(stale, []byte("half a fi"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, Run{Result: result(reconcile.StatusCompleted, false)}); err != nil {
		t.Fatal(err)
	}
	mfs := parseFile(t, path)
	if _, ok := mfs["reconcile_stale_series"]; ok {
		t.Error("the earlier file's series survived: the file was not replaced whole")
	}
	if got, _ := value(mfs["reconcile_exit_status"]); got != 0 {
		t.Errorf("reconcile_exit_status = %v, want 0", got)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{"reconcile.prom"}; !slices.Equal(names, want) {
		t.Errorf("the directory holds %q, want %q (no temporary file left)", names, want)
	}
}

func TestWriteFileRefusesOtherNames(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"reconcile.txt", "reconcile", "reconcile.prom.tmp", "reconcile.PROM", "metrics.json"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			for fn, err := range map[string]error{
				"WriteFile": WriteFile(path, Run{}),
				"CheckFile": CheckFile(path),
			} {
				if err == nil || !strings.Contains(err.Error(), ".prom") {
					t.Errorf("%s(%s) = %v, want an error naming .prom", fn, name, err)
				}
			}
			if _, err := os.Stat(path); err == nil {
				t.Errorf("%s was written", name)
			}
		})
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("the directory holds %d files, want none", len(entries))
	}
}

func TestWriteFileMissingDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no-such-dir", "reconcile.prom")
	if err := CheckFile(path); err == nil {
		t.Error("CheckFile: nil, want an error")
	}
	if err := WriteFile(path, Run{}); err == nil {
		t.Error("WriteFile: nil, want an error")
	}
	if err := CheckFile(filepath.Join(t.TempDir(), "reconcile.prom")); err != nil {
		t.Errorf("CheckFile of a writable path: %v", err)
	}
}

func TestSucceeded(t *testing.T) {
	tests := []struct {
		status reconcile.Status
		exit   int
		dryRun bool
		want   bool
	}{
		{reconcile.StatusCompleted, 0, false, true},
		{reconcile.StatusCompleted, 3, false, true},
		{reconcile.StatusCompleted, 0, true, false},
		{reconcile.StatusCompleted, 1, false, false},
		{reconcile.StatusFailed, 1, false, false},
		{reconcile.StatusFailed, 2, false, false},
		{reconcile.StatusInterrupted, 130, false, false},
		{"abandoned", 0, false, false},
		{"", 0, false, false},
	}
	for _, tt := range tests {
		if got := Succeeded(tt.status, tt.exit, tt.dryRun); got != tt.want {
			t.Errorf("Succeeded(%q, %d, %v) = %v, want %v", tt.status, tt.exit, tt.dryRun, got, tt.want)
		}
	}
}

func TestLastSuccess(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 11, d, 10, 31, 0, 0, cst.Zone) }
	run := func(d int, status journal.RunStatus, exit int) journal.Run {
		return journal.Run{StartedAt: day(d).Add(-time.Minute), EndedAt: day(d), Status: status, ExitCode: exit}
	}
	tests := []struct {
		name string
		runs []journal.Run
		want time.Time
	}{
		{"none", nil, time.Time{}},
		{"only failures", []journal.Run{run(21, "failed", 1), run(20, "interrupted", 130), run(19, "abandoned", 0)}, time.Time{}},
		{"the newest success, newest first", []journal.Run{run(21, "failed", 1), run(20, "completed", 3), run(19, "completed", 0)}, day(20)},
		{"in any order", []journal.Run{run(18, "completed", 0), run(20, "completed", 0), run(19, "completed", 0)}, day(20)},
		{"a running run is none", []journal.Run{{StartedAt: day(21), Status: "running"}, run(19, "completed", 0)}, day(19)},
		{"a dry run is none", []journal.Run{func() journal.Run { r := run(21, "completed", 0); r.DryRun = true; return r }(), run(19, "completed", 0)}, day(19)},
	}
	for _, tt := range tests {
		if got := LastSuccess(tt.runs); !got.Equal(tt.want) {
			t.Errorf("%s: LastSuccess = %v, want %v", tt.name, got, tt.want)
		}
	}
}
