package gen_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"fmt"
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

// TestSameSpecSameManifest: the bills of the money's anomalies (pasted,
// edited, truncated, Global) and the manifest are as deterministic as the
// rest: the same Spec, the same bytes and the same manifest.
func TestSameSpecSameManifest(t *testing.T) {
	for _, spec := range []gen.Spec{
		{Orders: 3000, Seed: 43, Shares: with(with(mixed, fees), edits), PasteBills: true, FeeRate: 38},
		{Orders: 3000, Seed: 44, Shares: with(with(mixed, fees), edits), Global: "HKD", NextDayBill: true, GBK: true},
	} {
		var hashes []map[string][32]byte
		var manifests []string
		for range 2 {
			dir := t.TempDir()
			m, err := gen.Write(dir, spec)
			if err != nil {
				t.Fatal(err)
			}
			hashes = append(hashes, hashFiles(t, m))
			b, err := os.ReadFile(filepath.Join(dir, gen.ManifestName))
			if err != nil {
				t.Fatal(err)
			}
			manifests = append(manifests, strings.ReplaceAll(string(b), dir, "DIR"))
		}
		for name, h := range hashes[0] {
			if hashes[1][name] != h {
				t.Errorf("%+v: %s differs between two writes", spec, name)
			}
		}
		if manifests[0] != manifests[1] {
			t.Errorf("%+v: the manifests differ", spec)
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
		{"pasted gbk", gen.Spec{Orders: 3000, Seed: 8, GBK: true, Shares: heavyWithout(gen.NoCustoms), PasteBills: true}},
		{"global", gen.Spec{Orders: 3000, Seed: 9, Global: "EUR", Shares: heavyWithout(gen.NoCustoms), NextDayBill: true}},
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
			bills := map[string]gen.BillTotals{}
			for _, b := range m.Bills {
				bills[fmt.Sprintf("%s#%d", b.File, b.Section)] = b
			}
			for _, f := range m.Files.Payments {
				file := open(t, f, ingest.Payments)
				// What the rows read add up to, per section: 订单金额 and
				// 申请退款金额 as the job reads them.
				read := map[int]*gen.BillTotals{}
				for p, rerr := range file.Payments() {
					if rerr != nil {
						t.Errorf("payment row error: %v", rerr)
						continue
					}
					records++
					if len(p.TransactionID) != 28 {
						t.Errorf("%s: transaction id %q, want 28 digits", p.Source, p.TransactionID)
					}
					sum := read[p.Bill.Section]
					if sum == nil {
						sum = &gen.BillTotals{}
						read[p.Bill.Section] = sum
					}
					sum.Trades++
					sum.OrderTotal += p.Amount
					sum.RefundRequested += p.RefundAmount
				}
				info := closeFile(t, file)
				want := "utf-8-bom"
				if tc.spec.GBK {
					want = "gb18030"
				}
				variant := "wechat-all"
				if tc.spec.Global != "" {
					variant = "wechat-global"
				}
				if info.Variant != variant || info.Encoding != want {
					t.Errorf("%s: variant %s encoding %s, want %s %s", f, info.Variant, info.Encoding, variant, want)
				}
				// The summary the reader found is the rows' totals and the
				// manifest's.
				for _, sec := range info.Sections {
					bill, ok := bills[fmt.Sprintf("%s#%d", f, sec.Index)]
					s, sum := sec.Summary, read[sec.Index]
					if sum == nil {
						sum = &gen.BillTotals{}
					}
					if !ok || (s != nil) != bill.Summary || sum.Trades != bill.Rows {
						t.Errorf("%s section %d: summary %v, %d rows read; in the manifest %v: %+v", f, sec.Index, s, sum.Trades, ok, bill)
						continue
					}
					if s != nil && (s.Trades != int64(bill.Trades) || s.OrderAmount != bill.OrderTotal || s.RequestedRefund != bill.RefundRequested || s.Settlement != bill.Settlement || s.Fee != bill.Fees) {
						t.Errorf("%s section %d: summary %+v; manifest %+v", f, sec.Index, *s, bill)
					}
					// A section that ties out: its rows add up to its summary.
					if bill.TiesOut && (sum.Trades != bill.Trades || sum.OrderTotal != bill.OrderTotal || sum.RefundRequested != bill.RefundRequested) {
						t.Errorf("%s section %d: rows read: %d trades, 订单金额 %d, 申请退款金额 %d; manifest %+v", f, sec.Index, sum.Trades, sum.OrderTotal, sum.RefundRequested, bill)
					}
					delete(bills, fmt.Sprintf("%s#%d", f, sec.Index))
				}
			}
			for k := range bills {
				t.Errorf("the manifest's section %s was not read", k)
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

// billSection is a section of a bill as TestBillSections reads it with a
// parser of its own (lines split at ",`"): its rows' sums, and its summary
// line's fields (nil when it has none).
type billSection struct {
	file    string
	header  []string
	rows    gen.BillTotals
	summary []string
	fees    map[string]int // the payment rows by how their fee is rounded (checkRowFee)
}

// readBillSections splits a bill file into its sections: a header (its
// first cell 交易时间) opens one, 总交易单数 and the line after it close it.
// It checks each row's fee as it goes: see checkRowFee.
func readBillSections(t *testing.T, path string, gbk bool) []billSection {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if gbk {
		if raw, err = simplifiedchinese.GB18030.NewDecoder().Bytes(raw); err != nil {
			t.Fatal(err)
		}
	}
	var secs []billSection
	sc := bufio.NewScanner(bytes.NewReader(bytes.TrimPrefix(raw, []byte("\ufeff"))))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSuffix(sc.Text(), "\r")
		switch {
		case strings.HasPrefix(line, "交易时间,"):
			secs = append(secs, billSection{file: path, header: strings.Split(line, ","), fees: map[string]int{}})
		case len(secs) == 0:
			t.Fatalf("%s:%d: a line before the first header: %q", path, n, line)
		case strings.HasPrefix(line, "总交易单数"):
			sec := &secs[len(secs)-1]
			if sec.summary != nil {
				t.Fatalf("%s:%d: a second summary in a section", path, n)
			}
			if !sc.Scan() {
				t.Fatalf("%s:%d: summary names without values", path, n)
			}
			n++
			sec.summary = strings.Split(strings.TrimPrefix(strings.TrimSuffix(sc.Text(), "\r"), "`"), ",`")
		default:
			sec := &secs[len(secs)-1]
			if sec.summary != nil {
				t.Fatalf("%s:%d: a row after the summary", path, n)
			}
			fs := strings.Split(strings.TrimPrefix(line, "`"), ",`")
			if len(fs) != len(sec.header) {
				t.Fatalf("%s:%d: %d fields, want the header's %d", path, n, len(fs), len(sec.header))
			}
			row := map[string]string{}
			for k, h := range sec.header {
				row[h] = fs[k]
			}
			where := fmt.Sprintf("%s:%d", path, n)
			if len(sec.header) == 38 {
				// A Global statement: what the buyer paid and asked back,
				// in CNY; what is settled, in the currency.
				checkGlobalRow(t, where, row)
				row["订单金额"], row["退款金额"], row["代金券金额"] = row["用户支付金额"], row["退款应结订单金额"], row["充值券金额"]
			}
			sec.fees[checkRowFee(t, where, row)]++
			sec.rows.Trades++
			sec.rows.Settlement += fen(t, row["应结订单金额"])
			sec.rows.Refunds += fen(t, row["退款金额"])
			sec.rows.VoucherRefunds += fen(t, row["充值券退款金额"])
			sec.rows.Fees += fee5(t, row["手续费"])
			sec.rows.OrderTotal += fen(t, row["订单金额"])
			sec.rows.RefundRequested += fen(t, row["申请退款金额"])
		}
	}
	return secs
}

// checkRowFee checks a row of an ALL bill as docs/formats.md describes it: a
// payment's amounts in 应结订单金额 and 订单金额 (less its coupon) and
// 手续费 = 应结订单金额 × 费率 rounded to the fen; a refund's 0.00 in both,
// 申请退款金额 = 退款金额 + 充值券退款金额 and 手续费 = −退款金额 × 费率
// rounded to the fen, half up. It returns how a payment's fee is rounded:
// "half up" (the generator's rounding), "half down" (an exact half
// rounded down), "unrounded" (the product to 10⁻⁵ yuan, of very old
// bills) or "off" (by a fen or more); "" for other rows.
func checkRowFee(t *testing.T, where string, row map[string]string) string {
	t.Helper()
	bp := rateBP(t, row["费率"])
	round := func(base int64) int64 { return (base*bp*100 + 500_000) / 1_000_000 * 1000 }
	settle, order, fee := fen(t, row["应结订单金额"]), fen(t, row["订单金额"]), fee5(t, row["手续费"])
	refund, voucher, requested := fen(t, row["退款金额"]), fen(t, row["充值券退款金额"]), fen(t, row["申请退款金额"])
	_, all := row["货币种类"] // an ALL bill: settled in CNY (checkGlobalRow checks a Global statement's)
	switch row["交易状态"] {
	case "SUCCESS":
		if all && settle != order-fen(t, row["代金券金额"]) || refund != 0 || requested != 0 {
			t.Errorf("%s: payment row 应结 %d 订单 %d 退款 %d 申请 %d; want 应结 = 订单 − 代金券, no refund", where, settle, order, refund, requested)
		}
		prod := settle * bp * 100 // 10⁻⁸ yuan
		switch {
		case fee == round(settle):
			return "half up"
		case prod%1_000_000 == 500_000 && fee == prod/1_000_000*1000:
			return "half down"
		case fee*1000-prod > -1000 && fee*1000-prod < 1000:
			return "unrounded"
		case fee%1000 == 0:
			return "off"
		}
		t.Errorf("%s: 手续费 %d of 应结 %d at %d bp: neither rounded nor off by whole fen", where, fee, settle, bp)
	case "REFUND":
		if settle != 0 || order != 0 || all && requested != refund+voucher || refund <= 0 || fee != -round(refund) {
			t.Errorf("%s: refund row 应结 %d 订单 %d 退款 %d 充值券 %d 申请 %d 手续费 %d; want 0.00, 0.00, 申请 = 退款 + 充值券, fee %d", where, settle, order, refund, voucher, requested, fee, -round(refund))
		}
	case "REVOKED":
		if fee != 0 || requested != 0 {
			t.Errorf("%s: revocation with fee %d, refund %d", where, fee, requested)
		}
	default:
		t.Errorf("%s: status %q", where, row["交易状态"])
	}
	return ""
}

// checkGlobalRow checks what a row of a Global statement says beside the
// columns an ALL bill has: CNY paid and priced, the currency settled the
// same on every row; a payment's 应结订单金额 = 用户支付金额 × 支付汇率 and
// a refund's 退款应结订单金额 = 申请退款金额 × 退款汇率, rounded to the
// hundredth; a refund's 用户退款金额 = 申请退款金额.
func checkGlobalRow(t *testing.T, where string, row map[string]string) {
	t.Helper()
	if row["标价币种"] != "CNY" || row["用户支付币种"] != "CNY" || len(row["结算币种"]) != 3 || row["订单金额(标价币种)"] != row["用户支付金额"] {
		t.Errorf("%s: 标价币种 %q, 用户支付币种 %q, 结算币种 %q, 订单金额(标价币种) %s, 用户支付金额 %s", where,
			row["标价币种"], row["用户支付币种"], row["结算币种"], row["订单金额(标价币种)"], row["用户支付金额"])
	}
	convert := func(cny int64, rate string) int64 {
		ip, fp, ok := strings.Cut(rate, ".")
		micro, err := strconv.ParseInt(ip+fp, 10, 64)
		if !ok || len(fp) != 6 || err != nil {
			t.Fatalf("%s: rate %q: want 6 decimals", where, rate)
		}
		return (cny*micro + 500_000) / 1_000_000
	}
	switch row["交易状态"] {
	case "SUCCESS", "REVOKED":
		if got, want := fen(t, row["应结订单金额"]), convert(fen(t, row["用户支付金额"]), row["支付汇率"]); got != want {
			t.Errorf("%s: 应结订单金额 %d, want %d: 用户支付金额 %s × 支付汇率 %s", where, got, want, row["用户支付金额"], row["支付汇率"])
		}
	case "REFUND":
		if got, want := fen(t, row["退款应结订单金额"]), convert(fen(t, row["申请退款金额"]), row["退款汇率"]); got != want ||
			row["用户退款金额"] != row["申请退款金额"] || row["退款结算币种"] != row["结算币种"] || fen(t, row["用户支付金额"]) != 0 {
			t.Errorf("%s: refund row 退款应结订单金额 %d, want %d (申请退款金额 %s × 退款汇率 %s); 用户退款金额 %s, 退款结算币种 %q, 用户支付金额 %s",
				where, got, want, row["申请退款金额"], row["退款汇率"], row["用户退款金额"], row["退款结算币种"], row["用户支付金额"])
		}
	}
}

// rateBP parses a 费率 such as 0.60% into basis points.
func rateBP(t *testing.T, s string) int64 {
	t.Helper()
	v, ok := strings.CutSuffix(s, "%")
	ip, fp, _ := strings.Cut(v, ".")
	n, err := strconv.ParseInt(ip+fp, 10, 64)
	if !ok || len(fp) != 2 || err != nil {
		t.Fatalf("费率 %q: want a percentage with two decimals", s)
	}
	return n
}

// TestBillSections reads every bill with a parser of its own, checks each
// row's fee, adds up each section's rows and compares them with its
// summary line and with the manifest.
func TestBillSections(t *testing.T) {
	var vouchers, refunds int64 // over every case: the coupon's share of a refund is exercised
	defer func() {
		if vouchers == 0 || refunds == 0 {
			t.Errorf("no case has a refund (%d) and a coupon refunded (%d)", refunds, vouchers)
		}
	}()
	for _, tc := range []struct {
		name string
		spec gen.Spec
	}{
		{"utf8 next-day bill", gen.Spec{Orders: 2000, Seed: 9, Shares: mixed, NextDayBill: true}},
		{"gbk one bill", gen.Spec{Orders: 2000, Seed: 10, GBK: true, Shares: mixed}},
		{"gbk 0.38%", gen.Spec{Orders: 2000, Seed: 11, GBK: true, Shares: heavyWithout(gen.NoCustoms), NextDayBill: true, FeeRate: 38}},
		{"1%", gen.Spec{Orders: 500, Seed: 12, Shares: mixed, FeeRate: 100}},
		{"empty", gen.Spec{NextDayBill: true}},
		{"pasted utf8", gen.Spec{Orders: 2000, Seed: 15, Shares: with(mixed, fees), PasteBills: true}},
		{"pasted gbk, the day's truncated and edited", gen.Spec{Orders: 2000, Seed: 16, GBK: true, Shares: with(mixed, edits), PasteBills: true}},
		{"global HKD", gen.Spec{Orders: 2000, Seed: 17, Global: "HKD", Shares: with(heavyWithout(gen.NoCustoms), fees), NextDayBill: true}},
		{"global USD gbk 1%", gen.Spec{Orders: 2000, Seed: 18, Global: "USD", GBK: true, FeeRate: 100, Shares: with(mixed, fees)}},
		{"fee anomalies 1%", gen.Spec{Orders: 3000, Seed: 13, FeeRate: 100, NextDayBill: true,
			Shares: map[gen.Anomaly]float64{gen.FeeError: 0.1, gen.FeeHalfDown: 0.1, gen.LegacyFee: 0.1, gen.Refunded: 0.1}}},
		{"fee anomalies 0.37% gbk", gen.Spec{Orders: 3000, Seed: 14, FeeRate: 37, GBK: true,
			Shares: map[gen.Anomaly]float64{gen.FeeError: 0.05, gen.FeeHalfDown: 0.05, gen.LegacyFee: 0.05, gen.PaymentRepeat: 0.1}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := gen.Write(t.TempDir(), tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			var secs []billSection
			for _, f := range m.Files.Payments {
				secs = append(secs, readBillSections(t, f, tc.spec.GBK)...)
			}
			if len(secs) != len(m.Bills) {
				t.Fatalf("%d sections in the files, %d in the manifest", len(secs), len(m.Bills))
			}
			rows := 0
			fees := map[string]int{}
			for i, sec := range secs {
				for k, n := range sec.fees {
					fees[k] += n
				}
				want := m.Bills[i]
				if want.File != sec.file || want.Rows != sec.rows.Trades {
					t.Errorf("section %d: %s with %d rows, manifest says %s with %d", i+1, sec.file, sec.rows.Trades, want.File, want.Rows)
				}
				rows += sec.rows.Trades
				vouchers += sec.rows.VoucherRefunds
				refunds += sec.rows.Refunds
				if got, want := len(sec.header), map[bool]int{false: 27, true: 38}[tc.spec.Global != ""]; got != want {
					t.Errorf("%s: header has %d columns, want %d", sec.file, got, want)
				}
				if cur := map[bool]string{false: "", true: tc.spec.Global}[sec.rows.Trades > 0]; want.Currency != cur {
					t.Errorf("%s: the manifest's currency is %q, want %q", sec.file, want.Currency, cur)
				}
				if !want.Summary && i+1 < len(secs) && secs[i+1].file == sec.file {
					t.Errorf("%s: section %d has no summary but another below it", sec.file, want.Section)
				}
				switch {
				case !want.Summary:
					// Truncated: no summary; the manifest has the rows' sums.
					if sec.summary != nil || sec.rows != want.Figures() || want.TiesOut {
						t.Errorf("%s: summary %q, rows add up to %+v; manifest %+v, want none and the rows' sums", sec.file, sec.summary, sec.rows, want)
					}
				case len(sec.summary) != 7:
					t.Errorf("%s: summary line %q, want 7 fields", sec.file, sec.summary)
				default:
					got := summaryTotals(t, sec.summary)
					if got != want.Figures() {
						t.Errorf("%s: summary %+v, manifest %+v", sec.file, got, want.Figures())
					}
					// It ties out, or lost rows under it (EditedBill).
					if ties := got == sec.rows; ties != want.TiesOut || got.Trades != sec.rows.Trades+want.Deleted {
						t.Errorf("%s: summary %+v, rows add up to %+v: ties out %v; manifest %+v", sec.file, got, sec.rows, ties, want)
					}
				}
			}
			if rows != m.Rows.Payments {
				t.Errorf("%d rows in the sections, manifest says %d", rows, m.Rows.Payments)
			}
			// Each fee anomaly's payment row, and no other, has its fee.
			for _, f := range []struct {
				kind string
				want int
			}{{"off", m.Injected[gen.FeeError]}, {"half down", m.Injected[gen.FeeHalfDown]}, {"unrounded", m.Injected[gen.LegacyFee]}} {
				if got := fees[f.kind]; got != f.want {
					t.Errorf("%d payment rows have a fee %s, want %d (injected)", got, f.kind, f.want)
				}
			}
		})
	}
}

// summaryTotals reads the 7 fields of an ALL bill's summary line.
func summaryTotals(t *testing.T, fs []string) gen.BillTotals {
	t.Helper()
	n, err := strconv.Atoi(fs[0])
	if err != nil {
		t.Fatalf("总交易单数 %q: %v", fs[0], err)
	}
	return gen.BillTotals{Trades: n, Settlement: fen(t, fs[1]), Refunds: fen(t, fs[2]), VoucherRefunds: fen(t, fs[3]),
		Fees: fee5(t, fs[4]), OrderTotal: fen(t, fs[5]), RefundRequested: fen(t, fs[6])}
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
