package batch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/crossborder/reconcile/internal/cst"
	"github.com/crossborder/reconcile/internal/dispatch"
	"github.com/crossborder/reconcile/internal/ingest"
	"github.com/crossborder/reconcile/internal/journal"
	"github.com/crossborder/reconcile/internal/reconcile"
	"github.com/crossborder/reconcile/internal/reconcile/reconciletest"
	"github.com/crossborder/reconcile/internal/top"
	"github.com/crossborder/reconcile/internal/top/sandbox"
)

const (
	testAppKey  = "12345678"
	testSecret  = "engine-test-secret"
	testSession = "engine-test-session"
)

// testOrders writes n clean orders paid on 2026-11-20, their payments, and
// one clearance row per order; orders whose index is in bad get an anomaly
// (a fee mismatch) so that they are not eligible.
func testOrders(n int, bad ...int) reconciletest.Exports {
	var o, p, c strings.Builder
	for i := 0; i < n; i++ {
		id := 5118609024991000000 + i
		fee := 1000 + i
		orderFee := fee
		if slices.Contains(bad, i) {
			orderFee++
		}
		ts := fmt.Sprintf("2026-11-20 %02d:%02d:%02d", i/3600%24, i/60%60, i%60)
		fmt.Fprintf(&o, "%d,%s,0.50,%s,,%s,\n", id, fenText(fee), fenText(orderFee+50), ts)
		fmt.Fprintf(&p, "42000000002026112%011d,%d,%s,SUCCESS,,%s\n", i, id, fenText(orderFee+50), ts)
		fmt.Fprintf(&c, "%d,IDEM%05d,1,,2991,%s,,\n", id, i, ts)
	}
	return reconciletest.Exports{Orders: []string{o.String()}, Payments: []string{p.String()}, Clearance: []string{c.String()}}
}

func fenText(f int) string { return fmt.Sprintf("%d.%02d", f/100, f%100) }

// env is a sandbox gateway and a journal for engine tests.
type env struct {
	gw      *sandbox.Gateway
	journal *journal.Journal
	inputs  reconcile.Inputs
	window  cst.Window
	client  *top.Client
}

// newEnv makes a gateway, exports and a journal. Its client reaches the
// gateway in process (inProcess), so that a test may run in a synctest
// bubble, where time is fake: bans, back-offs and latencies take no real
// time, and their lengths are exact.
func newEnv(t testing.TB, cfg sandbox.Config, x reconciletest.Exports) *env {
	t.Helper()
	cfg.AppKey, cfg.Secret, cfg.Session = testAppKey, testSecret, testSession
	e := &env{gw: sandbox.New(cfg)}
	dir := t.TempDir()
	e.inputs = reconciletest.WriteExports(t, dir, x)
	j, err := journal.Open(context.Background(), filepath.Join(dir, "reconcile.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	e.journal = j
	e.window, _ = cst.ParseWindow("2026-11-20", "", "", time.Now())
	e.client = e.newClient(t, testSecret, "")
	return e
}

// newClient returns a client of the gateway at url, or, when url is "", of
// h (e.gw when h is nil) in process.
func (e *env) newClient(t testing.TB, secret, url string, h ...http.Handler) *top.Client {
	t.Helper()
	opts := []top.Option{top.WithAppKey(testAppKey), top.WithSecret(secret), top.WithSession(testSession), top.WithTimeout(5 * time.Second)}
	if url == "" {
		handler := http.Handler(e.gw)
		if len(h) > 0 {
			handler = h[0]
		}
		url = "http://sandbox.invalid"
		opts = append(opts, top.WithHTTPClient(&http.Client{Transport: inProcess{handler}}))
	}
	c, err := top.NewClient(append(opts, top.WithGateway(url+"/router/rest"))...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// inProcess is a transport that serves each request with a handler in the
// caller's goroutine: no sockets, so that it works in a synctest bubble. A
// handler that hangs up (http.ErrAbortHandler) is a connection reset.
type inProcess struct{ h http.Handler }

func (p inProcess) RoundTrip(req *http.Request) (resp *http.Response, err error) {
	defer func() {
		if v := recover(); v != nil {
			if v != http.ErrAbortHandler {
				panic(v)
			}
			resp, err = nil, errors.New("connection reset by peer")
		}
	}()
	rec := httptest.NewRecorder()
	p.h.ServeHTTP(rec, req.Clone(req.Context()))
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	return rec.Result(), nil
}

// fastEngine keeps back-offs short so that tests with faults run quickly.
var fastEngine = dispatch.Config{Concurrency: 8, QPS: 1000, BackoffBase: 2 * time.Millisecond, BackoffMax: 20 * time.Millisecond}

func (e *env) run(t *testing.T, ctx context.Context, eng dispatch.Config, platform Platform) (*reconcile.Result, error) {
	t.Helper()
	if platform == nil {
		platform = e.client
	}
	return Run(ctx, Config{Window: e.window, Inputs: e.inputs, DefaultCustoms: "NINGBO", Engine: eng},
		Deps{Platform: platform, Journal: e.journal})
}

func TestRunDeclaresEligibleOrdersOnceWithExactParameters(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		x := testOrders(40, 3, 17)
		e := newEnv(t, sandbox.Config{}, x)
		res, err := e.run(t, context.Background(), fastEngine, nil)
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		reconciletest.AssertAccounting(t, res)
		if res.Counts.Eligible != 38 || res.Counts.Declared != 38 || res.Counts.CallbacksSent != 40 {
			t.Fatalf("eligible %d, declared %d, callbacks sent %d; want 38, 38, 40", res.Counts.Eligible, res.Counts.Declared, res.Counts.CallbacksSent)
		}
		counters := e.gw.Counters()
		for i := 0; i < 40; i++ {
			id := fmt.Sprint(5118609024991000000 + i)
			d, ok := e.gw.Declaration(id)
			if i == 3 || i == 17 {
				if ok {
					t.Errorf("order %s (a fee mismatch) was declared", id)
				}
				continue
			}
			want := top.WechatPayValidateReq{OrderID: id, TransactionID: fmt.Sprintf("42000000002026112%011d", i), Customs: "NINGBO",
				ProductFee: int64(1000 + i), TransportFee: 50, OrderFee: int64(1050 + i)}
			if !ok {
				t.Errorf("order %s was not declared", id)
				continue
			}
			got := top.WechatPayValidateReq{OrderID: d.OrderID, TransactionID: d.TransactionID, Customs: d.Customs,
				OrderFee: d.OrderFee, ProductFee: d.ProductFee, TransportFee: d.TransportFee}
			if got != want {
				t.Errorf("order %s declared as %+v, want %+v", id, got, want)
			}
			if n := counters.Declarations.Effects[id]; n != 1 {
				t.Errorf("order %s reached the gateway %d times, want 1", id, n)
			}
		}
		if len(res.Declarations) != 38 || len(res.Callbacks) != 40 {
			t.Errorf("result lines: %d declarations, %d callbacks; want 38, 40", len(res.Declarations), len(res.Callbacks))
		}

		// A second run declares nothing and sends nothing.
		before := e.gw.Counters()
		res2, err := e.run(t, context.Background(), fastEngine, nil)
		if err != nil {
			t.Fatalf("second Run: %v", err)
		}
		after := e.gw.Counters()
		if res2.Counts.AlreadyDeclared != 38 || res2.Counts.Declared != 0 || res2.Counts.AlreadySent != 40 || res2.Counts.CallbacksSent != 0 {
			t.Errorf("second run: already %d, declared %d, already sent %d, sent %d; want 38, 0, 40, 0",
				res2.Counts.AlreadyDeclared, res2.Counts.Declared, res2.Counts.AlreadySent, res2.Counts.CallbacksSent)
		}
		if d := sumMap(after.Requests) - sumMap(before.Requests); d != 0 {
			t.Errorf("the second run made %d calls, want 0", d)
		}
		reconciletest.AssertAccounting(t, res2)
		assertJournalHealthy(t, e.journal)
	})
}

func sumMap[K comparable](m map[K]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// assertJournalHealthy checks the journal's integrity and that no attempt
// was left in flight.
func assertJournalHealthy(t *testing.T, j *journal.Journal) {
	t.Helper()
	if err := j.Check(context.Background()); err != nil {
		t.Errorf("journal check: %v", err)
	}
	runs, err := j.Runs(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		atts, err := j.Attempts(context.Background(), r.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range atts {
			if a.Outcome == "" {
				t.Errorf("run %d left attempt %d of %s %s in flight", r.ID, a.Attempt, a.Kind, a.Key)
			}
		}
	}
}

func TestRunWithFaultsConvergesWithoutDoubleDeclarations(t *testing.T) {
	for _, fault := range []sandbox.Fault{sandbox.FaultISP, sandbox.FaultHTTP502, sandbox.FaultDrop, sandbox.FaultLost, sandbox.FaultBan, ""} {
		name := string(fault)
		var faults []sandbox.Fault
		if fault == "" {
			name = "all kinds"
		} else {
			faults = []sandbox.Fault{fault}
		}
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newEnv(t, sandbox.Config{FaultRate: 0.15, Faults: faults, Seed: 7, BanSeconds: 1}, testOrders(120))
				eng := fastEngine
				eng.MaxAttempts = 3
				res1, err := e.run(t, context.Background(), eng, nil)
				if err != nil {
					t.Fatalf("first run: %v", err)
				}
				reconciletest.AssertAccounting(t, res1)
				declared := res1.Counts.Declared
				sent := res1.Counts.CallbacksSent
				if declared < 120 || sent < 120 {
					res2, err := e.run(t, context.Background(), eng, nil)
					if err != nil {
						t.Fatalf("rerun: %v", err)
					}
					reconciletest.AssertAccounting(t, res2)
					declared += res2.Counts.Declared
					sent += res2.Counts.CallbacksSent
					if res2.Counts.AlreadyDeclared != res1.Counts.Declared {
						t.Errorf("rerun skipped %d, want the %d declared before", res2.Counts.AlreadyDeclared, res1.Counts.Declared)
					}
				}
				if declared != 120 || sent != 120 {
					t.Fatalf("after at most one rerun: %d declared, %d sent; want 120 each", declared, sent)
				}
				c := e.gw.Counters()
				repeats := 0
				for id, n := range c.Declarations.Effects {
					if n > 1 {
						repeats += n - 1
					}
					if _, ok := e.gw.Declaration(id); !ok {
						t.Errorf("order %s reached the effect stage but is not held", id)
					}
				}
				if lost := c.Faults[sandbox.FaultLost]; repeats > lost {
					t.Errorf("%d repeated declarations, but only %d answers were lost", repeats, lost)
				}
				if fault != "" && fault != sandbox.FaultLost && repeats != 0 {
					t.Errorf("%d repeated declarations without lost answers", repeats)
				}
				if c.Declarations.New != 120 || c.Callbacks.New != 120 {
					t.Errorf("gateway holds %d declarations and %d callbacks, want 120 each", c.Declarations.New, c.Callbacks.New)
				}
				assertJournalHealthy(t, e.journal)
			})
		})
	}
}

// recorder wraps a gateway and notes the arrival time and the platform
// code of every answer.
type recorder struct {
	next http.Handler
	mu   sync.Mutex
	hits []hit
}

type hit struct {
	at   time.Time
	code int // 0 for success
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	at := time.Now()
	rec := &captureWriter{ResponseWriter: w}
	r.next.ServeHTTP(rec, req)
	code := 0
	if i := bytes.Index(rec.body.Bytes(), []byte(`"code":`)); i >= 0 {
		fmt.Sscanf(rec.body.String()[i+len(`"code":`):], "%d", &code)
	}
	r.mu.Lock()
	r.hits = append(r.hits, hit{at, code})
	r.mu.Unlock()
}

type captureWriter struct {
	http.ResponseWriter
	body bytes.Buffer
}

func (c *captureWriter) Write(b []byte) (int, error) {
	c.body.Write(b)
	return c.ResponseWriter.Write(b)
}

func TestBanPausesEveryWorker(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// The gateway allows 10 calls a second and bans for 1 s; the run asks
		// for 200 with 8 in flight, so it is banned at once.
		e := newEnv(t, sandbox.Config{RateLimit: 10, BanSeconds: 1, RateJitter: -1}, testOrders(30))
		rec := &recorder{next: e.gw}
		eng := fastEngine
		eng.QPS = 200
		res, err := e.run(t, context.Background(), eng, e.newClient(t, testSecret, "", rec))
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		if res.Counts.Declared != 30 || res.Counts.CallbacksSent != 30 {
			t.Fatalf("declared %d, sent %d; want 30, 30", res.Counts.Declared, res.Counts.CallbacksSent)
		}
		rec.mu.Lock()
		defer rec.mu.Unlock()
		bans := 0
		for i, h := range rec.hits {
			if h.code != top.CodeAppCallLimited {
				continue
			}
			bans++
			// After a ban answer, the calls already in flight may still
			// arrive (at most Concurrency of them, within a moment); after
			// that nothing may arrive until the ban (1 s) is over.
			quiet := h.at.Add(150 * time.Millisecond)
			for _, later := range rec.hits[i+1:] {
				if later.at.After(quiet) && later.at.Before(h.at.Add(900*time.Millisecond)) && later.code != top.CodeAppCallLimited {
					t.Errorf("a call arrived %v after a ban began, during the ban", later.at.Sub(h.at))
					break
				}
			}
		}
		if bans == 0 {
			t.Fatal("the gateway never banned the run; the test proves nothing")
		}
	})
}

func TestLimiterKeepsEveryWindowUnderQPS(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, sandbox.Config{Latency: 5 * time.Millisecond}, testOrders(150))
		eng := fastEngine
		eng.QPS, eng.Concurrency = 100, 16
		res, err := e.run(t, context.Background(), eng, nil)
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		if res.Counts.Declared+res.Counts.CallbacksSent != 300 {
			t.Fatalf("declared %d + sent %d, want 300", res.Counts.Declared, res.Counts.CallbacksSent)
		}
		arrivals := e.gw.Arrivals()
		if got := maxInWindow(arrivals, time.Second); got > 100 {
			t.Errorf("%d calls arrived within one second, want at most --qps 100", got)
		}
		if len(arrivals) != 300 {
			t.Errorf("%d calls, want 300", len(arrivals))
		}
	})
}

// maxInWindow returns the most times in any half-open window of length d.
func maxInWindow(ts []time.Time, d time.Duration) int {
	ts = slices.Clone(ts)
	slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
	best, j := 0, 0
	for i := range ts {
		for ts[i].Sub(ts[j]) >= d {
			j++
		}
		best = max(best, i-j+1)
	}
	return best
}

func TestFatalErrorStopsEarly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, sandbox.Config{}, testOrders(200))
		eng := fastEngine
		eng.Concurrency = 4
		res, err := e.run(t, context.Background(), eng, e.newClient(t, "a-wrong-secret", ""))
		var fe *dispatch.FatalError
		if !errors.As(err, &fe) || ExitStatus(err) != ExitFailure {
			t.Fatalf("err = %v, want a *FatalError with exit status 1", err)
		}
		if !strings.Contains(fe.Advice, "TOP_APP_SECRET") {
			t.Errorf("advice %q does not say what to fix", fe.Advice)
		}
		if strings.Contains(err.Error(), "a-wrong-secret") || strings.Contains(res.Reason, "a-wrong-secret") {
			t.Errorf("the error shows the secret: %v", err)
		}
		if calls := sumMap(e.gw.Counters().Requests); calls > eng.Concurrency+1 {
			t.Errorf("%d calls after a fatal error, want at most the %d in flight", calls, eng.Concurrency)
		}
		if res.Status != reconcile.StatusFailed || res.Counts.NotDeclared < 190 || res.Counts.NotSent != 200 {
			t.Errorf("status %s, not declared %d, not sent %d; want failed, ≥190, 200", res.Status, res.Counts.NotDeclared, res.Counts.NotSent)
		}
		reconciletest.AssertAccounting(t, res)
		runs, _ := e.journal.Runs(context.Background(), 1)
		if len(runs) != 1 || runs[0].Status != journal.RunStatus(reconcile.StatusFailed) || runs[0].ExitCode != 1 {
			t.Errorf("journal run = %+v, want failed with exit code 1", runs)
		}
		assertJournalHealthy(t, e.journal)
	})
}

func TestUnreachableGatewayTripsTheBreaker(t *testing.T) {
	e := newEnv(t, sandbox.Config{}, testOrders(300))
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + l.Addr().String()
	l.Close()
	eng := fastEngine
	eng.BreakerThreshold, eng.Concurrency = 10, 4
	res, err := e.run(t, context.Background(), eng, e.newClient(t, testSecret, dead))
	var fe *dispatch.FatalError
	if !errors.As(err, &fe) || !strings.Contains(fe.Advice, "unreachable") {
		t.Fatalf("err = %v, want the breaker's fatal error", err)
	}
	// Each record tries up to MaxAttempts times; the breaker stops the run
	// after 10 failures in a row, with at most 4 more in flight.
	if res.Counts.Calls > 10+eng.Concurrency {
		t.Errorf("%d calls before stopping, want at most %d", res.Counts.Calls, 10+eng.Concurrency)
	}
	if res.Counts.NotDeclared < 290 {
		t.Errorf("not declared %d, want nearly all", res.Counts.NotDeclared)
	}
	reconciletest.AssertAccounting(t, res)
	assertJournalHealthy(t, e.journal)
}

func TestInterruptFinishesCallsInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, sandbox.Config{Latency: 100 * time.Millisecond}, testOrders(200))
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			for sumMap(e.gw.Counters().Requests) < 10 {
				time.Sleep(5 * time.Millisecond)
			}
			cancel()
		}()
		eng := fastEngine
		eng.Concurrency = 4
		res, err := e.run(t, ctx, eng, nil)
		if !errors.Is(err, ErrInterrupted) || ExitStatus(err) != ExitInterrupted {
			t.Fatalf("err = %v, want ErrInterrupted (exit 130)", err)
		}
		if res.Status != reconcile.StatusInterrupted {
			t.Errorf("status %s, want interrupted", res.Status)
		}
		c := e.gw.Counters()
		// Every call that reached the gateway finished and was journaled: the
		// gateway holds exactly the declarations the run counts as declared.
		if c.Declarations.New != res.Counts.Declared {
			t.Errorf("gateway holds %d declarations, the run declared %d", c.Declarations.New, res.Counts.Declared)
		}
		if res.Counts.NotDeclared == 0 {
			t.Error("nothing was left undeclared; the interrupt came too late to prove anything")
		}
		reconciletest.AssertAccounting(t, res)
		assertJournalHealthy(t, e.journal)

		// The rerun completes the work.
		res2, err := e.run(t, context.Background(), eng, nil)
		if err != nil {
			t.Fatal(err)
		}
		if res2.Counts.AlreadyDeclared+res2.Counts.Declared != 200 {
			t.Errorf("after the rerun %d + %d declared, want 200", res2.Counts.AlreadyDeclared, res2.Counts.Declared)
		}
	})
}

func TestSecondRunIsRefusedWhileTheJournalIsHeld(t *testing.T) {
	e := newEnv(t, sandbox.Config{}, testOrders(2))
	id, err := e.journal.BeginRun(context.Background(), journal.RunStart{From: "2026-11-20", To: "2026-11-20"})
	if err != nil {
		t.Fatal(err)
	}
	other, err := journal.Open(context.Background(), e.journal.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	_, err = Run(context.Background(), Config{Window: e.window, Inputs: e.inputs, DefaultCustoms: "NINGBO"}, Deps{Platform: e.client, Journal: other})
	var le *journal.LockedError
	if !errors.As(err, &le) || ExitStatus(err) != ExitFailure || !strings.Contains(err.Error(), fmt.Sprintf("run %d", id)) {
		t.Fatalf("err = %v, want a *journal.LockedError naming run %d (exit 1)", err, id)
	}
	if n := sumMap(e.gw.Counters().Requests); n != 0 {
		t.Errorf("the refused run made %d calls", n)
	}
}

// BenchmarkDeclareThroughput declares 5,000 orders against the sandbox
// with 50 ms of latency at --qps 100 --concurrency 16 and reports the calls
// per second sustained from the first call to the last.
//
//	go test ./internal/batch -run '^$' -bench DeclareThroughput -benchtime 1x
func BenchmarkDeclareThroughput(b *testing.B) {
	const n = 5000
	for range b.N {
		b.StopTimer()
		cfg := sandbox.Config{AppKey: testAppKey, Secret: testSecret, Session: testSession, Latency: 50 * time.Millisecond}
		gw := sandbox.New(cfg)
		srv := httptest.NewServer(gw)
		dir := b.TempDir()
		x := testOrders(n)
		x.Clearance = nil
		in := reconciletest.WriteExports(b, dir, x)
		j, _ := journal.Open(context.Background(), filepath.Join(dir, "j.db"))
		c, _ := top.NewClient(top.WithGateway(srv.URL+"/router/rest"), top.WithAppKey(testAppKey), top.WithSecret(testSecret), top.WithSession(testSession))
		w, _ := cst.ParseWindow("2026-11-20", "", "", time.Now())
		var mu sync.Mutex
		var sent []time.Time
		b.StartTimer()
		res, err := Run(context.Background(), Config{Window: w, Inputs: in, DefaultCustoms: "NINGBO",
			Engine: dispatch.Config{QPS: 100, Concurrency: 16}, Progress: io.Discard,
			onSend: func(t time.Time) { mu.Lock(); sent = append(sent, t); mu.Unlock() }}, Deps{Platform: c, Journal: j})
		b.StopTimer()
		if err != nil || res.Counts.Declared != n {
			b.Fatalf("declared %d, err %v", res.Counts.Declared, err)
		}
		slices.SortFunc(sent, func(a, b time.Time) int { return a.Compare(b) })
		b.ReportMetric(float64(len(sent)-1)/sent[len(sent)-1].Sub(sent[0]).Seconds(), "calls/s")
		b.ReportMetric(float64(maxInWindow(gw.Arrivals(), time.Second)), "max-per-second-at-gateway")
		j.Close()
		srv.Close()
	}
}

func TestDailyQuotaEndsTheRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, sandbox.Config{DailyQuota: 5}, testOrders(40))
		res, err := e.run(t, context.Background(), fastEngine, nil)
		var fe *dispatch.FatalError
		if !errors.As(err, &fe) || ExitStatus(err) != ExitFailure || !strings.Contains(fe.Advice, "daily call quota") {
			t.Fatalf("err = %v, want the daily quota's fatal error (exit 1)", err)
		}
		if res.Counts.Declared > 5 || res.Counts.NotDeclared == 0 {
			t.Errorf("declared %d, not attempted %d; want at most the 5 the quota allows, and the rest left", res.Counts.Declared, res.Counts.NotDeclared)
		}
		if calls := sumMap(e.gw.Counters().Requests); calls > 5+fastEngine.Concurrency {
			t.Errorf("%d calls, want at most the quota and the calls in flight", calls)
		}
		reconciletest.AssertAccounting(t, res)
	})
}

func TestMaterialsCheckThroughTheEngine(t *testing.T) {
	id := func(i int) string { return fmt.Sprint(5118609024991000000 + i) }
	overrides := map[string]sandbox.Materials{
		id(1): {Name: "张三", ID: "11010519491231002X", Expiry: "20200101"},        // expired
		id(2): {Missing: true, ErrCode: "CERTIFY_NOT_FOUND", ErrMsg: "未找到清关材料"},  // none on the platform
		id(3): {Name: "张三", ID: "110105194912310021", Expiry: sandbox.Permanent}, // bad check character
		id(4): {Name: "张三", ID: "11010519491231002X", Expiry: sandbox.Permanent}, // fine
	}
	e := newEnv(t, sandbox.Config{Materials: overrides}, testOrders(6))
	res, err := Run(context.Background(), Config{Window: e.window, Inputs: e.inputs, DefaultCustoms: "NINGBO", Engine: fastEngine, CheckMaterials: true},
		Deps{Platform: e.client, Journal: e.journal})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"MATERIALS_INVALID " + id(1), "MATERIALS_INVALID " + id(2), "MATERIALS_INVALID " + id(3)}
	var got []string
	for _, x := range res.Exceptions {
		if x.Code == reconcile.MaterialsInvalid {
			got = append(got, fmt.Sprintf("%s %s", x.Code, x.OrderID))
			if strings.Contains(x.Message, "11010519491231002X") || strings.Contains(x.Message, "张三") {
				t.Errorf("message shows personal data: %s", x.Message)
			}
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("materials exceptions = %q, want %q", got, want)
	}
	if res.Counts.Eligible != 3 || res.Counts.Declared != 3 {
		t.Errorf("eligible %d, declared %d; want 3 and 3 (the invalid ones leave the eligible orders)", res.Counts.Eligible, res.Counts.Declared)
	}
	for _, i := range []int{1, 2, 3} {
		if _, ok := e.gw.Declaration(id(i)); ok {
			t.Errorf("order %s was declared despite invalid materials", id(i))
		}
	}
	if c := e.gw.Counters(); c.Materials.Served+c.Materials.Missing != 6 {
		t.Errorf("materials calls: %+v, want 6", c.Materials)
	}
	reconciletest.AssertAccounting(t, res)
	msg := reconciletest.FirstException(res, reconcile.MaterialsInvalid).Message
	if !strings.Contains(msg, "1101**********002X 已于 2020-01-01 过期") {
		t.Errorf("expired message = %q", msg)
	}
}

// panickyReport is a workbook writer with a bug.
type panickyReport struct{ noHandlings }

func (panickyReport) Prepare(target string, _ cst.Window, _ bool) (string, error) { return target, nil }

func (panickyReport) Write(context.Context, string, *reconcile.Result) error {
	panic("a bug in the workbook writer")
}

func TestAPanicIsAFailedRunNotACrash(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, sandbox.Config{}, testOrders(3))
		res, err := Run(context.Background(), Config{Window: e.window, Inputs: e.inputs, DefaultCustoms: "NINGBO", Engine: fastEngine,
			ReportPath: filepath.Join(t.TempDir(), "r.xlsx")}, Deps{Platform: e.client, Journal: e.journal, Report: panickyReport{}})
		var pe *reconcile.PanicError
		if !errors.As(err, &pe) || ExitStatus(err) != ExitFailure || res.Status != reconcile.StatusFailed {
			t.Fatalf("err = %v, status %s; want a *PanicError, failed, exit 1", err, res.Status)
		}
		runs, _ := e.journal.Runs(context.Background(), 1)
		if len(runs) != 1 || runs[0].Status != journal.RunFailed || !strings.Contains(runs[0].Error, "panic") {
			t.Errorf("journal run = %+v, want failed with the panic", runs)
		}
		if res.Counts.Declared != 3 {
			t.Errorf("declared %d, want 3: the panic came after the work", res.Counts.Declared)
		}
	})
}

// panicky is a platform whose calls of one API panic.
type panicky struct {
	Platform
	method string
}

func (p panicky) ClearanceDeclareWechat(ctx context.Context, req top.WechatPayValidateReq) (*top.ClearanceDeclareWechatResponse, error) {
	if p.method == top.MethodClearanceDeclareWechat {
		panic("declaring " + req.OrderID)
	}
	return p.Platform.ClearanceDeclareWechat(ctx, req)
}

func (p panicky) ClearanceInfoSend(ctx context.Context, req top.OrderClearanceInfoRequest) (*top.ClearanceInfoSendResponse, error) {
	if p.method == top.MethodClearanceInfoSend {
		panic("sending " + req.Idempotent)
	}
	return p.Platform.ClearanceInfoSend(ctx, req)
}

// A panic while working on one record is that record's failure, filed
// under its own phase's code, and the accounting still adds up.
func TestAPanicInARecordIsThatPhasesError(t *testing.T) {
	for _, tt := range []struct {
		method string
		want   reconcile.Code
	}{
		{top.MethodClearanceDeclareWechat, reconcile.DeclareError},
		{top.MethodClearanceInfoSend, reconcile.CallbackError},
	} {
		t.Run(tt.method, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newEnv(t, sandbox.Config{}, testOrders(4))
				res, err := e.run(t, context.Background(), fastEngine, panicky{e.client, tt.method})
				if err != nil {
					t.Fatalf("Run: %v", err)
				}
				reconciletest.AssertAccounting(t, res)
				if res.ByCode[tt.want] != 4 {
					t.Errorf("%s = %d, want 4 (one per record): %v", tt.want, res.ByCode[tt.want], res.ByCode)
				}
				for _, e := range res.Exceptions {
					if !strings.Contains(e.Message, "内部错误") {
						t.Errorf("%s %s: message %q does not say it is an internal error", e.Code, e.OrderID, e.Message)
					}
				}
			})
		})
	}
}

func TestRejectionsSayWhatToDo(t *testing.T) {
	rejections := func(cfg sandbox.Config) (*reconcile.Result, []string) {
		e := newEnv(t, cfg, testOrders(3))
		res, err := e.run(t, context.Background(), fastEngine, nil)
		if err != nil {
			t.Fatal(err)
		}
		var msgs []string
		for _, x := range res.Exceptions {
			if x.Code == reconcile.DeclareRejected {
				msgs = append(msgs, x.PlatformCode+": "+x.Message)
			}
		}
		return res, msgs
	}
	_, msgs := rejections(sandbox.Config{FailCustoms: []string{"NINGBO"}})
	if len(msgs) != 3 {
		t.Fatalf("NO_AUTH rejections: %q", msgs)
	}
	for _, m := range msgs {
		if !strings.HasPrefix(m, "NO_AUTH: ") || !strings.Contains(m, "商户尚未在海关 NINGBO 备案") {
			t.Errorf("NO_AUTH: %s", m)
		}
	}
	res, msgs := rejections(sandbox.Config{ExceptOrders: []string{"5118609024991000001"}})
	if len(msgs) != 1 || !strings.Contains(msgs[0], "海关接口异常，与订单数据无关") {
		t.Errorf("EXCEPT: %q", msgs)
	}
	for _, d := range res.Declarations {
		if d.RequestID == "" {
			t.Errorf("declaration %s has no request id", d.OrderID)
		}
	}
	for _, c := range res.Callbacks {
		if c.RequestID == "" || c.Outcome != reconcile.OutcomeDone {
			t.Errorf("callback %s: outcome %s, request id %q", c.Idempotent, c.Outcome, c.RequestID)
		}
	}
}

// BenchmarkLoad20k declares 20,000 orders against the sandbox with 50 ms of
// latency at --qps 200 --concurrency 32, and reports the calls per second
// sustained from the first call to the last, and the most calls in any
// one-second window, where they are sent and where the gateway sees them.
// It fails if a second of sends ever holds more than 200.
//
//	go test ./internal/batch -run '^$' -bench Load20k -benchtime 1x
func BenchmarkLoad20k(b *testing.B) {
	const n, qps = 20_000, 200
	for range b.N {
		b.StopTimer()
		gw := sandbox.New(sandbox.Config{AppKey: testAppKey, Secret: testSecret, Session: testSession, Latency: 50 * time.Millisecond})
		srv := httptest.NewServer(gw)
		dir := b.TempDir()
		x := testOrders(n)
		x.Clearance = nil
		in := reconciletest.WriteExports(b, dir, x)
		j, err := journal.Open(context.Background(), filepath.Join(dir, "j.db"))
		if err != nil {
			b.Fatal(err)
		}
		c, _ := top.NewClient(top.WithGateway(srv.URL+"/router/rest"), top.WithAppKey(testAppKey), top.WithSecret(testSecret), top.WithSession(testSession))
		w, _ := cst.ParseWindow("2026-11-20", "", "", time.Now())
		var mu sync.Mutex
		var sent []time.Time
		cfg := Config{Window: w, Inputs: in, DefaultCustoms: "NINGBO", Engine: dispatch.Config{QPS: qps, Concurrency: 32},
			onSend: func(t time.Time) { mu.Lock(); sent = append(sent, t); mu.Unlock() }}
		b.StartTimer()
		res, err := Run(context.Background(), cfg, Deps{Platform: c, Journal: j})
		b.StopTimer()
		if err != nil || res.Counts.Declared != n {
			b.Fatalf("declared %d, err %v", res.Counts.Declared, err)
		}
		slices.SortFunc(sent, func(a, b time.Time) int { return a.Compare(b) })
		sustained := float64(len(sent)-1) / sent[len(sent)-1].Sub(sent[0]).Seconds()
		atSend, atGateway := maxInWindow(sent, time.Second), maxInWindow(gw.Arrivals(), time.Second)
		b.ReportMetric(sustained, "calls/s")
		b.ReportMetric(float64(atSend), "max-per-second-sent")
		b.ReportMetric(float64(atGateway), "max-per-second-at-gateway")
		if atSend > qps {
			b.Errorf("%d calls sent within one second, want at most %d", atSend, qps)
		}
		j.Close()
		srv.Close()
	}
}

// failingReport is a workbook writer whose write fails (a full disk).
type failingReport struct{ noHandlings }

func (failingReport) Prepare(target string, _ cst.Window, _ bool) (string, error) { return target, nil }

func (failingReport) Write(context.Context, string, *reconcile.Result) error {
	return errors.New("no space left on device")
}

// A workbook that could not be written is named nowhere: not in the
// result, not in the journal's record of the run, not in the summary.
func TestAFailedWorkbookIsNamedNowhere(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, sandbox.Config{}, testOrders(3))
		dir := t.TempDir()
		summary := filepath.Join(dir, "summary.json")
		res, err := Run(context.Background(), Config{Window: e.window, Inputs: e.inputs, DefaultCustoms: "NINGBO", Engine: fastEngine,
			ReportPath: filepath.Join(dir, "r.xlsx"), SummaryPath: summary}, Deps{Platform: e.client, Journal: e.journal, Report: failingReport{}})
		if ExitStatus(err) != ExitFailure || res.Workbook != "" || res.Status != reconcile.StatusFailed {
			t.Fatalf("err %v, workbook %q, status %s; want exit 1, none, failed", err, res.Workbook, res.Status)
		}
		runs, _ := e.journal.Runs(context.Background(), 1)
		if len(runs) != 1 || runs[0].ReportPath != "" {
			t.Errorf("the journal names the workbook %q, want none", runs[0].ReportPath)
		}
		b, _ := os.ReadFile(summary)
		var s Summary
		if json.Unmarshal(b, &s) != nil || s.Report != "" || s.ExitStatus != ExitFailure {
			t.Errorf("summary: report %q, exit %d; want none, 1", s.Report, s.ExitStatus)
		}
	})
}

// A workbook or summary that cannot be written is found before anything is
// read or called: a configuration error (exit 2), recorded in the journal.
func TestPreflightFailsBeforeAnyCall(t *testing.T) {
	e := newEnv(t, sandbox.Config{}, testOrders(3))
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain")
	os.WriteFile(plain, nil, 0o644)
	for name, cfg := range map[string]Config{
		"workbook": {ReportPath: filepath.Join(plain, "out") + "/"},
		"summary":  {SummaryPath: filepath.Join(plain, "summary.json")},
	} {
		cfg.Window, cfg.Inputs, cfg.DefaultCustoms, cfg.Engine = e.window, e.inputs, "NINGBO", fastEngine
		res, err := Run(context.Background(), cfg, Deps{Platform: e.client, Journal: e.journal, Report: &stubReport{}})
		var pe *PreflightError
		if !errors.As(err, &pe) || ExitStatus(err) != ExitUsage || res.Status != reconcile.StatusFailed {
			t.Errorf("%s: err %v, status %s; want a preflight error, exit 2", name, err, res.Status)
		}
		if n := sumMap(e.gw.Counters().Requests); n != 0 || len(res.Inputs) != 0 {
			t.Errorf("%s: %d calls and %d inputs read before the preflight failed", name, n, len(res.Inputs))
		}
		runs, _ := e.journal.Runs(context.Background(), 1)
		if len(runs) == 0 || runs[0].Status != journal.RunFailed || runs[0].ExitCode != ExitUsage || !strings.Contains(runs[0].Error, "preflight") {
			t.Errorf("%s: the journal holds %+v, want a failed run with exit 2", name, runs)
		}
	}
}

// stubReport prepares as the real writer does, with a directory that must
// be creatable, and writes nothing.
type stubReport struct{ noHandlings }

func (stubReport) Prepare(target string, w cst.Window, dryRun bool) (string, error) {
	if err := os.MkdirAll(target, 0o755); err != nil {
		return "", err
	}
	return filepath.Join(target, "r.xlsx"), nil
}

func (stubReport) Write(context.Context, string, *reconcile.Result) error { return nil }

// A bill that does not tie out holds back every declaration (the callbacks
// still go) and fails the run; --allow-bill-mismatch declares anyway.
func TestABillThatDoesNotTieOutDeclaresNothing(t *testing.T) {
	var rows []reconciletest.BillRow
	x := testOrders(6)
	for i := range 6 {
		rows = append(rows, reconciletest.BillRow{At: fmt.Sprintf("2026-11-20 00:00:%02d", i), Tx: fmt.Sprintf("42000000002026112%011d", i),
			Order: fmt.Sprint(5118609024991000000 + i), Status: "SUCCESS", Amount: int64(1000 + i + 50)})
	}
	// The bill's summary still counts a seventh payment, deleted since.
	x.Payments = nil
	x.Bills = []string{reconciletest.WeChatBill(rows, func(f *ingest.BillFigures) { f.Trades++ })}
	for _, allow := range []bool{false, true} {
		t.Run(fmt.Sprint("allow=", allow), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := newEnv(t, sandbox.Config{}, x)
				res, err := Run(context.Background(), Config{Window: e.window, Inputs: e.inputs, DefaultCustoms: "NINGBO", Engine: fastEngine,
					AllowBillMismatch: allow}, Deps{Platform: e.client, Journal: e.journal})
				reconciletest.AssertAccounting(t, res)
				if res.ByCode[reconcile.BillMismatch] != 1 || res.Counts.CallbacksSent != 6 {
					t.Errorf("BILL_MISMATCH %d, callbacks sent %d; want 1 and 6", res.ByCode[reconcile.BillMismatch], res.Counts.CallbacksSent)
				}
				declared := e.gw.Counters().Declarations.New
				switch {
				case !allow && (!errors.Is(err, ErrBillMismatch) || ExitStatus(err) != ExitFailure || declared != 0 || res.Counts.HeldBack != 6):
					t.Errorf("err %v, %d declared, held back %d; want ErrBillMismatch (exit 1), none declared, 6 held back", err, declared, res.Counts.HeldBack)
				case !allow && !strings.Contains(res.Reason, "--allow-bill-mismatch"):
					t.Errorf("reason %q does not say what to do", res.Reason)
				case !allow && !strings.Contains(res.Reason, "bill1.csv section 1 (summary on line 9): 总交易单数 7 in the summary, 6 in the rows"):
					t.Errorf("reason %q does not say which bill and what differs", res.Reason)
				case allow && !strings.Contains(reconciletest.FirstException(res, reconcile.BillMismatch).WhatToDo(), "照常申报"):
					t.Errorf("allowed: the BILL_MISMATCH says to do %q; want it to say the orders were declared", reconciletest.FirstException(res, reconcile.BillMismatch).WhatToDo())
				case allow && (err != nil || declared != 6 || res.Counts.HeldBack != 0 || res.Money.Declared.Count != 6):
					t.Errorf("allowed: err %v, %d declared, money declared %+v; want all 6", err, declared, res.Money.Declared)
				}
			})
		})
	}
}

// noHandlings is a report writer's Handlings that finds no earlier notes.
type noHandlings struct{}

func (noHandlings) Handlings(string, cst.Window, string) ([]reconcile.Handlings, []reconcile.Note, error) {
	return nil, nil, nil
}

// csvReport is a workbook writer that puts the orders in a CSV beside the
// workbook, as report.Writer does for a window of more than 200,000.
type csvReport struct{ stubReport }

func (csvReport) OrdersCSV(path string, _ *reconcile.Result) string { return path + ".orders.csv" }

// The CSV of the orders beside the workbook is named by the result and
// the summary (orders_csv); a run whose workbook failed names neither.
func TestTheOrdersCSVIsNamed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, sandbox.Config{}, testOrders(3))
		dir := t.TempDir()
		summary := filepath.Join(dir, "summary.json")
		res, err := Run(context.Background(), Config{Window: e.window, Inputs: e.inputs, DefaultCustoms: "NINGBO", Engine: fastEngine,
			ReportPath: filepath.Join(dir, "out") + "/", SummaryPath: summary}, Deps{Platform: e.client, Journal: e.journal, Report: csvReport{}})
		want := filepath.Join(dir, "out", "r.xlsx.orders.csv")
		if err != nil || res.OrdersCSV != want {
			t.Fatalf("err %v, orders CSV %q; want %q", err, res.OrdersCSV, want)
		}
		b, _ := os.ReadFile(summary)
		var s Summary
		if err := json.Unmarshal(b, &s); err != nil || s.OrdersCSV != want || !bytes.Contains(b, []byte(`"orders_csv":`)) {
			t.Errorf("summary: orders_csv %q (%v); want %q", s.OrdersCSV, err, want)
		}
	})
}
