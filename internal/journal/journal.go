package journal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/crossborder/reconcile/internal/cst"
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
	// database, or the store's PostgreSQL schema another application's;
	// the journal's tables are never added to it.
	ErrForeignDatabase = errors.New("another application's database")
	// ErrLockLost: a write of a run failed because the database session
	// that held the run lock is gone (PostgreSQL: the connection was
	// lost or the server ended it). The run cannot write again; another
	// may take the lock.
	ErrLockLost = errors.New("the run lock was lost with the journal's database connection")
)

// Journal is an open journal file. It is safe for concurrent use by many
// goroutines. Open it once per process and share it; two Journals on the
// same file also work (each waits for the other's writes) and exclude each
// other's runs.
type Journal struct {
	path   string  // as given to Open; a connection string redacted
	name   string  // how errors name the journal: path, store, schema
	store  string  // the store, "" for the default
	schema string  // the store's PostgreSQL schema; "" on SQLite
	be     backend // what differs between the databases
	w      *sql.DB // the one writer connection
	r      *sql.DB // read-only connections

	// stmts holds the writer's hot statements, prepared once at Open and
	// keyed by their text as written here (with ? placeholders): parsing
	// them on every call cost a third of the time of a write.
	stmts map[string]*sql.Stmt

	now func() time.Time // the clock; tests replace it

	// writing is a semaphore of one in front of the writer connection.
	// database/sql would queue writers too, but handing its one connection
	// from goroutine to goroutine costs a third more under 32 writers; the
	// channel keeps the wait cancellable.
	writing chan struct{}
	// session, guarded by writing, is the connection every write goes
	// through while a run holds a lock that lives in a database session
	// (see [runLock]); nil when any connection of w will do. sessionLock
	// is that lock.
	session     *sql.Conn
	sessionLock runLock

	mu   sync.Mutex // guards held
	held *heldLock  // the lock of the run begun here, if any
}

// backend is what differs between the databases a journal can live in:
// the schema's dialect and how its version is kept, the run lock, the
// checks. Everything else (the queries, written once with ? placeholders,
// the transactions, the guarantees) is the Journal's.
type backend interface {
	// migrations returns the migrations of this backend's dialect;
	// migrations()[i] takes the schema from version i to i+1.
	migrations() []string
	// version reads the schema version inside the migration transaction,
	// 0 for a new journal.
	version(ctx context.Context, w wtx) (int, error)
	// setVersion records the schema version inside the migration
	// transaction.
	setVersion(ctx context.Context, w wtx, v int) error
	// tables lists the tables the journal's place already holds, sorted,
	// to tell a new journal from another application's database.
	tables(ctx context.Context, w wtx) ([]string, error)
	// place names where the journal is kept, for messages: "the file".
	place() string
	// foreignAdvice and newerAdvice say what to do about another
	// application's database and about a newer schema.
	foreignAdvice() string
	newerAdvice() string
	// lock takes the run lock without waiting; ok is false when another
	// holds it. It is called with the writer semaphore held.
	lock(ctx context.Context) (l runLock, ok bool, err error)
	// check checks the database's integrity (see [Journal.Check]).
	check(ctx context.Context) error
	// rebind turns a query written with ? placeholders into the
	// backend's own.
	rebind(q string) string
	// close releases what the backend holds beside the connections.
	close() error
}

// runLock is a run lock held by this Journal.
type runLock interface {
	// session is the database session the lock lives in, through which
	// every write goes while it is held, or nil.
	session() *sql.Conn
	// release drops the lock.
	release(ctx context.Context) error
	// lost reports whether the lock was lost with its session.
	lost() bool
}

// Option is an option of [Open].
type Option func(*options)

type options struct {
	store string
}

// WithStore opens the journal of store name: "" (the default) is the
// default store. On PostgreSQL a database may hold the journals of many
// stores, each in a schema of its own, reconcile for the default store
// and reconcile_<name> for the others, each with its own run lock; see
// [ValidStore] for the names allowed. On SQLite each store has a file of
// its own, which the command chooses: the store changes nothing in the
// file but is named in errors.
func WithStore(name string) Option {
	return func(o *options) { o.store = name }
}

// Open opens the journal at state, creating it if it does not exist, and
// migrates its schema to the version this program knows, in one
// transaction. It does not take the run lock (see [Journal.BeginRun]).
//
// state is either a PostgreSQL connection string, a postgres:// or
// postgresql:// URL or a libpq key=value string (host=/run/postgresql
// dbname=reconcile user=reconcile, the first key one of libpq's
// parameters), or else the path of a SQLite file. Any other value that
// looks like a URL (a scheme of two or more characters and a colon:
// mysql://..., sqlite:..., file:...) is refused, saying what is accepted;
// ./ before a file's name that has a colon keeps it a file.
//
// On SQLite, Open fails, naming path, when the file is not a SQLite
// database (the error wraps [ErrNotDatabase]), when it is another
// application's database ([ErrForeignDatabase], naming the tables found),
// when its schema version is newer than this program's
// ([ErrNewerSchema]), when its directory is not writable (SQLite keeps
// the -wal and -shm files beside it), or when WAL mode cannot be enabled
// (for instance on a file system without shared memory).
//
// On PostgreSQL (12 or later), Open fails when it cannot connect, when
// the store's schema holds another application's tables and no journal
// ([ErrForeignDatabase]), when its schema version is newer
// ([ErrNewerSchema]), and when the schema does not exist and the user may
// not create it. No error and no [Journal.Path] ever shows the password
// of the connection string (see [Redact]).
func Open(ctx context.Context, state string, opts ...Option) (*Journal, error) {
	var o options
	for _, f := range opts {
		f(&o)
	}
	if state == "" {
		return nil, errors.New("journal: empty path")
	}
	if err := ValidStore(o.store); err != nil {
		return nil, fmt.Errorf("journal %s: %w", Redact(state), err)
	}
	kind, err := classify(state)
	if err != nil {
		return nil, err
	}
	if kind == statePostgres {
		return openPostgres(ctx, state, o)
	}
	return openSQLite(ctx, state, o)
}

// open finishes opening j on its writer w and readers r: it checks the
// connection, migrates the schema and prepares the hot statements. On
// failure it closes w and r.
func (j *Journal) open(ctx context.Context, init func(ctx context.Context) error) error {
	err := init(ctx)
	if err == nil {
		err = j.migrate(ctx)
	}
	if err == nil {
		err = j.prepare(ctx)
	}
	if err == nil && j.r != nil {
		if perr := j.r.PingContext(ctx); perr != nil {
			err = fmt.Errorf("journal %s: readers: %w", j.name, perr)
		}
	}
	if err != nil {
		for _, s := range j.stmts {
			s.Close()
		}
		if j.r != nil {
			j.r.Close()
		}
		j.w.Close()
		j.be.close()
	}
	return err
}

// Path returns the path the journal was opened with; a PostgreSQL
// connection string with its password masked (see [Redact]).
func (j *Journal) Path() string { return j.path }

// Store returns the journal's store, "" for the default store.
func (j *Journal) Store() string { return j.store }

// Close closes the journal. A run begun here and not ended is marked
// "abandoned" and its lock released. Close is not safe to call while other
// methods are in progress.
func (j *Journal) Close() error {
	var errs []error
	j.mu.Lock()
	if h := j.held; h != nil {
		ctx, cancel := context.WithTimeout(context.Background(), BusyTimeout)
		err := j.endHeld(ctx, func(w wtx) error {
			_, err := w.exec(ctx, `UPDATE runs SET status = ?, ended_at = ?, error = ? WHERE id = ? AND status = ?`,
				string(RunAbandoned), formatTime(j.now()), "the journal was closed before the run ended", h.runID, string(RunRunning))
			return err
		})
		cancel()
		if err != nil {
			errs = append(errs, fmt.Errorf("journal %s: mark run %d abandoned: %w", j.name, h.runID, err))
		}
		// Whatever happened, the lock goes: a closed journal holds none.
		if j.held != nil {
			j.held = nil
			j.acquire(context.Background())
			err := j.releaseLock(context.Background(), h.lock)
			j.release()
			if err != nil {
				errs = append(errs, fmt.Errorf("journal %s: %w", j.name, err))
			}
		}
	}
	j.mu.Unlock()
	for _, s := range j.stmts {
		s.Close()
	}
	if j.r != nil {
		if err := j.r.Close(); err != nil {
			errs = append(errs, fmt.Errorf("journal %s: close: %w", j.name, err))
		}
	}
	if err := j.w.Close(); err != nil {
		errs = append(errs, fmt.Errorf("journal %s: close: %w", j.name, err))
	}
	if err := j.be.close(); err != nil {
		errs = append(errs, fmt.Errorf("journal %s: close: %w", j.name, err))
	}
	return errors.Join(errs...)
}

// Check checks the database's integrity and returns an error listing the
// problems found. On SQLite it runs quick_check, integrity_check and
// foreign_key_check.
func (j *Journal) Check(ctx context.Context) error {
	return j.be.check(ctx)
}

// hotQueries are the statements of Begin and Finish, prepared at Open.
var hotQueries = []string{
	sqlCheckRun,
	sqlGetDeclaration, sqlUpsertDeclaration, sqlLogDeclaration, sqlFinishDeclaration, sqlLogDeclarationState,
	sqlUpsertCallback, sqlLogCallback, sqlFinishCallback,
	sqlLogMaterials, sqlEndAttempt,
}

// prepare prepares hotQueries on the writer connection, each rebound
// once to the backend's placeholders.
func (j *Journal) prepare(ctx context.Context) error {
	j.stmts = make(map[string]*sql.Stmt, len(hotQueries))
	for _, q := range hotQueries {
		s, err := j.w.PrepareContext(ctx, j.be.rebind(q))
		if err != nil {
			return fmt.Errorf("journal %s: prepare: %w", j.name, err)
		}
		j.stmts[q] = s
	}
	return nil
}

// wtx is a write transaction that runs the journal's prepared statements
// when it has them, and rebinds the other queries.
type wtx struct {
	tx     *sql.Tx
	stmts  map[string]*sql.Stmt
	rebind func(string) string
}

func (w wtx) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if s := w.stmts[q]; s != nil {
		return w.tx.StmtContext(ctx, s).ExecContext(ctx, args...)
	}
	if len(args) > 0 {
		q = w.rebind(q)
	}
	return w.tx.ExecContext(ctx, q, args...)
}

func (w wtx) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	if s := w.stmts[q]; s != nil {
		return w.tx.StmtContext(ctx, s).QueryRowContext(ctx, args...)
	}
	if len(args) > 0 {
		q = w.rebind(q)
	}
	return w.tx.QueryRowContext(ctx, q, args...)
}

func (w wtx) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if len(args) > 0 {
		q = w.rebind(q)
	}
	return w.tx.QueryContext(ctx, q, args...)
}

// acquire takes the writer semaphore.
func (j *Journal) acquire(ctx context.Context) error {
	select {
	case j.writing <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// release gives the writer semaphore back.
func (j *Journal) release() { <-j.writing }

// write runs fn in a write transaction on the writer connection and
// commits it, or rolls it back if fn fails.
func (j *Journal) write(ctx context.Context, fn func(w wtx) error) error {
	if err := j.acquire(ctx); err != nil {
		return err
	}
	defer j.release()
	err := j.writeHeld(ctx, fn)
	if err != nil && j.sessionLock != nil && j.sessionLock.lost() {
		return fmt.Errorf("%w: %w", ErrLockLost, err)
	}
	return err
}

// writeHeld is write with the writer semaphore already held. While a run
// holds a lock that lives in a session, the transaction goes through that
// session and no other: a write can then only commit while the lock is
// held.
//
// Such a transaction is begun with a context that is never cancelled:
// database/sql closes the connection of a transaction whose own context
// is cancelled, which would end the session and the run's lock with it.
// The statements keep the caller's context, and a cancelled one cancels
// the statement on the server (see pgSession), not the session.
func (j *Journal) writeHeld(ctx context.Context, fn func(w wtx) error) error {
	var tx *sql.Tx
	var err error
	if j.session != nil {
		if err := ctx.Err(); err != nil {
			return err
		}
		tx, err = j.session.BeginTx(context.WithoutCancel(ctx), nil)
	} else {
		tx, err = j.w.BeginTx(ctx, nil)
	}
	if err != nil {
		return err
	}
	if err := fn(wtx{tx: tx, stmts: j.stmts, rebind: j.be.rebind}); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// readRow runs a query of one row on a read connection.
func (j *Journal) readRow(ctx context.Context, q string, args ...any) *sql.Row {
	return j.r.QueryRowContext(ctx, j.be.rebind(q), args...)
}

// query runs q on a read connection and calls each for every row.
func (j *Journal) query(ctx context.Context, q string, args []any, each func(scanner) error) error {
	if len(args) > 0 {
		q = j.be.rebind(q)
	}
	rows, err := j.r.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := each(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// timeLayout is how times are written: RFC 3339 in UTC+8 with
// milliseconds, fixed width so that text order is time order.
const timeLayout = "2006-01-02T15:04:05.000Z07:00"

// formatTime returns t as written, or nil (SQL NULL) for the zero time.
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

// dbTime scans a stored time into T, in UTC+8: the text SQLite keeps
// (see timeLayout), or a time the driver has already read. NULL is the
// zero time.
type dbTime struct{ T *time.Time }

func (d dbTime) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*d.T = time.Time{}
	case time.Time:
		*d.T = v.In(cst.Zone)
	case string:
		t, err := parseTime(sql.NullString{String: v, Valid: true})
		if err != nil {
			return err
		}
		*d.T = t
	case []byte:
		return d.Scan(string(v))
	default:
		return fmt.Errorf("bad stored time %v (%T)", src, src)
	}
	return nil
}

// dbDate scans a stored day into D as YYYY-MM-DD: the text SQLite keeps,
// or a date the driver has already read.
type dbDate struct{ D *string }

func (d dbDate) Scan(src any) error {
	switch v := src.(type) {
	case string:
		*d.D = v
	case []byte:
		*d.D = string(v)
	case time.Time:
		*d.D = v.Format(time.DateOnly)
	default:
		return fmt.Errorf("bad stored day %v (%T)", src, src)
	}
	return nil
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
