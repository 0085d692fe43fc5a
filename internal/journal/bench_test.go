package journal

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

// BenchmarkDeclarationPair measures one BeginDeclaration + FinishDeclaration
// pair (two write transactions) from a single goroutine, on each backend
// (sub-benchmarks sqlite and postgres; the test cluster runs without
// fsync unless JOURNAL_TEST_PG_FSYNC=on).
func BenchmarkDeclarationPair(b *testing.B) {
	forEachBackendB(b, func(b *testing.B, be *testBackend) { benchPairs(b, be, 1) })
}

// BenchmarkDeclarationPair32 measures the pairs with 32 goroutines calling
// at once, the engine's worst case.
func BenchmarkDeclarationPair32(b *testing.B) {
	forEachBackendB(b, func(b *testing.B, be *testBackend) { benchPairs(b, be, 32) })
}

// forEachBackendB is forEachBackend for benchmarks.
func forEachBackendB(b *testing.B, f func(b *testing.B, be *testBackend)) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			if be.pg {
				pgServer(b)
			}
			f(b, be)
		})
	}
}

func benchPairs(b *testing.B, be *testBackend, workers int) {
	ctx := context.Background()
	j, err := be.fresh(b).open(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer j.Close()
	run, err := j.BeginRun(ctx, RunStart{From: "2026-11-20", To: "2026-11-20"})
	if err != nil {
		b.Fatal(err)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	b.ReportAllocs()
	b.ResetTimer()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				d := decl(fmt.Sprintf("P%09d", i))
				n, err := j.BeginDeclaration(ctx, run, d)
				if err != nil {
					errs <- err
					return
				}
				if err := j.FinishDeclaration(ctx, run, d.OrderID, n, DeclarationOutcome{State: DeclarationAccepted, PlatformState: "SUBMITTED", RequestID: "req"}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pairs/s")
}

// BenchmarkDeclarations measures a bulk lookup of 5,000 ids, all stored.
func BenchmarkDeclarations(b *testing.B) {
	forEachBackendB(b, benchDeclarations)
}

func benchDeclarations(b *testing.B, be *testBackend) {
	ctx := context.Background()
	j, err := be.fresh(b).open(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer j.Close()
	run, err := j.BeginRun(ctx, RunStart{From: "2026-11-20", To: "2026-11-20"})
	if err != nil {
		b.Fatal(err)
	}
	orders := ids("L%06d", 0, 5000)
	for _, id := range orders {
		if _, err := j.BeginDeclaration(ctx, run, decl(id)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		m, err := j.Declarations(ctx, orders)
		if err != nil || len(m) != len(orders) {
			b.Fatalf("Declarations: %d rows, %v", len(m), err)
		}
	}
	b.ReportMetric(float64(b.N*len(orders))/b.Elapsed().Seconds(), "rows/s")
}
