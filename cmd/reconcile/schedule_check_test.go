package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A schedule whose runs could never work exits 2 at start, saying why,
// instead of failing every night.
func TestScheduleChecksItsConfigurationAtStart(t *testing.T) {
	bin := reconcileBinary(t)
	dir := t.TempDir()
	orders, payments := writeNight(t, dir, 3)
	plain := filepath.Join(dir, "plain")
	os.WriteFile(plain, nil, 0o644)
	conf := filepath.Join(dir, "with-window.toml")
	os.WriteFile(conf, []byte("date = \"2026-11-20\"\n"), 0o644)
	base := []string{"schedule", "--cron", "30 2 * * *", "--catch-up", "0", "--state", filepath.Join(dir, "j.db")}
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"an unusable report target", []string{"--orders", orders, "--payments", payments, "--report", filepath.Join(plain, "out") + "/"}, "the workbook"},
		{"a missing input directory", []string{"--orders", filepath.Join(dir, "no-such-dir") + "/", "--payments", payments, "--report", dir}, "--orders"},
		{"a glob in a missing directory", []string{"--orders", filepath.Join(dir, "gone", "*.csv"), "--report", dir}, "does not exist"},
		{"a window in the config file", []string{"--config", conf, "--orders", orders, "--report", dir}, `sets date = "2026-11-20"`},
		{"an unwritable summary", []string{"--orders", orders, "--report", dir, "--summary-json", filepath.Join(plain, "s.json")}, "the summary"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			code, stdout, stderr := runBinary(t, bin, append(base, tt.args...)...)
			if code != 2 || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, want 2 with %q:\n%s%s", code, tt.want, stdout, stderr)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("took %v: it should refuse at once", d)
			}
		})
	}
	// A file input that is not there yet is fine: it may come by tonight.
	later := filepath.Join(dir, "tonight.csv")
	cmd := exec.Command(bin, append(base, "--orders", later, "--report", dir, "--log-format", "json")...)
	cmd.Env = e2eEnv()
	var logs syncedBuffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), "schedule started") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil || !strings.Contains(logs.String(), "schedule started") {
		t.Errorf("a schedule whose input file comes later: %v\n%s", err, logs.String())
	}
}

// Every run a schedule starts is in the journal and in history, also one
// that fails before reading its inputs.
func TestEveryScheduledRunIsInHistory(t *testing.T) {
	bin := reconcileBinary(t)
	dir := t.TempDir()
	orders, payments := writeNight(t, dir, 3)
	report := filepath.Join(dir, "reports")
	state := filepath.Join(dir, "j.db")
	cmd := exec.Command(bin, "schedule", "--cron", "* * * * * *", "--catch-up", "0", "--dry-run=false", "--orders", orders, "--payments", payments,
		"--report", report, "--state", state, "--gateway", "http://127.0.0.1:9/router/rest", "--log-format", "json")
	cmd.Env = e2eEnv()
	var logs syncedBuffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), "schedule started") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	// The report directory becomes unusable after the start: each tick's
	// run fails its preflight, before reading anything.
	os.RemoveAll(report)
	os.WriteFile(report, nil, 0o644)
	for strings.Count(logs.String(), `"msg":"run ended","window"`) < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	code, stdout, _ := runBinary(t, bin, "history", "--state", state, "--json")
	var runs []historyRun
	if err := json.Unmarshal([]byte(stdout), &runs); err != nil || code != 0 {
		t.Fatalf("history: exit %d, %v\n%s", code, err, stdout)
	}
	failed := 0
	for _, r := range runs {
		if r.Status == "failed" && r.ExitCode == 2 && strings.Contains(r.Error, "preflight") {
			failed++
		}
	}
	if failed < 2 {
		t.Errorf("history holds %d runs failed in preflight, want the ticks' (2 or more):\n%s\n%s", failed, stdout, logs.String())
	}
}
