package batch

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/crossborder/reconcile/internal/cst"
	"github.com/crossborder/reconcile/internal/reconcile"
	"github.com/crossborder/reconcile/internal/reconcile/reconciletest"
	"github.com/crossborder/reconcile/internal/top/sandbox"
)

// followed returns "order state" for each follow-up of res, sorted.
func followed(res *reconcile.Result) []string {
	var out []string
	for _, d := range res.Declarations {
		if d.FollowUp {
			out = append(out, d.OrderID[len(d.OrderID)-1:]+" "+d.PlatformState)
		}
	}
	slices.Sort(out)
	return out
}

// TestDeclarationsAreFollowedToTheirEnd runs six nights on a fake clock.
// Night 1 declares orders 0 to 3. The sandbox settles 0 and 1 SUCCESS,
// makes 2 end FAIL, and leaves 3 PROCESSING for ever; a declaration turns
// final 40 hours after it was accepted, so on night 3. Each later night
// follows what is not final: 2's FAIL is reported on night 3 with the
// night it was declared; 0 and 1 are never followed after SUCCESS; 3 is
// DECLARE_STUCK once, on night 5, past --follow-up-days 3.
func TestDeclarationsAreFollowedToTheirEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, sandbox.Config{ProcessingAfter: time.Hour, SuccessAfter: 40 * time.Hour,
			FailLaterOrders: map[string]string{"5118609024991000002": sandbox.StateFail}, StuckOrders: []string{"5118609024991000003"}},
			testOrders(4))
		start := time.Now()
		night := func(n int) *reconcile.Result {
			t.Helper()
			time.Sleep(time.Until(start.Add(time.Duration(n-1) * 24 * time.Hour)))
			day := cst.DateOf(start).AddDays(n - 1)
			if n == 1 {
				day = e.window.From
			}
			res, err := Run(context.Background(), Config{Window: cst.Window{From: day, To: day}, Inputs: e.inputs, DefaultCustoms: "NINGBO",
				Engine: fastEngine, FollowUpDays: 3}, Deps{Platform: e.client, Journal: e.journal})
			if err != nil {
				t.Fatalf("night %d: %v", n, err)
			}
			reconciletest.AssertAccounting(t, res)
			return res
		}
		type want struct {
			followed []string
			f        reconcile.FollowUps
		}
		nights := []want{
			{nil, reconcile.FollowUps{}},
			{[]string{"0 PROCESSING", "1 PROCESSING", "2 PROCESSING", "3 PROCESSING"}, reconcile.FollowUps{Due: 4, Pending: 4}},
			{[]string{"0 SUCCESS", "1 SUCCESS", "2 FAIL", "3 PROCESSING"}, reconcile.FollowUps{Due: 4, Success: 2, Failed: 1, Pending: 1}},
			{[]string{"3 PROCESSING"}, reconcile.FollowUps{Due: 1, Pending: 1}},
			{nil, reconcile.FollowUps{Stuck: 1}},
			{nil, reconcile.FollowUps{}},
		}
		for i, w := range nights {
			res := night(i + 1)
			// Each follow-up is a row of its own (its order is of another
			// window): the run that accepted it, when, the state tonight.
			for _, d := range res.Declarations {
				if d.FollowUp && (d.RunID != 1 || d.AcceptedRunID != 1 || !d.AcceptedAt.Equal(d.Accepted()) || d.AcceptedAt.IsZero() ||
					(d.Outcome != reconcile.OutcomeFollowed) != (d.PlatformState == sandbox.StateFail)) {
					t.Errorf("night %d: follow-up row %+v; want run 1's, accepted then, outcome followed unless refused", i+1, d)
				}
			}
			if got := followed(res); !slices.Equal(got, w.followed) || res.Counts.FollowUps != w.f {
				t.Errorf("night %d: followed %q, %+v; want %q, %+v", i+1, got, res.Counts.FollowUps, w.followed, w.f)
			}
			switch i + 1 {
			case 1:
				if res.Counts.Declared != 4 {
					t.Fatalf("night 1 declared %d, want 4", res.Counts.Declared)
				}
			case 3:
				e := reconciletest.FirstException(res, reconcile.DeclareRejected)
				first := cst.DateOf(start).String()
				if e == nil || e.OrderID != "5118609024991000002" || !strings.Contains(e.Message, first) || !strings.Contains(e.Message, "申报失败（FAIL）") ||
					e.PlatformMsg == "" || e.Day() != "2026-11-20" {
					t.Errorf("night 3: the FAIL is %+v; want a DECLARE_REJECTED of order 2 naming night 1 (%s), the state and the platform's message, about the 20th", e, first)
				}
				for _, d := range res.Declarations {
					if d.OrderID == "5118609024991000000" {
						var states []string
						for _, s := range d.States {
							states = append(states, fmt.Sprintf("%s/%v", s.State, s.FollowUp))
						}
						if want := []string{"UNDECLARED/false", "PROCESSING/true", "SUCCESS/true"}; !slices.Equal(states, want) {
							t.Errorf("order 0's states %q, want %q", states, want)
						}
					}
				}
			case 5:
				e := reconciletest.FirstException(res, reconcile.DeclareStuck)
				if e == nil || e.OrderID != "5118609024991000003" || !strings.Contains(e.Message, "4 天后仍未出结果") ||
					!strings.Contains(e.Message, "第 1 次运行") || res.ByCode[reconcile.DeclareStuck] != 1 {
					t.Errorf("night 5: DECLARE_STUCK %+v, %d; want order 3's, once, after 4 days, naming run 1 (not the last run that followed it)", e, res.ByCode[reconcile.DeclareStuck])
				}
			}
		}
		c := e.gw.Counters().Declarations
		if c.New != 4 || c.Conflicting != 0 || c.Repeated != 4+4+1 {
			t.Errorf("gateway: %d new, %d conflicting, %d repeated; want 4, 0 and the 9 follow-ups", c.New, c.Conflicting, c.Repeated)
		}
		assertJournalHealthy(t, e.journal)
	})
}

// TestFollowUpsUnderFaults follows declarations through a gateway that
// fails a third of the calls and bans now and then: nothing is lost (every
// declaration reaches its final state within the nights), none is
// declared again with other parameters, none twice as new.
func TestFollowUpsUnderFaults(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, sandbox.Config{ProcessingAfter: time.Hour, SuccessAfter: 30 * time.Hour, FaultRate: 0.35, Seed: 7}, testOrders(60))
		start := time.Now()
		left := 60
		followedRows := 0
		for n := 1; n <= 8 && left > 0; n++ {
			time.Sleep(time.Until(start.Add(time.Duration(n-1) * 24 * time.Hour)))
			res, err := Run(context.Background(), Config{Window: e.window, Inputs: e.inputs, DefaultCustoms: "NINGBO",
				Engine: fastEngine, FollowUpDays: 7}, Deps{Platform: e.client, Journal: e.journal})
			if err != nil {
				t.Fatalf("night %d: %v", n, err)
			}
			reconciletest.AssertAccounting(t, res)
			// The window is the same each night: a follow-up is told on
			// the earlier run's row of the order, never a second row.
			rows := map[string]int{}
			for _, d := range res.Declarations {
				if rows[d.OrderID]++; rows[d.OrderID] > 1 {
					t.Errorf("night %d: order %s listed twice in the declarations", n, d.OrderID)
				}
				if d.FollowUp {
					followedRows++
				}
				if d.FollowUp && (d.Outcome != reconcile.OutcomeEarlier || d.AcceptedAt.IsZero() || d.AcceptedRunID == 0 ||
					d.Attempts < 2 || !d.LastAttempt.After(d.AcceptedAt)) {
					t.Errorf("night %d: followed row %+v; want the earlier run's, with when and by which run it was accepted", n, d)
				}
			}
			if f := res.Counts.FollowUps; f.Failed != 0 || f.Stuck != 0 || f.Errors != 0 {
				t.Errorf("night %d: %+v; faults must not fail or stick a follow-up", n, f)
			}
			unsettled, err := e.journal.Unsettled(context.Background(), 0)
			if err != nil {
				t.Fatal(err)
			}
			left = len(unsettled)
		}
		if followedRows == 0 {
			t.Error("no declaration row was followed")
		}
		c := e.gw.Counters().Declarations
		if left != 0 || c.New != 60 || c.Conflicting != 0 {
			t.Errorf("%d declarations left unsettled, gateway %d new, %d conflicting; want 0, 60, 0", left, c.New, c.Conflicting)
		}
		ids := make([]string, 60)
		for i := range ids {
			ids[i] = fmt.Sprint(5118609024991000000 + i)
			if d, ok := e.gw.Declaration(ids[i]); !ok || d.State != sandbox.StateSuccess {
				t.Errorf("order %s at the gateway: %+v", ids[i], d)
			}
		}
		ds, _ := e.journal.Declarations(context.Background(), ids)
		for _, id := range ids {
			if d := ds[id]; d.PlatformState != sandbox.StateSuccess || d.SettledAt.IsZero() {
				t.Errorf("order %s in the journal: state %s, settled %v; want SUCCESS, settled", id, d.PlatformState, d.SettledAt)
			}
		}
		assertJournalHealthy(t, e.journal)
	})
}

// BenchmarkFollowUpsAtQPS measures the follow-ups' rate against --qps:
// 100 declarations accepted by one run, followed by the next at QPS 20
// (the default), in real time against the in-process sandbox. The rate
// is reported as followups/s; the limiter bounds it, not the journal.
func BenchmarkFollowUpsAtQPS(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		e := newEnv(b, sandbox.Config{}, testOrders(100))
		engine := fastEngine
		engine.QPS, engine.Concurrency = 20, 8
		fast := fastEngine
		fast.QPS = 10000
		if _, err := Run(context.Background(), Config{Window: e.window, Inputs: e.inputs, DefaultCustoms: "NINGBO", Engine: fast},
			Deps{Platform: e.client, Journal: e.journal}); err != nil {
			b.Fatal(err)
		}
		later := cst.Window{From: e.window.From.AddDays(1), To: e.window.From.AddDays(1)}
		b.StartTimer()
		start := time.Now()
		res, err := Run(context.Background(), Config{Window: later, Inputs: e.inputs, DefaultCustoms: "NINGBO", Engine: engine, FollowUpDays: 7},
			Deps{Platform: e.client, Journal: e.journal})
		if err != nil || res.Counts.FollowUps.Due != 100 {
			b.Fatalf("follow-ups: %+v, %v", res.Counts.FollowUps, err)
		}
		b.ReportMetric(float64(res.Counts.FollowUps.Sent())/time.Since(start).Seconds(), "followups/s")
	}
}
