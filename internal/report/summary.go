package report

import (
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

// summaryWidths are the widths of the summary's columns A to G. The
// exception table uses them all (code, label, count, new, amount, what the
// amount is, advice); the other sections fewer, with merged cells.
var summaryWidths = []float64{24, 20, 9, 9, 15, 34, 58}

// summaryLast is the summary's last column.
const summaryLast = "G"

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
// "CSV · GB18030 · wechat-all（微信支付账单·全部交易）".
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
		parts = append(parts, variantLabel(in.Variant))
	}
	return strings.Join(parts, " · ")
}

// codeStat is one line of the exception table.
type codeStat struct {
	code    reconcile.Code
	count   int
	new     int // first seen by this run
	amounts int // exceptions whose amount at stake is known (not 0)
	sum     fenTotal
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
			if r.Exceptions[i].Amount != 0 {
				s.amounts++
			}
			if r.Exceptions[i].Tracking.State == reconcile.StateNew {
				s.new++
			}
		}
	}
	return append(stats, unknown...)
}

func (b *book) writeSummary() error {
	r, st := b.r, b.st
	w := &sheetWriter{f: b.f, sheet: sheetSummary, last: summaryLast, pageCap: pageCapacity(summaryWidths), widths: summaryWidths}
	s := &summary{book: b, w: w}
	for i, width := range summaryWidths {
		col := colName(i)
		if err := b.f.SetColWidth(sheetSummary, col, col, width); err != nil {
			return err
		}
	}
	all := s.width(0, len(summaryWidths))

	w.cell("A", 1, "对账异常报告（"+windowTitle(r.Window)+"）", st.title)
	w.merge("A", summaryLast, 1)
	w.height(1, 30)
	headline, style := b.headline()
	w.cell("A", 2, headline, style)
	w.merge("A", summaryLast, 2)
	w.height(2, max(26, wrappedHeight(headline, all)+6))
	row := 3
	if r.DryRun {
		w.cell("A", row, dryRunBanner, st.dryRun)
		w.merge("A", summaryLast, row)
		w.height(row, 22)
		row++
	}
	if banner := b.failureBanner(); banner != "" {
		w.cell("A", row, banner, st.failed)
		w.merge("A", summaryLast, row)
		w.height(row, max(24, wrappedHeight(banner, all)+6))
		row++
	}
	row = s.run(row + 1)
	n := 0
	next := func() string {
		n++
		return []string{"一", "二", "三", "四", "五", "六", "七", "八", "九", "十"}[n-1] + "、"
	}
	row = s.codes(row+1, next())
	row = s.tracking(row+1, next())
	row = s.orders(row+1, next())
	row = s.callbacks(row+1, next())
	row = s.calls(row+1, next())
	if r.Window.Days() > 1 {
		row = s.days(row+1, next())
	}
	row = s.inputs(row+1, next())
	row = s.history(row+1, next())
	if w.err != nil {
		return w.err
	}
	if err := b.f.SetSheetDimension(sheetSummary, "A1:"+summaryLast+strconv.Itoa(max(w.maxRow, 1))); err != nil {
		return err
	}
	return b.printSetup(sheetSummary, printScale(summaryWidths) >= minPrintScale, "")
}

// summary writes the summary sheet.
type summary struct {
	*book
	w *sheetWriter

	firstStat, lastStat int // the rows of the exception table's codes
}

// width returns the width of the summary's columns from to to-1 (0-based).
func (s *summary) width(from, to int) float64 {
	w := 0.0
	for _, v := range summaryWidths[from:to] {
		w += v
	}
	return w
}

// failureBanner is the red line of a run that did not complete: what
// happened and what to do, in Chinese (Result.Failure); "" for a run that
// completed.
func (b *book) failureBanner() string {
	r := b.r
	if r.Status == reconcile.StatusCompleted || r.Status == "" {
		return ""
	}
	reason, advice := r.Failure.Reason, r.Failure.Advice
	if reason == "" {
		reason = r.Reason
	}
	text := "运行" + statusLabel(r.Status)
	if reason != "" {
		text += "：" + freeText(reason, b.now)
	}
	if advice != "" {
		text += "\n怎么办：" + freeText(advice, b.now)
	}
	return text
}

// run writes the run's key facts from row and returns the row after.
func (s *summary) run(row int) int {
	r, st, w := s.r, s.st, s.w
	valueWidth := s.width(1, len(summaryWidths))
	kv := func(key string, value excelize.Cell) {
		w.cell("A", row, key, st.key)
		w.put("B", row, value)
		w.merge("B", summaryLast, row)
		if t, ok := value.Value.(string); ok {
			if h := wrappedHeight(t, valueWidth); h > lineHeight+rowPadding {
				w.height(row, h)
			}
		}
		row++
	}
	kv("对账区间", excelize.Cell{StyleID: st.value, Value: windowText(r.Window)})
	runID := strconv.FormatInt(r.RunID, 10)
	if r.DryRun && r.RunID == 0 {
		runID = "无（试运行）"
	}
	kv("运行编号", excelize.Cell{StyleID: st.value, Value: runID})
	start, end := s.date(r.StartedAt), s.date(r.EndedAt)
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
	w.cell("A", row, "运行结果", st.key)
	w.cell("B", row, statusLabel(r.Status), status)
	row++
	reason := r.Failure.Reason
	if reason == "" {
		reason = r.Reason
	}
	if reason = freeText(reason, s.now); reason == "" {
		reason = "（无）"
	}
	kv("原因", excelize.Cell{StyleID: st.valueWrap, Value: reason})
	if a := freeText(r.Failure.Advice, s.now); a != "" {
		kv("怎么办", excelize.Cell{StyleID: st.valueWrap, Value: a})
	}
	if r.Failure.Reason != "" && r.Reason != "" && r.Reason != r.Failure.Reason {
		kv("技术信息", excelize.Cell{StyleID: st.valueWrap, Value: freeText(r.Reason, s.now)})
	}
	if r.BillMismatchAllowed {
		kv("账单不符时", excelize.Cell{StyleID: st.valueWrap, Value: "照常申报（运行时加了 --allow-bill-mismatch）"})
	}
	if s.ordersCSV != "" {
		kv("订单明细", excelize.Cell{StyleID: st.valueWrap, Value: "共 " + countText(orderCount(r)) + " 笔，超过 " +
			countText(maxOrderRows) + " 行，另存为同目录的 CSV 文件：" + s.ordersCSV})
	}
	return row
}

// codes writes the table of the exceptions per code: each code a link to
// its first row in 异常明细, its count, how many are new, the sum of its
// amounts at stake, what that amount is, and what to do. The total adds up
// the counts, never the amounts: they mean different things per code.
func (s *summary) codes(row int, number string) int {
	r, st, w := s.r, s.st, s.w
	row = w.section(row, number+"异常汇总（点击异常代码查看“异常明细”）", st,
		"异常代码", "异常类型", "数量", "其中新增", "涉及金额（元）", "金额含义", "处理建议")
	s.firstStat = row
	count, fresh := 0, 0
	for _, c := range codeStats(r) {
		textStyle, countStyle, moneyStyle, wrapStyle := st.text, st.count, st.money, st.wrap
		if c.count == 0 { // grey, so that the codes with exceptions stand out
			textStyle, countStyle, moneyStyle, wrapStyle = st.zeroText, st.zeroCount, st.zeroMoney, st.zeroWrap
		}
		code := cleanText(string(c.code))
		if at, ok := s.codeRow[c.code]; ok && c.count > 0 {
			w.cell("A", row, code, st.link)
			w.link("A", row, "'"+sheetExceptions+"'!"+colName(exCode)+strconv.Itoa(at), "查看 "+code+" 的第一行")
		} else {
			w.cell("A", row, code, textStyle)
		}
		w.cell("B", row, cleanText(c.code.Label()), textStyle)
		w.put("C", row, excelize.Cell{StyleID: countStyle, Value: c.count})
		if r.Tracked.Known {
			w.put("D", row, excelize.Cell{StyleID: countStyle, Value: c.new})
		} else {
			w.cell("D", row, "—", st.neutral)
		}
		meaning, hasAmount := amountMeaning(c.code)
		if hasAmount && (c.count == 0 || c.amounts > 0) {
			w.put("E", row, s.sumCell(&c.sum, moneyStyle))
		} else {
			w.cell("E", row, "—", st.neutral)
		}
		meaningStyle := st.meaning
		if c.count == 0 {
			meaningStyle = st.zeroMeaning
		}
		w.cell("F", row, meaning, meaningStyle)
		advice := c.code.Advice()
		if s.stopped() != "" && !r.DryRun && (c.code == reconcile.DeclareError && r.Counts.NotDeclared > 0 ||
			c.code == reconcile.CallbackError && r.Counts.NotSent > 0) {
			advice = s.stopped() // not (only) the platform's hiccup: the run stopped, for the banner's reason
		}
		w.cell("G", row, advice, wrapStyle)
		lines := max(textLines(meaning, summaryWidths[5]), textLines(advice, summaryWidths[6]))
		if lines > 1 {
			w.height(row, float64(min(lines, maxLines))*lineHeight+rowPadding)
		}
		count += c.count
		fresh += c.new
		row++
	}
	s.lastStat = row - 1
	w.cell("A", row, "合计", st.total)
	w.cell("B", row, "", st.total)
	w.put("C", row, excelize.Cell{StyleID: st.totalCount, Value: count})
	if r.Tracked.Known {
		w.put("D", row, excelize.Cell{StyleID: st.totalCount, Value: fresh})
	} else {
		w.cell("D", row, "", st.total)
	}
	w.cell("E", row, "", st.total)
	w.cell("F", row, "各代码的金额含义不同，不相加", st.total)
	w.cell("G", row, "", st.total)
	row++
	for _, note := range s.notes() {
		w.cell("A", row, note, st.note)
		w.merge("A", summaryLast, row)
		w.height(row, wrappedHeight(note, s.width(0, len(summaryWidths))))
		row++
	}
	return row
}

// line is a line of a counting section: a label (indented by its level),
// a count, and a remark.
type line struct {
	label  string
	level  int
	n      int
	remark string
	bad    bool // the remark says something does not add up
}

// counts writes a counting section: its title, a header, and its lines,
// kept on one printed page.
func (s *summary) counts(row int, title string, lines []line) int {
	st, w := s.st, s.w
	block := row
	row = w.section(row, title, st)
	w.cell("A", row, "项目", st.header)
	w.cell("B", row, nil, st.header)
	w.merge("A", "B", row)
	w.cell("C", row, "笔数", st.header)
	w.cell("D", row, "说明", st.header)
	for _, col := range []string{"E", "F", "G"} {
		w.cell(col, row, nil, st.header)
	}
	w.merge("D", summaryLast, row)
	w.height(row, 22)
	row++
	remarkWidth := s.width(3, len(summaryWidths))
	for _, l := range lines {
		w.cell("A", row, l.label, st.indent[min(l.level, len(st.indent)-1)])
		w.merge("A", "B", row)
		w.put("C", row, s.count(l.n))
		style := st.remark
		if l.bad {
			style = st.diffText
		}
		w.cell("D", row, l.remark, style)
		w.merge("D", summaryLast, row)
		if h := wrappedHeight(l.remark, remarkWidth); h > lineHeight+rowPadding {
			w.height(row, h)
		}
		row++
	}
	w.flow(block, row, true, 0)
	return row
}

// adds is the remark of a line that is the sum of the lines below it:
// "✔ = 25 + 59 + 2,760", or by how much it is not.
func adds(total int, parts ...int) (string, bool) {
	sum := 0
	terms := make([]string, len(parts))
	for i, p := range parts {
		sum += p
		terms[i] = countText(p)
	}
	if sum == total {
		return "✔ = " + strings.Join(terms, " + "), false
	}
	return "✘ " + strings.Join(terms, " + ") + " = " + countText(sum) + "，相差 " + countText(total-sum), true
}

// orders writes the bridge of the orders: read, where they are, what the
// checks and the declarations made of them. Each number is the sum of the
// lines below it (Result.CheckAccounting holds it).
func (s *summary) orders(row int, number string) int {
	r := s.r
	c := &r.Counts
	readOK, readBad := adds(c.OrdersRead, c.OrdersOutside, c.OrdersUnpaid, c.OrdersInWindow)
	inOK, inBad := adds(c.OrdersInWindow, c.CheckExceptions, c.Eligible)
	elOK, elBad := adds(c.Eligible, c.Declared, c.AlreadyDeclared, c.DeclareFailed, c.NotDeclared, c.HeldBack)
	notTried, notTriedWhy := "未尝试（运行提前结束）", "见“异常明细”的 DECLARE_ERROR，下次运行会申报"
	if r.DryRun {
		notTried, notTriedWhy = "未申报（试运行）", "试运行不调用平台"
	}
	return s.counts(row, number+"订单核对（笔）", []line{
		{"读取的订单", 0, c.OrdersRead, readOK, readBad},
		{"付款时间不在本区间", 1, c.OrdersOutside, "留给其付款日期的运行", false},
		{"未付款或已关闭（不申报）", 1, c.OrdersUnpaid, "见“订单明细”", false},
		{"其中已关闭", 2, c.OrdersClosed, "", false},
		{"本区间内已付款", 1, c.OrdersInWindow, inOK, inBad},
		{"未通过检查（每单一个异常）", 2, c.CheckExceptions, "见“异常明细”，含清关材料无效", false},
		{"通过全部检查", 2, c.Eligible, elOK, elBad},
		{"本次申报成功", 3, c.Declared, "", false},
		{"此前已申报（本次跳过）", 3, c.AlreadyDeclared, "见“申报记录”的“此前已申报”", false},
		{"申报失败", 3, c.DeclareFailed, "见“异常明细”的 DECLARE_REJECTED、DECLARE_CONFLICT、DECLARE_ERROR", false},
		{notTried, 3, c.NotDeclared, notTriedWhy, false},
		{"暂缓：账单汇总不符（未申报）", 3, c.HeldBack, "账单核对通过后重跑即申报", false},
	})
}

// callbacks writes the bridge of the clearance callbacks.
func (s *summary) callbacks(row int, number string) int {
	c := &s.r.Counts
	pendOK, pendBad := adds(c.Pending, c.CallbacksSent, c.AlreadySent, c.CallbacksFailed, c.NotSent)
	other := c.ClearanceRead - c.Pending
	readOK, readBad := adds(c.ClearanceRead, c.Pending, other)
	lines := []line{
		{"读取的清关记录", 0, c.ClearanceRead, readOK, readBad},
		{"本区间内待回传", 1, c.Pending, pendOK, pendBad},
		{"本次回传成功", 2, c.CallbacksSent, "", false},
		{"此前已回传（本次跳过）", 2, c.AlreadySent, "见“回传记录”的“此前已回传”", false},
		{"回传失败", 2, c.CallbacksFailed, "见“异常明细”的 CALLBACK_REJECTED、CALLBACK_ERROR", false},
		{"未尝试（运行提前结束）", 2, c.NotSent, "下次运行会回传", false},
	}
	if s.r.DryRun {
		lines[len(lines)-1] = line{"未回传（试运行）", 2, c.NotSent, "试运行不调用平台", false}
	}
	lines = append(lines, line{"区间外或数据无效", 1, other, "无效的见“异常明细”的 CALLBACK_INVALID", false})
	return s.counts(row, number+"清关回传核对（笔）", lines)
}

// calls writes the payments read and the calls made.
func (s *summary) calls(row int, number string) int {
	c := &s.r.Counts
	return s.counts(row, number+"支付记录与接口调用", []line{
		{"读取的支付记录", 0, c.PaymentsRead, "本区间的金额见“资金核对”", false},
		{"无法读取的数据行", 0, c.RowsInvalid, "每行一个 INPUT_INVALID", false},
		{"平台接口调用次数", 0, c.Calls, "", false},
		{"其中重试", 1, c.Retries, "", false},
	})
}

// days writes, for a window of several days, each day's orders,
// exceptions (by the day of what they are about), declarations and money.
func (s *summary) days(row int, number string) int {
	r, st, w := s.r, s.st, s.w
	block := row
	row = w.section(row, number+"每日概况", st, "日期", "订单（笔）", "异常（笔）", "已申报\n（笔）", "订单金额（元）", "已申报金额（元）")
	w.cell("G", row-1, "说明", st.header)
	perDay := map[string]int{}
	for i := range r.Exceptions {
		perDay[r.Exceptions[i].Day()]++
	}
	var orders, declared reconcile.Amount
	exceptions := 0
	for i := range r.Money.Days {
		d := &r.Money.Days[i]
		day := excelize.Cell{StyleID: st.text, Value: d.Date.String()}
		if v, ok := serial(d.Date.Start()); ok {
			day = excelize.Cell{StyleID: st.day, Value: v}
		}
		n := perDay[d.Date.String()]
		delete(perDay, d.Date.String())
		w.put("A", row, day)
		w.put("B", row, s.count(d.Orders.Count))
		w.put("C", row, s.count(n))
		w.put("D", row, s.count(d.Declared.Count))
		w.put("E", row, s.money(d.Orders.Fen))
		w.put("F", row, s.money(d.Declared.Fen))
		orders.Count, declared.Count, exceptions = orders.Count+d.Orders.Count, declared.Count+d.Declared.Count, exceptions+n
		row++
	}
	other := 0
	for _, n := range perDay {
		other += n
	}
	if other > 0 {
		w.cell("A", row, "无日期或不在区间内", st.text)
		w.put("C", row, s.count(other))
		w.cell("G", row, "如无法读取的行、账单", st.remark)
		exceptions += other
		row++
	}
	w.cell("A", row, "合计", st.total)
	w.put("B", row, excelize.Cell{StyleID: st.totalCount, Value: r.Money.Orders.Count})
	w.put("C", row, excelize.Cell{StyleID: st.totalCount, Value: exceptions})
	w.put("D", row, excelize.Cell{StyleID: st.totalCount, Value: r.Money.Declared.Count})
	w.put("E", row, s.sumCell(&fenTotal{n: r.Money.Orders.Fen}, st.totalMoney))
	w.put("F", row, s.sumCell(&fenTotal{n: r.Money.Declared.Fen}, st.totalMoney))
	w.cell("G", row, "", st.total)
	row++
	w.cell("A", row, "注：异常按其发生日（订单付款、支付或清关的时间）计入当天；支付、退款、手续费与预计净结算见“"+sheetMoney+"”。", st.note)
	w.merge("A", summaryLast, row)
	row++
	w.flow(block, row, true, 0)
	return row
}

// inputs writes the files read.
func (s *summary) inputs(row int, number string) int {
	r, st, w := s.r, s.st, s.w
	block := row
	row = w.section(row, number+"输入文件", st)
	for _, h := range []struct{ from, to, title string }{
		{"A", "A", "类型"}, {"B", "C", "格式 · 编码 · 版式"}, {"D", "D", "记录数"}, {"E", "E", "错误行数"}, {"F", "G", "文件路径"},
	} {
		w.cell(h.from, row, h.title, st.header)
		if h.to != h.from {
			w.cell(h.to, row, nil, st.header)
			w.merge(h.from, h.to, row)
		}
	}
	w.height(row, 22)
	row++
	if len(r.Inputs) == 0 {
		w.cell("A", row, "（无）", st.text)
		row++
	}
	formatWidth, pathWidth := s.width(1, 3), s.width(5, len(summaryWidths))
	for _, in := range r.Inputs {
		w.cell("A", row, cleanText(kindLabel(in.Kind)), st.text)
		format := cleanText(formatLabel(in))
		w.cell("B", row, format, st.wrap)
		w.merge("B", "C", row)
		w.put("D", row, s.count(in.Records))
		w.put("E", row, s.count(in.Errors))
		path := cleanText(in.Path)
		w.put("F", row, excelize.Cell{StyleID: st.meaning, Value: path})
		w.merge("F", summaryLast, row)
		if l := max(textLines(path, pathWidth), textLines(format, formatWidth)); l > 1 {
			w.height(row, float64(min(l, maxLines))*lineHeight+rowPadding)
		}
		row++
	}
	w.flow(block, row, true, 0)
	return row
}

// tracking writes where the exceptions stand across runs: new, still
// open, resolved, and how long the open ones have been open.
func (s *summary) tracking(row int, number string) int {
	r, st, w := s.r, s.st, s.w
	t := &r.Tracked
	title := number + "异常跟踪（与此前的运行相比）"
	if !t.Known {
		row = w.section(row, title, st)
		text := "没有此前运行的记录：无法区分新增与未解决。"
		if r.DryRun {
			text = "试运行不读取日志：无法区分新增与未解决，也无法得知哪些异常已解决（正式运行会显示）。"
		}
		w.cell("A", row, text, st.note)
		w.merge("A", summaryLast, row)
		return row + 1
	}
	lines := []line{
		{"本次报告的异常", 0, t.New + t.Open, "", false},
		{"新增（本次首次发现）", 1, t.New, "“异常明细”的状态为“新增”", false},
		{"未解决（此前已报告，仍然存在）", 1, t.Open, "“异常明细”的状态为“未解决”，备注已从上次的工作簿带过来", false},
		{"已解决（此前报告，本次不再出现）", 0, t.Resolved, "见“已解决”表", false},
		{"按已存在的天数", 0, t.New + t.Open, "", false},
	}
	words := map[string]string{"0-1": "不到 1 天（含新增）", "1-7": "1 至 7 天", "7-30": "7 至 30 天", "30+": "30 天及以上"}
	for i, b := range reconcile.AgingBuckets {
		remark := ""
		if i == len(reconcile.AgingBuckets)-1 && t.Aging[i] > 0 {
			remark = "请优先处理"
		}
		lines = append(lines, line{words[b], 1, t.Aging[i], remark, false})
	}
	row = s.counts(row, title, lines)
	if t.Resolved > 0 {
		at := row - len(lines) + 3
		w.link("A", at, "'"+sheetResolved+"'!A"+strconv.Itoa(firstRow), "查看已解决的异常")
	}
	return row
}

// history writes the exceptions of the last nights (Result.History) and a
// chart of the new and resolved ones per night.
func (s *summary) history(row int, number string) int {
	r, st, w := s.r, s.st, s.w
	title := number + "近 " + strconv.Itoa(reconcile.HistoryNights) + " 晚的异常"
	if len(r.History) == 0 {
		row = w.section(row, title, st)
		text := "没有历史记录。"
		if r.DryRun {
			text = "试运行不读取日志：没有历史记录。"
		}
		w.cell("A", row, text, st.note)
		w.merge("A", summaryLast, row)
		return row + 1
	}
	block := row
	chartH := chartHeight()*0.75 + 6
	w.flow(block, block+3+len(r.History), true, chartH)
	row = w.section(row, title, st, "日期", "运行次数", "新增", "已解决", "当晚报告的异常")
	header := row - 1
	first := row
	for _, n := range r.History {
		day := excelize.Cell{StyleID: st.text, Value: n.Date.String()}
		if v, ok := serial(n.Date.Start()); ok {
			day = excelize.Cell{StyleID: st.day, Value: v}
		}
		w.put("A", row, day)
		w.put("B", row, s.count(n.Runs))
		w.put("C", row, s.count(n.New))
		w.put("D", row, s.count(n.Resolved))
		w.put("E", row, s.count(n.Reported))
		row++
	}
	if w.err == nil {
		w.err = s.addHistoryChart(row+1, header, first, row-1)
	}
	return row + 1 + int(chartHeight()/20) + 1
}

// retried reports whether the next run retries an exception of code c by
// itself: the platform could not be reached.
func retried(c reconcile.Code) bool {
	return c == reconcile.DeclareError || c == reconcile.CallbackError
}

// headline is the summary's one line of the night in money, and its style:
//
//	[账单汇总不符：本次未申报（N 笔待申报）；]需处理 N 笔[（新增 K）][，涉及订单金额 ¥X][、无对应订单的支付 ¥Y][（另有 K 笔将自动重试）]；已申报 M 笔 ¥Y[（此前已申报 K 笔）]；手续费 ¥Z[（另 HKD 8.90）]
//
// 需处理 counts the exceptions that need someone, every one but those the
// next run retries by itself (DECLARE_ERROR, CALLBACK_ERROR, counted
// apart), and how many of them are new when the run knows its history.
// Their amounts at stake are added up only where they mean the same: the
// orders' totals (涉及订单金额), and apart the payments that have no order
// (PAYMENT_ORPHAN); the codes whose exceptions carry no amount add none.
// 已申报 is the declarations this run had accepted (Money.Declared), with
// those of the window earlier runs had (a rerun's), or in a dry run the
// orders that could be; 手续费 the window's CNY fees with the
// precision they carry, then each Global settlement currency's. When a
// bill does not tie out (BILL_MISMATCH) the line says so first, and that
// nothing was declared, unless the run declared anyway. Red when a bill
// does not tie out or the run failed, amber when something needs handling,
// green otherwise.
func (b *book) headline() (string, int) {
	r, st := b.r, b.st
	var orders, orphans fenTotal
	n, fresh, retry, orphanCount := 0, 0, 0, 0
	for i := range r.Exceptions {
		e := &r.Exceptions[i]
		if retried(e.Code) {
			retry++
			continue
		}
		n++
		if e.Tracking.State == reconcile.StateNew {
			fresh++
		}
		switch {
		case e.Code == reconcile.PaymentOrphan:
			orphans.add(e.Amount)
			orphanCount++
		case orderAmount(e.Code):
			orders.add(e.Amount)
		}
	}
	var parts []string
	mismatch := r.ByCode[reconcile.BillMismatch] > 0
	if mismatch {
		parts = append(parts, "账单汇总不符："+b.heldBackText())
	}
	todo := "需处理 " + countText(n) + " 笔"
	if r.Tracked.Known {
		todo += "（新增 " + countText(fresh) + "）"
	}
	var money []string
	if orders.over != nil || orders.n != 0 {
		money = append(money, "涉及订单金额 "+yuanText(&orders))
	}
	if orphanCount > 0 {
		money = append(money, "无对应订单的支付 "+yuanText(&orphans))
	}
	if len(money) > 0 {
		todo += "，" + strings.Join(money, "、")
	}
	switch {
	case retry == 0:
	case b.stopped() != "" && !r.DryRun && (r.Counts.NotDeclared > 0 || r.Counts.NotSent > 0):
		todo += "（另有 " + countText(retry) + " 笔按下方提示处理后重跑）"
	default:
		todo += "（另有 " + countText(retry) + " 笔将自动重试）"
	}
	parts = append(parts, todo)
	declared := r.Money.Declared
	switch {
	case r.DryRun && !mismatch:
		parts = append(parts, "试运行：未申报（"+countText(r.Counts.Eligible)+" 笔可申报）")
	case r.DryRun:
	case !mismatch || declared.Count > 0:
		text := "已申报 " + countText(declared.Count) + " 笔 " + yuanText(&fenTotal{n: declared.Fen})
		if c := r.Counts.AlreadyDeclared; c > 0 {
			// A rerun declares nothing again: "已申报 0 笔" alone would
			// read as if the night's declarations were lost.
			text += "（此前已申报 " + countText(c) + " 笔）"
		}
		parts = append(parts, text)
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
	for _, sheet := range []string{sheetExceptions, sheetResolved, sheetDeclarations, sheetCallbacks, sheetOrders} {
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
