package batch

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/crossborder/reconcile/internal/cst"
	"github.com/crossborder/reconcile/internal/gen"
	"github.com/crossborder/reconcile/internal/reconcile"
)

// BenchmarkDryRun1M is the local half of a run (read, check; the workbook
// is the report package's) on a generated night of a million orders and
// payments, in process, for profiling:
//
//	go test ./internal/batch -run '^$' -bench DryRun1M -benchtime 2x -cpuprofile cpu.prof -memprofile mem.prof
func BenchmarkDryRun1M(b *testing.B) {
	dir := b.TempDir()
	m, err := gen.Write(filepath.Join(dir, "night"), gen.Spec{Orders: 1_000_000, Seed: 1, Shares: map[gen.Anomaly]float64{
		gen.FeeMismatch: 0.002, gen.PaymentMissing: 0.003, gen.Refunded: 0.003, gen.Orphan: 0.001, gen.InvalidRow: 0.001}})
	if err != nil {
		b.Fatal(err)
	}
	day, _ := cst.ParseDate(m.Day)
	cfg := Config{Window: cst.Window{From: day, To: day}, DryRun: true, DefaultCustoms: "NINGBO",
		Inputs: reconcile.Inputs{Orders: []string{filepath.Join(dir, "night", "orders")}, Payments: []string{filepath.Join(dir, "night", "payments")}}}
	b.ResetTimer()
	for range b.N {
		res, err := Run(context.Background(), cfg, Deps{})
		if err != nil || res.Counts.OrdersRead == 0 {
			b.Fatal(err)
		}
	}
}
