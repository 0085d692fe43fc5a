package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crossborder/reconcile/internal/cst"
	"github.com/crossborder/reconcile/internal/top"
)

// lockedBuffer is a bytes.Buffer safe for the server's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestSandboxHelp(t *testing.T) {
	var out, errOut bytes.Buffer
	code := Main(context.Background(), []string{"sandbox", "--help"}, &stdio{out: &out, err: &errOut, getenv: func(string) string { return "" }})
	if code != exitOK {
		t.Fatalf("--help: exit %d, want 0", code)
	}
	help := out.String()
	// Every flag the command defines is in the help text.
	fs := newFlagSet("sandbox")
	var o sandboxOptions
	o.define(fs)
	fs.VisitAll(func(f *flag.Flag) {
		if !strings.Contains(help, "--"+f.Name+" ") {
			t.Errorf("help does not describe --%s", f.Name)
		}
	})
	for _, want := range []string{"Example:", "Exit status:", "TOP_APP_SECRET", "/router/rest"} {
		if !strings.Contains(help, want) {
			t.Errorf("help lacks %q", want)
		}
	}
	var main bytes.Buffer
	Main(context.Background(), []string{"help"}, &stdio{out: &main, err: io.Discard, getenv: os.Getenv})
	if !strings.Contains(main.String(), "sandbox") {
		t.Errorf("reconcile help does not list sandbox")
	}
}

func TestSandboxUsageErrors(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte(`{"x": {}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := [][]string{
		{"--faults", "isp,timeout"},
		{"--fault-rate", "1.5"},
		{"--fault-rate", "NaN"},
		{"--rate-limit", "-1"},
		{"--latency", "-1s"},
		{"--materials", bad},
		{"--materials", filepath.Join(t.TempDir(), "absent.json")},
		{"--no-such-flag"},
		{"extra-argument"},
	}
	for _, args := range tests {
		var errOut bytes.Buffer
		code := Main(context.Background(), append([]string{"sandbox", "--listen", "127.0.0.1:0"}, args...),
			&stdio{out: io.Discard, err: &errOut, getenv: func(string) string { return "" }})
		if code != exitUsage {
			t.Errorf("%v: exit %d, want %d (%s)", args, code, exitUsage, errOut.String())
		}
	}
}

// TestSandboxSettleFlags: --fail-later-orders and --stuck-orders reach the
// gateway's Config, and a bad entry is a usage error that names it.
func TestSandboxSettleFlags(t *testing.T) {
	tests := []struct {
		args          []string
		wantFailLater map[string]string
		wantStuck     []string
		wantErr       string // in the usage error; "" for none
	}{
		{args: nil, wantFailLater: map[string]string{}},
		{args: []string{"--fail-later-orders", "1001"}, wantFailLater: map[string]string{"1001": "FAIL"}},
		{args: []string{"--fail-later-orders", "1001=FAIL,1002=EXCEPT", "--fail-later-orders", " 1003 "},
			wantFailLater: map[string]string{"1001": "FAIL", "1002": "EXCEPT", "1003": "FAIL"}},
		{args: []string{"--stuck-orders", "1004,1005", "--stuck-orders", "1006", "--fail-later-orders", "1001=EXCEPT"},
			wantFailLater: map[string]string{"1001": "EXCEPT"}, wantStuck: []string{"1004", "1005", "1006"}},
		{args: []string{"--fail-later-orders", "123=MAYBE"}, wantErr: `--fail-later-orders: entry "123=MAYBE"`},
		{args: []string{"--fail-later-orders", "1001,123=SUCCESS"}, wantErr: `entry "123=SUCCESS"`},
		{args: []string{"--fail-later-orders", "1001=fail"}, wantErr: `entry "1001=fail"`},
		{args: []string{"--fail-later-orders", "abc=FAIL"}, wantErr: `entry "abc=FAIL"`},
		{args: []string{"--fail-later-orders", "1001=FAIL,1001=EXCEPT"}, wantErr: `entry "1001=EXCEPT"`},
		{args: []string{"--stuck-orders", "10x4"}, wantErr: `--stuck-orders: entry "10x4"`},
		{args: []string{"--stuck-orders", "1001", "--fail-later-orders", "1001"}, wantErr: "order 1001 is in --fail-later-orders too"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			std := &stdio{out: io.Discard, err: io.Discard, getenv: func(string) string { return "" }}
			fs := newFlagSet("sandbox")
			var o sandboxOptions
			o.define(fs)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			cfg, err := sandboxConfig(o, std)
			if tt.wantErr != "" {
				var ue *usageError
				if !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want a usage error with %q", err, tt.wantErr)
				}
				// And through Main: exit 2, the entry on standard error.
				var errOut bytes.Buffer
				code := Main(context.Background(), append([]string{"sandbox", "--listen", "127.0.0.1:0"}, tt.args...),
					&stdio{out: io.Discard, err: &errOut, getenv: func(string) string { return "" }})
				if code != exitUsage || !strings.Contains(errOut.String(), tt.wantErr) {
					t.Errorf("Main: exit %d, stderr %q; want %d and %q", code, errOut.String(), exitUsage, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("sandboxConfig: %v", err)
			}
			if !maps.Equal(cfg.FailLaterOrders, tt.wantFailLater) || !slices.Equal(cfg.StuckOrders, tt.wantStuck) {
				t.Errorf("got FailLaterOrders %v, StuckOrders %v; want %v, %v", cfg.FailLaterOrders, cfg.StuckOrders, tt.wantFailLater, tt.wantStuck)
			}
		})
	}
}

func TestSandboxListenFails(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var errOut bytes.Buffer
	code := Main(context.Background(), []string{"sandbox", "--listen", ln.Addr().String()},
		&stdio{out: io.Discard, err: &errOut, getenv: func(string) string { return "" }})
	if code != exitFailure {
		t.Errorf("port in use: exit %d, want 1 (%s)", code, errOut.String())
	}
}

// TestSandboxServes starts the command on a free port with credentials from
// the environment, calls it, and stops it through the context.
func TestSandboxServes(t *testing.T) {
	env := map[string]string{"TOP_APP_KEY": "23456789", "TOP_APP_SECRET": "env-secret-42", "TOP_SESSION": "env-session-43"}
	pr, pw := io.Pipe()
	errOut := &lockedBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, []string{"sandbox", "--listen", "127.0.0.1:0", "--verbose"},
			&stdio{out: pw, err: errOut, getenv: func(k string) string { return env[k] }})
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the first line: %v (stderr %s)", err, errOut.String())
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	m := regexp.MustCompile(`^reconcile sandbox: serving (http://127\.0\.0\.1:(\d+)/router/rest) \(app key 23456789\)\n$`).FindStringSubmatch(line)
	if m == nil || m[2] == "0" {
		t.Fatalf("first line %q, want the URL with the real port and the app key", line)
	}
	if strings.Contains(line, "env-secret-42") || strings.Contains(line, "env-session-43") {
		t.Errorf("first line shows a secret: %q", line)
	}

	p := map[string]string{
		"method": "tmall.hk.clearance.distribution.get", "app_key": "23456789", "session": "env-session-43",
		"timestamp": cst.Format(time.Now()), "v": "2.0", "format": "json", "sign_method": "md5", "order_id": "2531111111111111111",
	}
	sign, err := top.Sign(p, "env-secret-42", top.SignMD5)
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{"sign": {sign}}
	for k, v := range p {
		form.Set(k, v)
	}
	resp, err := http.PostForm(m[1], form)
	if err != nil {
		t.Fatalf("calling the sandbox: %v", err)
	}
	var body struct {
		R struct {
			Result struct {
				Success bool `json:"success"`
			} `json:"result"`
		} `json:"tmall_hk_clearance_distribution_get_response"`
	}
	err = json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if err != nil || !body.R.Result.Success {
		t.Errorf("materials call: %+v, %v; want success", body, err)
	}

	cancel()
	if code := <-done; code != exitOK {
		t.Errorf("after cancel: exit %d, want 0 (%s)", code, errOut.String())
	}
	logs := errOut.String()
	if !strings.Contains(logs, "method=tmall.hk.clearance.distribution.get") || !strings.Contains(logs, "code=0") {
		t.Errorf("--verbose log lacks the request: %q", logs)
	}
	if strings.Contains(logs, "env-secret-42") || strings.Contains(logs, "env-session-43") {
		t.Errorf("log shows a secret: %q", logs)
	}
}
