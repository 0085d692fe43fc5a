package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/crossborder/reconcile/internal/batch"
	"github.com/crossborder/reconcile/internal/reconcile"
)

// startSandbox starts "reconcile sandbox" as the demo does and returns its
// URL; the process is stopped when the test ends.
func startSandbox(t *testing.T, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"sandbox", "--listen", "127.0.0.1:0"}, args...)...)
	cmd.Dir = "../.."
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("sandbox: %v", err)
	}
	i := strings.Index(line, "http://")
	if i < 0 {
		t.Fatalf("sandbox printed %q", line)
	}
	go func() { _, _ = bufio.NewReader(out).WriteTo(devNull{}) }()
	return strings.Fields(line[i:])[0]
}

type devNull struct{}

func (devNull) Write(p []byte) (int, error) { return len(p), nil }

// runBinary runs the binary from the repository's root with the demo
// credentials and returns its exit status and output.
func runBinary(t *testing.T, bin string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = "../.."
	cmd.Env = append(os.Environ(), "TOP_APP_KEY=12345678", "TOP_APP_SECRET=sandbox-secret", "TOP_SESSION=sandbox-session")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, stdout.String(), stderr.String()
}

func readSummary(t *testing.T, path string) batch.Summary {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var s batch.Summary
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestEndToEnd runs the built binary as an operator would: run on the
// samples against the sandbox, run again, history, and schedule for a few
// ticks until SIGTERM.
func TestEndToEnd(t *testing.T) {
	bin := reconcileBinary(t)
	url := startSandbox(t, bin, "--materials", "samples/sandbox/materials.json", "--fail-customs", "TIANJIN",
		"--except-orders", "5118609024991031619")
	dir := t.TempDir()
	state, out, summary := filepath.Join(dir, "reconcile.db"), filepath.Join(dir, "out")+"/", filepath.Join(dir, "summary.json")
	args := []string{"run", "--config", "samples/reconcile.toml", "--date", "2026-11-20", "--gateway", url,
		"--state", state, "--report", out, "--summary-json", summary, "--log-format", "json"}

	code, stdout, stderr := runBinary(t, bin, args...)
	if code != 0 {
		t.Fatalf("run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	s := readSummary(t, summary)
	wantCodes := map[reconcile.Code]int{
		reconcile.InputInvalid: 2, reconcile.OrderDuplicate: 1, reconcile.FeeMismatch: 1, reconcile.PaymentMissing: 1, reconcile.PaymentDuplicate: 1,
		reconcile.AmountMismatch: 1, reconcile.PaymentRefunded: 1, reconcile.PaymentOrphan: 1, reconcile.MaterialsInvalid: 3, reconcile.DeclareRejected: 2,
		reconcile.CallbackInvalid: 2, reconcile.ServiceFeeMismatch: 1,
	}
	for _, c := range reconcile.Codes() {
		if s.Exceptions[c] != wantCodes[c] {
			t.Errorf("%s: %d exceptions, want %d", c, s.Exceptions[c], wantCodes[c])
		}
	}
	if s.Declared != 6 || s.CallbacksSent != 4 || s.ExitStatus != 0 || s.Status != reconcile.StatusCompleted {
		t.Errorf("summary: declared %d, callbacks sent %d, exit %d, %s; want 6, 4, 0, completed", s.Declared, s.CallbacksSent, s.ExitStatus, s.Status)
	}
	workbook := filepath.Join(dir, "out", "reconcile_2026-11-20.xlsx")
	if _, err := os.Stat(workbook); err != nil || !strings.Contains(stdout, "workbook: ") {
		t.Errorf("no workbook: %v\n%s", err, stdout)
	}
	for _, secret := range []string{"sandbox-secret", "sandbox-session"} {
		if strings.Contains(stdout+stderr, secret) {
			t.Errorf("the output shows a credential")
		}
	}

	// The second run declares and sends nothing; --fail-on-exceptions
	// turns the exceptions into exit 3.
	code, stdout, stderr = runBinary(t, bin, append(args, "--fail-on-exceptions")...)
	s = readSummary(t, summary)
	if code != 3 || s.Declared != 0 || s.Skipped != 6 || s.CallbacksSkipped != 4 || s.ExitStatus != 3 {
		t.Errorf("rerun: exit %d, declared %d, skipped %d, callbacks skipped %d, summary exit %d; want 3, 0, 6, 4, 3\n%s\n%s",
			code, s.Declared, s.Skipped, s.CallbacksSkipped, s.ExitStatus, stdout, stderr)
	}

	code, stdout, _ = runBinary(t, bin, "history", "--state", state)
	if code != 0 || strings.Count(strings.TrimSpace(stdout), "\n") != 2 || !strings.Contains(stdout, "completed (0)") || !strings.Contains(stdout, "completed (3)") {
		t.Errorf("history: exit %d\n%s", code, stdout)
	}
	code, stdout, _ = runBinary(t, bin, "history", "--state", state, "--json")
	var runs []historyRun
	if err := json.Unmarshal([]byte(stdout), &runs); err != nil || code != 0 || len(runs) != 2 || runs[1].Counts == nil || runs[1].Counts.Declared != 6 {
		t.Errorf("history --json: exit %d, %v, %+v", code, err, runs)
	}

	// schedule with a seconds-level spec: a few ticks, then SIGTERM.
	cmd := exec.Command(bin, "schedule", "--cron", "* * * * * *", "--config", "samples/reconcile.toml", "--gateway", url,
		"--state", state, "--report", out, "--catch-up", "0", "--log-format", "json")
	cmd.Dir = "../.."
	cmd.Env = append(os.Environ(), "TOP_APP_KEY=12345678", "TOP_APP_SECRET=sandbox-secret", "TOP_SESSION=sandbox-session")
	var logs syncedBuffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for strings.Count(logs.String(), `"msg":"run ended","window"`) < 3 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("schedule after SIGTERM: %v\n%s", err, logs.String())
		}
	case <-time.After(15 * time.Second):
		cmd.Process.Kill()
		t.Fatal("schedule did not stop within 15 s of SIGTERM")
	}
	l := logs.String()
	if n := strings.Count(l, `"msg":"tick"`); n < 3 {
		t.Errorf("%d ticks logged, want at least 3:\n%s", n, l)
	}
	for _, want := range []string{`"msg":"schedule started"`, `"msg":"next tick"`, `"msg":"schedule stopped"`} {
		if !strings.Contains(l, want) {
			t.Errorf("schedule log lacks %s", want)
		}
	}
	code, stdout, _ = runBinary(t, bin, "history", "--state", state, "--json", "--limit", "0")
	if err := json.Unmarshal([]byte(stdout), &runs); err != nil || len(runs) < 5 {
		t.Errorf("history after the schedule: %d runs, %v", len(runs), err)
	}
	for _, r := range runs {
		if r.Status != "completed" {
			t.Errorf("run %d is %s, want completed", r.ID, r.Status)
		}
	}

	code, stdout, _ = runBinary(t, bin, "version")
	if code != 0 || !strings.HasPrefix(stdout, "reconcile ") {
		t.Errorf("version: exit %d, %q", code, stdout)
	}
}

type syncedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncedBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncedBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
