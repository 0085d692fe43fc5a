package gen_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/crossborder/reconcile/internal/batch"
	"github.com/crossborder/reconcile/internal/cst"
	"github.com/crossborder/reconcile/internal/dispatch"
	"github.com/crossborder/reconcile/internal/gen"
	"github.com/crossborder/reconcile/internal/journal"
	"github.com/crossborder/reconcile/internal/reconcile"
	"github.com/crossborder/reconcile/internal/top"
	"github.com/crossborder/reconcile/internal/top/sandbox"
)

// mixed gives every order anomaly a share: 1% to 3% each.
var mixed = map[gen.Anomaly]float64{
	gen.FeeMismatch: 0.02, gen.PaymentMissing: 0.015, gen.PaymentDuplicate: 0.01, gen.AmountMismatch: 0.02,
	gen.Refunded: 0.03, gen.Revoked: 0.01, gen.Orphan: 0.015, gen.OrderDuplicate: 0.01, gen.IdenticalRepeat: 0.02,
	gen.PaidLater: 0.01, gen.InvalidRow: 0.02, gen.Unpaid: 0.03, gen.Midnight: 0.01, gen.OutsideWindow: 0.02,
	gen.PaymentRepeat: 0.01, gen.CallbackInvalid: 0.05,
}

// fees and edits are the money's anomalies, to add to mixed.
var (
	fees  = map[gen.Anomaly]float64{gen.FeeError: 0.02, gen.FeeHalfDown: 0.02, gen.LegacyFee: 0.02}
	edits = map[gen.Anomaly]float64{gen.EditedBill: 0.02, gen.TruncatedBill: 0.01}
)

// with returns the shares of m and of more.
func with(m, more map[gen.Anomaly]float64) map[gen.Anomaly]float64 {
	out := map[gen.Anomaly]float64{}
	for _, x := range []map[gen.Anomaly]float64{m, more} {
		for a, f := range x {
			out[a] = f
		}
	}
	return out
}

// heavy gives every anomaly 4%: most orders have one.
func heavy() map[gen.Anomaly]float64 {
	m := map[gen.Anomaly]float64{}
	for _, a := range gen.Anomalies() {
		m[a] = 0.04
	}
	m[gen.CallbackInvalid] = 0.3
	return m
}

func withCustoms(m map[gen.Anomaly]float64, nocustoms float64) map[gen.Anomaly]float64 {
	out := map[gen.Anomaly]float64{gen.NoCustoms: nocustoms}
	for a, f := range m {
		if a != gen.NoCustoms {
			out[a] = f
		}
	}
	return out
}

func without(m map[gen.Anomaly]float64, a gen.Anomaly) map[gen.Anomaly]float64 {
	out := map[gen.Anomaly]float64{}
	for k, f := range m {
		if k != a {
			out[k] = f
		}
	}
	return out
}

type oracleCase struct {
	name string
	spec gen.Spec
}

func oracleCases() []oracleCase {
	cases := []oracleCase{
		{"empty", gen.Spec{}},
		{"one order", gen.Spec{Orders: 1, Seed: 7}},
		{"one order gbk", gen.Spec{Orders: 1, Seed: 8, GBK: true, Clearance: 1}},
		{"500 clean", gen.Spec{Orders: 500, Seed: 1, Clearance: 40}},
		{"500 mixed utf8 next-day bill", gen.Spec{Orders: 500, Seed: 2, Shares: mixed, Clearance: 60, NextDayBill: true}},
		{"500 mixed gbk one bill", gen.Spec{Orders: 500, Seed: 3, Shares: mixed, Clearance: 60, GBK: true}},
		{"500 heavy gbk customs", gen.Spec{Orders: 500, Seed: 4, Shares: withCustoms(heavy(), 0.05), Customs: "NINGBO", Clearance: 80, GBK: true, NextDayBill: true}},
		{"500 heavy other day", gen.Spec{Day: cst.Date{Year: 2027, Month: 1, Day: 1}, Orders: 500, Seed: 5, Shares: without(heavy(), gen.NoCustoms), Clearance: 9}},
		{"300 mixed xlsx", gen.Spec{Orders: 300, Seed: 6, Shares: mixed, XLSX: true, NextDayBill: true, Clearance: 10}},
		{"300 heavy xlsx gbk bills customs", gen.Spec{Orders: 300, Seed: 9, Shares: withCustoms(heavy(), 0.05), Customs: "SHANGHAI_JG", XLSX: true, GBK: true}},
		{"20000 mixed utf8", gen.Spec{Orders: 20_000, Seed: 10, Shares: mixed, Clearance: 2_000, NextDayBill: true}},
		{"20000 heavy gbk", gen.Spec{Orders: 20_000, Seed: 11, Shares: without(heavy(), gen.NoCustoms), Clearance: 1_001, GBK: true}},
	}
	// The money: fee errors and the fees accepted, at other rates; bills
	// edited and truncated, with and without the next day's bill.
	cases = append(cases,
		oracleCase{"500 fees 0.38%", gen.Spec{Orders: 500, Seed: 13, FeeRate: 38, Shares: with(mixed, fees), NextDayBill: true}},
		oracleCase{"500 fees 1% gbk", gen.Spec{Orders: 500, Seed: 14, FeeRate: 100, GBK: true, Shares: with(mixed, fees)}},
		oracleCase{"500 edited and truncated one bill", gen.Spec{Orders: 500, Seed: 15, Shares: with(mixed, edits)}},
		oracleCase{"500 edited and truncated gbk next-day bill", gen.Spec{Orders: 500, Seed: 16, GBK: true, Shares: with(mixed, edits), NextDayBill: true}},
		oracleCase{"500 mixed pasted bills", gen.Spec{Orders: 500, Seed: 18, Shares: with(mixed, fees), PasteBills: true, Clearance: 30}},
		oracleCase{"500 heavy pasted bills gbk", gen.Spec{Orders: 500, Seed: 19, Shares: without(heavy(), gen.NoCustoms), PasteBills: true, GBK: true}},
		oracleCase{"500 pasted bills, the day's edited", gen.Spec{Orders: 500, Seed: 20, Shares: with(mixed, map[gen.Anomaly]float64{gen.EditedBill: 0.02}), PasteBills: true}},
		oracleCase{"500 pasted bills, the day's truncated", gen.Spec{Orders: 500, Seed: 21, Shares: with(mixed, edits), PasteBills: true, GBK: true}},
		oracleCase{"500 global HKD", gen.Spec{Orders: 500, Seed: 22, Global: "HKD", Shares: with(mixed, fees), Clearance: 20}},
		oracleCase{"500 global USD gbk next-day 0.38%", gen.Spec{Orders: 500, Seed: 23, Global: "USD", GBK: true, FeeRate: 38, NextDayBill: true, Shares: with(mixed, fees)}},
		oracleCase{"500 global heavy EUR", gen.Spec{Orders: 500, Seed: 24, Global: "EUR", NextDayBill: true, Shares: without(heavy(), gen.NoCustoms)}},
		oracleCase{"500 global edited and truncated unseen", gen.Spec{Orders: 500, Seed: 25, Global: "MOP", Shares: with(mixed, edits)}},
		oracleCase{"500 two rows edited", gen.Spec{Orders: 500, Seed: 17, NextDayBill: true,
			Shares: map[gen.Anomaly]float64{gen.EditedBill: 0.003, gen.Refunded: 0.05}}},
	)
	// More seeds, both encodings, with and without the next day's bill.
	for seed := uint64(20); seed < 26; seed++ {
		cases = append(cases, oracleCase{fmt.Sprintf("3000 heavy seed %d", seed), gen.Spec{Orders: 3000, Seed: seed,
			Shares: without(heavy(), gen.NoCustoms), GBK: seed%2 == 0, NextDayBill: seed%3 != 0, Clearance: 300}})
	}
	cases = append(cases, oracleCase{"100000 mixed gbk", gen.Spec{Orders: 100_000, Seed: 12, Shares: mixed, GBK: true, NextDayBill: true, Clearance: 5000}})
	// Each anomaly alone, on every slot.
	for _, a := range gen.Anomalies() {
		s := gen.Spec{Orders: 60, Seed: 100, Shares: map[gen.Anomaly]float64{a: 1}, NextDayBill: true, Clearance: 4}
		if a == gen.NoCustoms {
			s.Customs = "HANGZHOU"
		}
		cases = append(cases, oracleCase{"only " + string(a), s})
	}
	return cases
}

// dryRun runs the job over the generated exports as the Manifest says. A
// run whose bills do not tie out fails with batch.ErrBillMismatch: the
// manifest must say so (a BILL_MISMATCH); any other error is fatal.
func dryRun(t *testing.T, m *gen.Manifest) *reconcile.Result {
	t.Helper()
	day, err := cst.ParseDate(m.Day)
	if err != nil {
		t.Fatalf("manifest day: %v", err)
	}
	cfg := batch.Config{
		Window:         cst.Window{From: day, To: day},
		Inputs:         reconcile.Inputs{Orders: m.Files.Orders, Payments: m.Files.Payments, Clearance: m.Files.Clearance},
		DefaultCustoms: m.DefaultCustoms,
		DryRun:         true,
		Now:            func() time.Time { return day.AddDays(1).Start().Add(2 * time.Hour) },
	}
	res, err := batch.Run(context.Background(), cfg, batch.Deps{})
	wantErr := m.Exceptions["BILL_MISMATCH"] > 0
	if err != nil && !errors.Is(err, batch.ErrBillMismatch) {
		t.Fatalf("dry run: %v", err)
	}
	if got := errors.Is(err, batch.ErrBillMismatch); got != wantErr {
		t.Errorf("dry run: error %v; want ErrBillMismatch: %v (manifest: %d BILL_MISMATCH)", err, wantErr, m.Exceptions["BILL_MISMATCH"])
	}
	return res
}

// checkMoney compares the run's money and bills with the manifest's.
func checkMoney(t *testing.T, m *gen.Manifest, res *reconcile.Result) {
	t.Helper()
	amount := func(a reconcile.Amount) gen.Amount { return gen.Amount{Count: a.Count, Fen: a.Fen} }
	got := res.Money
	for _, f := range []struct {
		name      string
		got, want gen.Amount
	}{
		{"orders", amount(got.Orders), m.Money.Orders},
		{"payments", amount(got.Payments), m.Money.Payments},
		{"refunds", amount(got.Refunds), m.Money.Refunds},
		{"declared (a dry run)", amount(got.Declared), gen.Amount{}},
	} {
		if f.got != f.want {
			t.Errorf("money.%s: got %+v, want %+v (manifest)", f.name, f.got, f.want)
		}
	}
	if got.ServiceFee != m.Money.ServiceFee {
		t.Errorf("money.service_fee_1e5: got %d, want %d (manifest)", got.ServiceFee, m.Money.ServiceFee)
	}
	// The window is the one day: its day's money is the window's.
	if len(got.Days) != 1 || got.Days[0].Date.String() != m.Day {
		t.Errorf("money.days: %+v, want the one day %s", got.Days, m.Day)
	} else if d := got.Days[0]; amount(d.Orders) != m.Money.Orders || amount(d.Payments) != m.Money.Payments ||
		amount(d.Refunds) != m.Money.Refunds || d.ServiceFee != m.Money.ServiceFee {
		t.Errorf("money.days[0]: %+v, want the window's %+v", d, m.Money)
	}
	var settlements []gen.Settlement
	for _, s := range got.Settlements {
		settlements = append(settlements, gen.Settlement{Currency: s.Currency, Payments: amount(s.Payments), ServiceFee: s.ServiceFee})
	}
	if !slices.Equal(settlements, m.Money.Settlements) {
		t.Errorf("money.settlements: got %+v, want %+v (manifest)", settlements, m.Money.Settlements)
	}

	// Every section of every bill, as the manifest has it: its rows,
	// whether it ties out, and the figures of its summary.
	type where struct {
		file    string
		section int
	}
	want := map[where]gen.BillTotals{}
	for _, b := range m.Bills {
		want[where{b.File, b.Section}] = b
	}
	if len(res.Bills) != len(m.Bills) {
		t.Errorf("bills: the run read %d sections, the manifest has %d", len(res.Bills), len(m.Bills))
	}
	for _, b := range res.Bills {
		w, ok := want[where{b.File, b.Section}]
		if !ok {
			t.Errorf("bills: %s section %d is not in the manifest", b.File, b.Section)
			continue
		}
		if b.Rows != w.Rows || b.Errors != 0 || b.TiesOut != w.TiesOut || b.SettleCurrency != w.Currency {
			t.Errorf("bills: %s section %d: rows %d (%d unreadable), ties out %v, currency %q; manifest %+v", b.File, b.Section, b.Rows, b.Errors, b.TiesOut, b.SettleCurrency, w)
		}
		if (b.Summary != nil) != w.Summary {
			t.Errorf("bills: %s section %d: summary %+v, manifest says summary: %v", b.File, b.Section, b.Summary, w.Summary)
		}
		if s := b.Summary; s != nil {
			if got := (gen.BillTotals{Trades: int(s.Trades), Settlement: s.Settlement, Refunds: s.Refund, VoucherRefunds: s.VoucherRefund, Fees: s.Fee,
				OrderTotal: s.OrderAmount, RefundRequested: s.RequestedRefund}); got != w.Figures() {
				t.Errorf("bills: %s section %d: the summary the run read is %+v, the manifest's %+v", b.File, b.Section, got, w.Figures())
			}
		}
	}
}

// TestManifestIsTheJobsResult is the oracle: a dry run of the generated
// night reports exactly what the manifest says, code by code and count by
// count.
func TestManifestIsTheJobsResult(t *testing.T) {
	for _, tc := range oracleCases() {
		t.Run(tc.name, func(t *testing.T) {
			if testing.Short() && tc.spec.Orders > 1000 {
				t.Skip("large case in -short mode")
			}
			m, err := gen.Write(t.TempDir(), tc.spec)
			if err != nil {
				t.Fatalf("Write: %v", err)
			}
			res := dryRun(t, m)
			checkMoney(t, m, res)
			if len(m.Exceptions) != len(reconcile.Codes()) {
				t.Errorf("manifest has %d exception codes, want the %d of reconcile.Codes()", len(m.Exceptions), len(reconcile.Codes()))
			}
			for _, c := range reconcile.Codes() {
				want, ok := m.Exceptions[string(c)]
				if !ok {
					t.Errorf("manifest lacks code %s", c)
				}
				if got := res.ByCode[c]; got != want {
					t.Errorf("%s: got %d, want %d (manifest)", c, got, want)
					shown := 0
					for _, e := range res.Exceptions {
						if e.Code == c && shown < 5 {
							t.Logf("  %s %s %s: %s", e.OrderID, e.TransactionID, e.Source, e.Message)
							shown++
						}
					}
				}
			}
			c := res.Counts
			for _, f := range []struct {
				name      string
				got, want int
			}{
				{"Eligible", c.Eligible, m.Eligible},
				{"Pending", c.Pending, m.Pending},
				{"OrdersInWindow", c.OrdersInWindow, m.OrdersInWindow},
				{"OrdersUnpaid", c.OrdersUnpaid, m.OrdersUnpaid},
				{"OrdersRead", c.OrdersRead, m.OrdersRead},
				{"PaymentsRead", c.PaymentsRead, m.PaymentsRead},
				{"ClearanceRead", c.ClearanceRead, m.ClearanceRead},
				{"RowsInvalid", c.RowsInvalid, m.RowsInvalid},
			} {
				if f.got != f.want {
					t.Errorf("Counts.%s: got %d, want %d (manifest)", f.name, f.got, f.want)
				}
			}
			// The manifest adds up too: every order in the window is
			// eligible or one check exception.
			checks := 0
			for _, code := range []string{"ORDER_DUPLICATE", "FEE_MISMATCH", "PAYMENT_MISSING", "PAYMENT_DUPLICATE", "AMOUNT_MISMATCH", "PAYMENT_REFUNDED"} {
				checks += m.Exceptions[code]
			}
			checks += m.Injected[gen.NoCustoms]
			if m.Eligible+checks != m.OrdersInWindow {
				t.Errorf("manifest: eligible %d + check exceptions %d ≠ orders in window %d", m.Eligible, checks, m.OrdersInWindow)
			}
			if tc.spec.Orders > 0 && len(tc.spec.Shares) > 0 {
				injected := 0
				for _, n := range m.Injected {
					injected += n
				}
				if injected == 0 {
					t.Errorf("nothing injected for shares %v", tc.spec.Shares)
				}
			}
		})
	}
}

func ExampleWrite() {
	m, err := gen.Write("out/night", gen.Spec{Orders: 200_000, Seed: 1, GBK: true, NextDayBill: true,
		Shares: map[gen.Anomaly]float64{gen.FeeMismatch: 0.01, gen.PaymentMissing: 0.005}, Clearance: 5_000})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.Files.Orders, m.Files.Payments, m.Eligible, m.Exceptions["FEE_MISMATCH"])
}

// TestHeldBack runs nights that declare (not dry runs) against the
// sandbox gateway: a night whose bills tie out declares every eligible
// order, fee errors and all; one whose bill was edited or truncated holds
// back what the manifest says (every eligible order), declares nothing,
// still sends the callbacks, and fails with ErrBillMismatch.
func TestHeldBack(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec gen.Spec
	}{
		{"clean", gen.Spec{Orders: 150, Seed: 30, Clearance: 20}},
		{"fee errors", gen.Spec{Orders: 150, Seed: 31, Clearance: 20, Shares: map[gen.Anomaly]float64{gen.FeeError: 0.1, gen.FeeHalfDown: 0.1, gen.LegacyFee: 0.1}}},
		{"edited", gen.Spec{Orders: 150, Seed: 32, Clearance: 20, NextDayBill: true, Shares: map[gen.Anomaly]float64{gen.EditedBill: 0.05, gen.Refunded: 0.05}}},
		{"truncated", gen.Spec{Orders: 150, Seed: 33, Clearance: 20, Shares: map[gen.Anomaly]float64{gen.TruncatedBill: 0.02}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := gen.Write(t.TempDir(), tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			mismatch := m.Exceptions["BILL_MISMATCH"] > 0
			if mismatch != (m.HeldBack > 0) || m.HeldBack != 0 && m.HeldBack != m.Eligible || m.Eligible == 0 {
				t.Fatalf("manifest: %d BILL_MISMATCH, held back %d of %d eligible", m.Exceptions["BILL_MISMATCH"], m.HeldBack, m.Eligible)
			}
			const appKey, secret, session = "12345678", "gen-secret", "gen-session"
			gw := sandbox.New(sandbox.Config{AppKey: appKey, Secret: secret, Session: session})
			srv := httptest.NewServer(gw)
			defer srv.Close()
			client, err := top.NewClient(top.WithGateway(srv.URL+sandbox.Path), top.WithAppKey(appKey), top.WithSecret(secret),
				top.WithSession(session), top.WithTimeout(5*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			j, err := journal.Open(context.Background(), filepath.Join(t.TempDir(), "reconcile.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer j.Close()
			day, _ := cst.ParseDate(m.Day)
			res, err := batch.Run(context.Background(), batch.Config{
				Window: cst.Window{From: day, To: day}, DefaultCustoms: m.DefaultCustoms,
				Inputs: reconcile.Inputs{Orders: m.Files.Orders, Payments: m.Files.Payments, Clearance: m.Files.Clearance},
				Engine: dispatch.Config{Concurrency: 4, QPS: 1000},
			}, batch.Deps{Platform: client, Journal: j})
			if err != nil && !errors.Is(err, batch.ErrBillMismatch) || errors.Is(err, batch.ErrBillMismatch) != mismatch {
				t.Fatalf("run: %v; want ErrBillMismatch: %v", err, mismatch)
			}
			c := res.Counts
			if c.HeldBack != m.HeldBack || c.Declared != m.Eligible-m.HeldBack || c.Eligible != m.Eligible || c.CallbacksSent != m.Pending {
				t.Errorf("held back %d, declared %d of %d eligible, %d callbacks sent; want %d held back, %d declared of %d, %d sent (manifest)",
					c.HeldBack, c.Declared, c.Eligible, c.CallbacksSent, m.HeldBack, m.Eligible-m.HeldBack, m.Eligible, m.Pending)
			}
			if d := res.Money.Declared; d.Count != m.Eligible-m.HeldBack {
				t.Errorf("money.declared %+v, want %d declarations", d, m.Eligible-m.HeldBack)
			}
			if got := gw.Counters(); got.Declarations.New != m.Eligible-m.HeldBack || got.Callbacks.New != m.Pending {
				t.Errorf("the gateway holds %d declarations and %d callbacks, want %d and %d", got.Declarations.New, got.Callbacks.New, m.Eligible-m.HeldBack, m.Pending)
			}
			if res.ByCode[reconcile.BillMismatch] != m.Exceptions["BILL_MISMATCH"] || res.ByCode[reconcile.ServiceFeeMismatch] != m.Exceptions["SERVICE_FEE_MISMATCH"] {
				t.Errorf("BILL_MISMATCH %d, SERVICE_FEE_MISMATCH %d; want %d and %d (manifest)", res.ByCode[reconcile.BillMismatch],
					res.ByCode[reconcile.ServiceFeeMismatch], m.Exceptions["BILL_MISMATCH"], m.Exceptions["SERVICE_FEE_MISMATCH"])
			}
		})
	}
}
