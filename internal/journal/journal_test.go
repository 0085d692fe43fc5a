package journal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crossborder/reconcile/internal/cst"
	"github.com/crossborder/reconcile/internal/journal/pgtest"
)

func TestMain(m *testing.M) {
	if mode := os.Getenv(childEnv); mode != "" {
		os.Exit(runChild(mode, os.Getenv(childPathEnv), os.Getenv(childStoreEnv)))
	}
	code := m.Run()
	pgtest.Stop()
	os.Exit(code)
}

// The journal's contract is one suite run on both backends: each test of
// it calls forEachBackend, which runs its body as the subtests sqlite and
// postgres, each on a journal of its own (b.fresh: a new file, or a new
// store in the test database; see pgserver_test.go for the server).
// Tests of what only one backend has (SQLite's files and pragmas,
// PostgreSQL's sessions and stores) are plain tests.

// testBackend is a database the contract suite runs on.
type testBackend struct {
	name string
	pg   bool
}

var (
	sqliteT   = &testBackend{name: "sqlite"}
	postgresT = &testBackend{name: "postgres", pg: true}
	backends  = []*testBackend{sqliteT, postgresT}
)

// forEachBackend runs f once per backend, as the subtests sqlite and
// postgres. The postgres one is skipped, or fails under CI=true, when
// there is no PostgreSQL (see pgServer).
func forEachBackend(t *testing.T, f func(t *testing.T, b *testBackend)) {
	t.Helper()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			if b.pg {
				pgServer(t)
			}
			f(t, b)
		})
	}
}

var storeSeq atomic.Int64

// fresh returns the place of a new, empty journal: a file in a temporary
// directory, or a store of its own in the test database.
func (b *testBackend) fresh(t testing.TB) loc {
	t.Helper()
	if !b.pg {
		return loc{b: b, state: tempPath(t)}
	}
	return loc{b: b, state: pgServer(t).DSN, store: fmt.Sprintf("t%d", storeSeq.Add(1))}
}

// loc is where a test's journal lives: the state and the store given to
// Open.
type loc struct {
	b     *testBackend
	state string
	store string
}

// fileLoc is the journal in the SQLite file at path.
func fileLoc(path string) loc { return loc{b: sqliteT, state: path} }

func (l loc) open(ctx context.Context) (*Journal, error) {
	return Open(ctx, l.state, WithStore(l.store))
}

// path is what Path returns: the state, redacted.
func (l loc) path() string { return Redact(l.state) }

// schema is the store's schema on PostgreSQL, "" on SQLite.
func (l loc) schema() string {
	if l.b.pg {
		return schemaOf(l.store)
	}
	return ""
}

// name is how the journal's errors name it.
func (l loc) name() string { return label(l.path(), l.store, l.schema()) }

// raw opens the journal's database bypassing the journal: the file, or
// the test database with the store's schema on its search_path.
func (l loc) raw(t testing.TB) *sql.DB {
	t.Helper()
	db := l.rawDB(t)
	t.Cleanup(func() { db.Close() })
	return db
}

// rawDB is raw without the cleanup: the caller closes it.
func (l loc) rawDB(t testing.TB) *sql.DB {
	t.Helper()
	if l.b.pg {
		return pgtest.DB(t, l.state, l.schema())
	}
	db, err := sql.Open("sqlite", l.state)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// exec runs q (with ? placeholders) in the journal's place, bypassing the
// journal; on PostgreSQL it creates the store's schema first if need be.
func (l loc) exec(t testing.TB, q string, args ...any) {
	t.Helper()
	db := l.rawDB(t)
	defer db.Close()
	if l.b.pg {
		if _, err := db.Exec(`CREATE SCHEMA IF NOT EXISTS ` + l.schema()); err != nil {
			t.Fatal(err)
		}
		q = rebindDollar(q)
	}
	if _, err := db.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// queryInt runs a query of one integer in the journal's place.
func (l loc) queryInt(t testing.TB, q string, args ...any) int {
	t.Helper()
	if l.b.pg {
		q = rebindDollar(q)
	}
	db := l.rawDB(t)
	defer db.Close()
	var n int
	if err := db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// version reads the schema version, bypassing the journal.
func (l loc) version(t testing.TB) int {
	t.Helper()
	if l.b.pg {
		return l.queryInt(t, `SELECT version FROM schema_version`)
	}
	return l.queryInt(t, "PRAGMA user_version")
}

// setVersion writes the schema version, bypassing the journal.
func (l loc) setVersion(t testing.TB, v int) {
	t.Helper()
	if l.b.pg {
		l.exec(t, `CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)`)
		l.exec(t, `DELETE FROM schema_version`)
		l.exec(t, `INSERT INTO schema_version (version) VALUES (?)`, v)
		return
	}
	l.exec(t, fmt.Sprintf("PRAGMA user_version = %d", v))
}

// tables lists the journal's tables, bypassing the journal (PostgreSQL's
// schema_version left out: it is SQLite's user_version).
func (l loc) tables(t testing.TB) []string {
	t.Helper()
	q := `SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`
	var args []any
	if l.b.pg {
		q = `SELECT tablename FROM pg_tables WHERE schemaname = $1 AND tablename <> 'schema_version' ORDER BY tablename COLLATE "C"`
		args = []any{l.schema()}
	}
	db := l.rawDB(t)
	defer db.Close()
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		names = append(names, n)
	}
	return names
}

// migrations is the list of migrations of the backend, for tests that
// replace it.
func (b *testBackend) migrations() *[]string {
	if b.pg {
		return &pgMigrations
	}
	return &migrations
}

// clock is a settable clock for the journal.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// at returns a time of 2026-11-21 in UTC+8 (ms precision, as stored).
func at(h, m, s, ms int) time.Time {
	return time.Date(2026, 11, 21, h, m, s, ms*1e6, cst.Zone)
}

func tempPath(t testing.TB) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "state.db")
}

func open(t testing.TB, l loc) *Journal {
	t.Helper()
	j, err := l.open(context.Background())
	if err != nil {
		t.Fatalf("Open(%s): %v", l.name(), err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

func beginRun(t testing.TB, j *Journal) int64 {
	t.Helper()
	id, err := j.BeginRun(context.Background(), RunStart{From: "2026-11-20", To: "2026-11-20"})
	if err != nil {
		t.Fatalf("BeginRun: %v", err)
	}
	return id
}

// rawDB opens path with the driver directly, bypassing the journal.
func rawDB(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func pragmaInt(t testing.TB, db *sql.DB, name string) int {
	t.Helper()
	var v int
	if err := db.QueryRow("PRAGMA " + name).Scan(&v); err != nil {
		t.Fatalf("PRAGMA %s: %v", name, err)
	}
	return v
}

func TestOpenMigratesAndReopens(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *testBackend) {
		ctx := context.Background()
		l := b.fresh(t)
		j, err := l.open(ctx)
		if err != nil {
			t.Fatalf("Open new journal: %v", err)
		}
		if got := j.Path(); got != l.path() {
			t.Errorf("Path() = %q, want %q", got, l.path())
		}
		if got := j.Store(); got != l.store {
			t.Errorf("Store() = %q, want %q", got, l.store)
		}
		if got := l.version(t); got != SchemaVersion {
			t.Errorf("schema version after Open = %d, want %d", got, SchemaVersion)
		}
		if got, want := strings.Join(l.tables(t), ","), "attempts,callbacks,declaration_states,declarations,exceptions,meta,runs"; got != want {
			t.Errorf("tables = %s, want %s", got, want)
		}
		id := beginRun(t, j)
		if err := j.EndRun(ctx, id, RunEnd{Status: RunCompleted}); err != nil {
			t.Fatal(err)
		}
		if err := j.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}

		// Reopen: no migration runs again, the data is there.
		j = open(t, l)
		if got := l.version(t); got != SchemaVersion {
			t.Errorf("schema version after reopen = %d, want %d", got, SchemaVersion)
		}
		r, err := j.Run(ctx, id)
		if err != nil {
			t.Fatalf("Run(%d) after reopen: %v", id, err)
		}
		if r.Status != RunCompleted {
			t.Errorf("run %d status after reopen = %q, want %q", id, r.Status, RunCompleted)
		}
		if err := j.Check(ctx); err != nil {
			t.Errorf("Check: %v", err)
		}
	})
}

func TestOpenTwiceConcurrently(t *testing.T) {
	// Opens of a new journal at once: the migration runs once, none fails.
	forEachBackend(t, func(t *testing.T, b *testBackend) {
		l := b.fresh(t)
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				j, err := l.open(context.Background())
				if err == nil {
					err = j.Close()
				}
				errs[i] = err
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("open %d: %v", i, err)
			}
		}
		open(t, l)
		if got := l.version(t); got != SchemaVersion {
			t.Errorf("schema version = %d, want %d", got, SchemaVersion)
		}
	})
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *testBackend) {
		l := b.fresh(t)
		j := open(t, l)
		j.Close()
		l.setVersion(t, SchemaVersion+1)

		_, err := l.open(context.Background())
		if !errors.Is(err, ErrNewerSchema) {
			t.Fatalf("Open of a version %d journal: got %v, want ErrNewerSchema", SchemaVersion+1, err)
		}
		t.Logf("Open: %v", err)
		for _, want := range []string{l.name(), fmt.Sprintf("schema version %d", SchemaVersion+1), "newer"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not contain %q", err, want)
			}
		}
		// The journal is untouched.
		if got := l.version(t); got != SchemaVersion+1 {
			t.Errorf("schema version after refused Open = %d, want %d", got, SchemaVersion+1)
		}
	})
}

func TestOpenRefusesOtherFiles(t *testing.T) {
	big := make([]byte, 8192)
	for i := range big {
		big[i] = byte(i * 7)
	}
	tests := []struct {
		name    string
		content []byte
	}{
		{"text", []byte("hello, this is not a database\n")},
		{"csv", []byte("order_id,order_fee\nT1001,12345\nT1002,500\n")},
		{"binary", big},
		{"header-like", append([]byte("SQLite format 2\x00"), big[:4000]...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "orders.csv")
			if err := os.WriteFile(path, tt.content, 0o644); err != nil {
				t.Fatal(err)
			}
			j, err := Open(context.Background(), path)
			if err == nil {
				j.Close()
				t.Fatalf("Open(%s) succeeded, want an error", tt.name)
			}
			t.Logf("Open: %v", err)
			if !errors.Is(err, ErrNotDatabase) {
				t.Errorf("Open: got %v, want ErrNotDatabase", err)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name %s", err, path)
			}
			got, _ := os.ReadFile(path)
			if string(got) != string(tt.content) {
				t.Errorf("Open changed the file")
			}
		})
	}
	t.Run("directory", func(t *testing.T) {
		dir := t.TempDir()
		_, err := Open(context.Background(), dir)
		t.Logf("Open: %v", err)
		if err == nil || !strings.Contains(err.Error(), dir) {
			t.Errorf("Open(directory): got %v, want an error naming %s", err, dir)
		}
	})
	t.Run("missing directory", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "no", "such", "state.db")
		_, err := Open(context.Background(), path)
		t.Logf("Open: %v", err)
		if err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("Open(%s): got %v, want an error naming it", path, err)
		}
	})
	t.Run("empty file", func(t *testing.T) {
		// An empty file is an empty database: Open takes it.
		path := filepath.Join(t.TempDir(), "state.db")
		if err := os.WriteFile(path, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		j := open(t, fileLoc(path))
		if got := pragmaInt(t, j.w, "user_version"); got != SchemaVersion {
			t.Errorf("user_version = %d, want %d", got, SchemaVersion)
		}
	})
}

func TestOpenPathWithURICharacters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a?b#c%d e.db")
	j := open(t, fileLoc(path))
	beginRun(t, j)
	if _, err := os.Stat(path); err != nil {
		t.Errorf("journal file not at %q: %v", path, err)
	}
}

func TestPragmas(t *testing.T) {
	j := open(t, fileLoc(tempPath(t)))
	var mode string
	if err := j.w.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" {
		t.Errorf("journal_mode = %q, want wal", mode)
	}
	tests := []struct {
		db     string
		pragma string
		want   int
	}{
		{"writer", "busy_timeout", 10000},
		{"writer", "foreign_keys", 1},
		{"writer", "synchronous", 1}, // NORMAL
		{"writer", "query_only", 0},
		{"reader", "busy_timeout", 10000},
		{"reader", "query_only", 1},
	}
	for _, tt := range tests {
		db := j.w
		if tt.db == "reader" {
			db = j.r
		}
		if got := pragmaInt(t, db, tt.pragma); got != tt.want {
			t.Errorf("%s: PRAGMA %s = %d, want %d", tt.db, tt.pragma, got, tt.want)
		}
	}
	// foreign_keys is enforced: an attempt of a run that does not exist.
	_, err := j.w.Exec(`INSERT INTO attempts (run_id, kind, key, attempt, started_at) VALUES (999, 'declaration', 'x', 1, 'now')`)
	if err == nil {
		t.Errorf("insert referring to a missing run succeeded, want a foreign key error")
	}
}

func TestCheckReportsCorruption(t *testing.T) {
	// SQLite's: PostgreSQL refuses the dangling row in the first place
	// (TestPostgresSession).
	ctx := context.Background()
	path := tempPath(t)
	j := open(t, fileLoc(path))
	if err := j.Check(ctx); err != nil {
		t.Fatalf("Check on a new journal: %v", err)
	}
	// A foreign key violation slipped in behind the journal's back.
	db := rawDB(t, path)
	if _, err := db.Exec(`INSERT INTO attempts (run_id, kind, key, attempt, started_at) VALUES (999, 'declaration', 'x', 1, 'now')`); err != nil {
		t.Fatal(err)
	}
	err := j.Check(ctx)
	if err == nil || !strings.Contains(err.Error(), "foreign_key_check") {
		t.Errorf("Check after a dangling row: got %v, want a foreign_key_check error", err)
	}
}

func TestTimesAreStoredInUTC8(t *testing.T) {
	// Whatever the host zone, a time is written as UTC+8 text and read
	// back as the same instant in UTC+8, from that text (SQLite) or from
	// a time the driver read (PostgreSQL's timestamptz).
	tests := []struct {
		in   time.Time
		want string
	}{
		{time.Date(2026, 11, 20, 18, 0, 3, 123456789, time.UTC), "2026-11-21T02:00:03.123+08:00"},
		{time.Date(2026, 11, 21, 2, 0, 3, 0, cst.Zone), "2026-11-21T02:00:03.000+08:00"},
		{time.Date(2026, 11, 20, 13, 0, 3, 5e6, time.FixedZone("EST", -5*3600)), "2026-11-21T02:00:03.005+08:00"},
	}
	for _, tt := range tests {
		got := formatTime(tt.in)
		if got != tt.want {
			t.Errorf("formatTime(%v) = %v, want %s", tt.in, got, tt.want)
		}
		for _, src := range []any{tt.want, []byte(tt.want), tt.in.Truncate(time.Millisecond).UTC()} {
			var back time.Time
			if err := (dbTime{&back}).Scan(src); err != nil {
				t.Fatal(err)
			}
			if !back.Equal(tt.in.Truncate(time.Millisecond)) || back.Location() != cst.Zone {
				t.Errorf("dbTime.Scan(%#v) = %v, want %v in UTC+8", src, back, tt.in)
			}
		}
	}
	if got := formatTime(time.Time{}); got != nil {
		t.Errorf("formatTime(zero) = %v, want nil", got)
	}
	var zero time.Time
	if err := (dbTime{&zero}).Scan(nil); err != nil || !zero.IsZero() {
		t.Errorf("dbTime.Scan(nil) = %v, %v; want the zero time", zero, err)
	}
	var day string
	for _, src := range []any{"2026-11-20", time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)} {
		if err := (dbDate{&day}).Scan(src); err != nil || day != "2026-11-20" {
			t.Errorf("dbDate.Scan(%#v) = %q, %v", src, day, err)
		}
	}
}

func TestSchemaVersionCountsMigrations(t *testing.T) {
	if SchemaVersion != len(migrations) || SchemaVersion != len(pgMigrations) {
		t.Errorf("SchemaVersion = %d, want len(migrations) = %d = len(pgMigrations) = %d", SchemaVersion, len(migrations), len(pgMigrations))
	}
}

func TestMigrationsApplyTheMissingOnesAtomically(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b *testBackend) {
		ctx := context.Background()
		l := b.fresh(t)
		j := open(t, l)
		id := beginRun(t, j)
		j.Close()

		migs := b.migrations()
		saved := *migs
		t.Cleanup(func() { *migs = saved })
		base := saved[:len(saved):len(saved)]

		// A migration that fails half-way changes nothing.
		*migs = append(base, `CREATE TABLE extra (a TEXT); THIS IS NOT SQL`)
		if _, err := l.open(ctx); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("migrate to schema version %d", len(saved)+1)) {
			t.Fatalf("Open with a broken migration: got %v, want a migration error", err)
		}
		if got := l.version(t); got != len(saved) || slices.Contains(l.tables(t), "extra") {
			t.Errorf("after a failed migration: schema version %d, tables %v; want %d and no table extra", got, l.tables(t), len(saved))
		}

		// A good one is applied once, on top of the existing data.
		*migs = append(base, `ALTER TABLE runs ADD COLUMN note TEXT NOT NULL DEFAULT 'none'`)
		j = open(t, l)
		if got := l.version(t); got != len(saved)+1 {
			t.Errorf("schema version = %d, want %d", got, len(saved)+1)
		}
		var note string
		if err := j.readRow(ctx, `SELECT note FROM runs WHERE id = ?`, id).Scan(&note); err != nil || note != "none" {
			t.Errorf("new column on the old run = %q, %v; want \"none\"", note, err)
		}
		j.Close()
		j = open(t, l) // reopening does not apply it again (ALTER would fail)
		if got := l.version(t); got != len(saved)+1 {
			t.Errorf("schema version after reopen = %d, want %d", got, len(saved)+1)
		}
	})
}

// pgServer is the tests' PostgreSQL server (package pgtest): started on
// first use, the test skipped or failed without one.
func pgServer(t testing.TB) *pgtest.Server { return pgtest.Start(t) }
