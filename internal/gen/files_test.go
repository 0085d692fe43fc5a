package gen_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/crossborder/reconcile/internal/gen"
	"github.com/crossborder/reconcile/internal/ingest"
)

func hashFiles(t *testing.T, m *gen.Manifest) map[string][32]byte {
	t.Helper()
	out := map[string][32]byte{}
	for _, f := range allFiles(m) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(f)] = sha256.Sum256(b)
	}
	return out
}

func allFiles(m *gen.Manifest) []string {
	var fs []string
	fs = append(fs, m.Files.Orders...)
	fs = append(fs, m.Files.Payments...)
	return append(fs, m.Files.Clearance...)
}

func TestSameSeedSameBytes(t *testing.T) {
	for _, gbk := range []bool{false, true} {
		spec := gen.Spec{Orders: 3000, Seed: 42, GBK: gbk, Shares: mixed, Clearance: 300, NextDayBill: true}
		a, err := gen.Write(t.TempDir(), spec)
		if err != nil {
			t.Fatal(err)
		}
		b, err := gen.Write(t.TempDir(), spec)
		if err != nil {
			t.Fatal(err)
		}
		ha, hb := hashFiles(t, a), hashFiles(t, b)
		if len(ha) != 5 {
			t.Errorf("gbk=%v: %d files, want 5 (2 orders, 2 bills, clearance)", gbk, len(ha))
		}
		for name, h := range ha {
			if hb[name] != h {
				t.Errorf("gbk=%v: %s differs between two writes of the same spec", gbk, name)
			}
		}
		spec.Seed++
		c, err := gen.Write(t.TempDir(), spec)
		if err != nil {
			t.Fatal(err)
		}
		for name, h := range hashFiles(t, c) {
			if ha[name] == h {
				t.Errorf("gbk=%v: %s is the same with another seed", gbk, name)
			}
		}
	}
}

// TestEncodings checks the bytes: GBK files are GB18030 text with the
// Chinese of a real export (and no BOM; the bill's lines end with LF),
// UTF-8 files are UTF-8 (the bill with a BOM and CRLF).
func TestEncodings(t *testing.T) {
	for _, gbk := range []bool{false, true} {
		m, err := gen.Write(t.TempDir(), gen.Spec{Orders: 400, Seed: 3, GBK: gbk, Shares: mixed, NextDayBill: true, Clearance: 10})
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			path  string
			bom   bool
			crlf  bool
			wants []string
		}{
			{m.Files.Orders[0], false, true, []string{"订单编号,买家会员名,买家支付宝账号,买家应付货款", "买家已付款，等待卖家发货", "某某海外旗舰店", "收货地址 ,运送方式", "手机订单,,,否,否,否"}},
			{m.Files.Payments[0], !gbk, !gbk, []string{"交易时间,公众账号ID,商户号", ",`SUCCESS,`", "总交易单数,应结订单总金额", "`CNY,`"}},
			{m.Files.Payments[1], !gbk, !gbk, []string{",`REFUND,`", ",`ORIGINAL,`SUCCESS,`"}},
		} {
			raw, err := os.ReadFile(tc.path)
			if err != nil {
				t.Fatal(err)
			}
			hasBOM := bytes.HasPrefix(raw, []byte("\ufeff"))
			if hasBOM != tc.bom {
				t.Errorf("gbk=%v %s: BOM %v, want %v", gbk, filepath.Base(tc.path), hasBOM, tc.bom)
			}
			text := string(raw)
			if gbk {
				if utf8.Valid(raw) {
					t.Errorf("%s: valid UTF-8, want GBK", tc.path)
				}
				b, err := simplifiedchinese.GB18030.NewDecoder().Bytes(raw)
				if err != nil {
					t.Fatalf("%s: not GB18030: %v", tc.path, err)
				}
				text = string(b)
			} else if !utf8.Valid(raw) {
				t.Errorf("%s: not valid UTF-8", tc.path)
			}
			if strings.Contains(text, "\uFFFD") {
				t.Errorf("%s: decodes with U+FFFD", tc.path)
			}
			for _, w := range tc.wants {
				if !strings.Contains(text, w) {
					t.Errorf("gbk=%v %s: lacks %q", gbk, filepath.Base(tc.path), w)
				}
			}
			lines := strings.Count(text, "\n")
			crlf := strings.Count(text, "\r\n")
			if tc.crlf && crlf != lines || !tc.crlf && crlf != 0 {
				t.Errorf("gbk=%v %s: %d of %d line breaks are CRLF, want all: %v", gbk, filepath.Base(tc.path), crlf, lines, tc.crlf)
			}
		}
	}
}

// TestReadersReadEveryRow opens every file with the job's readers: every
// row is a record but the InvalidRow ones, the kinds and encodings are
// detected as meant, and the counts are the manifest's.
func TestReadersReadEveryRow(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec gen.Spec
	}{
		{"utf8", gen.Spec{Orders: 5000, Seed: 5, Shares: heavyWithout(gen.NoCustoms), Clearance: 500, NextDayBill: true}},
		{"gbk customs", gen.Spec{Orders: 5000, Seed: 6, GBK: true, Customs: "NINGBO", Shares: heavy(), Clearance: 501}},
		{"xlsx", gen.Spec{Orders: 400, Seed: 7, XLSX: true, Shares: heavyWithout(gen.NoCustoms), NextDayBill: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := gen.Write(t.TempDir(), tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			wantEnc := "utf-8"
			if tc.spec.GBK {
				wantEnc = "gb18030"
			}
			var records, errs int
			ids := map[string]bool{}
			for _, f := range m.Files.Orders {
				file := open(t, f, ingest.Orders)
				for o, rerr := range file.Orders() {
					if rerr != nil {
						errs++
						if !invalidRowMessage.MatchString(rerr.Message) {
							t.Errorf("unexpected row error: %v", rerr)
						}
						continue
					}
					records++
					if len(o.OrderID) != 19 || !strings.HasPrefix(o.OrderID, "51") {
						t.Errorf("%s: order id %q, want 19 digits 51…", o.Source, o.OrderID)
					}
					if f == m.Files.Orders[0] {
						if ids[o.OrderID] {
							t.Errorf("%s: order id %s twice in the first export", o.Source, o.OrderID)
						}
						ids[o.OrderID] = true
					}
					if tc.spec.Customs == "" && o.Customs != "" || o.Customs != "" && o.Customs != tc.spec.Customs {
						t.Errorf("%s: customs %q, spec %q", o.Source, o.Customs, tc.spec.Customs)
					}
				}
				info := closeFile(t, file)
				if tc.spec.XLSX {
					if info.Format != "xlsx" {
						t.Errorf("%s: format %s, want xlsx", f, info.Format)
					}
				} else if info.Variant != "tmall" || info.Encoding != wantEnc {
					t.Errorf("%s: variant %s encoding %s, want tmall %s", f, info.Variant, info.Encoding, wantEnc)
				}
			}
			if errs != m.Injected[gen.InvalidRow] || errs != m.RowsInvalid {
				t.Errorf("order row errors: got %d, want %d (injected InvalidRow)", errs, m.Injected[gen.InvalidRow])
			}
			if records+errs != m.Rows.Orders {
				t.Errorf("orders: %d records + %d errors, want %d rows", records, errs, m.Rows.Orders)
			}

			records = 0
			for i, f := range m.Files.Payments {
				file := open(t, f, ingest.Payments)
				n := 0
				var sum gen.BillTotals
				for p, rerr := range file.Payments() {
					if rerr != nil {
						t.Errorf("payment row error: %v", rerr)
						continue
					}
					n++
					if len(p.TransactionID) != 28 {
						t.Errorf("%s: transaction id %q, want 28 digits", p.Source, p.TransactionID)
					}
					sum.OrderTotal += p.Amount
					sum.Refunds += p.RefundAmount
				}
				info := closeFile(t, file)
				records += n
				want := "utf-8-bom"
				if tc.spec.GBK {
					want = "gb18030"
				}
				if info.Variant != "wechat-all" || info.Encoding != want {
					t.Errorf("%s: variant %s encoding %s, want wechat-all %s", f, info.Variant, info.Encoding, want)
				}
				// The summary the reader found is the rows' totals.
				if len(info.Sections) != 1 || info.Sections[0].Summary == nil {
					t.Fatalf("%s: sections %+v, want one with a summary", f, info.Sections)
				}
				s := info.Sections[0].Summary
				bill := m.Bills[i]
				if s.Trades != int64(n) || s.OrderAmount != sum.OrderTotal || s.Refund != sum.Refunds || s.Settlement != bill.Settlement {
					t.Errorf("%s: summary %+v; rows read: %d trades, 订单金额 %d, 退款 %d; manifest %+v", f, *s, n, sum.OrderTotal, sum.Refunds, bill)
				}
			}
			if records != m.Rows.Payments || records != m.PaymentsRead {
				t.Errorf("payments: %d records, want %d rows", records, m.Rows.Payments)
			}

			records = 0
			for _, f := range m.Files.Clearance {
				file := open(t, f, ingest.Clearances)
				for _, rerr := range file.Clearances() {
					if rerr != nil {
						t.Errorf("clearance row error: %v", rerr)
						continue
					}
					records++
				}
				closeFile(t, file)
			}
			if records != m.Rows.Clearance || records != tc.spec.Clearance+m.Injected[gen.CallbackInvalid] {
				t.Errorf("clearance: %d records, want %d rows (%d valid + %d invalid)", records, m.Rows.Clearance, tc.spec.Clearance, m.Injected[gen.CallbackInvalid])
			}
		})
	}
}

// invalidRowMessage matches the reader's messages for the rows InvalidRow
// writes: an id in scientific notation or stored as a number, an amount
// with 3 decimals, a day that does not exist.
var invalidRowMessage = regexp.MustCompile(`scientific notation|stored as a number|decimal|day 32`)

func heavyWithout(a gen.Anomaly) map[gen.Anomaly]float64 { return without(heavy(), a) }

func open(t *testing.T, path string, kind ingest.Kind) *ingest.File {
	t.Helper()
	f, err := ingest.Open(path, kind)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return f
}

func closeFile(t *testing.T, f *ingest.File) ingest.Info {
	t.Helper()
	if err := f.Err(); err != nil {
		t.Errorf("reading: %v", err)
	}
	info := f.Info()
	f.Close()
	return info
}

// TestBillSummaryTotals recomputes each bill's totals from its lines with
// a parser of its own (split at ",`"), and compares them with the summary
// line and the manifest.
func TestBillSummaryTotals(t *testing.T) {
	for _, gbk := range []bool{false, true} {
		m, err := gen.Write(t.TempDir(), gen.Spec{Orders: 2000, Seed: 9, GBK: gbk, Shares: mixed, NextDayBill: true})
		if err != nil {
			t.Fatal(err)
		}
		for i, f := range m.Files.Payments {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if gbk {
				if raw, err = simplifiedchinese.GB18030.NewDecoder().Bytes(raw); err != nil {
					t.Fatal(err)
				}
			}
			var got gen.BillTotals
			var summary []string
			sc := bufio.NewScanner(bytes.NewReader(bytes.TrimPrefix(raw, []byte("\ufeff"))))
			for n := 0; sc.Scan(); n++ {
				line := strings.TrimSuffix(sc.Text(), "\r")
				switch {
				case n == 0:
					if got := strings.Count(line, ",") + 1; got != 27 {
						t.Errorf("%s: header has %d columns, want 27", f, got)
					}
				case strings.HasPrefix(line, "总交易单数"):
					sc.Scan()
					summary = strings.Split(strings.TrimPrefix(strings.TrimSuffix(sc.Text(), "\r"), "`"), ",`")
				default:
					fs := strings.Split(strings.TrimPrefix(line, "`"), ",`")
					if len(fs) != 27 {
						t.Fatalf("%s:%d: %d fields, want 27", f, n+1, len(fs))
					}
					got.Trades++
					if fs[9] == "SUCCESS" {
						got.Settlement += fen(t, fs[12])
					}
					got.Refunds += fen(t, fs[16])
					got.RefundRequested += fen(t, fs[25])
					got.OrderTotal += fen(t, fs[24])
					got.Fees += fee5(t, fs[22])
				}
			}
			if len(summary) != 7 {
				t.Fatalf("%s: summary line %q, want 7 fields", f, summary)
			}
			want := m.Bills[i]
			want.File = ""
			if got != want {
				t.Errorf("%s: lines add up to %+v, manifest says %+v", f, got, want)
			}
			wantLine := []int64{int64(got.Trades), got.Settlement, got.Refunds, 0, got.Fees, got.OrderTotal, got.RefundRequested}
			for k, v := range summary {
				var w int64
				switch k {
				case 0:
					n, err := strconv.Atoi(v)
					if err != nil {
						t.Fatalf("%s: 总交易单数 %q: %v", f, v, err)
					}
					w = int64(n)
				case 4:
					w = fee5(t, v)
				default:
					w = fen(t, v)
				}
				if w != wantLine[k] {
					t.Errorf("%s: summary field %d is %s, want %d", f, k+1, v, wantLine[k])
				}
			}
		}
	}
}

func fen(t *testing.T, s string) int64 {
	t.Helper()
	v, err := ingest.ParseAmount(s)
	if err != nil {
		t.Fatalf("amount %q: %v", s, err)
	}
	return v
}

// fee5 parses a 手续费 with 5 decimals into units of 10^-5 yuan.
func fee5(t *testing.T, s string) int64 {
	t.Helper()
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	ip, fp, ok := strings.Cut(s, ".")
	if !ok || len(fp) != 5 {
		t.Fatalf("fee %q: want 5 decimals", s)
	}
	v, err := strconv.ParseInt(ip+fp, 10, 64)
	if err != nil {
		t.Fatalf("fee %q: %v", s, err)
	}
	if neg {
		v = -v
	}
	return v
}

// TestStaleFilesRemoved: a second Write into the same directory leaves no
// file of the first that it did not write itself, and nothing else is
// touched.
func TestStaleFilesRemoved(t *testing.T) {
	dir := t.TempDir()
	first, err := gen.Write(dir, gen.Spec{Orders: 50, Seed: 1, Shares: map[gen.Anomaly]float64{gen.OrderDuplicate: 0.1}, NextDayBill: true, Clearance: 4})
	if err != nil {
		t.Fatal(err)
	}
	mine := filepath.Join(dir, "payments", "notes.csv")
	if err := os.WriteFile(mine, []byte("a,b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	second, err := gen.Write(dir, gen.Spec{Orders: 50, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	keep := map[string]bool{}
	for _, f := range allFiles(second) {
		keep[f] = true
	}
	for _, f := range allFiles(first) {
		_, err := os.Stat(f)
		if exists := err == nil; exists != keep[f] {
			t.Errorf("%s: exists %v after the second write, want %v", f, exists, keep[f])
		}
	}
	if _, err := os.Stat(mine); err != nil {
		t.Errorf("a file the generator did not write was removed: %v", err)
	}
	if len(second.Files.Orders) != 1 || len(second.Files.Payments) != 1 || len(second.Files.Clearance) != 0 {
		t.Errorf("second write files %+v, want one orders export and one bill", second.Files)
	}

	// A Write that fails leaves no manifest that would describe other files.
	if err := os.RemoveAll(filepath.Join(dir, "clearance")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "clearance"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := gen.Write(dir, gen.Spec{Orders: 5, Clearance: 2}); err == nil {
		t.Fatal("Write succeeded with a file in the way of the clearance directory")
	}
	if _, err := os.Stat(filepath.Join(dir, gen.ManifestName)); !os.IsNotExist(err) {
		t.Errorf("after a failed Write the manifest is still there (stat: %v)", err)
	}
}
