package journal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// sqliteBackend is a journal in a SQLite file.
type sqliteBackend struct {
	j   *Journal
	abs string // the file's absolute path
}

// openSQLite opens the journal in the SQLite file at path. The store
// changes nothing in the file (each store has a file of its own) but is
// named in errors.
func openSQLite(ctx context.Context, path string, o options) (*Journal, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("journal %s: %w", path, err)
	}
	if fi, err := os.Stat(abs); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("journal %s: is a directory, want a file", path)
	} else if err == nil && links(fi) > 1 {
		return nil, fmt.Errorf("journal %s: the file has %d hard links: SQLite cannot use a database safely through more than one name (each name gets its own -wal file); remove the other links, or use a symlink", path, links(fi))
	} else if err == nil && !writable(abs) {
		return nil, fmt.Errorf("journal %s: the file is read-only for this user: the journal records every call in it; make it writable (chmod u+w, or chown it to the job's user), or give --state another path", path)
	}
	if err := checkWritableDir(filepath.Dir(abs)); err != nil {
		return nil, fmt.Errorf("journal %s: %w", path, err)
	}
	j := &Journal{path: path, name: label(path, o.store, ""), store: o.store, now: time.Now, writing: make(chan struct{}, 1)}
	b := &sqliteBackend{j: j, abs: abs}
	j.be = b

	// Every pragma is set by the driver on each new connection. busy_timeout
	// comes first (the driver orders it so) so that the others wait for
	// locks rather than fail. journal_mode=WAL is persistent in the file.
	// synchronous=NORMAL: see the package documentation.
	params := fmt.Sprintf("_pragma=busy_timeout(%d)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)",
		BusyTimeout.Milliseconds())
	w, err := sql.Open("sqlite", uri(abs)+"?"+params+"&_pragma=journal_mode(WAL)&_txlock=immediate")
	if err != nil {
		return nil, b.openErr(err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	j.w = w
	r, err := sql.Open("sqlite", uri(abs)+"?"+params+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, b.openErr(err)
	}
	r.SetMaxOpenConns(readers)
	r.SetMaxIdleConns(readers)
	j.r = r
	if err := j.open(ctx, b.init); err != nil {
		if isNotADB(err) {
			return nil, b.openErr(err)
		}
		return nil, err
	}
	return j, nil
}

// checkWritableDir says what to do when dir cannot hold the journal: it
// must exist and be writable, for the journal file and for the -wal and
// -shm files SQLite keeps beside it.
func checkWritableDir(dir string) error {
	f, err := os.CreateTemp(dir, ".reconcile-probe-*")
	switch {
	case err == nil:
		name := f.Name()
		f.Close()
		return os.Remove(name)
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("the directory %s does not exist: create it, or give --state a path in an existing directory", dir)
	case errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.EROFS):
		return fmt.Errorf("the directory %s is read-only for this user: the journal needs to write its file and the -wal and -shm files beside it; make the directory writable (under systemd, add it to ReadWritePaths=) or give --state a path in a writable directory", dir)
	}
	return fmt.Errorf("the directory %s cannot hold the journal: %w", dir, err)
}

// uri turns a file path into an SQLite URI filename. SQLite decodes %HH in
// the path, so '%', '?' and '#' are escaped; nothing else needs to be.
func uri(abs string) string {
	r := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")
	return "file:" + r.Replace(filepath.ToSlash(abs))
}

// init connects and checks the connection's settings.
//
// Connecting sets journal_mode=WAL. Two processes opening a new file at
// once can meet there: the one switching the file to WAL needs an
// exclusive lock, and SQLite answers SQLITE_BUSY at once, without the busy
// handler, where waiting could deadlock. The connection is then tried
// again, for up to BusyTimeout, as busy_timeout would have waited.
func (b *sqliteBackend) init(ctx context.Context) error {
	deadline := time.Now().Add(BusyTimeout)
	for {
		err := b.j.w.PingContext(ctx)
		if err == nil {
			break
		}
		var se *sqlite.Error
		if !errors.As(err, &se) || se.Code()&0xff != sqlite3.SQLITE_BUSY || time.Now().After(deadline) {
			return b.openErr(err)
		}
		select {
		case <-ctx.Done():
			return b.openErr(err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	var mode string
	if err := b.j.w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return b.openErr(err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("journal %s: cannot use WAL mode (journal_mode is %q); put the journal on a local file system", b.j.name, mode)
	}
	return nil
}

// isNotADB reports whether err is SQLite's "file is not a database".
func isNotADB(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_NOTADB
}

// openErr wraps an error met while opening, recognising a file that is not
// a database.
func (b *sqliteBackend) openErr(err error) error {
	if isNotADB(err) {
		return fmt.Errorf("journal %s: %w (the file exists but holds something else; move it away or choose another --state path): %v", b.j.name, ErrNotDatabase, err)
	}
	var se *sqlite.Error
	if errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_READONLY {
		return fmt.Errorf("journal %s: the file is read-only for this user: make it writable, or give --state another path: %w", b.j.name, err)
	}
	if errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_CANTOPEN {
		return fmt.Errorf("journal %s: cannot open or create the file (does its directory exist, and may we write there?): %w", b.j.name, err)
	}
	return fmt.Errorf("journal %s: open: %w", b.j.name, err)
}

func (b *sqliteBackend) migrations() []string { return migrations }

// version is PRAGMA user_version.
func (b *sqliteBackend) version(ctx context.Context, w wtx) (int, error) {
	var v int
	if err := w.queryRow(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}

func (b *sqliteBackend) setVersion(ctx context.Context, w wtx, v int) error {
	// PRAGMA takes no bound parameters; the value is an int.
	if _, err := w.exec(ctx, fmt.Sprintf("PRAGMA user_version = %d", v)); err != nil {
		return fmt.Errorf("set schema version: %w", err)
	}
	return nil
}

// tables returns the names of the tables of the database, SQLite's own
// left out, sorted.
func (b *sqliteBackend) tables(ctx context.Context, w wtx) ([]string, error) {
	rows, err := w.query(ctx, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		names = append(names, n)
	}
	return names, rows.Err()
}

func (b *sqliteBackend) place() string { return "the file" }

func (b *sqliteBackend) foreignAdvice() string {
	return "give --state a new path, or the journal's own file"
}

func (b *sqliteBackend) newerAdvice() string { return "upgrade reconcile or use another --state file" }

// rebind: SQLite takes ? as written.
func (b *sqliteBackend) rebind(q string) string { return q }

func (b *sqliteBackend) close() error { return nil }

// fileRunLock is the flock of the journal file (see filelock.go).
type fileRunLock struct{ key fileKey }

func (l fileRunLock) session() *sql.Conn { return nil }

func (l fileRunLock) release(context.Context) error { return unlockFile(l.key) }

func (l fileRunLock) lost() bool { return false }

// lock takes the flock of the journal file.
func (b *sqliteBackend) lock(context.Context) (runLock, bool, error) {
	key, ok, err := lockFile(b.abs)
	if err != nil || !ok {
		return nil, ok, err
	}
	return fileRunLock{key: key}, true, nil
}

// check runs SQLite's quick_check, integrity_check and foreign_key_check.
func (b *sqliteBackend) check(ctx context.Context) error {
	j := b.j
	for _, pragma := range []string{"quick_check", "integrity_check"} {
		rows, err := j.r.QueryContext(ctx, "PRAGMA "+pragma)
		if err != nil {
			return fmt.Errorf("journal %s: %s: %w", j.name, pragma, err)
		}
		var msgs []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				rows.Close()
				return fmt.Errorf("journal %s: %s: %w", j.name, pragma, err)
			}
			msgs = append(msgs, s)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return fmt.Errorf("journal %s: %s: %w", j.name, pragma, err)
		}
		if len(msgs) != 1 || msgs[0] != "ok" {
			return fmt.Errorf("journal %s: %s failed: %s", j.name, pragma, strings.Join(msgs, "; "))
		}
	}
	rows, err := j.r.QueryContext(ctx, "PRAGMA foreign_key_check")
	if err != nil {
		return fmt.Errorf("journal %s: foreign_key_check: %w", j.name, err)
	}
	defer rows.Close()
	var bad []string
	for rows.Next() {
		var table, parent string
		var rowid sql.NullInt64
		var fkid int64
		if err := rows.Scan(&table, &rowid, &parent, &fkid); err != nil {
			return fmt.Errorf("journal %s: foreign_key_check: %w", j.name, err)
		}
		bad = append(bad, fmt.Sprintf("%s row %d refers to a missing %s", table, rowid.Int64, parent))
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("journal %s: foreign_key_check: %w", j.name, err)
	}
	if len(bad) > 0 {
		return fmt.Errorf("journal %s: foreign_key_check failed: %s", j.name, strings.Join(bad, "; "))
	}
	return nil
}
