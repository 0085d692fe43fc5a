package journal

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func decl(order string) Declaration {
	return Declaration{OrderID: order, TransactionID: "4200001234" + order, Customs: "HANGZHOU",
		OrderFee: 12990, ProductFee: 11990, TransportFee: 1000}
}

func declarationsEqual(a, b Declaration) bool {
	return a.OrderID == b.OrderID && a.TransactionID == b.TransactionID && a.Customs == b.Customs &&
		a.OrderFee == b.OrderFee && a.ProductFee == b.ProductFee && a.TransportFee == b.TransportFee &&
		a.State == b.State && a.PlatformState == b.PlatformState && a.Attempts == b.Attempts &&
		a.ErrorCode == b.ErrorCode && a.ErrorMsg == b.ErrorMsg && a.RequestID == b.RequestID &&
		a.FirstAttemptAt.Equal(b.FirstAttemptAt) && a.LastAttemptAt.Equal(b.LastAttemptAt) && a.RunID == b.RunID
}

func getDeclaration(t *testing.T, j *Journal, order string) Declaration {
	t.Helper()
	m, err := j.Declarations(context.Background(), []string{order})
	if err != nil {
		t.Fatal(err)
	}
	d, ok := m[order]
	if !ok {
		t.Fatalf("declaration %s not in the journal", order)
	}
	return d
}

func TestDeclarationLifecycle(t *testing.T) { forEachBackend(t, testDeclarationLifecycle) }

func testDeclarationLifecycle(t *testing.T, b *testBackend) {
	ctx := context.Background()
	j := open(t, b.fresh(t))
	clk := &clock{t: at(2, 0, 0, 0)}
	j.now = clk.Now
	run1 := beginRun(t, j)

	// Each step begins or finishes an attempt; want is the row afterwards.
	d := decl("T100")
	type step struct {
		name    string
		now     time.Time
		run     int64
		begin   *Declaration
		finish  *DeclarationOutcome
		attempt int // the attempt begun (begin) or finished (finish)
		want    Declaration
	}
	fees := func(d Declaration, s DeclarationState, ps string, n int, code, msg, req string, first, last time.Time, run int64) Declaration {
		d.State, d.PlatformState, d.Attempts, d.ErrorCode, d.ErrorMsg, d.RequestID = s, ps, n, code, msg, req
		d.FirstAttemptAt, d.LastAttemptAt, d.RunID = first, last, run
		return d
	}
	changed := d
	changed.TransactionID, changed.OrderFee, changed.ProductFee = "4200009999", 13000, 12000
	steps := []step{
		{name: "first begin", now: at(2, 0, 1, 0), run: run1, begin: &d, attempt: 1,
			want: fees(d, DeclarationInFlight, "", 1, "", "", "", at(2, 0, 1, 0), at(2, 0, 1, 0), run1)},
		{name: "transient failure", now: at(2, 0, 2, 0), run: run1, attempt: 1,
			finish: &DeclarationOutcome{State: DeclarationFailed, ErrorCode: "isp.remote-service-timeout", ErrorMsg: "timeout", RequestID: "r1"},
			want:   fees(d, DeclarationFailed, "", 1, "isp.remote-service-timeout", "timeout", "r1", at(2, 0, 1, 0), at(2, 0, 1, 0), run1)},
		{name: "retry with other parameters", now: at(2, 0, 3, 250), run: run1, begin: &changed, attempt: 2,
			want: fees(changed, DeclarationInFlight, "", 2, "isp.remote-service-timeout", "timeout", "r1", at(2, 0, 1, 0), at(2, 0, 3, 250), run1)},
		{name: "rejected", now: at(2, 0, 4, 0), run: run1, attempt: 2,
			finish: &DeclarationOutcome{State: DeclarationRejected, PlatformState: "FAIL", ErrorCode: "isv.invalid-parameter", ErrorMsg: "bad customs", RequestID: "r2"},
			want:   fees(changed, DeclarationRejected, "FAIL", 2, "isv.invalid-parameter", "bad customs", "r2", at(2, 0, 1, 0), at(2, 0, 3, 250), run1)},
		{name: "third attempt", now: at(2, 0, 5, 0), run: run1, begin: &d, attempt: 3,
			want: fees(d, DeclarationInFlight, "FAIL", 3, "isv.invalid-parameter", "bad customs", "r2", at(2, 0, 1, 0), at(2, 0, 5, 0), run1)},
		{name: "accepted", now: at(2, 0, 6, 0), run: run1, attempt: 3,
			finish: &DeclarationOutcome{State: DeclarationAccepted, PlatformState: "SUBMITTED", RequestID: "r3", At: at(2, 0, 5, 900)},
			want:   fees(d, DeclarationAccepted, "SUBMITTED", 3, "", "", "r3", at(2, 0, 1, 0), at(2, 0, 5, 0), run1)},
	}
	for _, s := range steps {
		clk.Set(s.now)
		if s.begin != nil {
			n, err := j.BeginDeclaration(ctx, s.run, *s.begin)
			if err != nil {
				t.Fatalf("%s: BeginDeclaration: %v", s.name, err)
			}
			if n != s.attempt {
				t.Errorf("%s: attempt = %d, want %d", s.name, n, s.attempt)
			}
		} else if err := j.FinishDeclaration(ctx, s.run, d.OrderID, s.attempt, *s.finish); err != nil {
			t.Fatalf("%s: FinishDeclaration: %v", s.name, err)
		}
		if got := getDeclaration(t, j, d.OrderID); !declarationsEqual(got, s.want) {
			t.Errorf("%s: row\n got %+v\nwant %+v", s.name, got, s.want)
		}
	}

	// The attempts log holds every call, written before and completed after.
	got, err := j.Attempts(ctx, run1)
	if err != nil {
		t.Fatal(err)
	}
	want := []Attempt{
		{RunID: run1, Kind: KindDeclaration, Key: "T100", Attempt: 1, StartedAt: at(2, 0, 1, 0), EndedAt: at(2, 0, 2, 0),
			Outcome: "failed", ErrorCode: "isp.remote-service-timeout", ErrorMsg: "timeout", RequestID: "r1"},
		{RunID: run1, Kind: KindDeclaration, Key: "T100", Attempt: 2, StartedAt: at(2, 0, 3, 250), EndedAt: at(2, 0, 4, 0),
			Outcome: "rejected", ErrorCode: "isv.invalid-parameter", ErrorMsg: "bad customs", RequestID: "r2"},
		{RunID: run1, Kind: KindDeclaration, Key: "T100", Attempt: 3, StartedAt: at(2, 0, 5, 0), EndedAt: at(2, 0, 5, 900),
			Outcome: "accepted", RequestID: "r3"},
	}
	checkAttempts(t, got, want)

	// A later run continues the count and takes over last_run_id.
	if err := j.EndRun(ctx, run1, RunEnd{Status: RunCompleted}); err != nil {
		t.Fatal(err)
	}
	clk.Set(at(3, 0, 0, 0))
	run2 := beginRun(t, j)
	n, err := j.BeginDeclaration(ctx, run2, d)
	if err != nil || n != 4 {
		t.Fatalf("BeginDeclaration in run 2 = %d, %v; want attempt 4", n, err)
	}
	if got := getDeclaration(t, j, d.OrderID); got.RunID != run2 || got.Attempts != 4 || !got.FirstAttemptAt.Equal(at(2, 0, 1, 0)) {
		t.Errorf("row after run 2 began: %+v, want run %d, attempt 4, first attempt kept", got, run2)
	}
	if a, _ := j.Attempts(ctx, run2); len(a) != 1 || a[0].Attempt != 4 || !a[0].EndedAt.IsZero() || a[0].Outcome != "" {
		t.Errorf("attempts of run 2 = %+v, want one unfinished attempt 4", a)
	}
}

func checkAttempts(t *testing.T, got, want []Attempt) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d attempts, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		g, w := got[i], want[i]
		g.ID = 0
		if !g.StartedAt.Equal(w.StartedAt) || !g.EndedAt.Equal(w.EndedAt) {
			t.Errorf("attempt %d times = %v..%v, want %v..%v", i, g.StartedAt, g.EndedAt, w.StartedAt, w.EndedAt)
		}
		g.StartedAt, g.EndedAt, w.StartedAt, w.EndedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		if g != w {
			t.Errorf("attempt %d\n got %+v\nwant %+v", i, g, w)
		}
	}
}

func TestBeginDeclarationRefuses(t *testing.T) { forEachBackend(t, testBeginDeclarationRefuses) }

func testBeginDeclarationRefuses(t *testing.T, b *testBackend) {
	ctx := context.Background()
	path := b.fresh(t)
	j := open(t, path)

	ended := beginRun(t, j)
	accepted := decl("ACC")
	n, err := j.BeginDeclaration(ctx, ended, accepted)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.FinishDeclaration(ctx, ended, accepted.OrderID, n, DeclarationOutcome{State: DeclarationAccepted, PlatformState: "SUCCESS"}); err != nil {
		t.Fatal(err)
	}
	rejected := decl("REJ")
	n, _ = j.BeginDeclaration(ctx, ended, rejected)
	if err := j.FinishDeclaration(ctx, ended, rejected.OrderID, n, DeclarationOutcome{State: DeclarationRejected}); err != nil {
		t.Fatal(err)
	}
	if err := j.EndRun(ctx, ended, RunEnd{Status: RunCompleted}); err != nil {
		t.Fatal(err)
	}
	dry, err := j.BeginRun(ctx, RunStart{From: "2026-11-20", To: "2026-11-20", DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.EndRun(ctx, dry, RunEnd{Status: RunCompleted}); err != nil {
		t.Fatal(err)
	}
	live := beginRun(t, j)
	other := func(f func(*Declaration)) Declaration {
		d := accepted
		f(&d)
		return d
	}
	tests := []struct {
		name   string
		run    int64
		d      Declaration
		want   error
		substr string
	}{
		{"ended run", ended, decl("NEW"), ErrRunNotRunning, "is completed"},
		{"unknown run", 999, decl("NEW"), ErrRunNotRunning, "does not exist"},
		{"empty order id", live, Declaration{}, nil, "empty order id"},
		{"accepted with another transaction", live, other(func(d *Declaration) { d.TransactionID = "X" }), ErrConflict, `transaction id "4200001234ACC", now "X"`},
		{"accepted with other customs", live, other(func(d *Declaration) { d.Customs = "NINGBO" }), ErrConflict, `customs "HANGZHOU", now "NINGBO"`},
		{"accepted with other fees", live, other(func(d *Declaration) { d.TransportFee, d.ProductFee = 0, 12990 }), ErrConflict,
			"fees 12990 = 11990 + 1000 fen, now 12990 = 12990 + 0 fen"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := j.BeginDeclaration(ctx, tt.run, tt.d)
			if err == nil {
				t.Fatal("BeginDeclaration succeeded, want an error")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.substr) || !strings.Contains(err.Error(), path.name()) {
				t.Errorf("error %q does not contain %q and the path", err, tt.substr)
			}
		})
	}
	var ce *ConflictError
	_, err = j.BeginDeclaration(ctx, live, other(func(d *Declaration) { d.Customs = "NINGBO" }))
	if !errors.As(err, &ce) || ce.Existing.RunID != ended || ce.Existing.State != DeclarationAccepted || ce.Wanted.Customs != "NINGBO" {
		t.Errorf("conflict error = %#v, want the accepted row of run %d and the wanted parameters", err, ended)
	}

	// None of the refusals wrote anything.
	m, err := j.Declarations(ctx, []string{"NEW", "ACC", ""})
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 1 || m["ACC"].Attempts != 1 || m["ACC"].State != DeclarationAccepted {
		t.Errorf("declarations after refusals = %+v, want only ACC, accepted after 1 attempt", m)
	}
	if a, _ := j.Attempts(ctx, live); len(a) != 0 {
		t.Errorf("attempts of the live run = %+v, want none", a)
	}

	// What is allowed: the same parameters again on an accepted order, and
	// other parameters on a rejected one.
	if n, err := j.BeginDeclaration(ctx, live, accepted); err != nil || n != 2 {
		t.Errorf("re-declaring an accepted order with the same parameters = %d, %v; want attempt 2", n, err)
	}
	changed := rejected
	changed.Customs = "NINGBO"
	if n, err := j.BeginDeclaration(ctx, live, changed); err != nil || n != 2 {
		t.Errorf("re-declaring a rejected order with other parameters = %d, %v; want attempt 2", n, err)
	}
}

func TestBeginRefusesDryRun(t *testing.T) { forEachBackend(t, testBeginRefusesDryRun) }

func testBeginRefusesDryRun(t *testing.T, b *testBackend) {
	ctx := context.Background()
	j := open(t, b.fresh(t))
	id, err := j.BeginRun(ctx, RunStart{From: "2026-11-20", To: "2026-11-20", DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.BeginDeclaration(ctx, id, decl("D1")); !errors.Is(err, ErrDryRun) {
		t.Errorf("BeginDeclaration in a dry run: got %v, want ErrDryRun", err)
	}
	if _, err := j.BeginCallback(ctx, id, Callback{Key: CallbackKey{"k", 1}}); !errors.Is(err, ErrDryRun) {
		t.Errorf("BeginCallback in a dry run: got %v, want ErrDryRun", err)
	}
	if _, err := j.BeginMaterials(ctx, id, "D1"); !errors.Is(err, ErrDryRun) {
		t.Errorf("BeginMaterials in a dry run: got %v, want ErrDryRun", err)
	}
	if m, _ := j.Declarations(ctx, []string{"D1"}); len(m) != 0 {
		t.Errorf("a dry run wrote a declaration: %+v", m)
	}
}

func TestFinishDeclarationRefuses(t *testing.T) { forEachBackend(t, testFinishDeclarationRefuses) }

func testFinishDeclarationRefuses(t *testing.T, b *testBackend) {
	ctx := context.Background()
	j := open(t, b.fresh(t))
	run := beginRun(t, j)
	d := decl("F1")
	n, err := j.BeginDeclaration(ctx, run, d)
	if err != nil {
		t.Fatal(err)
	}
	ok := DeclarationOutcome{State: DeclarationAccepted, PlatformState: "SUCCESS"}
	tests := []struct {
		name    string
		run     int64
		order   string
		attempt int
		o       DeclarationOutcome
		want    error
	}{
		{"in_flight is not an outcome", run, "F1", n, DeclarationOutcome{State: DeclarationInFlight}, nil},
		{"empty state", run, "F1", n, DeclarationOutcome{}, nil},
		{"unknown state", run, "F1", n, DeclarationOutcome{State: "done"}, nil},
		{"attempt never begun", run, "F1", n + 1, ok, ErrNoAttempt},
		{"order never begun", run, "F2", 1, ok, ErrNoAttempt},
		{"other run", run + 1, "F1", n, ok, ErrNoAttempt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := j.FinishDeclaration(ctx, tt.run, tt.order, tt.attempt, tt.o)
			if err == nil {
				t.Fatal("FinishDeclaration succeeded, want an error")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
	if got := getDeclaration(t, j, "F1"); got.State != DeclarationInFlight {
		t.Errorf("after refused finishes the row is %s, want in_flight", got.State)
	}
	if err := j.FinishDeclaration(ctx, run, "F1", n, ok); err != nil {
		t.Fatal(err)
	}
	if err := j.FinishDeclaration(ctx, run, "F1", n, DeclarationOutcome{State: DeclarationFailed}); !errors.Is(err, ErrNoAttempt) {
		t.Errorf("finishing twice: got %v, want ErrNoAttempt", err)
	}
	if got := getDeclaration(t, j, "F1"); got.State != DeclarationAccepted {
		t.Errorf("after a refused second finish the row is %s, want accepted", got.State)
	}
}

func TestFinishOfAnOlderAttempt(t *testing.T) { forEachBackend(t, testFinishOfAnOlderAttempt) }

func testFinishOfAnOlderAttempt(t *testing.T, b *testBackend) {
	// Attempt 1 finishes after attempt 2 began: the log records it, the row
	// keeps describing attempt 2.
	ctx := context.Background()
	j := open(t, b.fresh(t))
	run := beginRun(t, j)
	d := decl("S1")
	a1, _ := j.BeginDeclaration(ctx, run, d)
	a2, _ := j.BeginDeclaration(ctx, run, d)
	if err := j.FinishDeclaration(ctx, run, d.OrderID, a1, DeclarationOutcome{State: DeclarationFailed, ErrorCode: "old"}); err != nil {
		t.Fatal(err)
	}
	if got := getDeclaration(t, j, d.OrderID); got.State != DeclarationInFlight || got.Attempts != a2 || got.ErrorCode != "" {
		t.Errorf("row = %+v, want attempt %d in flight, untouched by attempt %d", got, a2, a1)
	}
	if err := j.FinishDeclaration(ctx, run, d.OrderID, a2, DeclarationOutcome{State: DeclarationAccepted}); err != nil {
		t.Fatal(err)
	}
	a, _ := j.Attempts(ctx, run)
	if len(a) != 2 || a[0].Outcome != "failed" || a[1].Outcome != "accepted" {
		t.Errorf("attempts = %+v, want failed then accepted", a)
	}
}

func TestDeclarationsBulk(t *testing.T) { forEachBackend(t, testDeclarationsBulk) }

func testDeclarationsBulk(t *testing.T, b *testBackend) {
	ctx := context.Background()
	j := open(t, b.fresh(t))
	run := beginRun(t, j)
	const stored = 1234
	for i := range stored {
		d := decl(fmt.Sprintf("B%05d", i))
		d.OrderFee = int64(i) * 100
		n, err := j.BeginDeclaration(ctx, run, d)
		if err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			if err := j.FinishDeclaration(ctx, run, d.OrderID, n, DeclarationOutcome{State: DeclarationAccepted}); err != nil {
				t.Fatal(err)
			}
		}
	}
	tests := []struct {
		name string
		ids  []string
		want int
	}{
		{"none", nil, 0},
		{"one", []string{"B00007"}, 1},
		{"missing only", []string{"nope", "B99999"}, 0},
		{"exactly one chunk", ids("B%05d", 0, chunk), chunk},
		{"one chunk and one", ids("B%05d", 0, chunk+1), chunk + 1},
		// 2,500 ids: every stored one, 1,266 that are not, and repeats.
		{"more than 1000 with missing and repeats", append(ids("B%05d", 0, 2500), ids("B%05d", 0, 10)...), stored},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := j.Declarations(ctx, tt.ids)
			if err != nil {
				t.Fatal(err)
			}
			if len(m) != tt.want {
				t.Errorf("%d declarations, want %d", len(m), tt.want)
			}
			for id, d := range m {
				var i int
				fmt.Sscanf(id, "B%05d", &i)
				wantState := DeclarationInFlight
				if i%2 == 0 {
					wantState = DeclarationAccepted
				}
				if d.OrderID != id || d.OrderFee != int64(i)*100 || d.State != wantState || d.RunID != run {
					t.Errorf("declaration %s = %+v, want fee %d, state %s", id, d, i*100, wantState)
				}
			}
		})
	}
}

// ids returns fmt.Sprintf(format, i) for i in [from, to).
func ids(format string, from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf(format, i))
	}
	return out
}

func TestCancelledContext(t *testing.T) { forEachBackend(t, testCancelledContext) }

func testCancelledContext(t *testing.T, b *testBackend) {
	j := open(t, b.fresh(t))
	run := beginRun(t, j)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := j.BeginDeclaration(ctx, run, decl("X1")); !errors.Is(err, context.Canceled) {
		t.Errorf("BeginDeclaration with a cancelled context: got %v, want context.Canceled", err)
	}
	if _, err := j.Declarations(ctx, []string{"X1"}); !errors.Is(err, context.Canceled) {
		t.Errorf("Declarations with a cancelled context: got %v, want context.Canceled", err)
	}
	if m, _ := j.Declarations(context.Background(), []string{"X1"}); len(m) != 0 {
		t.Errorf("a cancelled Begin wrote %+v", m)
	}
}
