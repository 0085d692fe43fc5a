package dispatch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/crossborder/reconcile/internal/top"
)

// EngineConfig bounds how a run calls the platform. Zero fields take the
// defaults shown.
type Config struct {
	Concurrency      int           // calls in flight at once (8)
	QPS              float64       // calls per second, every call of the run together (20)
	MaxAttempts      int           // attempts per record against transient failures (4)
	RetryBudget      int           // retries in the whole run (half the records, plus 20)
	BackoffBase      time.Duration // the first back-off before a retry (200ms)
	BackoffMax       time.Duration // the longest back-off (5s)
	BreakerThreshold int           // consecutive transport failures that stop the run (20)
	DrainTimeout     time.Duration // how long calls in flight may run on after an interrupt (20s)
	MaxBan           time.Duration // a flow-control ban longer than this stops the run (10m)

	// OnSend, if set, sees the time of every call sent (tests measure the
	// rate with it).
	OnSend func(time.Time)
}

// withDefaults returns c with the defaults filled in, for a run of records
// records.
func (c Config) WithDefaults(records int) Config {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.Concurrency, 8)
	if c.QPS <= 0 {
		c.QPS = 20
	}
	def(&c.MaxAttempts, 4)
	def(&c.RetryBudget, records/2+20)
	defDur(&c.BackoffBase, 200*time.Millisecond)
	defDur(&c.BackoffMax, 5*time.Second)
	def(&c.BreakerThreshold, 20)
	defDur(&c.DrainTimeout, 20*time.Second)
	defDur(&c.MaxBan, 10*time.Minute)
	return c
}

// rateHeadroom keeps the limiter a little under --qps. A burst of 1 spaces
// the calls evenly, so the client never starts more than QPS calls in a
// second; but the gateway counts arrivals, and delivery jitter (the
// scheduler of a busy machine, the network) can squeeze QPS+1 of them into
// its second. Spacing the calls by (1+rateHeadroom)/QPS, and admitting at
// most QPS sends in any (1+rateHeadroom) seconds, keeps every second of
// arrivals at or under QPS as long as the jitter stays under 30 ms, at the
// cost of 3% of the throughput. (At 2%, 5,000 calls at --qps 100 once put
// 101 into a gateway second.)
const rateHeadroom = 0.03

// maxBanWaits bounds how often one record may be sent back by a ban, so
// that a gateway that bans forever cannot hold the run forever.
const maxBanWaits = 50

// errStopped is returned to a record that was not attempted because the
// run is stopping.
var ErrStopped = errors.New("the run is stopping")

// FatalError stops a run: nothing else would succeed. Advice says what the
// operator must fix.
type FatalError struct {
	Err    error
	Advice string
}

func (e *FatalError) Error() string {
	if e.Advice == "" {
		return e.Err.Error()
	}
	return e.Advice + " (" + e.Err.Error() + ")"
}

func (e *FatalError) Unwrap() error { return e.Err }

// permanentError ends a record's attempts at once, whatever the class of
// the error it wraps.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// permanent marks err as the end of a record's attempts: do returns it
// (unwrapped) without a retry.
func Permanent(err error) error { return &permanentError{err} }

// engine calls the platform for one run: one rate limiter for every call,
// a ban gate that pauses every worker, a strict per-second window at the
// moment of sending, retries with exponential back-off and full jitter, a
// retry budget, a circuit breaker on consecutive transport failures, and a
// fatal stop. It knows the TOP client's error classes, not what the calls
// carry.
type Dispatcher struct {
	cfg     Config
	log     *slog.Logger
	limiter *rate.Limiter
	window  *window // the strict per-second ceiling at the moment of sending

	banMu    sync.Mutex
	banUntil time.Time

	stopOnce sync.Once
	stopped  chan struct{} // closed by fatal
	cause    *FatalError   // set before stopped is closed

	budget    atomic.Int64
	transport atomic.Int64 // consecutive transport failures
	calls     atomic.Int64
	retries   atomic.Int64
}

func New(cfg Config, log *slog.Logger) *Dispatcher {
	e := &Dispatcher{cfg: cfg, log: log, stopped: make(chan struct{})}
	e.limiter = rate.NewLimiter(rate.Limit(cfg.QPS/(1+rateHeadroom)), 1)
	e.window = newWindow(cfg.QPS)
	e.window.hook = cfg.OnSend
	e.budget.Store(int64(cfg.RetryBudget))
	return e
}

// fatal stops dispatching because of err; the first fatal error wins.
func (e *Dispatcher) Stop(err error) {
	var fe *FatalError
	if !errors.As(err, &fe) {
		fe = &FatalError{Err: err, Advice: fatalAdvice(err)}
	}
	e.stopOnce.Do(func() {
		e.log.Error("stopping the run", "reason", fe.Error())
		e.cause = fe
		close(e.stopped)
	})
}

// stopCause returns why dispatching stopped: the *FatalError, ctx's error
// when ctx is done (an interrupt), or nil while it goes on.
func (e *Dispatcher) Err(ctx context.Context) error {
	select {
	case <-e.stopped:
		return e.cause
	default:
	}
	return ctx.Err()
}

// ban pauses every call for d.
func (e *Dispatcher) ban(d time.Duration) {
	e.banMu.Lock()
	defer e.banMu.Unlock()
	if until := time.Now().Add(d); until.After(e.banUntil) {
		e.banUntil = until
		e.log.Warn("flow control: pausing every call", "for", d.Round(time.Millisecond))
	}
}

func (e *Dispatcher) banned() time.Duration {
	e.banMu.Lock()
	defer e.banMu.Unlock()
	return time.Until(e.banUntil)
}

// sleep waits for d, or until ctx is done or the run stops; it reports
// whether d passed.
func (e *Dispatcher) sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil && e.Err(ctx) == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-e.stopped:
		return false
	}
}

// ready waits until a call may go: no ban in force and a token from the
// limiter. It returns errStopped when the run stops meanwhile.
func (e *Dispatcher) ready(ctx context.Context) error {
	for {
		if d := e.banned(); d > 0 {
			if !e.sleep(ctx, d) {
				return ErrStopped
			}
		}
		r := e.limiter.Reserve()
		if !e.sleep(ctx, r.Delay()) {
			r.Cancel()
			return ErrStopped
		}
		// A ban may have begun while this call waited for its token.
		if e.banned() <= 0 {
			return nil
		}
	}
}

// send waits, right before a call goes out, until the call keeps every
// second of sends at or under QPS. It returns errStopped when the run stops
// meanwhile.
func (e *Dispatcher) Send(ctx context.Context) error {
	if !e.window.wait(func(d time.Duration) bool { return e.sleep(ctx, d) }) {
		return ErrStopped
	}
	return nil
}

// windowSpan is the span in which a window admits at most QPS sends: a
// second and the limiter's headroom, so that delivery jitter of up to 30 ms
// between the send and its arrival cannot put more than QPS arrivals into
// one second at the gateway either.
const windowSpan = time.Duration((1 + rateHeadroom) * float64(time.Second))

// window is a sliding window of one second over the calls sent: the last
// line behind the limiter. The limiter spaces the tokens evenly, but a
// call can be delayed between its token and its send (the journal's write
// queue, the scheduler of a busy machine), which bunches sends; the window
// checks the time of the send itself, so that no second ever holds more
// than QPS calls, whatever the delays.
type window struct {
	mu    sync.Mutex
	limit int         // calls per second, at least 1
	sent  []time.Time // the times of the last limit sends, a ring
	next  int         // the oldest entry of the ring once it is full
	hook  func(time.Time)
}

func newWindow(qps float64) *window {
	limit := int(qps)
	if limit < 1 {
		limit = 1
	}
	return &window{limit: limit, sent: make([]time.Time, 0, limit)}
}

// wait admits one send and records its time. While the window is full it
// calls sleep with the time until a place frees; it returns false when
// sleep does.
func (w *window) wait(sleep func(time.Duration) bool) bool {
	for {
		w.mu.Lock()
		now := time.Now()
		var d time.Duration
		switch {
		case len(w.sent) < w.limit:
			w.sent = append(w.sent, now)
		default:
			if d = w.sent[w.next].Add(windowSpan).Sub(now); d <= 0 {
				w.sent[w.next] = now
				w.next = (w.next + 1) % w.limit
			}
		}
		if d <= 0 && w.hook != nil {
			w.hook(now)
		}
		w.mu.Unlock()
		if d <= 0 {
			return true
		}
		if !sleep(d) {
			return false
		}
	}
}

// Stats are the counts of a Dispatcher's calls.
type Stats struct {
	Calls   int // HTTP calls made
	Retries int // calls that were retries of an earlier attempt
}

// Stats returns the calls made so far.
func (e *Dispatcher) Stats() Stats {
	return Stats{Calls: int(e.calls.Load()), Retries: int(e.retries.Load())}
}

// Concurrency returns the bound on calls in flight.
func (e *Dispatcher) Concurrency() int { return e.cfg.Concurrency }

// backoff is the full-jitter exponential back-off before retry n (n ≥ 1).
func (e *Dispatcher) backoff(n int) time.Duration {
	d := e.cfg.BackoffBase << min(n-1, 30)
	if d <= 0 || d > e.cfg.BackoffMax {
		d = e.cfg.BackoffMax
	}
	return time.Duration(rand.Int64N(int64(d) + 1))
}

// attemptLog is what a record's attempts leave for the workbook.
type Attempts struct {
	Count       int
	First, Last time.Time
}

// do runs fn, which makes one call, until it succeeds or the
// classification of its error says to stop: a rejection (or business
// refusal) returns at once, a transient failure is retried with back-off
// up to MaxAttempts while the run's retry budget lasts, a ban pauses every
// worker and tries again, a fatal error (a *FatalError from fn, or a fatal
// class) stops the run, and an error fn marked permanent returns at once.
//
// The waits end when ctx is done (an interrupt) or the run stops. fn runs
// with a context that is not cancelled with ctx but DrainTimeout after it,
// so that a call in flight may finish. do returns errStopped when no
// attempt was made; fn returns it when it did not make its call after all.
func (e *Dispatcher) Do(ctx context.Context, log *Attempts, fn func(context.Context) error) error {
	calls, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stopDrain := context.AfterFunc(ctx, func() {
		t := time.AfterFunc(e.cfg.DrainTimeout, cancel)
		context.AfterFunc(calls, func() { t.Stop() })
	})
	defer stopDrain()

	var last error
	bans := 0
	for tries := 0; ; {
		if err := e.ready(ctx); err != nil {
			if last != nil {
				return last
			}
			return err
		}
		if log.Count > 0 {
			e.retries.Add(1)
		}
		e.calls.Add(1)
		log.Count++
		if log.First.IsZero() {
			log.First = time.Now()
		}
		err := fn(calls)
		if errors.Is(err, ErrStopped) {
			// The run stopped between the journal entry and the call: no
			// call was made.
			e.calls.Add(-1)
			if log.Count--; log.Count > 0 {
				e.retries.Add(-1)
			}
			if last != nil {
				return last
			}
			return err
		}
		log.Last = time.Now()
		tries++
		if err == nil {
			e.transport.Store(0)
			return nil
		}
		last = err

		var fe *FatalError
		var pe *permanentError
		var be *top.BusinessError
		var te *top.Error
		switch {
		case errors.As(err, &fe):
			e.Stop(fe)
			return err
		case errors.As(err, &pe):
			e.transport.Store(0)
			return pe.err
		case errors.As(err, &be):
			e.transport.Store(0)
			return err
		case errors.As(err, &te) && te.Transport():
			if calls.Err() != nil {
				return err // the drain bound cut the call short
			}
			if n := e.transport.Add(1); n >= int64(e.cfg.BreakerThreshold) {
				e.Stop(&FatalError{Err: err, Advice: fmt.Sprintf(
					"the gateway is unreachable: %d calls in a row failed in transport; check the network and --gateway, then rerun (nothing is lost)", n)})
				return err
			}
		default:
			e.transport.Store(0)
		}

		class, wait := top.Classify(err)
		switch class {
		case top.Wait:
			if wait <= 0 {
				wait = time.Second
			}
			if wait > e.cfg.MaxBan {
				e.Stop(&FatalError{Err: err, Advice: fmt.Sprintf(
					"the platform banned calls for %s, longer than the %s this run waits: lower --qps and rerun later", wait, e.cfg.MaxBan)})
				return err
			}
			if bans++; bans > maxBanWaits {
				return err
			}
			tries-- // a ban is not the record's fault
			// Jitter spreads the workers' restart over a tenth of a second.
			e.ban(wait + time.Duration(rand.Int64N(int64(100*time.Millisecond))))
		case top.Retry:
			if tries >= e.cfg.MaxAttempts || e.budget.Add(-1) < 0 {
				return err
			}
			if !e.sleep(ctx, e.backoff(tries)) {
				return err
			}
		case top.Fatal:
			e.Stop(err)
			return err
		default: // top.Reject
			return err
		}
	}
}

// fatalAdvice says what an operator must fix for a fatal platform error.
func fatalAdvice(err error) string {
	var te *top.Error
	if !errors.As(err, &te) {
		return "the run cannot go on"
	}
	switch {
	case te.Code == top.CodeInvalidSignature || te.Code == top.CodeMissingSignature:
		return "the gateway refused the signature: check TOP_APP_SECRET (or --secret-file) and --sign-method"
	case te.Code == top.CodeInvalidSession || te.Code == top.CodeMissingSession:
		return "the session key is missing, invalid or expired: re-authorise the seller and update TOP_SESSION (or --session-file)"
	case te.Code == top.CodeMissingAppKey || te.Code == top.CodeInvalidAppKey:
		return "the gateway does not know the app key: check --app-key (or TOP_APP_KEY) and --gateway"
	case te.Code == top.CodeInvalidTimestamp || te.Code == top.CodeMissingTimestamp:
		return "the gateway refused the timestamp: this host's clock is off by more than 10 minutes; fix its time (NTP)"
	case te.Code == top.CodeInsufficientISVPerm, te.Code == top.CodeInsufficientUserPerm, te.Code == top.CodeInsufficientSessPerm:
		return "the app lacks permission for " + te.Method + ": add the API package to the app, or this server's IP to its whitelist, then rerun"
	case te.Code == top.CodeAppCallLimited:
		return fmt.Sprintf("the app's daily call quota is used up; it resets in about %s: rerun after that", te.RetryAfter().Round(time.Minute))
	}
	return fmt.Sprintf("the gateway refused the request (code %d %s): check --gateway; if it persists, report it with the request id", te.Code, te.Msg)
}
