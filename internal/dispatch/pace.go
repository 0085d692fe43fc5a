package dispatch

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

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

// windowSpan is the span in which a window admits at most QPS sends: a
// second and the limiter's headroom, so that delivery jitter of up to 30 ms
// between the send and its arrival cannot put more than QPS arrivals into
// one second at the gateway either.
const windowSpan = time.Duration((1 + rateHeadroom) * float64(time.Second))

// pace is the rate of a run's calls: the limiter that spaces them and the
// window that checks the moment each is sent.
type pace struct {
	limiter *rate.Limiter
	window  *window
}

// Pace is a rate of calls that several dispatchers share: every call of
// each of them counts against one limiter and one window, so that together
// they never exceed qps (see Config.Pace). Flow-control bans stay each
// dispatcher's own: each learns of one from its own answers.
type Pace pace

// NewPace returns a Pace of qps calls a second; onSend, if not nil, sees
// the time of every call sent.
func NewPace(qps float64, onSend func(time.Time)) *Pace { return (*Pace)(newPace(qps, onSend)) }

func newPace(qps float64, onSend func(time.Time)) *pace {
	w := newWindow(qps)
	w.hook = onSend
	return &pace{limiter: rate.NewLimiter(rate.Limit(qps/(1+rateHeadroom)), 1), window: w}
}

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

// banGate is a flow-control ban in force: until it ends, no call starts.
// It adds up how long the bans of the run paused the calls.
type banGate struct {
	mu    sync.Mutex
	until time.Time
	bans  int
	total time.Duration // the time covered by bans, overlaps counted once
}

// extend makes the ban last at least d from now. It returns how much that
// lengthened the pause (0 when a ban in force already lasts longer) and the
// run's total of bans so far.
func (b *banGate) extend(d time.Duration) (added, total time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	until := now.Add(d)
	if !until.After(b.until) {
		return 0, b.total
	}
	start := now
	if b.until.After(now) {
		start = b.until // the part already covered counts once
	} else {
		b.bans++
	}
	added = until.Sub(start)
	b.until = until
	b.total += added
	return added, b.total
}

func (b *banGate) stats() (int, time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.bans, b.total
}

// left returns how long the ban still lasts; 0 or less when none is in
// force.
func (b *banGate) left() time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	return time.Until(b.until)
}
