package sandbox

import (
	"maps"
	"slices"
	"time"
)

// Counters is a snapshot of what a gateway has seen.
type Counters struct {
	// Requests counts requests that reached the gateway's checks, by the
	// method parameter as sent ("" when missing).
	Requests map[string]int
	// Answers counts platform answers by code: 0 for a success envelope
	// (whatever business outcome it carries), else the error_response
	// code. HTTP 502 and hung-up connections are not answers.
	Answers map[int]int
	// Faults counts injected faults by kind.
	Faults map[Fault]int
	// BansStarted counts flow-control bans started, by the limit or by a
	// ban fault.
	BansStarted int
	// QuotaRefused counts calls refused by the daily quota.
	QuotaRefused int

	Declarations DeclarationCounts
	Callbacks    CallbackCounts
	Materials    MaterialsCounts
}

// DeclarationCounts counts the declarations that got past argument checks.
type DeclarationCounts struct {
	New int // accepted and now held
	// Repeated counts identical declarations of a held order, answered its
	// current state, whichever it is: the FAIL or EXCEPT a held declaration
	// of Config.FailLaterOrders turns to is counted here, not as Failed.
	Repeated    int
	Conflicting int // refused: different from the held one
	// Failed counts the declarations answered without being held:
	// CL_PARAM_ERROR, fee mismatch, NO_AUTH, EXCEPT, isv.invalid-parameter.
	Failed int
	// Effects counts, per order id, the declarations that passed the
	// argument checks (40, 41, CL_PARAM_ERROR) and so reached the effect
	// stage, whatever their outcome, including those whose answer a lost
	// fault threw away. Effects[id] == 2 means the order was declared
	// twice.
	Effects map[string]int
}

// CallbackCounts counts clearance callbacks.
type CallbackCounts struct {
	New      int // recorded
	Repeated int // same (idempotent, clearance_status) as a recorded one
	Invalid  int // answered msg_success false
}

// MaterialsCounts counts materials look-ups.
type MaterialsCounts struct {
	Served  int // answered result.success true
	Missing int // answered result.success false
}

func newCounters() Counters {
	return Counters{
		Requests:     make(map[string]int),
		Answers:      make(map[int]int),
		Faults:       make(map[Fault]int),
		Declarations: DeclarationCounts{Effects: make(map[string]int)},
	}
}

// Counters returns a consistent snapshot of the counters. The maps are the
// caller's.
func (g *Gateway) Counters() Counters {
	g.mu.Lock()
	defer g.mu.Unlock()
	c := g.ctr
	c.Requests = maps.Clone(c.Requests)
	c.Answers = maps.Clone(c.Answers)
	c.Faults = maps.Clone(c.Faults)
	c.Declarations.Effects = maps.Clone(c.Declarations.Effects)
	return c
}

// Arrivals returns the arrival time, on the gateway's clock, of every
// request that reached the gateway's checks, in the order they were
// handled.
func (g *Gateway) Arrivals() []time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.arrivals)
}
