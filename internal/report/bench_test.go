package report

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/crossborder/reconcile/internal/reconcile"
)

// benchResult has n exceptions spread over every code, with realistic ids,
// amounts and Chinese messages, n/10 declarations and callbacks, and n
// orders.
func benchResult(n int) *reconcile.Result {
	r := demoResult()
	codes := reconcile.Codes()
	r.Exceptions = make([]reconcile.Exception, n)
	for i := range r.Exceptions {
		e := &r.Exceptions[i]
		e.Code = codes[i%len(codes)]
		e.OrderID = fmt.Sprintf("2087%015d", (i*7919)%n)
		e.TransactionID = fmt.Sprintf("420000208720261120%010d", i)
		e.Customs = "HANGZHOU"
		e.Amount = int64(1000 + i%100000)
		if i%3 == 0 {
			e.Expected, e.Actual, e.HasAmounts = e.Amount, e.Amount-int64(i%500), true
		}
		if i%5 == 0 {
			e.PlatformCode, e.PlatformMsg = "15 isv.invalid-parameter:customs", "海关编码未在商户平台备案"
		}
		e.Message = fmt.Sprintf("订单金额 %d.%02d 元与支付金额不符，请在千牛后台核对", e.Amount/100, e.Amount%100)
		e.Source = fmt.Sprintf("orders_20261120.csv:%d", i+2)
	}
	for len(r.Declarations) < n/10 {
		d := r.Declarations[len(r.Declarations)%24]
		d.OrderID = fmt.Sprintf("2087%015d", len(r.Declarations))
		r.Declarations = append(r.Declarations, d)
	}
	for len(r.Callbacks) < n/10 {
		c := r.Callbacks[len(r.Callbacks)%16]
		c.Idempotent = fmt.Sprintf("CB%018d", len(r.Callbacks))
		r.Callbacks = append(r.Callbacks, c)
	}
	// n orders for 订单明细: most declared (a tenth of them by this run's
	// declarations above), a tenth with a check exception, some unpaid.
	lines := make([]reconcile.OrderLine, n)
	for i := range lines {
		l := &lines[i]
		l.OrderID = fmt.Sprintf("2087%015d", i)
		l.TransactionID = fmt.Sprintf("420000208720261120%010d", i)
		l.Customs = "HANGZHOU"
		l.ProductFee, l.TransportFee = int64(1000+i%100000), 1000
		l.OrderFee, l.Payment = l.ProductFee+l.TransportFee, l.ProductFee+l.TransportFee
		l.PaidAt = demoPaidAt(i % 2760)
		l.PaymentAt = l.PaidAt.Add(3 * time.Second)
		l.State = reconcile.OrderEligible
		l.Source = fmt.Sprintf("/srv/finance/天猫国际/每日导出/2026-11/订单导出_%d.csv:%d", i%3, i+2)
		switch {
		case i%10 == 3:
			l.State, l.Code = reconcile.OrderException, codes[i%6+1]
		case i%50 == 7:
			l.State, l.TransactionID, l.Payment, l.PaidAt, l.PaymentAt = reconcile.OrderUnpaid, "", 0, time.Time{}, time.Time{}
		}
	}
	r.Orders = func(yield func(reconcile.OrderLine) bool) {
		for _, l := range lines {
			if !yield(l) {
				return
			}
		}
	}
	r.Counts.OrdersInWindow, r.Counts.OrdersUnpaid = n-n/50, n/50
	r.Tally()
	return r
}

// cpuTime returns the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// heapMetric is the heap memory occupied by objects, live or not yet swept
// (what HeapAlloc reports), and liveMetric the heap found live by the last
// GC; both are read without stopping the world.
const (
	heapMetric = "/memory/classes/heap/objects:bytes"
	liveMetric = "/gc/heap/live:bytes"
)

// BenchmarkWrite100k writes a workbook of 100,000 exceptions and 100,000
// orders (订单明细), alone (the case) and with 10,000 declarations
// and callbacks each (a run that also called the platform). Besides time and allocations it reports
// the peak heap during the write above the heap before it (peak-MB: live
// data plus the garbage the GC has not collected yet), the peak live heap
// above the one before it (live-MB: what the write holds on to), both
// sampled every millisecond, and the file size. The result itself (about
// 37 MB) is built before and not counted.
func BenchmarkWrite100k(b *testing.B) {
	only := benchResult(100_000)
	only.Declarations, only.Callbacks = nil, nil
	b.Run("exceptions", func(b *testing.B) { benchWrite(b, only) })
	b.Run("exceptions+declarations+callbacks", func(b *testing.B) { benchWrite(b, benchResult(100_000)) })
}

func benchWrite(b *testing.B, r *reconcile.Result) {
	dir := b.TempDir()
	var peak, live uint64
	var size int64
	runtime.GC()
	base := []metrics.Sample{{Name: heapMetric}, {Name: liveMetric}}
	metrics.Read(base)
	cpu0 := cpuTime()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := filepath.Join(dir, fmt.Sprintf("r%d.xlsx", i))
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { // sample the heap while writing, without stopping the world
			defer wg.Done()
			sample := []metrics.Sample{{Name: heapMetric}, {Name: liveMetric}}
			tick := time.NewTicker(time.Millisecond)
			defer tick.Stop()
			for {
				metrics.Read(sample)
				peak = max(peak, sample[0].Value.Uint64())
				live = max(live, sample[1].Value.Uint64())
				select {
				case <-stop:
					return
				case <-tick.C:
				}
			}
		}()
		err := (&Writer{Now: func() time.Time { return fixedNow }}).Write(context.Background(), p, r)
		close(stop)
		wg.Wait()
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if fi, err := os.Stat(p); err == nil {
			size = fi.Size()
		}
		_ = os.Remove(p)
		b.StartTimer()
	}
	b.ReportMetric(float64(peak-min(peak, base[0].Value.Uint64()))/(1<<20), "peak-MB")
	b.ReportMetric(float64(live-min(live, base[1].Value.Uint64()))/(1<<20), "live-MB")
	b.ReportMetric(float64(size)/(1<<20), "file-MB")
	// The CPU the process spent per write, all goroutines (the GC's too):
	// on a machine shared with others, wall time varies with their load,
	// this does much less.
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(len(r.Exceptions))/(b.Elapsed().Seconds()/float64(b.N)), "rows/s")
}
