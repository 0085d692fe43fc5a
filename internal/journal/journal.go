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
	"sync"
	"syscall"
	"time"

	"github.com/crossborder/reconcile/internal/cst"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// BusyTimeout is how long a statement waits for a lock held by another
// process (another connection to the same file) before it fails.
const BusyTimeout = 10 * time.Second

// readers is the size of the read-only connection pool.
const readers = 4

// Errors a caller may test for with errors.Is.
var (
	// ErrNotFound: the run asked for does not exist.
	ErrNotFound = errors.New("not found")
	// ErrLocked: another run holds the journal; the error is a *LockedError.
	ErrLocked = errors.New("journal is locked by another run")
	// ErrConflict: an accepted declaration exists with different
	// parameters; the error is a *ConflictError.
	ErrConflict = errors.New("declaration conflicts with an accepted one")
	// ErrNoAttempt: Finish named an attempt that was never begun in this
	// run, or that is already finished.
	ErrNoAttempt = errors.New("no unfinished attempt")
	// ErrRunNotRunning: Begin named a run that is not running (ended,
	// abandoned, or unknown).
	ErrRunNotRunning = errors.New("run is not running")
	// ErrDryRun: Begin named a dry run, which must change no state.
	ErrDryRun = errors.New("dry run changes no journal state")
	// ErrNewerSchema: the file was written by a newer program.
	ErrNewerSchema = errors.New("schema is newer than this program")
	// ErrNotDatabase: the file is not a SQLite database.
	ErrNotDatabase = errors.New("not a SQLite database")
	// ErrForeignDatabase: the file is another application's SQLite
	// database; the journal's tables are never added to it.
	ErrForeignDatabase = errors.New("another application's SQLite database")
)

// Journal is an open journal file. It is safe for concurrent use by many
// goroutines. Open it once per process and share it; two Journals on the
// same file also work (each waits for the other's writes) and exclude each
// other's runs.
type Journal struct {
	path string  // as given to Open
	abs  string  // absolute
	w    *sql.DB // the one writer connection
	r    *sql.DB // read-only connections

	// stmts holds the writer's hot statements, prepared once at Open:
	// parsing them on every call cost a third of the time of a write.
	stmts map[string]*sql.Stmt

	now func() time.Time // the clock; tests replace it

	// writing is a semaphore of one in front of the writer connection.
	// database/sql would queue writers too, but handing its one connection
	// from goroutine to goroutine costs a third more under 32 writers; the
	// channel keeps the wait cancellable.
	writing chan struct{}

	mu   sync.Mutex // guards held
	held *heldLock  // the lock of the run begun here, if any
}

// Open opens the journal at path, creating the file if it does not exist, and
// migrates its schema to the version this program knows, in one transaction.
// It does not take the run lock (see [Journal.BeginRun]).
//
// Open fails, naming path, when the file is not a SQLite database (the error
// wraps [ErrNotDatabase]), when it is another application's database
// ([ErrForeignDatabase], naming the tables found), when its schema version
// is newer than this program's ([ErrNewerSchema]), when its directory is
// not writable (SQLite keeps the -wal and -shm files beside it), or when
// WAL mode cannot be enabled (for instance on a file system without shared
// memory).
func Open(ctx context.Context, path string) (*Journal, error) {
	if path == "" {
		return nil, errors.New("journal: empty path")
	}
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
	j := &Journal{path: path, abs: abs, now: time.Now, writing: make(chan struct{}, 1)}

	// Every pragma is set by the driver on each new connection. busy_timeout
	// comes first (the driver orders it so) so that the others wait for
	// locks rather than fail. journal_mode=WAL is persistent in the file.
	// synchronous=NORMAL: see the package documentation.
	params := fmt.Sprintf("_pragma=busy_timeout(%d)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)",
		BusyTimeout.Milliseconds())
	w, err := sql.Open("sqlite", uri(abs)+"?"+params+"&_pragma=journal_mode(WAL)&_txlock=immediate")
	if err != nil {
		return nil, j.openErr(err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	j.w = w
	if err := j.init(ctx); err != nil {
		w.Close()
		return nil, err
	}

	if err := j.prepare(ctx); err != nil {
		w.Close()
		return nil, err
	}

	r, err := sql.Open("sqlite", uri(abs)+"?"+params+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, j.openErr(err)
	}
	r.SetMaxOpenConns(readers)
	r.SetMaxIdleConns(readers)
	j.r = r
	if err := r.PingContext(ctx); err != nil {
		r.Close()
		w.Close()
		return nil, j.openErr(err)
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

// init checks the connection's settings and migrates the schema.
func (j *Journal) init(ctx context.Context) error {
	if err := j.w.PingContext(ctx); err != nil {
		return j.openErr(err)
	}
	var mode string
	if err := j.w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return j.openErr(err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("journal %s: cannot use WAL mode (journal_mode is %q); put the journal on a local file system", j.path, mode)
	}
	if err := j.migrate(ctx); err != nil {
		if isNotADB(err) {
			return j.openErr(err)
		}
		return err
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
func (j *Journal) openErr(err error) error {
	if isNotADB(err) {
		return fmt.Errorf("journal %s: %w (the file exists but holds something else; move it away or choose another --state path): %v", j.path, ErrNotDatabase, err)
	}
	var se *sqlite.Error
	if errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_READONLY {
		return fmt.Errorf("journal %s: the file is read-only for this user: make it writable, or give --state another path: %w", j.path, err)
	}
	if errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_CANTOPEN {
		return fmt.Errorf("journal %s: cannot open or create the file (does its directory exist, and may we write there?): %w", j.path, err)
	}
	return fmt.Errorf("journal %s: open: %w", j.path, err)
}

// Path returns the path the journal was opened with.
func (j *Journal) Path() string { return j.path }

// Close closes the journal. A run begun here and not ended is marked
// "abandoned" and its lock released. Close is not safe to call while other
// methods are in progress.
func (j *Journal) Close() error {
	var errs []error
	j.mu.Lock()
	if h := j.held; h != nil {
		j.held = nil
		ctx, cancel := context.WithTimeout(context.Background(), BusyTimeout)
		_, err := j.w.ExecContext(ctx, `UPDATE runs SET status = ?, ended_at = ?, error = ? WHERE id = ? AND status = ?`,
			string(RunAbandoned), formatTime(j.now()), "the journal was closed before the run ended", h.runID, string(RunRunning))
		cancel()
		if err != nil {
			errs = append(errs, fmt.Errorf("journal %s: mark run %d abandoned: %w", j.path, h.runID, err))
		}
		if err := h.release(); err != nil {
			errs = append(errs, fmt.Errorf("journal %s: %w", j.path, err))
		}
	}
	j.mu.Unlock()
	for _, s := range j.stmts {
		s.Close()
	}
	if j.r != nil {
		if err := j.r.Close(); err != nil {
			errs = append(errs, fmt.Errorf("journal %s: close: %w", j.path, err))
		}
	}
	if err := j.w.Close(); err != nil {
		errs = append(errs, fmt.Errorf("journal %s: close: %w", j.path, err))
	}
	return errors.Join(errs...)
}

// Check runs SQLite's quick_check, integrity_check and foreign_key_check and
// returns an error listing the problems unless all of them pass.
func (j *Journal) Check(ctx context.Context) error {
	for _, pragma := range []string{"quick_check", "integrity_check"} {
		rows, err := j.r.QueryContext(ctx, "PRAGMA "+pragma)
		if err != nil {
			return fmt.Errorf("journal %s: %s: %w", j.path, pragma, err)
		}
		var msgs []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				rows.Close()
				return fmt.Errorf("journal %s: %s: %w", j.path, pragma, err)
			}
			msgs = append(msgs, s)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return fmt.Errorf("journal %s: %s: %w", j.path, pragma, err)
		}
		if len(msgs) != 1 || msgs[0] != "ok" {
			return fmt.Errorf("journal %s: %s failed: %s", j.path, pragma, strings.Join(msgs, "; "))
		}
	}
	rows, err := j.r.QueryContext(ctx, "PRAGMA foreign_key_check")
	if err != nil {
		return fmt.Errorf("journal %s: foreign_key_check: %w", j.path, err)
	}
	defer rows.Close()
	var bad []string
	for rows.Next() {
		var table, parent string
		var rowid sql.NullInt64
		var fkid int64
		if err := rows.Scan(&table, &rowid, &parent, &fkid); err != nil {
			return fmt.Errorf("journal %s: foreign_key_check: %w", j.path, err)
		}
		bad = append(bad, fmt.Sprintf("%s row %d refers to a missing %s", table, rowid.Int64, parent))
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("journal %s: foreign_key_check: %w", j.path, err)
	}
	if len(bad) > 0 {
		return fmt.Errorf("journal %s: foreign_key_check failed: %s", j.path, strings.Join(bad, "; "))
	}
	return nil
}

// hotQueries are the statements of Begin and Finish, prepared at Open.
var hotQueries = []string{
	sqlCheckRun,
	sqlGetDeclaration, sqlUpsertDeclaration, sqlLogDeclaration, sqlFinishDeclaration, sqlLogDeclarationState,
	sqlUpsertCallback, sqlLogCallback, sqlFinishCallback,
	sqlLogMaterials, sqlEndAttempt,
}

// prepare prepares hotQueries on the writer connection.
func (j *Journal) prepare(ctx context.Context) error {
	j.stmts = make(map[string]*sql.Stmt, len(hotQueries))
	for _, q := range hotQueries {
		s, err := j.w.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("journal %s: prepare: %w", j.path, err)
		}
		j.stmts[q] = s
	}
	return nil
}

// wtx is a write transaction that runs the journal's prepared statements
// when it has them.
type wtx struct {
	tx    *sql.Tx
	stmts map[string]*sql.Stmt
}

func (w wtx) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if s := w.stmts[q]; s != nil {
		return w.tx.StmtContext(ctx, s).ExecContext(ctx, args...)
	}
	return w.tx.ExecContext(ctx, q, args...)
}

func (w wtx) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	if s := w.stmts[q]; s != nil {
		return w.tx.StmtContext(ctx, s).QueryRowContext(ctx, args...)
	}
	return w.tx.QueryRowContext(ctx, q, args...)
}

// write runs fn in a write transaction (BEGIN IMMEDIATE) on the writer
// connection and commits it, or rolls it back if fn fails.
func (j *Journal) write(ctx context.Context, fn func(w wtx) error) error {
	select {
	case j.writing <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-j.writing }()
	tx, err := j.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(wtx{tx: tx, stmts: j.stmts}); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// timeLayout is how times are stored: RFC 3339 in UTC+8 with milliseconds,
// fixed width so that text order is time order.
const timeLayout = "2006-01-02T15:04:05.000Z07:00"

// formatTime returns t as stored, or nil (SQL NULL) for the zero time.
func formatTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.In(cst.Zone).Format(timeLayout)
}

// parseTime reads a stored time; NULL is the zero time.
func parseTime(s sql.NullString) (time.Time, error) {
	if !s.Valid || s.String == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(timeLayout, s.String)
	if err != nil {
		return time.Time{}, fmt.Errorf("bad stored time %q: %w", s.String, err)
	}
	return t.In(cst.Zone), nil
}

// at returns t, or the journal's clock when t is zero.
func (j *Journal) at(t time.Time) time.Time {
	if t.IsZero() {
		return j.now()
	}
	return t
}

const sqlCheckRun = `SELECT status, dry_run FROM runs WHERE id = ?`

// checkRun verifies inside tx that runID is a running run that is not a dry
// run: declarations and callbacks are only begun by a live run.
func checkRun(ctx context.Context, w wtx, runID int64) error {
	var status string
	var dry bool
	err := w.queryRow(ctx, sqlCheckRun, runID).Scan(&status, &dry)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("run %d does not exist: %w", runID, ErrRunNotRunning)
	}
	if err != nil {
		return err
	}
	if status != string(RunRunning) {
		return fmt.Errorf("run %d is %s: %w", runID, status, ErrRunNotRunning)
	}
	if dry {
		return fmt.Errorf("run %d: %w", runID, ErrDryRun)
	}
	return nil
}
