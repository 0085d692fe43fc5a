package batch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/crossborder/reconcile/internal/cst"
	"github.com/crossborder/reconcile/internal/reconcile"
	"github.com/crossborder/reconcile/internal/reconcile/reconciletest"
	"github.com/crossborder/reconcile/internal/top/sandbox"
)

// buyerOrders writes orders of one buyer: each "id fee paid_at", their
// payments and no clearance rows.
func buyerOrders(rows ...string) reconciletest.Exports {
	var o, p strings.Builder
	for _, r := range rows {
		f := strings.SplitN(r, " ", 3)
		fmt.Fprintf(&o, "%s,%s,0,%s,,%s,\n", f[0], f[1], f[1], f[2])
		fmt.Fprintf(&p, "4200000000%018s,%s,%s,SUCCESS,,%s\n", f[0], f[0], f[1], f[2])
	}
	return reconciletest.Exports{Orders: []string{o.String()}, Payments: []string{p.String()}}
}

// The annual limit at its edges and across a calendar year's end: one
// buyer, declared 25,000.00 of 2026 on the 30th of December; on the 31st
// an order of 1,000.00 takes the year to exactly 26,000.00 (declared), one
// of 0.01 past it (LIMIT_EXCEEDED); at 00:00:00 of 2027 the total starts
// again. A refund seen of a declared order makes room again.
func TestTheAnnualLimit(t *testing.T) {
	const buyerID = "11010519491231002X"
	ids := []string{"5118609024991100001", "5118609024991100002", "5118609024991100003", "5118609024991100004", "5118609024991100005",
		"5118609024991100006", "5118609024991100007", "5118609024991100008", "5118609024991100009"}
	mats := map[string]sandbox.Materials{}
	for _, id := range ids {
		mats[id] = sandbox.Materials{Name: "张三", ID: buyerID, Expiry: sandbox.Permanent}
	}
	night1 := buyerOrders(ids[0]+" 5000.00 2026-12-30 10:00:00", ids[1]+" 5000.00 2026-12-30 10:01:00", ids[2]+" 5000.00 2026-12-30 10:02:00",
		ids[3]+" 5000.00 2026-12-30 10:03:00", ids[4]+" 5000.00 2026-12-30 10:04:00")
	e := newEnv(t, sandbox.Config{Materials: mats}, night1)
	key := []byte("a buyer key of the test, 32 bytes")
	engine := fastEngine
	engine.Concurrency = 1 // the orders one after the other, in the order read
	run := func(from, to string, in reconcile.Inputs) *reconcile.Result {
		t.Helper()
		w, err := cst.ParseWindow("", from, to, e.window.From.Start())
		if err != nil {
			t.Fatal(err)
		}
		res, err := Run(context.Background(), Config{Window: w, Inputs: in, DefaultCustoms: "NINGBO", Engine: engine,
			CheckMaterials: true, OrderLimit: 500_000, AnnualLimit: 2_600_000, BuyerKey: key}, Deps{Platform: e.client, Journal: e.journal})
		if err != nil {
			t.Fatalf("run %s..%s: %v", from, to, err)
		}
		reconciletest.AssertAccounting(t, res)
		return res
	}
	if res := run("2026-12-30", "2026-12-30", e.inputs); res.Counts.Declared != 5 {
		t.Fatalf("night 1 declared %d, want 5", res.Counts.Declared)
	}

	night2 := buyerOrders(ids[5]+" 1000.00 2026-12-31 23:00:00", ids[6]+" 0.01 2026-12-31 23:59:59", ids[7]+" 5000.00 2027-01-01 00:00:00")
	in2 := reconciletest.WriteExports(t, t.TempDir(), night2)
	res := run("2026-12-31", "2027-01-01", in2)
	if got, want := reconciletest.ExceptionKeys(res), []string{"LIMIT_EXCEEDED " + ids[6] + " 4200000000" + ids[6]}; !slices.Equal(got, want) {
		t.Errorf("night 2: exceptions %q, want %q", got, want)
	}
	e1 := reconciletest.FirstException(res, reconcile.LimitExceeded)
	if e1 == nil || !e1.HasAmounts || e1.Expected != 2_600_000 || e1.Actual != 2_600_001 || !strings.Contains(e1.Message, "2026 年已申报 ¥26000.00") ||
		strings.Contains(e1.Message, buyerID) || strings.Contains(e1.Message, "张三") {
		t.Errorf("night 2: %+v; want the limit and the year's total with this order, no ID number or name", e1)
	}
	if res.Counts.Declared != 2 {
		t.Errorf("night 2 declared %d, want 2 (26,000.00 exactly, and 2027's first)", res.Counts.Declared)
	}

	// A refund of one of night 1's orders: the 0.01 fits now.
	refund := reconciletest.Exports{Orders: night2.Orders, Payments: []string{night2.Payments[0] +
		"4200000000" + fmt.Sprintf("%018s", ids[0]) + "," + ids[0] + ",5000.00,REFUND,5000.00,2027-01-01 09:00:00\n"}}
	in3 := reconciletest.WriteExports(t, t.TempDir(), refund)
	res = run("2026-12-31", "2027-01-01", in3)
	if res.ByCode[reconcile.LimitExceeded] != 0 || res.Counts.Declared != 1 {
		t.Errorf("after the refund: %v, declared %d; want the 0.01 declared", res.ByCode, res.Counts.Declared)
	}

	// The journal knows the buyer only by a keyed hash: no ID number, no
	// name, in the file or its WAL.
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(e.journal.Path() + suffix)
		if err != nil && suffix == "" {
			t.Fatal(err)
		}
		for _, pii := range []string{buyerID, "110105194912310", "张三"} {
			if bytes.Contains(b, []byte(pii)) {
				t.Errorf("the journal%s holds %q", suffix, pii)
			}
		}
	}
	ds, _ := e.journal.Declarations(context.Background(), ids[:1])
	if b := ds[ids[0]].Buyer; len(b) != 64 || ds[ids[0]].RefundedAt.IsZero() {
		t.Errorf("order 1 in the journal: buyer %q, refunded %v; want a 64-digit hash, refunded", b, ds[ids[0]].RefundedAt)
	}
}

// A changed buyer key is a note: the totals of earlier declarations no
// longer count.
func TestAChangedBuyerKeyIsANote(t *testing.T) {
	e := newEnv(t, sandbox.Config{}, testOrders(2))
	for i, key := range []string{"the first key of the test!", "the first key of the test!", "another key of the test!!!"} {
		res, err := Run(context.Background(), Config{Window: e.window, Inputs: e.inputs, DefaultCustoms: "NINGBO", Engine: fastEngine,
			CheckMaterials: true, AnnualLimit: 2_600_000, BuyerKey: []byte(key)}, Deps{Platform: e.client, Journal: e.journal})
		if err != nil {
			t.Fatal(err)
		}
		noted := slices.ContainsFunc(res.Notes, func(n reconcile.Note) bool {
			return strings.Contains(n.Text, "key the buyers are hashed with has changed")
		})
		if noted != (i == 2) {
			t.Errorf("run %d: noted %v, want %v", i+1, noted, i == 2)
		}
	}
	v, _ := e.journal.Meta(context.Background(), buyerKeyMeta)
	if len(v) != 16 || strings.Contains(v, "key") {
		t.Errorf("the journal keeps %q of the key; want its 16-digit id", v)
	}
	// Without a key, the annual limit cannot work: a preflight error.
	_, err := Run(context.Background(), Config{Window: e.window, Inputs: e.inputs, DefaultCustoms: "NINGBO", Engine: fastEngine,
		CheckMaterials: true, AnnualLimit: 2_600_000}, Deps{Platform: e.client, Journal: e.journal})
	var pe *PreflightError
	if !asPreflight(err, &pe) || !strings.Contains(err.Error(), "--pii-key-file") {
		t.Errorf("no key: %v, want a preflight error naming --pii-key-file", err)
	}
}

func asPreflight(err error, pe **PreflightError) bool { return errors.As(err, pe) }
