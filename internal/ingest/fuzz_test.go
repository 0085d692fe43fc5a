package ingest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzOpen opens arbitrary bytes as each kind of export and reads them to
// the end: it must never panic or hang, every row must yield a record or a
// RowError with a line inside the file, and the counts must add up.
func FuzzOpen(f *testing.F) {
	for _, fx := range fixtures {
		f.Add(fx.data())
	}
	f.Add([]byte(""))
	f.Add([]byte("order_id,product_fee,transport_fee,order_fee\n\"1,2\n"))
	f.Add([]byte("\ufeff微信订单号,商户订单号,订单金额\n`1,`2,`3\n总交易单数,应结订单总金额\n`1,`3\n"))
	f.Add([]byte("PK\x03\x04garbage"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "fuzz.csv")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		lines := strings.Count(string(data), "\n") + 1
		for _, kind := range []Kind{Orders, Payments, Clearances} {
			file, err := Open(p, kind)
			if err != nil {
				if !strings.HasPrefix(err.Error(), p+": ") {
					t.Fatalf("error %q does not name the file", err)
				}
				continue
			}
			n, bad := 0, 0
			check := func(src Source, e *RowError) {
				if e != nil {
					bad++
					src = e.Source
					if e.Message == "" {
						t.Fatalf("row error without a message at %v", src)
					}
				} else {
					n++
				}
				if src.File != p || src.Line < 1 || (file.info.Format == "csv" && src.Line > lines) {
					t.Fatalf("source %v out of the file (%d lines)", src, lines)
				}
			}
			switch kind {
			case Orders:
				for o, e := range file.Orders() {
					check(o.Source, e)
				}
			case Payments:
				for p, e := range file.Payments() {
					check(p.Source, e)
				}
			case Clearances:
				for c, e := range file.Clearances() {
					check(c.Source, e)
				}
			}
			_ = file.Err()
			info := file.Info()
			if info.Records != n || info.Errors != bad {
				t.Fatalf("Info counts %d/%d, yielded %d/%d", info.Records, info.Errors, n, bad)
			}
			if err := file.Close(); err != nil && info.Format == "csv" {
				t.Fatalf("Close: %v", err)
			}
		}
	})
}
