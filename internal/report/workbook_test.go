package report

import (
	"encoding/xml"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/xuri/excelize/v2"

	"github.com/crossborder/reconcile/internal/cst"
	"github.com/crossborder/reconcile/internal/reconcile"
)

func TestSheetsAndHeaders(t *testing.T) {
	f := openBook(t, writeBook(t, smallResult()))
	if got, want := f.GetSheetList(), []string{"汇总", "资金核对", "异常明细", "已解决", "申报记录", "回传记录", "订单明细"}; !slices.Equal(got, want) {
		t.Fatalf("sheets = %q, want %q", got, want)
	}
	if got := f.GetActiveSheetIndex(); got != 0 {
		t.Errorf("active sheet = %d, want 0 (汇总)", got)
	}
	for _, tc := range []struct {
		sheet string
		want  []string
	}{
		{"异常明细", []string{"订单号", "异常代码", "异常类型", "状态", "首次发现", "天数", "涉及金额（元）", "应为（元）", "实际（元）", "差额（元）",
			"支付交易号", "其他交易号", "发生时间", "说明", "处理建议", "处理状态", "处理人", "备注", "海关", "平台代码", "平台信息", "来源文件", "行号", "来源（完整）", "异常键"}},
		{"已解决", []string{"订单号", "异常代码", "异常类型", "支付交易号", "涉及金额（元）", "日期", "首次发现", "首次发现运行", "持续天数", "处理状态", "处理人", "备注", "说明"}},
		{"申报记录", []string{"订单号", "申报结果", "受理时间", "运行编号", "支付交易号", "付款时间", "海关", "订单金额（元）", "货款（元）", "运费（元）", "平台状态", "尝试次数", "首次尝试", "最后尝试", "错误代码", "错误信息", "请求编号"}},
		{"回传记录", []string{"订单号", "幂等键", "清关状态", "回传结果", "回传时间", "运行编号", "结果代码", "口岸", "清关时间", "尝试次数", "首次尝试", "最后尝试", "错误代码", "错误信息", "请求编号"}},
		{"订单明细", []string{"订单号", "结果", "说明", "订单金额（元）", "货款（元）", "运费（元）", "付款时间", "支付交易号", "支付金额（元）", "支付时间", "海关", "受理时间", "行号", "来源文件"}},
	} {
		rows, err := f.GetRows(tc.sheet)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) < headerRow || !slices.Equal(rows[headerRow-1], tc.want) {
			t.Errorf("%s header = %q, want %q", tc.sheet, rows[headerRow-1], tc.want)
		}
		for i := range tc.want {
			ref, _ := excelize.CoordinatesToCellName(i+1, headerRow)
			st := styleOf(t, f, tc.sheet, ref)
			if st.Font == nil || !st.Font.Bold || st.Fill.Type != "pattern" || len(st.Border) != 4 {
				t.Errorf("%s!%s: header style = font %+v fill %+v borders %d, want bold, filled, bordered", tc.sheet, ref, st.Font, st.Fill, len(st.Border))
			}
		}
		// The wrap flag of a column and the style of its cells agree.
		cols := map[string][]column{"异常明细": exceptionColumns, "已解决": resolvedColumns, "申报记录": declarationColumns,
			"回传记录": callbackColumns, "订单明细": orderColumns}[tc.sheet]
		for i, c := range cols {
			ref, _ := excelize.CoordinatesToCellName(i+1, firstRow)
			st := styleOf(t, f, tc.sheet, ref)
			if got, want := st.Alignment != nil && st.Alignment.WrapText, c.kind == kindWrap || c.kind == kindEditWrap; got != want {
				t.Errorf("%s!%s (%s): wrap = %v, want %v", tc.sheet, ref, c.title, got, want)
			}
			w, err := f.GetColWidth(tc.sheet, ref[:len(ref)-1])
			if err != nil || w != c.width {
				t.Errorf("%s column %s width = %v (%v), want %v", tc.sheet, c.title, w, err, c.width)
			}
		}
	}
}

func styleOf(t testing.TB, f *excelize.File, sheet, ref string) *excelize.Style {
	t.Helper()
	id, err := f.GetCellStyle(sheet, ref)
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// cellTypeName names an excelize cell type for messages and the golden file.
func cellTypeName(c excelize.CellType) string {
	return map[excelize.CellType]string{
		excelize.CellTypeUnset: "number", excelize.CellTypeBool: "bool", excelize.CellTypeDate: "date",
		excelize.CellTypeError: "error", excelize.CellTypeFormula: "formula", excelize.CellTypeInlineString: "inlineStr",
		excelize.CellTypeNumber: "n", excelize.CellTypeSharedString: "sharedStr",
	}[c]
}

func TestCellTypesAndFormats(t *testing.T) {
	f := openBook(t, writeBook(t, smallResult()))
	const (
		money = `¥#,##0.00;[Red]-¥#,##0.00`
		date  = `yyyy-mm-dd hh:mm:ss`
	)
	serial := func(s string) string { // the serial of a UTC+8 wall time, from a table of known days
		tm, err := time.Parse(cst.Layout, s)
		if err != nil {
			t.Fatal(err)
		}
		days := map[string]int{"2026-11-21": 46347, "2026-11-23": 46349}[tm.Format("2006-01-02")]
		secs := tm.Hour()*3600 + tm.Minute()*60 + tm.Second()
		return strconv.FormatFloat(float64(days*86400+secs)/86400, 'f', -1, 64)
	}
	ex, de, cb := exceptionColumns, declarationColumns, callbackColumns
	for _, tc := range []struct {
		sheet  string
		cols   []column
		title  string
		i      int    // the data row
		typ    string // cellTypeName, "" for an empty cell
		raw    string
		numFmt string
		shown  string // the formatted value, when it differs from raw
	}{
		{"异常明细", ex, "异常代码", 0, "inlineStr", "INPUT_INVALID", "@", ""},
		{"异常明细", ex, "异常类型", 0, "inlineStr", "数据行无法读取", "@", ""},
		{"异常明细", ex, "涉及金额（元）", 0, "", "", money, ""}, // an unreadable row: the amount is unknown, so empty, not ¥0.00
		{"异常明细", ex, "应为（元）", 0, "", "", money, ""},   // no amounts: empty, not 0
		{"异常明细", ex, "差额（元）", 0, "", "", money, ""},
		{"异常明细", ex, "来源文件", 0, "inlineStr", "orders_20261120.csv", "@", ""},
		{"异常明细", ex, "行号", 0, "number", "9", "0", ""},
		{"异常明细", ex, "来源（完整）", 0, "", "", "@", ""}, // the file and the line say it all
		{"异常明细", ex, "异常键", 0, "inlineStr", "INPUT_INVALID|orders_20261120.csv:9", "@", ""},
		{"异常明细", ex, "处理建议", 0, "inlineStr", reconcile.InputInvalid.Advice(), "@", ""},
		{"异常明细", ex, "状态", 0, "", "", "@", ""}, // no tracking: no state
		{"异常明细", ex, "异常代码", 1, "inlineStr", "FEE_MISMATCH", "@", ""},
		{"异常明细", ex, "订单号", 1, "inlineStr", "2087654321098765429", "@", ""},
		{"异常明细", ex, "应为（元）", 1, "number", "-0.05", money, "-¥0.05"},
		{"异常明细", ex, "实际（元）", 1, "number", "0", money, "¥0.00"},
		{"异常明细", ex, "差额（元）", 1, "number", "0.05", money, "¥0.05"},
		{"异常明细", ex, "订单号", 2, "inlineStr", "2087654321098765431", "@", ""},
		{"异常明细", ex, "差额（元）", 2, "number", "0.5", money, "¥0.50"},
		{"异常明细", ex, "海关", 2, "inlineStr", "HANGZHOU（杭州海关）", "@", ""},
		{"异常明细", ex, "异常代码", 3, "inlineStr", "AMOUNT_MISMATCH", "@", ""},
		{"异常明细", ex, "支付交易号", 3, "inlineStr", "4200002087202611201234567890", "@", ""},
		{"异常明细", ex, "涉及金额（元）", 3, "number", "129.9", money, "¥129.90"},
		{"异常明细", ex, "实际（元）", 3, "number", "129", money, "¥129.00"},
		{"异常明细", ex, "差额（元）", 3, "number", "-0.9", money, "-¥0.90"},
		{"异常明细", ex, "来源文件", 3, "inlineStr", "wechat_20261120.xlsx", "@", ""},
		{"异常明细", ex, "行号", 3, "number", "7", "0", ""},
		{"异常明细", ex, "异常代码", 4, "inlineStr", "DECLARE_REJECTED", "@", ""},
		{"异常明细", ex, "涉及金额（元）", 4, "number", "-0.01", money, "-¥0.01"},
		{"异常明细", ex, "平台代码", 4, "inlineStr", "15 isv.invalid-parameter（参数无效）", "@", ""},
		{"异常明细", ex, "异常代码", 5, "inlineStr", "CALLBACK_ERROR", "@", ""},
		{"申报记录", de, "订单号", 0, "inlineStr", "2087654321098765430", "@", ""},
		{"申报记录", de, "订单金额（元）", 0, "number", "50", money, "¥50.00"},
		{"申报记录", de, "运费（元）", 0, "number", "0", money, "¥0.00"},
		{"申报记录", de, "申报结果", 0, "inlineStr", "被拒", "@", ""},
		{"申报记录", de, "受理时间", 0, "", "", date, ""}, // refused: never accepted
		{"申报记录", de, "平台状态", 0, "inlineStr", "FAIL（申报失败）", "@", ""},
		{"申报记录", de, "尝试次数", 0, "number", "3", "#,##0", ""},
		{"申报记录", de, "首次尝试", 0, "number", serial("2026-11-23 02:01:01"), date, "2026-11-23 02:01:01"},
		{"申报记录", de, "申报结果", 1, "inlineStr", "已申报", "@", ""},
		{"申报记录", de, "受理时间", 1, "number", serial("2026-11-23 02:01:00"), date, "2026-11-23 02:01:00"},
		{"申报记录", de, "最后尝试", 1, "number", serial("2026-11-23 02:01:00"), date, "2026-11-23 02:01:00"},
		{"申报记录", de, "平台状态", 1, "inlineStr", "SUBMITTED（已修改未申报）", "@", ""},
		{"申报记录", de, "错误代码", 1, "", "", "@", ""},
		{"回传记录", cb, "幂等键", 0, "inlineStr", "00012345678901234567", "@", ""},
		{"回传记录", cb, "清关状态", 0, "inlineStr", "2 清关结果", "@", ""},
		{"回传记录", cb, "清关时间", 0, "number", serial("2026-11-21 10:30:00"), date, "2026-11-21 10:30:00"},
		{"回传记录", cb, "回传结果", 0, "inlineStr", "已回传", "@", ""},
		{"回传记录", cb, "幂等键", 1, "inlineStr", "1E5", "@", ""}, // not 100000
		{"回传记录", cb, "清关时间", 1, "", "", date, ""},           // zero clearance time: empty
		{"回传记录", cb, "回传结果", 1, "inlineStr", "失败待重试", "@", ""},
		{"回传记录", cb, "尝试次数", 1, "number", "4", "#,##0", ""},
	} {
		tc := struct {
			sheet, ref, typ, raw, numFmt, shown string
		}{tc.sheet, ref(t, tc.cols, tc.title, tc.i), tc.typ, tc.raw, tc.numFmt, tc.shown}
		name := tc.sheet + "!" + tc.ref
		typ, err := f.GetCellType(tc.sheet, tc.ref)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := f.GetCellValue(tc.sheet, tc.ref, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		gotType := cellTypeName(typ)
		if raw == "" && typ == excelize.CellTypeUnset {
			gotType = ""
		}
		if gotType == "sharedStr" { // a string either way: shared where it repeats
			gotType = "inlineStr"
		}
		if gotType != tc.typ || raw != tc.raw {
			t.Errorf("%s = %s %q, want %s %q", name, gotType, raw, tc.typ, tc.raw)
		}
		if got := numFmtOf(t, f, tc.sheet, tc.ref); got != tc.numFmt {
			t.Errorf("%s number format = %q, want %q", name, got, tc.numFmt)
		}
		if tc.shown != "" {
			if got, _ := f.GetCellValue(tc.sheet, tc.ref); got != tc.shown {
				t.Errorf("%s shows %q, want %q", name, got, tc.shown)
			}
		}
	}
}

// TestNoFormulas checks every cell of every sheet: no formula anywhere but
// the subtotal rows' SUBTOTAL over their own columns, whatever the input.
func TestNoFormulas(t *testing.T) {
	p := writeBook(t, hostileResult())
	f := openBook(t, p)
	subtotal := regexp.MustCompile(`^SUBTOTAL\((103|109),([A-Z]+)3:([A-Z]+)\d+\)$`)
	for _, sheet := range f.GetSheetList() {
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		for r, row := range rows {
			for c := range row {
				ref, _ := excelize.CoordinatesToCellName(c+1, r+1)
				fm, err := f.GetCellFormula(sheet, ref)
				if err != nil {
					t.Fatal(err)
				}
				if fm == "" {
					continue
				}
				if m := subtotal.FindStringSubmatch(fm); r+1 != subtotalRow || m == nil || m[2] != m[3] {
					t.Errorf("%s!%s has formula %q", sheet, ref, fm)
				}
			}
		}
	}
	for name, b := range zipParts(t, p) {
		if !strings.HasPrefix(name, "xl/worksheets/") {
			continue
		}
		for _, m := range regexp.MustCompile(`<f>([^<]*)</f>`).FindAllStringSubmatch(string(b), -1) {
			if !strings.HasPrefix(m[1], "SUBTOTAL(") {
				t.Errorf("%s holds the formula %q", name, m[1])
			}
		}
		if strings.Contains(string(b), "<f ") {
			t.Errorf("%s holds a formula element with attributes", name)
		}
	}
}

// hostile are input strings that must stay text, and what the cell holds.
var hostile = []struct{ in, want string }{
	{`=HYPERLINK("http://x","y")`, `=HYPERLINK("http://x","y")`},
	{"+1+1", "+1+1"},
	{"@SUM(A1)", "@SUM(A1)"},
	{"-1", "-1"},
	{"=1+1", "=1+1"},
	{"\t=cmd|' /C calc'!A0", "\t=cmd|' /C calc'!A0"},
	{"1E5", "1E5"},
	{"0012", "0012"},
	{"12345678901234567890123456789", "12345678901234567890123456789"},
	{"\x01bell", "\u2401bell"}, // XML cannot hold U+0001: shown as its control picture
	{"a\x00b\x1fc", "a\u2400b\u241fc"},
	{"bad \xff utf-8", "bad \uFFFD utf-8"},
	{"\uFFFEx", "\uFFFDx"},
	{"line1\nline2\r\nline3", "line1\nline2\r\nline3"},
	{"  padded  ", "  padded  "},
	{"<b>&amp;</b>]]>", "<b>&amp;</b>]]>"},
	{"_x0041_", "_x0041_"}, // OOXML's own escape syntax stays literal
	{"emoji 🧾 and 中文", "emoji 🧾 and 中文"},
}

// hostileResult puts each hostile string into every kind of text cell.
func hostileResult() *reconcile.Result {
	r := smallResult()
	r.Exceptions = nil
	r.Declarations = nil
	r.Callbacks = nil
	for i, h := range hostile {
		r.Exceptions = append(r.Exceptions, reconcile.Exception{
			Code: reconcile.InputInvalid, OrderID: fmt.Sprintf("%03d", i) + h.in, TransactionID: h.in, Customs: h.in,
			PlatformCode: h.in, PlatformMsg: h.in, Message: h.in, Source: h.in,
		})
		r.Declarations = append(r.Declarations, reconcile.Declaration{OrderID: fmt.Sprintf("%03d", i) + h.in, ErrorMsg: h.in, RequestID: h.in})
		r.Callbacks = append(r.Callbacks, reconcile.Callback{Idempotent: fmt.Sprintf("%03d", i) + h.in, ErrorMsg: h.in, ResultCode: h.in})
	}
	r.Reason = hostile[0].in
	r.Inputs = []reconcile.Input{{Kind: "orders", Path: hostile[0].in, Format: "csv"}}
	return r
}

func TestHostileStringsStayText(t *testing.T) {
	f := openBook(t, writeBook(t, hostileResult()))
	check := func(sheet, ref, want string) {
		t.Helper()
		got, err := f.GetCellValue(sheet, ref, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		typ, _ := f.GetCellType(sheet, ref)
		if got != want || (typ != excelize.CellTypeInlineString && typ != excelize.CellTypeSharedString) {
			t.Errorf("%s!%s = %s %q, want a string %q", sheet, ref, cellTypeName(typ), got, want)
		}
	}
	// The sheets sort by id, as numbers: find each hostile string's row by
	// the three-digit prefix of its id.
	rowOf := func(sheet, col string) map[int]string {
		rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		at := map[int]string{}
		for r := range rows[headerRow:] {
			id, _ := f.GetCellValue(sheet, col+strconv.Itoa(r+firstRow), excelize.Options{RawCellValue: true})
			if n, err := strconv.Atoi(id[:3]); err == nil {
				at[n] = strconv.Itoa(r + firstRow)
			}
		}
		if len(at) != len(hostile) {
			t.Fatalf("%s: %d rows found by their id, want %d", sheet, len(at), len(hostile))
		}
		return at
	}
	exc, decl, cb := rowOf("异常明细", colName(exOrder)), rowOf("申报记录", "A"), rowOf("回传记录", "B")
	for i, h := range hostile {
		for _, title := range []string{"支付交易号", "海关", "平台代码", "平台信息", "说明"} {
			check("异常明细", colOf(t, exceptionColumns, title)+exc[i], h.want)
		}
		// The source: its file, and the whole where the file does not say
		// it all (a directory, or what looks like a line).
		if strings.ContainsAny(h.in, "/:") {
			check("异常明细", colOf(t, exceptionColumns, "来源（完整）")+exc[i], h.want)
		} else {
			check("异常明细", colOf(t, exceptionColumns, "来源文件")+exc[i], h.want)
		}
		check("异常明细", colName(exOrder)+exc[i], fmt.Sprintf("%03d", i)+h.want)
		check("申报记录", colOf(t, declarationColumns, "错误信息")+decl[i], h.want)
		check("申报记录", colOf(t, declarationColumns, "请求编号")+decl[i], h.want)
		check("回传记录", colOf(t, callbackColumns, "结果代码")+cb[i], h.want)
		check("回传记录", colOf(t, callbackColumns, "错误信息")+cb[i], h.want)
	}
	// The summary (shared strings): the reason and an input path.
	rows, _ := f.GetRows(sheetSummary)
	found := 0
	for r, row := range rows {
		for c, v := range row {
			if v == hostile[0].want {
				ref, _ := excelize.CoordinatesToCellName(c+1, r+1)
				check(sheetSummary, ref, hostile[0].want)
				found++
			}
		}
	}
	if found != 2 {
		t.Errorf("the summary shows %q %d times, want 2 (reason, input path)", hostile[0].want, found)
	}
}

func TestLongTextIsCutWithANote(t *testing.T) {
	for _, tc := range []struct {
		name  string
		in    string
		cut   bool
		total int
	}{
		{"1 MB ASCII", strings.Repeat("a", 1<<20), true, 1 << 20},
		{"exactly the limit", strings.Repeat("b", 32767), false, 32767},
		{"CJK over the limit", strings.Repeat("中", 40000), true, 40000},
		{"emoji over the limit", strings.Repeat("🧾", 20000), true, 40000}, // two UTF-16 units each
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := smallResult()
			r.Exceptions = []reconcile.Exception{{Code: reconcile.InputInvalid, Message: tc.in, Source: tc.in}}
			f := openBook(t, writeBook(t, r))
			for _, ref := range []string{ref(t, exceptionColumns, "说明", 0), ref(t, exceptionColumns, "来源文件", 0)} {
				got, err := f.GetCellValue(sheetExceptions, ref)
				if err != nil {
					t.Fatal(err)
				}
				units := len(utf16.Encode([]rune(got)))
				if units > 32767 {
					t.Errorf("%s: %d UTF-16 units, over Excel's 32767", ref, units)
				}
				if !tc.cut {
					if got != tc.in {
						t.Errorf("%s: a text at the limit was changed (len %d, want %d)", ref, len(got), len(tc.in))
					}
					continue
				}
				note := "…（已截断，原文共 " + strconv.Itoa(tc.total) + " 个字符）"
				if !strings.HasSuffix(got, note) {
					t.Errorf("%s: cut text ends %q, want the note %q", ref, got[max(0, len(got)-80):], note)
				}
				body := strings.TrimSuffix(got, note)
				if !strings.HasPrefix(tc.in, body) || len(body) == 0 {
					t.Errorf("%s: the kept text is not a prefix of the input", ref)
				}
				if units < 32767-2 {
					t.Errorf("%s: %d units kept, want the cell filled up to the limit", ref, units)
				}
			}
		})
	}
}

func TestDatesShowUTC8WallClock(t *testing.T) {
	saved := time.Local
	defer func() { time.Local = saved }()
	zones := []*time.Location{time.UTC, cst.Zone, time.FixedZone("IST", 5*3600+1800), time.FixedZone("CHAST", 12*3600+2700), time.FixedZone("HST", -10*3600)}
	if la, err := time.LoadLocation("America/Los_Angeles"); err == nil {
		zones = append(zones, la)
	}
	for _, host := range zones {
		time.Local = host // the host's zone must not matter
		for _, tc := range []struct {
			t    time.Time
			want string  // the UTC+8 wall clock shown
			days float64 // its serial day
		}{
			{time.Date(2026, 11, 20, 16, 0, 0, 0, time.UTC), "2026-11-21 00:00:00", 46347},
			{time.Date(2026, 11, 20, 15, 59, 59, 999_999_999, time.UTC), "2026-11-20 23:59:59", 46346},
			{time.Date(2026, 11, 20, 23, 59, 59, 0, cst.Zone).In(time.Local), "2026-11-20 23:59:59", 46346},
			{time.Date(2026, 3, 8, 2, 30, 0, 0, time.Local), "", 0}, // computed below
			{time.Date(2000, 2, 29, 12, 0, 0, 0, cst.Zone), "2000-02-29 12:00:00", 36585},
		} {
			want, wantDays := tc.want, tc.days
			if want == "" {
				w := tc.t.In(cst.Zone)
				want = w.Format(cst.Layout)
				d := time.Date(w.Year(), w.Month(), w.Day(), 0, 0, 0, 0, time.UTC)
				wantDays = math.Round(d.Sub(time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)).Hours() / 24)
			}
			r := smallResult()
			r.Declarations = []reconcile.Declaration{{OrderID: "1", FirstAttempt: tc.t, LastAttempt: tc.t}}
			f := openBook(t, writeBook(t, r))
			first := ref(t, declarationColumns, "首次尝试", 0)
			shown, _ := f.GetCellValue(sheetDeclarations, first)
			raw, _ := f.GetCellValue(sheetDeclarations, first, excelize.Options{RawCellValue: true})
			v, err := strconv.ParseFloat(raw, 64)
			if err != nil {
				t.Fatalf("host %s, %v: raw %q: %v", host, tc.t, raw, err)
			}
			w := tc.t.In(cst.Zone)
			wantSerial := wantDays + float64(w.Hour()*3600+w.Minute()*60+w.Second())/86400
			if shown != want || math.Abs(v-wantSerial) > 1e-9 {
				t.Errorf("host %s, time %v: shown %q serial %v, want %q %v", host, tc.t, shown, v, want, wantSerial)
			}
		}
	}
}

func TestPanesAndFilters(t *testing.T) {
	p := writeBook(t, smallResult())
	f := openBook(t, p)
	names := map[string]bool{}
	for _, d := range f.GetDefinedName() {
		names[d.Name+"|"+d.Scope+"|"+d.RefersTo] = true
	}
	parts := zipParts(t, p)
	sheets := sheetParts(t, parts)
	for _, tc := range []struct {
		sheet, filter, print, titles string
		xSplit                       int
		topLeft                      string
	}{
		{"异常明细", "$A$2:$Y$8", "$A$1:$W$8", "$A:$A", 1, "B3"},
		{"已解决", "$A$2:$M$2", "$A$1:$M$2", "$A:$A", 1, "B3"},
		{"申报记录", "$A$2:$Q$4", "$A$1:$Q$4", "$A:$A", 1, "B3"},
		{"回传记录", "$A$2:$O$4", "$A$1:$O$4", "$A:$A", 1, "B3"},
	} {
		panes, err := f.GetPanes(tc.sheet)
		if err != nil {
			t.Fatal(err)
		}
		if !panes.Freeze || panes.YSplit != headerRow || panes.XSplit != tc.xSplit || panes.TopLeftCell != tc.topLeft {
			t.Errorf("%s panes = %+v, want frozen below the header and right of the order id", tc.sheet, panes)
		}
		if !names["_xlnm._FilterDatabase|"+tc.sheet+"|'"+tc.sheet+"'!"+tc.filter] {
			t.Errorf("%s: no _xlnm._FilterDatabase for %s in %v", tc.sheet, tc.filter, names)
		}
		q := "'" + tc.sheet + "'!"
		if !names["_xlnm.Print_Titles|"+tc.sheet+"|"+q+tc.titles+","+q+"$2:$2"] {
			t.Errorf("%s: header row and frozen columns not repeated on printed pages", tc.sheet)
		}
		if !names["_xlnm.Print_Area|"+tc.sheet+"|"+q+tc.print] {
			t.Errorf("%s: print area is not %s (the technical columns left out)", tc.sheet, tc.print)
		}
		xmlText := string(parts[sheets[tc.sheet]])
		if !strings.Contains(xmlText, `<autoFilter ref="`+tc.filter+`">`) {
			t.Errorf("%s (%s): no autoFilter over %s", tc.sheet, sheets[tc.sheet], tc.filter)
		}
		if strings.Contains(xmlText, "filterMode") {
			t.Errorf("%s is marked as filtered", tc.sheet)
		}
		layout, err := f.GetPageLayout(tc.sheet)
		if err != nil {
			t.Fatal(err)
		}
		// Too wide for one page at 75%: printed at 75%, across pages.
		if *layout.Orientation != "landscape" || layout.AdjustTo == nil || *layout.AdjustTo != 75 || *layout.PageOrder != "overThenDown" {
			t.Errorf("%s page layout = %s, scale %v, want landscape at 75%% left to right", tc.sheet, *layout.Orientation, layout.AdjustTo)
		}
		props, err := f.GetSheetProps(tc.sheet)
		if err != nil || props.FitToPage != nil && *props.FitToPage {
			t.Errorf("%s: fit to page enabled (%v): the scale would go below 75%%", tc.sheet, err)
		}
		hf, err := f.GetHeaderFooter(tc.sheet)
		if err != nil || !strings.Contains(hf.OddHeader, "2026-11-20 至 2026-11-22") {
			t.Errorf("%s: page header %q does not name the window", tc.sheet, hf.OddHeader)
		}
	}
	// The summary and the money sheet fit a page's width at 75% or more.
	for name, widths := range map[string][]float64{sheetSummary: summaryWidths, sheetMoney: moneyWidths} {
		if s := printScale(widths); s < minPrintScale {
			t.Errorf("%s prints one page wide at %.0f%%", name, s*100)
		}
	}
	for _, sheet := range []string{sheetSummary, sheetMoney} {
		layout, _ := f.GetPageLayout(sheet)
		props, _ := f.GetSheetProps(sheet)
		if *layout.FitToWidth != 1 || props.FitToPage == nil || !*props.FitToPage {
			t.Errorf("%s: not one page wide", sheet)
		}
	}
}

// summaryRows returns the summary's rows keyed by the text of column A.
func summaryRows(t testing.TB, f *excelize.File) (map[string]int, [][]string) {
	t.Helper()
	rows, err := f.GetRows(sheetSummary, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	at := map[string]int{}
	for i, row := range rows {
		if len(row) > 0 && row[0] != "" {
			if _, dup := at[row[0]]; !dup {
				at[row[0]] = i + 1
			}
		}
	}
	return at, rows
}

// TestChart checks the summary's chart, read from the chart part: the last
// nights' new and resolved exceptions, from the history table, with the
// values cached so that a preview draws them; none in a dry run.
func TestChart(t *testing.T) {
	r := demoResult()
	p := writeBook(t, r)
	f := openBook(t, p)
	at, _ := summaryRows(t, f)
	title := 0
	for label, row := range at {
		if strings.HasSuffix(label, "、近 14 晚的异常") {
			title = row
		}
	}
	if title == 0 {
		t.Fatalf("no history section")
	}
	first, last := title+2, title+1+len(r.History)
	parts := zipParts(t, p)
	sheet := sheetParts(t, parts)[sheetSummary]
	m := regexp.MustCompile(`<drawing r:id="(rId\d+)"`).FindStringSubmatch(string(parts[sheet]))
	if m == nil {
		t.Fatalf("%s has no drawing", sheet)
	}
	drawing := rels(t, parts, relsOf(sheet))[m[1]]
	var chart string
	for _, target := range rels(t, parts, relsOf(drawing)) {
		if strings.HasPrefix(target, "xl/charts/") {
			chart = target
		}
	}
	if chart == "" {
		t.Fatalf("drawing %s holds no chart", drawing)
	}
	type pt struct {
		Idx int    `xml:"idx,attr"`
		V   string `xml:"v"`
	}
	type cache struct {
		Count struct {
			Val int `xml:"val,attr"`
		} `xml:"ptCount"`
		Pt []pt `xml:"pt"`
	}
	var cs struct {
		Chart struct {
			Title    string `xml:",innerxml"`
			PlotArea struct {
				BarChart []struct {
					BarDir struct {
						Val string `xml:"val,attr"`
					} `xml:"barDir"`
					Ser []struct {
						Tx       string `xml:"tx>strRef>f"`
						TxCache  cache  `xml:"tx>strRef>strCache"`
						Cat      string `xml:"cat>numRef>f"`
						CatCache cache  `xml:"cat>numRef>numCache"`
						Val      string `xml:"val>numRef>f"`
						ValCache cache  `xml:"val>numRef>numCache"`
					} `xml:"ser"`
				} `xml:"barChart"`
			} `xml:"plotArea"`
		} `xml:"chart"`
	}
	if err := xml.Unmarshal(parts[chart], &cs); err != nil {
		t.Fatalf("%s: %v", chart, err)
	}
	bars := cs.Chart.PlotArea.BarChart
	if len(bars) != 1 || bars[0].BarDir.Val != "col" || len(bars[0].Ser) != 2 {
		t.Fatalf("chart = %+v, want one column chart with two series", bars)
	}
	for i, want := range []struct {
		name, col string
		values    func(n reconcile.Night) int
	}{
		{"新增", "C", func(n reconcile.Night) int { return n.New }},
		{"已解决", "D", func(n reconcile.Night) int { return n.Resolved }},
	} {
		ser := bars[0].Ser[i]
		if w := fmt.Sprintf("'汇总'!$A$%d:$A$%d", first, last); ser.Cat != w {
			t.Errorf("series %d categories = %q, want %q (the nights)", i, ser.Cat, w)
		}
		if w := fmt.Sprintf("'汇总'!$%s$%d:$%s$%d", want.col, first, want.col, last); ser.Val != w {
			t.Errorf("series %d values = %q, want %q", i, ser.Val, w)
		}
		if len(ser.TxCache.Pt) != 1 || ser.TxCache.Pt[0].V != want.name {
			t.Errorf("series %d name cache = %+v, want %s", i, ser.TxCache, want.name)
		}
		if ser.ValCache.Count.Val != len(r.History) || len(ser.ValCache.Pt) != len(r.History) ||
			ser.CatCache.Count.Val != len(r.History) || len(ser.CatCache.Pt) != len(r.History) {
			t.Fatalf("series %d caches hold %d values and %d nights, want %d", i, len(ser.ValCache.Pt), len(ser.CatCache.Pt), len(r.History))
		}
		for j, n := range r.History {
			if got := ser.ValCache.Pt[j]; got.Idx != j || got.V != strconv.Itoa(want.values(n)) {
				t.Errorf("series %d night %s cached %+v, want %d", i, n.Date, got, want.values(n))
			}
			day, _ := serial(n.Date.Start())
			if got := ser.CatCache.Pt[j].V; got != strconv.FormatFloat(day, 'f', -1, 64) {
				t.Errorf("night %d cached as %s, want the serial of %s", j, got, n.Date)
			}
			// The cells the chart refers to hold what its cache says.
			if v, _ := f.GetCellValue(sheetSummary, want.col+strconv.Itoa(first+j)); v != strconv.Itoa(want.values(n)) {
				t.Errorf("%s%d = %s, the chart caches %d", want.col, first+j, v, want.values(n))
			}
		}
	}
	if !strings.Contains(cs.Chart.Title, "新增与已解决") {
		t.Errorf("chart title missing")
	}
	// A dry run knows no history: no chart.
	dry := demoResult()
	dry.DryRun, dry.History = true, nil
	for name := range zipParts(t, writeBook(t, dry)) {
		if strings.HasPrefix(name, "xl/charts/") {
			t.Errorf("a dry run's workbook has a chart (%s)", name)
		}
	}
}

func TestSummary(t *testing.T) {
	r := smallResult()
	f := openBook(t, writeBook(t, r))
	at, rows := summaryRows(t, f)
	cell := func(label string, col int) string {
		t.Helper()
		i, ok := at[label]
		if !ok {
			t.Fatalf("no summary row %q", label)
		}
		if col >= len(rows[i-1]) {
			return ""
		}
		return rows[i-1][col]
	}
	if got := cell("对账区间", 1); got != "2026-11-20 至 2026-11-22（共 3 天）" {
		t.Errorf("window = %q", got)
	}
	if got := cell("运行编号", 1); got != "42" {
		t.Errorf("run id = %q", got)
	}
	if got := cell("运行结果", 1); got != "已中断" {
		t.Errorf("status = %q, want 已中断", got)
	}
	if got := cell("原因", 1); got != r.Reason {
		t.Errorf("reason = %q", got)
	}
	if got, want := cell("用时", 1), strconv.FormatFloat(207.0/86400, 'f', -1, 64); got != want {
		t.Errorf("duration = %q, want %q (3 min 27 s)", got, want)
	}
	if n := numFmtOf(t, f, sheetSummary, "B"+strconv.Itoa(at["用时"])); n != "[h]:mm:ss" {
		t.Errorf("duration format = %q", n)
	}
	if got, _ := f.GetCellValue(sheetSummary, "B"+strconv.Itoa(at["开始时间"])); got != "2026-11-23 02:00:00" {
		t.Errorf("start shows %q", got)
	}
	if got, _ := f.GetCellValue(sheetSummary, "B"+strconv.Itoa(at["结束时间"])); got != "2026-11-23 02:03:27" {
		t.Errorf("end shows %q", got)
	}
	if _, ok := at[dryRunBanner]; ok {
		t.Errorf("a real run is marked as a dry run")
	}
	// Every code, zeros included, with label, count, sum, what the sum is
	// and advice; no sum where the code's exceptions carry no amount, or
	// none known.
	want := map[reconcile.Code][2]string{ // count, sum in yuan
		reconcile.InputInvalid: {"1", "—"}, reconcile.FeeMismatch: {"2", "100.5"}, reconcile.AmountMismatch: {"1", "129.9"},
		reconcile.DeclareRejected: {"1", "-0.01"}, reconcile.CallbackError: {"1", "—"},
	}
	for _, c := range reconcile.Codes() {
		w, ok := want[c]
		if !ok {
			w = [2]string{"0", "0"}
			if _, has := amountMeaning(c); !has {
				w[1] = "—"
			}
		}
		if got := [2]string{cell(string(c), 2), cell(string(c), 4)}; got != w {
			t.Errorf("%s count, sum = %q, want %q", c, got, w)
		}
		meaning, _ := amountMeaning(c)
		if cell(string(c), 1) != c.Label() || cell(string(c), 5) != meaning || cell(string(c), 6) != c.Advice() {
			t.Errorf("%s label/meaning/advice = %q / %q / %q", c, cell(string(c), 1), cell(string(c), 5), cell(string(c), 6))
		}
		if cell(string(c), 3) != "—" {
			t.Errorf("%s new = %q, want — (no history)", c, cell(string(c), 3))
		}
		if w[1] == "—" {
			continue
		}
		ref := "E" + strconv.Itoa(at[string(c)])
		if n := numFmtOf(t, f, sheetSummary, ref); n != `¥#,##0.00;[Red]-¥#,##0.00` {
			t.Errorf("%s sum format = %q", c, n)
		}
	}
	// The total adds up counts, never amounts of different meanings.
	if got := [3]string{cell("合计", 2), cell("合计", 4), cell("合计", 5)}; got != [3]string{"6", "", "各代码的金额含义不同，不相加"} {
		t.Errorf("total = %q, want 6 and no amount", got)
	}
	// The bridges: every number the sum of the lines below it.
	for _, tc := range []struct {
		label, n, remark string
	}{
		{"读取的订单", "5", "✔ = 0 + 0 + 5"}, {"本区间内已付款", "5", "✔ = 3 + 2"}, {"通过全部检查", "2", "✔ = 1 + 0 + 1 + 0 + 0"},
		{"本次申报成功", "1", ""}, {"申报失败", "1", "见“异常明细”的 DECLARE_REJECTED、DECLARE_CONFLICT、DECLARE_ERROR"},
		{"读取的清关记录", "3", "✔ = 2 + 1"}, {"本区间内待回传", "2", "✔ = 1 + 0 + 1 + 0"},
		{"平台接口调用次数", "9", ""}, {"其中重试", "5", ""},
	} {
		if got := [2]string{cell(tc.label, 2), cell(tc.label, 3)}; got != [2]string{tc.n, tc.remark} {
			t.Errorf("%s = %q, want %s, %q", tc.label, got, tc.n, tc.remark)
		}
	}
	if got := [5]string{cell("订单", 0), cell("订单", 1), cell("订单", 3), cell("订单", 4), cell("订单", 5)}; got !=
		[5]string{"订单", "CSV · GB18030 · tmall（天猫订单导出）", "5", "1", "exports/orders_20261120.csv"} {
		t.Errorf("orders input row = %q", got)
	}
	if got := cell("清关结果", 1); got != "CSV · UTF-8（带 BOM）" {
		t.Errorf("clearance input format = %q", got)
	}
	// A bridge that does not add up says so, in red.
	r.Counts.OrdersOutside = 2
	f = openBook(t, writeBook(t, r))
	at, rows = summaryRows(t, f)
	if got := cell("读取的订单", 3); got != "✘ 2 + 0 + 5 = 7，相差 -2" {
		t.Errorf("a bridge that does not add up says %q", got)
	}
}

func TestDryRunAndStatuses(t *testing.T) {
	for _, tc := range []struct {
		status reconcile.Status
		dry    bool
		label  string
		runID  string
	}{
		{reconcile.StatusCompleted, false, "已完成", "42"},
		{reconcile.StatusInterrupted, false, "已中断", "42"},
		{reconcile.StatusFailed, false, "失败", "42"},
		{reconcile.StatusCompleted, true, "已完成", "无（试运行）"},
	} {
		r := smallResult()
		r.Status, r.DryRun = tc.status, tc.dry
		if tc.dry {
			r.RunID = 0
		}
		f := openBook(t, writeBook(t, r))
		at, rows := summaryRows(t, f)
		if got := rows[at["运行结果"]-1][1]; got != tc.label {
			t.Errorf("%s: status shows %q, want %q", tc.status, got, tc.label)
		}
		if got := rows[at["运行编号"]-1][1]; got != tc.runID {
			t.Errorf("%s: run id shows %q, want %q", tc.status, got, tc.runID)
		}
		if _, ok := at[dryRunBanner]; ok != tc.dry {
			t.Errorf("dry run %v: banner shown = %v", tc.dry, ok)
		}
		props, _ := f.GetCustomProps()
		for _, p := range props {
			if p.Name == propDryRun && p.Value != tc.dry {
				t.Errorf("dry run property = %v, want %v", p.Value, tc.dry)
			}
		}
	}
}

func TestDocProps(t *testing.T) {
	f := openBook(t, writeBook(t, smallResult()))
	dp, err := f.GetDocProps()
	if err != nil {
		t.Fatal(err)
	}
	if dp.Title != "对账异常报告 2026-11-20..2026-11-22" || dp.Creator != "reconcile" ||
		dp.Subject != "对账区间 2026-11-20 至 2026-11-22（共 3 天）" || !strings.Contains(dp.Keywords, "run 42") {
		t.Errorf("doc props = %+v", dp)
	}
	props, err := f.GetCustomProps()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]interface{}{}
	for _, p := range props {
		got[p.Name] = p.Value
	}
	for name, want := range map[string]interface{}{
		propGenerator: "reconcile", propWindow: "2026-11-20..2026-11-22", propRunID: "42",
		propStatus: "interrupted", propDryRun: false,
	} {
		if got[name] != want {
			t.Errorf("custom property %s = %v, want %v", name, got[name], want)
		}
	}
}

func TestIDNumbersInFreeTextAreMasked(t *testing.T) {
	r := smallResult()
	r.Reason = "证件 11010519491231002X 过期"
	r.Exceptions = []reconcile.Exception{{Code: reconcile.MaterialsInvalid, OrderID: "1",
		Message:     "证件号 110101199003070011 与订单不符；交易 4200002087202611201234567890 保留",
		PlatformMsg: "idcard=11010519491231002x",
	}}
	r.Declarations = []reconcile.Declaration{{OrderID: "1", ErrorMsg: "身份证110101199003070011校验失败"}}
	r.Callbacks = []reconcile.Callback{{Idempotent: "k", ErrorMsg: "ID 110101199003070011"}}
	f := openBook(t, writeBook(t, r))
	for _, tc := range []struct{ sheet, ref, want string }{
		{sheetExceptions, ref(t, exceptionColumns, "说明", 0), "证件号 1101**********0011 与订单不符；交易 4200002087202611201234567890 保留"},
		{sheetExceptions, ref(t, exceptionColumns, "平台信息", 0), "idcard=1101**********002x"},
		{sheetDeclarations, ref(t, declarationColumns, "错误信息", 0), "身份证1101**********0011校验失败"},
		{sheetCallbacks, ref(t, callbackColumns, "错误信息", 0), "ID 1101**********0011"},
	} {
		if got, _ := f.GetCellValue(tc.sheet, tc.ref); got != tc.want {
			t.Errorf("%s!%s = %q, want %q", tc.sheet, tc.ref, got, tc.want)
		}
	}
	at, rows := summaryRows(t, f)
	if got := rows[at["原因"]-1][1]; got != "证件 1101**********002X 过期" {
		t.Errorf("reason = %q", got)
	}
}

func TestExceptionsSortedByCodeThenOrder(t *testing.T) {
	r := smallResult()
	r.Exceptions = append(r.Exceptions,
		reconcile.Exception{Code: "ZZ_UNKNOWN", OrderID: "1"},
		reconcile.Exception{Code: "AA_UNKNOWN", OrderID: "2"},
		reconcile.Exception{Code: reconcile.InputInvalid, OrderID: "", Source: "a.csv:1"},
	)
	r.Tally()
	in := slices.Clone(r.Exceptions)
	f := openBook(t, writeBook(t, r))
	rows, _ := f.GetRows(sheetExceptions)
	var got []string
	for _, row := range rows[headerRow:] {
		got = append(got, row[exCode]+"/"+row[exOrder])
	}
	want := []string{
		"INPUT_INVALID/", "INPUT_INVALID/", "FEE_MISMATCH/2087654321098765429", "FEE_MISMATCH/2087654321098765431",
		"AMOUNT_MISMATCH/2087654321098765432", "DECLARE_REJECTED/2087654321098765430", "CALLBACK_ERROR/2087654321098765433",
		"AA_UNKNOWN/2", "ZZ_UNKNOWN/1",
	}
	if !slices.Equal(got, want) {
		t.Errorf("order:\n got %q\nwant %q", got, want)
	}
	if !slices.EqualFunc(in, r.Exceptions, func(a, b reconcile.Exception) bool { return a == b }) {
		t.Errorf("Write reordered the caller's exceptions")
	}
	// Unknown codes get their own summary rows, after every known one.
	at, rows2 := summaryRows(t, f)
	codes := reconcile.Codes()
	lastKnown := at[string(codes[len(codes)-1])]
	if a, z := at["AA_UNKNOWN"], at["ZZ_UNKNOWN"]; lastKnown == 0 || a != lastKnown+1 || z != a+1 || rows2[a-1][2] != "1" {
		t.Errorf("unknown codes at rows %d, %d, want %d, %d (after the last known code, %s)", a, z, lastKnown+1, lastKnown+2, codes[len(codes)-1])
	}
}

func TestRowCap(t *testing.T) {
	saved := maxDataRows
	// A full sheet's last row is Excel's last: the subtotal row and the
	// header come above the data.
	if last := headerRow + saved; last != excelize.TotalRows {
		t.Errorf("a full list sheet ends on row %d, want Excel's last, %d", last, excelize.TotalRows)
	}
	maxDataRows = 3
	defer func() { maxDataRows = saved }()
	f := openBook(t, writeBook(t, smallResult()))
	rows, _ := f.GetRows(sheetExceptions)
	if len(rows) != headerRow+3 {
		t.Errorf("exception sheet has %d rows, want the subtotal row, the header and 3", len(rows))
	}
	at, _ := summaryRows(t, f)
	note := "注：“异常明细”表超出 Excel 的行数上限，只列出前 3 行，另有 3 行未列出。"
	if _, ok := at[note]; !ok {
		t.Errorf("no note %q in the summary", note)
	}
	// The summary still counts every exception.
	_, all := summaryRows(t, f)
	if all[at["合计"]-1][2] != "6" {
		t.Errorf("total = %q, want 6", all[at["合计"]-1][2])
	}
}

// The exception sheet lists the exceptions in the job's one order, the
// order Result holds them in: ids compare as numbers, so a shorter id
// comes first, and the summary's counts are the result's.
func TestExceptionsInTheResultsOrder(t *testing.T) {
	r := smallResult()
	r.Exceptions = []reconcile.Exception{
		{Code: reconcile.PaymentMissing, OrderID: "999", Message: "a"},
		{Code: reconcile.PaymentMissing, OrderID: "1000", Message: "b"},
		{Code: reconcile.PaymentMissing, OrderID: "1000", TransactionID: "98", Message: "c"},
		{Code: reconcile.PaymentMissing, OrderID: "1000", TransactionID: "100", Message: "d"},
		{Code: reconcile.PaymentOrphan, OrderID: "12", Message: "e"},
	}
	r.Tally()
	want := []string{"999", "1000", "1000", "1000", "12"}
	f := openBook(t, writeBook(t, r))
	rows, err := f.GetRows(sheetExceptions)
	if err != nil {
		t.Fatal(err)
	}
	var got, gotTx []string
	for _, row := range rows[headerRow:] {
		got = append(got, row[exOrder])
		gotTx = append(gotTx, row[exTx])
	}
	if !slices.Equal(got, want) {
		t.Errorf("order ids on the sheet %q, want %q", got, want)
	}
	if wantTx := []string{"", "", "98", "100", ""}; !slices.Equal(gotTx, wantTx) {
		t.Errorf("transaction ids on the sheet %q, want %q", gotTx, wantTx)
	}
	for i, e := range r.Exceptions {
		if e.OrderID != want[i] {
			t.Errorf("Result holds %q at %d, want %q: the sheet and the result disagree", e.OrderID, i, want[i])
		}
	}
}
