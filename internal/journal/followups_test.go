package journal

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/crossborder/reconcile/internal/cst"
)

// declare begins and finishes one attempt of d in run with outcome o.
func declare(t *testing.T, j *Journal, run int64, d Declaration, o DeclarationOutcome) {
	t.Helper()
	ctx := context.Background()
	n, err := j.BeginDeclaration(ctx, run, d)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.FinishDeclaration(ctx, run, d.OrderID, n, o); err != nil {
		t.Fatal(err)
	}
}

func orderIDs(ds []Declaration) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.OrderID)
	}
	return out
}

// TestFollowUpsUntilSettled walks declarations through the nights: the
// unsettled ones are followed, each state is kept with its time, a final
// state or a stuck report ends the following.
func TestFollowUpsUntilSettled(t *testing.T) { forEachBackend(t, testFollowUpsUntilSettled) }

func testFollowUpsUntilSettled(t *testing.T, b *testBackend) {
	ctx := context.Background()
	j := open(t, b.fresh(t))
	clk := &clock{t: at(2, 0, 0, 0)}
	j.now = clk.Now
	accepted := func(state string, follow bool) DeclarationOutcome {
		return DeclarationOutcome{State: DeclarationAccepted, PlatformState: state, RequestID: "r", FollowUp: follow}
	}

	run1 := beginRun(t, j)
	for _, id := range []string{"A", "B", "C", "D"} {
		declare(t, j, run1, decl(id), accepted("UNDECLARED", false))
	}
	declare(t, j, run1, decl("E"), accepted("SUCCESS", false))
	declare(t, j, run1, decl("F"), DeclarationOutcome{State: DeclarationRejected, PlatformState: "FAIL", ErrorCode: "NO_AUTH"})
	if got, _ := j.Unsettled(ctx, run1); len(got) != 0 {
		t.Errorf("run 1 follows what it declared itself: %q", orderIDs(got))
	}
	endRun(t, j, run1)

	clk.Set(at(2, 0, 0, 0).AddDate(0, 0, 1))
	run2 := beginRun(t, j)
	got, err := j.Unsettled(ctx, run2)
	if err != nil {
		t.Fatal(err)
	}
	if ids := orderIDs(got); !slices.Equal(ids, []string{"A", "B", "C", "D"}) {
		t.Errorf("night 2 follows %q, want A B C D (E is SUCCESS, F never accepted)", ids)
	}
	declare(t, j, run2, decl("A"), accepted("SUCCESS", true))
	declare(t, j, run2, decl("B"), DeclarationOutcome{State: DeclarationRejected, PlatformState: "FAIL", ErrorMsg: "海关审核不通过", FollowUp: true})
	declare(t, j, run2, decl("C"), accepted("PROCESSING", true))
	// D's follow-up is lost in transport: still followed next night.
	declare(t, j, run2, decl("D"), DeclarationOutcome{State: DeclarationFailed, ErrorCode: "transport", FollowUp: true})
	endRun(t, j, run2)

	clk.Set(at(2, 0, 0, 0).AddDate(0, 0, 2))
	run3 := beginRun(t, j)
	got, _ = j.Unsettled(ctx, run3)
	if ids := orderIDs(got); !slices.Equal(ids, []string{"C", "D"}) {
		t.Errorf("night 3 follows %q, want C and D", ids)
	}
	if err := j.MarkStuck(ctx, run3, []string{"C", "nope"}); err != nil {
		t.Fatal(err)
	}
	got, _ = j.Unsettled(ctx, run3+1)
	if ids := orderIDs(got); !slices.Equal(ids, []string{"D"}) {
		t.Errorf("after C was reported stuck: %q, want D", ids)
	}

	ds, _ := j.Declarations(ctx, []string{"A", "B", "C"})
	if a := ds["A"]; !a.AcceptedAt.Equal(at(2, 0, 0, 0)) || !a.SettledAt.Equal(at(2, 0, 0, 0).AddDate(0, 0, 1)) {
		t.Errorf("A: accepted %v, settled %v", a.AcceptedAt, a.SettledAt)
	}
	if b := ds["B"]; b.State != DeclarationRejected || b.SettledAt.IsZero() || b.ErrorMsg != "海关审核不通过" {
		t.Errorf("B, FAIL on a follow-up: %+v", b)
	}
	if c := ds["C"]; c.StuckAt.IsZero() || c.State != DeclarationAccepted {
		t.Errorf("C: %+v, want stuck, still accepted", c)
	}
	for _, id := range []string{"A", "B", "C"} {
		if d := ds[id]; d.AcceptedRunID != run1 || d.RunID != run2 {
			t.Errorf("%s after its follow-up: accepted in run %d, last attempt in run %d; want %d and %d", id, d.AcceptedRunID, d.RunID, run1, run2)
		}
	}
	states, err := j.States(ctx, []string{"A", "B", "C", "D"})
	if err != nil {
		t.Fatal(err)
	}
	var a []string
	for _, s := range states["A"] {
		a = append(a, s.State)
		if s.FollowUp != (s.RunID == run2) {
			t.Errorf("A's state %s of run %d: follow-up %v", s.State, s.RunID, s.FollowUp)
		}
	}
	if !slices.Equal(a, []string{"UNDECLARED", "SUCCESS"}) || len(states["D"]) != 1 {
		t.Errorf("states of A %q (want UNDECLARED, SUCCESS), of D %+v (want only the first: a lost answer teaches nothing)", a, states["D"])
	}
}

func TestBuyerTotals(t *testing.T) { forEachBackend(t, testBuyerTotals) }

func testBuyerTotals(t *testing.T, b *testBackend) {
	ctx := context.Background()
	j := open(t, b.fresh(t))
	run := beginRun(t, j)
	buy := func(id, buyer string, year int, fee int64) Declaration {
		d := decl(id)
		d.Buyer, d.PaidYear, d.OrderFee, d.ProductFee, d.TransportFee = buyer, year, fee, fee, 0
		if year != 0 {
			d.PaidAt = time.Date(year, 6, 1, 10, 0, 0, 0, cst.Zone)
		}
		return d
	}
	ok := DeclarationOutcome{State: DeclarationAccepted, PlatformState: "UNDECLARED"}
	declare(t, j, run, buy("1", "h1", 2026, 1_000_000), ok)
	declare(t, j, run, buy("2", "h1", 2026, 500_000), ok)
	declare(t, j, run, buy("3", "h1", 2027, 700_000), ok)                                                                    // another year
	declare(t, j, run, buy("4", "h2", 2026, 900_000), ok)                                                                    // another buyer
	declare(t, j, run, buy("5", "h1", 2026, 300_000), DeclarationOutcome{State: DeclarationRejected, PlatformState: "FAIL"}) // refused: not declared
	declare(t, j, run, buy("6", "h1", 2026, 200_000), ok)
	if err := j.MarkRefunded(ctx, run, []string{"6"}); err != nil {
		t.Fatal(err)
	}
	// A follow-up without the buyer keeps it.
	declare(t, j, run, buy("2", "", 0, 500_000), ok)
	for _, tt := range []struct {
		buyer  string
		year   int
		except string
		want   int64
	}{
		{"h1", 2026, "", 1_500_000}, // 5 refused, 6 refunded
		{"h1", 2026, "1", 500_000},
		{"h1", 2027, "", 700_000},
		{"h2", 2026, "", 900_000},
		{"h3", 2026, "", 0},
	} {
		if got, err := j.BuyerTotal(ctx, tt.buyer, tt.year, tt.except); err != nil || got != tt.want {
			t.Errorf("BuyerTotal(%s, %d, except %q) = %d, %v; want %d", tt.buyer, tt.year, tt.except, got, err, tt.want)
		}
	}
	if ds, _ := j.Declarations(ctx, []string{"2"}); ds["2"].Buyer != "h1" || ds["2"].PaidYear != 2026 || !ds["2"].PaidAt.Equal(time.Date(2026, 6, 1, 10, 0, 0, 0, cst.Zone)) {
		t.Errorf("a follow-up lost the buyer: %+v", ds["2"])
	}
	if err := j.SetMeta(ctx, "buyer_key_id", "abc"); err != nil {
		t.Fatal(err)
	}
	if v, err := j.Meta(ctx, "buyer_key_id"); v != "abc" || err != nil {
		t.Errorf("Meta = %q, %v", v, err)
	}
	if v, err := j.Meta(ctx, "none"); v != "" || err != nil {
		t.Errorf("Meta of nothing = %q, %v", v, err)
	}
}
