package main

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/crossborder/reconcile/internal/journal"
	"github.com/crossborder/reconcile/internal/journal/pgtest"
	"github.com/crossborder/reconcile/internal/top/sandbox"
)

// The binary under test, built once for the tests that run it.
var (
	binOnce sync.Once
	binPath string
	binErr  error
)

func reconcileBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "reconcile-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "reconcile")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// writeNight writes n clean orders paid on 2026-11-20 and their payments.
func writeNight(t *testing.T, dir string, n int) (orders, payments string) {
	t.Helper()
	var o, p strings.Builder
	o.WriteString("order_id,product_fee,transport_fee,order_fee,customs,paid_at,status\n")
	p.WriteString("transaction_id,order_id,amount,status,refund_amount,paid_at\n")
	for i := 0; i < n; i++ {
		ts := fmt.Sprintf("2026-11-20 %02d:%02d:%02d", i/3600%24, i/60%60, i%60)
		fmt.Fprintf(&o, "%d,%d.00,1.00,%d.00,NINGBO,%s,\n", 5118609024991000000+i, 10+i, 11+i, ts)
		fmt.Fprintf(&p, "42000000002026112%011d,%d,%d.00,SUCCESS,,%s\n", i, 5118609024991000000+i, 11+i, ts)
	}
	orders, payments = filepath.Join(dir, "orders.csv"), filepath.Join(dir, "payments.csv")
	if err := os.WriteFile(orders, []byte(o.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(payments, []byte(p.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return orders, payments
}

const (
	e2eAppKey  = "12345678"
	e2eSecret  = "e2e-secret"
	e2eSession = "e2e-session"
)

func e2eEnv() []string {
	return append(os.Environ(), "TOP_APP_KEY="+e2eAppKey, "TOP_APP_SECRET="+e2eSecret, "TOP_SESSION="+e2eSession)
}

// TestKilledRunIsCompletedByTheRerun kills the binary with SIGKILL while
// it declares, reruns it, and checks that every order ends declared, that
// at most --concurrency calls were repeated, and that the journal is sound:
// with the journal in a SQLite file and in PostgreSQL (a database of its
// own on the tests' throw-away server, package pgtest), where the killed
// run's session, and its run lock with it, ends with its connection.
func TestKilledRunIsCompletedByTheRerun(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		testKilledRunIsCompletedByTheRerun(t, filepath.Join(t.TempDir(), "reconcile.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		testKilledRunIsCompletedByTheRerun(t, pgtest.Start(t).NewDatabase(t))
	})
}

func testKilledRunIsCompletedByTheRerun(t *testing.T, state string) {
	bin := reconcileBinary(t)
	const n, concurrency = 400, 8
	gw := sandbox.New(sandbox.Config{AppKey: e2eAppKey, Secret: e2eSecret, Session: e2eSession, Latency: 20 * time.Millisecond})
	srv := httptest.NewServer(gw)
	defer srv.Close()
	dir := t.TempDir()
	orders, payments := writeNight(t, dir, n)
	// No follow-ups: the rerun would send the killed run's accepted
	// declarations again on purpose, and this test counts the repeats the
	// kill forces.
	args := []string{"run", "--date", "2026-11-20", "--orders", orders, "--payments", payments, "--report", dir,
		"--state", state, "--gateway", srv.URL + sandbox.Path, "--concurrency", fmt.Sprint(concurrency), "--qps", "500",
		"--follow-up-days", "0"}

	cmd := exec.Command(bin, args...)
	cmd.Env = e2eEnv()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for gw.Counters().Declarations.New < n/4 && time.Now().Before(deadline) {
		time.Sleep(2 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	killedAt := gw.Counters().Declarations.New
	if killedAt >= n {
		t.Fatalf("the run finished (%d declared) before it could be killed", killedAt)
	}

	rerun := exec.Command(bin, args...)
	rerun.Env = e2eEnv()
	if out, err := rerun.CombinedOutput(); err != nil {
		t.Fatalf("rerun: %v\n%s", err, out)
	}

	c := gw.Counters()
	if c.Declarations.New != n {
		t.Errorf("the gateway holds %d declarations, want %d", c.Declarations.New, n)
	}
	repeats := 0
	for id, k := range c.Declarations.Effects {
		if k > 1 {
			repeats += k - 1
		}
		if k > 2 {
			t.Errorf("order %s reached the gateway %d times", id, k)
		}
	}
	if repeats > concurrency {
		t.Errorf("%d calls repeated after the kill, want at most --concurrency %d", repeats, concurrency)
	}
	t.Logf("killed after %d declarations; %d calls repeated by the rerun", killedAt, repeats)

	j, err := journal.Open(context.Background(), state)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if err := j.Check(context.Background()); err != nil {
		t.Errorf("journal: %v", err)
	}
	runs, err := j.Runs(context.Background(), 0)
	if err != nil || len(runs) != 2 {
		t.Fatalf("runs = %+v, %v; want 2", runs, err)
	}
	if runs[0].Status != journal.RunCompleted || runs[1].Status != journal.RunAbandoned {
		t.Errorf("run statuses: newest %s, killed %s; want completed, abandoned", runs[0].Status, runs[1].Status)
	}
	ds, err := j.Declarations(context.Background(), declaredIDs(n))
	if err != nil {
		t.Fatal(err)
	}
	for id, d := range ds {
		if d.State != journal.DeclarationAccepted {
			t.Errorf("order %s is %s in the journal, want accepted", id, d.State)
		}
	}
	if len(ds) != n {
		t.Errorf("the journal holds %d declarations, want %d", len(ds), n)
	}
}

func declaredIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprint(5118609024991000000 + i)
	}
	return ids
}
