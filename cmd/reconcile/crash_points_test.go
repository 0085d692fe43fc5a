package main

import (
	"archive/zip"
	"context"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/crossborder/reconcile/internal/cst"
	"github.com/crossborder/reconcile/internal/gen"
	"github.com/crossborder/reconcile/internal/journal"
	"github.com/crossborder/reconcile/internal/top/sandbox"
)

// killAt starts the binary with args, waits until its JSON log shows
// marker, waits delay more, kills it with SIGKILL and returns its log. It
// fails the test if the run ends by itself first.
func killAt(t *testing.T, bin string, args []string, marker string, delay time.Duration) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = e2eEnv()
	var logs syncedBuffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.After(60 * time.Second)
	for !strings.Contains(logs.String(), marker) {
		select {
		case err := <-exited:
			t.Fatalf("the run ended (%v) before %s:\n%s", err, marker, logs.String())
		case <-deadline:
			cmd.Process.Kill()
			t.Fatalf("no %s within 60 s:\n%s", marker, logs.String())
		case <-time.After(2 * time.Millisecond):
		}
	}
	time.Sleep(delay)
	select {
	case err := <-exited:
		t.Fatalf("the run ended (%v) before it could be killed:\n%s", err, logs.String())
	default:
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-exited
	return logs.String()
}

// checkAfterCrash checks the journal after a killed run and its rerun.
func checkAfterCrash(t *testing.T, state string) {
	t.Helper()
	j, err := journal.Open(context.Background(), state)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if err := j.Check(context.Background()); err != nil {
		t.Errorf("the journal is corrupt: %v", err)
	}
	runs, err := j.Runs(context.Background(), 0)
	if err != nil || len(runs) != 2 || runs[0].Status != journal.RunCompleted || runs[1].Status != journal.RunAbandoned {
		t.Errorf("runs after the crash and the rerun: %+v, %v; want completed, abandoned", runs, err)
	}
}

// TestKilledWhileReading kills the binary while it reads a large night:
// no call was made, the journal is sound and the rerun completes.
func TestKilledWhileReading(t *testing.T) {
	bin := reconcileBinary(t)
	gw := sandbox.New(sandbox.Config{AppKey: e2eAppKey, Secret: e2eSecret, Session: e2eSession})
	srv := httptest.NewServer(gw)
	defer srv.Close()
	dir := t.TempDir()
	m, err := gen.Write(filepath.Join(dir, "night"), gen.Spec{Orders: 600_000, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(dir, "reconcile.db")
	// A window five days later: the whole night is read, nothing is in it.
	day, err := cst.ParseDate(m.Day)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"run", "--date", day.AddDays(5).String(), "--orders", filepath.Join(dir, "night", "orders"),
		"--payments", filepath.Join(dir, "night", "payments"), "--customs", "NINGBO", "--report", dir + "/",
		"--state", state, "--gateway", srv.URL + sandbox.Path, "--log-format", "json"}
	logs := killAt(t, bin, args, `"msg":"run started"`, 20*time.Millisecond)
	if strings.Contains(logs, `"msg":"checks done"`) {
		t.Fatalf("the run was past reading when killed:\n%s", logs)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = e2eEnv()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("rerun: %v\n%s", err, out)
	}
	if n := gw.Counters().Requests; len(n) != 0 {
		t.Errorf("calls were made: %v", n)
	}
	checkAfterCrash(t, state)
}

// TestKilledWhileWritingTheWorkbook kills the binary while it writes a
// workbook of 150,000 exceptions: no half workbook is left at the path, the
// rerun writes a whole one and removes the temporary file.
func TestKilledWhileWritingTheWorkbook(t *testing.T) {
	bin := reconcileBinary(t)
	gw := sandbox.New(sandbox.Config{AppKey: e2eAppKey, Secret: e2eSecret, Session: e2eSession})
	srv := httptest.NewServer(gw)
	defer srv.Close()
	dir := t.TempDir()
	m, err := gen.Write(filepath.Join(dir, "night"), gen.Spec{Orders: 150_000, Seed: 4,
		Shares: map[gen.Anomaly]float64{gen.PaymentMissing: 1}})
	if err != nil {
		t.Fatal(err)
	}
	state, out := filepath.Join(dir, "reconcile.db"), filepath.Join(dir, "out")
	summary := filepath.Join(dir, "summary.json")
	args := []string{"run", "--date", m.Day, "--orders", filepath.Join(dir, "night", "orders"),
		"--payments", filepath.Join(dir, "night", "payments"), "--customs", "NINGBO", "--report", out + "/",
		"--state", state, "--gateway", srv.URL + sandbox.Path, "--log-format", "json", "--summary-json", summary}
	killAt(t, bin, args, `"msg":"writing the workbook"`, 300*time.Millisecond)
	workbook := filepath.Join(out, "reconcile_"+m.Day+".xlsx")
	if _, err := os.Stat(workbook); !os.IsNotExist(err) {
		t.Fatalf("a workbook is at %s after the kill (%v): it can only be half written", workbook, err)
	}
	if temps, _ := filepath.Glob(filepath.Join(out, ".*.tmp")); len(temps) != 1 {
		t.Errorf("temporary files after the kill: %v, want the one being written", temps)
	}

	cmd := exec.Command(bin, args...)
	cmd.Env = e2eEnv()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("rerun: %v\n%s", err, out)
	}
	// The rerun's workbook is whole: every part reads back with its CRC,
	// and it holds every exception.
	zr, err := zip.OpenReader(workbook)
	if err != nil {
		t.Fatalf("the rerun's workbook: %v", err)
	}
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err == nil {
			_, err = io.Copy(io.Discard, rc)
			rc.Close()
		}
		if err != nil {
			t.Errorf("workbook part %s: %v", zf.Name, err)
		}
	}
	zr.Close()
	if s := readSummary(t, summary); s.ExceptionsTotal != 150_000 || s.Report != workbook {
		t.Errorf("summary: %d exceptions, report %q", s.ExceptionsTotal, s.Report)
	}
	if temps, _ := filepath.Glob(filepath.Join(out, ".*.tmp")); len(temps) != 0 {
		t.Errorf("temporary files left: %v", temps)
	}
	checkAfterCrash(t, state)
}

// TestInterruptedRunExits130 sends SIGINT, SIGTERM or SIGHUP (a closed
// terminal or ssh session) to a run while it declares: it stops
// dispatching, lets the calls in flight finish, writes the journal, the
// workbook (marked interrupted) and the summary, and exits 130; the rerun
// completes the work.
func TestInterruptedRunExits130(t *testing.T) {
	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) { interruptedRun(t, sig) })
	}
}

func interruptedRun(t *testing.T, sig os.Signal) {
	bin := reconcileBinary(t)
	gw := sandbox.New(sandbox.Config{AppKey: e2eAppKey, Secret: e2eSecret, Session: e2eSession, Latency: 100 * time.Millisecond})
	srv := httptest.NewServer(gw)
	defer srv.Close()
	dir := t.TempDir()
	orders, payments := writeNight(t, dir, 300)
	state, summary := filepath.Join(dir, "reconcile.db"), filepath.Join(dir, "summary.json")
	args := []string{"run", "--date", "2026-11-20", "--orders", orders, "--payments", payments, "--report", dir + "/",
		"--state", state, "--gateway", srv.URL + sandbox.Path, "--concurrency", "4", "--qps", "200", "--summary-json", summary, "--quiet"}
	cmd := exec.Command(bin, args...)
	cmd.Env = e2eEnv()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for gw.Counters().Declarations.New < 20 {
		time.Sleep(5 * time.Millisecond)
	}
	cmd.Process.Signal(sig)
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 {
		t.Fatalf("exit: %v, want 130", err)
	}
	s := readSummary(t, summary)
	if s.Status != "interrupted" || s.ExitStatus != 130 || s.NotDeclared == 0 {
		t.Errorf("summary: %s, exit %d, not declared %d", s.Status, s.ExitStatus, s.NotDeclared)
	}
	if c := gw.Counters(); c.Declarations.New != s.Declared {
		t.Errorf("the gateway holds %d declarations, the run counts %d declared", c.Declarations.New, s.Declared)
	}
	if _, err := os.Stat(filepath.Join(dir, "reconcile_2026-11-20.xlsx")); err != nil {
		t.Errorf("no workbook after the interrupt: %v", err)
	}
	j, err := journal.Open(context.Background(), state)
	if err != nil {
		t.Fatal(err)
	}
	runs, _ := j.Runs(context.Background(), 1)
	atts, _ := j.Attempts(context.Background(), runs[0].ID)
	j.Close()
	if runs[0].Status != journal.RunInterrupted || runs[0].ExitCode != 130 {
		t.Errorf("journal run: %s, exit %d", runs[0].Status, runs[0].ExitCode)
	}
	for _, a := range atts {
		if a.Outcome == "" {
			t.Errorf("attempt of %s left in flight", a.Key)
		}
	}

	rerun := exec.Command(bin, args...)
	rerun.Env = e2eEnv()
	if out, err := rerun.CombinedOutput(); err != nil {
		t.Fatalf("rerun: %v\n%s", err, out)
	}
	if s := readSummary(t, summary); s.Declared+s.Skipped != 300 {
		t.Errorf("after the rerun: %d declared + %d skipped, want 300", s.Declared, s.Skipped)
	}
}

// TestAClosedLogPipeDoesNotKillTheRun runs the binary with its standard
// error and output piped to readers that go away at once (a log shipper
// that died, `| head -1`): what cannot be logged is dropped, and the run
// finishes as if nothing happened: exit 0, the journal and the workbook
// written.
func TestAClosedLogPipeDoesNotKillTheRun(t *testing.T) {
	bin := reconcileBinary(t)
	gw := sandbox.New(sandbox.Config{AppKey: e2eAppKey, Secret: e2eSecret, Session: e2eSession, Latency: 20 * time.Millisecond})
	srv := httptest.NewServer(gw)
	defer srv.Close()
	dir := t.TempDir()
	orders, payments := writeNight(t, dir, 100)
	state := filepath.Join(dir, "reconcile.db")
	cmd := exec.Command(bin, "run", "--date", "2026-11-20", "--orders", orders, "--payments", payments, "--report", dir+"/",
		"--state", state, "--gateway", srv.URL+sandbox.Path, "--qps", "200")
	cmd.Env = e2eEnv()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Read the first log line, then go away.
	if _, err := stderr.Read(make([]byte, 64)); err != nil {
		t.Fatal(err)
	}
	stderr.Close()
	stdout.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the run with a closed log pipe: %v, want exit 0", err)
	}
	if c := gw.Counters(); c.Declarations.New != 100 {
		t.Errorf("the gateway holds %d declarations, want 100", c.Declarations.New)
	}
	if _, err := os.Stat(filepath.Join(dir, "reconcile_2026-11-20.xlsx")); err != nil {
		t.Errorf("no workbook: %v", err)
	}
	j, err := journal.Open(context.Background(), state)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if runs, _ := j.Runs(context.Background(), 1); len(runs) != 1 || runs[0].Status != journal.RunCompleted {
		t.Errorf("journal run = %+v, want completed", runs)
	}
}
