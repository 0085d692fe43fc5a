package ingest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// dump reads a whole file and describes what was read, one line per
// record or error, then the Info; the golden files hold the result.
func dump(t *testing.T, path string, kind Kind, opts ...Option) string {
	t.Helper()
	f, err := Open(path, kind, opts...)
	if err != nil {
		return "open error: " + err.Error() + "\n"
	}
	defer f.Close()
	var b strings.Builder
	ts := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.Format(time.RFC3339)
	}
	rowErr := func(e *RowError) {
		fmt.Fprintf(&b, "error %s [order %q tx %q]\n", e.Error(), e.OrderID, e.TransactionID)
	}
	switch kind {
	case Orders:
		for o, e := range f.Orders() {
			if e != nil {
				rowErr(e)
				continue
			}
			fmt.Fprintf(&b, "order %s %s product=%d transport=%d total=%d customs=%q paid=%s status=%q buyer=%q id=%q\n",
				o.Source, o.OrderID, o.ProductFee, o.TransportFee, o.OrderFee, o.Customs, ts(o.PaidAt), o.Status, o.BuyerName, o.BuyerIDNo)
		}
	case Payments:
		for p, e := range f.Payments() {
			if e != nil {
				rowErr(e)
				continue
			}
			fmt.Fprintf(&b, "payment %s tx=%s order=%s amount=%d status=%v refund=%d paid=%s\n",
				p.Source, p.TransactionID, p.OrderID, p.Amount, p.Status, p.RefundAmount, ts(p.PaidAt))
		}
	case Clearances:
		for c, e := range f.Clearances() {
			if e != nil {
				rowErr(e)
				continue
			}
			fmt.Fprintf(&b, "clearance %s order=%s idem=%q status=%d (%q) code=%q port=%q time=%s pass=%q receipt=%q\n",
				c.Source, c.OrderID, c.Idempotent, c.ClearanceStatus, c.StatusText, c.ResultCode, c.PortNo, ts(c.ClearanceTime), c.CustomsPassNo, c.CustomsReturnReceipt)
		}
	}
	if err := f.Err(); err != nil {
		fmt.Fprintf(&b, "err %v\n", err)
	}
	info := f.Info()
	fmt.Fprintf(&b, "info format=%s encoding=%q sheet=%q variant=%s records=%d errors=%d\n", info.Format, info.Encoding, info.Sheet, info.Variant, info.Records, info.Errors)
	for _, c := range info.Columns {
		fmt.Fprintf(&b, "  %s <- %q (%d)\n", c.Canonical, c.Header, c.Index)
	}
	for _, sec := range info.Sections {
		fmt.Fprintf(&b, "section %d header=%s variant=%s rows=%d errors=%d sums=%+v currency=%q\n", sec.Index, sec.Header, sec.Variant, sec.Rows, sec.Errors, sec.Sums, sec.SettleCurrency)
		if s := sec.Summary; s != nil {
			fmt.Fprintf(&b, "  summary %s %+v ties_out=%v diffs=%+v\n", sec.SummarySource, *s, sec.TiesOut(), sec.Differences())
		} else {
			fmt.Fprintf(&b, "  no summary %q\n", sec.SummaryErr)
		}
	}
	return b.String()
}

func TestGolden(t *testing.T) {
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			got := dump(t, filepath.Join("testdata", fx.name), fx.kind)
			checkGolden(t, filepath.Join("testdata", "golden", fx.name+".txt"), got)
		})
	}
}

func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the test with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s: got\n%s\nwant\n%s", path, got, want)
	}
}

// Every CSV fixture reads the same whatever its line breaks: LF, CRLF, or
// CR alone, as Excel's "CSV (Macintosh)" saves.
func TestLineBreaksReadAlike(t *testing.T) {
	for _, fx := range fixtures {
		src := filepath.Join("testdata", fx.name)
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.HasPrefix(data, []byte("PK")) {
			continue // an XLSX
		}
		lf := bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
		want := dump(t, src, fx.kind)
		for name, body := range map[string][]byte{
			"LF":   lf,
			"CRLF": bytes.ReplaceAll(lf, []byte("\n"), []byte("\r\n")),
			"CR":   bytes.ReplaceAll(lf, []byte("\n"), []byte("\r")),
		} {
			p := filepath.Join(t.TempDir(), fx.name)
			if err := os.WriteFile(p, body, 0o644); err != nil {
				t.Fatal(err)
			}
			if got := strings.ReplaceAll(dump(t, p, fx.kind), p, src); got != want {
				t.Errorf("%s with %s breaks:\n got %s\nwant %s", fx.name, name, got, want)
			}
		}
	}
}
