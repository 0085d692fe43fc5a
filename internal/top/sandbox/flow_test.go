package sandbox

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/crossborder/reconcile/internal/top"
)

// mat calls the materials API, the cheapest call, and returns the code.
func (e *env) mat() (int, string, string) {
	e.t.Helper()
	return e.call(MethodMaterials, map[string]string{"order_id": "1"}).errorOf(e.t)
}

func TestRateLimitBan(t *testing.T) {
	e := newEnv(t, Config{RateLimit: 5, BanSeconds: 10, RateJitter: -1})
	for i := 0; i < 5; i++ {
		if code, _, _ := e.mat(); code != 0 {
			t.Fatalf("call %d of 5 at one instant: code %d, want 0", i+1, code)
		}
	}
	steps := []struct {
		advance time.Duration
		wantN   int // 0: admitted
	}{
		{0, 10},              // the 6th at the same instant starts the ban
		{3 * time.Second, 7}, // held
		{5*time.Second + 500*time.Millisecond, 2}, // 8.5 s: 1.5 s left, rounded up
		{time.Second, 1},               // 9.5 s
		{500 * time.Millisecond, 0},    // 10 s: over
		{0, 0}, {0, 0}, {0, 0}, {0, 0}, // a fresh bucket: 5 at once
		{0, 10},
	}
	for i, s := range steps {
		e.clock.Add(s.advance)
		code, sub, msg := e.mat()
		if s.wantN == 0 {
			if code != 0 {
				t.Fatalf("step %d: code %d %s, want admitted", i, code, msg)
			}
			continue
		}
		if code != 7 || sub != top.SubCodeAPIAccessLimited {
			t.Fatalf("step %d: code %d %s, want 7 %s", i, code, sub, top.SubCodeAPIAccessLimited)
		}
		if n := banSeconds(t, msg); n != s.wantN {
			t.Errorf("step %d: ban of %d more seconds, want %d", i, n, s.wantN)
		}
	}
	c := e.g.Counters()
	if c.BansStarted != 2 || c.Answers[7] != 5 || c.Answers[0] != 10 || c.Materials.Served != 10 {
		t.Errorf("counters: bans %d, answers %v, served %d; want 2 bans, 5×7, 10×0, 10 served", c.BansStarted, c.Answers, c.Materials.Served)
	}
	// The lead's client reads the same N.
	if d := (&top.Error{Code: 7, SubCode: top.SubCodeAPIAccessLimited, SubMsg: "This ban will last for 10 more seconds"}).RetryAfter(); d != 10*time.Second {
		t.Errorf("top.Error.RetryAfter = %v", d)
	}
}

// arrive feeds the gateway calls at the given offsets from t0 on its fake
// clock and returns how many were refused.
func arrive(t *testing.T, cfg Config, offsets []time.Duration) int {
	t.Helper()
	e := newEnv(t, cfg)
	refused := 0
	last := time.Duration(0)
	for _, off := range offsets {
		e.clock.Add(off - last)
		last = off
		if code, _, _ := e.mat(); code == 7 {
			refused++
		} else if code != 0 {
			t.Fatalf("code %d", code)
		}
	}
	return refused
}

// TestRateWindow pins the window definition of the package documentation:
// a client at exactly L per second (burst 1 or burst L) is never banned for
// arrival jitter within RateJitter, a client faster than L is.
func TestRateWindow(t *testing.T) {
	const l = 20
	interval := time.Second / l
	rng := rand.New(rand.NewPCG(1, 2))
	jittered := func(start time.Duration, n int, burst int, maxJitter time.Duration) []time.Duration {
		var out []time.Duration
		for i := 0; i < n; i++ {
			send := start
			if i >= burst {
				send += time.Duration(i-burst+1) * interval
			}
			out = append(out, send+time.Duration(rng.Int64N(int64(maxJitter)+1)))
		}
		// Arrivals are handled in arrival order.
		for i := 1; i < len(out); i++ {
			for j := i; j > 0 && out[j] < out[j-1]; j-- {
				out[j], out[j-1] = out[j-1], out[j]
			}
		}
		return out
	}
	tests := []struct {
		name        string
		offsets     []time.Duration
		jitter      time.Duration // Config.RateJitter
		wantRefused bool
	}{
		{"burst 1, exact", jittered(0, 10*l, 1, 0), -1, false},
		{"burst 1, 80 ms jitter", jittered(0, 10*l, 1, 80*time.Millisecond), 0, false},
		{"burst L, 80 ms jitter", jittered(0, 10*l, l, 80*time.Millisecond), 0, false},
		{"burst L, exact, no allowance", jittered(0, 10*l, l, 0), -1, false},
		{"burst L, 80 ms jitter, no allowance", jittered(0, 10*l, l, 80*time.Millisecond), -1, true},
		{"burst L+3 at once", jittered(0, l+3, l+3, 0), 0, true},
		{"1.25 L per second", func() []time.Duration {
			var out []time.Duration
			for i := 0; i < 10*l; i++ { // 8 s: the bucket admits at most 20·(8 s + 1.1 s)
				out = append(out, time.Duration(i)*interval*4/5)
			}
			return out
		}(), 0, true},
	}
	for _, tt := range tests {
		refused := arrive(t, Config{RateLimit: l, RateJitter: tt.jitter, BanSeconds: 1}, tt.offsets)
		if (refused > 0) != tt.wantRefused {
			t.Errorf("%s: %d calls refused, want refusals %v", tt.name, refused, tt.wantRefused)
		}
	}
}

func TestDailyQuota(t *testing.T) {
	e := newEnv(t, Config{DailyQuota: 3})
	for i := 0; i < 3; i++ {
		if code, _, _ := e.mat(); code != 0 {
			t.Fatalf("call %d: code %d", i+1, code)
		}
	}
	code, sub, msg := e.mat()
	if code != 7 || sub != top.SubCodeAppAccessLimited {
		t.Fatalf("4th call: code %d %s, want 7 %s", code, sub, top.SubCodeAppAccessLimited)
	}
	if n := banSeconds(t, msg); n != 12*3600 { // t0 is noon UTC+8
		t.Errorf("ban of %d seconds, want %d (until midnight UTC+8)", n, 12*3600)
	}
	e.clock.Add(12*time.Hour - time.Second)
	if code, _, msg := e.mat(); code != 7 || banSeconds(t, msg) != 1 {
		t.Errorf("23:59:59: code %d %s, want 7 for 1 more second", code, msg)
	}
	e.clock.Add(time.Second)
	if code, _, _ := e.mat(); code != 0 {
		t.Errorf("the next day: code %d, want 0", code)
	}
	if c := e.g.Counters(); c.QuotaRefused != 2 || c.BansStarted != 0 {
		t.Errorf("QuotaRefused %d BansStarted %d, want 2 and 0", c.QuotaRefused, c.BansStarted)
	}
}

// TestFlowAfterSystemChecks: calls refused by the system checks do not
// count against the limit.
func TestFlowAfterSystemChecks(t *testing.T) {
	e := newEnv(t, Config{RateLimit: 1, RateJitter: -1})
	for i := 0; i < 5; i++ {
		v := e.sysParams(MethodMaterials, map[string]string{"order_id": "1"})
		signValues(t, v, "wrong")
		if code, _, _ := e.post(nil, v).errorOf(t); code != 25 {
			t.Fatalf("code %d, want 25", code)
		}
	}
	if code, _, _ := e.mat(); code != 0 {
		t.Errorf("first valid call: code %d, want 0", code)
	}
	if n := len(e.g.Arrivals()); n != 6 {
		t.Errorf("Arrivals: %d, want 6", n)
	}
}
