package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// runMain runs the command with args and returns its exit status, output
// and error output.
func runMain(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(context.Background(), args, &stdio{out: &out, err: &errOut, getenv: func(string) string { return "" }})
	return code, out.String(), errOut.String()
}

// inspectFixture writes name with content into a new directory and
// returns the directory.
func inspectFixture(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const inspectOrders = "\ufeff订单编号,买家应付货款,买家应付邮费,总金额,订单付款时间,订单状态,备注\r\n" +
	"=\"5118609024991031607\",128.00,10.00,138.00,2026-11-20 19:48:33,交易成功,\r\n" +
	"=\"5118609024991031608\",59.90,0,59.90,,等待买家付款,\"多行\r\n备注\"\r\n" +
	"2.53111E+18,1.00,0,1.00,2026-11-20 19:50:00,交易成功,\r\n" +
	"=\"5118609024991031610\",1.234,0,1.23,2026-11-20 19:50:00,交易成功,\r\n"

func TestInspectText(t *testing.T) {
	dir := inspectFixture(t, map[string]string{"orders.csv": inspectOrders})
	p := filepath.Join(dir, "orders.csv")
	code, out, errOut := runMain(t, "inspect", "--kind", "orders", p)
	if code != exitOK || errOut != "" {
		t.Fatalf("exit %d, stderr %q; want 0 and nothing", code, errOut)
	}
	want := p + `
  format    csv, utf-8-bom
  variant   tmall
  columns   order_id               ← 订单编号 (column 1)
            product_fee            ← 买家应付货款 (column 2)
            transport_fee          ← 买家应付邮费 (column 3)
            order_fee              ← 总金额 (column 4)
            paid_at                ← 订单付款时间 (column 5)
            status                 ← 订单状态 (column 6)
  ` + p + `:5: column 订单编号: "2.53111E+18" is an order id that Excel turned into scientific notation, which loses its last digits: the id cannot be recovered; re-export with the id column as text
  ` + p + `:6: column 买家应付货款: "1.234" has more than 2 decimals; expected an amount in yuan such as 1234.50, 1,234.50 or ¥1,234.50
  records   2
  errors    2
`
	if out != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
}

func TestInspectJSON(t *testing.T) {
	dir := inspectFixture(t, map[string]string{
		"orders.csv": inspectOrders,
		"bill.csv": "交易时间,微信订单号,商户订单号,交易状态,应结订单金额,商品名称,订单金额,申请退款金额\n" +
			"`2026-11-20 19:48:35,`4200001234202611201234567890,`5118609024991031607,`SUCCESS,`138.00,`奶粉, 2罐,`138.00,`0.00\n" +
			"`2026-11-21 10:00:00,`4200001234202611201234567890,`5118609024991031607,`REFUND,`0.00,`奶粉, 2罐,`0.00,`138.00\n" +
			"总交易单数,应结订单总金额,退款总金额\n`2,`138.00,`138.00\n",
		"clearance.csv": "订单号,幂等键,清关状态,清关结果编码,清关口岸代码,清关时间,清单编号,海关回执\n" +
			"5118609024991031607,xxe3444k9k9,2,0000,2991,2026/11/21 15:30,2991071755662,\"放行 <ok> & done\"\n" +
			"5118609024991031608,,x,,,2026-11-21 25:00,,\n",
	})
	tests := []struct {
		kind, file string
		want       []string
	}{
		{"orders", "orders.csv", []string{
			`{"kind":"order","order_id":"5118609024991031607","product_fee":12800,"transport_fee":1000,"order_fee":13800,"customs":"","paid_at":"2026-11-20T19:48:33+08:00","status":"交易成功","source":"DIR/orders.csv:2"}`,
			`{"kind":"order","order_id":"5118609024991031608","product_fee":5990,"transport_fee":0,"order_fee":5990,"customs":"","paid_at":"","status":"等待买家付款","source":"DIR/orders.csv:3"}`,
			`{"kind":"error","source":"DIR/orders.csv:5","column":"订单编号","message":"\"2.53111E+18\" is an order id that Excel turned into scientific notation, which loses its last digits: the id cannot be recovered; re-export with the id column as text"}`,
			`{"kind":"error","source":"DIR/orders.csv:6","column":"买家应付货款","message":"\"1.234\" has more than 2 decimals; expected an amount in yuan such as 1234.50, 1,234.50 or ¥1,234.50"}`,
		}},
		{"payments", "bill.csv", []string{
			`{"kind":"payment","transaction_id":"4200001234202611201234567890","order_id":"5118609024991031607","amount":13800,"status":"SUCCESS","refund_amount":0,"paid_at":"2026-11-20T19:48:35+08:00","source":"DIR/bill.csv:2"}`,
			`{"kind":"payment","transaction_id":"4200001234202611201234567890","order_id":"5118609024991031607","amount":0,"status":"REFUND","refund_amount":13800,"paid_at":"2026-11-21T10:00:00+08:00","source":"DIR/bill.csv:3"}`,
		}},
		{"clearance", "clearance.csv", []string{
			`{"kind":"clearance","order_id":"5118609024991031607","idempotent":"xxe3444k9k9","clearance_status":2,"clearance_result_code":"0000","clearance_port_no":"2991","clearance_time":"2026-11-21T15:30:00+08:00","customs_pass_no":"2991071755662","customs_return_receipt":"放行 <ok> & done","source":"DIR/clearance.csv:2"}`,
			`{"kind":"error","source":"DIR/clearance.csv:3","column":"清关时间","message":"\"2026-11-21 25:00\" is not a valid time (hour 25 does not exist); expected a time such as 2026-11-20 19:48:33, 2026/11/20 19:48 or 2026-11-20"}`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			code, out, errOut := runMain(t, "inspect", "--kind", tt.kind, "--json", filepath.Join(dir, tt.file))
			if code != exitOK || errOut != "" {
				t.Fatalf("exit %d, stderr %q; want 0 and nothing", code, errOut)
			}
			want := strings.ReplaceAll(strings.Join(tt.want, "\n")+"\n", "DIR", dir)
			if out != want {
				t.Errorf("got\n%s\nwant\n%s", out, want)
			}
		})
	}
}

func TestInspectExitStatus(t *testing.T) {
	dir := inspectFixture(t, map[string]string{
		"good.csv":  inspectOrders,
		"bad.csv":   "no,such,columns\n1,2,3\n",
		"empty.csv": "",
	})
	good := filepath.Join(dir, "good.csv")
	tests := []struct {
		name    string
		args    []string
		code    int
		stderr  []string
		stdoutH bool // stdout has good.csv's report
	}{
		{"row errors only", []string{"--kind", "orders", good}, exitOK, nil, true},
		{"no --kind", []string{good}, exitUsage, []string{"--kind is required", "--help"}, false},
		{"bad kind", []string{"--kind", "refunds", good}, exitUsage, []string{`unknown kind of export "refunds"`}, false},
		{"no path", []string{"--kind", "orders"}, exitUsage, []string{"no PATH"}, false},
		{"bad flag", []string{"--kind", "orders", "--nope", good}, exitUsage, []string{"flag provided but not defined: -nope"}, false},
		{"unreadable files among good ones", []string{"--kind", "orders", filepath.Join(dir, "bad.csv"), good, filepath.Join(dir, "missing.csv"), filepath.Join(dir, "empty.csv")},
			exitFailure, []string{"bad.csv: missing required columns order_id", "missing.csv: no such file or directory", "empty.csv: the file is empty", "3 of 4 inputs could not be read"}, true},
		{"a directory: every file, sorted", []string{"--kind", "orders", dir}, exitFailure, []string{"bad.csv", "2 of 3 inputs"}, true},
		{"a glob", []string{"--kind", "orders", filepath.Join(dir, "g*.csv")}, exitOK, nil, true},
		{"a glob matching nothing", []string{"--kind", "orders", filepath.Join(dir, "*.xlsx")}, exitFailure, []string{"*.xlsx: no such file or directory"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runMain(t, append([]string{"inspect"}, tt.args...)...)
			if code != tt.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tt.code, errOut)
			}
			for _, w := range tt.stderr {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr %q does not contain %q", errOut, w)
				}
			}
			if tt.stderr == nil && errOut != "" {
				t.Errorf("stderr %q, want nothing", errOut)
			}
			if got := strings.Contains(out, good+"\n  format    csv, utf-8-bom"); got != tt.stdoutH {
				t.Errorf("report of good.csv shown: %v, want %v; stdout:\n%s", got, tt.stdoutH, out)
			}
		})
	}
}

func TestInspectSheet(t *testing.T) {
	f := excelize.NewFile()
	f.SetSheetName("Sheet1", "说明")
	f.SetCellValue("说明", "A1", "导出说明")
	f.NewSheet("订单")
	for i, row := range [][]any{{"订单编号", "商品金额", "运费", "应付金额", "付款时间"}, {"5118609024991031607", 12.5, 0, 12.5, 46346.825381944446}} {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		f.SetSheetRow("订单", cell, &row)
	}
	p := filepath.Join(t.TempDir(), "orders.xlsx")
	if err := f.SaveAs(p); err != nil {
		t.Fatal(err)
	}
	f.Close()
	code, out, errOut := runMain(t, "inspect", "--kind", "orders", "--json", "--sheet", "订单", p)
	want := `{"kind":"order","order_id":"5118609024991031607","product_fee":1250,"transport_fee":0,"order_fee":1250,"customs":"","paid_at":"2026-11-20T19:48:33+08:00","status":"","source":"` + p + `:2"}` + "\n"
	if code != exitOK || out != want {
		t.Errorf("exit %d, stdout %q, stderr %q; want 0 and %q", code, out, errOut, want)
	}
	// Without --sheet: the sheet with the columns is read, the other is
	// skipped and said to be.
	code, out, errOut = runMain(t, "inspect", "--kind", "orders", p)
	if code != exitOK || !strings.Contains(out, "format    xlsx, sheet 订单") || !strings.Contains(out, "skipped   sheet 说明: missing required columns") || !strings.Contains(out, "records   1") {
		t.Errorf("every sheet: exit %d, stdout %q, stderr %q; want 0, 订单 read and 说明 skipped", code, out, errOut)
	}
	code, out, errOut = runMain(t, "inspect", "--kind", "orders", "--json", p)
	if code != exitOK || out != want || !strings.Contains(errOut, "sheet 说明 skipped: missing required columns") {
		t.Errorf("every sheet, --json: exit %d, stdout %q, stderr %q; want 0, the record and the skipped sheet on stderr", code, out, errOut)
	}
	code, _, errOut = runMain(t, "inspect", "--kind", "orders", "--sheet", "说明", p)
	if code != exitFailure || !strings.Contains(errOut, `worksheet "说明": missing required columns`) {
		t.Errorf("--sheet 说明: exit %d, stderr %q; want 1 and the missing columns", code, errOut)
	}
}

func TestInspectHelp(t *testing.T) {
	code, out, _ := runMain(t, "inspect", "--help")
	if code != exitOK {
		t.Fatalf("--help: exit %d, want 0", code)
	}
	fs := newFlagSet("inspect")
	var o inspectOptions
	fs.StringVar(&o.kind, "kind", "", "")
	fs.BoolVar(&o.json, "json", false, "")
	fs.StringVar(&o.sheet, "sheet", "", "")
	fs.VisitAll(func(f *flag.Flag) {
		if !strings.Contains(out, "--"+f.Name+" ") {
			t.Errorf("help does not describe --%s", f.Name)
		}
	})
	for _, w := range []string{"Example:", "Exit status:", `"kind":"error"`} {
		if !strings.Contains(out, w) {
			t.Errorf("help lacks %q", w)
		}
	}
	if _, list, _ := runMain(t, "help"); !strings.Contains(list, "inspect") {
		t.Errorf("reconcile help does not list inspect")
	}
}
