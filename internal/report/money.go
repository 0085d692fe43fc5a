package report

import (
	"math/big"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/crossborder/reconcile/internal/ingest"
	"github.com/crossborder/reconcile/internal/reconcile"
)

// moneyWidths are the widths of the money sheet's columns A to K: the day
// table uses them all; the settlement table and the bill blocks A to E.
var moneyWidths = []float64{18, 15, 15, 15, 15, 15, 15, 15, 17, 15, 15}

// moneyLast is the money sheet's last column.
const moneyLast = "K"

// billStatus is how a bill section fares: it ties out, or what is wrong.
type billStatus int

const (
	billTiesOut     billStatus = iota
	billDiffers                // its summary disagrees with its rows
	billNoSummary              // it has none: a truncated download
	billUnreadable             // its summary could not be read
	billNotRequired            // a Global statement without one: its layout is not documented, none is required
)

// statusOf judges a bill section as reconcile does (BILL_MISMATCH for all
// but billTiesOut and billNotRequired).
func statusOf(b *reconcile.Bill) billStatus {
	switch {
	case b.TiesOut:
		return billTiesOut
	case b.SummaryErr != "":
		return billUnreadable
	case b.Summary == nil && b.Variant == "wechat-global":
		return billNotRequired
	case b.Summary == nil:
		return billNoSummary
	}
	return billDiffers
}

// moneySheet writes the money sheet.
type moneySheet struct {
	*book
	w *sheetWriter
}

// amount is an amount v in u: a number cell in u's format when exact (see
// exactNumber), its exact decimal as right-aligned text beyond, followed by
// the currency code for a foreign one.
func (m *moneySheet) amount(v *big.Int, u unit, variant amountVariant) excelize.Cell {
	if v.IsInt64() {
		if x, ok := exactNumber(v.Int64(), u.places); ok {
			id, err := m.st.amountStyle(u, variant)
			if err != nil && m.w.err == nil {
				m.w.err = err
			}
			return excelize.Cell{StyleID: id, Value: x}
		}
	}
	if u.places == feePlaces {
		m.textFees++
	} else {
		m.textAmounts++
	}
	s := scaledDecimal(v, u.places)
	if u.currency != "CNY" && u.currency != "" {
		s += " " + u.currency
	}
	return excelize.Cell{StyleID: m.st.moneyText, Value: cleanText(s)}
}

func (m *moneySheet) amount64(v int64, u unit, variant amountVariant) excelize.Cell {
	return m.amount(big.NewInt(v), u, variant)
}

// net returns payments − refunds − fees in 10⁻⁵ of the unit (payments and
// refunds in hundredths), exactly.
func net(payments, refunds, fee int64) *big.Int {
	n := new(big.Int).Sub(big.NewInt(payments), big.NewInt(refunds))
	n.Mul(n, big.NewInt(1000))
	return n.Sub(n, big.NewInt(fee))
}

// netCells shows nets: to the fen when every one of them is a whole fen
// (the usual case: bills round fees to the fen), else all five decimals,
// so that a column never hides a fraction of a fen nor mixes precisions.
type netCells struct {
	u    unit
	fen  bool
	nets []*big.Int
}

func newNetCells(currency string, nets ...*big.Int) netCells {
	c := netCells{u: unit{currency, feePlaces}, fen: true, nets: nets}
	thousand := big.NewInt(1000)
	for _, n := range nets {
		if new(big.Int).Rem(n, thousand).Sign() != 0 {
			c.fen = false
		}
	}
	if c.fen {
		c.u.places = fenPlaces
	}
	return c
}

func (c netCells) cell(m *moneySheet, n *big.Int, variant amountVariant) excelize.Cell {
	if c.fen {
		return m.amount(new(big.Int).Quo(n, big.NewInt(1000)), c.u, variant)
	}
	return m.amount(n, c.u, variant)
}

// writeMoney writes the money sheet (资金核对): the window's money per day
// and in total, the Global statements' settlement per currency, and every
// bill section's summary beside the sums of its rows.
func (b *book) writeMoney() error {
	r, st := b.r, b.st
	w := &sheetWriter{f: b.f, sheet: sheetMoney, last: moneyLast, pageCap: pageCapacity(moneyWidths)}
	m := &moneySheet{book: b, w: w}
	for i, width := range moneyWidths {
		col, _ := excelize.ColumnNumberToName(i + 1)
		if err := b.f.SetColWidth(sheetMoney, col, col, width); err != nil {
			return err
		}
	}
	valueWidth := 0.0
	for _, width := range moneyWidths[1:] {
		valueWidth += width
	}

	w.cell("A", 1, "资金核对（"+windowTitle(r.Window)+"）", st.title)
	w.merge("A", moneyLast, 1)
	w.height(1, 30)
	line, style := b.billLine()
	w.cell("A", 2, line, style)
	w.merge("A", moneyLast, 2)
	w.height(2, max(24, wrappedHeight(line, valueWidth+moneyWidths[0])))
	row := 4

	row = m.days(row, "一、")
	bills := "二、"
	if len(r.Money.Settlements) > 0 {
		row = m.settlements(row+1, "二、")
		bills = "三、"
	}
	row = m.bills(row+1, bills)

	if w.err != nil {
		return w.err
	}
	fit := true
	if err := b.f.SetSheetProps(sheetMoney, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return err
	}
	if err := b.f.SetSheetDimension(sheetMoney, "A1:"+moneyLast+strconv.Itoa(max(w.maxRow, 1))); err != nil {
		return err
	}
	return b.printSetup(sheetMoney, printScale(moneyWidths) >= minPrintScale, "")
}

// billLine is the money sheet's status line: how the bill sections fare,
// and the style it is shown in.
func (b *book) billLine() (string, int) {
	r, st := b.r, b.st
	if len(r.Bills) == 0 {
		return "账单核对：本次没有读到微信账单，无法核对账单汇总", st.headlineWarn
	}
	var n [billNotRequired + 1]int
	for i := range r.Bills {
		n[statusOf(&r.Bills[i])]++
	}
	var parts []string
	for _, s := range []struct {
		status billStatus
		words  string
	}{
		{billTiesOut, "一致"}, {billDiffers, "汇总与各行不符"}, {billNoSummary, "无汇总行（下载不完整？）"},
		{billUnreadable, "汇总行无法读取"}, {billNotRequired, "是 Global 账单，无汇总行（不要求）"},
	} {
		if n[s.status] > 0 {
			parts = append(parts, countText(n[s.status])+" 段"+s.words)
		}
	}
	text := "账单核对：共 " + countText(len(r.Bills)) + " 段，" + strings.Join(parts, "；")
	if n[billTiesOut] == len(r.Bills) {
		text = "账单核对：共 " + countText(len(r.Bills)) + " 段，全部一致"
	}
	if bad := n[billDiffers] + n[billNoSummary] + n[billUnreadable]; bad == 0 {
		return text + "。", st.headlineOK
	}
	return text + "。" + b.heldBackText() + "：请重新下载下方标红的账单后重跑。", st.headlineBad
}

// heldBackText says what the bills that do not tie out did to the
// declarations: "本次未申报（88 笔待申报）", that they were declared anyway
// (--allow-bill-mismatch), or in a dry run that a real run would hold
// them back too.
func (b *book) heldBackText() string {
	c := &b.r.Counts
	switch {
	case b.r.DryRun:
		return "试运行未申报，正式运行也将暂缓申报（" + countText(c.Eligible) + " 笔）"
	case b.r.Money.Declared.Count > 0 || c.Declared > 0:
		return "已按 --allow-bill-mismatch 照常申报"
	case c.HeldBack == 0:
		return "本次未申报"
	}
	return "本次未申报（" + countText(c.HeldBack) + " 笔待申报）"
}

// days writes the table of the window's money per day and in total, from
// row, and returns the row after it.
func (m *moneySheet) days(row int, number string) int {
	w, st, money := m.w, m.st, &m.r.Money
	row = w.section(row, number+"每日资金（人民币）", st)
	top, sub := row, row+1
	for _, h := range []struct {
		from, to, title string
	}{
		{"A", "A", "日期"}, {"B", "C", "订单"}, {"D", "E", "支付"}, {"F", "G", "退款"},
		{"H", "H", "手续费（元）"}, {"I", "I", "预计净结算（元）"}, {"J", "K", "已申报"},
	} {
		w.cell(h.from, top, h.title, st.header)
		if h.from == h.to { // one column: the title spans both header rows
			w.cell(h.from, sub, nil, st.header)
			if w.err == nil {
				w.err = m.f.MergeCell(sheetMoney, h.from+strconv.Itoa(top), h.to+strconv.Itoa(sub))
			}
			continue
		}
		w.cell(h.from, sub, "笔数", st.header)
		w.cell(h.to, sub, "金额（元）", st.header)
		w.merge(h.from, h.to, top)
	}
	w.height(top, 20)
	w.height(sub, 20)
	row = sub + 1

	nets := make([]*big.Int, 0, len(money.Days)+1)
	for i := range money.Days {
		d := &money.Days[i]
		nets = append(nets, net(d.Settled, 0, d.ServiceFee))
	}
	total := net(money.Settled, 0, money.ServiceFee)
	netCol := newNetCells("CNY", append(nets, total)...)
	line := func(first excelize.Cell, orders, payments, refunds, declared reconcile.Amount, fee int64, n *big.Int, variant amountVariant) {
		countStyle := st.count
		if variant == totalAmount {
			countStyle = st.totalCount
		}
		count := func(col string, n int) { w.put(col, row, excelize.Cell{StyleID: countStyle, Value: n}) }
		w.put("A", row, first)
		count("B", orders.Count)
		w.put("C", row, m.amount64(orders.Fen, cny, variant))
		count("D", payments.Count)
		w.put("E", row, m.amount64(payments.Fen, cny, variant))
		count("F", refunds.Count)
		w.put("G", row, m.amount64(refunds.Fen, cny, variant))
		w.put("H", row, m.amount64(fee, cnyFee, variant))
		w.put("I", row, netCol.cell(m, n, variant))
		count("J", declared.Count)
		w.put("K", row, m.amount64(declared.Fen, cny, variant))
		row++
	}
	for i := range money.Days {
		d := &money.Days[i]
		day := excelize.Cell{StyleID: st.text, Value: d.Date.String()}
		if v, ok := serial(d.Date.Start()); ok {
			day = excelize.Cell{StyleID: st.day, Value: v}
		}
		line(day, d.Orders, d.Payments, d.Refunds, d.Declared, d.ServiceFee, nets[i], plainAmount)
	}
	line(excelize.Cell{StyleID: st.total, Value: "合计"}, money.Orders, money.Payments, money.Refunds, money.Declared,
		money.ServiceFee, total, totalAmount)

	notes := []string{"注：订单按付款时间计入当天；支付、退款按账单的交易时间计入当天，同一笔交易或退款只计一次；" +
		"手续费为人民币账单各行手续费之和（退款行退回的手续费为负），保留账单的 5 位小数；" +
		"预计净结算 = 应结订单金额 − 退款金额 − 手续费（应结订单金额是订单金额减去微信不结算的免充值券，所以可能小于“支付”减“退款”；" +
		"没有账单列的支付导出按其金额计）；已申报为本次运行申报成功的订单（按订单付款日）。"}
	if len(money.Settlements) > 0 {
		notes = append(notes, "注：WeChat Pay Global 账单的支付以买家支付的人民币计入“支付”（用于与订单核对），"+
			"但以结算币种结算，其手续费不在人民币手续费中：结算金额见“二、分币种结算”，不与本表相加。")
	}
	width := 0.0
	for _, v := range moneyWidths {
		width += v
	}
	for _, n := range notes {
		w.cell("A", row, n, st.note)
		w.merge("A", moneyLast, row)
		w.height(row, wrappedHeight(n, width))
		row++
	}
	return row
}

// settlements writes the Global statements' settlement per currency.
func (m *moneySheet) settlements(row int, number string) int {
	w, st := m.w, m.st
	row = w.section(row, number+"分币种结算（WeChat Pay Global，按结算币种，不含人民币）", st,
		"结算币种", "支付笔数", "应结订单金额", "退款笔数", "退款应结金额", "手续费", "预计净结算")
	start := row
	for _, s := range m.r.Money.Settlements {
		cur := cleanText(s.Currency)
		n := newNetCells(cur, net(s.Payments.Fen, s.Refunds.Fen, s.ServiceFee)) // Settlement.Net, in a big integer
		w.cell("A", row, cur, st.text)
		w.put("B", row, m.count(s.Payments.Count))
		w.put("C", row, m.amount64(s.Payments.Fen, unit{cur, fenPlaces}, plainAmount))
		w.put("D", row, m.count(s.Refunds.Count))
		w.put("E", row, m.amount64(s.Refunds.Fen, unit{cur, fenPlaces}, plainAmount))
		w.put("F", row, m.amount64(s.ServiceFee, unit{cur, feePlaces}, plainAmount))
		w.put("G", row, n.cell(m, n.nets[0], plainAmount))
		row++
	}
	w.flow(start-2, row, true, 0) // with the section's title and header
	return row
}

// figureUnit returns what a bill section's figure is counted in: CNY, but
// in a Global statement 应结订单总金额 and 手续费总金额 are in its settlement
// currency and the other amounts in the currencies its columns name (the
// price currency, the buyer's), so they are shown as bare numbers, never
// with ¥. ok is false for 总交易单数, a count.
func figureUnit(g ingest.Figure, b *reconcile.Bill) (unit, bool) {
	cur := "CNY"
	switch {
	case b.SettleCurrency != "" && (g == ingest.FigSettlement || g == ingest.FigFee):
		cur = cleanText(b.SettleCurrency)
	case b.SettleCurrency != "" || b.Variant == "wechat-global":
		cur = ""
	}
	switch g {
	case ingest.FigTrades:
		return unit{}, false
	case ingest.FigFee:
		return unit{cur, feePlaces}, true
	}
	return unit{cur, fenPlaces}, true
}

// lineText shows the line of a "file:line" source: "第 12 行".
func lineText(source string) string {
	if i := strings.LastIndexByte(source, ':'); i >= 0 {
		source = source[i+1:]
	}
	return "第 " + cleanText(source) + " 行"
}

// bills writes a block per bill section: where it is, its summary, and
// each figure of the summary beside the sum of the rows, with the
// difference; the figures that differ are highlighted.
func (m *moneySheet) bills(row int, number string) int {
	w, st := m.w, m.st
	first := row
	row = w.section(row, number+"账单汇总核对（每段账单的汇总行与各行合计，逐项比对）", st)
	if len(m.r.Bills) == 0 {
		w.cell("A", row, "（本次没有读到微信账单）", st.text)
		return row + 1
	}
	infoWidth := 0.0
	for _, v := range moneyWidths[1:5] { // B to E
		infoWidth += v
	}
	for i := range m.r.Bills {
		b := &m.r.Bills[i]
		start := row
		row = m.bill(row, b, infoWidth)
		if i == 0 { // keep the section's title with its first block
			start = first
		}
		w.flow(start, row, true, 0)
		row++
	}
	return row
}

// verdict returns the word and style of a bill section's status.
func (st *styles) verdict(s billStatus) (string, int) {
	switch s {
	case billTiesOut:
		return "✔ 一致", st.statusOK
	case billDiffers:
		return "✘ 汇总不符", st.statusBad
	case billNoSummary:
		return "✘ 无汇总行", st.statusBad
	case billUnreadable:
		return "✘ 汇总行无法读取", st.statusBad
	}
	return "不要求汇总", st.neutralFill
}

// bill writes the block of a bill section from row and returns the row
// after it: a title band with the verdict, where the section is, and its
// figures.
func (m *moneySheet) bill(row int, b *reconcile.Bill, infoWidth float64) int {
	w, st := m.w, m.st
	status := statusOf(b)
	verdict, vstyle := st.verdict(status)
	w.cell("A", row, verdict, vstyle)
	title := cleanText(filepath.Base(b.File)) + " · 第 " + strconv.Itoa(b.Section) + " 段"
	w.cell("B", row, title, st.block)
	w.merge("B", moneyLast, row)
	w.height(row, 22)
	row++

	info := func(key, value string, style int) {
		w.cell("A", row, key, st.key)
		w.cell("B", row, value, style)
		for _, col := range []string{"C", "D", "E"} {
			w.cell(col, row, nil, style)
		}
		w.merge("B", "E", row)
		if h := wrappedHeight(value, infoWidth); h > lineHeight+4 {
			w.height(row, h)
		}
		row++
	}
	info("表头", lineText(b.Header), st.infoValue)
	switch status {
	case billUnreadable:
		info("汇总行", "汇总行无法读取："+freeText(b.SummaryErr, m.now), st.diffWrap)
	case billNoSummary:
		info("汇总行", "无汇总行（下载不完整？）", st.diffWrap)
	case billNotRequired:
		info("汇总行", "无汇总行（Global 账单的汇总格式未公开，不要求）", st.infoValue)
	default:
		info("汇总行", lineText(b.SummarySource), st.infoValue)
	}
	rows := countText(b.Rows) + " 行"
	if b.Errors > 0 {
		rows += "（" + countText(b.Errors) + " 行无法读取，不计入各行合计）"
	}
	info("数据行", rows, st.infoValue)
	if b.SettleCurrency != "" {
		info("结算币种", cleanText(b.SettleCurrency)+"：应结订单总金额、手续费总金额按结算币种，其余金额为账单原值", st.infoValue)
	}

	for j, h := range []string{"项目", "汇总行", "各行合计", "差额\n（各行−汇总）", "核对"} {
		col, _ := excelize.ColumnNumberToName(j + 1)
		w.cell(col, row, h, st.header)
	}
	w.height(row, 32)
	row++
	for _, g := range ingest.Figures() {
		m.figure(row, b, g)
		row++
	}
	return row
}

// figure writes one figure of a bill section at row: its label, the
// summary's value, the rows' sum, the difference and a verdict.
func (m *moneySheet) figure(row int, b *reconcile.Bill, g ingest.Figure) {
	w, st := m.w, m.st
	named := b.Summary != nil && b.Summary.Has&g != 0
	differs := named && b.Summary.Get(g) != b.Sums.Get(g)
	variant, label := plainAmount, st.text
	if differs {
		variant, label = diffAmount, st.diffText
	}
	value := func(v int64) excelize.Cell {
		u, money := figureUnit(g, b)
		if !money {
			style := st.count
			if variant == diffAmount {
				style = st.diffCount
			}
			return excelize.Cell{StyleID: style, Value: v}
		}
		return m.amount64(v, u, variant)
	}
	w.cell("A", row, g.Label(), label)
	w.put("C", row, value(b.Sums.Get(g)))
	switch {
	case named:
		w.put("B", row, value(b.Summary.Get(g)))
		d := new(big.Int).Sub(big.NewInt(b.Sums.Get(g)), big.NewInt(b.Summary.Get(g)))
		if u, money := figureUnit(g, b); money {
			w.put("D", row, m.amount(d, u, variant))
		} else if d.IsInt64() {
			w.put("D", row, value(d.Int64()))
		} else { // a summary's absurd count
			w.cell("D", row, d.String(), st.moneyText)
		}
		if differs {
			w.cell("E", row, "不符", st.diffVerdict)
		} else {
			w.cell("E", row, "一致", st.good)
		}
	case b.Summary != nil:
		w.cell("B", row, "（未列出）", st.neutral)
		w.cell("E", row, "—", st.neutral)
	default:
		w.cell("E", row, "—", st.neutral)
	}
}
