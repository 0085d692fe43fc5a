package ingest

import (
	"archive/zip"
	"bytes"
	"io"
	"strings"
	"testing"
)

const ordersSST = `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>订单编号</t></si><si><t>商品金额</t></si><si><t>运费</t></si><si><t>总金额</t></si><si><t>说明</t></si></sst>`

// ordersSheet is a sheet with the orders header (shared strings 0–3) and
// the given rows of XML after it.
func ordersSheet(rows string) string {
	return sheetHead + `<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c><c r="D1" t="s"><v>3</v></c></row>` + rows + sheetTail
}

func TestXLSXSeveralSheets(t *testing.T) {
	notes := sheetHead + `<row r="1"><c r="A1" t="s"><v>4</v></c></row>` + sheetTail
	empty := sheetHead + sheetTail
	s1 := ordersSheet(`<row r="2"><c r="A2" t="inlineStr"><is><t>1001</t></is></c><c r="B2"><v>1</v></c><c r="C2"><v>0</v></c><c r="D2"><v>1</v></c></row>`)
	s3 := ordersSheet(`<row r="5"><c r="A5" t="inlineStr"><is><t>1002</t></is></c><c r="B5"><v>2</v></c><c r="C5"><v>0</v></c><c r="D5"><v>x</v></c></row>`)
	p := writeFile(t, "multi.xlsx", xlsxParts(t, []string{s1, notes, s3, empty}, ordersSST, ""))
	r := readOrders(t, p)
	if r.err != nil {
		t.Fatal(r.err)
	}
	if len(r.orders) != 1 || r.orders[0].OrderID != "1001" || r.orders[0].Source.String() != p+"[Sheet1]:2" {
		t.Errorf("orders %+v, want 1001 from %s[Sheet1]:2", r.orders, p)
	}
	if len(r.errs) != 1 || r.errs[0].Error() != p+"[Sheet3]:5: column 总金额: "+r.errs[0].Message {
		t.Errorf("errors %v, want one at %s[Sheet3]:5", r.errs, p)
	}
	var got []string
	for _, sh := range r.info.Sheets {
		got = append(got, sh.Name+": "+sh.Skipped)
	}
	want := []string{"Sheet1: ", "Sheet2: missing required columns", "Sheet3: ", "Sheet4: no data"}
	if len(got) != len(want) {
		t.Fatalf("sheets %q, want %q", got, want)
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("sheet %q, want %q…", got[i], want[i])
		}
	}
	if r.info.Sheet != "Sheet3" || r.info.Sheets[0].Variant != "plain" || len(r.info.Sheets[0].Columns) != 4 {
		t.Errorf("info %+v", r.info)
	}

	// WithSheet: that sheet only, and its line numbers without the sheet.
	f, err := Open(p, Orders, WithSheet("Sheet3"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range f.Orders() {
		if e == nil || e.Source.String() != p+":5" {
			t.Errorf("row error %v, want one at %s:5", e, p)
		}
	}
	f.Close()

	// No sheet with the columns: every sheet named, with what it lacks.
	p2 := writeFile(t, "none.xlsx", xlsxParts(t, []string{notes, empty}, ordersSST, ""))
	_, err = Open(p2, Orders)
	if err == nil || !strings.Contains(err.Error(), `no worksheet has the header of an orders export (its required columns): sheet "Sheet1": missing required columns`) ||
		!strings.Contains(err.Error(), `sheet "Sheet2": no data`) {
		t.Errorf("err = %v, want each sheet named with what it lacks", err)
	}
}

func TestXLSXBrokenSharedStrings(t *testing.T) {
	sheet := ordersSheet(`<row r="2"><c r="A2" t="s"><v>4</v></c></row>`)
	good := xlsxParts(t, []string{sheet}, ordersSST, "")
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"corrupt XML", xlsxParts(t, []string{sheet}, strings.Replace(ordersSST, "</si><si>", "</si></x><si>", 1), ""),
			"the workbook's shared strings (xl/sharedStrings.xml) are damaged (xl/sharedStrings.xml: end tag </x> where </sst> was expected"},
		{"truncated", xlsxParts(t, []string{sheet}, ordersSST[:len(ordersSST)/2], ""),
			"the workbook's shared strings (xl/sharedStrings.xml) are damaged (xl/sharedStrings.xml: the XML ends"},
		{"bad entity", xlsxParts(t, []string{sheet}, strings.Replace(ordersSST, "说明", "&nbsp;", 1), ""),
			"xl/sharedStrings.xml is damaged (string 5: a bad character or entity reference)"},
		{"bad CRC", corruptStored(t, good, "xl/sharedStrings.xml"),
			"the workbook's shared strings (xl/sharedStrings.xml) are damaged (xl/sharedStrings.xml: zip: checksum error)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, "sst.xlsx", tt.data)
			_, err := Open(p, Orders)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

// corruptStored rewrites a workbook with part name stored, not deflated,
// and one byte of its text changed, its CRC left as it was.
func corruptStored(t *testing.T, data []byte, name string) []byte {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, zf := range zr.File {
		rc, _ := zf.Open()
		c, _ := io.ReadAll(rc)
		rc.Close()
		method := zip.Deflate
		if zf.Name == name {
			method = zip.Store
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: zf.Name, Method: method})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(c)
	}
	zw.Close()
	out := buf.Bytes()
	i := bytes.Index(out, []byte("说明"))
	if i < 0 {
		t.Fatal("no stored text to corrupt")
	}
	out[i+1] ^= 1
	return out
}

func TestXLSXCellKinds(t *testing.T) {
	styles := `<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/></numFmts>` +
		`<cellStyleXfs count="1"><xf numFmtId="0"/></cellStyleXfs><cellXfs count="4"><xf numFmtId="0"/><xf numFmtId="164"/><xf numFmtId="22"/><xf numFmtId="2"/></cellXfs></styleSheet>`
	rows := `<row r="2"><c r="A2" t="inlineStr"><is><t>1001</t></is></c><c r="B2" t="b"><v>1</v></c><c r="C2"><v>0</v></c><c r="D2"><v>1</v></c></row>` +
		`<row r="3"><c r="A3" t="inlineStr"><is><t>1002</t></is></c><c r="B3" t="e"><v>#N/A</v></c><c r="C3"><v>0</v></c><c r="D3"><v>1</v></c></row>` +
		`<row r="4"><c r="A4" t="inlineStr"><is><t>1003</t></is></c><c r="B4" s="1"><v>5</v></c><c r="C4"><v>0</v></c><c r="D4"><v>5</v></c></row>` +
		`<row r="5"><c r="A5" t="inlineStr"><is><t>1004</t></is></c><c r="B5" s="3"><v>5.1</v></c><c r="C5"><v>0</v></c><c r="D5" s="3"><v>5.1</v></c></row>` +
		`<row r="6"><c r="A6" t="n" s="2"><v>1005</v></c><c r="B6"><v>1</v></c><c r="C6"><v>0</v></c><c r="D6"><v>1</v></c></row>`
	sheet := ordersSheet(rows)
	p := writeFile(t, "kinds.xlsx", xlsxParts(t, []string{sheet}, ordersSST, styles))
	r := readOrders(t, p)
	if len(r.orders) != 1 || r.orders[0].OrderID != "1004" || r.orders[0].OrderFee != 510 {
		t.Errorf("orders %+v, want 1004 (a number with a number format)", r.orders)
	}
	want := []struct {
		line   int
		reason Reason
		msg    string
	}{
		{2, ReasonAmount, "is a TRUE/FALSE cell"},
		{3, ReasonAmount, "is an Excel error value"},
		{4, ReasonAmount, "is a date cell"},
		{6, ReasonID, "is a date cell"},
	}
	if len(r.errs) != len(want) {
		t.Fatalf("errors %v, want %d", r.errs, len(want))
	}
	for i, w := range want {
		if e := r.errs[i]; e.Source.Line != w.line || e.Reason != w.reason || !strings.Contains(e.Message, w.msg) {
			t.Errorf("error %v (%s), want line %d, %s, %q", e, e.Reason, w.line, w.reason, w.msg)
		}
	}
}

func TestIsDateFormat(t *testing.T) {
	for _, tt := range []struct {
		code string
		want bool
	}{
		{"yyyy-mm-dd hh:mm:ss", true}, {`yyyy"年"m"月"d"日"`, true}, {"[$-804]aaaa", false}, {"[h]:mm", true},
		{"General", false}, {"0.00", false}, {`#,##0.00_);[Red](#,##0.00)`, false}, {`"day"0`, false}, {`\d0`, false},
		{"0.00E+00", false}, {"@", false}, {"[$-409]h:mm AM/PM", true}, {"¥#,##0.00;-¥#,##0.00", false},
	} {
		if got := isDateFormat(tt.code); got != tt.want {
			t.Errorf("isDateFormat(%q) = %v, want %v", tt.code, got, tt.want)
		}
	}
}

func TestXLSXRowAndCellErrors(t *testing.T) {
	tests := []struct {
		name, rows string
		rowErr     string // the row error at line 2, or
		err        string // the structural error
	}{
		{"cells out of order", `<row r="2"><c r="B2"><v>1</v></c><c r="A2"><v>1</v></c></row>`, "cell A2 comes after column B: the cells are out of order", ""},
		{"bad reference", `<row r="2"><c r="2A"><v>1</v></c></row>`, `"2A" is not a cell reference`, ""},
		{"shared string not a number", `<row r="2"><c r="A2" t="s"><v>abc</v></c></row>`, `the shared string index "abc" is not a number`, ""},
		{"shared string past the table", `<row r="2"><c r="A2" t="s"><v>99</v></c></row>`, "shared string 99 does not exist (the workbook has 5)", ""},
		{"rows out of order", `<row r="3"/><row r="2"><c r="A2"><v>1</v></c></row>`, "", `worksheet "Sheet1" is damaged after row 3 (row 2 comes after row 3: the rows are out of order)`},
		{"past the last row", `<row r="1048577"/>`, "", "row 1048577 is past the last row a worksheet can have"},
		{"mismatched tags", `<row r="2"><c r="A2"><v>1</c></row>`, "", "end tag </c> where </v> was expected"},
		{"doctype", `<!DOCTYPE x [<!ENTITY a "aaaa">]>`, "", "a DOCTYPE declaration"},
		{"deep nesting", strings.Repeat("<a>", 100), "", "elements nested more than 64 deep"},
		{"enormous cell", `<row r="2"><c r="A2" t="inlineStr"><is><t>` + randomDigits(1_200_000) + `</t></is></c></row>`, "", "a text of more than 1024 KiB"},
		{"endless attributes", `<row r="2"` + strings.Repeat(` a="`+randomDigits(100)+`"`, 1) + randomAttrs(100_000) + `></row>`, "", "a tag of more than 1024 KiB"},
		{"bad character reference", `<row r="2"><c r="A2" t="inlineStr"><is><t>&#0;</t></is></c></row>`, "", "cell A2: a bad character or entity reference"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, "e.xlsx", xlsxParts(t, []string{ordersSheet(tt.rows)}, ordersSST, ""))
			r := readOrders(t, p)
			if tt.rowErr != "" {
				if len(r.errs) != 1 || r.errs[0].Source.Line != 2 || !strings.Contains(r.errs[0].Message, tt.rowErr) {
					t.Errorf("errors %v, want one at line 2 with %q", r.errs, tt.rowErr)
				}
				return
			}
			if r.err == nil || !strings.Contains(r.err.Error(), tt.err) || !strings.HasPrefix(r.err.Error(), p) {
				t.Errorf("Err = %v, want one naming the file and %q", r.err, tt.err)
			}
		})
	}
}

// randomDigits returns n pseudo-random digits, which deflate by only
// about 2.4 times and so pass the zip-bomb ratio.
func randomDigits(n int) string {
	b := make([]byte, n)
	x := uint32(1)
	for i := range b {
		x = x*1664525 + 1013904223
		b[i] = '0' + byte(x>>24)%10
	}
	return string(b)
}

func randomAttrs(n int) string {
	var b strings.Builder
	d := randomDigits(n * 8)
	for i := 0; i < n; i++ {
		b.WriteString(" a" + d[i*8:i*8+4] + `="` + d[i*8+4:i*8+8] + `"`)
	}
	return b.String()
}
