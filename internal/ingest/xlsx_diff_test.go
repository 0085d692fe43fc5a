package ingest

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// The differential test: every cell the reader gives is the cell that
// excelize's row iterator (the reader this package used before, kept as
// the oracle in tests only) gives with RawCellValue, on workbooks excelize
// writes and on hand-written XML of the forms other programs write. The
// documented differences, where excelize is wrong, are rows the reader
// refuses (a RowError for the row, or a structural error): see xlsxSource.

// sheetCells is a worksheet's cells: row number → the row's values.
type sheetCells map[int][]string

// readerCells reads every worksheet of the workbook at p with the
// reader's own source, whatever the headers. rowErrs has the rows the
// reader refuses.
func readerCells(p string) (cells map[string]sheetCells, rowErrs map[string]map[int]bool, err error) {
	wb, err := openWorkbook(p)
	if err != nil {
		return nil, nil, err
	}
	defer wb.zr.Close()
	s := &xlsxSource{wb: wb}
	defer s.closeSheet()
	cells, rowErrs = map[string]sheetCells{}, map[string]map[int]bool{}
	for _, sh := range wb.sheets {
		if sh.part == "" {
			continue
		}
		if err := s.open(sh); err != nil {
			return nil, nil, err
		}
		sc, bad := sheetCells{}, map[int]bool{}
		for s.next() {
			if s.rowErr() != nil {
				bad[s.line()] = true
				continue
			}
			row := make([]string, len(s.fields()))
			for i, f := range s.fields() {
				row[i] = string(f)
			}
			sc[s.line()] = row
		}
		if err := s.err(); err != nil {
			return nil, nil, err
		}
		cells[sh.name], rowErrs[sh.name] = sc, bad
	}
	return cells, rowErrs, nil
}

// excelizeCells reads every worksheet with excelize's row iterator. A row
// whose Columns fails is nil, for diffCells to leave out.
func excelizeCells(p string) (map[string]sheetCells, error) {
	f, err := excelize.OpenFile(p, excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]sheetCells{}
	for _, name := range f.GetSheetList() {
		rows, err := f.Rows(name)
		if err != nil {
			continue // a chart sheet
		}
		sc := sheetCells{}
		for n := 1; rows.Next(); n++ {
			cols, err := rows.Columns()
			if err != nil {
				cols = nil
			} else if cols == nil {
				cols = []string{}
			}
			sc[n] = cols
		}
		rows.Close()
		out[name] = sc
	}
	return out, nil
}

// trimRow drops the empty cells at the end of a row: excelize keeps an
// empty cell with a formula, and so does the reader, but a row of them
// is as empty as none.
func trimRow(r []string) []string {
	for len(r) > 0 && r[len(r)-1] == "" {
		r = r[:len(r)-1]
	}
	return r
}

// compareCells reports the cells where the reader and excelize differ,
// the reader's refused rows aside.
func compareCells(t *testing.T, p string) {
	t.Helper()
	got, bad, err := readerCells(p)
	if err != nil {
		t.Fatalf("reader: %v", err)
	}
	want, err := excelizeCells(p)
	if err != nil {
		t.Fatalf("excelize: %v", err)
	}
	if diff := diffCells(got, bad, want); diff != "" {
		t.Error(diff)
	}
}

func diffCells(got map[string]sheetCells, bad map[string]map[int]bool, want map[string]sheetCells) string {
	var b strings.Builder
	for name, w := range want {
		g, ok := got[name]
		if !ok {
			fmt.Fprintf(&b, "sheet %q: the reader did not read it\n", name)
			continue
		}
		rows := map[int]bool{}
		for n := range w {
			rows[n] = true
		}
		for n := range g {
			rows[n] = true
		}
		keys := make([]int, 0, len(rows))
		for n := range rows {
			keys = append(keys, n)
		}
		sort.Ints(keys)
		for _, n := range keys {
			if wr, ok := w[n]; bad[name][n] || ok && wr == nil {
				continue
			}
			gr, wr := trimRow(g[n]), trimRow(w[n])
			if len(gr) != len(wr) {
				fmt.Fprintf(&b, "sheet %q row %d: got %q, excelize %q\n", name, n, gr, wr)
				continue
			}
			for i := range gr {
				if gr[i] != wr[i] {
					fmt.Fprintf(&b, "sheet %q cell %s%d: got %q, excelize %q\n", name, columnName(i+1), n, gr[i], wr[i])
				}
			}
		}
	}
	return b.String()
}

// randomWorkbook writes a workbook of a few sheets of random cells of
// every type excelize writes: shared strings (SetCellValue), inline
// strings (the stream writer), rich text, numbers, booleans, formulas,
// dates with a style, and empty rows.
func randomWorkbook(t *testing.T, seed uint64) string {
	r := rand.New(rand.NewPCG(seed, 1))
	f := excelize.NewFile()
	defer f.Close()
	if r.IntN(3) == 0 {
		yes := true
		f.SetWorkbookProps(&excelize.WorkbookPropsOptions{Date1904: &yes})
	}
	dateStyle, _ := f.NewStyle(&excelize.Style{NumFmt: 22})
	texts := []string{"订单编号", "交易成功", " 前后空格 ", "a&b<c>\"d'", "line\nbreak", "tab\there", "_x000D_ literal", "x_x0041_y",
		"5118609024991031607", "=\"5118609024991031607\"", "`42000012342026112", "¥1,234.50", "", "　全角　", "emoji 😀", "\u00a0nbsp"}
	value := func() any {
		switch r.IntN(9) {
		case 0, 1, 2:
			return texts[r.IntN(len(texts))]
		case 3:
			return r.Float64() * 1000
		case 4:
			return float64(r.IntN(100000)) / 100
		case 5:
			return r.Int64()
		case 6:
			return r.IntN(2) == 0
		case 7:
			return excelize.Cell{StyleID: dateStyle, Value: 46346.825381944446 + float64(r.IntN(1000))}
		}
		return nil
	}
	sheets := 1 + r.IntN(3)
	for k := 0; k < sheets; k++ {
		name := "Sheet" + strconv.Itoa(k+1)
		if k > 0 {
			f.NewSheet(name)
		}
		if r.IntN(2) == 0 {
			// The stream writer: inline strings.
			sw, err := f.NewStreamWriter(name)
			if err != nil {
				t.Fatal(err)
			}
			row := 1
			for i := 0; i < 20+r.IntN(40); i++ {
				row += 1 + r.IntN(2) // gaps: empty rows
				vals := make([]any, 1+r.IntN(12))
				for j := range vals {
					vals[j] = value()
				}
				cell, _ := excelize.CoordinatesToCellName(1, row)
				if err := sw.SetRow(cell, vals); err != nil {
					t.Fatal(err)
				}
			}
			if err := sw.Flush(); err != nil {
				t.Fatal(err)
			}
			continue
		}
		for i := 0; i < 20+r.IntN(40); i++ {
			for j := 0; j < 12; j++ {
				if r.IntN(3) == 0 {
					continue
				}
				cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
				switch r.IntN(8) {
				case 0:
					f.SetCellRichText(name, cell, []excelize.RichTextRun{{Text: texts[r.IntN(len(texts))]}, {Text: "粗体", Font: &excelize.Font{Bold: true}}})
				case 1:
					f.SetCellFormula(name, cell, "SUM(A1:A2)")
				default:
					v := value()
					if c, ok := v.(excelize.Cell); ok {
						f.SetCellValue(name, cell, c.Value)
						f.SetCellStyle(name, cell, cell, c.StyleID)
					} else {
						f.SetCellValue(name, cell, v)
					}
				}
			}
		}
	}
	p := filepath.Join(t.TempDir(), fmt.Sprintf("random-%d.xlsx", seed))
	if err := f.SaveAs(p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestXLSXMatchesExcelizeGenerated(t *testing.T) {
	for seed := uint64(0); seed < 40; seed++ {
		t.Run(strconv.FormatUint(seed, 10), func(t *testing.T) {
			compareCells(t, randomWorkbook(t, seed))
		})
	}
	t.Run("large", func(t *testing.T) {
		// Many times the scanner's window, with cells of every form, so
		// that tags and texts fall across its edges.
		f := excelize.NewFile()
		defer f.Close()
		for i := 1; i <= 2000; i++ {
			row := strconv.Itoa(i)
			f.SetCellValue("Sheet1", "A"+row, strconv.Itoa(5118609024991031607+i))
			f.SetCellFormula("Sheet1", "B"+row, `"x"&A`+row)
			f.SetCellValue("Sheet1", "C"+row, float64(i)/7)
			f.SetCellValue("Sheet1", "D"+row, strings.Repeat("长", i%50))
			f.SetCellRichText("Sheet1", "E"+row, []excelize.RichTextRun{{Text: "a&b"}, {Text: row, Font: &excelize.Font{Bold: true}}})
			f.SetCellValue("Sheet1", "F"+row, i%2 == 0)
		}
		p := filepath.Join(t.TempDir(), "large.xlsx")
		if err := f.SaveAs(p); err != nil {
			t.Fatal(err)
		}
		compareCells(t, p)
	})
	t.Run("testdata", func(t *testing.T) {
		compareCells(t, "testdata/orders_workbench.xlsx")
	})
}

// xlsxParts builds a workbook from its sheets' XML (sheet1.xml, …) and,
// when not empty, its shared strings and styles.
func xlsxParts(t testing.TB, sheets []string, sst, styles string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	put := func(name, content string) {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(content))
	}
	ct := `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
		`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>` +
		`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>`
	rels := `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`
	wb := `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>`
	for i, s := range sheets {
		n := strconv.Itoa(i + 1)
		ct += `<Override PartName="/xl/worksheets/sheet` + n + `.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`
		rels += `<Relationship Id="rId` + n + `" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet` + n + `.xml"/>`
		wb += `<sheet name="Sheet` + n + `" sheetId="` + n + `" r:id="rId` + n + `"/>`
		put("xl/worksheets/sheet"+n+".xml", s)
	}
	if sst != "" {
		ct += `<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>`
		rels += `<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>`
		put("xl/sharedStrings.xml", sst)
	}
	if styles != "" {
		ct += `<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>`
		rels += `<Relationship Id="rIdY" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>`
		put("xl/styles.xml", styles)
	}
	put("[Content_Types].xml", ct+`</Types>`)
	put("_rels/.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`)
	put("xl/_rels/workbook.xml.rels", rels+`</Relationships>`)
	put("xl/workbook.xml", wb+`</sheets></workbook>`)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const sheetHead = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
	`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`
const sheetTail = `</sheetData></worksheet>`

// Hand-written sheets of the forms other writers use.
var diffSheets = []struct {
	name, sheet, sst string
}{
	{"no r attributes", sheetHead + `<row><c t="s"><v>0</v></c><c><v>12.5</v></c><c t="inlineStr"><is><t>x</t></is></c></row><row><c t="s"><v>1</v></c></row>` + sheetTail,
		`<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>订单编号</t></si><si><t>b</t></si></sst>`},
	{"prefixed namespace", `<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData><x:row r="1"><x:c r="A1" t="s"><x:v>0</x:v></x:c><x:c r="C1"><x:v>3</x:v></x:c></x:row></x:sheetData></x:worksheet>`,
		`<x:sst xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:si><x:t>a</x:t></x:si></x:sst>`},
	{"rich text and phonetic runs", sheetHead + `<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><r><t>富</t></r><r><rPr><b/></rPr><t xml:space="preserve"> 文本 </t></r><rPh sb="0" eb="1"><t>フ</t></rPh></is></c></row>` + sheetTail,
		`<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><r><t>东</t></r><r><t>京</t></r><rPh sb="0" eb="2"><t>トウキョウ</t></rPh><phoneticPr fontId="1"/></si></sst>`},
	{"every type", sheetHead + `<row r="2" spans="1:8"><c r="A2" t="str"><f>A1</f><v>text</v></c><c r="B2" t="b"><v>1</v></c><c r="C2" t="e"><v>#N/A</v></c><c r="D2" t="d"><v>2026-11-20T19:48:33Z</v></c><c r="E2" t="n"><v>1.1000000000000001</v></c><c r="F2" s="0"/><c r="G2"><f>1+1</f></c><c r="H2" t="inlineStr"><is><t>_x000D_&#10;&amp;&lt;</t></is></c></row>` + sheetTail, ""},
	{"CDATA and line ends", sheetHead + "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t><![CDATA[a<b&c]]></t></is></c><c r=\"B1\" t=\"inlineStr\"><is><t>a\r\nb\rc</t></is></c><c r=\"C1\"><v> 12 </v></c></row>" + sheetTail, ""},
	{"empty rows and cells", sheetHead + `<row r="1"/><row r="3"><c r="A3"/><c r="B3" t="s"/><c r="C3"><v></v></c><c r="E3"><v>5</v></c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row>` + sheetTail, ""},
	{"lower-case and spaced references", sheetHead + `<row r="1" ><c r="a1" ><v>1</v></c><c  r = "B1"  t = 'n' ><v>2</v></c></row>` + sheetTail, ""},
	{"comments and processing instructions", sheetHead + `<!-- WPS --><row r="1"><?pi x?><c r="A1"><!-- c --><v>1</v></c></row>` + sheetTail, ""},
	{"shared string index with spaces", sheetHead + `<row r="1"><c r="A1" t="s"><v> 1 </v></c></row>` + sheetTail,
		`<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>a</t></si><si><t>_x005F_x0041_</t></si></sst>`},
}

func TestXLSXMatchesExcelizeHandWritten(t *testing.T) {
	for _, tt := range diffSheets {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, "h.xlsx", xlsxParts(t, []string{tt.sheet}, tt.sst, ""))
			compareCells(t, p)
		})
	}
}

// FuzzXLSXCells builds a workbook from a fuzzed sheet and fuzzed shared
// strings and checks the reader against excelize: a workbook the reader
// reads without a structural error must give excelize's cells, the rows
// it refuses aside, unless encoding/xml itself finds a part malformed
// (excelize then stops quietly where the reader may read on or stop with
// an error). It also runs File over the workbook as every kind: no
// panic, counts that add up.
func FuzzXLSXCells(f *testing.F) {
	for _, tt := range diffSheets {
		f.Add([]byte(tt.sheet), []byte(tt.sst))
	}
	f.Add([]byte(sheetHead+`<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c><c r="D1" t="s"><v>3</v></c></row>`+
		`<row r="2"><c r="A2"><v>5118609024991031607</v></c><c r="B2"><v>12.5</v></c><c r="C2" t="b"><v>0</v></c><c r="D2" t="inlineStr"><is><t>12.5</t></is></c></row>`+sheetTail),
		[]byte(`<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>订单编号</t></si><si><t>商品金额</t></si><si><t>运费</t></si><si><t>总金额</t></si></sst>`))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, sheet, sst []byte) {
		if len(sheet)+len(sst) > 1<<16 {
			return
		}
		p := filepath.Join(dir, "fuzz.xlsx")
		if err := os.WriteFile(p, xlsxParts(t, []string{string(sheet)}, string(sst), ""), 0o644); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		for _, kind := range []Kind{Orders, Payments, Clearances} {
			readAll(t, p, kind)
		}
		got, bad, err := readerCells(p)
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("the reader took %v", d)
		}
		if err != nil {
			if !strings.Contains(err.Error(), "xl/") && !strings.Contains(err.Error(), "worksheet") {
				t.Fatalf("structural error %q names no part", err)
			}
			return
		}
		if !wellFormed(sheet) || (len(sst) > 0 && !wellFormed(sst)) {
			return
		}
		for _, sc := range got {
			for n := range sc {
				if n > 5000 {
					return // excelize walks every row up to it: too slow to fuzz
				}
			}
		}
		want, err := excelizeCells(p)
		if err != nil {
			return
		}
		if diff := diffCells(got, bad, want); diff != "" {
			t.Errorf("the reader and excelize differ:\n%s", diff)
		}
	})
}

// wellFormed reports whether encoding/xml reads b to its end.
func wellFormed(b []byte) bool {
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		_, err := d.Token()
		if err != nil {
			return err.Error() == "EOF"
		}
	}
}

// readAll reads the file at p as kind to its end and checks the counts.
func readAll(t *testing.T, p string, kind Kind) {
	file, err := Open(p, kind)
	if err != nil {
		if !strings.HasPrefix(err.Error(), p+": ") {
			t.Fatalf("error %q does not name the file", err)
		}
		return
	}
	defer file.Close()
	n := 0
	check := func(src Source, e *RowError) {
		if e != nil {
			src = e.Source
			if e.Message == "" {
				t.Fatalf("row error without a message at %v", src)
			}
		}
		n++
		if src.File != p || src.Line < 1 || src.Line > xlsxMaxRows {
			t.Fatalf("source %v out of the sheet", src)
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
	file.Err()
	if info := file.Info(); info.Records+info.Errors != n {
		t.Fatalf("Info counts %d+%d, yielded %d", info.Records, info.Errors, n)
	}
}
