package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/crossborder/reconcile/internal/gen"
)

// benchShares is a realistic night: about 2% of the orders carry an
// anomaly, a few thousand exceptions per million orders.
var benchShares = map[gen.Anomaly]float64{
	gen.FeeMismatch: 0.002, gen.PaymentMissing: 0.003, gen.PaymentDuplicate: 0.001, gen.AmountMismatch: 0.002,
	gen.Refunded: 0.003, gen.Orphan: 0.001, gen.OrderDuplicate: 0.001, gen.IdenticalRepeat: 0.002,
	gen.InvalidRow: 0.001, gen.Unpaid: 0.002, gen.Midnight: 0.001,
}

// BenchmarkLocalHalf runs the built binary on a generated night as a dry
// run (read, check, write the workbook; no calls) and reports its wall
// time, CPU time (user + system) and peak RSS, from the child's rusage.
// The inputs are generated outside the timing.
//
//	go test ./cmd/reconcile -run '^$' -bench LocalHalf -benchtime 3x
func BenchmarkLocalHalf(b *testing.B) {
	for _, size := range []int{100_000, 200_000, 1_000_000} {
		for _, gbk := range []bool{false, true} {
			name := fmt.Sprintf("orders=%d/%s", size, map[bool]string{false: "utf8", true: "gbk"}[gbk])
			b.Run(name, func(b *testing.B) {
				bin := reconcileBinary(&testing.T{})
				dir := b.TempDir()
				m, err := gen.Write(filepath.Join(dir, "night"), gen.Spec{Orders: size, Seed: 1, GBK: gbk, Shares: benchShares})
				if err != nil {
					b.Fatal(err)
				}
				args := []string{"run", "--dry-run", "--quiet", "--date", m.Day, "--customs", "NINGBO",
					"--orders", filepath.Join(dir, "night", "orders"), "--payments", filepath.Join(dir, "night", "payments"),
					"--report", filepath.Join(dir, "out") + "/"}
				var wall, cpu time.Duration
				var rss int64
				b.ResetTimer()
				for range b.N {
					cmd := exec.Command(bin, args...)
					cmd.Stdout, cmd.Stderr = nil, os.Stderr
					start := time.Now()
					if err := cmd.Run(); err != nil {
						b.Fatalf("run: %v", err)
					}
					wall += time.Since(start)
					ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
					cpu += time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
					rss = max(rss, ru.Maxrss) // KiB on Linux
				}
				b.ReportMetric(wall.Seconds()/float64(b.N), "wall-s")
				b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s")
				b.ReportMetric(float64(rss)/1024, "peak-RSS-MB")
				b.ReportMetric(float64(m.Rows.Orders+m.Rows.Payments)/(wall.Seconds()/float64(b.N)), "rows/s")
				b.ReportMetric(float64(m.Bytes)/(1<<20), "input-MB")
			})
		}
	}
}

// BenchmarkLocalHalfInProcess is BenchmarkLocalHalf at 200,000 orders (the
// most the workbook lists itself) and 1M (their CSV beside it) in this
// process, workbook included, for profiling with -cpuprofile/-memprofile.
func BenchmarkLocalHalfInProcess(b *testing.B) {
	for _, size := range []int{200_000, 1_000_000} {
		b.Run(fmt.Sprintf("orders=%d", size), func(b *testing.B) { benchLocalHalfInProcess(b, size) })
	}
}

func benchLocalHalfInProcess(b *testing.B, size int) {
	dir := b.TempDir()
	m, err := gen.Write(filepath.Join(dir, "night"), gen.Spec{Orders: size, Seed: 1, Shares: benchShares})
	if err != nil {
		b.Fatal(err)
	}
	std := &stdio{out: devNull{}, err: devNull{}, getenv: func(string) string { return "" }}
	// The flags as the binary parses them, with their defaults.
	opts, err := parseRun([]string{"--dry-run", "--quiet", "--date", m.Day, "--customs", "NINGBO",
		"--orders", filepath.Join(dir, "night", "orders"), "--payments", filepath.Join(dir, "night", "payments"),
		"--report", filepath.Join(dir, "out") + "/"}, "", std)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if err := runRun(b.Context(), opts, std); err != nil {
			b.Fatal(err)
		}
	}
}
