package dispatch

import (
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// The window admits sends so that no second ever holds more than its
// limit, however many goroutines race for it.
func TestWindowKeepsEverySecondUnderTheLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWindow(100)
		var mu sync.Mutex
		var admitted []time.Time
		w.hook = func(at time.Time) {
			mu.Lock()
			admitted = append(admitted, at)
			mu.Unlock()
		}
		start := time.Now()
		var wg sync.WaitGroup
		for g := range 32 {
			wg.Go(func() {
				for range 250 / 32 {
					if !w.wait(sleep) {
						t.Error("wait gave up")
					}
				}
				if g < 250%32 {
					w.wait(sleep)
				}
			})
		}
		wg.Wait()
		if len(admitted) != 250 {
			t.Fatalf("%d sends admitted, want 250", len(admitted))
		}
		if got := maxInWindow(admitted, time.Second); got > 100 {
			t.Errorf("%d sends within one second, want at most 100", got)
		}
		// 100 at once, 100 more a span later, the last 50 a span after.
		if got, want := time.Since(start), 2*windowSpan; got != want {
			t.Errorf("250 sends took %v, want %v", got, want)
		}
	})
	// A waiter on a full window stops when its sleep is cut short.
	full := newWindow(1)
	full.wait(sleep)
	if full.wait(func(time.Duration) bool { return false }) {
		t.Error("a full window admitted a send after its sleep was cut short")
	}
}

func sleep(d time.Duration) bool { time.Sleep(d); return true }

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
