package sandbox

import (
	"maps"
	"strings"
	"testing"
	"time"
)

// answer is what a declaration answer says, as far as the states go.
type answer struct {
	ok         bool   // obj.request_success
	state      string // obj.state
	code, msg  string // obj.error_code, obj.error_msg
	hasDetails bool   // obj.error_detail present
}

func declareAnswer(t *testing.T, r reply) answer {
	t.Helper()
	b := r.bodyOf(t, MethodDeclare)
	if b["response_success"] != true {
		t.Fatalf("response_success is not true: %s", r.body)
	}
	var a answer
	a.ok, _ = path(b, "obj.request_success").(bool)
	a.state, _ = path(b, "obj.state").(string)
	a.code, _ = path(b, "obj.error_code").(string)
	a.msg, _ = path(b, "obj.error_msg").(string)
	a.hasDetails = path(b, "obj.error_detail") != nil
	return a
}

// TestDeclareSettles follows held declarations through their states on the
// gateway's clock: a normal one turns SUCCESS, a fail-later one FAIL or
// EXCEPT at SuccessAfter, a stuck one stays PROCESSING; an identical
// re-declaration answers the state of the moment, days later too.
func TestDeclareSettles(t *testing.T) {
	cfg := Config{
		ProcessingAfter: 2 * time.Minute, SuccessAfter: 5 * time.Minute,
		FailLaterOrders: map[string]string{"1001": StateFail, "1002": StateExcept, "1003": "", "1006": StateExcept},
		StuckOrders:     []string{"1004", "1006"},
	}
	var (
		undeclared = answer{ok: true, state: StateUndeclared}
		processing = answer{ok: true, state: StateProcessing}
		success    = answer{ok: true, state: StateSuccess}
		fail       = answer{ok: false, state: StateFail, code: "CUSTOMS_FAIL", msg: "申报失败"}
		except     = answer{ok: true, state: StateExcept, code: "CUSTOMS_EXCEPT", msg: "海关接口异常"}
	)
	// The times are after the first declaration, at t0.
	times := []time.Duration{0, 2*time.Minute - time.Second, 2 * time.Minute, 5*time.Minute - time.Second,
		5 * time.Minute, time.Hour, 3 * 24 * time.Hour, 30 * 24 * time.Hour}
	tests := []struct {
		name  string
		order string
		want  []answer // one per time
	}{
		{"normal", "1005", []answer{undeclared, undeclared, processing, processing, success, success, success, success}},
		{"fail later", "1001", []answer{undeclared, undeclared, processing, processing, fail, fail, fail, fail}},
		{"fail later, state left empty", "1003", []answer{undeclared, undeclared, processing, processing, fail, fail, fail, fail}},
		{"except later", "1002", []answer{undeclared, undeclared, processing, processing, except, except, except, except}},
		{"stuck", "1004", []answer{undeclared, undeclared, processing, processing, processing, processing, processing, processing}},
		{"fail later wins over stuck", "1006", []answer{undeclared, undeclared, processing, processing, except, except, except, except}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, cfg)
			req := declareJSON(tt.order, 400, 300, 100, "HANGZHOU_ZS")
			for i, at := range times {
				e.clock.Add(t0.Add(at).Sub(e.clock.Now()))
				want := tt.want[i]
				if i > 0 { // the record tells the state before anyone asks
					if d, _ := e.g.Declaration(tt.order); d.State != want.state || !d.Held {
						t.Errorf("at %v: Declaration = %s held %v, want %s held", at, d.State, d.Held, want.state)
					}
				}
				if got := declareAnswer(t, e.declare(req)); got != want {
					t.Errorf("at %v: got %+v, want %+v", at, got, want)
				}
			}
			// A different declaration is still a conflict, answered with
			// the held state, and changes nothing.
			last := tt.want[len(tt.want)-1]
			other := declareJSON(tt.order, 500, 400, 100, "HANGZHOU_ZS")
			got := declareAnswer(t, e.declare(other))
			if want := (answer{ok: false, state: last.state, code: "PARAM_ERROR", msg: msgConflict, hasDetails: true}); got != want {
				t.Errorf("a different declaration: got %+v, want %+v", got, want)
			}
			if got := declareAnswer(t, e.declare(req)); got != last {
				t.Errorf("identical again after the conflict: got %+v, want %+v", got, last)
			}

			n := len(times) + 2
			d, ok := e.g.Declaration(tt.order)
			if !ok || !d.Held || d.State != last.state || d.OrderFee != 400 || !d.DeclaredAt.Equal(t0) ||
				d.Repeats != n-2 || d.Conflicts != 1 || d.Effects != n {
				t.Errorf("Declaration = %+v, %v; want held, %s, the first parameters, declared at t0, %d repeats, 1 conflict, %d effects",
					d, ok, last.state, n-2, n)
			}
			c := e.g.Counters().Declarations
			if want := (DeclarationCounts{New: 1, Repeated: n - 2, Conflicting: 1, Effects: map[string]int{tt.order: n}}); c.New != want.New ||
				c.Repeated != want.Repeated || c.Conflicting != want.Conflicting || c.Failed != 0 || !maps.Equal(c.Effects, want.Effects) {
				t.Errorf("counters %+v, want %+v", c, want)
			}
		})
	}
}

// TestDeclareSettlesAtOnce: with SuccessAfter negative a fail-later order
// answers its final state on its first declaration, and is held.
func TestDeclareSettlesAtOnce(t *testing.T) {
	tests := []struct {
		name  string
		cfg   Config
		order string
		want  answer
	}{
		{"fail", Config{ProcessingAfter: -1, SuccessAfter: -1, FailLaterOrders: map[string]string{"1001": StateFail}}, "1001",
			answer{ok: false, state: StateFail, code: "CUSTOMS_FAIL", msg: "申报失败"}},
		{"except", Config{ProcessingAfter: -1, SuccessAfter: -1, FailLaterOrders: map[string]string{"1001": StateExcept}}, "1001",
			answer{ok: true, state: StateExcept, code: "CUSTOMS_EXCEPT", msg: "海关接口异常"}},
		{"stuck", Config{ProcessingAfter: -1, SuccessAfter: -1, StuckOrders: []string{"1001"}}, "1001",
			answer{ok: true, state: StateProcessing}},
		{"another order", Config{ProcessingAfter: -1, SuccessAfter: -1, FailLaterOrders: map[string]string{"1001": StateFail}, StuckOrders: []string{"1001"}}, "1002",
			answer{ok: true, state: StateSuccess}},
		{"unknown state ignored", Config{ProcessingAfter: -1, SuccessAfter: -1, FailLaterOrders: map[string]string{"1001": "MAYBE"}}, "1001",
			answer{ok: true, state: StateSuccess}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.cfg)
			if got := declareAnswer(t, e.declare(declareJSON(tt.order, 400, 300, 100, "HANGZHOU_ZS"))); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			c := e.g.Counters().Declarations
			if d, _ := e.g.Declaration(tt.order); !d.Held || d.State != tt.want.state || c.New != 1 || c.Failed != 0 {
				t.Errorf("Declaration %+v, counters %+v; want held %s, New 1, Failed 0", d, c, tt.want.state)
			}
		})
	}
}

// TestDeclareFailLaterNotHeld: an immediate failure comes first, so a
// fail-later order that fails at once is not held, and fixed it is
// accepted and fails later.
func TestDeclareFailLaterNotHeld(t *testing.T) {
	e := newEnv(t, Config{ProcessingAfter: -1, SuccessAfter: time.Minute, FailCustoms: []string{"NINGBO"},
		ExceptOrders: []string{"1002"}, FailLaterOrders: map[string]string{"1001": StateFail, "1002": StateFail}})
	steps := []struct {
		advance time.Duration
		req     string
		want    answer
	}{
		{0, declareJSON("1001", 400, 300, 100, "NINGBO"), answer{ok: false, state: StateFail, code: "NO_AUTH", msg: msgNoAuth, hasDetails: true}},
		{0, declareJSON("1001", 400, 300, 50, "HANGZHOU_ZS"), answer{ok: false, state: StateFail, code: "PARAM_ERROR", msg: "参数错误", hasDetails: true}},
		{0, declareJSON("1002", 400, 300, 100, "HANGZHOU_ZS"), answer{ok: true, state: StateExcept, code: "CUSTOMS_EXCEPT", msg: msgExcept}},
		{0, declareJSON("1001", 400, 300, 100, "HANGZHOU_ZS"), answer{ok: true, state: StateProcessing}},
		{time.Minute, declareJSON("1001", 400, 300, 100, "HANGZHOU_ZS"), answer{ok: false, state: StateFail, code: "CUSTOMS_FAIL", msg: msgFail}},
		{time.Minute, declareJSON("1002", 400, 300, 100, "HANGZHOU_ZS"), answer{ok: true, state: StateExcept, code: "CUSTOMS_EXCEPT", msg: msgExcept}},
	}
	for i, s := range steps {
		e.clock.Add(s.advance)
		if got := declareAnswer(t, e.declare(s.req)); got != s.want {
			t.Errorf("step %d: got %+v, want %+v", i, got, s.want)
		}
	}
	c := e.g.Counters().Declarations
	if c.New != 1 || c.Repeated != 1 || c.Failed != 4 || c.Conflicting != 0 {
		t.Errorf("counters %+v, want New 1, Repeated 1, Failed 4", c)
	}
	if d, _ := e.g.Declaration("1002"); d.Held || d.State != StateExcept {
		t.Errorf("Declaration(1002) = %+v, want not held, EXCEPT", d)
	}
}

// TestDeclareSettleConfigCopied: New keeps its own copies.
func TestDeclareSettleConfigCopied(t *testing.T) {
	failLater := map[string]string{"1001": StateFail}
	stuck := []string{"1002"}
	e := newEnv(t, Config{ProcessingAfter: -1, SuccessAfter: -1, FailLaterOrders: failLater, StuckOrders: stuck})
	failLater["1001"], failLater["1003"] = StateExcept, StateFail
	stuck[0] = "1004"
	for order, want := range map[string]string{"1001": StateFail, "1002": StateProcessing, "1003": StateSuccess, "1004": StateSuccess} {
		if got := declareAnswer(t, e.declare(declareJSON(order, 400, 300, 100, "HANGZHOU_ZS"))); got.state != want {
			t.Errorf("order %s: %s, want %s", order, got.state, want)
		}
	}
}

func TestParseFailLaterOrders(t *testing.T) {
	tests := []struct {
		in      []string
		want    map[string]string
		wantErr string // in the error
	}{
		{in: nil, want: map[string]string{}},
		{in: []string{""}, want: map[string]string{}},
		{in: []string{"1001"}, want: map[string]string{"1001": StateFail}},
		{in: []string{"1001=FAIL, 1002=EXCEPT,,1003"}, want: map[string]string{"1001": StateFail, "1002": StateExcept, "1003": StateFail}},
		{in: []string{"1001", "1002=EXCEPT"}, want: map[string]string{"1001": StateFail, "1002": StateExcept}},
		{in: []string{"1001", "1001=FAIL"}, want: map[string]string{"1001": StateFail}},
		{in: []string{"123=MAYBE"}, wantErr: `"123=MAYBE"`},
		{in: []string{"123=fail"}, wantErr: `"123=fail"`},
		{in: []string{"123=SUCCESS"}, wantErr: `"123=SUCCESS"`},
		{in: []string{"123="}, wantErr: `"123="`},
		{in: []string{"=FAIL"}, wantErr: `"=FAIL"`},
		{in: []string{"12a3"}, wantErr: `"12a3"`},
		{in: []string{"1001=FAIL=EXCEPT"}, wantErr: `"1001=FAIL=EXCEPT"`},
		{in: []string{"1001=FAIL", "1001=EXCEPT"}, wantErr: `"1001=EXCEPT"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.in, "|"), func(t *testing.T) {
			got, err := ParseFailLaterOrders(tt.in...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("got %v, %v; want an error naming %s", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || !maps.Equal(got, tt.want) {
				t.Errorf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}
