package ingest

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crossborder/reconcile/internal/cst"
	"github.com/xuri/excelize/v2"
)

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

type orderResult struct {
	orders []Order
	errs   []*RowError
	err    error // from Err
	info   Info
}

func readOrders(t *testing.T, path string, opts ...Option) orderResult {
	t.Helper()
	f, err := Open(path, Orders, opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer f.Close()
	var r orderResult
	for o, e := range f.Orders() {
		if e != nil {
			r.errs = append(r.errs, e)
			continue
		}
		r.orders = append(r.orders, o)
	}
	r.err = f.Err()
	r.info = f.Info()
	return r
}

func readPayments(t *testing.T, path string) ([]Payment, []*RowError, Info) {
	t.Helper()
	f, err := Open(path, Payments)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer f.Close()
	var ps []Payment
	var es []*RowError
	for p, e := range f.Payments() {
		if e != nil {
			es = append(es, e)
			continue
		}
		ps = append(ps, p)
	}
	if err := f.Err(); err != nil {
		t.Fatalf("Err: %v", err)
	}
	return ps, es, f.Info()
}

const ordersHeader = "order_id,product_fee,transport_fee,order_fee,paid_at,status\n"

func TestOpenStructuralErrors(t *testing.T) {
	xlsx, err := os.ReadFile("testdata/orders_workbench.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data []byte
		want []string // substrings of the error
	}{
		{"empty.csv", nil, []string{"empty.csv", "empty"}},
		{"blank.csv", []byte("\r\n\n,,,\n  \n"), []string{"blank.csv", "no header row"}},
		{"garbage.csv", []byte("\x00\x01\x02binary\xff\xfe"), []string{"garbage.csv", "binary data"}},
		{"utf16.csv", []byte("\xff\xfeo\x00r\x00"), []string{"UTF-16"}},
		{"old.xls", []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest"), []string{"97-2003"}},
		{"empty-zip.xlsx", []byte("PK\x05\x06" + strings.Repeat("\x00", 18)), []string{"empty zip"}},
		{"truncated.xlsx", xlsx[:len(xlsx)/2], []string{"truncated.xlsx", "damaged or truncated"}},
		{"missing.csv", []byte("订单号,商品金额,运费,备注\n1,1,1,x\n"), []string{
			"missing.csv", "missing required column order_fee (one of: order_fee, 总金额, 订单金额, 应付金额)",
			"headers found: 订单号, 商品金额, 运费, 备注"}},
		{"missing-two.csv", []byte("a,b\n"), []string{"missing required columns order_id", "product_fee (one of", "headers found: a, b"}},
		{"fffd-header.csv", []byte("order_id,product_fee,transport_fee,order_fee,\uFFFD\n"), []string{"header 5", "U+FFFD"}},
		{"bad-utf8-header.csv", []byte("order_id,product_fee,transport_fee,order_fee\n1,1,1,1\n"), nil}, // control: fine
		{"unterminated-header.csv", []byte("\"order_id,product_fee"), []string{"line 1", "never closed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, tt.name, tt.data)
			f, err := Open(p, Orders)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				f.Close()
				return
			}
			if err == nil {
				f.Close()
				t.Fatalf("Open succeeded; want an error with %q", tt.want)
			}
			if !strings.HasPrefix(err.Error(), p+": ") {
				t.Errorf("error %q does not start with the file name", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
	t.Run("no such file", func(t *testing.T) {
		_, err := Open(filepath.Join(t.TempDir(), "nope.csv"), Orders)
		if err == nil || !strings.Contains(err.Error(), "nope.csv: no such file") {
			t.Errorf("err = %v, want one naming the file", err)
		}
	})
	t.Run("random bytes without NUL", func(t *testing.T) {
		b := make([]byte, 5000)
		for i := range b {
			b[i] = byte(0x80 + (i*7919)%127)
		}
		_, err := Open(writeFile(t, "noise.csv", b), Payments)
		if err == nil {
			t.Fatal("Open succeeded on noise")
		}
	})
}

func TestFormatByContent(t *testing.T) {
	xlsx, err := os.ReadFile("testdata/orders_workbench.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	r := readOrders(t, writeFile(t, "really-a-workbook.csv", xlsx))
	if r.info.Format != "xlsx" || len(r.orders) != 4 {
		t.Errorf("an XLSX named .csv: format %q, %d orders; want xlsx, 4", r.info.Format, len(r.orders))
	}
	r = readOrders(t, writeFile(t, "really-text.xlsx", []byte(ordersHeader+"1,1,0,1,,\n")))
	if r.info.Format != "csv" || len(r.orders) != 1 {
		t.Errorf("a CSV named .xlsx: format %q, %d orders; want csv, 1", r.info.Format, len(r.orders))
	}
}

func TestEncodings(t *testing.T) {
	text := "订单编号,商品金额,运费,总金额,订单状态\n1001,1.00,0,1.00,交易成功\n"
	// A UTF-8 character cut by the 64 KiB sniff (its first byte is the last
	// byte sniffed): the prefix must still count as UTF-8.
	var cut bytes.Buffer
	cut.WriteString("order_id,product_fee,transport_fee,order_fee,status,note\n") // ASCII: the prefix alone decides
	for cut.Len() < sniffSize-200 {
		cut.WriteString("1001,1.00,0,1.00,交易成功,x\n")
	}
	row := "1001,1.00,0,1.00,交易成功,"
	cut.WriteString(row + strings.Repeat("b", sniffSize-1-cut.Len()-len(row)) + "中文\n")
	if b := cut.Bytes(); !bytes.HasPrefix(b[sniffSize-1:], []byte("中")) {
		t.Fatalf("the test file does not cut a character at %d", sniffSize)
	}
	// ASCII for the first 64 KiB, GBK after: decided on the first non-ASCII line.
	var late bytes.Buffer
	late.WriteString("order_id,product_fee,transport_fee,order_fee,status\n")
	n := 0
	for late.Len() < sniffSize+100 {
		late.WriteString("1001,1.00,0,1.00,paid\n")
		n++
	}
	late.Write(encodeGBK("1002,2.00,0,2.00,交易成功\n"))

	tests := []struct {
		name       string
		data       []byte
		encoding   string
		lastStatus string
		records    int
	}{
		{"utf-8", []byte(text), "utf-8", "交易成功", 1},
		{"utf-8 with BOM", append([]byte("\ufeff"), text...), "utf-8-bom", "交易成功", 1},
		{"gbk", encodeGBK(text), "gb18030", "交易成功", 1},
		{"gb18030 with its BOM", append([]byte("\x84\x31\x95\x33"), encodeGBK(text)...), "gb18030", "交易成功", 1},
		{"gbk CRLF", encodeGBK(strings.ReplaceAll(text, "\n", "\r\n")), "gb18030", "交易成功", 1},
		{"utf-8 cut at the sniff edge", cut.Bytes(), "utf-8", "交易成功", bytes.Count(cut.Bytes(), []byte("\n")) - 1},
		{"ascii then gbk", late.Bytes(), "gb18030", "交易成功", n + 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := readOrders(t, writeFile(t, "e.csv", tt.data))
			if r.info.Encoding != tt.encoding {
				t.Errorf("encoding %q, want %q", r.info.Encoding, tt.encoding)
			}
			if len(r.errs) > 0 || r.err != nil {
				t.Fatalf("errors: %v %v", r.errs, r.err)
			}
			if len(r.orders) != tt.records || r.orders[len(r.orders)-1].Status != tt.lastStatus {
				t.Errorf("%d records, last status %q; want %d, %q", len(r.orders), r.orders[len(r.orders)-1].Status, tt.records, tt.lastStatus)
			}
		})
	}
}

func TestUndecodableText(t *testing.T) {
	header := "订单编号,商品金额,运费,总金额,订单状态,备注\n"
	tests := []struct {
		name    string
		data    []byte
		errLine int    // 0: no error
		column  string // of the error
		message string
	}{
		{"U+FFFD in a used UTF-8 field", []byte(header + "1001,1.00,0,1.00,交易\uFFFD成功,\n"), 2, "订单状态", "U+FFFD"},
		{"invalid UTF-8 in a used field", []byte(header + "1001,1.00,0,1.00,交易\xff成功,\n"), 2, "订单状态", "not valid UTF-8"},
		{"invalid UTF-8 in an unused field", []byte(header + "1001,1.00,0,1.00,交易成功,\xff\n"), 0, "", ""},
		{"U+FFFD in an unused field", []byte(header + "1001,1.00,0,1.00,交易成功,\uFFFD\n"), 0, "", ""},
		{"bad GBK in a used field", append(encodeGBK(header+"1001,1.00,0,1.00,"), []byte("\x81\x20,\n")...), 2, "订单状态", "not valid GBK"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := readOrders(t, writeFile(t, "u.csv", tt.data))
			if tt.errLine == 0 {
				if len(r.errs) != 0 || len(r.orders) != 1 {
					t.Fatalf("got %d orders, errors %v; want 1 order", len(r.orders), r.errs)
				}
				return
			}
			if len(r.errs) != 1 {
				t.Fatalf("got %d orders, errors %v; want 1 error", len(r.orders), r.errs)
			}
			e := r.errs[0]
			if e.Source.Line != tt.errLine || e.Column != tt.column || !strings.Contains(e.Message, tt.message) || e.OrderID != "1001" {
				t.Errorf("got %v (order %q); want line %d, column %s, message with %q, order 1001", e, e.OrderID, tt.errLine, tt.column, tt.message)
			}
		})
	}
}

func TestHeaders(t *testing.T) {
	tests := []struct {
		name   string
		header string
		want   map[string]string // canonical → header found
	}{
		{"English", "order_id,product_fee,transport_fee,order_fee", map[string]string{"order_id": "order_id", "order_fee": "order_fee"}},
		{"English, other case and spaces", "Order ID,Product-Fee,TRANSPORT_FEE,order_fee", map[string]string{"order_id": "Order ID", "product_fee": "Product-Fee"}},
		{"wrapped and quoted", `"=""订单编号""",'商品金额',=运费,"总金额"`, map[string]string{"order_id": "订单编号", "product_fee": "商品金额", "transport_fee": "运费"}},
		{"full-width spaces, BOM, tabs", "\u3000订单编号\u3000,\ufeff商品金额, 运费\t,总金额 ", map[string]string{"order_id": "订单编号", "product_fee": "商品金额", "order_fee": "总金额"}},
		{"earlier alias wins over column order", "订单金额,订单号,商品金额,运费,总金额", map[string]string{"order_fee": "总金额", "order_id": "订单号"}},
		{"unknown columns ignored", "甲,订单编号,乙,货款,邮费,应付金额,丙", map[string]string{"order_id": "订单编号", "order_fee": "应付金额"}},
		{"duplicate header: the first", "订单编号,订单编号,货款,邮费,应付金额", map[string]string{"order_id": "订单编号"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Open(writeFile(t, "h.csv", []byte(tt.header+"\n")), Orders)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			got := map[string]Column{}
			for _, c := range f.Info().Columns {
				got[c.Canonical] = c
			}
			for canon, h := range tt.want {
				if got[canon].Header != h {
					t.Errorf("%s ← %q, want %q", canon, got[canon].Header, h)
				}
			}
			if tt.name == "duplicate header: the first" && got["order_id"].Index != 0 {
				t.Errorf("order_id at %d, want 0", got["order_id"].Index)
			}
		})
	}
	t.Run("payments prefer 订单金额", func(t *testing.T) {
		ps, es, _ := readPayments(t, writeFile(t, "p.csv", []byte("微信订单号,商户订单号,总金额,应结订单金额,订单金额\n`42,`1001,`3.00,`2.00,`1.00\n")))
		if len(es) != 0 || len(ps) != 1 || ps[0].Amount != 100 {
			t.Errorf("got %v %v; want amount 100 from 订单金额", ps, es)
		}
	})
}

func TestRows(t *testing.T) {
	type want struct {
		line     int
		id       string
		product  int64
		total    int64
		paid     string // RFC 3339, "" for zero
		status   string
		errCol   string // a row error instead of an order
		errMatch string
	}
	tests := []struct {
		name string
		csv  string
		want []want
	}{
		{"LF and a trailing empty line", ordersHeader + "1001,1.00,0,1.00,2026-11-20 19:48:33,ok\n\n",
			[]want{{line: 2, id: "1001", product: 100, total: 100, paid: "2026-11-20T19:48:33+08:00", status: "ok"}}},
		{"CRLF", strings.ReplaceAll(ordersHeader, "\n", "\r\n") + "1001,1.00,0,1.00,,ok\r\n\r\n",
			[]want{{line: 2, id: "1001", product: 100, total: 100, status: "ok"}}},
		{"no final newline", ordersHeader + "1001,1.00,0,1.00,,ok", []want{{line: 2, id: "1001", product: 100, total: 100, status: "ok"}}},
		{"quoted fields with commas and newlines keep line numbers", ordersHeader +
			"1001,\"1,234.50\",0,\"1,234.50\",,\"line one\nline two, more\"\n1002,1,0,1,,\"x\"\n",
			[]want{{line: 2, id: "1001", product: 123450, total: 123450, status: "line one\nline two, more"}, {line: 4, id: "1002", product: 100, total: 100, status: "x"}}},
		{"cell clean-up", ordersHeader + "=\"1001\", ¥1.00 ,\t0\t,`1.00,\u30002026/1/2 3:04\u3000,  paid  \n",
			[]want{{line: 2, id: "1001", product: 100, total: 100, paid: "2026-01-02T03:04:00+08:00", status: "paid"}}},
		{"blank rows skipped", ordersHeader + ",,,,,\n1001,1,0,1,,\n , ,\t,,,\n", []want{{line: 3, id: "1001", product: 100, total: 100}}},
		{"header with trailing empty names", strings.TrimSuffix(ordersHeader, "\n") + ",,\n1001,1,0,1,,\n1002,1,0,1,,,,\n", []want{{line: 2, id: "1001", product: 100, total: 100}, {line: 3, id: "1002", product: 100, total: 100}}},
		{"extra fields, even empty, are refused (a shift would look the same)", ordersHeader + "1001,1,0,1,,,\n", []want{{line: 2, id: "1001", errMatch: "the row has 7 fields but the header has 6"}}},
		{"not paid", ordersHeader + "1001,1,0,1,0000-00-00 00:00:00,\n1002,1,0,1,,\n",
			[]want{{line: 2, id: "1001", product: 100, total: 100}, {line: 3, id: "1002", product: 100, total: 100}}},
		{"amount forms", ordersHeader + "1,1234.5,0,1234.5,,\n2,\"1,234.50\",0,\"¥1,234.50\",,\n3,￥1234.50,0,1234,,\n4,1.500,0,1.5,,\n",
			[]want{{line: 2, id: "1", product: 123450, total: 123450}, {line: 3, id: "2", product: 123450, total: 123450},
				{line: 4, id: "3", product: 123450, total: 123400}, {line: 5, id: "4", product: 150, total: 150}}},
		{"bad rows", ordersHeader +
			"2.53111E+18,1,0,1,,\n" +
			"5.11860902499103E+18,1,0,1,,\n" +
			"12a3,1,0,1,,\n" +
			",1,0,1,,\n" +
			"123456789012345678901234567890123,1,0,1,,\n" +
			"1006,1.234,0,1,,\n" +
			"1007,1,0,1e3,,\n" +
			"1008,abc,0,1,,\n" +
			"1009,-1,0,1,,\n" +
			"1010,,0,1,,\n" +
			"1011,1,0,99999999999999999999,,\n" +
			"1012,1,0,1,2026-13-01,\n" +
			"1013,1,0,1,2026-11-20 19:48:33,ok,extra\n" +
			"1014,1,0\n" +
			"1015,1,0,\"1,5\",,\n",
			[]want{
				{line: 2, errCol: "order_id", errMatch: "Excel turned into scientific notation, which loses its last digits: the id cannot be recovered; re-export with the id column as text"},
				{line: 3, errCol: "order_id", errMatch: "re-export with the id column as text"},
				{line: 4, errCol: "order_id", errMatch: `"12a3" is not a valid order id; expected digits only`},
				{line: 5, errCol: "order_id", errMatch: "is empty; expected the order id"},
				{line: 6, errCol: "order_id", errMatch: "has 33 digits; expected the order id with at most 32 digits"},
				{line: 7, id: "1006", errCol: "product_fee", errMatch: `"1.234" has more than 2 decimals; expected an amount in yuan`},
				{line: 8, id: "1007", errCol: "order_fee", errMatch: "scientific notation"},
				{line: 9, id: "1008", errCol: "product_fee", errMatch: `"abc" is not a number`},
				{line: 10, id: "1009", errCol: "product_fee", errMatch: `"-1" is negative; expected an amount of 0 or more`},
				{line: 11, id: "1010", errCol: "product_fee", errMatch: "is empty; expected an amount in yuan"},
				{line: 12, id: "1011", errCol: "order_fee", errMatch: "too large"},
				{line: 13, id: "1012", errCol: "paid_at", errMatch: `"2026-13-01" is not a valid time (month 13 does not exist)`},
				{line: 14, id: "1013", errMatch: "the row has 7 fields but the header has 6: a comma inside a field that is not quoted"},
				{line: 15, id: "1014", errMatch: "the row has 3 fields but the header has 6: the row is cut short"},
				{line: 16, id: "1015", errCol: "order_fee", errMatch: "comma in the wrong place"},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, "orders.csv", []byte(tt.csv))
			f, err := Open(p, Orders)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			i := 0
			for o, e := range f.Orders() {
				if i >= len(tt.want) {
					t.Fatalf("more rows than expected: %v %v", o, e)
				}
				w := tt.want[i]
				i++
				if w.errMatch != "" {
					if e == nil {
						t.Errorf("line %d: got order %+v, want an error with %q", w.line, o, w.errMatch)
						continue
					}
					if e.Source.Line != w.line || e.Column != w.errCol || !strings.Contains(e.Message, w.errMatch) || e.OrderID != w.id {
						t.Errorf("got error %q (line %d, column %q, order %q); want line %d, column %q, order %q, message with %q",
							e.Message, e.Source.Line, e.Column, e.OrderID, w.line, w.errCol, w.id, w.errMatch)
					}
					if want := p + ":" + itoa(w.line) + ": "; !strings.HasPrefix(e.Error(), want) {
						t.Errorf("Error() = %q, want it to start with %q", e.Error(), want)
					}
					continue
				}
				if e != nil {
					t.Errorf("line %d: unexpected error %v", w.line, e)
					continue
				}
				paid := ""
				if !o.PaidAt.IsZero() {
					paid = o.PaidAt.Format(time.RFC3339)
				}
				if o.Source.Line != w.line || o.OrderID != w.id || o.ProductFee != w.product || o.OrderFee != w.total || paid != w.paid || o.Status != w.status {
					t.Errorf("got %+v (paid %q); want %+v", o, paid, w)
				}
				if o.Source.File != p {
					t.Errorf("source file %q, want %q", o.Source.File, p)
				}
			}
			if i != len(tt.want) {
				t.Errorf("read %d rows, want %d", i, len(tt.want))
			}
			if err := f.Err(); err != nil {
				t.Errorf("Err: %v", err)
			}
			info := f.Info()
			if info.Records+info.Errors != len(tt.want) {
				t.Errorf("Info counts %d+%d, want %d rows", info.Records, info.Errors, len(tt.want))
			}
		})
	}
}

func itoa(n int) string { return Source{Line: n}.String()[1:] }

func TestRowErrorString(t *testing.T) {
	e := &RowError{Source: Source{File: "orders.csv", Line: 12}, Column: "总金额", Message: "bad"}
	if got, want := e.Error(), "orders.csv:12: column 总金额: bad"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	e.Column = ""
	if got, want := e.Error(), "orders.csv:12: bad"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestUnterminatedQuote(t *testing.T) {
	p := writeFile(t, "q.csv", []byte(ordersHeader+"1001,1,0,1,,ok\n1002,1,0,1,,\"never closed\n1003,1,0,1,,\n"))
	r := readOrders(t, p)
	f, err := Open(p, Orders)
	if err != nil {
		t.Fatal(err)
	}
	for range f.Orders() {
	}
	f.Close()
	if err := f.Err(); err == nil || !strings.Contains(err.Error(), "never closed") {
		t.Errorf("Err after Close = %v, want the unterminated quote", err)
	}
	if len(r.orders) != 1 || r.orders[0].OrderID != "1001" {
		t.Errorf("orders %v, want the one before the quote", r.orders)
	}
	if r.err == nil || !strings.Contains(r.err.Error(), p+": line 3: a quoted field opened on this line is never closed") {
		t.Errorf("Err = %v, want the unterminated quote on line 3", r.err)
	}
}

func TestHugeField(t *testing.T) {
	big := strings.Repeat("很长的备注", 1<<20/15+1)
	p := writeFile(t, "big.csv", []byte("order_id,product_fee,transport_fee,order_fee,note\n1001,1,0,1,\""+big+"\"\n1002,1,0,1,"+big+"\n1003,1,0,1,x\n"))
	r := readOrders(t, p)
	if len(r.orders) != 3 || r.err != nil || r.orders[2].Source.Line != 4 {
		t.Errorf("got %d orders, err %v; want 3", len(r.orders), r.err)
	}
}

func TestWrongIterator(t *testing.T) {
	f, err := Open("testdata/clearance.csv", Clearances)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	for range f.Orders() {
		n++
	}
	if n != 0 || f.Err() == nil || !strings.Contains(f.Err().Error(), "read as orders but opened as clearance") {
		t.Errorf("Orders on a clearance file: %d rows, Err %v", n, f.Err())
	}
}

func TestIterateInParts(t *testing.T) {
	f, err := Open("testdata/wechat_all_bom.csv", Payments)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []int
	for p, e := range f.Payments() {
		if e != nil {
			t.Fatal(e)
		}
		lines = append(lines, p.Source.Line)
		break
	}
	for p, e := range f.Payments() {
		if e != nil {
			lines = append(lines, -e.Source.Line)
			continue
		}
		lines = append(lines, p.Source.Line)
	}
	if got, want := lines, []int{2, 3, 4, 5, -6}; !equalInts(got, want) {
		t.Errorf("lines %v, want %v", got, want)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestPaymentStatuses(t *testing.T) {
	csv := "支付单号,订单编号,支付金额,交易状态\n"
	rows := []struct {
		status string
		want   PaymentStatus
	}{
		{"SUCCESS", PaymentSuccess}, {"success", PaymentSuccess}, {"支付成功", PaymentSuccess}, {"", PaymentSuccess},
		{"REFUND", PaymentRefund}, {"已退款", PaymentRefund}, {"转入退款", PaymentRefund},
		{"REVOKED", PaymentRevoked}, {"已撤销", PaymentRevoked},
		{"NOTPAY", 0}, {"已关闭", 0},
	}
	for i, r := range rows {
		csv += "42" + itoa(i) + ",100" + itoa(i) + ",1.00," + r.status + "\n"
	}
	ps, es, _ := readPayments(t, writeFile(t, "s.csv", []byte(csv)))
	k, j := 0, 0
	for i, r := range rows {
		if r.want == 0 {
			if j >= len(es) || es[j].Source.Line != i+2 || !strings.Contains(es[j].Message, `unknown trade status "`+r.status+`"`) || es[j].TransactionID != "42"+itoa(i) {
				t.Errorf("status %q: want a row error naming it", r.status)
			}
			j++
			continue
		}
		if k >= len(ps) || ps[k].Status != r.want {
			t.Errorf("status %q: got %v, want %v", r.status, ps, r.want)
		}
		k++
	}
	for _, s := range []PaymentStatus{PaymentSuccess, PaymentRefund, PaymentRevoked} {
		if s.String() == "" || strings.HasPrefix(s.String(), "PaymentStatus(") {
			t.Errorf("%d has no name", s)
		}
	}
}

func TestWeChatBill(t *testing.T) {
	t.Run("commas in free text; rows after the summary are errors, never dropped", func(t *testing.T) {
		data := append(wechatAllBOM(), []byte("这一行在汇总之后,不是数据\r\n`1,`2\r\n")...)
		ps, es, info := readPayments(t, writeFile(t, "bill.csv", data))
		if len(ps) != 4 || len(es) != 3 {
			t.Fatalf("%d payments, %d errors; want 4 and 3 (the CLOSED row and the two after the summary)", len(ps), len(es))
		}
		for _, e := range es[1:] {
			if !strings.Contains(e.Message, "after the bill's summary (line 8) that no header opens") {
				t.Errorf("row after the summary: %v", e)
			}
		}
		if ps[0].Amount != 13800 || ps[0].TransactionID != "4200001234202611201234567890" || ps[0].OrderID != "5118609024991031607" {
			t.Errorf("first payment %+v", ps[0])
		}
		if ps[2].Status != PaymentRefund || ps[2].RefundAmount != 10000 || ps[2].TransactionID != ps[0].TransactionID {
			t.Errorf("refund row %+v", ps[2])
		}
		if info.Variant != "wechat-all" || info.Encoding != "utf-8-bom" {
			t.Errorf("variant %q encoding %q", info.Variant, info.Encoding)
		}
		if len(info.Sections) != 1 {
			t.Fatalf("%d sections, want 1", len(info.Sections))
		}
		sec := info.Sections[0]
		s := sec.Summary
		if s == nil || s.Trades != 5 || s.Settlement != 143240 || s.Refund != 10000 || s.OrderAmount != 143240 || s.Fee != 859000 ||
			s.RequestedRefund != 10000 || s.Has != FigAll || sec.SummarySource.Line != 8 || sec.Rows != 5 || sec.Errors != 1 {
			t.Errorf("section %+v, summary %+v", sec, s)
		}
	})
	t.Run("GBK bill", func(t *testing.T) {
		ps, es, info := readPayments(t, "testdata/wechat_all_gbk.csv")
		if len(ps) != 4 || len(es) != 1 || info.Encoding != "gb18030" || len(info.Sections) != 1 || info.Sections[0].Summary == nil || info.Sections[0].Summary.Trades != 5 {
			t.Errorf("%d payments, %d errors, info %+v", len(ps), len(es), info)
		}
	})
	for _, v := range []struct{ file, variant, amountHeader string }{
		{"wechat_success.csv", "wechat-success", "订单金额"},
		{"wechat_success_old.csv", "wechat-success", "总金额"},
		{"wechat_refund.csv", "wechat-refund", "订单金额"},
		{"wechat_all_bom.csv", "wechat-all", "订单金额"},
		{"payments_plain.csv", "plain", "支付金额"},
	} {
		t.Run(v.file, func(t *testing.T) {
			_, _, info := readPayments(t, filepath.Join("testdata", v.file))
			if info.Variant != v.variant {
				t.Errorf("variant %q, want %q", info.Variant, v.variant)
			}
			for _, c := range info.Columns {
				if c.Canonical == "amount" && c.Header != v.amountHeader {
					t.Errorf("amount ← %q, want %q", c.Header, v.amountHeader)
				}
			}
		})
	}
	t.Run("a comma-backtick inside free text shifts a field: refused", func(t *testing.T) {
		data := wechatAllHeader + "\n" + wechatAllRow("2026-11-20 19:48:35", "42", "1001", "SUCCESS", "1.00", "0", "0.00", "奶粉,`特价", "", "1.00", "0.00") + "\n"
		_, es, _ := readPayments(t, writeFile(t, "shift.csv", []byte(data)))
		if len(es) != 1 || !strings.Contains(es[0].Message, "the row has 28 fields but the header has 27") {
			t.Errorf("errors %v, want a field count error", es)
		}
	})
}

func TestClearance(t *testing.T) {
	f, err := Open("testdata/clearance.csv", Clearances)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cs []Clearance
	var es []*RowError
	for c, e := range f.Clearances() {
		if e != nil {
			es = append(es, e)
			continue
		}
		cs = append(cs, c)
	}
	if len(cs) != 4 || len(es) != 2 {
		t.Fatalf("%d records %d errors, want 4 and 2", len(cs), len(es))
	}
	want := Clearance{OrderID: "5118609024991031607", Idempotent: "xxe3444k9k9", ClearanceStatus: 2, StatusText: "2", ResultCode: "0000", PortNo: "2991",
		ClearanceTime: time.Date(2026, 11, 21, 15, 30, 0, 0, cst.Zone), CustomsPassNo: "2991071755662", CustomsReturnReceipt: "订单已放行, 请留意",
		Source: Source{File: "testdata/clearance.csv", Line: 3}}
	if cs[1] != want {
		t.Errorf("got %+v\nwant %+v", cs[1], want)
	}
	if cs[2].Idempotent != "" || cs[3].ClearanceStatus != 0 || cs[3].StatusText != "放行" {
		t.Errorf("empty key or bad status should pass through: %+v %+v", cs[2], cs[3])
	}
	if es[0].Column != "order_id" || !strings.Contains(es[0].Message, "too large for an order id") {
		t.Errorf("error %v", es[0])
	}
	t.Run("Chinese headers", func(t *testing.T) {
		p := writeFile(t, "c.csv", []byte("订单号,实名幂等键,清关状态,结果编码,口岸代码,清关时间,海关放行清单编号,回执\n1001,k,1,0000,2991,2026/11/21 9:00,L1,放行\n"))
		f, err := Open(p, Clearances)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		for c, e := range f.Clearances() {
			if e != nil || c.Idempotent != "k" || c.ClearanceStatus != 1 || c.CustomsPassNo != "L1" || c.ClearanceTime.Hour() != 9 {
				t.Errorf("got %+v %v", c, e)
			}
		}
		if len(f.Info().Columns) != 8 {
			t.Errorf("columns %v, want all 8", f.Info().Columns)
		}
	})
}

func TestExpand(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"b.csv", "a.xlsx", "c.CSV", "notes.txt", "~$a.xlsx", ".hidden.csv"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "sub", "d.csv"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	// Last night's workbook of the job, saved beside the exports.
	ownBook(t, filepath.Join(dir, "reconcile_2026-11-19.xlsx"))
	if err := os.Mkdir(filepath.Join(dir, "books"), 0o755); err != nil {
		t.Fatal(err)
	}
	ownBook(t, filepath.Join(dir, "books", "reconcile_2026-11-18.xlsx"))
	j := func(names ...string) []string {
		var out []string
		for _, n := range names {
			out = append(out, filepath.Join(dir, n))
		}
		return out
	}
	tests := []struct {
		name     string
		patterns []string
		want     []string
		wantErr  string
		skipped  []string
	}{
		{"file", j("notes.txt"), j("notes.txt"), "", nil},
		{"directory: .csv/.xlsx, sorted, not recursive, no lock files, not the job's workbook", j("."), j("a.xlsx", "b.csv", "c.CSV"), "", j("reconcile_2026-11-19.xlsx")},
		{"glob", j("*.csv"), j("b.csv"), "", nil},
		{"glob leaves the job's workbook out", j("*.xlsx"), j("a.xlsx"), "", j("reconcile_2026-11-19.xlsx")},
		{"the job's workbook named is read", j("reconcile_2026-11-19.xlsx"), j("reconcile_2026-11-19.xlsx"), "", nil},
		{"a directory of the job's workbooks only", j("books"), nil, "no export there, only reconcile's own workbooks", j("books/reconcile_2026-11-18.xlsx")},
		{"an empty directory after one with the job's workbook", j(".", "empty"), nil, "empty: no .csv or .xlsx file there", j("reconcile_2026-11-19.xlsx")},
		{"glob into directories", j("s*"), j("sub/d.csv"), "", nil},
		{"order kept, duplicates removed", append(j("b.csv", "."), filepath.Join(dir, "sub", "..", "b.csv")), j("b.csv", "a.xlsx", "c.CSV"), "", j("reconcile_2026-11-19.xlsx")},
		{"missing file", j("nope.csv"), nil, "nope.csv: no such file or directory", nil},
		{"glob matching nothing", j("*.json"), nil, "*.json: no such file or directory", nil},
		{"empty directory", j("empty"), nil, "empty: no .csv or .xlsx file there", nil},
		{"bad glob", j("[.csv"), nil, "[.csv", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, skipped, err := Expand(tt.patterns)
			var gotSkipped []string
			for _, s := range skipped {
				gotSkipped = append(gotSkipped, s.Path)
				if !strings.Contains(s.Why, "own exception workbook") {
					t.Errorf("skipped %s because %q", s.Path, s.Why)
				}
			}
			if strings.Join(gotSkipped, "|") != strings.Join(tt.skipped, "|") {
				t.Errorf("Expand(%q) skipped %q, want %q", tt.patterns, gotSkipped, tt.skipped)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("Expand(%q) = %q, %v; want an error with %q", tt.patterns, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("Expand(%q) = %q, %v; want %q", tt.patterns, got, err, tt.want)
			}
		})
	}
}

func TestKinds(t *testing.T) {
	for _, k := range []Kind{Orders, Payments, Clearances} {
		got, err := ParseKind(k.String())
		if err != nil || got != k {
			t.Errorf("ParseKind(%q) = %v, %v", k.String(), got, err)
		}
	}
	if _, err := ParseKind("order"); err == nil || !strings.Contains(err.Error(), "orders, payments or clearance") {
		t.Errorf("ParseKind(order) error %v", err)
	}
	if _, err := Open("testdata/clearance.csv", Kind(9)); err == nil {
		t.Error("Open with a bad kind succeeded")
	}
}

// ownBook writes a workbook marked as the job's own, as package report does.
func ownBook(t *testing.T, path string) {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetCustomProps(excelize.CustomProperty{Name: GeneratorProperty, Value: Generator}); err != nil {
		t.Fatal(err)
	}
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
}
