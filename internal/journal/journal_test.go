package journal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crossborder/reconcile/internal/cst"
)

func TestMain(m *testing.M) {
	if mode := os.Getenv(childEnv); mode != "" {
		os.Exit(runChild(mode, os.Getenv(childPathEnv)))
	}
	os.Exit(m.Run())
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

func tempPath(t *testing.T) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "state.db")
}

func open(t *testing.T, path string) *Journal {
	t.Helper()
	j, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

func beginRun(t *testing.T, j *Journal) int64 {
	t.Helper()
	id, err := j.BeginRun(context.Background(), RunStart{From: "2026-11-20", To: "2026-11-20"})
	if err != nil {
		t.Fatalf("BeginRun: %v", err)
	}
	return id
}

// rawDB opens path with the driver directly, bypassing the journal.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func pragmaInt(t *testing.T, db *sql.DB, name string) int {
	t.Helper()
	var v int
	if err := db.QueryRow("PRAGMA " + name).Scan(&v); err != nil {
		t.Fatalf("PRAGMA %s: %v", name, err)
	}
	return v
}

func TestOpenMigratesAndReopens(t *testing.T) {
	ctx := context.Background()
	path := tempPath(t)
	j, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open new file: %v", err)
	}
	if got := j.Path(); got != path {
		t.Errorf("Path() = %q, want %q", got, path)
	}
	if got := pragmaInt(t, j.w, "user_version"); got != SchemaVersion {
		t.Errorf("user_version after Open = %d, want %d", got, SchemaVersion)
	}
	var tables []string
	rows, err := j.r.Query(`SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	if got, want := strings.Join(tables, ","), "attempts,callbacks,declaration_states,declarations,exceptions,meta,runs"; got != want {
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
	j = open(t, path)
	if got := pragmaInt(t, j.w, "user_version"); got != SchemaVersion {
		t.Errorf("user_version after reopen = %d, want %d", got, SchemaVersion)
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
}

func TestOpenTwiceConcurrently(t *testing.T) {
	// Two opens of a new file at once: the migration runs once, neither fails.
	path := tempPath(t)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			j, err := Open(context.Background(), path)
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
	j := open(t, path)
	if got := pragmaInt(t, j.w, "user_version"); got != SchemaVersion {
		t.Errorf("user_version = %d, want %d", got, SchemaVersion)
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	path := tempPath(t)
	j := open(t, path)
	j.Close()
	db := rawDB(t, path)
	if _, err := db.Exec(fmt.Sprintf("PRAGMA user_version = %d", SchemaVersion+1)); err != nil {
		t.Fatal(err)
	}
	db.Close()

	_, err := Open(context.Background(), path)
	if !errors.Is(err, ErrNewerSchema) {
		t.Fatalf("Open of a version %d file: got %v, want ErrNewerSchema", SchemaVersion+1, err)
	}
	t.Logf("Open: %v", err)
	for _, want := range []string{path, fmt.Sprintf("schema version %d", SchemaVersion+1), "newer"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	// The file is untouched.
	db = rawDB(t, path)
	if got := pragmaInt(t, db, "user_version"); got != SchemaVersion+1 {
		t.Errorf("user_version after refused Open = %d, want %d", got, SchemaVersion+1)
	}
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
		j := open(t, path)
		if got := pragmaInt(t, j.w, "user_version"); got != SchemaVersion {
			t.Errorf("user_version = %d, want %d", got, SchemaVersion)
		}
	})
}

func TestOpenPathWithURICharacters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a?b#c%d e.db")
	j := open(t, path)
	beginRun(t, j)
	if _, err := os.Stat(path); err != nil {
		t.Errorf("journal file not at %q: %v", path, err)
	}
}

func TestPragmas(t *testing.T) {
	j := open(t, tempPath(t))
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
	ctx := context.Background()
	path := tempPath(t)
	j := open(t, path)
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
	// Whatever the host zone, a time is stored as UTC+8 text and read back
	// as the same instant in UTC+8.
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
		back, err := parseTime(sql.NullString{String: tt.want, Valid: true})
		if err != nil {
			t.Fatal(err)
		}
		if !back.Equal(tt.in.Truncate(time.Millisecond)) || back.Location() != cst.Zone {
			t.Errorf("parseTime(%s) = %v, want %v in UTC+8", tt.want, back, tt.in)
		}
	}
	if got := formatTime(time.Time{}); got != nil {
		t.Errorf("formatTime(zero) = %v, want nil", got)
	}
}

func TestSchemaVersionCountsMigrations(t *testing.T) {
	if SchemaVersion != len(migrations) {
		t.Errorf("SchemaVersion = %d, want len(migrations) = %d", SchemaVersion, len(migrations))
	}
}

func TestMigrationsApplyTheMissingOnesAtomically(t *testing.T) {
	ctx := context.Background()
	path := tempPath(t)
	j := open(t, path)
	id := beginRun(t, j)
	j.Close()

	saved := migrations
	t.Cleanup(func() { migrations = saved })
	base := migrations[:len(migrations):len(migrations)]

	// A migration that fails half-way changes nothing.
	migrations = append(base, `CREATE TABLE extra (a TEXT); THIS IS NOT SQL`)
	if _, err := Open(ctx, path); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("migrate to schema version %d", len(saved)+1)) {
		t.Fatalf("Open with a broken migration: got %v, want a migration error", err)
	}
	db := rawDB(t, path)
	var n int
	db.QueryRow(`SELECT count(*) FROM sqlite_schema WHERE name = 'extra'`).Scan(&n)
	if got := pragmaInt(t, db, "user_version"); got != len(saved) || n != 0 {
		t.Errorf("after a failed migration: user_version %d, table extra present %v; want %d and absent", got, n == 1, len(saved))
	}

	// A good one is applied once, on top of the existing data.
	migrations = append(base, `ALTER TABLE runs ADD COLUMN note TEXT NOT NULL DEFAULT 'none'`)
	j = open(t, path)
	if got := pragmaInt(t, j.w, "user_version"); got != len(saved)+1 {
		t.Errorf("user_version = %d, want %d", got, len(saved)+1)
	}
	var note string
	if err := j.r.QueryRow(`SELECT note FROM runs WHERE id = ?`, id).Scan(&note); err != nil || note != "none" {
		t.Errorf("new column on the old run = %q, %v; want \"none\"", note, err)
	}
	j.Close()
	j = open(t, path) // reopening does not apply it again (ALTER would fail)
	if got := pragmaInt(t, j.w, "user_version"); got != len(saved)+1 {
		t.Errorf("user_version after reopen = %d, want %d", got, len(saved)+1)
	}
}
