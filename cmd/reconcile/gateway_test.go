package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crossborder/reconcile/internal/reconcile"
	"github.com/crossborder/reconcile/internal/top/sandbox"
)

// TestAGatewayThatIsNotThePlatform runs the binary against gateways that
// answer something that did not come from the platform: a redirect to
// another host, a captive portal's JSON, a proxy's JSON error page. None
// of it may be taken for an answer: no byte goes to the host a redirect
// names, nothing is journaled as accepted, every order ends DECLARE_ERROR,
// the breaker ends the run with exit 1, and a rerun against the real
// gateway declares every order.
func TestAGatewayThatIsNotThePlatform(t *testing.T) {
	bin := reconcileBinary(t)
	var elsewhere atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
		io.WriteString(w, `{"tmall_hk_clearance_declare_wechat_response":{"response_success":true,"obj":{"request_success":true,"state":"SUCCESS"},"request_id":"evil"}}`)
	}))
	defer other.Close()
	redirect := func(status int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, other.URL+"/router/rest", status) }
	}
	answer := func(body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, body)
		}
	}
	for _, tt := range []struct {
		name    string
		gateway http.HandlerFunc
		want    string // in the run's log
	}{
		{"307 redirect", redirect(http.StatusTemporaryRedirect), "HTTP 307"},
		{"308 redirect", redirect(http.StatusPermanentRedirect), "HTTP 308"},
		{"302 redirect", redirect(http.StatusFound), "HTTP 302"},
		{"captive portal", answer(`{"status":"ok"}`), "not a platform envelope"},
		{"proxy error page", answer(`{"error":"blocked by policy","code":403}`), "not a platform envelope"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.gateway)
			defer srv.Close()
			dir := t.TempDir()
			orders, payments := writeNight(t, dir, 12)
			state, summary := filepath.Join(dir, "j.db"), filepath.Join(dir, "summary.json")
			args := []string{"run", "--date", "2026-11-20", "--orders", orders, "--payments", payments, "--state", state,
				"--report", dir + "/", "--summary-json", summary, "--log-format", "json", "--qps", "500"}
			code, stdout, stderr := runBinary(t, bin, append(args, "--gateway", srv.URL+"/router/rest")...)
			if code != 1 {
				t.Fatalf("exit %d, want 1\n%s\n%s", code, stdout, stderr)
			}
			s := readSummary(t, summary)
			if s.Declared != 0 || s.Exceptions[reconcile.DeclareRejected] != 0 || s.Exceptions[reconcile.DeclareError] != 12 {
				t.Errorf("declared %d, DECLARE_REJECTED %d, DECLARE_ERROR %d; want 0, 0, 12", s.Declared,
					s.Exceptions[reconcile.DeclareRejected], s.Exceptions[reconcile.DeclareError])
			}
			if !strings.Contains(stderr, tt.want) || !strings.Contains(stderr, "unreachable") {
				t.Errorf("the log does not say %q and that the gateway is unreachable:\n%s", tt.want, stderr)
			}
			if strings.Contains(stdout+stderr, e2eSession) || strings.Contains(stdout+stderr, "sandbox-session") {
				t.Error("the output shows the session")
			}
			// Nothing was journaled as accepted: the real gateway gets all 12.
			gw := sandbox.New(sandbox.Config{AppKey: "12345678", Secret: "sandbox-secret", Session: "sandbox-session"})
			real := httptest.NewServer(gw)
			defer real.Close()
			code, stdout, stderr = runBinary(t, bin, append(args, "--gateway", real.URL+"/router/rest")...)
			if s := readSummary(t, summary); code != 0 || s.Declared != 12 || s.Skipped != 0 {
				t.Errorf("rerun: exit %d, declared %d, skipped %d; want 0, 12, 0\n%s", code, s.Declared, s.Skipped, stderr)
			}
		})
	}
	if n := elsewhere.Load(); n != 0 {
		t.Errorf("the host the redirects named got %d requests, want 0", n)
	}
}

// A gateway that bans every call: once the bans add up to --max-ban-wait
// the run stops, marks every order DECLARE_ERROR, writes the workbook and
// the summary, and exits 1 saying to lower --qps or run later.
func TestAGatewayThatKeepsBanningSpendsTheBanBudget(t *testing.T) {
	bin := reconcileBinary(t)
	gw := sandbox.New(sandbox.Config{AppKey: "12345678", Secret: "sandbox-secret", Session: "sandbox-session",
		FaultRate: 1, Faults: []sandbox.Fault{sandbox.FaultBan}, BanSeconds: 1})
	srv := httptest.NewServer(gw)
	defer srv.Close()
	dir := t.TempDir()
	orders, payments := writeNight(t, dir, 30)
	summary := filepath.Join(dir, "summary.json")
	start := time.Now()
	code, stdout, stderr := runBinary(t, bin, "run", "--date", "2026-11-20", "--orders", orders, "--payments", payments,
		"--state", filepath.Join(dir, "j.db"), "--report", dir+"/", "--summary-json", summary, "--gateway", srv.URL+"/router/rest",
		"--max-ban-wait", "3s")
	took := time.Since(start)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, stdout, stderr)
	}
	if took > 20*time.Second {
		t.Errorf("the run took %v; the ban budget is 3 s", took)
	}
	s := readSummary(t, summary)
	if s.Status != reconcile.StatusFailed || !strings.Contains(s.Reason, "--qps") || !strings.Contains(s.Reason, "--max-ban-wait 3s") {
		t.Errorf("status %s, reason %q; want failed, saying to lower --qps or run later", s.Status, s.Reason)
	}
	if s.Declared != 0 || s.Exceptions[reconcile.DeclareError] != 30 {
		t.Errorf("declared %d, DECLARE_ERROR %d; want 0 and 30", s.Declared, s.Exceptions[reconcile.DeclareError])
	}
	if _, err := os.Stat(filepath.Join(dir, "reconcile_2026-11-20.xlsx")); err != nil {
		t.Errorf("no workbook: %v", err)
	}
}
