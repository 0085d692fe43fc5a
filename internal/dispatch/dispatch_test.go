package dispatch

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/crossborder/reconcile/internal/top"
)

// Every test runs in a synctest bubble: time is fake and advances only
// when every goroutine of the bubble is blocked, so waits of seconds take
// no real time and their lengths are exact.

const method = top.MethodClearanceDeclareWechat

// Errors as the TOP client returns them.
var (
	errTransport = &top.Error{Method: method, Err: errors.New("connection reset by peer")}
	errISP       = &top.Error{Method: method, Code: top.CodeRemoteServiceError, SubCode: "isp.remote-service-error"}
	errReject    = &top.Error{Method: method, Code: top.CodeRemoteServiceError, SubCode: "isv.invalid-parameter"}
	errSignature = &top.Error{Method: method, Code: top.CodeInvalidSignature, Msg: "Invalid signature"}
	errQuota     = &top.Error{Method: method, Code: top.CodeAppCallLimited, SubCode: top.SubCodeAppAccessLimited,
		SubMsg: "This ban will last for 31062 more seconds"}
	errBusiness = &top.BusinessError{Method: method, Code: "NO_AUTH", Msg: "商户未在当前申报的海关进行备案"}
)

func ban(seconds int) error {
	return &top.Error{Method: method, Code: top.CodeAppCallLimited, SubCode: top.SubCodeAPIAccessLimited,
		SubMsg: fmt.Sprintf("This ban will last for %d more seconds", seconds)}
}

// fake is a platform call: it records when each call was made and answers
// with the errors of script in turn (nil for success), then successes.
type fake struct {
	mu      sync.Mutex
	script  []error
	latency time.Duration
	calls   []time.Time
}

func (f *fake) call(ctx context.Context) error {
	f.mu.Lock()
	f.calls = append(f.calls, time.Now())
	var err error
	if len(f.script) > 0 {
		err, f.script = f.script[0], f.script[1:]
	}
	f.mu.Unlock()
	if f.latency > 0 {
		select {
		case <-time.After(f.latency):
		case <-ctx.Done():
			return &top.Error{Method: method, Err: ctx.Err()}
		}
	}
	return err
}

func (f *fake) times() []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

func newTest(cfg Config, records int) *Dispatcher {
	if cfg.QPS == 0 {
		cfg.QPS = 1000
	}
	return New(cfg.WithDefaults(records), nil)
}

func TestDoClassifiesEachOutcome(t *testing.T) {
	tests := []struct {
		name      string
		script    []error
		wantErr   error // nil: success
		wantCalls int
		wantFatal bool
	}{
		{"success", nil, nil, 1, false},
		{"transport failures are retried", []error{errTransport, errTransport}, nil, 3, false},
		{"isp failures are retried", []error{errISP, errISP, errISP}, nil, 4, false},
		{"attempts are bounded", []error{errISP, errISP, errISP, errISP, errISP}, errISP, 4, false},
		{"a rejection returns at once", []error{errReject}, errReject, 1, false},
		{"a business refusal returns at once", []error{errBusiness}, errBusiness, 1, false},
		{"a bad signature stops the run", []error{errSignature}, errSignature, 1, true},
		{"the daily quota stops the run", []error{errQuota}, errQuota, 1, true},
		{"a short ban is waited out, not counted", []error{ban(2), ban(2), errISP, errISP, errISP}, nil, 6, false},
		{"a ban longer than MaxBan stops the run", []error{ban(3600)}, nil, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				d := newTest(Config{BackoffBase: 100 * time.Millisecond, BackoffMax: time.Second, MaxBan: 10 * time.Minute}, 10)
				f := &fake{script: slices.Clone(tt.script)}
				var a Attempts
				start := time.Now()
				err := d.Do(context.Background(), &a, f.call)
				switch {
				case tt.wantErr == nil && !tt.wantFatal && err != nil:
					t.Fatalf("Do = %v, want success", err)
				case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
					t.Fatalf("Do = %v, want %v", err, tt.wantErr)
				}
				if got := len(f.times()); got != tt.wantCalls || a.Count != tt.wantCalls {
					t.Errorf("got %d calls (Attempts.Count %d), want %d", got, a.Count, tt.wantCalls)
				}
				if st := d.Stats(); st.Calls != tt.wantCalls || st.Retries != tt.wantCalls-1 {
					t.Errorf("Stats = %+v, want %d calls, %d retries", st, tt.wantCalls, tt.wantCalls-1)
				}
				var fe *FatalError
				if got := errors.As(d.Err(context.Background()), &fe); got != tt.wantFatal {
					t.Fatalf("run stopped: %v (%v), want %v", got, d.Err(context.Background()), tt.wantFatal)
				}
				if tt.wantFatal && fe.Advice == "" {
					t.Errorf("a fatal stop without advice: %v", fe)
				}
				if !a.First.Equal(start) || a.Last.Before(a.First) {
					t.Errorf("attempts from %v to %v, want from %v", a.First, a.Last, start)
				}
			})
		})
	}
}

func TestBackoffIsExponentialWithFullJitterAndCapped(t *testing.T) {
	d := newTest(Config{BackoffBase: 200 * time.Millisecond, BackoffMax: 5 * time.Second}, 10)
	for n, want := range map[int]time.Duration{1: 200 * time.Millisecond, 2: 400 * time.Millisecond, 3: 800 * time.Millisecond, 6: 5 * time.Second, 40: 5 * time.Second} {
		var most time.Duration
		for range 2000 {
			b := d.backoff(n)
			if b < 0 || b > want {
				t.Fatalf("backoff(%d) = %v, want within [0, %v]", n, b, want)
			}
			most = max(most, b)
		}
		if most < want*9/10 {
			t.Errorf("backoff(%d): the largest of 2000 draws is %v, want near %v (full jitter)", n, most, want)
		}
	}
}

func TestRetriesWaitTheirBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := newTest(Config{BackoffBase: time.Second, BackoffMax: 8 * time.Second, MaxAttempts: 4}, 10)
		f := &fake{script: []error{errISP, errISP, errISP}}
		if err := d.Do(context.Background(), &Attempts{}, f.call); err != nil {
			t.Fatal(err)
		}
		ts := f.times()
		for i, bound := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second} {
			if gap := ts[i+1].Sub(ts[i]); gap > bound {
				t.Errorf("retry %d came %v after the call before, want at most %v", i+1, gap, bound)
			}
		}
	})
}

func TestTheRetryBudgetIsRunWide(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := newTest(Config{RetryBudget: 3, MaxAttempts: 10, BackoffBase: time.Millisecond}, 0)
		f := &fake{script: slices.Repeat([]error{errISP}, 100)}
		var failed int
		for range 5 {
			if err := d.Do(context.Background(), &Attempts{}, f.call); err != nil {
				failed++
			}
		}
		if got := len(f.times()); got != 5+3 {
			t.Errorf("%d calls for 5 records with a budget of 3 retries, want 8", got)
		}
		if failed != 5 {
			t.Errorf("%d records failed, want 5", failed)
		}
	})
}

func TestPermanentEndsARecordUnwrapped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := newTest(Config{}, 1)
		conflict := errors.New("declared before with other data")
		calls := 0
		err := d.Do(context.Background(), &Attempts{}, func(context.Context) error { calls++; return Permanent(conflict) })
		if err != conflict || calls != 1 {
			t.Errorf("Do = %v after %d calls, want the error itself after 1", err, calls)
		}
	})
}

func TestAFatalErrorFromTheCallerStopsTheRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := newTest(Config{}, 1)
		journal := &FatalError{Err: errors.New("disk full"), Advice: "check the disk"}
		err := d.Do(context.Background(), &Attempts{}, func(context.Context) error { return journal })
		if !errors.Is(err, journal) || d.Err(context.Background()) != journal {
			t.Fatalf("Do = %v, Err = %v; want the caller's fatal error", err, d.Err(context.Background()))
		}
		calls := 0
		err = d.Do(context.Background(), &Attempts{}, func(context.Context) error { calls++; return nil })
		if !errors.Is(err, ErrStopped) || calls != 0 {
			t.Errorf("after the stop: Do = %v with %d calls, want ErrStopped and none", err, calls)
		}
	})
}

func TestStoppedBeforeTheCallIsNotAnAttempt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := newTest(Config{BackoffBase: time.Millisecond}, 1)
		n := 0
		var a Attempts
		err := d.Do(context.Background(), &a, func(context.Context) error {
			if n++; n == 1 {
				return errISP
			}
			return ErrStopped // the bookkeeping found the run stopping
		})
		if !errors.Is(err, errISP) || a.Count != 1 || d.Stats().Calls != 1 || d.Stats().Retries != 0 {
			t.Errorf("Do = %v, attempts %d, stats %+v; want the last real failure, 1 attempt, 1 call, 0 retries", err, a.Count, d.Stats())
		}
	})
}

func TestTheBreakerTripsOnConsecutiveTransportFailures(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := newTest(Config{BreakerThreshold: 5, MaxAttempts: 2, BackoffBase: time.Millisecond}, 100)
		f := &fake{script: slices.Repeat([]error{errTransport}, 100)}
		records := 0
		for d.Err(context.Background()) == nil {
			d.Do(context.Background(), &Attempts{}, f.call)
			records++
		}
		var fe *FatalError
		if !errors.As(d.Err(context.Background()), &fe) || !strings.Contains(fe.Advice, "unreachable") {
			t.Fatalf("Err = %v, want the breaker's fatal error", d.Err(context.Background()))
		}
		if got := len(f.times()); got != 5 {
			t.Errorf("%d calls before the breaker tripped, want 5", got)
		}
	})
	// A success or a platform answer in between resets the count.
	synctest.Test(t, func(t *testing.T) {
		d := newTest(Config{BreakerThreshold: 3, MaxAttempts: 1}, 100)
		f := &fake{script: []error{errTransport, errTransport, errReject, errTransport, errTransport, nil, errTransport, errTransport}}
		for range 8 {
			d.Do(context.Background(), &Attempts{}, f.call)
		}
		if err := d.Err(context.Background()); err != nil {
			t.Errorf("the breaker tripped on failures that were not consecutive: %v", err)
		}
	})
}

func TestABanPausesEveryCall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// 8 workers; the first answer bans for 3 s. Every worker must then
		// wait: no call may start until the ban is over.
		d := newTest(Config{Concurrency: 8, QPS: 100}, 40)
		f := &fake{script: []error{ban(3)}, latency: 20 * time.Millisecond}
		var g errgroup.Group
		g.SetLimit(8)
		for range 40 {
			g.Go(func() error { return d.Do(context.Background(), &Attempts{}, f.call) })
		}
		if err := g.Wait(); err != nil {
			t.Fatal(err)
		}
		ts := f.times()
		banAnswered := ts[0].Add(f.latency)
		for _, at := range ts[1:] {
			// Calls already past the gate when the ban answer came in may
			// still go; none may start later and before the ban ends.
			if at.After(banAnswered) && at.Before(banAnswered.Add(3*time.Second)) {
				t.Errorf("a call started %v after the ban answer, during the 3 s ban", at.Sub(banAnswered))
			}
		}
		if len(ts) != 41 {
			t.Errorf("%d calls, want 41 (the banned one is retried)", len(ts))
		}
	})
}

func TestARecordBannedForeverGivesUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := newTest(Config{}, 1)
		f := &fake{script: slices.Repeat([]error{ban(1)}, 1000)}
		err := d.Do(context.Background(), &Attempts{}, f.call)
		if err == nil || len(f.times()) != maxBanWaits+1 {
			t.Errorf("Do = %v after %d calls, want a ban error after %d", err, len(f.times()), maxBanWaits+1)
		}
	})
}

func TestTheRateStaysUnderQPS(t *testing.T) {
	for _, qps := range []float64{5, 100, 400} {
		t.Run(fmt.Sprint(qps), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var sent []time.Time
				var mu sync.Mutex
				d := newTest(Config{Concurrency: 64, QPS: qps, OnSend: func(at time.Time) { mu.Lock(); sent = append(sent, at); mu.Unlock() }}, 0)
				f := &fake{latency: 35 * time.Millisecond}
				n := int(qps) * 5
				start := time.Now()
				var g errgroup.Group
				g.SetLimit(64)
				for range n {
					g.Go(func() error {
						return d.Do(context.Background(), &Attempts{}, func(ctx context.Context) error {
							// Bookkeeping between the token and the send (a
							// journal write) takes a varying time and bunches
							// the sends; the window must still hold.
							time.Sleep(time.Duration(rand.IntN(80)) * time.Millisecond)
							if err := d.Send(ctx); err != nil {
								return err
							}
							return f.call(ctx)
						})
					})
				}
				g.Wait()
				elapsed := time.Since(start)
				if got := maxInWindow(sent, time.Second); got > int(qps) {
					t.Errorf("%d sends within one second, want at most %g", got, qps)
				}
				if got := maxInWindow(f.times(), time.Second); got > int(qps) {
					t.Errorf("%d calls within one second, want at most %g", got, qps)
				}
				// The headroom costs 3%: n calls take about n/QPS × 1.03 s.
				if rate := float64(n) / elapsed.Seconds(); rate < qps*0.94 {
					t.Errorf("%.1f calls a second, want close to %g", rate, qps)
				}
			})
		})
	}
}

func TestAnInterruptLetsCallsInFlightFinish(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := newTest(Config{Concurrency: 4, DrainTimeout: 20 * time.Second}, 10)
		ctx, cancel := context.WithCancel(context.Background())
		started := make(chan struct{}, 10)
		var finished, cut, notAttempted int
		var mu sync.Mutex
		var record func(i int) error
		var g errgroup.Group
		g.SetLimit(4)
		record = func(i int) error {
			err := d.Do(ctx, &Attempts{}, func(call context.Context) error {
				started <- struct{}{}
				// Two calls outlast the drain bound.
				took := 5 * time.Second
				if i < 2 {
					took = time.Minute
				}
				select {
				case <-time.After(took):
					return nil
				case <-call.Done():
					return &top.Error{Method: method, Err: call.Err()}
				}
			})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				finished++
			case errors.Is(err, ErrStopped):
				notAttempted++
			default:
				cut++
			}
			return nil
		}
		queued := make(chan struct{})
		go func() {
			defer close(queued)
			for i := range 10 {
				g.Go(func() error { return record(i) })
			}
		}()
		for range 4 {
			<-started
		}
		cancel()
		interrupted := time.Now()
		<-queued
		g.Wait()
		if got := time.Since(interrupted); got != 20*time.Second {
			t.Errorf("the run ended %v after the interrupt, want the 20 s drain bound", got)
		}
		if finished != 2 || cut != 2 || notAttempted != 6 {
			t.Errorf("%d finished, %d cut short, %d not attempted; want 2, 2, 6", finished, cut, notAttempted)
		}
		if !errors.Is(d.Err(ctx), context.Canceled) {
			t.Errorf("Err = %v, want the interrupt", d.Err(ctx))
		}
	})
}

func TestAStopEndsTheWaits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := newTest(Config{QPS: 1}, 10)
		// The first call takes the token; the next wait for a second, and a
		// stop must end their wait at once.
		d.Do(context.Background(), &Attempts{}, func(context.Context) error { return nil })
		done := make(chan error)
		go func() { done <- d.Do(context.Background(), &Attempts{}, func(context.Context) error { return nil }) }()
		synctest.Wait()
		d.Stop(errSignature)
		if err := <-done; !errors.Is(err, ErrStopped) {
			t.Errorf("a waiting record got %v, want ErrStopped", err)
		}
		var fe *FatalError
		if !errors.As(d.Err(context.Background()), &fe) || !strings.Contains(fe.Advice, "TOP_APP_SECRET") {
			t.Errorf("Err = %v, want the signature's advice", d.Err(context.Background()))
		}
		// The first stop wins.
		d.Stop(errQuota)
		if !errors.Is(d.Err(context.Background()), errSignature) {
			t.Errorf("a second Stop replaced the first: %v", d.Err(context.Background()))
		}
	})
}

func TestFatalAdviceNamesWhatToFix(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{errSignature, "TOP_APP_SECRET"},
		{&top.Error{Code: top.CodeInvalidSession}, "re-authorise"},
		{&top.Error{Code: top.CodeInvalidAppKey}, "--app-key"},
		{&top.Error{Code: top.CodeInvalidTimestamp}, "NTP"},
		{&top.Error{Code: top.CodeInsufficientISVPerm, Method: method}, "whitelist"},
		{errQuota, "daily call quota"},
		{&top.Error{Code: 99, Msg: "odd"}, "code 99 odd"},
		{errors.New("not a platform error"), "cannot go on"},
	}
	for _, tt := range tests {
		if got := fatalAdvice(tt.err); !strings.Contains(got, tt.want) {
			t.Errorf("fatalAdvice(%v) = %q, want it to mention %q", tt.err, got, tt.want)
		}
	}
}

// A call that passed the gate before a ban answer came in, and is still
// doing its bookkeeping, must not leave until the ban ends: once a ban
// answer is in, no call is sent during the ban.
func TestNoCallIsSentDuringABan(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var sent []time.Time
		d := newTest(Config{Concurrency: 8, QPS: 200, OnSend: func(at time.Time) { mu.Lock(); sent = append(sent, at); mu.Unlock() }}, 40)
		f := &fake{script: []error{ban(3)}, latency: 10 * time.Millisecond}
		var g errgroup.Group
		g.SetLimit(8)
		for range 40 {
			g.Go(func() error {
				return d.Do(context.Background(), &Attempts{}, func(ctx context.Context) error {
					time.Sleep(40 * time.Millisecond) // the journal entry, between the gate and the send
					if err := d.Send(ctx); err != nil {
						return err
					}
					return f.call(ctx)
				})
			})
		}
		if err := g.Wait(); err != nil {
			t.Fatal(err)
		}
		banAnswered := f.times()[0].Add(f.latency)
		for _, at := range sent {
			if at.After(banAnswered) && at.Before(banAnswered.Add(3*time.Second)) {
				t.Errorf("a call was sent %v after the ban answer, during the 3 s ban", at.Sub(banAnswered))
			}
		}
		if st := d.Stats(); st.Bans != 1 || st.Banned < 3*time.Second || st.Banned > 3*time.Second+banJitter {
			t.Errorf("stats %+v, want 1 ban of 3 s and its jitter", st)
		}
	})
}

// Once the run's bans add up to MaxBanWait, the run stops: what is left
// is not attempted, and the advice says to lower --qps or run later.
func TestTheBanBudgetEndsARunThatKeepsBeingBanned(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := newTest(Config{Concurrency: 4, MaxBanWait: time.Minute}, 100)
		f := &fake{script: slices.Repeat([]error{ban(10)}, 1000)}
		var g errgroup.Group
		g.SetLimit(4)
		var stopped atomic.Int64
		start := time.Now()
		for range 100 {
			g.Go(func() error {
				if err := d.Do(context.Background(), &Attempts{}, f.call); errors.Is(err, ErrStopped) {
					stopped.Add(1)
				}
				return nil
			})
		}
		g.Wait()
		var fe *FatalError
		if err := d.Err(context.Background()); !errors.As(err, &fe) || !errors.Is(err, ErrBanBudget) ||
			!strings.Contains(fe.Advice, "--qps") || !strings.Contains(fe.Advice, "--max-ban-wait 1m0s") {
			t.Fatalf("Err = %v, want the ban budget's fatal error with its advice", err)
		}
		// Six bans of 10 s (and their jitter) reach the minute.
		if took := time.Since(start); took < time.Minute-10*time.Second || took > time.Minute+time.Second {
			t.Errorf("the run stopped after %v of bans, want about the 1 m budget", took)
		}
		if st := d.Stats(); st.Bans < 6 || st.Banned < time.Minute {
			t.Errorf("stats %+v, want 6 or more bans adding up to a minute", st)
		}
		if stopped.Load() < 90 {
			t.Errorf("%d records not attempted, want nearly all 100", stopped.Load())
		}
	})
}

func TestOverlappingBansCountOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var b banGate
		if added, total := b.extend(10 * time.Second); added != 10*time.Second || total != 10*time.Second {
			t.Fatalf("first ban: added %v, total %v", added, total)
		}
		time.Sleep(4 * time.Second)
		if added, total := b.extend(5 * time.Second); added != 0 || total != 10*time.Second {
			t.Errorf("a ban inside the one in force: added %v, total %v; want 0, 10s", added, total)
		}
		if added, total := b.extend(8 * time.Second); added != 2*time.Second || total != 12*time.Second {
			t.Errorf("a ban that outlasts it: added %v, total %v; want 2s, 12s", added, total)
		}
		time.Sleep(20 * time.Second)
		if added, total := b.extend(time.Second); added != time.Second || total != 13*time.Second {
			t.Errorf("a later ban: added %v, total %v; want 1s, 13s", added, total)
		}
		if n, _ := b.stats(); n != 2 {
			t.Errorf("%d bans, want 2 (the overlapping ones are one)", n)
		}
	})
}
