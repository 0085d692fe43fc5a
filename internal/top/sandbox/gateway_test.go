package sandbox

import (
	"bytes"
	"encoding/xml"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/crossborder/reconcile/internal/cst"
	"github.com/crossborder/reconcile/internal/top"
)

const okMaterials = "2531111111111111111"

// TestSystemChecks covers every system check, each alone and, where two
// fail at once, the platform's order.
func TestSystemChecks(t *testing.T) {
	set := func(k, v string) func(url.Values) { return func(p url.Values) { p.Set(k, v) } }
	del := func(ks ...string) func(url.Values) {
		return func(p url.Values) {
			for _, k := range ks {
				p.Del(k)
			}
		}
	}
	at := func(d time.Duration) func(url.Values) {
		return func(p url.Values) { p.Set("timestamp", cst.Format(t0.Add(d))) }
	}
	both := func(a, b func(url.Values)) func(url.Values) { return func(p url.Values) { a(p); b(p) } }
	tests := []struct {
		name    string
		before  func(url.Values) // applied before signing
		after   func(url.Values) // applied after signing
		secret  string
		want    int
		wantSub string
	}{
		{name: "valid", want: 0},
		{name: "method missing", before: del("method"), want: 21},
		{name: "method unknown", before: set("method", "taobao.item.seller.get"), want: 22},
		{name: "app_key missing", before: del("app_key"), want: 28},
		{name: "app_key unknown", before: set("app_key", "87654321"), want: 29},
		{name: "timestamp missing", before: del("timestamp"), want: 30},
		{name: "timestamp slashes", before: set("timestamp", "2026/11/20 12:00:00"), want: 31},
		{name: "timestamp millis", before: set("timestamp", "1795147200000"), want: 31},
		{name: "timestamp RFC 3339", before: set("timestamp", "2026-11-20T12:00:00+08:00"), want: 31},
		{name: "timestamp 10m ahead", before: at(10 * time.Minute), want: 0},
		{name: "timestamp 10m behind", before: at(-10 * time.Minute), want: 0},
		{name: "timestamp 10m01s ahead", before: at(10*time.Minute + time.Second), want: 31},
		{name: "timestamp 10m01s behind", before: at(-10*time.Minute - time.Second), want: 31},
		{name: "timestamp in UTC, 8h behind", before: set("timestamp", t0.UTC().Format(cst.Layout)), want: 31},
		{name: "v missing", before: del("v"), want: 32},
		{name: "v malformed", before: set("v", "two"), want: 33},
		{name: "v 1.0", before: set("v", "1.0"), want: 34},
		{name: "v 3.0", before: set("v", "3.0"), want: 34},
		{name: "format yaml", before: set("format", "yaml"), want: 23},
		{name: "sign missing", after: del("sign"), want: 24},
		{name: "sign wrong", after: set("sign", "66987CB115214E59E6EC978214934FB8"), want: 25},
		{name: "sign lower-case hex", after: func(p url.Values) { p.Set("sign", strings.ToLower(p.Get("sign"))) }, want: 0},
		{name: "wrong secret", secret: "not-the-secret", want: 25},
		{name: "param changed after signing", after: set(declareParam, declareJSON("2", 1, 1, 0, "HANGZHOU_ZS")), want: 25},
		{name: "sign_method unknown", before: set("sign_method", "sha1"), want: 25},
		{name: "sign_method absent means md5", before: del("sign_method"), want: 0},
		{name: "sign_method hmac, signed md5", after: set("sign_method", "hmac"), want: 25},
		{name: "session missing", before: del("session"), want: 26},
		{name: "session wrong", before: set("session", "6100e1234"), want: 27, wantSub: "invalid-sessionkey"},
		{name: "session expired", before: set("session", "expired-session"), want: 27, wantSub: "session-not-exist"},
		{name: "empty value is absent", before: set("session", ""), want: 26},
		{name: "partner_id signed too", before: set("partner_id", "top-sdk-java"), want: 0},

		// Two failures at once: the earlier check answers.
		{name: "21 before 28", before: del("method", "app_key"), want: 21},
		{name: "22 before 29", before: both(set("method", "x.y"), set("app_key", "1")), want: 22},
		{name: "28 before 30", before: del("app_key", "timestamp"), want: 28},
		{name: "29 before 31", before: both(set("app_key", "1"), at(time.Hour)), want: 29},
		{name: "31 before 32", before: both(at(time.Hour), del("v")), want: 31},
		{name: "34 before 23", before: both(set("v", "1.0"), set("format", "yaml")), want: 34},
		{name: "23 before 24", before: set("format", "yaml"), after: del("sign"), want: 23},
		{name: "25 before 26", before: del("session"), secret: "wrong", want: 25},
		{name: "27 before 11", before: both(set("method", MethodCallback), set("session", "x")), want: 27, wantSub: "invalid-sessionkey"},
		{name: "11 permission", before: set("method", MethodCallback), want: 11, wantSub: "isv.permission-api-package-limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, Config{ExpiredSessions: []string{"expired-session"}, DeniedMethods: []string{MethodCallback}})
			v := e.sysParams(MethodDeclare, map[string]string{declareParam: declareJSON("1", 1, 1, 0, "HANGZHOU_ZS")})
			if tt.before != nil {
				tt.before(v)
			}
			signValues(t, v, tt.secret)
			if tt.after != nil {
				tt.after(v)
			}
			r := e.post(nil, v)
			code, sub, _ := r.errorOf(t)
			if code != tt.want || sub != tt.wantSub {
				t.Fatalf("got code %d sub_code %q, want %d %q: %s", code, sub, tt.want, tt.wantSub, r.body)
			}
			if code != 0 && r.m != nil {
				msg := path(r.m, "error_response.msg")
				if want := top.CodeMsg(code); msg != want {
					t.Errorf("msg = %v, want %q", msg, want)
				}
			}
			c := e.g.Counters()
			if c.Answers[code] != 1 {
				t.Errorf("Counters.Answers[%d] = %d, want 1", code, c.Answers[code])
			}
			if wantEffects := map[bool]int{true: 1, false: 0}[code == 0]; c.Declarations.Effects["1"] != wantEffects {
				t.Errorf("Effects = %d, want %d", c.Declarations.Effects["1"], wantEffects)
			}
		})
	}
}

// TestSignMethods: each method signed right is accepted, signed with the
// wrong secret or under another method's name is refused with 25.
func TestSignMethods(t *testing.T) {
	for _, m := range []top.SignMethod{top.SignMD5, top.SignHMAC, top.SignHMACSHA256} {
		for _, good := range []bool{true, false} {
			e := newEnv(t, Config{})
			v := e.sysParams(MethodMaterials, map[string]string{"order_id": okMaterials})
			v.Set("sign_method", string(m))
			secret := ""
			if !good {
				secret = "helloworld"
			}
			signValues(t, v, secret)
			code, _, _ := e.post(nil, v).errorOf(t)
			if want := map[bool]int{true: 0, false: 25}[good]; code != want {
				t.Errorf("%s, right secret %v: code %d, want %d", m, good, code, want)
			}
		}
	}
}

// TestSignVectorV5 checks the gateway against the V5 vectors of docs/protocol.md#test-vectors: the
// signatures published there are accepted at that vector's time.
func TestSignVectorV5(t *testing.T) {
	j := `{"clearance_port_no":"2991","clearance_result_code":"0000","clearance_status":1,"clearance_time":"2023-06-20 13:21:54","customs_pass_no":"2991071755662","customs_return_receipt":"订单已放行\/...","idempotent":"xxe3444k9k9","order_id":1234567}`
	at, _ := time.ParseInLocation(cst.Layout, "2023-06-20 13:30:00", cst.Zone)
	for m, sign := range map[string]string{
		"md5":         "53CD9D309B5975F877EA0FE408AE3E5A",
		"hmac":        "A431CC55C91D6B248558A41735EF39FF",
		"hmac-sha256": "B197B3A4651DCC234FD8E1BA5EE07822286B6EDF37DEDBEE0A37C1E9990BDC29",
	} {
		e := newEnv(t, Config{AppKey: "12345678", Secret: "helloworld", Session: "test", Now: func() time.Time { return at }})
		v := url.Values{"app_key": {"12345678"}, "format": {"json"}, "method": {MethodCallback}, "session": {"test"},
			"timestamp": {"2023-06-20 13:30:00"}, "v": {"2.0"}, "sign_method": {m}, callbackParam: {j}, "sign": {sign}}
		b := e.post(nil, v).bodyOf(t, MethodCallback)
		if b["msg_success"] != true {
			t.Errorf("V5 %s: msg_success = %v, want true", m, b["msg_success"])
		}
	}
}

// TestParameterPlaces: the official SDKs send system parameters in the
// query string, others everything in the body; GET and multipart work too;
// the signature covers the union.
func TestParameterPlaces(t *testing.T) {
	e := newEnv(t, Config{})
	app := map[string]string{"order_id": okMaterials}

	v := e.sysParams(MethodMaterials, app)
	signValues(t, v, "")
	query, body := url.Values{}, url.Values{}
	for k := range v {
		if k == "order_id" {
			body.Set(k, v.Get(k))
		} else {
			query.Set(k, v.Get(k))
		}
	}
	if code, _, _ := e.post(query, body).errorOf(t); code != 0 {
		t.Errorf("system params in the query, app params in the body: code %d, want 0", code)
	}
	if code, _, _ := e.post(v, nil).errorOf(t); code != 0 {
		t.Errorf("everything in the query of a POST: code %d, want 0", code)
	}

	req, _ := http.NewRequest(http.MethodGet, e.url()+"?"+v.Encode(), nil)
	if code, _, _ := e.do(req).errorOf(t); code != 0 {
		t.Errorf("GET: code %d, want 0", code)
	}

	var mp bytes.Buffer
	w := multipart.NewWriter(&mp)
	for k := range v {
		_ = w.WriteField(k, v.Get(k))
	}
	_ = w.Close()
	req, _ = http.NewRequest(http.MethodPost, e.url(), &mp)
	req.Header.Set("Content-Type", w.FormDataContentType())
	if code, _, _ := e.do(req).errorOf(t); code != 0 {
		t.Errorf("multipart body: code %d, want 0", code)
	}

	// A parameter in the query that the signature did not cover.
	extra := url.Values{"need_image": {"true"}}
	if code, _, _ := e.post(extra, v).errorOf(t); code != 25 {
		t.Errorf("unsigned query parameter: code %d, want 25", code)
	}
	// The same parameter, signed, in the query.
	v2 := e.sysParams(MethodMaterials, app)
	v2.Set("need_image", "true")
	signValues(t, v2, "")
	v2.Del("need_image")
	b := e.post(extra, v2).bodyOf(t, MethodMaterials)
	if path(b, "result.module.credential1") == nil {
		t.Errorf("need_image=true from the query was not applied: %v", b)
	}
}

func TestEnvelopes(t *testing.T) {
	e := newEnv(t, Config{})
	app := map[string]string{"order_id": okMaterials}

	r := e.call(MethodMaterials, app)
	if r.ctype != "application/json;charset=UTF-8" {
		t.Errorf("Content-Type = %q, want application/json;charset=UTF-8", r.ctype)
	}
	if b := r.bodyOf(t, MethodMaterials); path(b, "result.success") != true {
		t.Errorf("wrapped: result.success = %v, want true: %s", path(b, "result.success"), r.body)
	}
	if !bytes.HasPrefix(r.body, []byte(`{"tmall_hk_clearance_distribution_get_response":{"result":{`)) {
		t.Errorf("wrapped answer = %s", r.body)
	}

	v := e.sysParams(MethodMaterials, app)
	v.Set("simplify", "true")
	signValues(t, v, "")
	r = e.post(nil, v)
	if path(r.m, "result.success") != true || !requestIDForm.MatchString(r.m["request_id"].(string)) {
		t.Errorf("simplify: got %s, want the bare object with a request_id", r.body)
	}

	// An error with simplify is still wrapped, and has no sub_code.
	v.Set("app_key", "1")
	signValues(t, v, "")
	r = e.post(nil, v)
	if code, _, _ := r.errorOf(t); code != 29 {
		t.Errorf("simplify error: code %d, want 29", code)
	}
	if bytes.Contains(r.body, []byte("sub_code")) || bytes.Contains(r.body, []byte("sub_msg")) {
		t.Errorf("empty sub_code/sub_msg not left out: %s", r.body)
	}

	// XML: format absent and format=xml, success and error.
	for _, tc := range []struct {
		format, appKey, root string
	}{
		{"", "", "tmall_hk_clearance_distribution_get_response"},
		{"xml", "", "tmall_hk_clearance_distribution_get_response"},
		{"xml", "1", "error_response"},
	} {
		v := e.sysParams(MethodMaterials, app)
		v.Del("format")
		if tc.format != "" {
			v.Set("format", tc.format)
		}
		if tc.appKey != "" {
			v.Set("app_key", tc.appKey)
		}
		signValues(t, v, "")
		r := e.post(nil, v)
		if r.status != 200 || r.ctype != "text/xml;charset=UTF-8" {
			t.Errorf("xml %+v: HTTP %d %q, want 200 text/xml", tc, r.status, r.ctype)
		}
		var doc struct {
			XMLName   xml.Name
			Code      int    `xml:"code"`
			Msg       string `xml:"msg"`
			RequestID string `xml:"request_id"`
			Result    struct {
				Success bool `xml:"success"`
				Module  struct {
					OcrID   string `xml:"ocr_id"`
					OrderID int64  `xml:"order_id"`
				} `xml:"module"`
			} `xml:"result"`
		}
		if err := xml.Unmarshal(r.body, &doc); err != nil {
			t.Fatalf("xml %+v: not well-formed: %v: %s", tc, err, r.body)
		}
		if doc.XMLName.Local != tc.root || !requestIDForm.MatchString(doc.RequestID) {
			t.Errorf("xml %+v: root %s request_id %q: %s", tc, doc.XMLName.Local, doc.RequestID, r.body)
		}
		if tc.root == "error_response" && (doc.Code != 29 || doc.Msg != "Invalid App Key") {
			t.Errorf("xml error: code %d msg %q, want 29 Invalid App Key", doc.Code, doc.Msg)
		}
		if tc.root != "error_response" && (!doc.Result.Success || doc.Result.Module.OrderID != 2531111111111111111 || len(doc.Result.Module.OcrID) != 18) {
			t.Errorf("xml success: %+v", doc.Result)
		}
	}
}

func TestNotTheGateway(t *testing.T) {
	e := newEnv(t, Config{})
	resp, err := e.srv.Client().Get(e.srv.URL + "/other")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /other: HTTP %d, want 404", resp.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodPut, e.url(), nil)
	resp, err = e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("PUT: HTTP %d, want 405", resp.StatusCode)
	}
	if n := len(e.g.Arrivals()); n != 0 {
		t.Errorf("Arrivals has %d entries for requests that are not calls, want 0", n)
	}
}

func TestDefaultCredentials(t *testing.T) {
	ak, sec, ses := DefaultCredentials()
	if ak == "" || sec == "" || ses == "" || sec == ses {
		t.Fatalf("DefaultCredentials() = %q, %q, %q", ak, sec, ses)
	}
	e := newEnv(t, Config{AppKey: "999", Secret: "s3cret", Session: "sess"})
	v := e.sysParams(MethodMaterials, map[string]string{"order_id": "1"})
	signValues(t, v, "")
	if code, _, _ := e.post(nil, v).errorOf(t); code != 29 {
		t.Errorf("demo app key against a configured one: code %d, want 29", code)
	}
	v.Set("app_key", "999")
	v.Set("session", "sess")
	signValues(t, v, "s3cret")
	if code, _, _ := e.post(nil, v).errorOf(t); code != 0 {
		t.Errorf("configured credentials: code %d, want 0", code)
	}
}
