package batch

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crossborder/reconcile/internal/reconcile"
	"github.com/crossborder/reconcile/internal/reconcile/reconciletest"
	"github.com/crossborder/reconcile/internal/top/sandbox"
)

// trackedStates returns "KEY state days" for each exception of res.
func trackedStates(res *reconcile.Result) []string {
	var out []string
	for _, e := range res.Exceptions {
		out = append(out, fmt.Sprintf("%s %s %d", e.Key(), e.Tracking.State, e.Tracking.Days))
	}
	return out
}

// TestExceptionsAreFollowedAcrossNights runs three nights on one journal:
// the window of the 20th, the same again a day later, and three days after
// that with a late payment export and a corrected order export, which
// resolve two of the three exceptions.
func TestExceptionsAreFollowedAcrossNights(t *testing.T) {
	// Orders 1 and 2 have fee mismatches, order 3 no payment; 0, 4 and 5
	// are clean.
	x := testOrders(6, 1, 2)
	x.Payments[0] = dropLine(x.Payments[0], "5118609024991000003")
	e := newEnv(t, sandbox.Config{}, x)
	night1 := time.Date(2026, 11, 21, 2, 0, 0, 0, time.UTC)
	run := func(now time.Time, in reconcile.Inputs) *reconcile.Result {
		t.Helper()
		res, err := Run(context.Background(), Config{Window: e.window, Inputs: in, DefaultCustoms: "NINGBO", Engine: fastEngine,
			Now: func() time.Time { return now }}, Deps{Platform: e.client, Journal: e.journal})
		if err != nil {
			t.Fatalf("run of %s: %v", now, err)
		}
		reconciletest.AssertAccounting(t, res)
		return res
	}
	fee1, fee2, missing := "FEE_MISMATCH|5118609024991000001|", "FEE_MISMATCH|5118609024991000002|", "PAYMENT_MISSING|5118609024991000003|"

	res1 := run(night1, e.inputs)
	if got, want := trackedStates(res1), []string{fee1 + " new 0", fee2 + " new 0", missing + " new 0"}; !slices.Equal(got, want) {
		t.Errorf("night 1:\n got %q\nwant %q", got, want)
	}
	if tr := res1.Tracked; !tr.Known || tr.New != 3 || tr.Open != 0 || tr.Resolved != 0 || tr.Aging != [4]int{3, 0, 0, 0} {
		t.Errorf("night 1 tracked %+v, want 3 new, aged below a day", tr)
	}

	res2 := run(night1.Add(25*time.Hour), e.inputs)
	if got, want := trackedStates(res2), []string{fee1 + " open 1", fee2 + " open 1", missing + " open 1"}; !slices.Equal(got, want) {
		t.Errorf("night 2:\n got %q\nwant %q", got, want)
	}
	for _, ex := range res2.Exceptions {
		if ex.Tracking.FirstRunID != res1.RunID || !ex.Tracking.FirstSeenAt.Equal(night1) {
			t.Errorf("night 2: %s first seen in run %d at %s, want run %d at %s", ex.Key(), ex.Tracking.FirstRunID, ex.Tracking.FirstSeenAt, res1.RunID, night1)
		}
	}
	// The rerun lists the declarations of night 1 as earlier ones.
	if len(res2.Declarations) != 3 || res2.Counts.AlreadyDeclared != 3 {
		t.Fatalf("night 2: %d declarations listed, %d already declared; want the 3 of night 1", len(res2.Declarations), res2.Counts.AlreadyDeclared)
	}
	for _, d := range res2.Declarations {
		if d.Outcome != reconcile.OutcomeEarlier || d.RunID != res1.RunID || d.RequestID == "" || d.LastAttempt.IsZero() || d.PlatformState == "" {
			t.Errorf("night 2 lists %+v; want an earlier declaration of run %d with its request id, time and state", d, res1.RunID)
		}
	}
	if len(res2.Callbacks) != 6 || res2.Callbacks[0].Outcome != reconcile.OutcomeEarlier {
		t.Errorf("night 2 lists %d callbacks (first %+v); want the 6 of night 1, earlier", len(res2.Callbacks), res2.Callbacks)
	}

	// Night 3: order 2 corrected, order 3's payment found in a late export.
	late := testOrders(6, 1)
	dir := t.TempDir()
	in3 := reconciletest.WriteExports(t, dir, late)
	res3 := run(night1.Add(4*24*time.Hour), in3)
	if got, want := trackedStates(res3), []string{fee1 + " open 4"}; !slices.Equal(got, want) {
		t.Errorf("night 3:\n got %q\nwant %q", got, want)
	}
	var resolved []string
	for _, r := range res3.Resolved {
		resolved = append(resolved, fmt.Sprintf("%s first %d days %d", r.Key(), r.Tracking.FirstRunID, r.Tracking.Days))
	}
	if want := []string{fmt.Sprintf("%s first %d days 4", fee2, res1.RunID), fmt.Sprintf("%s first %d days 4", missing, res1.RunID)}; !slices.Equal(resolved, want) {
		t.Errorf("night 3 resolved:\n got %q\nwant %q", resolved, want)
	}
	if tr := res3.Tracked; tr.New != 0 || tr.Open != 1 || tr.Resolved != 2 || tr.Aging != [4]int{0, 1, 0, 0} {
		t.Errorf("night 3 tracked %+v, want 1 open aged 1-7 days, 2 resolved", tr)
	}
	if res3.Resolved[0].Day() != "2026-11-20" || res3.Resolved[0].Amount == 0 || res3.Resolved[0].Message == "" {
		t.Errorf("a resolved exception lost what it was: %+v", res3.Resolved[0])
	}
	if res3.Counts.Declared != 2 {
		t.Errorf("night 3 declared %d, want the 2 now clean", res3.Counts.Declared)
	}
	var nights []string
	for _, n := range res3.History {
		nights = append(nights, fmt.Sprintf("%s runs %d new %d resolved %d reported %d", n.Date, n.Runs, n.New, n.Resolved, n.Reported))
	}
	if want := []string{"2026-11-21 runs 1 new 3 resolved 0 reported 3", "2026-11-22 runs 1 new 0 resolved 0 reported 3",
		"2026-11-25 runs 1 new 0 resolved 2 reported 1"}; !slices.Equal(nights, want) {
		t.Errorf("history of night 3:\n got %q\nwant %q", nights, want)
	}

	// A fourth night that fails resolves nothing: the exception it did not
	// get to is still open.
	res4, err := Run(context.Background(), Config{Window: e.window, Inputs: reconcile.Inputs{Orders: in3.Orders, Payments: []string{dir + "/missing.csv"}},
		DefaultCustoms: "NINGBO", Engine: fastEngine}, Deps{Platform: e.client, Journal: e.journal})
	if err == nil || res4.Tracked.Resolved != 0 {
		t.Errorf("a failed run: err %v, resolved %d; want an error and nothing resolved", err, res4.Tracked.Resolved)
	}
	open, _ := e.journal.OpenExceptions(context.Background(), "2026-11-20", "2026-11-20")
	if len(open) != 1 || open[0].Key != fee1 {
		t.Errorf("open after a failed run: %+v, want %s", open, fee1)
	}
}

// TestOnlyWhatWasCheckedResolves: a run without --check-materials does
// not find the MATERIALS_INVALID of an earlier run resolved (it did not
// look), nor one whose declarations were held back its declaration codes.
func TestOnlyWhatWasCheckedResolves(t *testing.T) {
	r := &runner{cfg: Config{CheckMaterials: false}}
	res := &reconcile.Result{}
	for _, tt := range []struct {
		code      reconcile.Code
		materials bool
		heldBack  int
		want      bool
	}{
		{reconcile.MaterialsInvalid, false, 0, false},
		{reconcile.MaterialsInvalid, true, 0, true},
		{reconcile.MaterialsInvalid, true, 3, false},
		{reconcile.DeclareRejected, false, 0, true},
		{reconcile.DeclareError, false, 3, false},
		{reconcile.FeeMismatch, false, 3, true},
		{reconcile.Code("SOMETHING_ELSE"), false, 0, false},
	} {
		r.cfg.CheckMaterials, res.Counts.HeldBack = tt.materials, tt.heldBack
		if got := r.checked(tt.code, res); got != tt.want {
			t.Errorf("checked(%s) with materials %v, held back %d = %v, want %v", tt.code, tt.materials, tt.heldBack, got, tt.want)
		}
	}
}

// dropLine returns s without its lines containing sub.
func dropLine(s, sub string) string {
	var out []string
	for _, l := range strings.SplitAfter(s, "\n") {
		if !strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "")
}

// stubNotifier records the results it was given.
type stubNotifier struct{ got []*reconcile.Result }

func (s *stubNotifier) Notify(_ context.Context, res *reconcile.Result) (int, int) {
	s.got = append(s.got, res)
	return 1, 1
}

// The digest goes out once, after the workbook, and a robot that did not
// take it is counted, not a failure of the run.
func TestTheDigestIsSentOnceAndCounted(t *testing.T) {
	e := newEnv(t, sandbox.Config{}, testOrders(3))
	n := &stubNotifier{}
	dir := t.TempDir()
	res, err := Run(context.Background(), Config{Window: e.window, Inputs: e.inputs, DefaultCustoms: "NINGBO", Engine: fastEngine,
		SummaryPath: dir + "/s.json"}, Deps{Platform: e.client, Journal: e.journal, Notifier: n})
	if err != nil {
		t.Fatal(err)
	}
	if len(n.got) != 1 || n.got[0] != res || res.Notified.Sent != 1 || res.Notified.Failed != 1 {
		t.Errorf("notified %d times, counts %+v; want once, 1 sent and 1 failed", len(n.got), res.Notified)
	}
	b, _ := os.ReadFile(dir + "/s.json")
	if !strings.Contains(string(b), `"notify": {`) || !strings.Contains(string(b), `"failed": 1`) {
		t.Errorf("the summary does not count the digest:\n%s", b)
	}
}
