// Package journal is the state store of a reconcile run: it remembers
// every run, every declaration and callback outcome, and every attempt, so
// that a rerun, a crash or a second process does no harm. It lives in a
// SQLite file (the embedded default, one store per file) or in a
// PostgreSQL database (one schema per store, many stores per database,
// runs from several hosts); [Open] tells them apart by the --state value.
// Both keep the same tables, give the same answers and the same
// guarantees: one suite of tests runs on both.
//
// # Guarantees
//
// An attempt is written before the call and its outcome after it:
// [Journal.BeginDeclaration] commits the declaration row in state
// [DeclarationInFlight] together with a row of the attempts log, and
// [Journal.FinishDeclaration] commits the outcome to both in one transaction.
// After a crash the rerun finds the calls whose outcome is unknown in state
// in_flight; both platform APIs are idempotent for identical parameters, so
// repeating them is harmless. Callbacks follow the same pattern
// ([Journal.BeginCallback], [Journal.FinishCallback]) keyed by
// [CallbackKey], and the materials check logs its attempts with
// [Journal.BeginMaterials] and [Journal.FinishMaterials].
//
// One run at a time per store: [Journal.BeginRun] takes the store's run
// lock without waiting and holds it until [Journal.EndRun] or
// [Journal.Close]. A second run, in this process or another, on this host
// or another, gets a [*LockedError] naming the run that holds it (run id,
// pid, host, start, from its row in the runs table). A lock whose holder
// died is released with it (see each backend below); the next BeginRun
// then marks the run that was left "running" as "abandoned".
//
// The schema version is kept with the journal and migrated on open, in one
// transaction; a journal written by a newer reconcile is refused rather
// than guessed at, and so is another application's database
// ([ErrForeignDatabase]): the journal's tables are never added to it.
//
// Writes of one Journal go through one connection (the Go side queues
// callers); reads use a small pool of read-only connections.
//
// # SQLite
//
// The run lock is an exclusive, non-blocking flock(2) on the journal file
// itself; a symlink or a relative path to the file takes the same lock (a
// file with hard links is refused by Open: SQLite cannot use one through
// two names). The kernel releases the lock of a killed process. The
// journal must live on a local file system: flock and SQLite's WAL mode
// are not reliable over NFS or SMB. Do not open and close the journal file
// itself in a process that has it open: closing any descriptor of the file
// drops the process's POSIX locks, SQLite's among them (copy it with the
// sqlite3 .backup command, or after Close); the lock's own descriptor is
// therefore never closed.
//
// The file is opened through modernc.org/sqlite (no cgo) in WAL mode with
// busy_timeout 10 s, foreign_keys on and synchronous=NORMAL. In WAL mode
// NORMAL never corrupts the database and loses nothing when the process is
// killed (committed pages sit in the WAL, which the operating system
// writes); only a power loss or kernel crash may roll back the last
// transactions. Such a rollback can at worst forget an outcome, which makes
// the next run repeat a call; both APIs are idempotent for identical
// parameters, so a repeated call is harmless, and the fsync per commit that
// FULL would cost buys nothing here.
//
// The schema version is PRAGMA user_version. Every write transaction starts
// with BEGIN IMMEDIATE so that a writer in another process waits for
// busy_timeout instead of failing on a lock upgrade; the readers are
// query_only and run beside the writer, as WAL lets them.
//
// A store ([WithStore]) changes nothing in a SQLite file: each store has a
// file of its own, which the command chooses; errors name the store.
//
// # PostgreSQL
//
// A postgres:// or postgresql:// URL, or a libpq key=value string
// (host=/run/postgresql dbname=reconcile user=reconcile), opens the
// journal in PostgreSQL 12 or later through pgx (github.com/jackc/pgx/v5,
// its database/sql driver). Its password is never shown: [Journal.Path],
// every error and [LockedError] show the connection string through
// [Redact].
//
// Stores: a database may hold the journals of many stores, each in a
// schema of its own, "reconcile" for the default store and
// "reconcile_<name>" for the store name (lower-case letters, digits and
// underscores, see [ValidStore]). Every connection of a Journal has the
// store's schema, and only it, as its search_path, so every query reads
// the same as on SQLite; the schema is created on first open when it does
// not exist (the user needs the CREATE privilege on the database, or a
// DBA creates the schema for it). The schema version is the one row of
// the schema's schema_version table. Migrations (pgMigrations: the same
// tables, columns and checks in PostgreSQL's types) run in one
// transaction that first takes a transaction-level advisory lock of the
// store, so that processes opening a new store at once take turns.
// Write transactions are READ COMMITTED; they do not interleave on a
// store because they come from the one run holding its lock, through one
// session. Statements wait at most lock_timeout = 10 s for another
// session's lock, as busy_timeout does on SQLite.
//
// The run lock is pg_try_advisory_lock (session level) on a key derived
// from the store's schema (see advisoryKey in postgres.go), taken on the
// Journal's writer connection, which BeginRun takes out of the pool and
// keeps until EndRun or Close: while a run holds the lock, every write of
// the Journal goes through that one session. The server releases the lock
// when the session ends, however it ends: a process killed with SIGKILL
// (the server sees the connection close at once), a host that dies or
// loses the network (each session asks the server for TCP keepalives
// after 30 s idle and tcp_user_timeout 60 s, so the server ends it within
// about a minute, not the two hours of most systems' defaults), an
// administrator's pg_terminate_backend, a server restart. A context
// cancelled during a write cancels the statement on the server, not the
// session: the lock stays.
//
// A lost connection mid-run therefore loses the lock, and since the
// writes go through the session that held it, none of them can commit
// afterwards: every Begin and Finish fails, wrapping [ErrLockLost], and
// the command stops dispatching (a journal failure is fatal to a run)
// with at most the calls in flight begun and not finished. No write ever
// commits without the lock, so another run, on any host, that takes the
// lock meanwhile never races this one: it marks this run abandoned and
// repeats, as after a crash, only the attempts left in_flight. EndRun and
// Close, which cannot write through the lost session, record the run's
// end through a new connection, unless a run that took the lock since has
// already marked it abandoned. The Journal does not take the lock again
// by itself: a rerun does, and completes the night.
//
// # Schema (version 1)
//
// As SQLite keeps it; versions 2 to 4 (exceptions, the states learned,
// follow-ups, buyers' totals, meta, the run that accepted a declaration)
// are in schema.go. Times are RFC 3339
// text in UTC+8 with milliseconds ("2026-11-21T02:00:03.123+08:00"):
// fixed width, so they sort as text, and readable in the sqlite3 shell.
// Money is INTEGER fen. No secret is ever stored: the journal has no
// column for one.
//
// PostgreSQL keeps the same tables and columns in its own types
// (pgMigrations in postgres.go): ids are bigint identities (GENERATED
// ALWAYS, never reused), times timestamptz (the journal writes and reads
// them in UTC+8), the windows' days date, the JSON columns json (the text
// kept as written), 0|1 flags boolean, money bigint; the keys that are
// sorted or compared as text are COLLATE "C", byte order, as in SQLite.
//
//	runs          one row per run
//	  id            INTEGER PRIMARY KEY AUTOINCREMENT (ids are never reused)
//	  window_from   TEXT YYYY-MM-DD, window_to TEXT YYYY-MM-DD (inclusive)
//	  inputs        TEXT JSON or NULL: the files read and the settings
//	  started_at    TEXT, ended_at TEXT (NULL while running)
//	  status        running | completed | interrupted | failed | abandoned
//	  counts        TEXT JSON or NULL: the summary counts
//	  report_path, summary_path  TEXT
//	  pid INTEGER, host TEXT     the process that ran it
//	  error         TEXT: why it failed, was interrupted or abandoned
//	  exit_code     INTEGER (NULL while running)
//	  dry_run       INTEGER 0|1: a dry run records itself but no declaration
//	                or callback state
//
//	declarations  one row per order id: the latest attempt and its outcome
//	  order_id PRIMARY KEY, transaction_id, customs,
//	  order_fee, product_fee, transport_fee  INTEGER fen
//	  state         in_flight | accepted | rejected | failed
//	  platform_state  the platform's state (UNDECLARED, SUBMITTED, ... FAIL)
//	  attempts      INTEGER >= 1, the number of the latest attempt
//	  error_code, error_msg, request_id  of the latest finished attempt
//	  first_attempt_at, last_attempt_at  TEXT
//	  last_run_id   REFERENCES runs(id)
//
//	callbacks     one row per (idempotent, clearance_status)
//	  idempotent, clearance_status  PRIMARY KEY
//	  order_id, result_code, port_no
//	  state         in_flight | sent | rejected | failed
//	  msg_code, msg_info  the platform's outcome
//	  attempts, error_code, error_msg, request_id,
//	  first_attempt_at, last_attempt_at, last_run_id  as for declarations
//
//	attempts      the attempts log, one row per call
//	  id INTEGER PRIMARY KEY, run_id REFERENCES runs(id)
//	  kind          declaration | callback | materials
//	  key           order id (declaration, materials) or idempotent (callback)
//	  clearance_status  INTEGER, the callback's status; 0 for other kinds
//	  attempt       INTEGER >= 1; UNIQUE (kind, key, clearance_status, attempt)
//	  started_at    TEXT, written before the call
//	  ended_at      TEXT, NULL until the outcome is known
//	  outcome       the final state ('' while in flight)
//	  error_code, error_msg, request_id
package journal
