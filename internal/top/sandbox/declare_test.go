package sandbox

import (
	"strings"
	"testing"
	"time"
)

const docOrder = "2531111111111111111"

// docDeclare is the API page's example, serialised as the official writer
// does.
const docDeclare = `{"customs":"SHANGHAI_JG","order_fee":400,"order_id":"2531111111111111111","product_fee":300,"transaction_id":"43321022802025042743111111","transport_fee":100}`

func TestDeclareArguments(t *testing.T) {
	tests := []struct {
		name     string
		param    *string // nil: the parameter is not sent
		wantCode int     // error_response code, 0 for an envelope
		wantMsg  string  // error msg, or response_code of the envelope
		wantText string  // in response_msg
	}{
		{name: "parameter missing", wantCode: 40, wantMsg: "Missing Required Arguments:wechat_pay_validate_req"},
		{name: "not JSON", param: ptr("order_id=1"), wantCode: 41, wantMsg: "Invalid Arguments:wechat_pay_validate_req"},
		{name: "JSON array", param: ptr(`[` + docDeclare + `]`), wantCode: 41},
		{name: "JSON null", param: ptr(`null`), wantCode: 41},
		{name: "trailing data", param: ptr(docDeclare + `{}`), wantCode: 41},
		{name: "order_id a number", param: ptr(strings.Replace(docDeclare, `"2531111111111111111"`, `2531111111111111111`, 1)), wantCode: 41},
		{name: "order_id a float", param: ptr(strings.Replace(docDeclare, `"2531111111111111111"`, `2.531111111111111e+18`, 1)), wantCode: 41},
		{name: "transaction_id a number", param: ptr(strings.Replace(docDeclare, `"43321022802025042743111111"`, `43321022802025042743111111`, 1)), wantCode: 41},
		{name: "customs a number", param: ptr(strings.Replace(docDeclare, `"SHANGHAI_JG"`, `1`, 1)), wantCode: 41},
		{name: "fee a string", param: ptr(strings.Replace(docDeclare, `"order_fee":400`, `"order_fee":"400"`, 1)), wantCode: 41},
		{name: "fee in yuan", param: ptr(strings.Replace(docDeclare, `"order_fee":400`, `"order_fee":4.00`, 1)), wantCode: 41},
		{name: "fee with exponent", param: ptr(strings.Replace(docDeclare, `"order_fee":400`, `"order_fee":4e2`, 1)), wantCode: 41},
		{name: "fee beyond int64", param: ptr(strings.Replace(docDeclare, `"order_fee":400`, `"order_fee":9223372036854775808`, 1)), wantCode: 41},
		{name: "fee a boolean", param: ptr(strings.Replace(docDeclare, `"transport_fee":100`, `"transport_fee":true`, 1)), wantCode: 41},
		{name: "inner field missing", param: ptr(`{"order_id":"1","customs":"SHANGHAI_JG","order_fee":1,"product_fee":1}`),
			wantMsg: "CL_PARAM_ERROR", wantText: "transaction_id, transport_fee"},
		{name: "inner field null", param: ptr(strings.Replace(docDeclare, `"SHANGHAI_JG"`, `null`, 1)), wantMsg: "CL_PARAM_ERROR", wantText: "customs"},
		{name: "inner field empty", param: ptr(strings.Replace(docDeclare, `"SHANGHAI_JG"`, `""`, 1)), wantMsg: "CL_PARAM_ERROR", wantText: "customs"},
		{name: "order_id not digits", param: ptr(strings.Replace(docDeclare, `"2531111111111111111"`, `"2531-111"`, 1)), wantMsg: "CL_PARAM_ERROR", wantText: "order_id"},
		{name: "negative fee", param: ptr(`{"customs":"SHANGHAI_JG","order_fee":-100,"order_id":"1","product_fee":-100,"transaction_id":"4","transport_fee":0}`), wantMsg: "CL_PARAM_ERROR"},
		{name: "unknown extra field ignored", param: ptr(strings.Replace(docDeclare, `{`, `{"currency":"CNY",`, 1))},
		{name: "the page's example", param: ptr(docDeclare)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, Config{})
			app := map[string]string{}
			if tt.param != nil {
				app[declareParam] = *tt.param
			}
			r := e.call(MethodDeclare, app)
			code, _, _ := r.errorOf(t)
			if code != tt.wantCode {
				t.Fatalf("code %d, want %d: %s", code, tt.wantCode, r.body)
			}
			if code != 0 {
				if msg := path(r.m, "error_response.msg"); tt.wantMsg != "" && msg != tt.wantMsg {
					t.Errorf("msg = %v, want %q", msg, tt.wantMsg)
				}
				if n := e.g.Counters().Declarations.Effects[docOrder]; n != 0 {
					t.Errorf("Effects = %d after a refused argument, want 0", n)
				}
				return
			}
			b := r.bodyOf(t, MethodDeclare)
			if tt.wantMsg == "" {
				if b["response_success"] != true || path(b, "obj.request_success") != true || path(b, "obj.state") != StateUndeclared {
					t.Errorf("got %s, want success UNDECLARED", r.body)
				}
				return
			}
			if b["response_success"] != false || b["response_code"] != tt.wantMsg || b["obj"] != nil {
				t.Errorf("got %s, want response_success false, response_code %s", r.body, tt.wantMsg)
			}
			if msg, _ := b["response_msg"].(string); !strings.HasPrefix(msg, "参数错误: ") || !strings.Contains(msg, tt.wantText) {
				t.Errorf("response_msg = %q, want 参数错误: …%s…", msg, tt.wantText)
			}
			if c := e.g.Counters().Declarations; c.Failed != 1 || c.New != 0 {
				t.Errorf("counters %+v, want Failed 1, New 0", c)
			}
		})
	}
}

func ptr(s string) *string { return &s }

// TestDeclareOrderIDSurvives: a 19-digit order id beyond float64's
// precision arrives and is held exactly.
func TestDeclareOrderIDSurvives(t *testing.T) {
	e := newEnv(t, Config{})
	const id = "9223372036854775807" // the largest int64; 2^63-1 is not a float64
	r := e.declare(declareJSON(id, 400, 300, 100, "HANGZHOU_ZS"))
	if b := r.bodyOf(t, MethodDeclare); path(b, "obj.request_success") != true {
		t.Fatalf("got %s, want success", r.body)
	}
	d, ok := e.g.Declaration(id)
	if !ok || d.OrderID != id || d.OrderFee != 400 || d.ProductFee != 300 || d.TransportFee != 100 || d.Customs != "HANGZHOU_ZS" {
		t.Fatalf("Declaration(%s) = %+v, %v", id, d, ok)
	}
	if _, ok := e.g.Declaration("9223372036854775808"); ok {
		t.Errorf("a float-rounded neighbour is held too")
	}
}

// TestDeclareLifecycle: UNDECLARED, idempotent repeats, PROCESSING and
// SUCCESS on the clock, and a different declaration refused with the state
// unchanged.
func TestDeclareLifecycle(t *testing.T) {
	e := newEnv(t, Config{ProcessingAfter: 2 * time.Minute, SuccessAfter: 5 * time.Minute})
	state := func(r reply) (bool, string) {
		b := r.bodyOf(t, MethodDeclare)
		if b["response_success"] != true {
			t.Fatalf("response_success false: %s", r.body)
		}
		ok, _ := path(b, "obj.request_success").(bool)
		s, _ := path(b, "obj.state").(string)
		return ok, s
	}
	steps := []struct {
		advance time.Duration
		req     string
		wantOK  bool
		want    string
	}{
		{0, docDeclare, true, StateUndeclared},
		{time.Minute, docDeclare, true, StateUndeclared},
		{time.Minute, docDeclare, true, StateProcessing},                    // 2 min
		{2*time.Minute + 59*time.Second, docDeclare, true, StateProcessing}, // 4:59
		{time.Second, docDeclare, true, StateSuccess},                       // 5:00
		{time.Hour, strings.Replace(strings.Replace(docDeclare, `"order_fee":400`, `"order_fee":500`, 1), `"transport_fee":100`, `"transport_fee":200`, 1), false, StateSuccess},
		{0, strings.Replace(docDeclare, `"order_fee":400`, `"order_fee":500`, 1), false, StateSuccess},       // even with a fee mismatch
		{0, strings.Replace(docDeclare, `"product_fee":300,`, `"product_fee":300, `, 1), true, StateSuccess}, // same values, other spacing
	}
	for i, s := range steps {
		e.clock.Add(s.advance)
		r := e.declare(s.req)
		ok, st := state(r)
		if ok != s.wantOK || st != s.want {
			t.Fatalf("step %d: request_success %v state %s, want %v %s: %s", i, ok, st, s.wantOK, s.want, r.body)
		}
		if !s.wantOK {
			b := r.bodyOf(t, MethodDeclare)
			if path(b, "obj.error_msg") != "商户海关申报重入信息不一致" || path(b, "obj.error_code") != "PARAM_ERROR" {
				t.Errorf("step %d: refusal %s", i, r.body)
			}
			if d, _ := path(b, "obj.error_detail").(string); !strings.Contains(d, "order_fee") || strings.Contains(d, "product_fee") {
				t.Errorf("step %d: error_detail %q does not name order_fee", i, d)
			}
		}
	}
	d, _ := e.g.Declaration(docOrder)
	if d.OrderFee != 400 || d.State != StateSuccess || !d.Held || d.Repeats != 5 || d.Conflicts != 2 || d.Effects != 8 {
		t.Errorf("Declaration = %+v, want the first parameters, SUCCESS, 5 repeats, 2 conflicts, 8 effects", d)
	}
	c := e.g.Counters().Declarations
	if c.New != 1 || c.Repeated != 5 || c.Conflicting != 2 || c.Failed != 0 || c.Effects[docOrder] != 8 {
		t.Errorf("counters %+v", c)
	}
}

func TestDeclareImmediateStates(t *testing.T) {
	e := newEnv(t, Config{ProcessingAfter: -1, SuccessAfter: -1})
	if s := path(e.declare(docDeclare).bodyOf(t, MethodDeclare), "obj.state"); s != StateSuccess {
		t.Errorf("negative delays: state %v, want SUCCESS at once", s)
	}
	e = newEnv(t, Config{ProcessingAfter: -1})
	if s := path(e.declare(docDeclare).bodyOf(t, MethodDeclare), "obj.state"); s != StateProcessing {
		t.Errorf("ProcessingAfter < 0: state %v, want PROCESSING at once", s)
	}
}

func TestDeclareFailures(t *testing.T) {
	cfg := Config{FailCustoms: []string{"NINGBO"}, ExceptOrders: []string{"1002"}, RejectOrders: []string{"1003"}}
	tests := []struct {
		name             string
		req              string
		wantCode         int // error_response code
		wantSub          string
		wantReqOK        bool
		wantState        string
		wantErr, wantMsg string
	}{
		{name: "fee mismatch", req: declareJSON("1001", 400, 300, 50, "HANGZHOU_ZS"),
			wantState: StateFail, wantErr: "PARAM_ERROR", wantMsg: "参数错误"},
		{name: "customs not registered", req: declareJSON("1001", 400, 300, 100, "NINGBO"),
			wantState: StateFail, wantErr: "NO_AUTH", wantMsg: "商户未在当前申报的海关进行备案"},
		{name: "customs interface exception", req: declareJSON("1002", 400, 300, 100, "HANGZHOU_ZS"),
			wantReqOK: true, wantState: StateExcept, wantErr: "CUSTOMS_EXCEPT", wantMsg: "海关接口异常"},
		{name: "invalid parameter", req: declareJSON("1003", 400, 300, 100, "HANGZHOU_ZS"),
			wantCode: 15, wantSub: "isv.invalid-parameter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, cfg)
			for attempt := 1; attempt <= 2; attempt++ { // a repeat fails the same way
				r := e.declare(tt.req)
				code, sub, _ := r.errorOf(t)
				if code != tt.wantCode || sub != tt.wantSub {
					t.Fatalf("attempt %d: code %d %s, want %d %s: %s", attempt, code, sub, tt.wantCode, tt.wantSub, r.body)
				}
				if code != 0 {
					continue
				}
				b := r.bodyOf(t, MethodDeclare)
				if b["response_success"] != true || path(b, "obj.request_success") != tt.wantReqOK ||
					path(b, "obj.state") != tt.wantState || path(b, "obj.error_code") != tt.wantErr || path(b, "obj.error_msg") != tt.wantMsg {
					t.Errorf("attempt %d: got %s, want request_success %v state %s %s %s", attempt, r.body, tt.wantReqOK, tt.wantState, tt.wantErr, tt.wantMsg)
				}
			}
			c := e.g.Counters().Declarations
			if c.Failed != 2 || c.New != 0 || c.Repeated != 0 {
				t.Errorf("counters %+v, want Failed 2, New 0, Repeated 0", c)
			}
			var id string
			for k := range c.Effects {
				id = k
			}
			if d, ok := e.g.Declaration(id); !ok || d.Held || c.Effects[id] != 2 {
				t.Errorf("Declaration(%s) = %+v, %v; Effects %d; want not held, 2 effects", id, d, ok, c.Effects[id])
			}
		})
	}

	// A failed declaration is not held: fixed, it is accepted.
	e := newEnv(t, cfg)
	e.declare(declareJSON("1001", 400, 300, 100, "NINGBO"))
	r := e.declare(declareJSON("1001", 400, 300, 100, "HANGZHOU_ZS"))
	if b := r.bodyOf(t, MethodDeclare); path(b, "obj.request_success") != true || path(b, "obj.state") != StateUndeclared {
		t.Errorf("after a NO_AUTH failure, another customs: %s, want accepted", r.body)
	}
	if d, _ := e.g.Declaration("1001"); !d.Held || d.Customs != "HANGZHOU_ZS" {
		t.Errorf("Declaration = %+v, want held with HANGZHOU_ZS", d)
	}
	// A fee mismatch against a held declaration is a conflict and leaves it
	// alone.
	b := e.declare(declareJSON("1001", 999, 300, 100, "HANGZHOU_ZS")).bodyOf(t, MethodDeclare)
	if path(b, "obj.error_msg") != msgConflict || path(b, "obj.state") != StateUndeclared {
		t.Errorf("fee mismatch against a held declaration: %v, want the conflict and UNDECLARED", b)
	}
	if d, _ := e.g.Declaration("1001"); !d.Held || d.OrderFee != 400 {
		t.Errorf("Declaration after a bad repeat = %+v, want the held one unchanged", d)
	}
}
