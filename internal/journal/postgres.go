package journal

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/stdlib"
)

// pgBackend is a journal in a schema of a PostgreSQL database: one schema
// per store (see [WithStore]), named on every connection's search_path,
// so that every query of the journal reads the same as on SQLite.
type pgBackend struct {
	j          *Journal
	schema     string   // the store's schema
	runKey     int64    // the run lock: a session-level advisory lock
	migrateKey int64    // taken by the migration transaction
	secrets    []string // the connection string's passwords, kept out of errors
}

// Session settings every connection of the journal starts with, unless
// the connection string sets them itself. lock_timeout is SQLite's
// busy_timeout: a statement waits that long for another session's lock,
// then fails. The tcp_ settings make the server notice within about a
// minute that the host of a session has gone (died, or lost the network)
// and end the session, which releases the run lock it holds; the
// defaults of most systems take two hours. On a Unix socket they do
// nothing.
var pgSession = map[string]string{
	"application_name":        "reconcile",
	"lock_timeout":            strconv.FormatInt(BusyTimeout.Milliseconds(), 10),
	"tcp_keepalives_idle":     "30",
	"tcp_keepalives_interval": "10",
	"tcp_keepalives_count":    "3",
	"tcp_user_timeout":        "60000",
}

// advisoryKey derives the key of one of a store's advisory locks from the
// lock's purpose and the store's schema: the first 8 bytes of the SHA-256
// of "reconcile journal <purpose> <schema>", big-endian, as a bigint. (In
// pg_locks, a bigint key shows as classid, its high 32 bits, and objid,
// its low 32 bits, with objsubid 1.) Advisory locks belong to a
// database, so the same schema in two databases has two locks.
func advisoryKey(purpose, schema string) int64 {
	h := sha256.Sum256([]byte("reconcile journal " + purpose + " " + schema))
	return int64(binary.BigEndian.Uint64(h[:8]))
}

// openPostgres opens the journal of store in the PostgreSQL database
// state names.
func openPostgres(ctx context.Context, state string, o options) (*Journal, error) {
	shown := Redact(state)
	schema := schemaOf(o.store)
	j := &Journal{path: shown, name: label(shown, o.store, schema), store: o.store, schema: schema,
		now: time.Now, writing: make(chan struct{}, 1)}
	b := &pgBackend{j: j, schema: schema, runKey: advisoryKey("run", schema), migrateKey: advisoryKey("migrate", schema),
		secrets: secrets(state)}
	j.be = b

	s := strings.TrimSpace(state)
	if m := urlLike.FindStringSubmatch(s); m != nil {
		s = strings.ToLower(m[1]) + s[len(m[1]):] // pgx reads only a lower-case scheme
	}
	cfg, err := pgx.ParseConfig(s)
	if err != nil {
		return nil, fmt.Errorf("journal %s: cannot read the connection string: %w", j.name, b.scrub(err))
	}
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	for k, v := range pgSession {
		if _, ok := cfg.RuntimeParams[k]; !ok {
			cfg.RuntimeParams[k] = v
		}
	}
	// The store's schema and nothing else: pg_catalog comes first
	// anyway, and public is left out so that no table of another
	// application there can stand in for one of the journal's.
	cfg.RuntimeParams["search_path"] = schema
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = BusyTimeout
	}
	// A context cancelled during a statement cancels the statement (a
	// cancel request to the server), not the session: pgx's default
	// closes the connection at once, which would end the run's lock with
	// it (see also Journal.writeHeld). Only a server that does not answer
	// within BusyTimeout has its connection closed.
	cfg.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: c, DeadlineDelay: BusyTimeout}
	}

	w := stdlib.OpenDB(*cfg)
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	j.w = w
	rcfg := cfg.Copy()
	rcfg.RuntimeParams["default_transaction_read_only"] = "on"
	r := stdlib.OpenDB(*rcfg)
	r.SetMaxOpenConns(readers)
	r.SetMaxIdleConns(readers)
	j.r = r
	if err := j.open(ctx, b.init); err != nil {
		return nil, b.scrub(err)
	}
	return j, nil
}

// scrub takes the connection string's passwords out of err's message.
func (b *pgBackend) scrub(err error) error {
	if err == nil {
		return nil
	}
	return scrub(err, b.secrets)
}

// init connects and checks that the server can hold the journal.
func (b *pgBackend) init(ctx context.Context) error {
	var v int
	if err := b.j.w.QueryRowContext(ctx, `SELECT current_setting('server_version_num')::integer`).Scan(&v); err != nil {
		return fmt.Errorf("journal %s: cannot connect: %w", b.j.name, b.scrub(err))
	}
	if v < 120000 {
		return fmt.Errorf("journal %s: the server runs PostgreSQL %d.%d; the journal needs 12 or later", b.j.name, v/10000, v%10000)
	}
	return nil
}

// pgMigrations[i] takes a store's schema from version i to version i+1,
// as migrations[i] does a SQLite file's: the same tables, columns and
// checks in PostgreSQL's types (bigint identities, timestamptz, date,
// boolean, json). Times are timestamptz; the journal writes them as the
// same RFC 3339 text in UTC+8 and reads them back in UTC+8. Days compared
// or sorted as text are COLLATE "C", byte order, as in SQLite. Append new
// migrations to both lists; never edit one that has shipped.
var pgMigrations = []string{
	// 1: runs, declarations, callbacks and the attempts log.
	`
CREATE TABLE runs (
	id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	window_from  date        NOT NULL,
	window_to    date        NOT NULL,
	inputs       json,
	started_at   timestamptz NOT NULL,
	ended_at     timestamptz,
	status       text        NOT NULL CHECK (status IN ('running', 'completed', 'interrupted', 'failed', 'abandoned')),
	counts       json,
	report_path  text        NOT NULL DEFAULT '',
	summary_path text        NOT NULL DEFAULT '',
	pid          integer     NOT NULL,
	host         text        NOT NULL DEFAULT '',
	error        text        NOT NULL DEFAULT '',
	exit_code    integer,
	dry_run      boolean     NOT NULL DEFAULT false,
	CHECK (window_from <= window_to),
	CHECK ((status = 'running') = (ended_at IS NULL))
);
CREATE INDEX runs_running ON runs (status) WHERE status = 'running';

CREATE TABLE declarations (
	order_id         text COLLATE "C" NOT NULL PRIMARY KEY CHECK (order_id <> ''),
	transaction_id   text        NOT NULL,
	customs          text        NOT NULL,
	order_fee        bigint      NOT NULL,
	product_fee      bigint      NOT NULL,
	transport_fee    bigint      NOT NULL,
	state            text        NOT NULL CHECK (state IN ('in_flight', 'accepted', 'rejected', 'failed')),
	platform_state   text        NOT NULL DEFAULT '',
	attempts         integer     NOT NULL CHECK (attempts >= 1),
	error_code       text        NOT NULL DEFAULT '',
	error_msg        text        NOT NULL DEFAULT '',
	request_id       text        NOT NULL DEFAULT '',
	first_attempt_at timestamptz NOT NULL,
	last_attempt_at  timestamptz NOT NULL,
	last_run_id      bigint      NOT NULL REFERENCES runs (id)
);
CREATE INDEX declarations_state ON declarations (state);
CREATE INDEX declarations_last_run ON declarations (last_run_id);

CREATE TABLE callbacks (
	idempotent       text        NOT NULL CHECK (idempotent <> ''),
	clearance_status integer     NOT NULL,
	order_id         text        NOT NULL DEFAULT '',
	result_code      text        NOT NULL DEFAULT '',
	port_no          text        NOT NULL DEFAULT '',
	state            text        NOT NULL CHECK (state IN ('in_flight', 'sent', 'rejected', 'failed')),
	msg_code         text        NOT NULL DEFAULT '',
	msg_info         text        NOT NULL DEFAULT '',
	attempts         integer     NOT NULL CHECK (attempts >= 1),
	error_code       text        NOT NULL DEFAULT '',
	error_msg        text        NOT NULL DEFAULT '',
	request_id       text        NOT NULL DEFAULT '',
	first_attempt_at timestamptz NOT NULL,
	last_attempt_at  timestamptz NOT NULL,
	last_run_id      bigint      NOT NULL REFERENCES runs (id),
	PRIMARY KEY (idempotent, clearance_status)
);
CREATE INDEX callbacks_state ON callbacks (state);
CREATE INDEX callbacks_last_run ON callbacks (last_run_id);

CREATE TABLE attempts (
	id               bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	run_id           bigint      NOT NULL REFERENCES runs (id),
	kind             text        NOT NULL CHECK (kind IN ('declaration', 'callback', 'materials')),
	key              text        NOT NULL CHECK (key <> ''),
	clearance_status integer     NOT NULL DEFAULT 0,
	attempt          integer     NOT NULL CHECK (attempt >= 1),
	started_at       timestamptz NOT NULL,
	ended_at         timestamptz,
	outcome          text        NOT NULL DEFAULT '',
	error_code       text        NOT NULL DEFAULT '',
	error_msg        text        NOT NULL DEFAULT '',
	request_id       text        NOT NULL DEFAULT '',
	UNIQUE (kind, key, clearance_status, attempt),
	CHECK ((ended_at IS NULL) = (outcome = ''))
);
CREATE INDEX attempts_run ON attempts (run_id);
`,
	// 2: the exceptions the runs reported, followed until resolved, and the
	// finance team's notes on them.
	`
CREATE TABLE exceptions (
	key             text COLLATE "C" NOT NULL PRIMARY KEY CHECK (key <> ''),
	code            text        NOT NULL CHECK (code <> ''),
	order_id        text        NOT NULL DEFAULT '',
	transaction_id  text        NOT NULL DEFAULT '',
	day             text COLLATE "C" NOT NULL DEFAULT '' CHECK (day = '' OR day ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
	amount          bigint,
	message         text        NOT NULL DEFAULT '',
	first_run_id    bigint      NOT NULL REFERENCES runs (id),
	first_seen_at   timestamptz NOT NULL,
	last_run_id     bigint      NOT NULL REFERENCES runs (id),
	last_seen_at    timestamptz NOT NULL,
	seen_from       date        NOT NULL,
	seen_to         date        NOT NULL,
	resolved_run_id bigint               REFERENCES runs (id),
	resolved_at     timestamptz,
	note_status     text        NOT NULL DEFAULT '' CHECK (note_status IN ('', '待处理', '处理中', '已处理', '无需处理')),
	note_handler    text        NOT NULL DEFAULT '',
	note_text       text        NOT NULL DEFAULT '',
	noted_at        timestamptz,
	CHECK ((resolved_run_id IS NULL) = (resolved_at IS NULL)),
	CHECK (seen_from <= seen_to)
);
CREATE INDEX exceptions_open_day ON exceptions (day) WHERE resolved_run_id IS NULL;
CREATE INDEX exceptions_resolved_run ON exceptions (resolved_run_id) WHERE resolved_run_id IS NOT NULL;
`,
	// 3: every state the platform gave a declaration, when the
	// declaration was accepted, settled or reported stuck, its buyer (a
	// keyed hash) and paid year for the annual limit, a refund seen; the
	// key the buyers are hashed with (its id, never the key).
	`
ALTER TABLE declarations ADD COLUMN accepted_at timestamptz;
ALTER TABLE declarations ADD COLUMN settled_at  timestamptz;
ALTER TABLE declarations ADD COLUMN stuck_at    timestamptz;
ALTER TABLE declarations ADD COLUMN refunded_at timestamptz;
ALTER TABLE declarations ADD COLUMN buyer       text    NOT NULL DEFAULT '';
ALTER TABLE declarations ADD COLUMN paid_year   integer NOT NULL DEFAULT 0;
ALTER TABLE declarations ADD COLUMN paid_at     timestamptz;
UPDATE declarations SET accepted_at = last_attempt_at WHERE state = 'accepted';
UPDATE declarations SET settled_at = last_attempt_at WHERE state = 'accepted' AND platform_state = 'SUCCESS';
CREATE INDEX declarations_following ON declarations (accepted_at)
	WHERE accepted_at IS NOT NULL AND settled_at IS NULL AND stuck_at IS NULL;
CREATE INDEX declarations_buyer ON declarations (buyer, paid_year) WHERE buyer <> '';

CREATE TABLE declaration_states (
	id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	order_id   text COLLATE "C" NOT NULL REFERENCES declarations (order_id),
	run_id     bigint      NOT NULL REFERENCES runs (id),
	state      text        NOT NULL CHECK (state <> ''),
	learned_at timestamptz NOT NULL,
	follow_up  boolean     NOT NULL DEFAULT false
);
CREATE INDEX declaration_states_order ON declaration_states (order_id);

CREATE TABLE meta (
	key   text NOT NULL PRIMARY KEY,
	value text NOT NULL
);
`,
	// 4: the run that first accepted a declaration (schema.go).
	strings.Replace(sqlAcceptedRun, "INTEGER", "bigint", 1),
}

func (b *pgBackend) migrations() []string { return pgMigrations }

// version takes the store's migration lock for the transaction (two
// processes opening a new store take turns, as BEGIN IMMEDIATE makes them
// on SQLite), creates the schema if it does not exist, and reads the
// version from the schema's schema_version table: 0 when there is none.
func (b *pgBackend) version(ctx context.Context, w wtx) (int, error) {
	if _, err := w.exec(ctx, `SELECT pg_advisory_xact_lock(?)`, b.migrateKey); err != nil {
		return 0, fmt.Errorf("take the migration lock: %w", err)
	}
	var schema, table bool
	err := w.queryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = ?),
	EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = ? AND tablename = 'schema_version')`, b.schema, b.schema).Scan(&schema, &table)
	if err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	if !schema {
		// The name is one ValidStore allows: no quoting needed.
		if _, err := w.exec(ctx, `CREATE SCHEMA `+b.schema); err != nil {
			return 0, fmt.Errorf("create the schema %s (the journal's user needs the CREATE privilege on the database, or a schema %s made for it): %w", b.schema, b.schema, err)
		}
		return 0, nil
	}
	if !table {
		return 0, nil
	}
	var v int
	if err := w.queryRow(ctx, `SELECT version FROM schema_version`).Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}

// setVersion keeps the version in the one row of schema_version.
func (b *pgBackend) setVersion(ctx context.Context, w wtx, v int) error {
	for _, q := range []string{
		`CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL CHECK (version >= 0))`,
		`DELETE FROM schema_version`,
	} {
		if _, err := w.exec(ctx, q); err != nil {
			return fmt.Errorf("set schema version: %w", err)
		}
	}
	if _, err := w.exec(ctx, `INSERT INTO schema_version (version) VALUES (?)`, v); err != nil {
		return fmt.Errorf("set schema version: %w", err)
	}
	return nil
}

// tables lists what the store's schema holds: tables, views, sequences
// of their own, foreign tables.
func (b *pgBackend) tables(ctx context.Context, w wtx) ([]string, error) {
	rows, err := w.query(ctx, `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
	WHERE n.nspname = ? AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND c.relname <> 'schema_version'
	ORDER BY c.relname COLLATE "C"`, b.schema)
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

func (b *pgBackend) place() string { return "the schema " + b.schema }

func (b *pgBackend) foreignAdvice() string {
	return fmt.Sprintf("the schema %s is another application's: give the journal another store, or another database", b.schema)
}

func (b *pgBackend) newerAdvice() string {
	return "upgrade reconcile, or use another store or database"
}

func (b *pgBackend) close() error { return nil }

// rebind numbers the ? placeholders of q $1, $2, ...; a ? inside a quoted
// literal or identifier stays.
func (b *pgBackend) rebind(q string) string { return rebindDollar(q) }

func rebindDollar(q string) string {
	if !strings.Contains(q, "?") {
		return q
	}
	var out strings.Builder
	out.Grow(len(q) + 16)
	n := 0
	var quote byte
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0 // a doubled quote closes and reopens: the same
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			n++
			out.WriteByte('$')
			out.WriteString(strconv.Itoa(n))
			continue
		}
		out.WriteByte(c)
	}
	return out.String()
}

// pgRunLock is the run lock of a store: a session-level advisory lock,
// held by the session of the connection c, which carries every write of
// the run. The server releases it when the session ends, however it ends:
// EndRun, Close, the process killed, its host gone (see pgSession), the
// connection lost. A write after that fails: none can commit without the
// lock.
type pgRunLock struct {
	c   *sql.Conn
	key int64
}

// lock takes the store's run lock on the writer's connection, without
// waiting.
func (b *pgBackend) lock(ctx context.Context) (runLock, bool, error) {
	c, err := b.j.w.Conn(ctx)
	if err != nil {
		return nil, false, b.scrub(err)
	}
	var ok bool
	if err := c.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, b.runKey).Scan(&ok); err != nil {
		c.Close()
		return nil, false, b.scrub(err)
	}
	if !ok {
		c.Close()
		return nil, false, nil
	}
	return &pgRunLock{c: c, key: b.runKey}, true, nil
}

func (l *pgRunLock) session() *sql.Conn { return l.c }

// release unlocks and gives the connection back to the writer's pool. A
// session that cannot be seen to unlock (gone, or not holding it) is
// closed rather than given back, so that no connection of the pool ever
// holds the lock.
func (l *pgRunLock) release(ctx context.Context) error {
	var ok bool
	err := l.c.QueryRowContext(ctx, `SELECT pg_advisory_unlock($1)`, l.key).Scan(&ok)
	if err == nil && !ok {
		err = errors.New("the session did not hold it")
	}
	if err != nil {
		l.c.Raw(func(any) error { return driver.ErrBadConn }) // closes the connection
		l.c.Close()
		if l.lost() {
			return nil // gone with its session
		}
		return err
	}
	return l.c.Close()
}

// lost reports whether the lock's connection has closed: the server ended
// the session, or the network did.
func (l *pgRunLock) lost() bool {
	lost := true
	l.c.Raw(func(dc any) error {
		if c, ok := dc.(*stdlib.Conn); ok {
			lost = c.Conn().IsClosed()
		}
		return nil
	})
	return lost
}

// check reports the constraints of the store's schema that are not
// validated, and a schema version other than this program's. PostgreSQL
// enforces foreign keys and checks itself, always: what SQLite's
// foreign_key_check looks for cannot be there.
func (b *pgBackend) check(ctx context.Context) error {
	j := b.j
	var v int
	if err := j.readRow(ctx, `SELECT version FROM schema_version`).Scan(&v); err != nil {
		return fmt.Errorf("journal %s: check: %w", j.name, err)
	}
	if n := len(b.migrations()); v != n {
		return fmt.Errorf("journal %s: check: schema version %d, this program's is %d", j.name, v, n)
	}
	var bad []string
	err := j.query(ctx, `SELECT conrelid::regclass::text || ' ' || conname FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
	WHERE n.nspname = ? AND NOT c.convalidated ORDER BY 1`, []any{b.schema}, func(s scanner) error {
		var c string
		err := s.Scan(&c)
		bad = append(bad, c)
		return err
	})
	if err != nil {
		return fmt.Errorf("journal %s: check: %w", j.name, err)
	}
	if len(bad) > 0 {
		return fmt.Errorf("journal %s: check failed: constraints not validated: %s", j.name, strings.Join(bad, "; "))
	}
	return nil
}
