package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/crossborder/reconcile/internal/batch"
	"github.com/crossborder/reconcile/internal/reconcile"
)

// The summary may go to a special file: a FIFO or /dev/stdout is written
// in place, never replaced by a regular file.
func TestTheSummaryToASpecialFile(t *testing.T) {
	bin := reconcileBinary(t)
	dir := t.TempDir()
	orders, payments := writeNight(t, dir, 5)
	args := []string{"run", "--dry-run", "--date", "2026-11-20", "--orders", orders, "--payments", payments, "--report", dir + "/", "--quiet"}

	fifo := filepath.Join(dir, "summary.fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	got := make(chan []byte)
	go func() {
		b, _ := os.ReadFile(fifo)
		got <- b
	}()
	if code, stdout, stderr := runBinary(t, bin, append(args, "--summary-json", fifo)...); code != 0 {
		t.Fatalf("FIFO: exit %d\n%s%s", code, stdout, stderr)
	}
	var s batch.Summary
	if b := <-got; json.Unmarshal(b, &s) != nil || s.OrdersInWindow != 5 {
		t.Errorf("the FIFO's reader got %q", b)
	}
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the FIFO was replaced: %v, %v", fi.Mode(), err)
	}

	code, stdout, stderr := runBinary(t, bin, append(args, "--summary-json", "/dev/stdout")...)
	if code != 0 {
		t.Fatalf("/dev/stdout: exit %d\n%s%s", code, stdout, stderr)
	}
	start := strings.Index(stdout, "{")
	if start < 0 || json.NewDecoder(strings.NewReader(stdout[start:])).Decode(&s) != nil || s.OrdersInWindow != 5 {
		t.Errorf("the summary is not on standard output:\n%s", stdout)
	}
}

// The workbook is created with the umask, like the journal: it holds order
// and transaction ids and masked personal data.
func TestTheWorkbookFollowsTheUmask(t *testing.T) {
	bin := reconcileBinary(t)
	dir := t.TempDir()
	orders, payments := writeNight(t, dir, 5)
	cmd := exec.Command("sh", "-c", `umask 077 && exec "$@"`, "sh", bin, "run", "--dry-run", "--date", "2026-11-20",
		"--orders", orders, "--payments", payments, "--report", dir+"/", "--summary-json", filepath.Join(dir, "s.json"), "--quiet")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, name := range []string{"reconcile_2026-11-20_dryrun.xlsx", "s.json"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != 0o600 {
			t.Errorf("%s: mode %v under umask 077, want 0600", name, got)
		}
	}
}

// The run's few lines name the workbook only when this run wrote one, not
// an older file at the same path.
func TestTheRunNamesOnlyAWorkbookItWrote(t *testing.T) {
	dir := t.TempDir()
	older := filepath.Join(dir, "reconcile_2026-11-20.xlsx")
	os.WriteFile(older, []byte("an earlier night's"), 0o644)
	var out strings.Builder
	std := &stdio{out: &out, err: &out, getenv: func(string) string { return "" }}
	res := &reconcile.Result{Status: reconcile.StatusFailed, Reason: "writing the workbook: disk full"}
	printRunSummary(std, res, &runOptions{report: dir})
	if strings.Contains(out.String(), "workbook:") {
		t.Errorf("a run that wrote no workbook names one:\n%s", out.String())
	}
	out.Reset()
	res.Workbook = older
	printRunSummary(std, res, &runOptions{report: dir})
	if !strings.Contains(out.String(), "workbook: "+older) {
		t.Errorf("a run that wrote its workbook does not name it:\n%s", out.String())
	}
}
