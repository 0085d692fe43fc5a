package journal

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// An Exception is the journal's memory of one exception, known by a stable
// key (code + order id + transaction id, or the callback's key): when it
// was first and last reported, whether a later run found it resolved, and
// the notes the finance team wrote beside it. Times are in UTC+8.
//
// It holds what the workbook's 已解决 sheet shows of it: its code, ids,
// the day it is about, the amount at stake and the exception's message.
// Messages never hold a full ID number, a buyer's name or a credential.
type Exception struct {
	Key           string
	Code          string
	OrderID       string
	TransactionID string
	// Day is the UTC+8 date (YYYY-MM-DD) of what the exception is about
	// (the order's payment, the payment, the clearance row); "" when not
	// known.
	Day       string
	Amount    int64 // fen at stake; meaningful when HasAmount
	HasAmount bool
	Message   string

	FirstRunID  int64
	FirstSeenAt time.Time
	LastRunID   int64
	LastSeenAt  time.Time
	// SeenFrom and SeenTo are the window of the run that last reported
	// it.
	SeenFrom, SeenTo string
	// ResolvedRunID is the run that found it resolved, 0 while it is open;
	// ResolvedAt when.
	ResolvedRunID int64
	ResolvedAt    time.Time

	Note Note
}

// Open reports whether no run has found e resolved since it was last
// reported.
func (e Exception) Open() bool { return e.ResolvedRunID == 0 }

// A Note is what the finance team wrote beside an exception in a workbook:
// 处理状态 (待处理, 处理中, 已处理, 无需处理 or "": the schema refuses
// anything else), 处理人 and 备注, and when the workbook it was read from
// was last modified. The journal keeps them as text; nothing in them is
// ever executed.
type Note struct {
	Status, Handler, Text string
	At                    time.Time
}

// MaxNoteRunes is the most characters the journal keeps of a 处理人 or
// 备注; ValidNote refuses longer ones.
const MaxNoteRunes = 2000

const exceptionColumns = `key, code, order_id, transaction_id, day, amount, message,
	first_run_id, first_seen_at, last_run_id, last_seen_at, seen_from, seen_to,
	resolved_run_id, resolved_at, note_status, note_handler, note_text, noted_at`

func scanException(s scanner) (Exception, error) {
	var e Exception
	var amount, resolvedRun sql.NullInt64
	err := s.Scan(&e.Key, &e.Code, &e.OrderID, &e.TransactionID, &e.Day, &amount, &e.Message,
		&e.FirstRunID, dbTime{&e.FirstSeenAt}, &e.LastRunID, dbTime{&e.LastSeenAt}, dbDate{&e.SeenFrom}, dbDate{&e.SeenTo},
		&resolvedRun, dbTime{&e.ResolvedAt}, &e.Note.Status, &e.Note.Handler, &e.Note.Text, dbTime{&e.Note.At})
	if err != nil {
		return Exception{}, err
	}
	e.Amount, e.HasAmount = amount.Int64, amount.Valid
	e.ResolvedRunID = resolvedRun.Int64
	return e, nil
}

// Exceptions returns the journal's exceptions with the given keys, open or
// resolved, keyed by key. Keys it has never seen are absent; any number of
// keys may be asked for.
func (j *Journal) Exceptions(ctx context.Context, keys []string) (map[string]Exception, error) {
	out := make(map[string]Exception, len(keys))
	for start := 0; start < len(keys); start += chunk {
		ks := keys[start:min(start+chunk, len(keys))]
		args := make([]any, len(ks))
		for i, k := range ks {
			args[i] = k
		}
		q := `SELECT ` + exceptionColumns + ` FROM exceptions WHERE key IN (?` + strings.Repeat(", ?", len(ks)-1) + `)`
		if err := j.query(ctx, q, args, func(s scanner) error {
			e, err := scanException(s)
			if err == nil {
				out[e.Key] = e
			}
			return err
		}); err != nil {
			return nil, fmt.Errorf("journal %s: exceptions: %w", j.name, err)
		}
	}
	return out, nil
}

// OpenExceptions returns the open exceptions that a run of the window
// from..to (YYYY-MM-DD, inclusive) looks at again: those about a day of
// the window, and those without a day last reported by a run whose window
// lies within it. Any of them the run does not report again is resolved
// (see [Journal.RecordExceptions]). They come sorted by key.
func (j *Journal) OpenExceptions(ctx context.Context, from, to string) ([]Exception, error) {
	q := `SELECT ` + exceptionColumns + ` FROM exceptions WHERE resolved_run_id IS NULL
	AND ((day <> '' AND day BETWEEN ? AND ?) OR (day = '' AND seen_from >= ? AND seen_to <= ?)) ORDER BY key`
	var out []Exception
	if err := j.query(ctx, q, []any{from, to, from, to}, func(s scanner) error {
		e, err := scanException(s)
		if err == nil {
			out = append(out, e)
		}
		return err
	}); err != nil {
		return nil, fmt.Errorf("journal %s: open exceptions: %w", j.name, err)
	}
	return out, nil
}

// ResolvedExceptions returns the exceptions run runID found resolved,
// sorted by key.
func (j *Journal) ResolvedExceptions(ctx context.Context, runID int64) ([]Exception, error) {
	q := `SELECT ` + exceptionColumns + ` FROM exceptions WHERE resolved_run_id = ? ORDER BY key`
	var out []Exception
	if err := j.query(ctx, q, []any{runID}, func(s scanner) error {
		e, err := scanException(s)
		if err == nil {
			out = append(out, e)
		}
		return err
	}); err != nil {
		return nil, fmt.Errorf("journal %s: resolved exceptions: %w", j.name, err)
	}
	return out, nil
}

const sqlSeeException = `
INSERT INTO exceptions (key, code, order_id, transaction_id, day, amount, message,
	first_run_id, first_seen_at, last_run_id, last_seen_at, seen_from, seen_to)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (key) DO UPDATE SET
	code = excluded.code, order_id = excluded.order_id, transaction_id = excluded.transaction_id,
	day = excluded.day, amount = excluded.amount, message = excluded.message,
	first_run_id = CASE WHEN exceptions.resolved_run_id IS NULL THEN exceptions.first_run_id ELSE excluded.first_run_id END,
	first_seen_at = CASE WHEN exceptions.resolved_run_id IS NULL THEN exceptions.first_seen_at ELSE excluded.first_seen_at END,
	last_run_id = excluded.last_run_id, last_seen_at = excluded.last_seen_at,
	seen_from = excluded.seen_from, seen_to = excluded.seen_to,
	resolved_run_id = NULL, resolved_at = NULL`

const sqlResolveException = `
UPDATE exceptions SET resolved_run_id = ?, resolved_at = ?
WHERE key = ? AND resolved_run_id IS NULL AND last_run_id <> ?`

// RecordExceptions records, in one transaction, what run runID (a running,
// non-dry run of the window from..to) found at time at (zero means now;
// the run's start, so that an exception is first seen on the night of
// the run that reported it): every exception in seen is
// reported now (first seen now unless it was open already: an exception
// that returns after being resolved is new again; last seen now, resolved
// no more); every open exception whose key is in resolved is resolved by
// this run, unless seen holds it too. It returns the number resolved.
// Notes are kept through all of it.
func (j *Journal) RecordExceptions(ctx context.Context, runID int64, from, to string, at time.Time, seen []Exception, resolved []string) (int, error) {
	now := formatTime(j.at(at))
	n := 0
	err := j.write(ctx, func(w wtx) error {
		n = 0
		if err := checkRun(ctx, w, runID); err != nil {
			return err
		}
		for _, e := range seen {
			if e.Key == "" || e.Code == "" {
				return fmt.Errorf("exception without a key or code: %+v", e)
			}
			var amount any
			if e.HasAmount {
				amount = e.Amount
			}
			if _, err := w.exec(ctx, sqlSeeException, e.Key, e.Code, e.OrderID, e.TransactionID, e.Day, amount, e.Message,
				runID, now, runID, now, from, to); err != nil {
				return fmt.Errorf("record exception %s: %w", e.Key, err)
			}
		}
		for _, k := range resolved {
			res, err := w.exec(ctx, sqlResolveException, runID, now, k, runID)
			if err != nil {
				return fmt.Errorf("resolve exception %s: %w", k, err)
			}
			c, err := res.RowsAffected()
			if err != nil {
				return err
			}
			n += int(c)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("journal %s: record exceptions of run %d: %w", j.name, runID, err)
	}
	return n, nil
}

const sqlSetNote = `
UPDATE exceptions SET note_status = ?, note_handler = ?, note_text = ?, noted_at = ?
WHERE key = ? AND (noted_at IS NULL OR noted_at < ?)
	AND (note_status <> ? OR note_handler <> ? OR note_text <> ?)`

// ValidNote reports why n cannot be kept, or nil: a 处理人 or 备注 longer
// than MaxNoteRunes characters, or no time.
func ValidNote(n Note) error {
	switch {
	case len([]rune(n.Handler)) > MaxNoteRunes:
		return fmt.Errorf("处理人 is longer than %d characters", MaxNoteRunes)
	case len([]rune(n.Text)) > MaxNoteRunes:
		return fmt.Errorf("备注 is longer than %d characters", MaxNoteRunes)
	case n.At.IsZero():
		return fmt.Errorf("a note without a time")
	}
	return nil
}

// SetNotes keeps the notes read from a workbook, keyed by exception key:
// a note replaces the stored one when it is newer (its At after the stored
// note's) and says something else; an empty note then clears the stored
// one, since the finance team emptied the cells. Keys the journal does not
// know are ignored. It refuses, writing nothing, a note ValidNote refuses
// or the schema does (an unknown 处理状态). It returns the number of notes
// changed.
//
// Any run, dry or not, may keep notes: they are the finance team's, not
// the run's.
func (j *Journal) SetNotes(ctx context.Context, notes map[string]Note) (int, error) {
	for k, n := range notes {
		if err := ValidNote(n); err != nil {
			return 0, fmt.Errorf("journal %s: note of exception %s: %w", j.name, k, err)
		}
	}
	// In key order: two writers of overlapping notes take the rows' locks
	// in the same order (PostgreSQL would otherwise end one of them as a
	// deadlock).
	keys := slices.Sorted(maps.Keys(notes))
	n := 0
	err := j.write(ctx, func(w wtx) error {
		n = 0
		for _, k := range keys {
			note := notes[k]
			at := formatTime(note.At)
			res, err := w.exec(ctx, sqlSetNote, note.Status, note.Handler, note.Text, at, k, at, note.Status, note.Handler, note.Text)
			if err != nil {
				return fmt.Errorf("note of exception %s: %w", k, err)
			}
			c, err := res.RowsAffected()
			if err != nil {
				return err
			}
			n += int(c)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("journal %s: set notes: %w", j.name, err)
	}
	return n, nil
}
