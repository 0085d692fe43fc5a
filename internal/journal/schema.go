package journal

import (
	"context"
	"fmt"
	"strings"
)

// migrations[i] takes a SQLite file's schema from version i to version
// i+1. Append new migrations, here and to pgMigrations (postgres.go);
// never edit one that has shipped. The version of a file is PRAGMA
// user_version; 0 is a new, empty file.
var migrations = []string{
	// 1: runs, declarations, callbacks and the attempts log.
	`
CREATE TABLE runs (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	window_from  TEXT    NOT NULL CHECK (window_from GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
	window_to    TEXT    NOT NULL CHECK (window_to GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
	inputs       TEXT             CHECK (inputs IS NULL OR json_valid(inputs)),
	started_at   TEXT    NOT NULL,
	ended_at     TEXT,
	status       TEXT    NOT NULL CHECK (status IN ('running', 'completed', 'interrupted', 'failed', 'abandoned')),
	counts       TEXT             CHECK (counts IS NULL OR json_valid(counts)),
	report_path  TEXT    NOT NULL DEFAULT '',
	summary_path TEXT    NOT NULL DEFAULT '',
	pid          INTEGER NOT NULL,
	host         TEXT    NOT NULL DEFAULT '',
	error        TEXT    NOT NULL DEFAULT '',
	exit_code    INTEGER,
	dry_run      INTEGER NOT NULL DEFAULT 0 CHECK (dry_run IN (0, 1)),
	CHECK (window_from <= window_to),
	CHECK ((status = 'running') = (ended_at IS NULL))
);
CREATE INDEX runs_running ON runs (status) WHERE status = 'running';

CREATE TABLE declarations (
	order_id         TEXT    NOT NULL PRIMARY KEY CHECK (order_id <> ''),
	transaction_id   TEXT    NOT NULL,
	customs          TEXT    NOT NULL,
	order_fee        INTEGER NOT NULL,
	product_fee      INTEGER NOT NULL,
	transport_fee    INTEGER NOT NULL,
	state            TEXT    NOT NULL CHECK (state IN ('in_flight', 'accepted', 'rejected', 'failed')),
	platform_state   TEXT    NOT NULL DEFAULT '',
	attempts         INTEGER NOT NULL CHECK (attempts >= 1),
	error_code       TEXT    NOT NULL DEFAULT '',
	error_msg        TEXT    NOT NULL DEFAULT '',
	request_id       TEXT    NOT NULL DEFAULT '',
	first_attempt_at TEXT    NOT NULL,
	last_attempt_at  TEXT    NOT NULL,
	last_run_id      INTEGER NOT NULL REFERENCES runs (id)
);
CREATE INDEX declarations_state ON declarations (state);
CREATE INDEX declarations_last_run ON declarations (last_run_id);

CREATE TABLE callbacks (
	idempotent       TEXT    NOT NULL CHECK (idempotent <> ''),
	clearance_status INTEGER NOT NULL,
	order_id         TEXT    NOT NULL DEFAULT '',
	result_code      TEXT    NOT NULL DEFAULT '',
	port_no          TEXT    NOT NULL DEFAULT '',
	state            TEXT    NOT NULL CHECK (state IN ('in_flight', 'sent', 'rejected', 'failed')),
	msg_code         TEXT    NOT NULL DEFAULT '',
	msg_info         TEXT    NOT NULL DEFAULT '',
	attempts         INTEGER NOT NULL CHECK (attempts >= 1),
	error_code       TEXT    NOT NULL DEFAULT '',
	error_msg        TEXT    NOT NULL DEFAULT '',
	request_id       TEXT    NOT NULL DEFAULT '',
	first_attempt_at TEXT    NOT NULL,
	last_attempt_at  TEXT    NOT NULL,
	last_run_id      INTEGER NOT NULL REFERENCES runs (id),
	PRIMARY KEY (idempotent, clearance_status)
);
CREATE INDEX callbacks_state ON callbacks (state);
CREATE INDEX callbacks_last_run ON callbacks (last_run_id);

CREATE TABLE attempts (
	id               INTEGER PRIMARY KEY,
	run_id           INTEGER NOT NULL REFERENCES runs (id),
	kind             TEXT    NOT NULL CHECK (kind IN ('declaration', 'callback', 'materials')),
	key              TEXT    NOT NULL CHECK (key <> ''),
	clearance_status INTEGER NOT NULL DEFAULT 0,
	attempt          INTEGER NOT NULL CHECK (attempt >= 1),
	started_at       TEXT    NOT NULL,
	ended_at         TEXT,
	outcome          TEXT    NOT NULL DEFAULT '',
	error_code       TEXT    NOT NULL DEFAULT '',
	error_msg        TEXT    NOT NULL DEFAULT '',
	request_id       TEXT    NOT NULL DEFAULT '',
	UNIQUE (kind, key, clearance_status, attempt),
	CHECK ((ended_at IS NULL) = (outcome = ''))
);
CREATE INDEX attempts_run ON attempts (run_id);
`,
	// 2: the exceptions the runs reported, followed until resolved, and the
	// finance team's notes on them.
	`
CREATE TABLE exceptions (
	key             TEXT    NOT NULL PRIMARY KEY CHECK (key <> ''),
	code            TEXT    NOT NULL CHECK (code <> ''),
	order_id        TEXT    NOT NULL DEFAULT '',
	transaction_id  TEXT    NOT NULL DEFAULT '',
	day             TEXT    NOT NULL DEFAULT '' CHECK (day = '' OR day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
	amount          INTEGER,
	message         TEXT    NOT NULL DEFAULT '',
	first_run_id    INTEGER NOT NULL REFERENCES runs (id),
	first_seen_at   TEXT    NOT NULL,
	last_run_id     INTEGER NOT NULL REFERENCES runs (id),
	last_seen_at    TEXT    NOT NULL,
	seen_from       TEXT    NOT NULL,
	seen_to         TEXT    NOT NULL,
	resolved_run_id INTEGER          REFERENCES runs (id),
	resolved_at     TEXT,
	note_status     TEXT    NOT NULL DEFAULT '' CHECK (note_status IN ('', '待处理', '处理中', '已处理', '无需处理')),
	note_handler    TEXT    NOT NULL DEFAULT '',
	note_text       TEXT    NOT NULL DEFAULT '',
	noted_at        TEXT,
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
ALTER TABLE declarations ADD COLUMN accepted_at TEXT;
ALTER TABLE declarations ADD COLUMN settled_at  TEXT;
ALTER TABLE declarations ADD COLUMN stuck_at    TEXT;
ALTER TABLE declarations ADD COLUMN refunded_at TEXT;
ALTER TABLE declarations ADD COLUMN buyer       TEXT    NOT NULL DEFAULT '';
ALTER TABLE declarations ADD COLUMN paid_year   INTEGER NOT NULL DEFAULT 0;
ALTER TABLE declarations ADD COLUMN paid_at     TEXT;
UPDATE declarations SET accepted_at = last_attempt_at WHERE state = 'accepted';
UPDATE declarations SET settled_at = last_attempt_at WHERE state = 'accepted' AND platform_state = 'SUCCESS';
CREATE INDEX declarations_following ON declarations (accepted_at)
	WHERE accepted_at IS NOT NULL AND settled_at IS NULL AND stuck_at IS NULL;
CREATE INDEX declarations_buyer ON declarations (buyer, paid_year) WHERE buyer <> '';

CREATE TABLE declaration_states (
	id         INTEGER PRIMARY KEY,
	order_id   TEXT    NOT NULL REFERENCES declarations (order_id),
	run_id     INTEGER NOT NULL REFERENCES runs (id),
	state      TEXT    NOT NULL CHECK (state <> ''),
	learned_at TEXT    NOT NULL,
	follow_up  INTEGER NOT NULL DEFAULT 0 CHECK (follow_up IN (0, 1))
);
CREATE INDEX declaration_states_order ON declaration_states (order_id);

CREATE TABLE meta (
	key   TEXT NOT NULL PRIMARY KEY,
	value TEXT NOT NULL
);
`,
	// 4: the run that first accepted a declaration (last_run_id moves on
	// with every follow-up); for a journal that has one, the run of its
	// first accepted attempt.
	sqlAcceptedRun,
}

// sqlAcceptedRun is migration 4 on both backends.
const sqlAcceptedRun = `
ALTER TABLE declarations ADD COLUMN accepted_run_id INTEGER REFERENCES runs (id);
UPDATE declarations SET accepted_run_id = COALESCE(
	(SELECT a.run_id FROM attempts a
	WHERE a.kind = 'declaration' AND a.key = declarations.order_id AND a.outcome = 'accepted'
	ORDER BY a.attempt LIMIT 1), last_run_id)
WHERE accepted_at IS NOT NULL;
`

// SchemaVersion is the schema version this program writes: the number of
// migrations, on SQLite and on PostgreSQL alike.
const SchemaVersion = 4

// migrate brings the journal to the backend's latest version in one write
// transaction. Two processes opening a new journal at once take turns
// (SQLite: BEGIN IMMEDIATE); the second finds the schema already there.
func (j *Journal) migrate(ctx context.Context) error {
	migs := j.be.migrations()
	err := j.write(ctx, func(w wtx) error {
		v, err := j.be.version(ctx, w)
		if err != nil {
			return err
		}
		if v > len(migs) {
			return fmt.Errorf("%w: %s has schema version %d, this program knows up to %d; %s",
				ErrNewerSchema, j.be.place(), v, len(migs), j.be.newerAdvice())
		}
		if v < 0 {
			return fmt.Errorf("schema version %d is not one this program wrote", v)
		}
		if v == 0 {
			// A new journal, or another application's database: never
			// add the journal's tables to that.
			if tables, err := j.be.tables(ctx, w); err != nil {
				return err
			} else if len(tables) > 0 {
				return fmt.Errorf("%w (it holds the tables %s, and no journal): %s",
					ErrForeignDatabase, strings.Join(tables, ", "), j.be.foreignAdvice())
			}
		}
		for i := v; i < len(migs); i++ {
			if _, err := w.exec(ctx, migs[i]); err != nil {
				return fmt.Errorf("migrate to schema version %d: %w", i+1, err)
			}
		}
		if v == len(migs) {
			return nil
		}
		return j.be.setVersion(ctx, w, len(migs))
	})
	if err != nil {
		return fmt.Errorf("journal %s: %w", j.name, err)
	}
	return nil
}
