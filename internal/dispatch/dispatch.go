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

	"github.com/crossborder/reconcile/internal/top"
)

// Config bounds how a run calls the platform. Zero fields take the
// defaults shown (see WithDefaults).
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
	MaxBanWait       time.Duration // once the run's bans add up to this, the run stops (15m)

	// OnSend, if set, sees the time of every call sent (tests measure the
	// rate with it).
	OnSend func(time.Time)
	// Pace, if set, is a rate of calls shared with other dispatchers
	// (NewPace): the runs of stores that share an app key, which the
	// platform limits together. QPS and OnSend are then the Pace's.
	Pace *Pace
}

// WithDefaults returns c with the defaults filled in, for a run of records
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
	defDur(&c.MaxBanWait, 15*time.Minute)
	return c
}

// maxBanWaits bounds how often one record may be sent back by a ban. The
// run's own bound is Config.MaxBanWait: a gateway that keeps banning once
// held a run of 2,000 orders for about 28 hours (50 bans a record × the ban
// length × the records), and the next night found the journal locked.
const maxBanWaits = 50

// banJitter spreads the workers' restart after a ban over a tenth of a
// second, so that they do not all arrive in the ban's first millisecond.
const banJitter = 100 * time.Millisecond

// Dispatcher calls the platform for one run; see the package documentation.
// Build one with New.
type Dispatcher struct {
	cfg    Config
	log    *slog.Logger
	pace   *pace
	ban    banGate
	budget atomic.Int64

	stopOnce sync.Once
	stopped  chan struct{} // closed by Stop
	cause    *FatalError   // set before stopped is closed

	transport atomic.Int64 // consecutive transport failures
	calls     atomic.Int64
	retries   atomic.Int64
}

// New returns a Dispatcher for cfg, which should have its defaults filled
// in (Config.WithDefaults). log receives a line when a ban pauses the calls
// and when the run stops.
func New(cfg Config, log *slog.Logger) *Dispatcher {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := (*pace)(cfg.Pace)
	if p == nil {
		p = newPace(cfg.QPS, cfg.OnSend)
	}
	d := &Dispatcher{cfg: cfg, log: log, stopped: make(chan struct{}), pace: p}
	d.budget.Store(int64(cfg.RetryBudget))
	return d
}

// Stats are the counts of a Dispatcher's calls.
type Stats struct {
	Calls   int           // calls made
	Retries int           // calls that were retries of an earlier attempt
	Bans    int           // flow-control bans that paused the calls
	Banned  time.Duration // how long the bans paused the calls in all
}

// Stats returns the calls made so far.
func (d *Dispatcher) Stats() Stats {
	n, total := d.ban.stats()
	return Stats{Calls: int(d.calls.Load()), Retries: int(d.retries.Load()), Bans: n, Banned: total}
}

// Concurrency returns the bound on calls in flight.
func (d *Dispatcher) Concurrency() int { return d.cfg.Concurrency }

// Stop stops dispatching because of err: no new call starts, and the waits
// of Do and Send end. The first error wins; one that is not a *FatalError
// is wrapped in one with advice for the operator.
func (d *Dispatcher) Stop(err error) {
	var fe *FatalError
	if !errors.As(err, &fe) {
		fe = &FatalError{Err: err, Advice: fatalAdvice(err)}
	}
	d.stopOnce.Do(func() {
		d.log.Error("stopping the run", "reason", fe.Error())
		d.cause = fe
		close(d.stopped)
	})
}

// Err returns why dispatching stopped: the *FatalError given to Stop (or
// found by Do), ctx's error when ctx is done (an interrupt), or nil while
// it goes on.
func (d *Dispatcher) Err(ctx context.Context) error {
	select {
	case <-d.stopped:
		return d.cause
	default:
	}
	return ctx.Err()
}

// sleep waits for dur, or until ctx is done or the run stops; it reports
// whether dur passed.
func (d *Dispatcher) sleep(ctx context.Context, dur time.Duration) bool {
	if dur <= 0 {
		return d.Err(ctx) == nil
	}
	t := time.NewTimer(dur)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-d.stopped:
		return false
	}
}

// ready waits until a call may go: no ban in force and a token from the
// limiter. It returns ErrStopped when the run stops meanwhile.
func (d *Dispatcher) ready(ctx context.Context) error {
	for {
		if left := d.ban.left(); left > 0 {
			if !d.sleep(ctx, left) {
				return ErrStopped
			}
		}
		r := d.pace.limiter.Reserve()
		if !d.sleep(ctx, r.Delay()) {
			r.Cancel()
			return ErrStopped
		}
		// A ban may have begun while this call waited for its token.
		if d.ban.left() <= 0 {
			return nil
		}
	}
}

// Send waits, right before a call goes out, until no ban is in force and
// the call keeps every second of sends at or under QPS. Do's fn calls it
// after its own bookkeeping (a journal entry) and just before the request:
// a call that passed Do's gate before a ban answer came in still waits
// here, so that once a ban answer is in, no call leaves until the ban
// ends. It returns ErrStopped when the run stops meanwhile: the call must
// then not be made.
func (d *Dispatcher) Send(ctx context.Context) error {
	sleep := func(dur time.Duration) bool { return d.sleep(ctx, dur) }
	for {
		if left := d.ban.left(); left > 0 && !sleep(left) {
			return ErrStopped
		}
		if !d.pace.window.wait(sleep) {
			return ErrStopped
		}
		if d.ban.left() <= 0 {
			return nil
		}
	}
}

// backoff is the full-jitter exponential back-off before retry n (n ≥ 1).
func (d *Dispatcher) backoff(n int) time.Duration {
	b := d.cfg.BackoffBase << min(n-1, 30)
	if b <= 0 || b > d.cfg.BackoffMax {
		b = d.cfg.BackoffMax
	}
	return time.Duration(rand.Int64N(int64(b) + 1))
}

// Attempts is what a record's calls leave for the workbook.
type Attempts struct {
	Count       int       // calls made for the record
	First, Last time.Time // when the first began and the last ended
}

// Do runs fn, which makes one call, until it succeeds or the
// classification of its error says to stop: a rejection (or a business
// refusal, *top.BusinessError) returns at once, a transient failure is
// retried with back-off up to MaxAttempts while the run's retry budget
// lasts, a ban pauses every call and tries again, a fatal error (a
// *FatalError from fn, or a fatal class) stops the run, and an error fn
// marked Permanent returns at once, unwrapped.
//
// The waits end when ctx is done (an interrupt) or the run stops. fn runs
// with a context that is not cancelled with ctx but DrainTimeout after it,
// so that a call in flight may finish. Do returns ErrStopped when no call
// was made; fn returns ErrStopped when it did not make its call after all.
// a counts the calls made.
func (d *Dispatcher) Do(ctx context.Context, a *Attempts, fn func(context.Context) error) error {
	calls, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stopDrain := context.AfterFunc(ctx, func() {
		t := time.AfterFunc(d.cfg.DrainTimeout, cancel)
		context.AfterFunc(calls, func() { t.Stop() })
	})
	defer stopDrain()

	var last error
	bans := 0
	for tries := 0; ; {
		if err := d.ready(ctx); err != nil {
			if last != nil {
				return last
			}
			return err
		}
		if a.Count > 0 {
			d.retries.Add(1)
		}
		d.calls.Add(1)
		a.Count++
		if a.First.IsZero() {
			a.First = time.Now()
		}
		err := fn(calls)
		if errors.Is(err, ErrStopped) {
			// The run stopped between fn's bookkeeping and its call: no
			// call was made.
			d.calls.Add(-1)
			if a.Count--; a.Count > 0 {
				d.retries.Add(-1)
			}
			if last != nil {
				return last
			}
			return err
		}
		a.Last = time.Now()
		tries++
		if err == nil {
			d.transport.Store(0)
			return nil
		}
		last = err

		var fe *FatalError
		var pe *permanentError
		var be *top.BusinessError
		var te *top.Error
		switch {
		case errors.As(err, &fe):
			d.Stop(fe)
			return err
		case errors.As(err, &pe):
			d.transport.Store(0)
			return pe.err
		case errors.As(err, &be):
			d.transport.Store(0)
			return err
		case errors.As(err, &te) && te.Transport():
			if calls.Err() != nil {
				return err // the drain bound cut the call short
			}
			if n := d.transport.Add(1); n >= int64(d.cfg.BreakerThreshold) {
				d.Stop(&FatalError{Err: err, Advice: fmt.Sprintf(
					"the gateway is unreachable: %d calls in a row failed in transport; check the network and --gateway, then rerun (nothing is lost)", n)})
				return err
			}
		default:
			d.transport.Store(0)
		}

		class, wait := top.Classify(err)
		switch class {
		case top.Wait:
			if wait <= 0 {
				wait = time.Second
			}
			if wait > d.cfg.MaxBan {
				d.Stop(&FatalError{Err: err, Advice: fmt.Sprintf(
					"the platform banned calls for %s, longer than the %s this run waits: lower --qps and rerun later", wait, d.cfg.MaxBan)})
				return err
			}
			if bans++; bans > maxBanWaits {
				return err
			}
			tries-- // a ban is not the record's fault
			if added, total := d.ban.extend(wait + time.Duration(rand.Int64N(int64(banJitter)))); added > 0 {
				d.log.Warn("flow control: pausing every call", "for", wait, "bans_so_far", total.Round(time.Second))
				if total >= d.cfg.MaxBanWait {
					d.Stop(&FatalError{Err: fmt.Errorf("%w: %s of bans, --max-ban-wait %s", ErrBanBudget, total.Round(time.Second), d.cfg.MaxBanWait), Advice: fmt.Sprintf(
						"the platform's flow-control bans held this run for %s, its budget (--max-ban-wait %s): lower --qps or run later; what was not done is marked and the next run does it",
						total.Round(time.Second), d.cfg.MaxBanWait)})
					return err
				}
			}
		case top.Retry:
			if tries >= d.cfg.MaxAttempts || d.budget.Add(-1) < 0 {
				return err
			}
			if !d.sleep(ctx, d.backoff(tries)) {
				return err
			}
		case top.Fatal:
			d.Stop(err)
			return err
		default: // top.Reject
			return err
		}
	}
}
