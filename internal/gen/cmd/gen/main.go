// Command gen writes a synthetic night of exports (Tmall orders, WeChat
// bills, clearance results) and its manifest.json, for benchmarks, load
// and fault tests. See package gen.
//
//	go run ./internal/gen/cmd/gen -out out/gen -orders 1000000 -gbk \
//	    -share fee=0.01,missing=0.005,refund=0.01 -clearance 20000 -next-day-bill
//
// It prints one line: rows, bytes, time, and the reconcile command that
// checks the night. Exit status: 0 written, 1 failed, 2 usage error.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/crossborder/reconcile/internal/cst"
	"github.com/crossborder/reconcile/internal/gen"
)

const usage = `usage: gen [flags]

Writes a synthetic night into -out: orders/ (the Tmall CSV export, or a
千牛 workbench XLSX with -xlsx), payments/ (the WeChat "ALL" bill, and the
next day's with -next-day-bill), clearance/ and manifest.json, which says
what a dry run of the night must report.

Flags:
  -out DIR          directory to write (default out/gen)
  -orders N         order slots: paid orders in the window before anomalies (default 100000)
  -seed N           seed of every random choice (default 1)
  -day YYYY-MM-DD   the night (default 2026-11-20)
  -gbk              orders and bills in GBK instead of UTF-8
  -share LIST       anomaly shares, e.g. fee=0.01,missing=0.005,refund=1%
                    names: fee missing paydup amount refund revoked orphan orderdup
                    repeat paidlater invalid unpaid midnight outside payrepeat
                    nocustoms feeerror halfdown legacyfee edited truncated
                    callback (callback is a share of -clearance)
  -clearance N      valid clearance rows (default 0)
  -customs CODE     a 申报海关 column with CODE (else the run needs --customs)
  -next-day-bill    write the next day's bill for payments after midnight and refunds
  -paste-bills      the day's and the next day's bills pasted into one file, as
                    staff do (two sections; implies the split of -next-day-bill)
  -global CUR       WeChat Pay Global statements settled in CUR (HKD, USD, EUR,
                    GBP, AUD, NZD, SGD, CAD, CHF, MOP) in place of the ALL bills:
                    the buyer's CNY in 用户支付金额, 应结订单金额 and 手续费 in CUR
  -xlsx             orders as workbench XLSX (slow: small sizes)
  -fee-rate RATE    the bills' 费率, a percentage with at most two decimals
                    (default 0.60%): 手续费 is 应结订单金额 × RATE to the fen

Example:
  gen -out out/gen -orders 1000000 -gbk -share fee=0.01,missing=0.005 -clearance 20000

Exit status: 0 written, 1 failed, 2 usage error.
`

type options struct {
	out         string
	orders      int
	seed        uint64
	day         string
	gbk         bool
	share       string
	clearance   int
	customs     string
	nextDayBill bool
	xlsx        bool
	feeRate     string
	pasteBills  bool
	global      string
}

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	var o options
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.out, "out", "out/gen", "")
	fs.IntVar(&o.orders, "orders", 100_000, "")
	fs.Uint64Var(&o.seed, "seed", 1, "")
	fs.StringVar(&o.day, "day", gen.DefaultDay.String(), "")
	fs.BoolVar(&o.gbk, "gbk", false, "")
	fs.StringVar(&o.share, "share", "", "")
	fs.IntVar(&o.clearance, "clearance", 0, "")
	fs.StringVar(&o.customs, "customs", "", "")
	fs.BoolVar(&o.nextDayBill, "next-day-bill", false, "")
	fs.BoolVar(&o.xlsx, "xlsx", false, "")
	fs.StringVar(&o.feeRate, "fee-rate", "", "")
	fs.BoolVar(&o.pasteBills, "paste-bills", false, "")
	fs.StringVar(&o.global, "global", "", "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usage)
			return 0
		}
		fmt.Fprintf(stderr, "gen: %v\n\n%s", err, usage)
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "gen: unexpected argument %q\n\n%s", fs.Arg(0), usage)
		return 2
	}
	spec, err := o.spec()
	if err != nil {
		fmt.Fprintf(stderr, "gen: %v\n", err)
		return 2
	}
	start := time.Now()
	m, err := gen.Write(o.out, spec)
	if err != nil {
		fmt.Fprintf(stderr, "gen: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, summary(m, o.out, time.Since(start)))
	return 0
}

func (o *options) spec() (gen.Spec, error) {
	day, err := cst.ParseDate(o.day)
	if err != nil {
		return gen.Spec{}, fmt.Errorf("-day: %w", err)
	}
	shares, err := gen.ParseShares(o.share)
	if err != nil {
		return gen.Spec{}, fmt.Errorf("-share: %w", err)
	}
	var rate int
	if o.feeRate != "" {
		if rate, err = gen.ParseFeeRate(o.feeRate); err != nil {
			return gen.Spec{}, fmt.Errorf("-fee-rate: %w", err)
		}
	}
	return gen.Spec{Day: day, Orders: o.orders, Seed: o.seed, GBK: o.gbk, Customs: o.customs, Shares: shares,
		Clearance: o.clearance, NextDayBill: o.nextDayBill, XLSX: o.xlsx, FeeRate: rate, PasteBills: o.pasteBills, Global: o.global}, nil
}

// summary is the one line printed: what was written, how fast, and how to
// check it.
func summary(m *gen.Manifest, dir string, d time.Duration) string {
	rows := m.Rows.Orders + m.Rows.Payments + m.Rows.Clearance
	secs := max(d.Seconds(), 1e-9)
	var b strings.Builder
	fmt.Fprintf(&b, "gen: %d orders, %d payments, %d clearance rows, %.1f MB in %s (%.0f rows/s, %.0f MB/s) → %s; check: reconcile run --dry-run --date %s --orders %s --payments %s",
		m.Rows.Orders, m.Rows.Payments, m.Rows.Clearance, float64(m.Bytes)/1e6, d.Round(time.Millisecond),
		float64(rows)/secs, float64(m.Bytes)/1e6/secs, filepath.Join(dir, gen.ManifestName), m.Day,
		filepath.Join(dir, "orders"), filepath.Join(dir, "payments"))
	if len(m.Files.Clearance) > 0 {
		fmt.Fprintf(&b, " --clearance %s", filepath.Join(dir, "clearance"))
	}
	if m.DefaultCustoms != "" {
		fmt.Fprintf(&b, " --customs %s", m.DefaultCustoms)
	}
	if n := m.Exceptions["BILL_MISMATCH"]; n > 0 {
		fmt.Fprintf(&b, " (%d BILL_MISMATCH: the run exits 1)", n)
	}
	return b.String()
}
