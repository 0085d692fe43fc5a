package reconcile

import (
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crossborder/reconcile/internal/cst"
	"github.com/crossborder/reconcile/internal/ingest"
)

// heapPeak samples the live heap every millisecond until stop is called,
// and returns the highest sample in bytes.
func heapPeak() (stop func() uint64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-finished
		return peak.Load()
	}
}

// BenchmarkChecks1M builds the ledger of 1 million orders and 1 million
// payments (as the readers yield them: ids as strings, times as
// time.Time) and runs the checks on it, reporting the time and the peak
// heap. About 1% of the orders carry an anomaly.
func BenchmarkChecks1M(b *testing.B) {
	const n = 1_000_000
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, cst.Zone)
	w := cst.Window{From: cst.DateOf(day), To: cst.DateOf(day)}
	for range b.N {
		runtime.GC()
		stop := heapPeak()
		start := time.Now()
		l := newLedger()
		for i := range n {
			fee := int64(1000 + i%50000)
			// One string per id, as the readers allocate.
			o := ingest.Order{
				OrderID: strconv.FormatInt(5118609024990000000+int64(i), 10), ProductFee: fee, TransportFee: 500, OrderFee: fee + 500,
				Customs: "NINGBO", PaidAt: day.Add(time.Duration(i%86400) * time.Second), Source: ingest.Source{Line: i + 2},
			}
			if i%100 == 7 {
				o.OrderFee++ // a fee mismatch
			}
			l.addOrderRecord(&o, 0)
			if i%100 == 13 {
				continue // a missing payment
			}
			p := ingest.Payment{
				TransactionID: "4200000000202611" + strconv.FormatInt(100000000000+int64(i), 10), OrderID: o.OrderID, Amount: fee + 500,
				Status: ingest.PaymentSuccess, PaidAt: o.PaidAt.Add(3 * time.Second), Source: ingest.Source{Line: i + 2},
			}
			l.addPaymentRecord(&p, 0)
		}
		l.orderFiles, l.paymentFiles = []string{"orders.csv"}, []string{"wechat.csv"}
		l.index()
		loaded := time.Since(start)
		p := Check(l, Options{Window: w, DefaultCustoms: "NINGBO"})
		elapsed := time.Since(start)
		peak := stop()
		if p.Counts.OrdersInWindow != n || p.Counts.Eligible != n-2*n/100 {
			b.Fatalf("in window %d, eligible %d", p.Counts.OrdersInWindow, p.Counts.Eligible)
		}
		b.ReportMetric(loaded.Seconds(), "load-s")
		b.ReportMetric((elapsed - loaded).Seconds(), "check-s")
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
		// What the ledger and the plan hold, without the garbage the
		// collector had not yet reclaimed at the peak.
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		b.ReportMetric(float64(m.HeapInuse)/(1<<20), "live-heap-MB")
		runtime.KeepAlive(l)
		runtime.KeepAlive(p)
	}
}
