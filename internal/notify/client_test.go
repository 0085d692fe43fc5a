package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// receiver is a robot platform in a test: it checks each request as the
// platform would, signature included (with its own implementation of the
// published algorithms, not this package's), and answers.
type receiver struct {
	t      *testing.T
	kind   Kind
	secret string
	answer func(n int) (status int, body string) // the answer to the n-th request (1-based)

	mu       sync.Mutex
	requests int
	problems []string
	payloads []map[string]any
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rc.mu.Lock()
	rc.requests++
	n := rc.requests
	rc.mu.Unlock()

	body, _ := io.ReadAll(r.Body)
	var p map[string]any
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if r.Method != http.MethodPost {
		bad("method %s", r.Method)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		bad("Content-Type %q", ct)
	}
	if err := json.Unmarshal(body, &p); err != nil {
		bad("body is not JSON: %v", err)
	}
	// The query as the platform reads it, and raw, to see its encoding.
	q := r.URL.Query()
	raw := map[string]string{}
	for _, kv := range strings.Split(r.URL.RawQuery, "&") {
		k, v, _ := strings.Cut(kv, "=")
		raw[k] = v
	}
	switch rc.kind {
	case WeCom:
		if q.Get("key") != wecomKey {
			bad("key %q", q.Get("key"))
		}
		if q.Has("sign") || q.Has("timestamp") {
			bad("a signature for WeCom")
		}
		if p["msgtype"] != "markdown" || dig(p, "markdown", "content") == "" {
			bad("not a markdown message: %s", body)
		}
	case DingTalk:
		if q.Get("access_token") != dingtalkToken {
			bad("access_token %q", q.Get("access_token"))
		}
		if rc.secret != "" {
			ts := q.Get("timestamp")
			// sign is URL-encoded Base64 in the raw query: decode it as
			// the platform does, then compare the HMAC.
			sign, err := url.QueryUnescape(raw["sign"])
			if err != nil || raw["sign"] == sign && strings.ContainsAny(sign, "+/=") {
				bad("sign %q is not URL-encoded", raw["sign"])
			}
			mac := hmac.New(sha256.New, []byte(rc.secret))
			mac.Write([]byte(ts + "\n" + rc.secret))
			got, err := base64.StdEncoding.DecodeString(sign)
			if err != nil || !hmac.Equal(got, mac.Sum(nil)) {
				bad("sign %q does not verify for timestamp %s", raw["sign"], ts)
			}
		} else if q.Has("sign") {
			bad("a signature without a secret")
		}
		if p["msgtype"] != "markdown" || dig(p, "markdown", "title") == "" || dig(p, "markdown", "text") == "" {
			bad("not a markdown message with title and text: %s", body)
		}
	case Feishu:
		if rc.secret != "" {
			ts, _ := p["timestamp"].(string)
			if _, err := strconv.ParseInt(ts, 10, 64); err != nil {
				bad("timestamp %v is not seconds as a string", p["timestamp"])
			}
			// Keyed with "timestamp\nsecret", over nothing.
			mac := hmac.New(sha256.New, []byte(ts+"\n"+rc.secret))
			sign, _ := p["sign"].(string)
			got, err := base64.StdEncoding.DecodeString(sign)
			if err != nil || !hmac.Equal(got, mac.Sum(nil)) {
				bad("sign %q does not verify for timestamp %s", sign, ts)
			}
		} else if p["sign"] != nil || p["timestamp"] != nil {
			bad("a signature without a secret")
		}
		if p["msg_type"] != "interactive" || dig(p, "card", "header", "title", "content") == "" {
			bad("not an interactive card with a title: %s", body)
		}
	}
	rc.mu.Lock()
	rc.problems = append(rc.problems, problems...)
	rc.payloads = append(rc.payloads, p)
	rc.mu.Unlock()

	status, answer := http.StatusOK, `{"errcode":0,"errmsg":"ok"}`
	if rc.kind == Feishu {
		answer = `{"code":0,"msg":"success","data":{}}`
	}
	if rc.answer != nil {
		status, answer = rc.answer(n)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, answer)
}

// check fails the test for every problem the receiver saw.
func (rc *receiver) check() {
	rc.t.Helper()
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, p := range rc.problems {
		rc.t.Errorf("%s receiver: %s", rc.kind, p)
	}
}

// dig returns the string at a path of keys in decoded JSON, "" if none.
func dig(v any, keys ...string) string {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = m[k]
	}
	s, _ := v.(string)
	return s
}

// robotURL is the receiver's URL for a robot of kind k, with its prefix.
func robotURL(k Kind, base string) string {
	switch k {
	case WeCom:
		return "wecom:" + base + "/cgi-bin/webhook/send?key=" + wecomKey
	case DingTalk:
		return "dingtalk:" + base + "/robot/send?access_token=" + dingtalkToken
	}
	return "feishu:" + base + "/open-apis/bot/v2/hook/" + feishuToken
}

func mustTarget(t *testing.T, s, secret string) Target {
	t.Helper()
	tg, err := ParseTarget(s)
	if err != nil {
		t.Fatal(err)
	}
	return tg.WithSecret(secret)
}

func fixedClock() time.Time { return testNow }

// Every kind of robot, signed and not, in one Send: each gets one request
// that its platform would take, signature checked.
func TestSendToEveryKind(t *testing.T) {
	msg := Digest(nightResult(), DigestOptions{Host: "recon-01"})
	var (
		receivers []*receiver
		targets   []Target
	)
	for _, tc := range []struct {
		kind   Kind
		secret string
	}{{WeCom, ""}, {DingTalk, dingSecret}, {DingTalk, ""}, {Feishu, feishuSecret}, {Feishu, ""}} {
		rc := &receiver{t: t, kind: tc.kind, secret: tc.secret}
		srv := httptest.NewServer(rc)
		t.Cleanup(srv.Close)
		receivers = append(receivers, rc)
		targets = append(targets, mustTarget(t, robotURL(tc.kind, srv.URL), tc.secret))
	}
	var logs bytes.Buffer
	c := NewClient(WithClock(fixedClock), WithLogger(slog.New(slog.NewTextHandler(&logs, nil))), WithRateLimit(20, time.Minute))
	outs := c.Send(context.Background(), targets, msg)
	if len(outs) != len(targets) {
		t.Fatalf("%d outcomes for %d robots", len(outs), len(targets))
	}
	for i, o := range outs {
		if o.Err != nil || o.Attempts != 1 || o.Kind != targets[i].Kind() || o.Robot != targets[i].String() {
			t.Errorf("outcome %d = %+v", i, o)
		}
		rc := receivers[i]
		rc.check()
		if rc.requests != 1 {
			t.Errorf("%s robot got %d requests, want 1", rc.kind, rc.requests)
		}
	}
	if Failed(outs) != 0 {
		t.Errorf("Failed = %d", Failed(outs))
	}

	// What the platforms got: the fixed clock's timestamps and the signs
	// computed apart (sign_test.go), the message.
	ding := receivers[1].payloads[0]
	if got := dig(ding, "markdown", "title"); got != msg.Title {
		t.Errorf("DingTalk title %q, want %q", got, msg.Title)
	}
	if !strings.Contains(dig(ding, "markdown", "text"), "需处理 48 笔") {
		t.Errorf("DingTalk text %q", dig(ding, "markdown", "text"))
	}
	fs := receivers[3].payloads[0]
	if fs["timestamp"] != "1795198485" || fs["sign"] != "Jz3ajRitlCkBXhtnE9NCoaWVsdfiSrlTBp5MlxEnM2Q=" {
		t.Errorf("Feishu timestamp %v, sign %v", fs["timestamp"], fs["sign"])
	}
	if dig(fs, "card", "header", "template") != "orange" {
		t.Errorf("Feishu card header %v", fs["card"])
	}
	if !strings.Contains(dig(receivers[0].payloads[0], "markdown", "content"), "`/srv/finance/reconcile/reports/reconcile_2026-11-20.xlsx`") {
		t.Errorf("WeCom content %q", dig(receivers[0].payloads[0], "markdown", "content"))
	}
	assertNoSecrets(t, "the logs", logs.String())
}

// DingTalk's query: the robot's own parameters kept, timestamp and sign
// those of the fixed clock, as computed apart; a timestamp and sign already
// in the URL replaced.
func TestDingTalkQuery(t *testing.T) {
	var got *url.URL
	c := NewClient(WithClock(fixedClock), WithRateLimit(20, time.Minute), WithHTTPClient(&http.Client{
		Transport: rtFunc(func(r *http.Request) (*http.Response, error) {
			got = r.URL
			return jsonAnswer(200, `{"errcode":0,"errmsg":"ok"}`), nil
		})}))
	tg := mustTarget(t, dingtalkURL+"&timestamp=1&sign=old", dingSecret)
	if o := c.Send(context.Background(), []Target{tg}, Message{Title: "对账"})[0]; o.Err != nil {
		t.Fatal(o.Err)
	}
	want := "access_token=" + dingtalkToken + "&sign=80XumSi2MykrLrtyIc0aWxVl4qw8Md6pgvADnXylQu0%3D&timestamp=1795198485123"
	if got.RawQuery != want || got.Host != "oapi.dingtalk.com" || got.Path != "/robot/send" {
		t.Errorf("request to %s?%s, want the query %s", got.Host+got.Path, got.RawQuery, want)
	}
}

type rtFunc func(*http.Request) (*http.Response, error)

func (f rtFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func jsonAnswer(status int, body string) *http.Response {
	return &http.Response{StatusCode: status, Status: strconv.Itoa(status) + " " + http.StatusText(status),
		Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(strings.NewReader(body))}
}

// Robots that fail, each alone: the outcome says how, after how many
// attempts; nothing panics, and no output shows a credential.
func TestSendFailures(t *testing.T) {
	tests := []struct {
		name     string
		kind     Kind
		secret   string
		answer   func(n int) (int, string)
		handler  http.Handler // instead of a receiver
		tls      bool
		closed   bool
		ok       bool
		attempts int // 0: more than one
		want     []string
		code     int // the *PlatformError's, if any
	}{
		{name: "error code", kind: DingTalk, secret: dingSecret, attempts: 1, code: 310000,
			answer: func(int) (int, string) {
				return 200, `{"errcode":310000,"errmsg":"sign not match, more: [https://oapi.dingtalk.com/robot/send?access_token=` + dingtalkToken + `]"}`
			},
			want: []string{"errcode 310000: sign not match", "access_token=***", "加签 secret", "1 attempt)"}},
		{name: "feishu bad request", kind: Feishu, secret: feishuSecret, attempts: 1, code: 9499,
			answer: func(int) (int, string) { return 400, `{"code":9499,"msg":"Bad Request","data":{}}` },
			want:   []string{"code 9499: Bad Request (HTTP 400)"}},
		{name: "feishu token invalid", kind: Feishu, attempts: 1, code: 19001,
			answer: func(int) (int, string) {
				return 200, `{"code":19001,"msg":"param invalid: incoming webhook access token invalid ` + feishuToken + `"}`
			},
			want: []string{"code 19001", "token invalid ***", "removed"}},
		{name: "500 then success", kind: WeCom, ok: true, attempts: 2,
			answer: func(n int) (int, string) {
				if n == 1 {
					return 500, `upstream error`
				}
				return 200, `{"errcode":0,"errmsg":"ok"}`
			}},
		{name: "rate limited then success", kind: WeCom, ok: true, attempts: 2,
			answer: func(n int) (int, string) {
				if n == 1 {
					return 200, `{"errcode":45009,"errmsg":"api freq out of limit"}`
				}
				return 200, `{"errcode":0,"errmsg":"ok"}`
			}},
		{name: "always 502", kind: DingTalk, secret: dingSecret, attempts: maxAttempts,
			answer: func(int) (int, string) { return 502, "<html>bad gateway</html>" },
			want:   []string{"HTTP 502 Bad Gateway: <html>bad gateway</html>"}},
		{name: "not JSON", kind: WeCom, attempts: 1,
			answer: func(int) (int, string) { return 200, "ok" },
			want:   []string{"HTTP 200: the answer is not JSON: ok"}},
		{name: "no code", kind: Feishu, attempts: 1,
			answer: func(int) (int, string) { return 200, `{"msg":"ok"}` },
			want:   []string{"the answer has no code"}},
		{name: "feishu legacy answer", kind: Feishu, secret: feishuSecret, ok: true, attempts: 1,
			answer: func(int) (int, string) { return 200, `{"Extra":null,"StatusCode":0,"StatusMessage":"success"}` }},
		{name: "huge answer", kind: WeCom, attempts: 1,
			answer: func(int) (int, string) { return 200, `{"errcode":0,"errmsg":"` + strings.Repeat("x", 70<<10) + `"}` },
			want:   []string{"larger than 64 KiB"}},
		{name: "redirect", kind: DingTalk, attempts: 1,
			handler: http.RedirectHandler("https://evil.example/?access_token="+dingtalkToken, http.StatusFound),
			want:    []string{"HTTP 302: a redirect, not followed"}},
		{name: "hangs", kind: Feishu, secret: feishuSecret,
			handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body) // so that the server sees the client go
				select {
				case <-r.Context().Done():
				case <-time.After(10 * time.Second):
				}
			}),
			want: []string{"notify feishu feishu:http://127.0.0.1:", "/open-apis/bot/v2/hook/***: "}},
		{name: "TLS refused", kind: DingTalk, secret: dingSecret, tls: true, attempts: 1,
			want: []string{"certificate"}},
		{name: "connection refused", kind: DingTalk, secret: dingSecret, closed: true,
			want: []string{"refused"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := &receiver{t: t, kind: tt.kind, secret: tt.secret, answer: tt.answer}
			var h http.Handler = rc
			if tt.handler != nil {
				h = tt.handler
			}
			srv := httptest.NewUnstartedServer(h)
			srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the TLS handshakes refused
			if tt.tls {
				srv.StartTLS()
			} else {
				srv.Start()
			}
			base := srv.URL
			if tt.closed {
				srv.Close()
			} else {
				t.Cleanup(srv.Close)
			}
			var logs bytes.Buffer
			c := NewClient(WithClock(fixedClock), WithAttemptTimeout(300*time.Millisecond), WithTotalTimeout(2*time.Second),
				WithBackoff(5*time.Millisecond), WithRateLimit(20, time.Minute), WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
			tg := mustTarget(t, robotURL(tt.kind, base), tt.secret)
			outs := c.Send(context.Background(), []Target{tg}, Digest(failedResult(), DigestOptions{}))
			o := outs[0]
			if tt.handler == nil && !tt.tls && !tt.closed {
				rc.check()
			}
			if o.OK() != tt.ok {
				t.Fatalf("OK() = %v (%v), want %v", o.OK(), o.Err, tt.ok)
			}
			switch {
			case tt.attempts > 0 && o.Attempts != tt.attempts:
				t.Errorf("%d attempts, want %d (%v)", o.Attempts, tt.attempts, o.Err)
			case tt.attempts == 0 && o.Attempts < 2:
				t.Errorf("%d attempts, want retries (%v)", o.Attempts, o.Err)
			}
			if o.Err != nil {
				msg := o.Err.Error()
				for _, w := range tt.want {
					if !strings.Contains(msg, w) {
						t.Errorf("error %q does not say %q", msg, w)
					}
				}
				var pe *PlatformError
				if errors.As(o.Err, &pe) != (tt.code != 0) || (pe != nil && pe.Code != tt.code) {
					t.Errorf("PlatformError %+v, want code %d", pe, tt.code)
				}
				var e *Error
				if !errors.As(o.Err, &e) || e.Attempts != o.Attempts || e.Robot != tg.String() {
					t.Errorf("Error %+v", e)
				}
				assertNoSecrets(t, "the error", msg)
				// Nor the signature of the fixed clock.
				for _, sign := range []string{"80XumSi2MykrLrtyIc0aWxVl4qw8Md6pgvADnXylQu0", "Jz3ajRitlCkBXhtnE9NCoaWVsdfiSrlTBp5MlxEnM2Q"} {
					if strings.Contains(msg, sign) || strings.Contains(logs.String(), sign) {
						t.Errorf("the error or the logs show the sign: %s\n%s", msg, logs.String())
					}
				}
			}
			assertNoSecrets(t, "the logs", logs.String())
			var attrs bytes.Buffer
			slog.New(slog.NewJSONHandler(&attrs, nil)).Info("notified", "outcome", o)
			assertNoSecrets(t, "the outcome's log line", attrs.String())
		})
	}
}

// A hanging robot holds Send no longer than its bound (30 s by default;
// fake time, with testing/synctest), and robots are sent to in parallel:
// three hanging robots take 30 s together, not 90.
func TestSendHangBound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hang := rtFunc(func(r *http.Request) (*http.Response, error) {
			<-r.Context().Done()
			return nil, r.Context().Err()
		})
		c := NewClient(WithHTTPClient(&http.Client{Transport: hang}), WithRateLimit(20, time.Minute))
		targets := []Target{mustTarget(t, wecomURL, ""), mustTarget(t, dingtalkURL, dingSecret), mustTarget(t, feishuURL, feishuSecret)}
		start := time.Now()
		outs := c.Send(context.Background(), targets, Message{Title: "对账"})
		if d := time.Since(start); d > DefaultTotalTimeout {
			t.Errorf("Send took %s of fake time, over %s", d, DefaultTotalTimeout)
		}
		for _, o := range outs {
			// 0–10 s, a wait of about 1 s, 11–21 s, about 2 s, 23–30 s.
			if o.Err == nil || o.Attempts != 3 || o.Elapsed > DefaultTotalTimeout {
				t.Errorf("outcome %+v", o)
			}
			if msg := o.Err.Error(); !strings.Contains(msg, "gave up after the total timeout of 30s") {
				t.Errorf("error %q", msg)
			}
		}

		// A caller's context that ends first ends the sending.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		start = time.Now()
		o := c.Send(ctx, targets[:1], Message{Title: "对账"})[0]
		if d := time.Since(start); d != 5*time.Second || o.Err == nil || o.Attempts != 1 {
			t.Errorf("after %s: %+v", d, o)
		}
	})
}

// Retries honour Retry-After when the budget allows, and give up when it
// does not.
func TestSendRetryAfter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var times []time.Duration
		start := time.Now()
		c := NewClient(WithRateLimit(20, time.Minute), WithHTTPClient(&http.Client{Transport: rtFunc(func(r *http.Request) (*http.Response, error) {
			times = append(times, time.Since(start))
			if len(times) == 1 {
				resp := jsonAnswer(429, `{"errcode":130101,"errmsg":"send too fast, exceed 20 times per minute"}`)
				resp.Header.Set("Retry-After", "12")
				return resp, nil
			}
			return jsonAnswer(200, `{"errcode":0,"errmsg":"ok"}`), nil
		})}))
		o := c.Send(context.Background(), []Target{mustTarget(t, dingtalkURL, "")}, Message{Title: "对账"})[0]
		if o.Err != nil || o.Attempts != 2 || len(times) != 2 || times[1] != 12*time.Second {
			t.Errorf("outcome %+v, requests at %v", o, times)
		}

		times = nil
		start = time.Now()
		c = NewClient(WithRateLimit(20, time.Minute), WithHTTPClient(&http.Client{Transport: rtFunc(func(r *http.Request) (*http.Response, error) {
			times = append(times, time.Since(start))
			resp := jsonAnswer(503, `{"errcode":-1,"errmsg":"system busy"}`)
			resp.Header.Set("Retry-After", "600")
			return resp, nil
		})}))
		o = c.Send(context.Background(), []Target{mustTarget(t, wecomURL, "")}, Message{Title: "对账"})[0]
		if o.Err == nil || o.Attempts != 1 || !strings.Contains(o.Err.Error(), "errcode -1: system busy (HTTP 503)") || o.Elapsed != 0 {
			t.Errorf("outcome %+v", o)
		}
	})
}

// Each robot takes at most 20 messages a minute from the process: the
// 21st waits for its slot when the budget allows, and fails at once when
// it does not.
func TestRateLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var sent []time.Duration
		start := time.Now()
		ok := rtFunc(func(r *http.Request) (*http.Response, error) {
			mu.Lock()
			sent = append(sent, time.Since(start))
			mu.Unlock()
			return jsonAnswer(200, `{"errcode":0,"errmsg":"ok"}`), nil
		})
		c := NewClient(WithRateLimit(20, time.Minute), WithHTTPClient(&http.Client{Transport: ok}), WithTotalTimeout(2*time.Minute))
		tg := mustTarget(t, wecomURL, "")
		for range 21 {
			if o := c.Send(context.Background(), []Target{tg}, Message{Title: "对账"})[0]; o.Err != nil {
				t.Fatal(o.Err)
			}
		}
		if len(sent) != 21 || sent[19] != 0 || sent[20] != time.Minute {
			t.Errorf("sent at %v", sent)
		}

		// With the default 30 s budget the next one fails at once.
		c = NewClient(WithRateLimit(1, time.Minute), WithHTTPClient(&http.Client{Transport: ok}))
		c.Send(context.Background(), []Target{tg}, Message{Title: "对账"})
		at := time.Now()
		o := c.Send(context.Background(), []Target{tg}, Message{Title: "对账"})[0]
		if o.Err == nil || o.Attempts != 0 || time.Since(at) != 0 || !strings.Contains(o.Err.Error(), "rate limit") {
			t.Errorf("outcome %+v after %s", o, time.Since(at))
		}
		assertNoSecrets(t, "the error", o.Err.Error())
	})
}

// Clients built without WithRateLimit share the process's limiter.
func TestRateLimitProcessWide(t *testing.T) {
	ok := &http.Client{Transport: rtFunc(func(r *http.Request) (*http.Response, error) {
		return jsonAnswer(200, `{"code":0,"msg":"success"}`), nil
	})}
	tg := mustTarget(t, "https://open.feishu.cn/open-apis/bot/v2/hook/process-wide-"+strconv.FormatInt(time.Now().UnixNano(), 10), "")
	a, b := NewClient(WithHTTPClient(ok)), NewClient(WithHTTPClient(ok))
	for range DefaultRateLimit {
		if o := a.Send(context.Background(), []Target{tg}, Message{Title: "对账"})[0]; o.Err != nil {
			t.Fatal(o.Err)
		}
	}
	if o := b.Send(context.Background(), []Target{tg}, Message{Title: "对账"})[0]; o.Err == nil || !strings.Contains(o.Err.Error(), "rate limit") {
		t.Errorf("the 21st message a minute: %+v", o)
	}
}

// Nothing panics: not a transport that panics, not a zero Target, not a
// nil Client, not a done context.
func TestSendNeverPanics(t *testing.T) {
	boom := &http.Client{Transport: rtFunc(func(r *http.Request) (*http.Response, error) {
		panic("boom at " + r.URL.String())
	})}
	c := NewClient(WithHTTPClient(boom), WithRateLimit(20, time.Minute))
	o := c.Send(context.Background(), []Target{mustTarget(t, dingtalkURL, dingSecret)}, Message{Title: "对账"})[0]
	if o.Err == nil || !strings.Contains(o.Err.Error(), "internal error (panic): boom at https://oapi.dingtalk.com/robot/send?access_token=***") {
		t.Errorf("outcome %+v", o)
	}
	assertNoSecrets(t, "the error", o.Err.Error())

	if o := c.Send(context.Background(), []Target{{}}, Message{})[0]; o.Err == nil || o.Robot != "(no robot)" {
		t.Errorf("zero Target: %+v", o)
	}
	if outs := c.Send(context.Background(), nil, Message{}); len(outs) != 0 {
		t.Errorf("no targets: %v", outs)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var nilClient *Client
	o = nilClient.Send(ctx, []Target{mustTarget(t, "wecom:http://127.0.0.1:1/send?key="+wecomKey, "")}, Message{Title: "对账"})[0]
	if o.Err == nil || !errors.Is(o.Err, context.Canceled) {
		t.Errorf("done context: %+v", o)
	}
}
