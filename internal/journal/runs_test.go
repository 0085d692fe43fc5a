package journal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestRunRoundTrip(t *testing.T) { forEachBackend(t, testRunRoundTrip) }

func testRunRoundTrip(t *testing.T, b *testBackend) {
	ctx := context.Background()
	j := open(t, b.fresh(t))
	clk := &clock{t: at(2, 0, 3, 0)}
	j.now = clk.Now

	start := RunStart{
		From: "2026-11-18", To: "2026-11-20",
		Inputs:     json.RawMessage(`{"orders":["o.csv"],"qps":50}`),
		StartedAt:  time.Date(2026, 11, 20, 18, 0, 3, 0, time.UTC), // 02:00:03 UTC+8
		PID:        4242,
		Host:       "batch-1",
		ReportPath: "/reports/2026-11-20.xlsx",
	}
	id, err := j.BeginRun(ctx, start)
	if err != nil {
		t.Fatal(err)
	}
	got, err := j.Run(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	want := Run{ID: id, From: "2026-11-18", To: "2026-11-20", Inputs: start.Inputs, StartedAt: at(2, 0, 3, 0),
		Status: RunRunning, ReportPath: start.ReportPath, PID: 4242, Host: "batch-1"}
	if !runsEqual(got, want) {
		t.Errorf("running run:\n got %+v\nwant %+v", got, want)
	}

	clk.Set(at(2, 10, 0, 500))
	end := RunEnd{Status: RunCompleted, Counts: json.RawMessage(`{"declared":12,"FEE_MISMATCH":1}`),
		SummaryPath: "/reports/summary.json", ExitCode: 0}
	if err := j.EndRun(ctx, id, end); err != nil {
		t.Fatal(err)
	}
	got, err = j.Run(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	want.Status, want.EndedAt, want.Counts, want.SummaryPath = RunCompleted, at(2, 10, 0, 500), end.Counts, end.SummaryPath
	want.ReportPath = "" // the end names no workbook written: the one meant at start is dropped
	if !runsEqual(got, want) {
		t.Errorf("ended run:\n got %+v\nwant %+v", got, want)
	}

	// A second run, failed, with a new report path; Runs lists newest first.
	id2, err := j.BeginRun(ctx, RunStart{From: "2026-11-21", To: "2026-11-21", DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.EndRun(ctx, id2, RunEnd{Status: RunFailed, Error: "invalid signature", ExitCode: 1, ReportPath: "/r/2.xlsx"}); err != nil {
		t.Fatal(err)
	}
	runs, err := j.Runs(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 || runs[0].ID != id2 || runs[1].ID != id {
		t.Fatalf("Runs(0) ids = %v, want [%d %d]", runIDs(runs), id2, id)
	}
	r2 := runs[0]
	if r2.Status != RunFailed || r2.Error != "invalid signature" || r2.ExitCode != 1 || r2.ReportPath != "/r/2.xlsx" ||
		!r2.DryRun || r2.PID != os.Getpid() || r2.Host == "" || !r2.StartedAt.Equal(clk.Now()) {
		t.Errorf("second run = %+v, want failed, exit 1, dry run, this pid and host, report /r/2.xlsx", r2)
	}
	runs, err = j.Runs(ctx, 1)
	if err != nil || len(runs) != 1 || runs[0].ID != id2 {
		t.Errorf("Runs(1) = %v, %v; want [%d]", runIDs(runs), err, id2)
	}
	if _, err := j.Run(ctx, 999); !errors.Is(err, ErrNotFound) {
		t.Errorf("Run(999): got %v, want ErrNotFound", err)
	}
}

func runsEqual(a, b Run) bool {
	return a.ID == b.ID && a.From == b.From && a.To == b.To && string(a.Inputs) == string(b.Inputs) &&
		a.StartedAt.Equal(b.StartedAt) && a.EndedAt.Equal(b.EndedAt) && a.Status == b.Status &&
		string(a.Counts) == string(b.Counts) && a.ReportPath == b.ReportPath && a.SummaryPath == b.SummaryPath &&
		a.Error == b.Error && a.ExitCode == b.ExitCode && a.PID == b.PID && a.Host == b.Host && a.DryRun == b.DryRun
}

func runIDs(runs []Run) []int64 {
	var ids []int64
	for _, r := range runs {
		ids = append(ids, r.ID)
	}
	return ids
}

func TestBeginRunRefusesBadInput(t *testing.T) { forEachBackend(t, testBeginRunRefusesBadInput) }

func testBeginRunRefusesBadInput(t *testing.T, b *testBackend) {
	tests := []struct {
		name string
		s    RunStart
		want string
	}{
		{"bad from", RunStart{From: "2026-11-31", To: "2026-12-01"}, "window start"},
		{"bad to", RunStart{From: "2026-11-20", To: "20261121"}, "window end"},
		{"reversed", RunStart{From: "2026-11-21", To: "2026-11-20"}, "ends before it starts"},
		{"bad inputs", RunStart{From: "2026-11-20", To: "2026-11-20", Inputs: json.RawMessage(`{"a":`)}, "inputs"},
	}
	j := open(t, b.fresh(t))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := j.BeginRun(context.Background(), tt.s)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("BeginRun: got %v, want an error about %s", err, tt.want)
			}
		})
	}
	// None of them took the lock.
	id := beginRun(t, j)
	if err := j.EndRun(context.Background(), id, RunEnd{Status: RunCompleted}); err != nil {
		t.Fatal(err)
	}
}

func TestEndRunRefuses(t *testing.T) { forEachBackend(t, testEndRunRefuses) }

func testEndRunRefuses(t *testing.T, b *testBackend) {
	ctx := context.Background()
	j := open(t, b.fresh(t))
	id := beginRun(t, j)
	tests := []struct {
		name string
		id   int64
		e    RunEnd
		want error
	}{
		{"still running", id, RunEnd{Status: RunRunning}, nil},
		{"unknown status", id, RunEnd{Status: "done"}, nil},
		{"bad counts", id, RunEnd{Status: RunCompleted, Counts: json.RawMessage(`[1,`)}, nil},
		{"other run", id + 1, RunEnd{Status: RunCompleted}, ErrRunNotRunning},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := j.EndRun(ctx, tt.id, tt.e)
			if err == nil {
				t.Fatalf("EndRun succeeded, want an error")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("EndRun: got %v, want %v", err, tt.want)
			}
		})
	}
	// The run is still running and ours to end, once.
	if err := j.EndRun(ctx, id, RunEnd{Status: RunInterrupted, ExitCode: 130}); err != nil {
		t.Fatalf("EndRun after refusals: %v", err)
	}
	if err := j.EndRun(ctx, id, RunEnd{Status: RunCompleted}); !errors.Is(err, ErrRunNotRunning) {
		t.Errorf("second EndRun: got %v, want ErrRunNotRunning", err)
	}
	r, _ := j.Run(ctx, id)
	if r.Status != RunInterrupted || r.ExitCode != 130 {
		t.Errorf("run = %s exit %d, want interrupted exit 130", r.Status, r.ExitCode)
	}
}

// checkLocked checks that err is a *LockedError naming run id of pid, in
// the journal at l.
func checkLocked(t *testing.T, err error, l loc, id int64, pid int) {
	t.Helper()
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("BeginRun on a locked journal: got %v, want *LockedError", err)
	}
	if !errors.Is(err, ErrLocked) {
		t.Errorf("errors.Is(%v, ErrLocked) = false", err)
	}
	host, _ := os.Hostname()
	if le.RunID != id || le.PID != pid || le.Host != host || le.Since.IsZero() || le.Path != l.path() || le.Store != l.store || le.Schema != l.schema() {
		t.Errorf("LockedError = %+v, want run %d, pid %d, host %s, a start time, path %s, store %q, schema %q", le, id, pid, host, l.path(), l.store, l.schema())
	}
	want := fmt.Sprintf("journal %s is in use by run %d (pid %d on host %s, started ", l.name(), id, pid, host)
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error = %q, want it to start %q", err, want)
	}
}

func TestLockSameProcess(t *testing.T) { forEachBackend(t, testLockSameProcess) }

func testLockSameProcess(t *testing.T, b *testBackend) {
	ctx := context.Background()
	path := b.fresh(t)
	j1 := open(t, path)
	j2 := open(t, path)
	id := beginRun(t, j1)

	_, err := j2.BeginRun(ctx, RunStart{From: "2026-11-20", To: "2026-11-20"})
	checkLocked(t, err, path, id, os.Getpid())
	// The same Journal cannot begin a second run either.
	_, err = j1.BeginRun(ctx, RunStart{From: "2026-11-20", To: "2026-11-20"})
	checkLocked(t, err, path, id, os.Getpid())

	// EndRun releases; the ended run is not abandoned by the next one.
	if err := j1.EndRun(ctx, id, RunEnd{Status: RunCompleted}); err != nil {
		t.Fatal(err)
	}
	id2 := beginRun(t, j2)
	_, err = j1.BeginRun(ctx, RunStart{From: "2026-11-20", To: "2026-11-20"})
	checkLocked(t, err, path, id2, os.Getpid())
	if r, _ := j1.Run(ctx, id); r.Status != RunCompleted {
		t.Errorf("run %d after the next BeginRun: %s, want completed", id, r.Status)
	}
	runs, _ := j1.Runs(ctx, 0)
	if len(runs) != 2 {
		t.Errorf("runs = %v, want 2 (refused BeginRuns record nothing)", runIDs(runs))
	}
}

func TestCloseReleasesAndAbandons(t *testing.T) { forEachBackend(t, testCloseReleasesAndAbandons) }

func testCloseReleasesAndAbandons(t *testing.T, b *testBackend) {
	ctx := context.Background()
	path := b.fresh(t)
	j1, err := path.open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	id := beginRun(t, j1)
	if err := j1.Close(); err != nil {
		t.Fatal(err)
	}
	j2 := open(t, path)
	id2 := beginRun(t, j2)
	r, err := j2.Run(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != RunAbandoned || r.EndedAt.IsZero() || !strings.Contains(r.Error, "closed before the run ended") {
		t.Errorf("run closed without EndRun = %+v, want abandoned with an end time and a reason", r)
	}
	if r2, _ := j2.Run(ctx, id2); r2.Status != RunRunning {
		t.Errorf("new run status = %s, want running", r2.Status)
	}
}

// A child process holds the lock and is killed with SIGKILL: the kernel
// drops its flock (SQLite), or the server ends its session, and the
// advisory lock with it (PostgreSQL); the next run abandons its run.
func TestLockChildProcess(t *testing.T) { forEachBackend(t, testLockChildProcess) }

func testLockChildProcess(t *testing.T, b *testBackend) {
	ctx := context.Background()
	path := b.fresh(t)
	c := startChild(t, "hold", path)

	j := open(t, path)
	_, err := j.BeginRun(ctx, RunStart{From: "2026-11-20", To: "2026-11-20"})
	checkLocked(t, err, path, c.runID, c.cmd.Process.Pid)

	c.kill(t)
	before := time.Now()
	id, err := beginRunAfterKill(t, j)
	if err != nil {
		t.Fatalf("BeginRun after the holder was killed: %v", err)
	}
	if id == c.runID {
		t.Fatalf("new run reused id %d", id)
	}
	r, err := j.Run(ctx, c.runID)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != RunAbandoned {
		t.Errorf("killed run status = %s, want abandoned", r.Status)
	}
	if r.EndedAt.Before(before.Truncate(time.Millisecond)) {
		t.Errorf("killed run ended_at = %v, want now (after %v)", r.EndedAt, before)
	}
	wantErr := fmt.Sprintf("the process (pid %d on host %s) ended without finishing the run; found when run %d began",
		c.cmd.Process.Pid, r.Host, id)
	if r.Error != wantErr {
		t.Errorf("killed run error = %q, want %q", r.Error, wantErr)
	}
	if err := j.EndRun(ctx, id, RunEnd{Status: RunCompleted}); err != nil {
		t.Fatal(err)
	}
}

func TestLockChildRefusedWhileWeHold(t *testing.T) {
	forEachBackend(t, testLockChildRefusedWhileWeHold)
}

func testLockChildRefusedWhileWeHold(t *testing.T, b *testBackend) {
	// The other direction: this process holds the lock, a child is refused.
	path := b.fresh(t)
	j := open(t, path)
	id := beginRun(t, j)
	cmd := childCmd("hold", path)
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("child began a run on a locked journal: %s", out)
	}
	want := fmt.Sprintf("journal %s is in use by run %d (pid %d", path.name(), id, os.Getpid())
	if !strings.Contains(string(out), want) {
		t.Errorf("child said %q, want %q", out, want)
	}
}

func TestLockedErrorMessage(t *testing.T) {
	since := time.Date(2026, 11, 20, 18, 0, 3, 0, time.UTC)
	tests := []struct {
		e    LockedError
		want string
	}{
		{LockedError{Path: "s.db", RunID: 42, PID: 1234, Host: "h", Since: since},
			"journal s.db is in use by run 42 (pid 1234 on host h, started 2026-11-21 02:00:03)"},
		{LockedError{Path: "s.db", PID: 1234, Host: "h"}, "journal s.db is in use by another run (pid 1234 on host h)"},
		{LockedError{Path: "s.db", RunID: 7, PID: 9}, "journal s.db is in use by run 7 (pid 9)"},
		{LockedError{Path: "s.db"}, "journal s.db is in use by another run"},
		{LockedError{Path: "acme.db", Store: "acme", RunID: 7, PID: 9}, "journal acme.db (store acme) is in use by run 7 (pid 9)"},
		{LockedError{Path: "postgres://h/db", Schema: "reconcile", RunID: 7, PID: 9, Host: "h"},
			"journal postgres://h/db (schema reconcile) is in use by run 7 (pid 9 on host h)"},
		{LockedError{Path: "postgres://h/db", Store: "acme", Schema: "reconcile_acme", RunID: 7, PID: 9, Host: "h"},
			"journal postgres://h/db (store acme, schema reconcile_acme) is in use by run 7 (pid 9 on host h)"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

// Every path that reaches the journal file takes the one run lock: a
// symlink, a relative path, a hard link; in this process and in another.
func TestLockIsTheFileNotThePath(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "j.db")
	j1 := open(t, fileLoc(path))
	id := beginRun(t, j1)

	link := filepath.Join(t.TempDir(), "link.db")
	if err := os.Symlink(path, link); err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	rel, err := filepath.Rel(wd, path)
	if err != nil {
		t.Fatal(err)
	}
	for name, p := range map[string]string{"symlink": link, "relative": rel, "with ./": filepath.Join(dir, ".", "j.db")} {
		j := open(t, fileLoc(p))
		_, err := j.BeginRun(ctx, RunStart{From: "2026-11-20", To: "2026-11-20"})
		checkLocked(t, err, fileLoc(p), id, os.Getpid())
		out, err := childCmd("hold", fileLoc(p)).CombinedOutput()
		if err == nil || !strings.Contains(string(out), fmt.Sprintf("is in use by run %d (pid %d", id, os.Getpid())) {
			t.Errorf("%s: a child process through %s was not refused: %v %s", name, p, err, out)
		}
	}
	// A hard link: SQLite cannot use a file through two names (each would
	// get its own -wal file), so no name of a linked file opens.
	hard := filepath.Join(dir, "hard.db")
	if err := os.Link(path, hard); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{hard, path} {
		if _, err := Open(ctx, p); err == nil || !strings.Contains(err.Error(), "2 hard links") {
			t.Errorf("Open(%s) with a hard link = %v, want a refusal naming the links", p, err)
		}
	}
	os.Remove(hard)
	// The first run was not taken for abandoned by any of them.
	if err := j1.EndRun(ctx, id, RunEnd{Status: RunCompleted}); err != nil {
		t.Fatalf("the live run could not end: %v", err)
	}
	if r, _ := j1.Run(ctx, id); r.Status != RunCompleted {
		t.Errorf("the live run is %s, want completed", r.Status)
	}
}

// Another application's database (a SQLite file, a PostgreSQL schema) is
// refused, naming its tables, and left as it was.
func TestForeignDatabaseIsRefused(t *testing.T) { forEachBackend(t, testForeignDatabaseIsRefused) }

func testForeignDatabaseIsRefused(t *testing.T, b *testBackend) {
	l := b.fresh(t)
	l.exec(t, `CREATE TABLE invoices (id INTEGER)`)
	l.exec(t, `CREATE TABLE customers (name TEXT)`)
	_, err := l.open(context.Background())
	if !errors.Is(err, ErrForeignDatabase) || !strings.Contains(err.Error(), "customers, invoices") || !strings.Contains(err.Error(), l.name()) {
		t.Fatalf("Open = %v, want ErrForeignDatabase naming the journal and its tables", err)
	}
	t.Logf("Open: %v", err)
	if got := l.tables(t); !slices.Equal(got, []string{"customers", "invoices"}) {
		t.Errorf("the database holds %q after Open, want its 2 tables", got)
	}
	// An empty file, SQLite file or schema is a new journal.
	empty := b.fresh(t)
	if b.pg {
		empty.exec(t, `SELECT 1`) // creates the schema
	} else if err := os.WriteFile(empty.state, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	open(t, empty)
}

// A journal that cannot be written says where and what to do.
func TestReadOnlyPlacesSayWhatToDo(t *testing.T) {
	if asNobody(t) {
		return
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(dir, 0o755)
	_, err := Open(context.Background(), filepath.Join(dir, "j.db"))
	if err == nil || !strings.Contains(err.Error(), "read-only") || !strings.Contains(err.Error(), "--state") {
		t.Errorf("Open in a read-only directory = %v, want what to do", err)
	}
	// A journal file of its own that has become read-only.
	path := tempPath(t)
	j, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	j.Close()
	if err := os.Chmod(path, 0o444); err != nil {
		t.Fatal(err)
	}
	j, err = Open(context.Background(), path)
	if err == nil {
		_, err = j.BeginRun(context.Background(), RunStart{From: "2026-11-20", To: "2026-11-20"})
		j.Close()
	}
	if err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("a read-only journal file: %v, want it to say the file is read-only", err)
	}
}

func TestMissingDirectorySaysSo(t *testing.T) {
	_, err := Open(context.Background(), filepath.Join(t.TempDir(), "no", "such", "j.db"))
	if err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("Open in a missing directory = %v, want it to say so", err)
	}
}

// beginRunAfterKill begins a run on j after the holder of its lock was
// killed. The kernel drops a flock with its process; PostgreSQL's server
// ends the session of a killed client a moment later, when it reads the
// closed connection: BeginRun is tried again for up to 10 s while the
// lock is held.
func beginRunAfterKill(t *testing.T, j *Journal) (int64, error) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		id, err := j.BeginRun(context.Background(), RunStart{From: "2026-11-20", To: "2026-11-20"})
		if !errors.Is(err, ErrLocked) || time.Now().After(deadline) {
			return id, err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// asNobody runs the calling test again in a child process as the user
// nobody, when this process is root (as in CI), for the tests of what a
// user meets that root does not: read-only modes stop everyone but root.
// It reports whether it did; the test then has nothing more to do here.
func asNobody(t *testing.T) bool {
	t.Helper()
	if os.Geteuid() != 0 {
		return false
	}
	if os.Getenv("JOURNAL_TEST_AS_NOBODY") != "" {
		t.Fatal("still root in the child")
	}
	// The test binary must be reachable by nobody: a copy in a 0755 dir.
	dir, err := os.MkdirTemp("", "journal-test-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "journal.test")
	data, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run", "^"+t.Name()+"$", "-test.v")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "JOURNAL_TEST_AS_NOBODY=1", "TMPDIR=/tmp")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: "+t.Name()) {
		t.Fatalf("as nobody: %v\n%s", err, out)
	}
	return true
}
