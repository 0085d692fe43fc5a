package journal

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func seen(key, day string) Exception {
	return Exception{Key: key, Code: strings.SplitN(key, "|", 2)[0], OrderID: "O" + key, Day: day, Amount: 100, HasAmount: true, Message: "m " + key}
}

func beginWindow(t *testing.T, j *Journal, from, to string) int64 {
	t.Helper()
	id, err := j.BeginRun(context.Background(), RunStart{From: from, To: to})
	if err != nil {
		t.Fatalf("BeginRun: %v", err)
	}
	return id
}

func endRun(t *testing.T, j *Journal, id int64) {
	t.Helper()
	if err := j.EndRun(context.Background(), id, RunEnd{Status: RunCompleted}); err != nil {
		t.Fatal(err)
	}
}

func keysOf(es []Exception) []string {
	var ks []string
	for _, e := range es {
		ks = append(ks, e.Key)
	}
	return ks
}

// TestExceptionsAreFollowedUntilResolved walks three nights: the first
// reports three exceptions, the second reports two of them again and
// resolves the third, the third night sees the resolved one come back.
func TestExceptionsAreFollowedUntilResolved(t *testing.T) {
	forEachBackend(t, testExceptionsAreFollowedUntilResolved)
}

func testExceptionsAreFollowedUntilResolved(t *testing.T, bk *testBackend) {
	ctx := context.Background()
	j := open(t, bk.fresh(t))
	clk := &clock{t: at(2, 0, 0, 0)}
	j.now = clk.Now

	run1 := beginWindow(t, j, "2026-11-20", "2026-11-20")
	a, b, c, nodate := seen("FEE_MISMATCH|1|", "2026-11-20"), seen("PAYMENT_MISSING|2|", "2026-11-20"), seen("AMOUNT_MISMATCH|3|", "2026-11-20"), seen("INPUT_INVALID|f.csv|7", "")
	if n, err := j.RecordExceptions(ctx, run1, "2026-11-20", "2026-11-20", time.Time{}, []Exception{a, b, c, nodate}, nil); err != nil || n != 0 {
		t.Fatalf("RecordExceptions: %d, %v", n, err)
	}
	endRun(t, j, run1)

	// What a run of another window looks at: nothing of the 20th.
	for _, w := range []struct {
		from, to string
		want     []string
	}{
		{"2026-11-21", "2026-11-21", nil},
		{"2026-11-20", "2026-11-20", []string{c.Key, a.Key, nodate.Key, b.Key}},
		{"2026-11-19", "2026-11-21", []string{c.Key, a.Key, nodate.Key, b.Key}},
		// Windows that contain the 20th contain the run of the 20th that
		// reported the exception without a day.
		{"2026-11-19", "2026-11-20", []string{c.Key, a.Key, nodate.Key, b.Key}},
	} {
		open, err := j.OpenExceptions(ctx, w.from, w.to)
		if err != nil {
			t.Fatal(err)
		}
		if got := keysOf(open); !slices.Equal(got, w.want) {
			t.Errorf("OpenExceptions(%s, %s) = %q, want %q", w.from, w.to, got, w.want)
		}
	}

	clk.Set(at(2, 0, 0, 0).Add(24 * time.Hour))
	run2 := beginWindow(t, j, "2026-11-20", "2026-11-20")
	n, err := j.RecordExceptions(ctx, run2, "2026-11-20", "2026-11-20", time.Time{}, []Exception{a, b}, []string{c.Key, nodate.Key, "UNKNOWN|9|"})
	if err != nil || n != 2 {
		t.Fatalf("RecordExceptions of night 2: %d, %v; want 2 resolved", n, err)
	}
	endRun(t, j, run2)
	got, err := j.Exceptions(ctx, []string{a.Key, c.Key, nodate.Key, "UNKNOWN|9|"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("Exceptions: %d found, want 3 (the unknown key absent)", len(got))
	}
	if e := got[a.Key]; e.FirstRunID != run1 || !e.FirstSeenAt.Equal(at(2, 0, 0, 0)) || e.LastRunID != run2 || !e.Open() ||
		e.Amount != 100 || !e.HasAmount || e.Day != "2026-11-20" || e.Message != a.Message {
		t.Errorf("open exception after night 2: %+v; want first seen in run %d, last in run %d, open", e, run1, run2)
	}
	if e := got[c.Key]; e.Open() || e.ResolvedRunID != run2 || !e.ResolvedAt.Equal(clk.Now()) || e.FirstRunID != run1 {
		t.Errorf("resolved exception: %+v; want resolved by run %d", e, run2)
	}
	resolved, err := j.ResolvedExceptions(ctx, run2)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := keysOf(resolved), []string{c.Key, nodate.Key}; !slices.Equal(got, want) {
		t.Errorf("ResolvedExceptions(run 2) = %q, want %q", got, want)
	}

	// An exception that returns is new again; resolving what this run
	// reports resolves nothing.
	clk.Set(at(2, 0, 0, 0).Add(48 * time.Hour))
	run3 := beginWindow(t, j, "2026-11-20", "2026-11-21")
	n, err = j.RecordExceptions(ctx, run3, "2026-11-20", "2026-11-21", time.Time{}, []Exception{a, c}, []string{c.Key, b.Key})
	if err != nil || n != 1 {
		t.Fatalf("RecordExceptions of night 3: %d, %v; want 1 resolved", n, err)
	}
	endRun(t, j, run3)
	got, _ = j.Exceptions(ctx, []string{a.Key, b.Key, c.Key})
	if e := got[c.Key]; !e.Open() || e.FirstRunID != run3 || !e.FirstSeenAt.Equal(clk.Now()) {
		t.Errorf("returned exception: %+v; want open, first seen in run %d", e, run3)
	}
	if e := got[a.Key]; e.FirstRunID != run1 || e.SeenFrom != "2026-11-20" || e.SeenTo != "2026-11-21" {
		t.Errorf("exception seen for the third time: %+v; want first seen in run %d, seen in 2026-11-20..21", e, run1)
	}
	if e := got[b.Key]; e.Open() || e.ResolvedRunID != run3 {
		t.Errorf("exception resolved on night 3: %+v", e)
	}
	// Nothing open is about the 21st.
	open, _ := j.OpenExceptions(ctx, "2026-11-21", "2026-11-21")
	if len(open) != 0 {
		t.Errorf("open exceptions of the 21st: %q, want none", keysOf(open))
	}
}

func TestRecordExceptionsRefuses(t *testing.T) { forEachBackend(t, testRecordExceptionsRefuses) }

func testRecordExceptionsRefuses(t *testing.T, b *testBackend) {
	ctx := context.Background()
	j := open(t, b.fresh(t))
	dry, err := j.BeginRun(ctx, RunStart{From: "2026-11-20", To: "2026-11-20", DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.RecordExceptions(ctx, dry, "2026-11-20", "2026-11-20", time.Time{}, []Exception{seen("FEE_MISMATCH|1|", "")}, nil); !errors.Is(err, ErrDryRun) {
		t.Errorf("RecordExceptions in a dry run: got %v, want ErrDryRun", err)
	}
	endRun(t, j, dry)
	run := beginRun(t, j)
	for _, bad := range []Exception{{Code: "X"}, {Key: "X||"}, {Key: "X||", Code: "X", Day: "20.11.2026"}} {
		if _, err := j.RecordExceptions(ctx, run, "2026-11-20", "2026-11-20", time.Time{}, []Exception{seen("FEE_MISMATCH|1|", ""), bad}, nil); err == nil {
			t.Errorf("RecordExceptions(%+v): no error", bad)
		}
	}
	// Nothing of a refused call was written.
	if got, _ := j.Exceptions(ctx, []string{"FEE_MISMATCH|1|"}); len(got) != 0 {
		t.Errorf("a refused call wrote %v", got)
	}
}

func TestNotesKeepTheNewest(t *testing.T) { forEachBackend(t, testNotesKeepTheNewest) }

func testNotesKeepTheNewest(t *testing.T, b *testBackend) {
	ctx := context.Background()
	j := open(t, b.fresh(t))
	run := beginRun(t, j)
	e := seen("FEE_MISMATCH|1|", "2026-11-20")
	if _, err := j.RecordExceptions(ctx, run, "2026-11-20", "2026-11-20", time.Time{}, []Exception{e}, nil); err != nil {
		t.Fatal(err)
	}
	t0 := at(9, 0, 0, 0)
	steps := []struct {
		name    string
		note    Note
		changed int
		want    Note
	}{
		{"first", Note{Status: "处理中", Handler: "王会计", Text: "已联系买家", At: t0}, 1, Note{"处理中", "王会计", "已联系买家", t0}},
		{"older", Note{Status: "已处理", At: t0.Add(-time.Hour)}, 0, Note{"处理中", "王会计", "已联系买家", t0}},
		{"same, newer", Note{Status: "处理中", Handler: "王会计", Text: "已联系买家", At: t0.Add(time.Hour)}, 0, Note{"处理中", "王会计", "已联系买家", t0}},
		{"newer", Note{Status: "已处理", Handler: "王会计", Text: "已退款", At: t0.Add(2 * time.Hour)}, 1, Note{"已处理", "王会计", "已退款", t0.Add(2 * time.Hour)}},
		{"emptied", Note{At: t0.Add(3 * time.Hour)}, 1, Note{At: t0.Add(3 * time.Hour)}},
	}
	for _, s := range steps {
		n, err := j.SetNotes(ctx, map[string]Note{e.Key: s.note, "UNKNOWN||": s.note})
		if err != nil || n != s.changed {
			t.Errorf("%s: SetNotes = %d, %v; want %d changed", s.name, n, err, s.changed)
		}
		got, _ := j.Exceptions(ctx, []string{e.Key})
		if n := got[e.Key].Note; n.Status != s.want.Status || n.Handler != s.want.Handler || n.Text != s.want.Text || !n.At.Equal(s.want.At) {
			t.Errorf("%s: note %+v, want %+v", s.name, n, s.want)
		}
	}
	// A run reporting the exception again keeps its note.
	if _, err := j.RecordExceptions(ctx, run, "2026-11-20", "2026-11-20", time.Time{}, []Exception{e}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := j.SetNotes(ctx, map[string]Note{e.Key: {Text: "x", At: t0.Add(4 * time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := j.RecordExceptions(ctx, run, "2026-11-20", "2026-11-20", time.Time{}, []Exception{e}, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := j.Exceptions(ctx, []string{e.Key}); got[e.Key].Note.Text != "x" {
		t.Errorf("note after the exception was reported again: %+v", got[e.Key].Note)
	}

	for _, bad := range []Note{
		{Status: "done", At: t0.Add(5 * time.Hour)}, // the schema's CHECK
		{Text: strings.Repeat("备", MaxNoteRunes+1), At: t0},
		{Handler: strings.Repeat("王", MaxNoteRunes+1), At: t0},
		{Text: "no time"},
	} {
		if _, err := j.SetNotes(ctx, map[string]Note{e.Key: bad}); err == nil {
			t.Errorf("SetNotes(%.40q): no error", bad.Text+bad.Status)
		}
	}
}

// TestOldJournalsAreMigrated opens a journal of the first schema, written
// by hand as version 1 wrote it: the migrations add what came later and
// keep the runs and declarations.
func TestOldJournalsAreMigrated(t *testing.T) { forEachBackend(t, testOldJournalsAreMigrated) }

func testOldJournalsAreMigrated(t *testing.T, b *testBackend) {
	ctx := context.Background()
	path := b.fresh(t)
	path.exec(t, (*b.migrations())[0])
	path.setVersion(t, 1)
	path.exec(t, `INSERT INTO runs (window_from, window_to, started_at, ended_at, status, pid) VALUES ('2026-11-20', '2026-11-20', '2026-11-21T02:00:00.000+08:00', '2026-11-21T02:10:00.000+08:00', 'completed', 1)`)
	old := int64(path.queryInt(t, `SELECT MAX(id) FROM runs`))
	path.exec(t, `INSERT INTO runs (window_from, window_to, started_at, ended_at, status, pid) VALUES ('2026-11-20', '2026-11-20', '2026-11-22T02:00:00.000+08:00', '2026-11-22T02:10:00.000+08:00', 'completed', 1)`)
	later := int64(path.queryInt(t, `SELECT MAX(id) FROM runs`))
	// Order 1 was accepted by run old and sent again, identical, by run
	// later (as a follow-up of schema 3 would): the migration to 4 finds
	// the run that accepted it first in the attempts log.
	path.exec(t, `INSERT INTO attempts (run_id, kind, key, attempt, started_at, ended_at, outcome) VALUES
		(?, 'declaration', '1', 1, '2026-11-21T02:01:00.000+08:00', '2026-11-21T02:01:00.000+08:00', 'accepted'),
		(?, 'declaration', '1', 2, '2026-11-22T02:01:00.000+08:00', '2026-11-22T02:01:00.000+08:00', 'accepted')`, old, later)
	path.exec(t, `INSERT INTO declarations (order_id, transaction_id, customs, order_fee, product_fee, transport_fee, state, platform_state, attempts, first_attempt_at, last_attempt_at, last_run_id)
		 VALUES ('1', 'T1', 'NINGBO', 100, 100, 0, 'accepted', 'UNDECLARED', 2, '2026-11-21T02:01:00.000+08:00', '2026-11-21T02:01:00.000+08:00', ?),
		        ('2', 'T2', 'NINGBO', 100, 100, 0, 'accepted', 'SUCCESS', 1, '2026-11-21T02:01:00.000+08:00', '2026-11-21T02:02:00.000+08:00', ?),
		        ('3', 'T3', 'NINGBO', 100, 100, 0, 'rejected', 'FAIL', 1, '2026-11-21T02:01:00.000+08:00', '2026-11-21T02:03:00.000+08:00', ?)`, later, old, old)

	j := open(t, path)
	if got := path.version(t); got != SchemaVersion {
		t.Errorf("schema version = %d, want %d", got, SchemaVersion)
	}
	run := beginRun(t, j)
	if _, err := j.RecordExceptions(ctx, run, "2026-11-20", "2026-11-20", time.Time{}, []Exception{seen("FEE_MISMATCH|1|", "2026-11-20")}, nil); err != nil {
		t.Fatal(err)
	}
	if err := j.Check(ctx); err != nil {
		t.Error(err)
	}
	if r, err := j.Run(ctx, old); err != nil || r.Status != RunCompleted {
		t.Errorf("the old run after the migration: %+v, %v", r, err)
	}
	ds, err := j.Declarations(ctx, []string{"1", "2", "3"})
	if err != nil {
		t.Fatal(err)
	}
	accepted := at(2, 1, 0, 0)
	if d := ds["1"]; !d.AcceptedAt.Equal(accepted) || !d.SettledAt.IsZero() {
		t.Errorf("an accepted, unsettled declaration: accepted %v, settled %v; want accepted at its attempt, not settled", d.AcceptedAt, d.SettledAt)
	}
	if d := ds["2"]; !d.AcceptedAt.Equal(at(2, 2, 0, 0)) || !d.SettledAt.Equal(at(2, 2, 0, 0)) {
		t.Errorf("a SUCCESS: accepted %v, settled %v; want both at its attempt", d.AcceptedAt, d.SettledAt)
	}
	if d := ds["3"]; !d.AcceptedAt.IsZero() || d.AcceptedRunID != 0 {
		t.Errorf("a rejected declaration was never accepted: %v, run %d", d.AcceptedAt, d.AcceptedRunID)
	}
	if got1, got2 := ds["1"].AcceptedRunID, ds["2"].AcceptedRunID; got1 != old || got2 != old {
		t.Errorf("accepted in runs %d and %d; want %d for both (1 from its attempts log, 2 its last run, having none)", got1, got2, old)
	}
}
