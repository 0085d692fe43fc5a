package batch

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/crossborder/reconcile/internal/cst"
	"github.com/crossborder/reconcile/internal/journal"
	"github.com/crossborder/reconcile/internal/reconcile"
)

// track compares the run's exceptions with the journal's memory of them
// (docs/design.md#exceptions-across-runs) and records what it found: each
// exception is new (first seen now, or again after it was resolved) or
// open (seen before, still there), with when it was first seen, how many
// days it has been open and the finance team's notes; the open exceptions
// of earlier runs that this run looked at again and did not find are
// resolved.
//
// Only a run that completed resolves anything, and only of the codes it
// checked: MATERIALS_INVALID only under --check-materials, the declaration
// codes only when it declared (not when a BILL_MISMATCH held the
// declarations back). A run that failed or was interrupted may simply not
// have got to an exception.
func (r *runner) track(ctx context.Context, res *reconcile.Result) error {
	if r.runID == 0 {
		// A dry run knows no history; it still carries the team's notes
		// from the workbooks it read, the newest last.
		for _, h := range r.handlings {
			for i := range res.Exceptions {
				if hd, ok := h.ByKey[res.Exceptions[i].Key()]; ok {
					res.Exceptions[i].Tracking.Handling = hd
				}
			}
		}
		return nil
	}
	keys := make([]string, 0, len(res.Exceptions))
	seen := make(map[string]bool, len(res.Exceptions))
	for i := range res.Exceptions {
		k := res.Exceptions[i].Key()
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	known, err := r.journal.Exceptions(ctx, keys)
	if err != nil {
		return err
	}
	t := &res.Tracked
	*t = reconcile.Tracked{Known: true}
	records := make([]journal.Exception, 0, len(keys))
	recorded := make(map[string]bool, len(keys))
	for i := range res.Exceptions {
		e := &res.Exceptions[i]
		k := e.Key()
		tr := reconcile.Tracking{State: reconcile.StateNew, FirstRunID: r.runID, FirstSeenAt: res.StartedAt}
		if j, ok := known[k]; ok {
			if j.Open() {
				tr.State, tr.FirstRunID, tr.FirstSeenAt = reconcile.StateOpen, j.FirstRunID, j.FirstSeenAt
				tr.Days = daysBetween(j.FirstSeenAt, res.StartedAt)
			}
			tr.Handling = reconcile.Handling{Status: j.Note.Status, Handler: j.Note.Handler, Text: j.Note.Text}
		} else if hd, ok := r.newestHandling(k); ok {
			// Not in the journal yet (an exception the team noted in a
			// workbook this journal did not write): carried all the same,
			// and kept once it is recorded below.
			tr.Handling = hd
		}
		e.Tracking = tr
		if tr.State == reconcile.StateNew {
			t.New++
		} else {
			t.Open++
		}
		t.Aging[reconcile.AgingBucket(tr.Days)]++
		if !recorded[k] {
			recorded[k] = true
			records = append(records, journal.Exception{Key: k, Code: string(e.Code), OrderID: e.OrderID, TransactionID: e.TransactionID,
				Day: e.Day(), Amount: e.Amount, HasAmount: e.Amount != 0, Message: e.Message})
		}
	}

	var resolved []string
	var gone []journal.Exception
	if res.Status == reconcile.StatusCompleted {
		open, err := r.journal.OpenExceptions(ctx, r.cfg.Window.From.String(), r.cfg.Window.To.String())
		if err != nil {
			return err
		}
		for _, j := range open {
			if !seen[j.Key] && r.checked(reconcile.Code(j.Code), res) {
				resolved = append(resolved, j.Key)
				gone = append(gone, j)
			}
		}
	}
	n, err := r.journal.RecordExceptions(ctx, r.runID, r.cfg.Window.From.String(), r.cfg.Window.To.String(), res.StartedAt, records, resolved)
	if err != nil {
		return err
	}
	if n != len(gone) {
		return fmt.Errorf("the journal resolved %d exceptions, this run found %d resolved", n, len(gone))
	}
	// Notes read before the exceptions they are about were in the journal
	// were not kept then: keep them now.
	if err := r.keepHandlings(ctx); err != nil {
		return err
	}
	for _, j := range gone {
		e := reconcile.Exception{Code: reconcile.Code(j.Code), OrderID: j.OrderID, TransactionID: j.TransactionID, Message: j.Message,
			Tracking: reconcile.Tracking{FirstRunID: j.FirstRunID, FirstSeenAt: j.FirstSeenAt, Days: daysBetween(j.FirstSeenAt, res.StartedAt),
				Handling: reconcile.Handling{Status: j.Note.Status, Handler: j.Note.Handler, Text: j.Note.Text}}}
		if j.HasAmount {
			e.Amount = j.Amount
		}
		if d, err := cst.ParseDate(j.Day); err == nil && j.Day != "" {
			e.At = d.Start()
		}
		res.Resolved = append(res.Resolved, e)
	}
	reconcile.SortExceptions(res.Resolved)
	t.Resolved = len(res.Resolved)
	if res.History, err = r.history(ctx, res); err != nil {
		return err
	}
	return nil
}

// checked reports whether this run checked what raises code, so that an
// open exception of that code it did not raise is resolved.
func (r *runner) checked(code reconcile.Code, res *reconcile.Result) bool {
	switch code {
	case reconcile.MaterialsInvalid:
		return r.cfg.CheckMaterials && res.Counts.HeldBack == 0
	case reconcile.DeclareRejected, reconcile.DeclareConflict, reconcile.DeclareError:
		return res.Counts.HeldBack == 0
	}
	return code.Known()
}

// daysBetween is the number of calendar days (UTC+8) from a to b, as
// finance counts them: first seen on the 20th, on the 24th it is 4 days
// old, whatever the hour of either run; 0 when b is not after a.
func daysBetween(a, b time.Time) int {
	return max(0, cst.DateOf(a).DaysUntil(cst.DateOf(b)))
}

// readHandlings reads back what the finance team wrote in the job's
// earlier workbooks of the window (ReportWriter.Handlings) and, in a run
// with a journal, keeps it there: a workbook's notes replace the
// journal's when the workbook was modified after they were kept.
func (r *runner) readHandlings(ctx context.Context, deps Deps, res *reconcile.Result) error {
	if deps.Report == nil || r.cfg.ReportPath == "" && r.cfg.NotesFrom == "" {
		return nil
	}
	hs, skipped, err := deps.Report.Handlings(r.cfg.ReportPath, r.cfg.Window, r.cfg.NotesFrom)
	if err != nil {
		return err
	}
	res.Notes = append(res.Notes, skipped...) // logged with the reading's notes
	r.handlings = hs
	return r.keepHandlings(ctx)
}

// newestHandling returns what the most recently saved workbook read says
// of the exception with key k.
func (r *runner) newestHandling(k string) (reconcile.Handling, bool) {
	for i := len(r.handlings) - 1; i >= 0; i-- {
		if hd, ok := r.handlings[i].ByKey[k]; ok {
			return hd, true
		}
	}
	return reconcile.Handling{}, false
}

// keepHandlings keeps the notes read back in the journal, oldest workbook
// first (journal.SetNotes keeps a note only when its workbook was saved
// after the note the journal holds, and ignores keys it does not know).
func (r *runner) keepHandlings(ctx context.Context) error {
	if r.journal == nil || r.runID == 0 {
		return nil
	}
	for _, h := range r.handlings {
		notes := make(map[string]journal.Note, len(h.ByKey))
		for k, hd := range h.ByKey {
			notes[k] = journal.Note{Status: hd.Status, Handler: hd.Handler, Text: hd.Text, At: h.Modified}
		}
		n, err := r.journal.SetNotes(ctx, notes)
		if err != nil {
			return fmt.Errorf("keeping the notes of %s: %w", h.Source, err)
		}
		r.log.Info("notes read back", "workbook", h.Source, "rows", len(h.ByKey), "changed", n)
	}
	return nil
}

// history returns the exceptions of the last reconcile.HistoryNights
// nights with a run, oldest first: those the journal's runs recorded in
// their summaries (runs before the exceptions were followed have none and
// are left out), and this run's.
func (r *runner) history(ctx context.Context, res *reconcile.Result) ([]reconcile.Night, error) {
	runs, err := r.journal.Runs(ctx, 1000)
	if err != nil {
		return nil, err
	}
	today := cst.DateOf(res.StartedAt)
	nights := []reconcile.Night{{Date: today, Runs: 1, New: res.Tracked.New, Resolved: res.Tracked.Resolved, Reported: len(res.Exceptions)}}
	for _, run := range runs { // newest first
		if run.ID == r.runID || run.DryRun || len(run.Counts) == 0 {
			continue
		}
		var s Summary
		if json.Unmarshal(run.Counts, &s) != nil || s.ExceptionsNew == nil || s.ExceptionsResolved == nil {
			continue
		}
		d := cst.DateOf(run.StartedAt)
		last := &nights[len(nights)-1]
		if d != last.Date {
			if len(nights) == reconcile.HistoryNights {
				break
			}
			nights = append(nights, reconcile.Night{Date: d, Reported: s.ExceptionsTotal})
			last = &nights[len(nights)-1]
		}
		last.Runs++
		last.New += *s.ExceptionsNew
		last.Resolved += *s.ExceptionsResolved
	}
	slices.Reverse(nights)
	return nights, nil
}

// keyLocks are mutexes by key, made on first use.
type keyLocks struct {
	mu sync.Mutex
	m  map[string]*sync.Mutex
}

// lock locks key's mutex and returns its unlock, which may be called more
// than once.
func (k *keyLocks) lock(key string) func() {
	k.mu.Lock()
	if k.m == nil {
		k.m = map[string]*sync.Mutex{}
	}
	m := k.m[key]
	if m == nil {
		m = &sync.Mutex{}
		k.m[key] = m
	}
	k.mu.Unlock()
	m.Lock()
	var once sync.Once
	return func() { once.Do(m.Unlock) }
}
