package gen_test

import (
	"fmt"
	"testing"

	"github.com/crossborder/reconcile/internal/gen"
)

// BenchmarkWrite writes a night of n orders and their payments (a share of
// anomalies, a next-day bill, clearance rows) and reports the rows and
// bytes written per second. The files go to a temporary directory: the
// figure includes the page cache, not the disk.
func BenchmarkWrite(b *testing.B) {
	shares := map[gen.Anomaly]float64{gen.FeeMismatch: 0.01, gen.PaymentMissing: 0.005, gen.Refunded: 0.01, gen.InvalidRow: 0.002,
		gen.IdenticalRepeat: 0.002, gen.Midnight: 0.001, gen.CallbackInvalid: 0.01}
	for _, n := range []int{100_000, 1_000_000} {
		for _, gbk := range []bool{false, true} {
			enc := "utf8"
			if gbk {
				enc = "gbk"
			}
			b.Run(fmt.Sprintf("orders=%d/%s", n, enc), func(b *testing.B) {
				dir := b.TempDir()
				spec := gen.Spec{Orders: n, Seed: 1, GBK: gbk, Shares: shares, NextDayBill: true, Clearance: n / 50}
				var rows int
				for b.Loop() {
					m, err := gen.Write(dir, spec)
					if err != nil {
						b.Fatal(err)
					}
					rows = m.Rows.Orders + m.Rows.Payments + m.Rows.Clearance
					b.SetBytes(m.Bytes)
				}
				b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			})
		}
	}
}
