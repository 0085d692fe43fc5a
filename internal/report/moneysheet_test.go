package report

import (
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/crossborder/reconcile/internal/ingest"
	"github.com/crossborder/reconcile/internal/reconcile"
)

const (
	feeFormat = `¥#,##0.00000;[Red]-¥#,##0.00000`
	hkdFormat = `#,##0.00 "HKD";[Red]-#,##0.00 "HKD"`
	hkdFee    = `#,##0.00000 "HKD";[Red]-#,##0.00000 "HKD"`
	bareMoney = `#,##0.00;[Red]-#,##0.00`
)

// TestFeesInTheFile checks the text written for fees and nets on the money
// sheet: the exact decimal of every fee, beyond the exact range its exact
// decimal as a string, and the summary says so.
func TestFeesInTheFile(t *testing.T) {
	samples := append([]int64{maxExactFen, -maxExactFen, math.MaxInt64 / 1000}, moneySamples(2_000)...)
	r := smallResult()
	r.Money.Days = nil
	for i, v := range samples {
		r.Money.Days = append(r.Money.Days, reconcile.DayMoney{Date: day(2026, 11, 20).AddDays(i), ServiceFee: v})
	}
	p := writeBook(t, r)
	parts := zipParts(t, p)
	cells := sheetCells(t, parts[sheetParts(t, parts)[sheetMoney]])
	f := openBook(t, p)
	first := moneyRowOf(t, f, "日期") + 2
	text := 0
	for i, v := range samples {
		ref := "H" + strconv.Itoa(first+i)
		netRef := "I" + strconv.Itoa(first+i)
		if _, ok := exactNumber(v, feePlaces); !ok {
			text++
			if got, _ := f.GetCellValue(sheetMoney, ref); got != ingest.FormatFee(v) {
				t.Errorf("%s (fee %d) = %q, want the exact text %q", ref, v, got, ingest.FormatFee(v))
			}
			continue
		}
		if got := cells[ref]; got != [2]string{"", exactScaled(v, feePlaces)} {
			t.Errorf("%s (fee %d × 10⁻⁵) = %q, want the number %s", ref, v, got, exactScaled(v, feePlaces))
		}
		if n := -v; n > -maxExactFen && n < maxExactFen { // no payments: the net is −fee, with five places
			if got := cells[netRef]; got != [2]string{"", exactScaled(n, feePlaces)} {
				t.Errorf("%s (net %d × 10⁻⁵) = %q, want the number %s", netRef, n, got, exactScaled(n, feePlaces))
			}
		}
		if got := numFmtOf(t, f, sheetMoney, ref); got != feeFormat {
			t.Errorf("%s format = %q, want %q", ref, got, feeFormat)
		}
	}
	if text != 3 {
		t.Fatalf("%d fees written as text, want 3", text)
	}
	at, _ := summaryRows(t, f)
	found := false
	for label := range at {
		found = found || regexp.MustCompile(`^注：“资金核对”表有 \d+ 个手续费或净额超出`).MatchString(label)
	}
	if !found {
		t.Errorf("the summary has no note on the fees written as text")
	}
}

// moneyRowOf returns the first row of the money sheet whose column A is a.
func moneyRowOf(t testing.TB, f *excelize.File, a string) int {
	t.Helper()
	rows, err := f.GetRows(sheetMoney, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	for i, row := range rows {
		if len(row) > 0 && row[0] == a {
			return i + 1
		}
	}
	t.Fatalf("no row %q on the money sheet", a)
	return 0
}

// rawRow returns the raw values of a money sheet row, columns A to K.
func rawRow(t testing.TB, f *excelize.File, row int) []string {
	t.Helper()
	var out []string
	for c := 1; c <= 11; c++ {
		ref, _ := excelize.CoordinatesToCellName(c, row)
		v, err := f.GetCellValue(sheetMoney, ref, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

func TestMoneySheetDays(t *testing.T) {
	r := moneyResult()
	f := openBook(t, writeBook(t, r))
	if got := f.GetSheetList(); len(got) < 2 || got[1] != sheetMoney {
		t.Fatalf("sheets = %q, want 资金核对 second", got)
	}
	header := moneyRowOf(t, f, "日期")
	want := [][]string{
		{"46346", "912", "286413.5", "905", "284120.3", "7", "2315", "1690.83", "280114.47", "0", "0"},
		{"46347", "1204", "371902.8", "1198", "370445.1", "12", "3988", "2198.74", "364258.36", "0", "0"},
		{"46348", "1036", "318250.4", "1021", "312610", "5", "1290", "1840.333", "309479.667", "0", "0"},
		{"合计", "3152", "976566.7", "3124", "967175.4", "24", "7593", "5729.903", "953852.497", "0", "0"},
	}
	for i, w := range want {
		row := header + 2 + i
		if got := rawRow(t, f, row); strings.Join(got, "|") != strings.Join(w, "|") {
			t.Errorf("row %d = %q, want %q", row, got, w)
		}
	}
	formats := map[string]string{"A": dayFormat, "B": "#,##0", "C": moneyFormat, "H": feeFormat, "I": feeFormat, "K": moneyFormat}
	for col, want := range formats {
		if got := numFmtOf(t, f, sheetMoney, col+strconv.Itoa(header+2)); got != want {
			t.Errorf("%s format = %q, want %q", col, got, want)
		}
	}
	if got, _ := f.GetCellValue(sheetMoney, "A"+strconv.Itoa(header+2)); got != "2026-11-20" {
		t.Errorf("the first day shows %q", got)
	}
	if got, _ := f.GetCellValue(sheetMoney, "I"+strconv.Itoa(header+5)); got != "¥953,852.49700" {
		t.Errorf("the net shows %q, want ¥953,852.49700", got)
	}
	// The days add up to the total, column by column.
	for c := 1; c < 11; c++ {
		sum := new(big.Rat)
		for i := 0; i < 3; i++ {
			v, _ := new(big.Rat).SetString(want[i][c])
			sum.Add(sum, v)
		}
		if tot, _ := new(big.Rat).SetString(want[3][c]); sum.Cmp(tot) != 0 {
			t.Errorf("column %d: days add up to %s, total %s", c+1, sum.FloatString(5), tot.FloatString(5))
		}
	}
	// The nets are whole fen: shown to the fen.
	r2 := smallResult()
	f2 := openBook(t, writeBook(t, r2))
	total := moneyRowOf(t, f2, "合计")
	if got := rawRow(t, f2, total); got[8] != "326.92" || numFmtOf(t, f2, sheetMoney, "I"+strconv.Itoa(total)) != moneyFormat {
		t.Errorf("a net of whole fen = %q (%s), want 326.92 in %s", got[8], numFmtOf(t, f2, sheetMoney, "I"+strconv.Itoa(total)), moneyFormat)
	}
}

func TestMoneySheetSettlements(t *testing.T) {
	r := moneyResult()
	r.Money.Settlements[0].Refunds = amount(2, 33420) // 退款应结订单金额: netted
	f := openBook(t, writeBook(t, r))
	row := moneyRowOf(t, f, "HKD")
	if got := rawRow(t, f, row)[:7]; strings.Join(got, "|") != "HKD|46|15872.4|2|334.2|95.23|15442.97" {
		t.Errorf("HKD settlement = %q, want payments, refunds, fees and the net of them", got)
	}
	for col, want := range map[string]string{"C": hkdFormat, "E": hkdFormat, "F": hkdFee, "G": hkdFormat} {
		if got := numFmtOf(t, f, sheetMoney, col+strconv.Itoa(row)); got != want {
			t.Errorf("HKD %s format = %q, want %q", col, got, want)
		}
	}
	if got, _ := f.GetCellValue(sheetMoney, "C"+strconv.Itoa(row)); got != "15,872.40 HKD" {
		t.Errorf("HKD settlement shows %q", got)
	}
	// A settlement alone: no CNY table is mixed in, nor a settlement table without one.
	f2 := openBook(t, writeBook(t, smallResult()))
	rows, _ := f2.GetRows(sheetMoney)
	for _, r := range rows {
		if len(r) > 0 && strings.Contains(r[0], "分币种结算") {
			t.Errorf("a run without Global statements has a settlement table")
		}
	}
}

func TestUnitFormat(t *testing.T) {
	for _, tc := range []struct {
		u    unit
		want string
	}{
		{cny, moneyFormat}, {cnyFee, feeFormat}, {unit{"HKD", fenPlaces}, hkdFormat}, {unit{"HKD", feePlaces}, hkdFee},
		{unit{"mixed", fenPlaces}, bareMoney}, {unit{"", fenPlaces}, bareMoney}, {unit{`H"D`, fenPlaces}, bareMoney},
	} {
		if got := unitFormat(tc.u); got != tc.want {
			t.Errorf("unitFormat(%v) = %q, want %q", tc.u, got, tc.want)
		}
	}
}

// blockAt returns the row of the title of the bill block whose title
// (column B) starts with prefix, and its verdict.
func blockAt(t testing.TB, f *excelize.File, prefix string) (int, string) {
	t.Helper()
	rows, _ := f.GetRows(sheetMoney, excelize.Options{RawCellValue: true})
	for i, row := range rows {
		if len(row) > 1 && strings.HasPrefix(row[1], prefix) {
			return i + 1, row[0]
		}
	}
	t.Fatalf("no bill block %q", prefix)
	return 0, ""
}

// figureRow returns the row of figure label within the block from row.
func figureRow(t testing.TB, f *excelize.File, from int, label string) int {
	t.Helper()
	for r := from; r < from+20; r++ {
		if v, _ := f.GetCellValue(sheetMoney, "A"+strconv.Itoa(r)); v == label {
			return r
		}
	}
	t.Fatalf("no %s below row %d", label, from)
	return 0
}

func isHighlighted(t testing.TB, f *excelize.File, ref string) bool {
	st := styleOf(t, f, sheetMoney, ref)
	return st.Fill.Type == "pattern" && len(st.Fill.Color) > 0 && st.Fill.Color[0] == "FFC7CE"
}

func TestMoneySheetBills(t *testing.T) {
	r := moneyResult()
	r.Bills = append(r.Bills, reconcile.Bill{File: "/x/坏账单.csv", Section: 1, Header: "/x/坏账单.csv:1", Variant: "wechat-all", Rows: 3,
		SummaryErr: "第 2 列“12,3a”不是金额，证件 110101199003070011"})
	f := openBook(t, writeBook(t, r))
	for _, tc := range []struct {
		title, verdict, summary string
	}{
		{"微信支付账单(20261120-20261120)_全部交易.csv · 第 1 段", "✔ 一致", "第 922 行"},
		{"微信支付账单_20261121-20261122_合并.csv · 第 1 段", "✘ 汇总不符", "第 1213 行"},
		{"微信支付账单_20261121-20261122_合并.csv · 第 2 段", "✘ 无汇总行", "无汇总行（下载不完整？）"},
		{"WeChatPayGlobal_Statement_HKD_20261120-20261122.csv · 第 1 段", "不要求汇总", "无汇总行（Global 账单的汇总格式未公开，不要求）"},
		{"坏账单.csv · 第 1 段", "✘ 汇总行无法读取", "汇总行无法读取：第 2 列“12,3a”不是金额，证件 1101**********0011"},
	} {
		row, verdict := blockAt(t, f, tc.title)
		if verdict != tc.verdict {
			t.Errorf("%s: verdict %q, want %q", tc.title, verdict, tc.verdict)
		}
		if got, _ := f.GetCellValue(sheetMoney, "B"+strconv.Itoa(row+2)); got != tc.summary {
			t.Errorf("%s: summary line %q, want %q", tc.title, got, tc.summary)
		}
	}

	// The block that differs: every figure, the differing ones highlighted.
	row, _ := blockAt(t, f, "微信支付账单_20261121-20261122_合并.csv · 第 1 段")
	for _, tc := range []struct {
		label   string
		cells   string // B|C|D|E raw
		differs bool
		fmt     string
	}{
		{"总交易单数", "1210|1210|0|一致", false, "#,##0"},
		{"应结订单总金额", "370455.1|370445.1|-10|不符", true, moneyFormat},
		{"退款总金额", "3988|3988|0|一致", false, moneyFormat},
		{"充值券退款总金额", "0|0|0|一致", false, moneyFormat},
		{"手续费总金额", "2198.8|2198.74|-0.06|不符", true, feeFormat},
		{"订单总金额", "370455.1|370445.1|-10|不符", true, moneyFormat},
		{"申请退款总金额", "3988|3988|0|一致", false, moneyFormat},
	} {
		fr := figureRow(t, f, row, tc.label)
		if got := strings.Join(rawRow(t, f, fr)[1:5], "|"); got != tc.cells {
			t.Errorf("%s = %s, want %s", tc.label, got, tc.cells)
		}
		for _, col := range []string{"A", "B", "C", "D", "E"} {
			if got := isHighlighted(t, f, col+strconv.Itoa(fr)); got != tc.differs {
				t.Errorf("%s %s highlighted = %v, want %v", tc.label, col, got, tc.differs)
			}
		}
		for _, col := range []string{"B", "C", "D"} {
			if got := numFmtOf(t, f, sheetMoney, col+strconv.Itoa(fr)); got != tc.fmt && !(tc.fmt == "#,##0" && got == countFormat) {
				t.Errorf("%s %s format = %q, want %q", tc.label, col, got, tc.fmt)
			}
		}
	}
	// Each differing figure is one that reconcile found (Bill.Diffs).
	for _, d := range r.Bills[1].Diffs {
		fr := figureRow(t, f, row, d.Figure.Label())
		if !isHighlighted(t, f, "B"+strconv.Itoa(fr)) {
			t.Errorf("%s differs but is not highlighted", d.Figure.Label())
		}
	}

	// The Global statement: settlement and fee in HKD, the rest bare, none in ¥.
	row, _ = blockAt(t, f, "WeChatPayGlobal")
	for label, want := range map[string]string{"应结订单总金额": hkdFormat, "手续费总金额": hkdFee, "订单总金额": bareMoney, "退款总金额": bareMoney} {
		fr := figureRow(t, f, row, label)
		if got := numFmtOf(t, f, sheetMoney, "C"+strconv.Itoa(fr)); got != want {
			t.Errorf("Global %s format = %q, want %q", label, got, want)
		}
	}
	// A section without a summary shows the rows' sums only.
	row, _ = blockAt(t, f, "微信支付账单_20261121-20261122_合并.csv · 第 2 段")
	fr := figureRow(t, f, row, "应结订单总金额")
	if got := strings.Join(rawRow(t, f, fr)[1:5], "|"); got != "|297942||—" {
		t.Errorf("no summary: %s, want the rows' sum alone", got)
	}
}

// A figure the summary does not name (older bills name fewer) is shown as
// such, not as a difference.
func TestBillFigureNotNamed(t *testing.T) {
	r := smallResult()
	r.Bills[0].Summary.Has = ingest.FigTrades | ingest.FigSettlement | ingest.FigRefund
	f := openBook(t, writeBook(t, r))
	row, _ := blockAt(t, f, "wechat_20261120.xlsx")
	fr := figureRow(t, f, row, "手续费总金额")
	if got := strings.Join(rawRow(t, f, fr)[1:5], "|"); got != "（未列出）|1.98||—" {
		t.Errorf("a figure the summary does not name = %s", got)
	}
}

func TestHeadline(t *testing.T) {
	allowed := moneyResult()
	allowed.Counts.HeldBack, allowed.Counts.Declared = 0, 3100
	allowed.Money.Declared = amount(3100, 96000000)
	dry := moneyResult()
	dry.DryRun, dry.RunID, dry.Counts.HeldBack, dry.Counts.NotDeclared = true, 0, 0, dry.Counts.Eligible
	dry.Tracked = reconcile.Tracked{}
	for i := range dry.Exceptions {
		dry.Exceptions[i].Tracking = reconcile.Tracking{}
	}
	clean := smallResult()
	clean.Exceptions, clean.Status, clean.Reason = nil, reconcile.StatusCompleted, ""
	cleanDry := smallResult()
	cleanDry.DryRun = true
	rerun := smallResult()
	rerun.Exceptions, rerun.Status, rerun.Reason = nil, reconcile.StatusCompleted, ""
	rerun.Counts.Declared, rerun.Counts.AlreadyDeclared, rerun.Money.Declared = 0, 1, reconcile.Amount{}
	for _, tc := range []struct {
		name string
		r    *reconcile.Result
		want string
		fill string
	}{
		{"small", smallResult(), "需处理 5 笔，涉及订单金额 ¥230.39（另有 1 笔将自动重试）；已申报 1 笔 ¥129.90；手续费 ¥1.98", "FFEB9C"},
		{"demo", demoResult(), "需处理 29 笔（新增 10），涉及订单金额 ¥8,678.33、无对应订单的支付 ¥77.00（另有 6 笔将自动重试）；已申报 2,690 笔 ¥804,778.69（此前已申报 44 笔）；手续费 ¥4,809.85", "FFEB9C"},
		{"bills do not tie out", moneyResult(), "账单汇总不符：本次未申报（3,134 笔待申报）；需处理 29 笔（新增 9），涉及订单金额 ¥7,410.33、无对应订单的支付 ¥77.00（另有 2 笔将自动重试）；手续费 ¥5,729.903（另 HKD 95.23）", "FFC7CE"},
		{"declared anyway", allowed, "账单汇总不符：已按 --allow-bill-mismatch 照常申报；需处理 29 笔（新增 9），涉及订单金额 ¥7,410.33、无对应订单的支付 ¥77.00（另有 2 笔将自动重试）；已申报 3,100 笔 ¥960,000.00；手续费 ¥5,729.903（另 HKD 95.23）", "FFC7CE"},
		{"dry run", dry, "账单汇总不符：试运行未申报，正式运行也将暂缓申报（3,134 笔）；需处理 29 笔，涉及订单金额 ¥7,410.33、无对应订单的支付 ¥77.00（另有 2 笔将自动重试）；手续费 ¥5,729.903（另 HKD 95.23）", "FFC7CE"},
		{"clean dry run", cleanDry, "需处理 5 笔，涉及订单金额 ¥230.39（另有 1 笔将自动重试）；试运行：未申报（2 笔可申报）；手续费 ¥1.98", "FFEB9C"},
		{"nothing to do", clean, "需处理 0 笔；已申报 1 笔 ¥129.90；手续费 ¥1.98", "C6EFCE"},
		{"rerun", rerun, "需处理 0 笔；已申报 0 笔 ¥0.00（此前已申报 1 笔）；手续费 ¥1.98", "C6EFCE"},
		{"session expired", demoFailed(), "需处理 29 笔（新增 10），涉及订单金额 ¥8,678.33、无对应订单的支付 ¥77.00（另有 1,194 笔按下方提示处理后重跑）；已申报 1,502 笔 ¥449,453.94（此前已申报 44 笔）；手续费 ¥4,809.85", "FFC7CE"},
	} {
		f := openBook(t, writeBook(t, tc.r))
		got, _ := f.GetCellValue(sheetSummary, "A2")
		if got != tc.want {
			t.Errorf("%s: headline\n got %s\nwant %s", tc.name, got, tc.want)
		}
		if st := styleOf(t, f, sheetSummary, "A2"); len(st.Fill.Color) == 0 || st.Fill.Color[0] != tc.fill {
			t.Errorf("%s: headline fill %v, want %s", tc.name, st.Fill.Color, tc.fill)
		}
	}
}

// The money sheet's page breaks keep each bill block on one printed page:
// every manual break is just before a block's title or a section's.
func TestMoneySheetPageBreaks(t *testing.T) {
	r := moneyResult()
	for i := 0; i < 6; i++ { // more blocks than a page holds
		b := r.Bills[1]
		b.Section = 3 + i
		r.Bills = append(r.Bills, b)
	}
	p := writeBook(t, r)
	parts := zipParts(t, p)
	xml := string(parts[sheetParts(t, parts)[sheetMoney]])
	m := regexp.MustCompile(`<brk id="(\d+)"[^>]*man="(1|true)"`).FindAllStringSubmatch(xml, -1)
	if len(m) < 2 {
		t.Fatalf("%d page breaks on the money sheet, want one every few blocks", len(m))
	}
	f := openBook(t, p)
	for _, b := range m {
		id, _ := strconv.Atoi(b[1])
		next := id + 1 // a break with id n is below row n
		a, _ := f.GetCellValue(sheetMoney, "A"+strconv.Itoa(next))
		bv, _ := f.GetCellValue(sheetMoney, "B"+strconv.Itoa(next))
		if !strings.HasSuffix(bv, "段") && !strings.Contains(a, "、") {
			t.Errorf("a page break before row %d (%q, %q): not a block's start", next, a, bv)
		}
	}
}

// The summary keeps its history table and chart on one printed page with
// their title: a page break goes before the section when the page is too
// full.
func TestSummaryChartOnItsOwnPage(t *testing.T) {
	p := writeBook(t, moneyResult())
	parts := zipParts(t, p)
	xml := string(parts[sheetParts(t, parts)[sheetSummary]])
	f := openBook(t, p)
	at, _ := summaryRows(t, f)
	chart := 0
	for label, row := range at {
		if strings.HasSuffix(label, "近 14 晚的异常") {
			chart = row
		}
	}
	if chart == 0 {
		t.Fatal("no chart section")
	}
	if !regexp.MustCompile(`<brk id="` + strconv.Itoa(chart-1) + `"[^>]*man="(1|true)"`).MatchString(xml) {
		t.Errorf("no page break before the chart's section (row %d)", chart)
	}
}
