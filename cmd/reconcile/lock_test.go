package main

import (
	"bytes"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crossborder/reconcile/internal/journal"
	"github.com/crossborder/reconcile/internal/reconcile"
	"github.com/crossborder/reconcile/internal/top/sandbox"
)

// A second run that reaches the journal through a symlink, or through a
// relative path, is refused while the first runs, and the first completes:
// the run lock is the file, not the path string.
func TestTheJournalLockIsTheFileNotThePath(t *testing.T) {
	bin := reconcileBinary(t)
	gw := sandbox.New(sandbox.Config{AppKey: "12345678", Secret: "sandbox-secret", Session: "sandbox-session", Latency: 50 * time.Millisecond})
	srv := httptest.NewServer(gw)
	defer srv.Close()
	dir := t.TempDir()
	orders, payments := writeNight(t, dir, 60)
	state := filepath.Join(dir, "j.db")
	args := func(state, report string) []string {
		return []string{"run", "--date", "2026-11-20", "--orders", orders, "--payments", payments, "--state", state,
			"--report", report, "--gateway", srv.URL + "/router/rest", "--qps", "20", "--concurrency", "2"}
	}
	first := exec.Command(bin, args(state, filepath.Join(dir, "first")+"/")...)
	first.Env = append(os.Environ(), "TOP_APP_KEY=12345678", "TOP_APP_SECRET=sandbox-secret", "TOP_SESSION=sandbox-session")
	var firstErr bytes.Buffer
	first.Stderr = &firstErr
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait until the first run holds the journal and is declaring.
	deadline := time.Now().Add(20 * time.Second)
	for gw.Counters().Declarations.New < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("the first run never declared:\n%s", firstErr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	link := filepath.Join(t.TempDir(), "link.db")
	if err := os.Symlink(state, link); err != nil {
		t.Fatal(err)
	}
	root, _ := filepath.Abs("../..") // runBinary runs from the repository's root
	rel, err := filepath.Rel(root, state)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{link, "./" + rel} {
		code, _, stderr := runBinary(t, bin, args(p, filepath.Join(dir, "second")+"/")...)
		if code != 1 || !strings.Contains(stderr, "is in use by run 1") {
			t.Errorf("a second run through %s: exit %d, want 1 naming run 1:\n%s", p, code, stderr)
		}
	}
	if err := first.Wait(); err != nil {
		t.Fatalf("the first run: %v\n%s", err, firstErr.String())
	}
	j, err := journal.Open(t.Context(), state)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	runs, _ := j.Runs(t.Context(), 0)
	if len(runs) != 1 || runs[0].Status != journal.RunStatus(reconcile.StatusCompleted) {
		t.Errorf("runs = %+v, want the first alone, completed (never abandoned by the refused ones)", runs)
	}
}
