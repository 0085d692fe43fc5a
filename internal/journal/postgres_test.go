package journal

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crossborder/reconcile/internal/journal/pgtest"
)

// The tests of what only the PostgreSQL backend has, and of the
// connection strings: the contract both backends keep is in the other
// files.

func TestStateKinds(t *testing.T) {
	tests := []struct {
		state string
		kind  stateKind
		bad   bool
	}{
		{"reconcile.db", stateFile, false},
		{"/var/lib/reconcile/state.db", stateFile, false},
		{`C:\reconcile\state.db`, stateFile, false},
		{"./mysql:backup.db", stateFile, false},
		{"a=b.db", stateFile, false},
		{"postgres", stateFile, false},
		{"postgres://u:p@db.example:5432/reconcile", statePostgres, false},
		{"postgresql://u@db.example/reconcile?sslmode=require", statePostgres, false},
		{"POSTGRES://u@db.example/reconcile", statePostgres, false},
		{"postgres:///reconcile?host=/run/postgresql", statePostgres, false},
		{"host=/tmp/x port=5433 dbname=reconcile user=r", statePostgres, false},
		{"  dbname=reconcile", statePostgres, false},
		{"password=p host=h", statePostgres, false},
		{"mysql://u:p@h/db", 0, true},
		{"sqlite:state.db", 0, true},
		{"sqlite3:///var/lib/state.db", 0, true},
		{"file:state.db", 0, true},
		{"https://example.com/state.db", 0, true},
		{"postgres:reconcile", 0, true}, // no //: not a URL pgx reads
		{"redis://h:6379/0", 0, true},
	}
	for _, tt := range tests {
		kind, err := classify(tt.state)
		if tt.bad {
			if !errors.Is(err, ErrBadState) {
				t.Errorf("classify(%q) = %v, %v; want ErrBadState", tt.state, kind, err)
				continue
			}
			for _, want := range []string{"postgres://", "postgresql://", "key=value", "SQLite"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("classify(%q): %q does not say %q is accepted", tt.state, err, want)
				}
			}
			if IsFile(tt.state) {
				t.Errorf("IsFile(%q) = true", tt.state)
			}
			continue
		}
		if err != nil || kind != tt.kind {
			t.Errorf("classify(%q) = %v, %v; want %v", tt.state, kind, err, tt.kind)
		}
		if IsFile(tt.state) != (tt.kind == stateFile) {
			t.Errorf("IsFile(%q) = %v", tt.state, IsFile(tt.state))
		}
	}
	// A refused URL creates no file named after it (it used to).
	dir := t.TempDir()
	wd, _ := os.Getwd()
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	for _, s := range []string{"sqlite:state.db", "mysql://u:secret@h/db", "file:x.db"} {
		_, err := Open(context.Background(), s)
		if !errors.Is(err, ErrBadState) || strings.Contains(err.Error(), "secret") {
			t.Errorf("Open(%q) = %v, want ErrBadState without the password", s, err)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("refused states left %v behind", ents)
	}
}

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/var/lib/reconcile.db", "/var/lib/reconcile.db"},
		{"postgres://u:s3cret@h:5432/db", "postgres://u:xxxxx@h:5432/db"},
		{"postgres://u@h/db", "postgres://u@h/db"},
		{"postgresql://u:p%40ss@h/db?sslmode=require&password=s3cret", "postgresql://u:xxxxx@h/db?sslmode=require&password=xxxxx"},
		{"postgres://h/db?sslpassword=s3cret&application_name=x", "postgres://h/db?sslpassword=xxxxx&application_name=x"},
		{"postgres://u:p#ss%zz@h/db", "postgres://xxxxx@h/db"}, // does not parse: nothing of the user info shown
		{"host=h password=s3cret dbname=db", "host=h password=xxxxx dbname=db"},
		{"host=h password = 's3 cr\\'et' dbname=db", "host=h password = xxxxx dbname=db"},
		{"password=s3cret", "password=xxxxx"},
		{"host=h sslpassword=s3cret", "host=h sslpassword=xxxxx"},
		{"mysql://u:s3cret@h/db", "mysql://u:xxxxx@h/db"},
	}
	for _, tt := range tests {
		if got := Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
		for _, s := range secrets(tt.in) {
			if strings.Contains(Redact(tt.in), s) && s != "" {
				t.Errorf("Redact(%q) shows the secret %q", tt.in, s)
			}
		}
	}
	if got := secrets("host=h password='a\\'b' user=u"); !slices.Contains(got, "a'b") {
		t.Errorf("secrets of a quoted password = %q, want a'b among them", got)
	}
	if got := secrets("postgres://u:p%40ss@h/db"); !slices.Contains(got, "p@ss") || !slices.Contains(got, "p%40ss") {
		t.Errorf("secrets of an escaped password = %q, want it as written and decoded", got)
	}
}

func TestRebind(t *testing.T) {
	tests := []struct{ in, want string }{
		{`SELECT 1`, `SELECT 1`},
		{`SELECT a FROM t WHERE b = ? AND c IN (?, ?)`, `SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)`},
		{`SELECT '?', "a?b", ? FROM t WHERE x = 'it''s ?' AND y = ?`, `SELECT '?', "a?b", $1 FROM t WHERE x = 'it''s ?' AND y = $2`},
	}
	for _, tt := range tests {
		if got := rebindDollar(tt.in); got != tt.want {
			t.Errorf("rebindDollar(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	// Every query of the journal rebinds to as many $n as it has ?.
	for _, q := range hotQueries {
		if n := strings.Count(q, "?"); !strings.Contains(rebindDollar(q), fmt.Sprintf("$%d", n)) || strings.Contains(rebindDollar(q), "?") {
			t.Errorf("rebindDollar(%q) = %q", q, rebindDollar(q))
		}
	}
}

func TestStoreNames(t *testing.T) {
	for _, ok := range []string{"", "acme", "acme_hk", "a1", strings.Repeat("a", 48)} {
		if err := ValidStore(ok); err != nil {
			t.Errorf("ValidStore(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"Acme", "acme-hk", "1acme", "_acme", "acme hk", "acme;drop", strings.Repeat("a", 49), "店铺"} {
		if err := ValidStore(bad); !errors.Is(err, ErrBadStore) || !strings.Contains(err.Error(), "reconcile_<name>") {
			t.Errorf("ValidStore(%q) = %v, want ErrBadStore saying what names are allowed", bad, err)
		}
	}
	if got := schemaOf(""); got != "reconcile" {
		t.Errorf("the default store's schema = %q", got)
	}
	if got := schemaOf("acme_hk"); got != "reconcile_acme_hk" {
		t.Errorf("the schema of acme_hk = %q", got)
	}
	// Open refuses a bad name before it touches anything.
	path := filepath.Join(t.TempDir(), "j.db")
	if _, err := Open(context.Background(), path, WithStore("Acme-HK")); !errors.Is(err, ErrBadStore) {
		t.Errorf("Open with a bad store = %v", err)
	}
	if _, err := os.Stat(path); err == nil {
		t.Errorf("Open with a bad store created %s", path)
	}
	// On SQLite a store changes nothing but the name in errors.
	l := loc{b: sqliteT, state: path, store: "acme"}
	j := open(t, l)
	id := beginRun(t, j)
	_, err := open(t, l).BeginRun(context.Background(), RunStart{From: "2026-11-20", To: "2026-11-20"})
	checkLocked(t, err, l, id, os.Getpid())
	if !strings.Contains(err.Error(), path+" (store acme) is in use") {
		t.Errorf("LockedError = %q, want it to name the store", err)
	}
	if err := j.EndRun(context.Background(), id, RunEnd{Status: RunCompleted}); err != nil {
		t.Fatal(err)
	}
	// The same file without the store is the same journal.
	if rs, _ := open(t, fileLoc(path)).Runs(context.Background(), 0); len(rs) != 1 || rs[0].ID != id {
		t.Errorf("runs of the file = %v, want run %d", runIDs(rs), id)
	}
}

// lockHolder returns the pid of the server process whose session holds
// the run lock of the store at l, 0 when none does.
func lockHolder(t *testing.T, l loc) int {
	t.Helper()
	key := uint64(advisoryKey("run", l.schema()))
	db := pgtest.DB(t, pgServer(t).DSN, "")
	defer db.Close()
	var pid int
	err := db.QueryRow(`SELECT COALESCE(MAX(pid), 0) FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
		AND classid = $1 AND objid = $2 AND objsubid = 1 AND granted`, int64(key>>32), int64(key&0xffffffff)).Scan(&pid)
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

// TestPostgresSession: what every connection of the journal starts with,
// and what the database refuses.
func TestPostgresSession(t *testing.T) {
	srv := pgServer(t)
	ctx := context.Background()
	t.Logf("PostgreSQL %s", srv.Version)
	if srv.TCPURL == "" {
		t.Skip("an external server: no TCP URL of it")
	}
	// Over TCP, so that the keepalives mean something, and with a setting
	// of the connection string's own, which is kept.
	l := loc{b: postgresT, state: srv.TCPURL + "&application_name=nightly", store: fmt.Sprintf("t%d", storeSeq.Add(1))}
	j := open(t, l)
	id := beginRun(t, j)
	for _, tt := range []struct {
		db, name, want string
	}{
		{"w", "search_path", l.schema()},
		{"w", "lock_timeout", "10s"},
		{"w", "application_name", "nightly"},
		{"w", "tcp_keepalives_idle", "30"},
		{"w", "tcp_keepalives_interval", "10"},
		{"w", "tcp_keepalives_count", "3"},
		{"w", "tcp_user_timeout", "60000"},
		{"w", "default_transaction_read_only", "off"},
		{"r", "search_path", l.schema()},
		{"r", "default_transaction_read_only", "on"},
		{"r", "tcp_keepalives_idle", "30"},
	} {
		var got string
		var err error
		if tt.db == "w" {
			// The writer's one connection is the run's session now.
			err = j.write(ctx, func(w wtx) error { return w.queryRow(ctx, "SHOW "+tt.name).Scan(&got) })
		} else {
			err = j.r.QueryRow("SHOW " + tt.name).Scan(&got)
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: SHOW %s = %q, %v; want %q", tt.db, tt.name, got, err, tt.want)
		}
	}
	// The run lock is the advisory lock of the store's key, held by the
	// writer's session.
	var self int
	if err := j.write(ctx, func(w wtx) error { return w.queryRow(ctx, "SELECT pg_backend_pid()").Scan(&self) }); err != nil {
		t.Fatal(err)
	}
	if got := lockHolder(t, l); got != self {
		t.Errorf("the run lock is held by backend %d, want the writer's session %d", got, self)
	}
	// The readers refuse to write; the database refuses a dangling row.
	if _, err := j.r.Exec(`INSERT INTO meta (key, value) VALUES ('a', 'b')`); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("a reader's insert: %v, want a read-only transaction error", err)
	}
	err := j.write(ctx, func(w wtx) error {
		_, err := w.exec(ctx, `INSERT INTO attempts (run_id, kind, key, attempt, started_at) VALUES (?, 'declaration', 'x', 1, ?)`, id+999, formatTime(time.Now()))
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "foreign key") {
		t.Errorf("insert referring to a missing run: %v, want a foreign key error", err)
	}
	if err := j.Check(ctx); err != nil {
		t.Errorf("Check: %v", err)
	}
	if err := j.EndRun(ctx, id, RunEnd{Status: RunCompleted}); err != nil {
		t.Fatal(err)
	}
	if got := lockHolder(t, l); got != 0 {
		t.Errorf("after EndRun backend %d holds the run lock", got)
	}
}

// TestPostgresConnectionStrings: the URL over TCP, postgresql:// and the
// key=value string over the Unix socket reach the same store, and its
// one lock.
func TestPostgresConnectionStrings(t *testing.T) {
	srv := pgServer(t)
	if srv.TCPURL == "" {
		t.Skip("an external server: no TCP URL of it")
	}
	ctx := context.Background()
	store := fmt.Sprintf("t%d", storeSeq.Add(1))
	kv := loc{b: postgresT, state: srv.DSN, store: store}
	j := open(t, kv)
	id := beginRun(t, j)
	for _, s := range []string{srv.TCPURL, strings.Replace(srv.TCPURL, "postgres://", "postgresql://", 1), strings.Replace(srv.TCPURL, "postgres://", "POSTGRES://", 1)} {
		l := loc{b: postgresT, state: s, store: store}
		other := open(t, l)
		if other.Path() != Redact(s) {
			t.Errorf("Path() = %q, want %q", other.Path(), Redact(s))
		}
		_, err := other.BeginRun(ctx, RunStart{From: "2026-11-20", To: "2026-11-20"})
		checkLocked(t, err, l, id, os.Getpid())
		if r, err := other.Run(ctx, id); err != nil || r.Status != RunRunning {
			t.Errorf("through %s: run %d = %+v, %v", s, id, r, err)
		}
	}
	if err := j.EndRun(ctx, id, RunEnd{Status: RunCompleted}); err != nil {
		t.Fatal(err)
	}
}

// TestPostgresStores: one database, the default store and two others:
// each its own schema, tables and lock; two stores run at once and both
// complete, while a second run of one store is refused.
func TestPostgresStores(t *testing.T) {
	srv := pgServer(t)
	ctx := context.Background()
	suffix := fmt.Sprint(storeSeq.Add(1))
	stores := []string{"", "acme_" + suffix, "globex_" + suffix}
	js := map[string]*Journal{}
	runs := map[string]int64{}
	for _, s := range stores {
		l := loc{b: postgresT, state: srv.DSN, store: s}
		js[s] = open(t, l)
		runs[s] = beginRun(t, js[s])
		// A second run of the store, from another Journal (another host
		// as far as the lock can tell), is refused.
		_, err := open(t, l).BeginRun(ctx, RunStart{From: "2026-11-20", To: "2026-11-20"})
		checkLocked(t, err, l, runs[s], os.Getpid())
	}
	// Every store at once: the same order ids in each, no store sees
	// another's.
	var wg sync.WaitGroup
	errs := make(chan error, len(stores))
	for _, s := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- hammer(ctx, []*Journal{js[s]}, runs[s], 4, 5)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	// And across processes: a child holds a store of its own while this
	// process's runs go on; its store is refused here.
	held := loc{b: postgresT, state: srv.DSN, store: "held_" + suffix}
	c := startChild(t, "hold", held)
	_, err := open(t, held).BeginRun(ctx, RunStart{From: "2026-11-20", To: "2026-11-20"})
	checkLocked(t, err, held, c.runID, c.cmd.Process.Pid)
	for _, s := range stores {
		if err := js[s].EndRun(ctx, runs[s], RunEnd{Status: RunCompleted}); err != nil {
			t.Fatal(err)
		}
		ds, err := js[s].Declarations(ctx, ids("C-%02d-000", 0, 4))
		if err != nil || len(ds) != 4 {
			t.Fatalf("store %q: %d declarations, %v", s, len(ds), err)
		}
		for _, d := range ds {
			if d.RunID != runs[s] || d.Attempts != 2 {
				t.Errorf("store %q: declaration %+v, want its own run %d's, after 2 attempts", s, d, runs[s])
			}
		}
		var n int
		db := pgtest.DB(t, srv.DSN, "")
		err = db.QueryRow(`SELECT count(*) FROM pg_tables WHERE schemaname = $1`, schemaOf(s)).Scan(&n)
		db.Close()
		if err != nil || n != 8 {
			t.Errorf("schema %s holds %d tables (%v), want the journal's 7 and schema_version", schemaOf(s), n, err)
		}
	}
}

// terminate ends, from another session, the server process whose session
// holds the run lock of l, as a lost connection would, and waits until
// the lock is free.
func terminate(t *testing.T, l loc) {
	t.Helper()
	pid := lockHolder(t, l)
	if pid == 0 {
		t.Fatal("nobody holds the run lock")
	}
	db := pgtest.DB(t, pgServer(t).DSN, "")
	defer db.Close()
	var ok bool
	if err := db.QueryRow(`SELECT pg_terminate_backend($1)`, pid).Scan(&ok); err != nil || !ok {
		t.Fatalf("pg_terminate_backend(%d) = %v, %v", pid, ok, err)
	}
	for deadline := time.Now().Add(10 * time.Second); lockHolder(t, l) != 0; {
		if time.Now().After(deadline) {
			t.Fatal("the run lock outlived its session")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestPostgresLostConnection: the run's session goes mid-run. Every write
// of the run then fails, naming the lost lock, and none can commit:
// another run takes the lock, abandons this one, and finds in flight only
// what was in flight; the first run's end cannot undo that.
func TestPostgresLostConnection(t *testing.T) {
	pgServer(t)
	ctx := context.Background()
	l := postgresT.fresh(t)
	j := open(t, l)
	run := beginRun(t, j)
	declare(t, j, run, decl("DONE"), DeclarationOutcome{State: DeclarationAccepted, PlatformState: "SUBMITTED"})
	inFlight, err := j.BeginDeclaration(ctx, run, decl("FLIGHT"))
	if err != nil {
		t.Fatal(err)
	}

	terminate(t, l)

	for name, f := range map[string]func() error{
		"BeginDeclaration": func() error { _, err := j.BeginDeclaration(ctx, run, decl("AFTER")); return err },
		"FinishDeclaration": func() error {
			return j.FinishDeclaration(ctx, run, "FLIGHT", inFlight, DeclarationOutcome{State: DeclarationAccepted})
		},
		"BeginCallback":  func() error { _, err := j.BeginCallback(ctx, run, Callback{Key: CallbackKey{"k", 1}}); return err },
		"BeginMaterials": func() error { _, err := j.BeginMaterials(ctx, run, "AFTER"); return err },
		"RecordExceptions": func() error {
			_, err := j.RecordExceptions(ctx, run, "2026-11-20", "2026-11-20", time.Time{}, nil, nil)
			return err
		},
		"SetMeta": func() error { return j.SetMeta(ctx, "k", "v") },
	} {
		for try := range 2 { // and again: the pool does not reconnect under the run
			err := f()
			if !errors.Is(err, ErrLockLost) {
				t.Errorf("%s after the session was lost (try %d): %v, want ErrLockLost", name, try+1, err)
			}
		}
	}
	// Reads go on, through their own connections.
	if _, err := j.Run(ctx, run); err != nil {
		t.Errorf("Run after the session was lost: %v", err)
	}

	// The next run (here another Journal; as well another host) takes the
	// lock and abandons the first.
	j2 := open(t, l)
	run2 := beginRun(t, j2)
	if r, _ := j2.Run(ctx, run); r.Status != RunAbandoned {
		t.Errorf("the run that lost its session is %s, want abandoned", r.Status)
	}
	ds, _ := j2.Declarations(ctx, []string{"DONE", "FLIGHT", "AFTER"})
	if len(ds) != 2 || ds["DONE"].State != DeclarationAccepted || ds["FLIGHT"].State != DeclarationInFlight {
		t.Errorf("declarations after the loss = %+v, want DONE accepted and FLIGHT in flight (the one call to repeat), AFTER never begun", ds)
	}
	// The first run's end is refused: it was abandoned meanwhile.
	if err := j.EndRun(ctx, run, RunEnd{Status: RunFailed, Error: "journal lost", ExitCode: 1}); !errors.Is(err, ErrRunNotRunning) {
		t.Errorf("EndRun of the run that lost its session: %v, want ErrRunNotRunning", err)
	}
	if r, _ := j2.Run(ctx, run); r.Status != RunAbandoned {
		t.Errorf("after its EndRun, the run is %s, want still abandoned", r.Status)
	}
	if err := j2.EndRun(ctx, run2, RunEnd{Status: RunCompleted}); err != nil {
		t.Fatal(err)
	}
	// The first Journal is usable again, on a new connection.
	run3 := beginRun(t, j)
	declare(t, j, run3, decl("FLIGHT"), DeclarationOutcome{State: DeclarationAccepted, PlatformState: "SUBMITTED"})
	if err := j.EndRun(ctx, run3, RunEnd{Status: RunCompleted}); err != nil {
		t.Fatal(err)
	}
}

// TestPostgresLostConnectionEnd: when no other run took the lock, the end
// of a run that lost its session is recorded through a new connection,
// and Close of such a run abandons it.
func TestPostgresLostConnectionEnd(t *testing.T) {
	pgServer(t)
	ctx := context.Background()
	l := postgresT.fresh(t)
	j := open(t, l)
	run := beginRun(t, j)
	terminate(t, l)
	if _, err := j.BeginDeclaration(ctx, run, decl("X")); !errors.Is(err, ErrLockLost) {
		t.Fatalf("BeginDeclaration: %v, want ErrLockLost", err)
	}
	if err := j.EndRun(ctx, run, RunEnd{Status: RunFailed, Error: "the journal could not record an attempt", ExitCode: 1}); err != nil {
		t.Fatalf("EndRun after the session was lost: %v", err)
	}
	if r, _ := j.Run(ctx, run); r.Status != RunFailed || r.Error == "" {
		t.Errorf("run = %+v, want failed with its reason", r)
	}

	run = beginRun(t, j)
	terminate(t, l)
	if err := j.Close(); err != nil {
		t.Fatalf("Close after the session was lost: %v", err)
	}
	j = open(t, l)
	if r, _ := j.Run(ctx, run); r.Status != RunAbandoned || !strings.Contains(r.Error, "closed before the run ended") {
		t.Errorf("run closed after its session was lost = %+v, want abandoned by Close", r)
	}
}

// TestPostgresCancelledWriteKeepsTheLock: a context cancelled while a
// write of the run waits (here for a table another session has locked)
// cancels the statement, not the session that holds the run's lock.
func TestPostgresCancelledWriteKeepsTheLock(t *testing.T) {
	srv := pgServer(t)
	ctx := context.Background()
	l := postgresT.fresh(t)
	j := open(t, l)
	run := beginRun(t, j)
	holder := lockHolder(t, l)

	db := pgtest.DB(t, srv.DSN, l.schema())
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`LOCK TABLE meta IN EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	err = j.SetMeta(wctx, "k", "v")
	cancel()
	tx.Rollback()
	if err == nil || errors.Is(err, ErrLockLost) {
		t.Fatalf("SetMeta cancelled while it waited: %v, want a cancelled statement, the lock kept", err)
	}
	t.Logf("SetMeta: %v", err)
	if got := lockHolder(t, l); got != holder {
		t.Fatalf("after the cancelled write the run lock is held by %d, want still %d", got, holder)
	}
	declare(t, j, run, decl("AFTER"), DeclarationOutcome{State: DeclarationAccepted})
	if err := j.EndRun(ctx, run, RunEnd{Status: RunCompleted}); err != nil {
		t.Fatal(err)
	}
}

// TestPasswordsAreNeverShown: a connection string's password appears in
// no Path, no error, no LockedError, whether it opened or not.
func TestPasswordsAreNeverShown(t *testing.T) {
	srv := pgServer(t)
	if srv.TCPURL == "" {
		t.Skip("an external server: no TCP URL of it")
	}
	ctx := context.Background()
	const pw = "Sup3r-s3cret"
	u := strings.Replace(srv.TCPURL, "postgres@", "postgres:"+pw+"@", 1) // trust: the password is ignored
	store := fmt.Sprintf("t%d", storeSeq.Add(1))
	var shown []string
	check := func(what, s string) {
		t.Helper()
		shown = append(shown, s)
		if strings.Contains(s, pw) || strings.Contains(s, "s3cret") {
			t.Errorf("%s shows the password: %s", what, s)
		}
	}
	for _, state := range []string{u, u + "&password=" + pw, srv.DSN + " password=" + pw, srv.DSN + " password='" + pw + " x'"} {
		l := loc{b: postgresT, state: state, store: store}
		j := open(t, l)
		check("Path", j.Path())
		id := beginRun(t, j)
		_, err := open(t, l).BeginRun(ctx, RunStart{From: "2026-11-20", To: "2026-11-20"})
		check("LockedError", err.Error())
		_, err = j.BeginDeclaration(ctx, id+1000, decl("P"))
		check("a refusal", err.Error())
		if err := j.EndRun(ctx, id, RunEnd{Status: RunCompleted}); err != nil {
			t.Fatal(err)
		}
	}
	// Connection strings that cannot work: each error says why, without
	// the password.
	closed, _ := pgtest.FreePort()
	for _, state := range []string{
		strings.Replace(u, srv.TCPURL[strings.LastIndex(srv.TCPURL, ":"):strings.LastIndex(srv.TCPURL, "/")], fmt.Sprintf(":%d", closed), 1), // nobody listens
		"postgres://postgres:" + pw + "@127.0.0.1:notaport/db",
		"postgres://postgres:" + pw + "%zz@127.0.0.1/db",
		"host=127.0.0.1 port=" + fmt.Sprint(closed) + " password=" + pw + " connect_timeout=2",
		"host=127.0.0.1 port=x password=" + pw,
		strings.Replace(srv.DSN, "dbname=journal_test", "dbname=no_such_db", 1) + " password=" + pw,
	} {
		_, err := Open(ctx, state)
		if err == nil {
			t.Errorf("Open(%s) succeeded", Redact(state))
			continue
		}
		check("Open's error", err.Error())
	}
	t.Logf("as shown:\n%s", strings.Join(shown, "\n"))
}
