// Package journal is the state store of a reconcile run: one SQLite file that
// remembers every run, every declaration and callback outcome, and every
// attempt, so that a rerun, a crash or a second process does no harm.
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
// One run at a time: [Journal.BeginRun] takes an exclusive, non-blocking
// flock(2) on the journal file itself and holds it until [Journal.EndRun]
// or [Journal.Close]; a symlink or a relative path to the file takes the
// same lock (a file with hard links is refused by Open: SQLite cannot use
// one through two names). A second run, in this process or another, gets a
// [*LockedError] naming the run that holds the journal. The kernel releases
// the lock of a killed process; the next BeginRun then marks the run that
// was left "running" as "abandoned". The journal must live on a local file
// system: flock and SQLite's WAL mode are not reliable over NFS or SMB. Do
// not open and close the journal file itself in a process that has it
// open: closing any descriptor of the file drops the process's POSIX locks,
// SQLite's among them (copy it with the sqlite3 .backup command, or after
// Close); the lock's own descriptor is therefore never closed.
//
// # Storage
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
// The schema version is kept in PRAGMA user_version and migrated on open, in
// one transaction. A file written by a newer reconcile is refused rather than
// guessed at.
//
// Writes go through one connection (the Go side queues callers, so nobody
// sees SQLITE_BUSY from a sibling goroutine); every write transaction starts
// with BEGIN IMMEDIATE so that a writer in another process waits for
// busy_timeout instead of failing on a lock upgrade. Reads use a small pool
// of read-only connections, which WAL lets run beside the writer.
//
// # Schema (version 1)
//
// Times are RFC 3339 text in UTC+8 with milliseconds
// ("2026-11-21T02:00:03.123+08:00"): fixed width, so they sort as text, and
// readable in the sqlite3 shell. Money is INTEGER fen. No secret is ever
// stored: the journal has no column for one.
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
