package journal

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

func callbacksEqual(a, b Callback) bool {
	return a.Key == b.Key && a.OrderID == b.OrderID && a.ResultCode == b.ResultCode && a.PortNo == b.PortNo &&
		a.State == b.State && a.MsgCode == b.MsgCode && a.MsgInfo == b.MsgInfo && a.ErrorCode == b.ErrorCode &&
		a.ErrorMsg == b.ErrorMsg && a.RequestID == b.RequestID && a.Attempts == b.Attempts &&
		a.FirstAttemptAt.Equal(b.FirstAttemptAt) && a.LastAttemptAt.Equal(b.LastAttemptAt) && a.RunID == b.RunID
}

func TestCallbackLifecycle(t *testing.T) { forEachBackend(t, testCallbackLifecycle) }

func testCallbackLifecycle(t *testing.T, b *testBackend) {
	ctx := context.Background()
	j := open(t, b.fresh(t))
	clk := &clock{t: at(2, 0, 0, 0)}
	j.now = clk.Now
	run := beginRun(t, j)

	key := CallbackKey{Idempotent: "IDEM-0001", Status: 1}
	other := CallbackKey{Idempotent: "IDEM-0001", Status: 2} // same key, next status: another callback
	cb := Callback{Key: key, OrderID: "T100", ResultCode: "800", PortNo: "2924"}
	row := func(c Callback, s CallbackState, code, info, ecode, emsg, req string, n int, first, last time.Time) Callback {
		c.State, c.MsgCode, c.MsgInfo, c.ErrorCode, c.ErrorMsg, c.RequestID = s, code, info, ecode, emsg, req
		c.Attempts, c.FirstAttemptAt, c.LastAttemptAt, c.RunID = n, first, last, run
		return c
	}
	type step struct {
		name    string
		now     time.Time
		begin   *Callback
		key     CallbackKey
		finish  *CallbackOutcome
		attempt int
		want    Callback
	}
	cb2 := cb
	cb2.Key, cb2.ResultCode = other, "899"
	steps := []step{
		{name: "begin", now: at(2, 0, 1, 0), begin: &cb, key: key, attempt: 1,
			want: row(cb, CallbackInFlight, "", "", "", "", "", 1, at(2, 0, 1, 0), at(2, 0, 1, 0))},
		{name: "rejected", now: at(2, 0, 2, 0), key: key, attempt: 1,
			finish: &CallbackOutcome{State: CallbackRejected, MsgCode: "E01", MsgInfo: "端口不存在", ErrorCode: "isv.callback-rejected", RequestID: "q1"},
			want:   row(cb, CallbackRejected, "E01", "端口不存在", "isv.callback-rejected", "", "q1", 1, at(2, 0, 1, 0), at(2, 0, 1, 0))},
		{name: "other status begins apart", now: at(2, 0, 3, 0), begin: &cb2, key: other, attempt: 1,
			want: row(cb2, CallbackInFlight, "", "", "", "", "", 1, at(2, 0, 3, 0), at(2, 0, 3, 0))},
		{name: "retry", now: at(2, 0, 4, 0), begin: &cb, key: key, attempt: 2,
			want: row(cb, CallbackInFlight, "E01", "端口不存在", "isv.callback-rejected", "", "q1", 2, at(2, 0, 1, 0), at(2, 0, 4, 0))},
		{name: "sent", now: at(2, 0, 5, 0), key: key, attempt: 2,
			finish: &CallbackOutcome{State: CallbackSent, MsgCode: "0", MsgInfo: "成功", RequestID: "q2"},
			want:   row(cb, CallbackSent, "0", "成功", "", "", "q2", 2, at(2, 0, 1, 0), at(2, 0, 4, 0))},
		{name: "other status fails", now: at(2, 0, 6, 0), key: other, attempt: 1,
			finish: &CallbackOutcome{State: CallbackFailed, ErrorCode: "transport", ErrorMsg: "connection reset"},
			want:   row(cb2, CallbackFailed, "", "", "transport", "connection reset", "", 1, at(2, 0, 3, 0), at(2, 0, 3, 0))},
	}
	for _, s := range steps {
		clk.Set(s.now)
		if s.begin != nil {
			n, err := j.BeginCallback(ctx, run, *s.begin)
			if err != nil {
				t.Fatalf("%s: BeginCallback: %v", s.name, err)
			}
			if n != s.attempt {
				t.Errorf("%s: attempt = %d, want %d", s.name, n, s.attempt)
			}
		} else if err := j.FinishCallback(ctx, run, s.key, s.attempt, *s.finish); err != nil {
			t.Fatalf("%s: FinishCallback: %v", s.name, err)
		}
		m, err := j.Callbacks(ctx, []CallbackKey{s.key})
		if err != nil {
			t.Fatal(err)
		}
		if got := m[s.key]; !callbacksEqual(got, s.want) {
			t.Errorf("%s: row\n got %+v\nwant %+v", s.name, got, s.want)
		}
	}
	got, err := j.Attempts(ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	want := []Attempt{
		{RunID: run, Kind: KindCallback, Key: "IDEM-0001", Status: 1, Attempt: 1, StartedAt: at(2, 0, 1, 0), EndedAt: at(2, 0, 2, 0),
			Outcome: "rejected", ErrorCode: "isv.callback-rejected", RequestID: "q1"},
		{RunID: run, Kind: KindCallback, Key: "IDEM-0001", Status: 2, Attempt: 1, StartedAt: at(2, 0, 3, 0), EndedAt: at(2, 0, 6, 0),
			Outcome: "failed", ErrorCode: "transport", ErrorMsg: "connection reset"},
		{RunID: run, Kind: KindCallback, Key: "IDEM-0001", Status: 1, Attempt: 2, StartedAt: at(2, 0, 4, 0), EndedAt: at(2, 0, 5, 0),
			Outcome: "sent", RequestID: "q2"},
	}
	checkAttempts(t, got, want)
}

func TestCallbackRefusals(t *testing.T) { forEachBackend(t, testCallbackRefusals) }

func testCallbackRefusals(t *testing.T, b *testBackend) {
	ctx := context.Background()
	j := open(t, b.fresh(t))
	run := beginRun(t, j)
	key := CallbackKey{Idempotent: "K", Status: 3}
	n, err := j.BeginCallback(ctx, run, Callback{Key: key, OrderID: "T1"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		f    func() error
		want error
	}{
		{"begin with empty key", func() error { _, err := j.BeginCallback(ctx, run, Callback{}); return err }, nil},
		{"begin in unknown run", func() error { _, err := j.BeginCallback(ctx, run+1, Callback{Key: key}); return err }, ErrRunNotRunning},
		{"finish in_flight", func() error { return j.FinishCallback(ctx, run, key, n, CallbackOutcome{State: CallbackInFlight}) }, nil},
		{"finish a declaration state", func() error { return j.FinishCallback(ctx, run, key, n, CallbackOutcome{State: "accepted"}) }, nil},
		{"finish another status", func() error {
			return j.FinishCallback(ctx, run, CallbackKey{"K", 4}, n, CallbackOutcome{State: CallbackSent})
		}, ErrNoAttempt},
		{"finish an attempt not begun", func() error { return j.FinishCallback(ctx, run, key, n+1, CallbackOutcome{State: CallbackSent}) }, ErrNoAttempt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.f()
			if err == nil {
				t.Fatal("succeeded, want an error")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
	m, _ := j.Callbacks(ctx, []CallbackKey{key, {"K", 4}, {"", 0}})
	if len(m) != 1 || m[key].State != CallbackInFlight || m[key].Attempts != 1 {
		t.Errorf("callbacks after refusals = %+v, want only %v in flight after 1 attempt", m, key)
	}
}

func TestCallbacksBulk(t *testing.T) { forEachBackend(t, testCallbacksBulk) }

func testCallbacksBulk(t *testing.T, b *testBackend) {
	ctx := context.Background()
	j := open(t, b.fresh(t))
	run := beginRun(t, j)
	// 600 keys with status 1 and the first 100 of them with status 2 too.
	var stored []CallbackKey
	for i := range 600 {
		stored = append(stored, CallbackKey{fmt.Sprintf("I%04d", i), 1})
		if i < 100 {
			stored = append(stored, CallbackKey{fmt.Sprintf("I%04d", i), 2})
		}
	}
	for _, k := range stored {
		if _, err := j.BeginCallback(ctx, run, Callback{Key: k, OrderID: "O" + k.Idempotent}); err != nil {
			t.Fatal(err)
		}
	}
	// Ask for 1,400 keys: every stored one, the same ids with statuses never
	// sent, and ids never seen.
	var ask []CallbackKey
	for i := range 700 {
		ask = append(ask, CallbackKey{fmt.Sprintf("I%04d", i), 1}, CallbackKey{fmt.Sprintf("I%04d", i), 2})
	}
	m, err := j.Callbacks(ctx, ask)
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != len(stored) {
		t.Errorf("%d callbacks, want %d", len(m), len(stored))
	}
	for _, k := range stored {
		if c, ok := m[k]; !ok || c.Key != k || c.OrderID != "O"+k.Idempotent || c.State != CallbackInFlight {
			t.Errorf("callback %v = %+v (found %v), want order O%s in flight", k, c, ok, k.Idempotent)
		}
	}
	if m, err := j.Callbacks(ctx, nil); err != nil || len(m) != 0 {
		t.Errorf("Callbacks(nil) = %v, %v; want empty", m, err)
	}
}

func TestMaterialsAttempts(t *testing.T) { forEachBackend(t, testMaterialsAttempts) }

func testMaterialsAttempts(t *testing.T, b *testBackend) {
	ctx := context.Background()
	j := open(t, b.fresh(t))
	clk := &clock{t: at(2, 0, 0, 0)}
	j.now = clk.Now
	run := beginRun(t, j)
	n1, err := j.BeginMaterials(ctx, run, "T1")
	if err != nil || n1 != 1 {
		t.Fatalf("BeginMaterials = %d, %v; want 1", n1, err)
	}
	// Another kind with the same key counts apart.
	if n, err := j.BeginDeclaration(ctx, run, decl("T1")); err != nil || n != 1 {
		t.Fatalf("BeginDeclaration = %d, %v; want 1", n, err)
	}
	clk.Set(at(2, 0, 1, 0))
	if err := j.FinishMaterials(ctx, run, "T1", n1, MaterialsOutcome{Outcome: "failed", ErrorCode: "isp.timeout"}); err != nil {
		t.Fatal(err)
	}
	n2, err := j.BeginMaterials(ctx, run, "T1")
	if err != nil || n2 != 2 {
		t.Fatalf("second BeginMaterials = %d, %v; want 2", n2, err)
	}
	if err := j.FinishMaterials(ctx, run, "T1", n2, MaterialsOutcome{Outcome: "valid", RequestID: "m2", At: at(2, 0, 2, 0)}); err != nil {
		t.Fatal(err)
	}
	if err := j.FinishMaterials(ctx, run, "T1", n2, MaterialsOutcome{Outcome: "valid"}); !errors.Is(err, ErrNoAttempt) {
		t.Errorf("finishing twice: got %v, want ErrNoAttempt", err)
	}
	if err := j.FinishMaterials(ctx, run, "T1", 3, MaterialsOutcome{}); err == nil {
		t.Errorf("finishing with an empty outcome succeeded")
	}
	got, _ := j.Attempts(ctx, run)
	want := []Attempt{
		{RunID: run, Kind: KindMaterials, Key: "T1", Attempt: 1, StartedAt: at(2, 0, 0, 0), EndedAt: at(2, 0, 1, 0), Outcome: "failed", ErrorCode: "isp.timeout"},
		{RunID: run, Kind: KindDeclaration, Key: "T1", Attempt: 1, StartedAt: at(2, 0, 0, 0)},
		{RunID: run, Kind: KindMaterials, Key: "T1", Attempt: 2, StartedAt: at(2, 0, 1, 0), EndedAt: at(2, 0, 2, 0), Outcome: "valid", RequestID: "m2"},
	}
	checkAttempts(t, got, want)
}
