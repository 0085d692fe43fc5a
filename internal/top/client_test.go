package top

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"
)

func TestMain(m *testing.M) {
	// Whatever the host's zone (make test runs with TZ=UTC), prove the
	// client never uses it: make the local zone something far from UTC+8.
	time.Local = time.FixedZone("UTC-7", -7*60*60)
	os.Exit(m.Run())
}

// capture is an httptest server that records the parameters of each
// request and answers with a fixed body.
type capture struct {
	mu     sync.Mutex
	forms  []url.Values
	header http.Header
	body   string
	status int
}

func (c *capture) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	c.forms = append(c.forms, r.Form)
	c.header = r.Header.Clone()
	c.mu.Unlock()
	if c.status != 0 {
		w.WriteHeader(c.status)
	}
	io.WriteString(w, c.body)
}

func (c *capture) last(t *testing.T) url.Values {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.forms) == 0 {
		t.Fatal("the server saw no request")
	}
	return c.forms[len(c.forms)-1]
}

func newTestClient(t *testing.T, url string, opts ...Option) *Client {
	t.Helper()
	base := []Option{WithGateway(url), WithAppKey("12345678"), WithSecret("helloworld"), WithSession("test")}
	c, err := NewClient(append(base, opts...)...)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}

func fixedClock(s string) func() time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return func() time.Time { return t }
}

const acceptedDeclare = `{"tmall_hk_clearance_declare_wechat_response":{"response_success":true,"obj":{"request_success":true,"state":"UNDECLARED"},"request_id":"r1"}}`

func TestTimestampIsGMT8WhateverTheHostZone(t *testing.T) {
	srv := &capture{body: acceptedDeclare}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	tests := []struct {
		now  string
		want string
	}{
		{"2026-11-20T16:30:00Z", "2026-11-21 00:30:00"},
		{"2026-11-20T23:59:59-07:00", "2026-11-21 14:59:59"},
		{"2026-11-21T08:00:00+08:00", "2026-11-21 08:00:00"},
	}
	for _, tt := range tests {
		c := newTestClient(t, ts.URL, WithClock(fixedClock(tt.now)))
		if _, err := c.ClearanceDeclareWechat(context.Background(), WechatPayValidateReq{OrderID: "1", TransactionID: "2", Customs: "X", OrderFee: 1, ProductFee: 1}); err != nil {
			t.Fatalf("call: %v", err)
		}
		if got := srv.last(t).Get("timestamp"); got != tt.want {
			t.Errorf("clock %s: timestamp = %q, want %q", tt.now, got, tt.want)
		}
	}
}

func TestRequestParametersAndSignature(t *testing.T) {
	srv := &capture{body: acceptedDeclare}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	for _, m := range []SignMethod{SignMD5, SignHMAC, SignHMACSHA256} {
		c := newTestClient(t, ts.URL, WithSignMethod(m), WithPartnerID("reconcile"))
		_, err := c.ClearanceDeclareWechat(context.Background(), WechatPayValidateReq{OrderID: "2531111111111111111", TransactionID: "43321022802025042743111111", Customs: "SHANGHAI_JG", OrderFee: 400, ProductFee: 300, TransportFee: 100})
		if err != nil {
			t.Fatalf("%s: %v", m, err)
		}
		form := srv.last(t)
		want := map[string]string{
			"method": MethodClearanceDeclareWechat, "app_key": "12345678", "session": "test", "format": "json",
			"v": "2.0", "sign_method": string(m), "partner_id": "reconcile",
		}
		for k, v := range want {
			if got := form.Get(k); got != v {
				t.Errorf("%s: %s = %q, want %q", m, k, got, v)
			}
		}
		params := map[string]string{}
		for k := range form {
			params[k] = form.Get(k)
		}
		sig, _ := Sign(params, "helloworld", m)
		if got := form.Get("sign"); got != sig {
			t.Errorf("%s: sign = %s, want %s", m, got, sig)
		}
		if _, ok := form["simplify"]; ok {
			t.Errorf("%s: simplify sent without WithSimplify", m)
		}
		if ct := srv.header.Get("Content-Type"); ct != "application/x-www-form-urlencoded;charset=UTF-8" {
			t.Errorf("Content-Type = %q", ct)
		}
	}
}

// The V5 vector end to end: the callback object serialised by the client is
// exactly the J of docs/protocol.md#test-vectors, and the signature the server receives is V5's,
// for all three methods.
func TestCallbackV5EndToEnd(t *testing.T) {
	srv := &capture{body: `{"tmall_hk_clearance_info_send_response":{"msg_success":true,"msg_obj":true,"request_id":"r"}}`}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	clearanceTime := time.Date(2023, 6, 20, 5, 21, 54, 0, time.UTC) // 13:21:54 in GMT+8
	req := OrderClearanceInfoRequest{
		ClearanceResultCode: "0000", ClearancePortNo: "2991", ClearanceStatus: 1, ClearanceTime: clearanceTime,
		OrderID: 1234567, CustomsPassNo: "2991071755662", CustomsReturnReceipt: "订单已放行/...", Idempotent: "xxe3444k9k9",
	}
	want := map[SignMethod]string{
		SignMD5:        "53CD9D309B5975F877EA0FE408AE3E5A",
		SignHMAC:       "A431CC55C91D6B248558A41735EF39FF",
		SignHMACSHA256: "B197B3A4651DCC234FD8E1BA5EE07822286B6EDF37DEDBEE0A37C1E9990BDC29",
	}
	for m, sig := range want {
		c := newTestClient(t, ts.URL, WithSignMethod(m), WithClock(fixedClock("2023-06-20T13:30:00+08:00")))
		resp, err := c.ClearanceInfoSend(context.Background(), req)
		if err != nil {
			t.Fatalf("%s: %v", m, err)
		}
		if !resp.Sent() || resp.Err() != nil {
			t.Errorf("%s: Sent = %v, Err = %v", m, resp.Sent(), resp.Err())
		}
		form := srv.last(t)
		if got := form.Get(ParamOrderClearanceInfoRequest); got != v5JSON {
			t.Errorf("%s: object = %s\nwant %s", m, got, v5JSON)
		}
		if got := form.Get("sign"); got != sig {
			t.Errorf("%s: sign = %s, want %s", m, got, sig)
		}
	}
}

func TestObjectSerialisation(t *testing.T) {
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"declare doc example", WechatPayValidateReq{OrderID: "2531111111111111111", TransactionID: "43321022802025042743111111", Customs: "SHANGHAI_JG", OrderFee: 400, ProductFee: 300, TransportFee: 100},
			`{"customs":"SHANGHAI_JG","order_fee":400,"order_id":"2531111111111111111","product_fee":300,"transaction_id":"43321022802025042743111111","transport_fee":100}`},
		{"declare zero fees stay", WechatPayValidateReq{OrderID: "1", TransactionID: "t", Customs: "c"},
			`{"customs":"c","order_fee":0,"order_id":"1","product_fee":0,"transaction_id":"t","transport_fee":0}`},
		{"callback 19-digit order id as a number", OrderClearanceInfoRequest{Idempotent: "k", OrderID: 9223372036854775807, ClearanceStatus: 2},
			`{"clearance_status":2,"idempotent":"k","order_id":9223372036854775807}`},
		{"callback empty idempotent still sent", OrderClearanceInfoRequest{OrderID: 5},
			`{"idempotent":"","order_id":5}`},
		{"no HTML escaping", OrderClearanceInfoRequest{Idempotent: "a<b>&c", OrderID: 1},
			`{"idempotent":"a<b>&c","order_id":1}`},
	}
	for _, tt := range tests {
		got, err := encodeObject("p", tt.v)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, tt.want)
		}
		// Whatever the escaping, the value must decode back exactly, numbers
		// included (no float on the way).
		dec := json.NewDecoder(strings.NewReader(got))
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			t.Errorf("%s: not JSON: %v", tt.name, err)
		}
	}
}

func TestNineteenDigitOrderIDSurvivesTheWire(t *testing.T) {
	srv := &capture{body: acceptedDeclare}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	c := newTestClient(t, ts.URL)
	const id = "5118609024991031607"
	if _, err := c.ClearanceDeclareWechat(context.Background(), WechatPayValidateReq{OrderID: id, TransactionID: "4200001234202611201234567890", Customs: "NINGBO", OrderFee: 12345, ProductFee: 12000, TransportFee: 345}); err != nil {
		t.Fatal(err)
	}
	var got struct {
		OrderID  any         `json:"order_id"`
		OrderFee json.Number `json:"order_fee"`
	}
	dec := json.NewDecoder(strings.NewReader(srv.last(t).Get(ParamWechatPayValidateReq)))
	dec.UseNumber()
	if err := dec.Decode(&got); err != nil {
		t.Fatal(err)
	}
	if s, ok := got.OrderID.(string); !ok || s != id {
		t.Errorf("order_id = %#v, want the string %q", got.OrderID, id)
	}
	if got.OrderFee != "12345" {
		t.Errorf("order_fee = %s, want 12345", got.OrderFee)
	}

	srv.body = `{"tmall_hk_clearance_info_send_response":{"msg_success":true}}`
	if _, err := c.ClearanceInfoSend(context.Background(), OrderClearanceInfoRequest{Idempotent: "k", OrderID: 5118609024991031607, ClearanceStatus: 1}); err != nil {
		t.Fatal(err)
	}
	var cb struct {
		OrderID json.Number `json:"order_id"`
	}
	dec = json.NewDecoder(strings.NewReader(srv.last(t).Get(ParamOrderClearanceInfoRequest)))
	dec.UseNumber()
	if err := dec.Decode(&cb); err != nil {
		t.Fatal(err)
	}
	if cb.OrderID != id {
		t.Errorf("callback order_id = %s, want %s", cb.OrderID, id)
	}
}

func TestDistributionGetParameters(t *testing.T) {
	srv := &capture{body: `{"tmall_hk_clearance_distribution_get_response":{"result":{"success":true,"module":{"ocr_name":"张三","ocr_id":"11010519491231002X","ocr_exp":"20300101","type":1,"order_id":1460536261312998}},"request_id":"r"}}`}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	c := newTestClient(t, ts.URL)
	resp, err := c.ClearanceDistributionGet(context.Background(), ClearanceDistributionGetRequest{OrderID: 1460536261312998})
	if err != nil {
		t.Fatal(err)
	}
	form := srv.last(t)
	if got := form.Get("order_id"); got != "1460536261312998" {
		t.Errorf("order_id = %q", got)
	}
	if got := form.Get("need_image"); got != "false" {
		t.Errorf("need_image = %q, want false", got)
	}
	m := resp.Materials()
	if m == nil || m.OcrID != "11010519491231002X" || m.OcrExp != "20300101" || int64(m.OrderID) != 1460536261312998 {
		t.Errorf("materials = %+v", m)
	}
	if _, err := c.ClearanceDistributionGet(context.Background(), ClearanceDistributionGetRequest{}); err == nil {
		t.Error("order id 0 accepted")
	}
}

func TestResponses(t *testing.T) {
	const method = MethodClearanceDeclareWechat
	tests := []struct {
		name      string
		status    int
		body      string
		wantErr   string // substring of the error; "" for success
		wantCode  int
		wantClass Class
		wantState string
		simplify  bool // the client asks for the simplified form
	}{
		{name: "envelope", body: acceptedDeclare, wantState: "UNDECLARED"},
		{name: "simplified", body: `{"response_success":true,"obj":{"request_success":true,"state":"PROCESSING"},"request_id":"x"}`, wantState: "PROCESSING", simplify: true},
		{name: "envelope to a simplified client", body: acceptedDeclare, wantState: "UNDECLARED", simplify: true},
		{name: "simplified to a client that did not ask", body: `{"response_success":true,"obj":{"request_success":true,"state":"PROCESSING"},"request_id":"x"}`,
			wantErr: "not a platform envelope", wantClass: Retry},
		{name: "captive portal", body: `{"status":"ok"}`, wantErr: "not a platform envelope: neither tmall_hk_clearance_declare_wechat_response nor error_response: {\"status\":\"ok\"}", wantClass: Retry},
		{name: "captive portal to a simplified client", body: `{"status":"ok"}`, wantErr: "not a platform envelope", wantClass: Retry, simplify: true},
		{name: "proxy error page in JSON", body: `{"error":"blocked by policy","request_id":"p1"}`, wantErr: "not a platform envelope", wantClass: Retry, simplify: true},
		{name: "empty object", body: `{}`, wantErr: "not a platform envelope", wantClass: Retry, simplify: true},
		{name: "booleans as strings", body: `{"tmall_hk_clearance_declare_wechat_response":{"response_success":"true","obj":{"request_success":"true","state":"SUCCESS"}}}`, wantState: "SUCCESS"},
		{name: "control characters in strings", body: "{\"tmall_hk_clearance_declare_wechat_response\":{\"response_success\":true,\"response_msg\":\"a\x01b\nc\",\"obj\":{\"request_success\":true,\"state\":\"UNDECLARED\",\"error_msg\":\"x\ty\x1f\"}}}", wantState: "UNDECLARED"},
		{name: "control characters outside strings", body: "{\x00\"tmall_hk_clearance_declare_wechat_response\":\x07{\"response_success\":true,\"obj\":{\"request_success\":true,\"state\":\"SUCCESS\"}}}", wantState: "SUCCESS"},
		{name: "error first", body: `{"error_response":{"code":50,"msg":"Remote service error","sub_code":"isv.invalid-parameter","sub_msg":"非法参数","request_id":"abc"},"tmall_hk_clearance_declare_wechat_response":{}}`,
			wantErr: "code 50 Remote service error (isv.invalid-parameter: 非法参数) [request_id abc]", wantCode: 50, wantClass: Reject},
		{name: "error without sub_code", body: `{"error_response":{"code":25,"msg":"Invalid Signature","request_id":"r"}}`, wantErr: "code 25 Invalid Signature", wantCode: 25, wantClass: Fatal},
		{name: "code as a string", body: `{"error_response":{"code":"27","msg":"Invalid Session","sub_code":"invalid-sessionkey"}}`, wantErr: "code 27", wantCode: 27, wantClass: Fatal},
		{name: "error without code", body: `{"error_response":{"msg":"?"}}`, wantErr: "code 50", wantCode: 50, wantClass: Retry},
		{name: "ban", body: `{"error_response":{"code":7,"msg":"App Call Limited","sub_code":"accesscontrol.limited-by-api-access-count","sub_msg":"This ban will last for 3 more seconds"}}`, wantErr: "code 7", wantCode: 7, wantClass: Wait},
		{name: "other envelope", body: `{"tmall_hk_clearance_info_send_response":{"msg_success":true}}`, wantErr: "not a platform envelope: neither tmall_hk_clearance_declare_wechat_response", wantClass: Retry},
		{name: "HTML with 200", body: `<html><body>maintenance</body></html>`, wantErr: "undecodable response", wantClass: Retry},
		{name: "empty body", body: ``, wantErr: "undecodable response", wantClass: Retry},
		{name: "JSON array", body: `[1,2]`, wantErr: "undecodable response", wantClass: Retry},
		{name: "HTTP 502", status: 502, body: "<html>\r\n<h1>502 Bad Gateway</h1></html>", wantErr: "HTTP 502: <html> <h1>502 Bad Gateway</h1></html>", wantClass: Retry},
		{name: "HTTP 500 with an error envelope", status: 500, body: `{"error_response":{"code":10}}`, wantErr: "HTTP 500", wantClass: Retry},
		{name: "wrong type", body: `{"tmall_hk_clearance_declare_wechat_response":{"response_success":true,"obj":{"request_success":true,"state":7}}}`, wantErr: "undecodable tmall_hk_clearance_declare_wechat_response", wantClass: Retry},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := httptest.NewServer(&capture{body: tt.body, status: tt.status})
			defer ts.Close()
			c := newTestClient(t, ts.URL, WithSimplify(tt.simplify))
			resp, err := c.ClearanceDeclareWechat(context.Background(), WechatPayValidateReq{OrderID: "1", TransactionID: "2", Customs: "C", OrderFee: 1, ProductFee: 1})
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("err = %v, want none", err)
				}
				if got := resp.State(); got != tt.wantState {
					t.Errorf("state = %q, want %q", got, tt.wantState)
				}
				if !resp.Accepted() {
					t.Errorf("Accepted = false, want true")
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v (%T), want *Error", err, err)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %q, want it to contain %q", err, tt.wantErr)
			}
			if e.Code != tt.wantCode {
				t.Errorf("code = %d, want %d", e.Code, tt.wantCode)
			}
			if got, _ := Classify(err); got != tt.wantClass {
				t.Errorf("class = %v, want %v", got, tt.wantClass)
			}
			if e.Method != method {
				t.Errorf("method = %q", e.Method)
			}
		})
	}
}

func TestBusinessOutcomes(t *testing.T) {
	declare := []struct {
		body     string
		accepted bool
		wantErr  string
	}{
		{`{"response_success":true,"obj":{"request_success":true,"state":"SUBMITTED"}}`, true, ""},
		{`{"response_success":true,"obj":{"request_success":false,"state":"FAIL","error_code":"NO_AUTH","error_msg":"商户未在当前申报的海关进行备案"},"request_id":"q"}`, false, "refused: NO_AUTH: 商户未在当前申报的海关进行备案 [state FAIL] [request_id q]"},
		{`{"response_success":true,"obj":{"request_success":true,"state":"EXCEPT"}}`, false, `refused: declaration state "EXCEPT" [state EXCEPT]`},
		{`{"response_success":false,"response_code":"CL_PARAM_ERROR","response_msg":"参数错误"}`, false, "refused: CL_PARAM_ERROR: 参数错误"},
		{`{"response_success":true}`, false, "answer without obj"},
		{`{"response_success":true,"obj":{"request_success":false,"state":"FAIL","error_code":"PARAM_ERROR","error_msg":"商户海关申报重入信息不一致","error_detail":"transaction_id differs"}}`, false, "PARAM_ERROR: 商户海关申报重入信息不一致 (transaction_id differs)"},
	}
	for _, tt := range declare {
		var r ClearanceDeclareWechatResponse
		if err := decode(MethodClearanceDeclareWechat, []byte(tt.body), &r, true); err != nil {
			t.Fatal(err)
		}
		if r.Accepted() != tt.accepted {
			t.Errorf("%s: Accepted = %v, want %v", tt.body, r.Accepted(), tt.accepted)
		}
		err := r.Err()
		var be *BusinessError
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("%s: Err = %v, want nil", tt.body, err)
		case tt.wantErr != "" && (!errors.As(err, &be) || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("%s: Err = %v, want a *BusinessError containing %q", tt.body, err, tt.wantErr)
		}
	}

	var cb ClearanceInfoSendResponse
	decode(MethodClearanceInfoSend, []byte(`{"msg_success":false,"msg_code":"PARAM_NOT_NULL","msg_info":"参数不能为空"}`), &cb, true)
	if cb.Sent() || cb.Err() == nil || !strings.Contains(cb.Err().Error(), "PARAM_NOT_NULL: 参数不能为空") {
		t.Errorf("callback refusal: Sent = %v, Err = %v", cb.Sent(), cb.Err())
	}

	var mg ClearanceDistributionGetResponse
	decode(MethodClearanceDistributionGet, []byte(`{"result":{"success":false,"err_code":"Wrong order_id","err_msg":"无"}}`), &mg, true)
	if mg.Found() || mg.Materials() != nil || mg.Err() == nil || !strings.Contains(mg.Err().Error(), "Wrong order_id: 无") {
		t.Errorf("materials refusal: Found = %v, Err = %v", mg.Found(), mg.Err())
	}
	mg = ClearanceDistributionGetResponse{}
	decode(MethodClearanceDistributionGet, []byte(`{"result":{"success":true}}`), &mg, true)
	if mg.Found() || mg.Err() == nil {
		t.Errorf("success without module: Found = %v, Err = %v", mg.Found(), mg.Err())
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		err       error
		wantClass Class
		wantWait  time.Duration
	}{
		{&Error{Err: errors.New("connection refused")}, Retry, 0},
		{&Error{StatusCode: 502}, Retry, 0},
		{errors.New("not an *Error"), Retry, 0},
		{&Error{Code: 10, Msg: "Service Currently Unavailable"}, Retry, 0},
		{&Error{Code: 15, SubCode: "isp.top-remote-connection-timeout"}, Retry, 0},
		{&Error{Code: 50, SubCode: "isp.remote-service-error"}, Retry, 0},
		{&Error{Code: 50}, Retry, 0},
		{&Error{Code: 15, SubCode: "isv.invalid-parameter"}, Reject, 0},
		{&Error{Code: 50, SubCode: "isv.missing-parameter"}, Reject, 0},
		{&Error{Code: 40, Msg: "Missing Required Arguments:wechat_pay_validate_req"}, Reject, 0},
		{&Error{Code: 41}, Reject, 0},
		{&Error{Code: 7, SubCode: SubCodeAPIAccessLimited, SubMsg: "This ban will last for 12 more seconds"}, Wait, 12 * time.Second},
		{&Error{Code: 7, SubCode: SubCodeAppAPIAccessLimited, SubMsg: "This ban will last for 1 more seconds"}, Wait, time.Second},
		{&Error{Code: 7, SubCode: SubCodeAppAccessLimited, SubMsg: "This ban will last for 31062 more seconds"}, Fatal, 31062 * time.Second},
		{&Error{Code: 7, SubMsg: "no number here"}, Wait, 0},
		{&Error{Code: 11}, Fatal, 0},
		{&Error{Code: 25}, Fatal, 0},
		{&Error{Code: 27, SubCode: "invalid-sessionkey"}, Fatal, 0},
		{&Error{Code: 31}, Fatal, 0},
		{&Error{Code: 34}, Fatal, 0},
		{&Error{Code: 99, SubCode: "isp.unknown"}, Retry, 0},
		{&Error{Code: 99}, Reject, 0},
		{fmt.Errorf("wrapped: %w", &Error{Code: 21}), Fatal, 0},
	}
	for code := CodeMissingMethod; code <= CodeUnsupportedVersion; code++ {
		tests = append(tests, struct {
			err       error
			wantClass Class
			wantWait  time.Duration
		}{&Error{Code: code}, Fatal, 0})
	}
	for _, tt := range tests {
		class, wait := Classify(tt.err)
		if class != tt.wantClass || wait != tt.wantWait {
			t.Errorf("Classify(%v) = %v, %v; want %v, %v", tt.err, class, wait, tt.wantClass, tt.wantWait)
		}
	}
	if c, w := Classify(nil); c != 0 || w != 0 {
		t.Errorf("Classify(nil) = %v, %v", c, w)
	}
}

func TestTransportFailures(t *testing.T) {
	// A server that closes the connection without answering.
	drop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	}))
	defer drop.Close()
	// A port where nothing listens.
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	refused := "http://" + l.Addr().String() + "/router/rest"
	l.Close()

	for name, u := range map[string]string{"dropped": drop.URL, "refused": refused} {
		c := newTestClient(t, u)
		_, err := c.ClearanceInfoSend(context.Background(), OrderClearanceInfoRequest{Idempotent: "k", OrderID: 1})
		var e *Error
		if !errors.As(err, &e) || !e.Transport() {
			t.Fatalf("%s: err = %v, want a transport *Error", name, err)
		}
		if class, _ := Classify(err); class != Retry {
			t.Errorf("%s: class = %v, want retry", name, class)
		}
	}
}

func TestTimeout(t *testing.T) {
	block := make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	defer ts.Close()
	defer close(block)
	c := newTestClient(t, ts.URL, WithTimeout(50*time.Millisecond))
	_, err := c.ClearanceInfoSend(context.Background(), OrderClearanceInfoRequest{Idempotent: "k", OrderID: 1})
	var e *Error
	if !errors.As(err, &e) || !e.Transport() || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a transport *Error wrapping context.DeadlineExceeded", err)
	}
}

func TestBoundedRead(t *testing.T) {
	// An endless body: the client must stop at the limit, not read forever.
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"tmall_hk_clearance_info_send_response":{"msg_info":"`)
		chunk := strings.Repeat("x", 4096)
		for r.Context().Err() == nil {
			if _, err := io.WriteString(w, chunk); err != nil {
				return
			}
		}
	}))
	defer ts.Close()
	c := newTestClient(t, ts.URL, WithMaxBodyBytes(64<<10))
	_, err := c.ClearanceInfoSend(context.Background(), OrderClearanceInfoRequest{Idempotent: "k", OrderID: 1})
	if !errors.Is(err, errBodyTooLarge) {
		t.Fatalf("err = %v, want errBodyTooLarge", err)
	}
	if !strings.Contains(err.Error(), "65536 bytes") {
		t.Errorf("err = %v, want the limit named", err)
	}

	// A body exactly at the limit is fine.
	body := `{"tmall_hk_clearance_info_send_response":{"msg_success":true}}`
	ts2 := httptest.NewServer(&capture{body: body})
	defer ts2.Close()
	c = newTestClient(t, ts2.URL, WithMaxBodyBytes(int64(len(body))))
	if _, err := c.ClearanceInfoSend(context.Background(), OrderClearanceInfoRequest{Idempotent: "k", OrderID: 1}); err != nil {
		t.Errorf("body at the limit: %v", err)
	}
}

func TestSecretsNeverPrinted(t *testing.T) {
	const secret, session = "s3cr3t-VALUE", "sess10n-VALUE"
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + l.Addr().String() + "/router/rest"
	l.Close()
	ts := httptest.NewServer(&capture{body: `{"error_response":{"code":27,"msg":"Invalid Session"}}`})
	defer ts.Close()
	opts := []Option{WithAppKey("k"), WithSecret(secret), WithSession(session)}

	var printed []string
	for _, u := range []string{dead, ts.URL, "http://" + secret + "@host/router/rest"} {
		c, err := NewClient(append(opts, WithGateway(u))...)
		if err != nil {
			printed = append(printed, err.Error())
			continue
		}
		printed = append(printed,
			fmt.Sprintf("%v", c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), fmt.Sprintf("%s", c), fmt.Sprintf("%q", c),
			fmt.Sprintf("%v", *c), fmt.Sprintf("%+v", *c), fmt.Sprintf("%#v", *c),
			fmt.Sprintf("%v %+v %#v", opts, opts, opts))
		_, err = c.ClearanceDeclareWechat(context.Background(), WechatPayValidateReq{OrderID: "1"})
		if err == nil {
			t.Fatalf("%s: no error", u)
		}
		printed = append(printed, err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err))
	}
	if !strings.Contains(printed[0], "(redacted)") {
		t.Errorf("String() = %q, want the secret shown as (redacted)", printed[0])
	}
	for _, p := range printed {
		if strings.Contains(p, secret) || strings.Contains(p, session) {
			t.Errorf("printed a credential: %s", p)
		}
	}
}

func TestNewClientValidates(t *testing.T) {
	tests := []struct {
		name string
		opts []Option
		want string
	}{
		{"no app key", []Option{WithSecret("s")}, "no app key"},
		{"no secret", []Option{WithAppKey("k")}, "no app secret"},
		{"bad scheme", []Option{WithAppKey("k"), WithSecret("s"), WithGateway("ftp://x/router/rest")}, "invalid gateway URL"},
		{"no host", []Option{WithAppKey("k"), WithSecret("s"), WithGateway("/router/rest")}, "invalid gateway URL"},
		{"query", []Option{WithAppKey("k"), WithSecret("s"), WithGateway("http://h/router/rest?session=x")}, "must not carry"},
		{"sign method", []Option{WithAppKey("k"), WithSecret("s"), WithSignMethod("sha1")}, "unknown sign method"},
		{"body limit", []Option{WithAppKey("k"), WithSecret("s"), WithMaxBodyBytes(0)}, "body limit"},
	}
	for _, tt := range tests {
		_, err := NewClient(tt.opts...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}
	c, err := NewClient(WithAppKey("k"), WithSecret("s"))
	if err != nil || c.Gateway() != ProductionURL || c.signMethod != SignHMACSHA256 {
		t.Errorf("defaults: %v, %v", c, err)
	}
}

func TestResponseName(t *testing.T) {
	tests := map[string]string{
		MethodClearanceDeclareWechat:   "tmall_hk_clearance_declare_wechat_response",
		MethodClearanceInfoSend:        "tmall_hk_clearance_info_send_response",
		MethodClearanceDistributionGet: "tmall_hk_clearance_distribution_get_response",
		"taobao.item.seller.get":       "item_seller_get_response",
	}
	for in, want := range tests {
		if got := ResponseName(in); got != want {
			t.Errorf("ResponseName(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		acceptedDeclare,
		`{"error_response":{"code":7,"msg":"App Call Limited","sub_code":"accesscontrol.limited-by-api-access-count","sub_msg":"This ban will last for 5 more seconds"}}`,
		`{"error_response":{"code":"x"}}`,
		"{\"response_success\":true,\"response_msg\":\"\x00\\\x01\"}",
		`{"tmall_hk_clearance_declare_wechat_response":{"obj":null}}`,
		`[]`, `null`, `"`, `{"a":"\`, "",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var r ClearanceDeclareWechatResponse
		err := decode(MethodClearanceDeclareWechat, body, &r, true)
		if err == nil {
			_ = r.Accepted()
			_ = r.Err()
			return
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("decode returned %T, want *Error", err)
		}
		_, _ = Classify(err)
		_ = e.RetryAfter()
		// Sanitising must leave valid JSON valid and unchanged in meaning.
		if json.Valid(body) {
			var a, b any
			if json.Unmarshal(body, &a) == nil && json.Unmarshal(sanitizeJSON(body), &b) == nil {
				if fmt.Sprint(a) != fmt.Sprint(b) {
					t.Fatalf("sanitizeJSON changed valid JSON: %q", body)
				}
			}
		}
	})
}

func TestBodySnippetKeepsCharactersWhole(t *testing.T) {
	for pad := 190; pad <= 200; pad++ {
		body := strings.Repeat("a", pad) + strings.Repeat("网关错误", 10)
		got := bodySnippet([]byte(body))
		if !utf8.ValidString(got) || !strings.HasSuffix(got, "…") || len(got) > 200+len("…") {
			t.Errorf("pad %d: snippet %q is not whole characters of at most 200 bytes and …", pad, got)
		}
	}
	if got := bodySnippet([]byte("\x00\x01 short \n body\t")); got != "short body" {
		t.Errorf("snippet of a short body = %q, want %q", got, "short body")
	}
}

// A redirect is a transport failure: the client follows none, sends no byte
// to the host Location names, and says so without the session.
func TestRedirectsAreNeverFollowed(t *testing.T) {
	var evilHits atomic.Int64
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		evilHits.Add(1)
		io.WriteString(w, acceptedDeclare)
	}))
	defer evil.Close()
	evilHost := strings.TrimPrefix(evil.URL, "http://")
	for _, status := range []int{301, 302, 303, 307, 308} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, evil.URL+"/router/rest?session=leak", status)
			}))
			defer gw.Close()
			for _, hc := range []*http.Client{nil, {}} { // the default client, and one of the caller's
				opts := []Option{}
				if hc != nil {
					opts = append(opts, WithHTTPClient(hc))
				}
				c := newTestClient(t, gw.URL, opts...)
				_, err := c.ClearanceDeclareWechat(context.Background(), WechatPayValidateReq{OrderID: "1", TransactionID: "2", Customs: "C", OrderFee: 1, ProductFee: 1})
				var e *Error
				if !errors.As(err, &e) || !e.Transport() || e.StatusCode != status || !errors.Is(err, ErrRedirect) {
					t.Fatalf("err = %v, want a transport *Error with HTTP %d", err, status)
				}
				if msg := err.Error(); !strings.Contains(msg, strconv.Itoa(status)) || !strings.Contains(msg, evilHost) ||
					strings.Contains(msg, "leak") || strings.Contains(msg, "test") && strings.Contains(msg, "session=") {
					t.Errorf("message %q: want the status and the host %s, never the query", msg, evilHost)
				}
				if got, _ := Classify(err); got != Retry {
					t.Errorf("class %v, want retry", got)
				}
			}
		})
	}
	if n := evilHits.Load(); n != 0 {
		t.Errorf("the host the redirects named got %d requests, want 0", n)
	}
}
