package sandbox

import (
	"strings"
	"testing"
)

// docCallback is the J of docs/protocol.md#test-vectors, the API page's example serialised by the
// official Java writer.
const docCallback = `{"clearance_port_no":"2991","clearance_result_code":"0000","clearance_status":1,"clearance_time":"2023-06-20 13:21:54","customs_pass_no":"2991071755662","customs_return_receipt":"订单已放行\/...","idempotent":"xxe3444k9k9","order_id":1234567}`

func TestCallbackArguments(t *testing.T) {
	repl := func(old, new string) *string { s := strings.Replace(docCallback, old, new, 1); return &s }
	tests := []struct {
		name     string
		param    *string
		wantCode int
		wantMsg  string // msg_code when the envelope refuses
	}{
		{name: "the page's example", param: ptr(docCallback)},
		{name: "parameter missing", wantMsg: "PARAM_NOT_NULL"},
		{name: "idempotent missing", param: repl(`"idempotent":"xxe3444k9k9",`, ``), wantMsg: "PARAM_NOT_NULL"},
		{name: "idempotent empty", param: repl(`"xxe3444k9k9"`, `""`), wantMsg: "PARAM_NOT_NULL"},
		{name: "status 3", param: repl(`"clearance_status":1`, `"clearance_status":3`), wantMsg: "PARAM_ILLEGAL"},
		{name: "status 2", param: repl(`"clearance_status":1`, `"clearance_status":2`)},
		{name: "only the key", param: ptr(`{"idempotent":"k"}`)},
		{name: "not JSON", param: ptr(`idempotent=k`), wantCode: 41},
		{name: "order_id a string", param: repl(`"order_id":1234567`, `"order_id":"1234567"`), wantCode: 41},
		{name: "order_id a float", param: repl(`"order_id":1234567`, `"order_id":1234567.0`), wantCode: 41},
		{name: "status a string", param: repl(`"clearance_status":1`, `"clearance_status":"1"`), wantCode: 41},
		{name: "time a number", param: repl(`"2023-06-20 13:21:54"`, `1687238514000`), wantCode: 41},
		{name: "time RFC 3339", param: repl(`"2023-06-20 13:21:54"`, `"2023-06-20T13:21:54+08:00"`), wantCode: 41},
		{name: "time impossible", param: repl(`"2023-06-20 13:21:54"`, `"2023-02-30 13:21:54"`), wantCode: 41},
		{name: "idempotent a number", param: repl(`"xxe3444k9k9"`, `12`), wantCode: 41},
		{name: "port a number", param: repl(`"2991"`, `2991`), wantCode: 41},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, Config{})
			app := map[string]string{}
			if tt.param != nil {
				app[callbackParam] = *tt.param
			}
			r := e.call(MethodCallback, app)
			code, _, _ := r.errorOf(t)
			if code != tt.wantCode {
				t.Fatalf("code %d, want %d: %s", code, tt.wantCode, r.body)
			}
			c := e.g.Counters().Callbacks
			if code != 0 {
				if msg := path(r.m, "error_response.msg"); msg != "Invalid Arguments:order_clearance_info_request" {
					t.Errorf("msg = %v", msg)
				}
				if c.New != 0 {
					t.Errorf("counters %+v after code %d", c, code)
				}
				return
			}
			b := r.bodyOf(t, MethodCallback)
			if tt.wantMsg == "" {
				if b["msg_success"] != true || b["msg_obj"] != true || c.New != 1 {
					t.Errorf("got %s, counters %+v, want msg_success and msg_obj true, New 1", r.body, c)
				}
				return
			}
			if b["msg_success"] != false || b["msg_code"] != tt.wantMsg || b["msg_info"] == "" || c.Invalid != 1 || c.New != 0 {
				t.Errorf("got %s, counters %+v, want msg_success false, msg_code %s, Invalid 1", r.body, c, tt.wantMsg)
			}
		})
	}
}

func TestCallbackRepeats(t *testing.T) {
	e := newEnv(t, Config{})
	send := func(req string) {
		t.Helper()
		b := e.call(MethodCallback, map[string]string{callbackParam: req}).bodyOf(t, MethodCallback)
		if b["msg_success"] != true {
			t.Fatalf("msg_success = %v, want true", b["msg_success"])
		}
	}
	send(docCallback)
	send(docCallback)
	send(strings.Replace(docCallback, `订单已放行`, `订单已放行(重发)`, 1)) // same key and status: a repeat
	send(strings.Replace(docCallback, `"clearance_status":1`, `"clearance_status":2`, 1))
	c := e.g.Counters().Callbacks
	if c.New != 2 || c.Repeated != 2 || c.Invalid != 0 {
		t.Errorf("counters %+v, want New 2, Repeated 2", c)
	}
	r, ok := e.g.Callback("xxe3444k9k9", 1)
	want := CallbackRecord{
		Idempotent: "xxe3444k9k9", OrderID: 1234567, ClearanceStatus: 1, ClearanceResultCode: "0000",
		ClearancePortNo: "2991", ClearanceTime: "2023-06-20 13:21:54", CustomsPassNo: "2991071755662",
		CustomsReturnReceipt: "订单已放行/...", ReceivedAt: t0, Repeats: 2,
	}
	if !ok || r != want {
		t.Errorf("Callback(xxe3444k9k9, 1) =\n%+v, want\n%+v", r, want)
	}
	if r, ok := e.g.Callback("xxe3444k9k9", 2); !ok || r.Repeats != 0 {
		t.Errorf("Callback(xxe3444k9k9, 2) = %+v, %v", r, ok)
	}
	if _, ok := e.g.Callback("other", 1); ok {
		t.Errorf("Callback(other, 1) found")
	}
}
