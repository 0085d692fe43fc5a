package main

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/crossborder/reconcile/internal/batch"
	"github.com/crossborder/reconcile/internal/cst"
	"github.com/crossborder/reconcile/internal/dispatch"
	"github.com/crossborder/reconcile/internal/gen"
	"github.com/crossborder/reconcile/internal/journal"
	"github.com/crossborder/reconcile/internal/reconcile"
	"github.com/crossborder/reconcile/internal/report"
	"github.com/crossborder/reconcile/internal/top"
	"github.com/crossborder/reconcile/internal/top/sandbox"
)

// sheetStats reads a list sheet of a workbook: its data rows and the sum
// of its attempts column (1-based col).
func sheetStats(t *testing.T, path, sheet string, attempts bool) (rows, total int) {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	all, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	// The header is the row that starts with 订单号 (a subtotal row is
	// above it); the attempts are in its 尝试次数 column.
	head, col := -1, -1
	for i, r := range all {
		if len(r) > 0 && r[0] == "订单号" {
			head, col = i, slices.Index(r, "尝试次数")
			break
		}
	}
	if head < 0 || attempts && col < 0 {
		t.Fatalf("%s %s: no header with 订单号 and 尝试次数: %q", path, sheet, all[:min(3, len(all))])
	}
	for _, r := range all[head+1:] {
		rows++
		if attempts && len(r) > col {
			n, err := strconv.Atoi(r[col])
			if err != nil {
				t.Fatalf("%s %s: attempts %q", path, sheet, r[col])
			}
			total += n
		}
	}
	return rows, total
}

// TestFaultMatrix runs the job against the sandbox with each fault kind at
// 5% and 20%, rerunning until everything is declared and sent (at most
// three runs), then checks that the journal, the gateway's counters and
// the workbooks agree, and that nothing was lost or declared twice beyond
// the repeats of lost answers.
func TestFaultMatrix(t *testing.T) {
	for _, kind := range []sandbox.Fault{sandbox.FaultISP, sandbox.FaultHTTP502, sandbox.FaultDrop, sandbox.FaultLost, sandbox.FaultBan} {
		for _, rate := range []float64{0.05, 0.20} {
			t.Run(fmt.Sprintf("%s/%.0f%%", kind, rate*100), func(t *testing.T) {
				n := 150
				if kind == sandbox.FaultBan {
					n = 30 // every ban pauses every call for a second
				}
				faultMatrixCase(t, kind, rate, n)
			})
		}
	}
}

func faultMatrixCase(t *testing.T, kind sandbox.Fault, rate float64, n int) {
	gw := sandbox.New(sandbox.Config{AppKey: e2eAppKey, Secret: e2eSecret, Session: e2eSession,
		FaultRate: rate, Faults: []sandbox.Fault{kind}, Seed: uint64(rate * 1000), BanSeconds: 1})
	srv := httptest.NewServer(gw)
	defer srv.Close()
	dir := t.TempDir()
	m, err := gen.Write(filepath.Join(dir, "night"), gen.Spec{Orders: n, Clearance: n, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	day, _ := cst.ParseDate(m.Day)
	j, err := journal.Open(context.Background(), filepath.Join(dir, "reconcile.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	client, err := top.NewClient(top.WithGateway(srv.URL+sandbox.Path), top.WithAppKey(e2eAppKey), top.WithSecret(e2eSecret),
		top.WithSession(e2eSession), top.WithTimeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}

	declared, sent, runs := 0, 0, 0
	var calls int
	for runs < 3 && (declared < m.Eligible || sent < m.Pending) {
		runs++
		path := filepath.Join(dir, fmt.Sprintf("run%d", runs), "reconcile.xlsx")
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		res, err := batch.Run(context.Background(), batch.Config{
			Window: cst.Window{From: day, To: day}, DefaultCustoms: "NINGBO", ReportPath: path,
			Inputs: reconcile.Inputs{Orders: m.Files.Orders, Payments: m.Files.Payments, Clearance: m.Files.Clearance},
			Engine: dispatch.Config{Concurrency: 8, QPS: 1000, BackoffBase: 2 * time.Millisecond, BackoffMax: 20 * time.Millisecond, MaxAttempts: 3},
		}, batch.Deps{Platform: client, Journal: j, Report: &report.Writer{}})
		if err != nil {
			t.Fatalf("run %d: %v", runs, err)
		}
		declared += res.Counts.Declared
		sent += res.Counts.CallbacksSent
		calls += res.Counts.Calls

		// The workbook of the run agrees with its result and its journal.
		excRows, _ := sheetStats(t, path, "异常明细", false)
		declRows, declAttempts := sheetStats(t, path, "申报记录", true)
		cbRows, cbAttempts := sheetStats(t, path, "回传记录", true)
		if excRows != len(res.Exceptions) || declRows != len(res.Declarations) || cbRows != len(res.Callbacks) {
			t.Errorf("run %d: workbook rows %d/%d/%d, result %d/%d/%d", runs, excRows, declRows, cbRows,
				len(res.Exceptions), len(res.Declarations), len(res.Callbacks))
		}
		atts, err := j.Attempts(context.Background(), res.RunID)
		if err != nil {
			t.Fatal(err)
		}
		perKind := map[journal.AttemptKind]int{}
		for _, a := range atts {
			perKind[a.Kind]++
			if a.Outcome == "" {
				t.Errorf("run %d left attempt %d of %s %s in flight", runs, a.Attempt, a.Kind, a.Key)
			}
		}
		// The workbook lists the declarations and callbacks of earlier
		// runs too (OutcomeEarlier), with their attempts: this run's are
		// the journal's attempts of this run.
		var mine, all [2]int
		for _, d := range res.Declarations {
			all[0] += d.Attempts
			if d.Outcome != reconcile.OutcomeEarlier {
				mine[0] += d.Attempts
			}
		}
		for _, c := range res.Callbacks {
			all[1] += c.Attempts
			if c.Outcome != reconcile.OutcomeEarlier {
				mine[1] += c.Attempts
			}
		}
		if all != [2]int{declAttempts, cbAttempts} || mine != [2]int{perKind[journal.KindDeclaration], perKind[journal.KindCallback]} {
			t.Errorf("run %d: journal attempts %d declarations / %d callbacks, result %v of this run; workbook %d / %d, result %v in all", runs,
				perKind[journal.KindDeclaration], perKind[journal.KindCallback], mine, declAttempts, cbAttempts, all)
		}
		if res.Counts.Calls != len(atts) {
			t.Errorf("run %d: %d calls counted, %d attempts journaled", runs, res.Counts.Calls, len(atts))
		}
	}
	if declared != m.Eligible || sent != m.Pending {
		t.Fatalf("after %d runs: %d of %d declared, %d of %d sent", runs, declared, m.Eligible, sent, m.Pending)
	}

	// The gateway saw every journaled attempt, and holds exactly the
	// eligible orders, each declared once unless an answer was lost.
	c := gw.Counters()
	if got := c.Requests[top.MethodClearanceDeclareWechat] + c.Requests[top.MethodClearanceInfoSend]; got != calls {
		t.Errorf("the gateway saw %d calls, the journal holds %d attempts", got, calls)
	}
	if c.Declarations.New != m.Eligible || c.Callbacks.New != m.Pending {
		t.Errorf("the gateway holds %d declarations and %d callbacks, want %d and %d", c.Declarations.New, c.Callbacks.New, m.Eligible, m.Pending)
	}
	repeats := 0
	for _, k := range c.Declarations.Effects {
		repeats += k - 1
	}
	if lost := c.Faults[sandbox.FaultLost]; repeats > lost || kind != sandbox.FaultLost && repeats != 0 {
		t.Errorf("%d declarations repeated with %d answers lost", repeats, lost)
	}
	var ids []string
	for id := range c.Declarations.Effects {
		ids = append(ids, id)
	}
	held, err := j.Declarations(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if d, ok := gw.Declaration(id); !ok || !d.Held || held[id].State != journal.DeclarationAccepted {
			t.Errorf("order %s: the gateway holds %v, the journal says %q", id, ok && d.Held, held[id].State)
		}
	}
	if err := j.Check(context.Background()); err != nil {
		t.Errorf("journal: %v", err)
	}
	t.Logf("%d runs, %d calls, faults %v, %d repeats", runs, calls, c.Faults, repeats)
}
