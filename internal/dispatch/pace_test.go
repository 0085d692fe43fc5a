package dispatch

import (
	"context"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// Two dispatchers sharing a Pace keep their calls together under its
// rate: the stores of one app key, run at once.
func TestASharedPaceBoundsTwoDispatchers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var sent []time.Time
		p := NewPace(10, func(at time.Time) { mu.Lock(); sent = append(sent, at); mu.Unlock() })
		var wg sync.WaitGroup
		for range 2 {
			d := New(Config{Concurrency: 4, Pace: p}.WithDefaults(100), nil)
			wg.Go(func() {
				for range 30 {
					var a Attempts
					if err := d.Do(context.Background(), &a, func(ctx context.Context) error { return d.Send(ctx) }); err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
		if len(sent) != 60 {
			t.Fatalf("%d sends, want 60", len(sent))
		}
		slices.SortFunc(sent, func(a, b time.Time) int { return a.Compare(b) })
		for i := 10; i < len(sent); i++ {
			if sent[i].Sub(sent[i-10]) < time.Second {
				t.Errorf("sends %d and %d are %s apart: 11 sends within a second at a shared 10 a second", i-10, i, sent[i].Sub(sent[i-10]))
				break
			}
		}
	})
}
