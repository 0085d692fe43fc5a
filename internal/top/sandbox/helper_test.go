package sandbox

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crossborder/reconcile/internal/cst"
	"github.com/crossborder/reconcile/internal/top"
)

// t0 is the fake clock's start: 2026-11-20 12:00:00 UTC+8.
var t0 = time.Date(2026, 11, 20, 12, 0, 0, 0, cst.Zone)

// clock is a fake clock that tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: t0} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is a gateway under test behind a real HTTP server.
type env struct {
	t     *testing.T
	g     *Gateway
	srv   *httptest.Server
	clock *clock
}

// newEnv starts a gateway with cfg on a fake clock (unless cfg.Now is set).
func newEnv(t *testing.T, cfg Config) *env {
	t.Helper()
	c := newClock()
	if cfg.Now == nil {
		cfg.Now = c.Now
	}
	g := New(cfg)
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	return &env{t: t, g: g, srv: srv, clock: c}
}

func (e *env) url() string { return e.srv.URL + Path }

// sysParams returns the system parameters of a call of method at the fake
// clock's time, with the demo credentials, format json and sign_method md5,
// plus the application parameters app.
func (e *env) sysParams(method string, app map[string]string) url.Values {
	ak, _, ses := DefaultCredentials()
	v := url.Values{
		"method":      {method},
		"app_key":     {ak},
		"session":     {ses},
		"timestamp":   {cst.Format(e.clock.Now())},
		"v":           {"2.0"},
		"format":      {"json"},
		"sign_method": {"md5"},
	}
	for k, x := range app {
		v.Set(k, x)
	}
	return v
}

// signValues sets sign over v (and extra, the part sent elsewhere) with the
// demo secret unless secret is given.
func signValues(t *testing.T, v url.Values, secret string) {
	t.Helper()
	if secret == "" {
		_, secret, _ = DefaultCredentials()
	}
	m, err := top.ParseSignMethod(v.Get("sign_method"))
	if v.Get("sign_method") == "" {
		m, err = top.SignMD5, nil
	}
	if err != nil {
		m = top.SignMD5
	}
	s, err := top.Sign(flat(v), secret, m)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	v.Set("sign", s)
}

func flat(v url.Values) map[string]string {
	m := make(map[string]string, len(v))
	for k := range v {
		m[k] = v.Get(k)
	}
	return m
}

// reply is an answer as a test sees it.
type reply struct {
	status int
	ctype  string
	body   []byte
	m      map[string]any // the decoded JSON body, when JSON
}

// post sends query in the URL and body as a form, and returns the answer.
func (e *env) post(query, body url.Values) reply {
	e.t.Helper()
	u := e.url()
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(body.Encode()))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded;charset=UTF-8")
	return e.do(req)
}

func (e *env) do(req *http.Request) reply {
	e.t.Helper()
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("reading the answer: %v", err)
	}
	r := reply{status: resp.StatusCode, ctype: resp.Header.Get("Content-Type"), body: b}
	if strings.HasPrefix(r.ctype, "application/json") {
		r.m = decodeJSON(e.t, b)
	}
	return r
}

// decodeJSON decodes an answer, keeping numbers exact.
func decodeJSON(t *testing.T, b []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("answer is not JSON: %v: %s", err, b)
	}
	return m
}

// call signs a JSON call of method with app parameters, all in the body.
func (e *env) call(method string, app map[string]string) reply {
	e.t.Helper()
	v := e.sysParams(method, app)
	signValues(e.t, v, "")
	return e.post(nil, v)
}

// declareJSON is a WechatPayValidateReq as the official writer sends it.
func declareJSON(orderID string, orderFee, productFee, transportFee int64, customs string) string {
	b, _ := json.Marshal(map[string]any{
		"order_id": orderID, "transaction_id": "4200000" + orderID, "customs": customs,
		"order_fee": orderFee, "product_fee": productFee, "transport_fee": transportFee,
	})
	return string(b)
}

func (e *env) declare(req string) reply {
	e.t.Helper()
	return e.call(MethodDeclare, map[string]string{declareParam: req})
}

var requestIDForm = regexp.MustCompile(`^[0-9a-z]{13}$`)

// errorOf returns code, sub_code and sub_msg of an error_response, or code
// 0 for a success, checking the request_id either way.
func (r reply) errorOf(t *testing.T) (code int, subCode, subMsg string) {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("HTTP %d, want 200: %s", r.status, r.body)
	}
	if r.m == nil && strings.HasPrefix(r.ctype, "text/xml") {
		var x struct {
			XMLName   xml.Name
			Code      int    `xml:"code"`
			SubCode   string `xml:"sub_code"`
			SubMsg    string `xml:"sub_msg"`
			RequestID string `xml:"request_id"`
		}
		if err := xml.Unmarshal(r.body, &x); err != nil {
			t.Fatalf("answer is not XML: %v: %s", err, r.body)
		}
		if !requestIDForm.MatchString(x.RequestID) {
			t.Errorf("request_id = %q, want 13 base-36 characters: %s", x.RequestID, r.body)
		}
		if x.XMLName.Local != "error_response" {
			return 0, "", ""
		}
		return x.Code, x.SubCode, x.SubMsg
	}
	if r.m == nil {
		t.Fatalf("not a JSON answer: %s", r.body)
	}
	er, ok := r.m["error_response"].(map[string]any)
	if !ok {
		if len(r.m) != 1 {
			t.Fatalf("answer has %d top-level keys, want 1: %s", len(r.m), r.body)
		}
		for _, v := range r.m {
			obj, _ := v.(map[string]any)
			if id, _ := obj["request_id"].(string); !requestIDForm.MatchString(id) {
				t.Errorf("request_id = %q, want 13 base-36 characters: %s", id, r.body)
			}
		}
		return 0, "", ""
	}
	if id, _ := er["request_id"].(string); !requestIDForm.MatchString(id) {
		t.Errorf("request_id = %q, want 13 base-36 characters: %s", id, r.body)
	}
	n, err := er["code"].(json.Number).Int64()
	if err != nil {
		t.Fatalf("code is not an integer: %s", r.body)
	}
	subCode, _ = er["sub_code"].(string)
	subMsg, _ = er["sub_msg"].(string)
	return int(n), subCode, subMsg
}

// body returns the success body of method, failing when it is an error.
func (r reply) bodyOf(t *testing.T, method string) map[string]any {
	t.Helper()
	if code, sub, msg := r.errorOf(t); code != 0 {
		t.Fatalf("got error %d %s %s, want a success: %s", code, sub, msg, r.body)
	}
	b, ok := r.m[responseName(method)].(map[string]any)
	if !ok {
		t.Fatalf("no %s in %s", responseName(method), r.body)
	}
	return b
}

// path returns the value at a dotted path of nested objects.
func path(m map[string]any, p string) any {
	var cur any = m
	for _, k := range strings.Split(p, ".") {
		o, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = o[k]
	}
	return cur
}

// banSeconds parses N out of "This ban will last for N more seconds".
func banSeconds(t *testing.T, subMsg string) int {
	t.Helper()
	m := regexp.MustCompile(`^This ban will last for (\d+) more seconds$`).FindStringSubmatch(subMsg)
	if m == nil {
		t.Fatalf("sub_msg %q does not say how long the ban lasts", subMsg)
	}
	n := 0
	for _, c := range m[1] {
		n = n*10 + int(c-'0')
	}
	return n
}

func jsonNumber(s string) json.Number { return json.Number(s) }
