package report

import (
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/crossborder/reconcile/internal/cst"
	"github.com/crossborder/reconcile/internal/reconcile"
)

// dryRunBanner marks a dry run's workbook.
const dryRunBanner = "试运行：未调用平台、未写入日志"

// summaryWidths are the widths of the summary's columns A to E.
var summaryWidths = []float64{32, 36, 10, 16, 80}

// statusLabel names how a run ended, in Chinese.
func statusLabel(s reconcile.Status) string {
	switch s {
	case reconcile.StatusCompleted:
		return "已完成"
	case reconcile.StatusInterrupted:
		return "已中断"
	case reconcile.StatusFailed:
		return "失败"
	}
	return string(s)
}

// windowText shows a window: "2026-11-20", or "2026-11-20 至 2026-11-22（共 3 天）".
func windowText(w cst.Window) string {
	if w.From == w.To {
		return w.From.String()
	}
	return w.From.String() + " 至 " + w.To.String() + "（共 " + strconv.Itoa(w.Days()) + " 天）"
}

// windowTitle shows a window in a title: "2026-11-20", or "2026-11-20 至 2026-11-22".
func windowTitle(w cst.Window) string {
	if w.From == w.To {
		return w.From.String()
	}
	return w.From.String() + " 至 " + w.To.String()
}

// kindLabel names an input kind in Chinese.
func kindLabel(kind string) string {
	switch kind {
	case "orders":
		return "订单"
	case "payments":
		return "支付"
	case "clearance":
		return "清关结果"
	}
	return kind
}

// formatLabel shows an input's format, encoding and variant:
// "CSV · GB18030 · wechat-all".
func formatLabel(in reconcile.Input) string {
	parts := []string{strings.ToUpper(in.Format)}
	switch in.Encoding {
	case "":
	case "utf-8-bom":
		parts = append(parts, "UTF-8（带 BOM）")
	default:
		parts = append(parts, strings.ToUpper(in.Encoding))
	}
	if in.Variant != "" {
		parts = append(parts, in.Variant)
	}
	return strings.Join(parts, " · ")
}

// codeStat is one line of the exception table.
type codeStat struct {
	code  reconcile.Code
	count int
	sum   fenTotal
}

// codeStats returns a line per code: every code of reconcile.Codes, zeros
// included, then any unknown code of the result, by its text. The counts are
// the result's (Result.ByCode, which the exception sheet lists row for row);
// the sums add up the exceptions' amounts.
func codeStats(r *reconcile.Result) []*codeStat {
	var stats []*codeStat
	by := map[reconcile.Code]*codeStat{}
	for _, c := range reconcile.Codes() {
		s := &codeStat{code: c, count: r.ByCode[c]}
		by[c] = s
		stats = append(stats, s)
	}
	var unknown []*codeStat
	for c, n := range r.ByCode {
		if _, ok := by[c]; !ok {
			s := &codeStat{code: c, count: n}
			by[c] = s
			unknown = append(unknown, s)
		}
	}
	slices.SortFunc(unknown, func(a, b *codeStat) int { return strings.Compare(string(a.code), string(b.code)) })
	for i := range r.Exceptions {
		if s := by[r.Exceptions[i].Code]; s != nil {
			s.sum.add(r.Exceptions[i].Amount)
		}
	}
	return append(stats, unknown...)
}

func (b *book) writeSummary() error {
	r, st := b.r, b.st
	w := &sheetWriter{f: b.f, sheet: sheetSummary, pageCap: pageCapacity(summaryWidths)}
	for i, width := range summaryWidths {
		col, _ := excelize.ColumnNumberToName(i + 1)
		if err := b.f.SetColWidth(sheetSummary, col, col, width); err != nil {
			return err
		}
	}
	valueWidth := summaryWidths[1] + summaryWidths[2] + summaryWidths[3] + summaryWidths[4]

	title := "对账异常报告（" + windowTitle(r.Window) + "）"
	w.cell("A", 1, title, st.title)
	w.merge("A", "E", 1)
	w.height(1, 30)
	headline, style := b.headline()
	w.cell("A", 2, headline, style)
	w.merge("A", "E", 2)
	w.height(2, max(26, wrappedHeight(headline, valueWidth+summaryWidths[0])+6))
	row := 3
	if r.DryRun {
		w.cell("A", row, dryRunBanner, st.dryRun)
		w.merge("A", "E", row)
		w.height(row, 22)
		row++
	}
	row++
	kv := func(key string, value excelize.Cell) {
		w.cell("A", row, key, st.key)
		w.put("B", row, value)
		row++
	}
	kv("对账区间", excelize.Cell{StyleID: st.value, Value: windowText(r.Window)})
	runID := strconv.FormatInt(r.RunID, 10)
	if r.DryRun && r.RunID == 0 {
		runID = "无（试运行）"
	}
	kv("运行编号", excelize.Cell{StyleID: st.value, Value: runID})
	start, end := b.date(r.StartedAt), b.date(r.EndedAt)
	start.StyleID, end.StyleID = st.valueDate, st.valueDate
	kv("开始时间", start)
	kv("结束时间", end)
	dur := excelize.Cell{StyleID: st.duration}
	if !r.StartedAt.IsZero() && !r.EndedAt.IsZero() && !r.EndedAt.Before(r.StartedAt) {
		dur.Value = float64(int64(r.EndedAt.Sub(r.StartedAt).Seconds())) / 86400
	}
	kv("用时", dur)
	status := st.statusBad
	switch r.Status {
	case reconcile.StatusCompleted:
		status = st.statusOK
	case reconcile.StatusInterrupted:
		status = st.statusWarn
	}
	kv("运行结果", excelize.Cell{StyleID: status, Value: statusLabel(r.Status)})
	reason := freeText(r.Reason, b.now)
	w.cell("A", row, "原因", st.key)
	if reason == "" {
		reason = "（无）"
	}
	w.cell("B", row, reason, st.valueWrap)
	w.merge("B", "E", row)
	w.height(row, wrappedHeight(reason, valueWidth))
	row += 2

	// The exceptions per code.
	row = w.section(row, "一、异常汇总（明细见“异常明细”表）", st, "异常代码", "异常类型", "数量", "涉及金额（元）", "处理建议")
	stats := codeStats(r)
	firstStat := row
	var total fenTotal
	count := 0
	for _, s := range stats {
		textStyle, countStyle, moneyStyle, wrapStyle := st.text, st.count, st.money, st.wrap
		if s.count == 0 { // grey, so that the codes with exceptions stand out
			textStyle, countStyle, moneyStyle, wrapStyle = st.zeroText, st.zeroCount, st.zeroMoney, st.zeroWrap
		}
		w.cell("A", row, cleanText(string(s.code)), textStyle)
		w.cell("B", row, cleanText(s.code.Label()), textStyle)
		w.put("C", row, excelize.Cell{StyleID: countStyle, Value: s.count})
		w.put("D", row, b.sumCell(&s.sum, moneyStyle))
		w.cell("E", row, s.code.Advice(), wrapStyle)
		if l := textLines(s.code.Advice(), summaryWidths[4]); l > 1 {
			w.height(row, float64(min(l, maxLines))*lineHeight+2)
		}
		count += s.count
		addTotal(&total, &s.sum)
		row++
	}
	lastStat := row - 1
	w.cell("A", row, "合计", st.total)
	w.cell("B", row, "", st.total)
	w.put("C", row, excelize.Cell{StyleID: st.totalCount, Value: count})
	w.put("D", row, b.sumCell(&total, st.totalMoney))
	w.cell("E", row, "", st.total)
	row++
	for _, note := range b.notes() {
		w.cell("A", row, note, st.note)
		w.merge("A", "E", row)
		w.height(row, wrappedHeight(note, valueWidth+summaryWidths[0]))
		row++
	}
	row++

	// Declarations and callbacks. Each section is kept on one printed page.
	c := r.Counts
	block := row
	row = w.section(row, "二、申报与回传（笔）", st, "项目", "申报", "回传")
	for _, line := range []struct {
		label    string
		dec, cbk int // -1: does not apply
	}{
		{"本次成功", c.Declared, c.CallbacksSent},
		{"此前已完成（本次跳过）", c.AlreadyDeclared, c.AlreadySent},
		{"失败（见“异常明细”）", c.DeclareFailed, c.CallbacksFailed},
		{"未尝试（运行提前结束）", c.NotDeclared, c.NotSent},
		{"暂缓：账单汇总不符（未申报）", c.HeldBack, -1},
	} {
		w.cell("A", row, line.label, st.text)
		for _, v := range []struct {
			col string
			n   int
		}{{"B", line.dec}, {"C", line.cbk}} {
			if v.n >= 0 {
				w.put(v.col, row, b.count(v.n))
			} else {
				w.cell(v.col, row, "—", st.neutral)
			}
		}
		row++
	}
	w.flow(block, row, true, 0)
	row++

	// Orders, payments and calls.
	block = row
	row = w.section(row, "三、订单、支付与接口调用", st)
	for _, line := range []struct {
		label string
		n     int
	}{
		{"读取的订单", c.OrdersRead},
		{"区间内已付款的订单", c.OrdersInWindow},
		{"未付款或已关闭的订单（不申报）", c.OrdersUnpaid},
		{"通过全部检查的订单", c.Eligible},
		{"读取的支付记录", c.PaymentsRead},
		{"读取的清关记录", c.ClearanceRead},
		{"区间内待回传的清关记录", c.Pending},
		{"无法读取的数据行", c.RowsInvalid},
		{"平台接口调用次数", c.Calls},
		{"其中重试", c.Retries},
	} {
		w.cell("A", row, line.label, st.text)
		w.put("B", row, b.count(line.n))
		row++
	}
	w.flow(block, row, true, 0)
	row++

	// The inputs.
	block = row
	row = w.section(row, "四、输入文件", st, "类型", "格式 · 编码", "记录数", "错误行数", "文件路径")
	if len(r.Inputs) == 0 {
		w.cell("A", row, "（无）", st.text)
		row++
	}
	for _, in := range r.Inputs {
		w.cell("A", row, cleanText(kindLabel(in.Kind)), st.text)
		w.cell("B", row, cleanText(formatLabel(in)), st.text)
		w.put("C", row, b.count(in.Records))
		w.put("D", row, b.count(in.Errors))
		path := cleanText(in.Path)
		w.put("E", row, excelize.Cell{StyleID: st.wrap, Value: path})
		if l := textLines(path, summaryWidths[4]); l > 1 {
			w.height(row, float64(min(l, maxLines))*lineHeight+2)
		}
		row++
	}
	w.flow(block, row, true, 0)
	row++

	// The chart, on one page with its title.
	w.flow(row, row+1, true, chartHeight(lastStat-firstStat+1)*0.75+6)
	row = w.section(row, "五、各类异常数量", st)
	if w.err != nil {
		return w.err
	}
	if err := b.addChart(row, firstStat, lastStat); err != nil {
		return err
	}
	fit := true
	if err := b.f.SetSheetProps(sheetSummary, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return err
	}
	if err := b.printSetup(sheetSummary, true, ""); err != nil {
		return err
	}
	return nil
}

// retried reports whether the next run retries an exception of code c by
// itself: the platform could not be reached.
func retried(c reconcile.Code) bool {
	return c == reconcile.DeclareError || c == reconcile.CallbackError
}

// headline is the summary's one line of the night in money, and its style:
//
//	[账单汇总不符：本次未申报（N 笔待申报）；]需处理 N 笔 ¥X[（另有 K 笔将自动重试）]；已申报 M 笔 ¥Y；手续费 ¥Z[（另 HKD 8.90）]
//
// 需处理 counts the exceptions that need someone, every one but those the
// next run retries by itself (DECLARE_ERROR, CALLBACK_ERROR, counted
// apart), and sums their amounts at stake (the exception table's 涉及金额);
// 已申报 is the declarations this run had accepted (Money.Declared), or in a
// dry run the orders that could be; 手续费 the window's CNY fees with the
// precision they carry, then each Global settlement currency's. When a
// bill does not tie out (BILL_MISMATCH) the line says so first, and that
// nothing was declared, unless the run declared anyway. Red when a bill
// does not tie out or the run failed, amber when something needs handling,
// green otherwise.
func (b *book) headline() (string, int) {
	r, st := b.r, b.st
	var need fenTotal
	n, retry := 0, 0
	for i := range r.Exceptions {
		if retried(r.Exceptions[i].Code) {
			retry++
			continue
		}
		n++
		need.add(r.Exceptions[i].Amount)
	}
	var parts []string
	mismatch := r.ByCode[reconcile.BillMismatch] > 0
	if mismatch {
		parts = append(parts, "账单汇总不符："+b.heldBackText())
	}
	todo := "需处理 " + countText(n) + " 笔 " + yuanText(&need)
	if retry > 0 {
		todo += "（另有 " + countText(retry) + " 笔将自动重试）"
	}
	parts = append(parts, todo)
	declared := r.Money.Declared
	switch {
	case r.DryRun && !mismatch:
		parts = append(parts, "试运行：未申报（"+countText(r.Counts.Eligible)+" 笔可申报）")
	case r.DryRun:
	case !mismatch || declared.Count > 0:
		parts = append(parts, "已申报 "+countText(declared.Count)+" 笔 "+yuanText(&fenTotal{n: declared.Fen}))
	}
	fee := "手续费 " + feeText("¥", big.NewInt(r.Money.ServiceFee))
	var foreign []string
	for _, s := range r.Money.Settlements {
		foreign = append(foreign, cleanText(s.Currency)+" "+feeText("", big.NewInt(s.ServiceFee)))
	}
	if len(foreign) > 0 {
		fee += "（另 " + strings.Join(foreign, "，") + "）"
	}
	parts = append(parts, fee)
	style := st.headlineOK
	switch {
	case mismatch || r.Status == reconcile.StatusFailed:
		style = st.headlineBad
	case n > 0 || r.Status != reconcile.StatusCompleted:
		style = st.headlineWarn
	}
	return strings.Join(parts, "；"), style
}

// addTotal adds s to t exactly.
func addTotal(t *fenTotal, s *fenTotal) {
	if s.over == nil {
		t.add(s.n)
		return
	}
	if t.over == nil {
		t.over = big.NewInt(t.n)
	}
	t.over.Add(t.over, s.over)
}

// sumCell is a sum of amounts: a number when exact, else text.
func (b *book) sumCell(t *fenTotal, style int) excelize.Cell {
	if t.over == nil {
		c := b.money(t.n)
		if c.StyleID == b.st.money {
			c.StyleID = style
		}
		return c
	}
	b.textAmounts++
	return excelize.Cell{StyleID: b.st.moneyText, Value: t.decimal()}
}

// notes are the remarks under the exception table: what the workbook could
// not show as asked.
func (b *book) notes() []string {
	var notes []string
	for _, sheet := range []string{sheetExceptions, sheetDeclarations, sheetCallbacks} {
		if n := b.cut[sheet]; n > 0 {
			notes = append(notes, "注：“"+sheet+"”表超出 Excel 的行数上限，只列出前 "+
				strconv.Itoa(maxDataRows)+" 行，另有 "+strconv.Itoa(n)+" 行未列出。")
		}
	}
	if n := b.textAmounts; n > 0 {
		notes = append(notes, "注：有 "+strconv.Itoa(n)+
			" 个金额超出 Excel 能精确表示的范围（±10 万亿元），以文本显示原值，不参与求和。")
	}
	if n := b.textFees; n > 0 {
		notes = append(notes, "注：“"+sheetMoney+"”表有 "+strconv.Itoa(n)+
			" 个手续费或净额超出 Excel 能精确表示到 5 位小数的范围（±100 亿元），以文本显示原值，不参与求和。")
	}
	return notes
}

// addChart adds a bar chart of the exception counts (summary rows first to
// last) at the given row.
func (b *book) addChart(row, first, last int) error {
	ref := func(col string) string {
		return "'" + sheetSummary + "'!$" + col + "$" + strconv.Itoa(first) + ":$" + col + "$" + strconv.Itoa(last)
	}
	noVary := false
	return b.f.AddChart(sheetSummary, "A"+strconv.Itoa(row), &excelize.Chart{
		Type: excelize.Bar,
		Series: []excelize.ChartSeries{{
			Name:       "'" + sheetSummary + "'!$C$" + strconv.Itoa(first-1),
			Categories: ref("B"),
			Values:     ref("C"),
			Fill:       excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"2F5597"}},
		}},
		VaryColors: &noVary,
		Title:      excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: "各类异常数量（笔）"}}},
		Legend:     excelize.ChartLegend{Position: "none"},
		XAxis:      excelize.ChartAxis{ReverseOrder: true, Font: excelize.Font{Color: "262626", Size: 10}},
		YAxis:      excelize.ChartAxis{MajorGridLines: true, NumFmt: excelize.ChartNumFmt{CustomNumFmt: "0"}, Font: excelize.Font{Color: "595959", Size: 9}},
		PlotArea:   excelize.ChartPlotArea{ShowVal: true},
		Dimension:  excelize.ChartDimension{Width: chartWidth(), Height: uint(chartHeight(last - first + 1))},
		Format:     excelize.GraphicOptions{OffsetX: 4, OffsetY: 6},
	})
}

// chartHeight returns the height in pixels of the chart of n codes.
func chartHeight(n int) float64 { return float64(120 + 24*n) }

// chartWidth returns the width in pixels of the summary's columns A to E,
// so that the chart lines up with the tables above it.
func chartWidth() uint {
	px := 0.0
	for _, w := range summaryWidths {
		px += math.Trunc((w*7+5)/7*256)/256*7 + 5 // Excel's width-to-pixel rule for a 7-pixel digit
	}
	return uint(px) - 8
}
