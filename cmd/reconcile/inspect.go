package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"time"

	"github.com/crossborder/reconcile/internal/cst"
	"github.com/crossborder/reconcile/internal/ingest"
)

const inspectHelp = `Usage: reconcile inspect --kind orders|payments|clearance [flags] PATH...

Show what the job reads from exports: for each file, the detected format,
encoding and layout, which column is read for what, then every row that
cannot be read (file:line: column: reason) and the counts of records and
errors. A PATH is a file, a directory (every .csv and .xlsx inside, not
recursive) or a glob; flags come before the paths.

With --json it prints instead one JSON object per line, for each record and
each row error, in the order read (amounts in fen, times in RFC 3339 with
+08:00, "" when absent):
  {"kind":"order","order_id":…,"product_fee":…,"transport_fee":…,"order_fee":…,
   "customs":…,"paid_at":…,"status":…,"source":"file:line"}
  {"kind":"payment","transaction_id":…,"order_id":…,"amount":…,"status":…,
   "refund_amount":…,"paid_at":…,"source":…}
  {"kind":"clearance","order_id":…,"idempotent":…,"clearance_status":…,
   "clearance_result_code":…,"clearance_port_no":…,"clearance_time":…,
   "customs_pass_no":…,"customs_return_receipt":…,"source":…}
  {"kind":"error","source":…,"column":…,"message":…}
A file that cannot be read is reported on standard error.

Flags:
  --kind KIND     what the files hold: orders, payments or clearance (required)
  --json          print records and row errors as JSON lines
  --sheet NAME    the worksheet of XLSX files to read (default: every sheet
                  whose header has the kind's required columns; the others
                  are listed as skipped, on standard error with --json)

Example:
  reconcile inspect --kind payments exports/wechat/
  reconcile inspect --kind orders --json 'exports/orders-*.csv' | jq .

Exit status:
  0    every file could be read (row errors included)
  1    a file could not be read at all (the others are still shown)
  2    usage error: no --kind, an unknown kind, no PATH
  130  interrupted by SIGINT, SIGTERM or SIGHUP
`

// inspectOptions are the flags and arguments of "reconcile inspect".
type inspectOptions struct {
	kind  string
	json  bool
	sheet string
	paths []string
}

func cmdInspect(ctx context.Context, args []string, std *stdio) error {
	var o inspectOptions
	fs := newFlagSet("inspect")
	fs.StringVar(&o.kind, "kind", "", "")
	fs.BoolVar(&o.json, "json", false, "")
	fs.StringVar(&o.sheet, "sheet", "", "")
	if err := parseFlags(fs, args, inspectHelp, std); err != nil {
		return err
	}
	if o.kind == "" {
		return usageErrorf("--kind is required: orders, payments or clearance")
	}
	if fs.NArg() == 0 {
		return usageErrorf("no PATH: give the files to read (a file, a directory or a glob)")
	}
	o.paths = fs.Args()
	return runInspect(ctx, o, std)
}

// runInspect shows every file the paths name; a file that cannot be read
// is reported and the others are still shown.
func runInspect(ctx context.Context, o inspectOptions, std *stdio) error {
	kind, err := ingest.ParseKind(o.kind)
	if err != nil {
		return usageErrorf("--kind: %v", err)
	}
	var opts []ingest.Option
	if o.sheet != "" {
		opts = append(opts, ingest.WithSheet(o.sheet))
	}
	out := bufio.NewWriterSize(std.out, 64<<10)
	defer out.Flush()
	failed, total := 0, 0
	seen := make(map[string]bool)
	fail := func(err error) {
		out.Flush()
		fmt.Fprintf(std.err, "reconcile inspect: %v\n", err)
		failed++
	}
	for _, pattern := range o.paths {
		files, skipped, err := ingest.Expand([]string{pattern})
		for _, s := range skipped {
			out.Flush()
			fmt.Fprintf(std.err, "reconcile inspect: %s: not read: %s\n", s.Path, s.Why)
		}
		if err != nil {
			total++
			fail(err)
			continue
		}
		for _, path := range files {
			if key := filepath.Clean(path); seen[key] {
				continue
			} else {
				seen[key] = true
			}
			total++
			err := inspectFile(ctx, out, std.err, path, kind, o.json, opts)
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if err != nil {
				fail(err)
			}
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d inputs could not be read", failed, total)
	}
	return nil
}

// inspectFile shows one file. The error is a structural one: the file
// could not be read, or not to its end.
func inspectFile(ctx context.Context, out *bufio.Writer, warn io.Writer, path string, kind ingest.Kind, asJSON bool, opts []ingest.Option) error {
	f, err := ingest.Open(path, kind, opts...)
	if err != nil {
		return err
	}
	defer f.Close()
	p := &inspectPrinter{out: out, json: asJSON}
	if asJSON {
		p.enc = json.NewEncoder(out)
		p.enc.SetEscapeHTML(false)
	}
	opened := f.Info()
	if !asJSON {
		printHeader(out, opened)
	} else {
		// Standard output is for the JSON lines: the sheets skipped go to
		// standard error.
		for _, sh := range opened.Sheets {
			if sh.Skipped != "" {
				out.Flush()
				fmt.Fprintf(warn, "reconcile inspect: %s: sheet %s skipped: %s\n", path, sh.Name, sh.Skipped)
			}
		}
	}
	n := 0
	step := func(e *ingest.RowError) bool {
		if n++; n%4096 == 0 && ctx.Err() != nil {
			return false
		}
		if e != nil {
			p.rowError(e)
		}
		return p.err == nil
	}
	switch kind {
	case ingest.Orders:
		for o, e := range f.Orders() {
			if e == nil && asJSON {
				p.emit(orderLine{"order", o.OrderID, o.ProductFee, o.TransportFee, o.OrderFee, o.Customs, rfc3339(o.PaidAt), o.Status, o.Source.String()})
			}
			if !step(e) {
				break
			}
		}
	case ingest.Payments:
		for r, e := range f.Payments() {
			if e == nil && asJSON {
				p.emit(paymentLine{"payment", r.TransactionID, r.OrderID, r.Amount, r.Status.String(), r.RefundAmount, rfc3339(r.PaidAt), r.Source.String()})
			}
			if !step(e) {
				break
			}
		}
	case ingest.Clearances:
		for c, e := range f.Clearances() {
			if e == nil && asJSON {
				p.emit(clearanceLine{"clearance", c.OrderID, c.Idempotent, c.ClearanceStatus, c.ResultCode, c.PortNo,
					rfc3339(c.ClearanceTime), c.CustomsPassNo, c.CustomsReturnReceipt, c.Source.String()})
			}
			if !step(e) {
				break
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if p.err != nil {
		return fmt.Errorf("write: %w", p.err)
	}
	if !asJSON {
		printCounts(out, opened, f.Info())
	}
	return f.Err()
}

// The JSON lines of --json, fields in the documented order.
type (
	orderLine struct {
		Kind         string `json:"kind"`
		OrderID      string `json:"order_id"`
		ProductFee   int64  `json:"product_fee"`
		TransportFee int64  `json:"transport_fee"`
		OrderFee     int64  `json:"order_fee"`
		Customs      string `json:"customs"`
		PaidAt       string `json:"paid_at"`
		Status       string `json:"status"`
		Source       string `json:"source"`
	}
	paymentLine struct {
		Kind          string `json:"kind"`
		TransactionID string `json:"transaction_id"`
		OrderID       string `json:"order_id"`
		Amount        int64  `json:"amount"`
		Status        string `json:"status"`
		RefundAmount  int64  `json:"refund_amount"`
		PaidAt        string `json:"paid_at"`
		Source        string `json:"source"`
	}
	clearanceLine struct {
		Kind                 string `json:"kind"`
		OrderID              string `json:"order_id"`
		Idempotent           string `json:"idempotent"`
		ClearanceStatus      int    `json:"clearance_status"`
		ResultCode           string `json:"clearance_result_code"`
		PortNo               string `json:"clearance_port_no"`
		ClearanceTime        string `json:"clearance_time"`
		CustomsPassNo        string `json:"customs_pass_no"`
		CustomsReturnReceipt string `json:"customs_return_receipt"`
		Source               string `json:"source"`
	}
	errorLine struct {
		Kind    string `json:"kind"`
		Source  string `json:"source"`
		Column  string `json:"column"`
		Message string `json:"message"`
	}
)

// rfc3339 formats t in UTC+8, "" for the zero time.
func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(cst.Zone).Format(time.RFC3339)
}

// inspectPrinter writes records and row errors as text or JSON lines and
// keeps the first write error.
type inspectPrinter struct {
	out  *bufio.Writer
	enc  *json.Encoder
	json bool
	err  error
}

func (p *inspectPrinter) emit(v any) {
	if p.err == nil {
		p.err = p.enc.Encode(v)
	}
}

func (p *inspectPrinter) rowError(e *ingest.RowError) {
	if p.json {
		p.emit(errorLine{"error", e.Source.String(), e.Column, e.Message})
		return
	}
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.out, "  %s\n", e.Error())
	}
}

func printHeader(w io.Writer, info ingest.Info) {
	fmt.Fprintf(w, "%s\n", info.Path)
	format := info.Format
	switch {
	case info.Encoding != "":
		format += ", " + info.Encoding
	case info.Sheet != "":
		format += ", sheet " + info.Sheet
	}
	fmt.Fprintf(w, "  format    %s\n", format)
	fmt.Fprintf(w, "  variant   %s\n", info.Variant)
	printColumns(w, info.Columns)
	// The other sheets of a workbook: read after the first, or skipped.
	for _, sh := range info.Sheets {
		switch {
		case sh.Skipped != "":
			fmt.Fprintf(w, "  skipped   sheet %s: %s\n", sh.Name, sh.Skipped)
		case sh.Name != info.Sheet:
			fmt.Fprintf(w, "  also      sheet %s, variant %s\n", sh.Name, sh.Variant)
			printColumns(w, sh.Columns)
		}
	}
}

func printColumns(w io.Writer, cols []ingest.Column) {
	for i, c := range cols {
		label := "columns"
		if i > 0 {
			label = ""
		}
		fmt.Fprintf(w, "  %-9s %-22s ← %s (column %d)\n", label, c.Canonical, c.Header, c.Index+1)
	}
}

func printCounts(w io.Writer, opened, info ingest.Info) {
	if info.Encoding != opened.Encoding {
		// A file that is ASCII for its first 64 KiB has its encoding
		// decided by the first line that is not.
		fmt.Fprintf(w, "  encoding  %s (decided further on)\n", info.Encoding)
	}
	for _, sec := range info.Sections {
		fmt.Fprintf(w, "  section   %d (header line %d): %d rows", sec.Index, sec.Header.Line, sec.Rows)
		switch {
		case sec.Summary == nil && sec.SummaryErr != "":
			fmt.Fprintf(w, "; its summary cannot be read: %s\n", sec.SummaryErr)
		case sec.Summary == nil:
			fmt.Fprintf(w, "; no summary (a truncated download?)\n")
		case sec.TiesOut():
			fmt.Fprintf(w, "; the summary (line %d) ties out\n", sec.SummarySource.Line)
		default:
			fmt.Fprintf(w, "; the summary (line %d) disagrees:", sec.SummarySource.Line)
			for _, d := range sec.Differences() {
				fmt.Fprintf(w, " %s %s, rows %s;", d.Figure.Label(), figureText(d.Figure, d.Summary), figureText(d.Figure, d.Rows))
			}
			fmt.Fprintln(w)
		}
	}
	fmt.Fprintf(w, "  records   %d\n", info.Records)
	fmt.Fprintf(w, "  errors    %d\n", info.Errors)
}

// figureText shows a bill figure: a count, an amount in yuan, a fee with
// its five decimals.
func figureText(g ingest.Figure, v int64) string {
	switch g {
	case ingest.FigTrades:
		return strconv.FormatInt(v, 10)
	case ingest.FigFee:
		return ingest.FormatFee(v)
	}
	return ingest.FormatAmount(v)
}
