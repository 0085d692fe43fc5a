package metrics

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/crossborder/reconcile/internal/reconcile"
)

// pushed is what the test Pushgateway received.
type pushed struct {
	method, path string
	user, pass   string
	auth         bool
	families     map[string]*dto.MetricFamily
	decodeErr    error
}

// pushgateway is an httptest Pushgateway that decodes each push with the
// client library's decoder for the request's Content-Type and answers
// status.
func pushgateway(t *testing.T, status int, body string) (*httptest.Server, func() []pushed) {
	t.Helper()
	var mu sync.Mutex
	var got []pushed
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := pushed{method: r.Method, path: r.URL.EscapedPath(), families: map[string]*dto.MetricFamily{}}
		p.user, p.pass, p.auth = r.BasicAuth()
		dec := expfmt.NewDecoder(r.Body, expfmt.ResponseFormat(r.Header))
		for {
			mf := &dto.MetricFamily{}
			err := dec.Decode(mf)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				p.decodeErr = err
				break
			}
			p.families[mf.GetName()] = mf
		}
		mu.Lock()
		got = append(got, p)
		mu.Unlock()
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []pushed {
		mu.Lock()
		defer mu.Unlock()
		return append([]pushed(nil), got...)
	}
}

func TestPush(t *testing.T) {
	tests := []struct {
		name      string
		prefix    string // the gateway's base path, behind a proxy
		creds     string // user:pass@ in the URL
		job       string
		store     string
		status    int
		wantPath  string
		wantUser  string
		wantPass  string
		wantExitV float64
	}{
		{name: "the default job, no store", status: http.StatusOK, wantPath: "/metrics/job/reconcile"},
		{name: "a store", store: "hk-flagship", status: http.StatusAccepted, wantPath: "/metrics/job/reconcile/store/hk-flagship"},
		{name: "a job of its own", job: "reconcile-night", store: "hk", status: http.StatusOK, wantPath: "/metrics/job/reconcile-night/store/hk"},
		{name: "a store with a slash: base64", store: "a/b", status: http.StatusOK, wantPath: "/metrics/job/reconcile/store@base64/YS9i"},
		{name: "behind a path prefix", prefix: "/pushgateway/", status: http.StatusOK, wantPath: "/pushgateway/metrics/job/reconcile"},
		{name: "credentials become basic auth", creds: "ops:s3cr%21t@", status: http.StatusOK, wantPath: "/metrics/job/reconcile", wantUser: "ops", wantPass: "s3cr!t"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, received := pushgateway(t, tt.status, "")
			gw := strings.Replace(srv.URL, "http://", "http://"+tt.creds, 1) + tt.prefix
			run := Run{Result: result(reconcile.StatusFailed, false), ExitStatus: 1, Store: tt.store, LastSuccess: lastNight}
			if err := Push(context.Background(), gw, tt.job, run); err != nil {
				t.Fatalf("Push: %v", err)
			}
			got := received()
			if len(got) != 1 {
				t.Fatalf("%d requests, want 1", len(got))
			}
			p := got[0]
			if p.method != http.MethodPut {
				t.Errorf("method %s, want PUT (replace the whole group)", p.method)
			}
			if p.path != tt.wantPath {
				t.Errorf("path %s, want %s", p.path, tt.wantPath)
			}
			if tt.wantUser != "" && (!p.auth || p.user != tt.wantUser || p.pass != tt.wantPass) {
				t.Errorf("basic auth %v %q:%q, want %q:%q", p.auth, p.user, p.pass, tt.wantUser, tt.wantPass)
			}
			if tt.wantUser == "" && p.auth {
				t.Errorf("basic auth sent without credentials in the URL")
			}
			if p.decodeErr != nil {
				t.Fatalf("the body does not decode: %v", p.decodeErr)
			}
			checkFamilies(t, p.families)
			for series, want := range map[string]float64{
				"reconcile_exit_status":                    1,
				"reconcile_last_success_timestamp_seconds": unixSeconds(lastNight),
				"reconcile_exceptions{code=FEE_MISMATCH}":  17,
				"reconcile_bans_total":                     2,
			} {
				name, labels := splitSeries(series)
				if got, ok := value(p.families[name], labels...); !ok || got != want {
					t.Errorf("%s = %v (%v), want %v", series, got, ok, want)
				}
			}
			// The grouping labels are the Pushgateway's to add: no series
			// carries job or store itself.
			for name, mf := range p.families {
				for _, m := range mf.GetMetric() {
					for _, l := range m.GetLabel() {
						if l.GetName() == "store" || l.GetName() == "job" {
							t.Errorf("%s carries %s=%q", name, l.GetName(), l.GetValue())
						}
					}
				}
			}
		})
	}
}

const secret = "s3cr3t-pa55"

func TestPushErrors(t *testing.T) {
	defer func(d time.Duration) { pushTimeout = d }(pushTimeout)
	pushTimeout = 300 * time.Millisecond

	refusing, _ := pushgateway(t, http.StatusBadRequest, "pushed metrics are invalid or inconsistent with existing metrics: "+strings.Repeat("x", 1000))
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // then the server notices the client leave
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}))
	defer hanging.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()
	withCreds := func(u string) string { return strings.Replace(u, "http://", "http://ops:"+secret+"@", 1) }

	tests := []struct {
		name string
		url  string
		want string // in the error
	}{
		{"the gateway refuses", withCreds(refusing.URL), "400"},
		{"the gateway hangs: bounded", withCreds(hanging.URL), "pushing to " + hanging.URL},
		{"nobody listens", withCreds(closedURL), "pushing to " + closedURL},
		{"not http", "ftp://ops:" + secret + "@gw:9091", "not http or https"},
		{"no host", "http://ops:" + secret + "@/", "no host"},
		{"a query", "http://ops:" + secret + "@gw:9091/?token=" + secret, "query"},
		{"a fragment", "http://ops:" + secret + "@gw:9091/#" + secret, "fragment"},
		{"unparsable", "http://ops:" + secret + "@gw:badport\x7f", "cannot be parsed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			err := Push(context.Background(), tt.url, "", Run{Result: result(reconcile.StatusCompleted, false)})
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("Push took %v: not bounded", took)
			}
			if err == nil {
				t.Fatal("Push: nil, want an error")
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.want) {
				t.Errorf("error %q, want it to contain %q", msg, tt.want)
			}
			if strings.Contains(msg, secret) || strings.Contains(msg, "ops:") {
				t.Errorf("the error shows the credentials: %q", msg)
			}
			if len(msg) > 600 {
				t.Errorf("error of %d bytes, want it cut short", len(msg))
			}
			if check := CheckPushURL(tt.url); strings.Contains(tt.name, "gateway") || strings.Contains(tt.name, "nobody") {
				if check != nil {
					t.Errorf("CheckPushURL: %v, want nil (the URL is good)", check)
				}
			} else if check == nil || strings.Contains(check.Error(), secret) {
				t.Errorf("CheckPushURL: %v, want an error without the credentials", check)
			}
		})
	}
}

func TestPushHonoursContext(t *testing.T) {
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // then the server notices the client leave
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}))
	defer hanging.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := Push(ctx, hanging.URL, "", Run{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Push: %v, want a deadline exceeded", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Push took %v", took)
	}
}

func TestCheckPushURL(t *testing.T) {
	for _, u := range []string{"http://pushgateway:9091", "https://pgw.example.com/base/", "pushgateway.monitoring.svc:9091", "http://u:p@localhost:9091"} {
		if err := CheckPushURL(u); err != nil {
			t.Errorf("CheckPushURL(%q): %v", u, err)
		}
	}
}
