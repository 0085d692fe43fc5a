package report

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/crossborder/reconcile/internal/cst"
	"github.com/crossborder/reconcile/internal/reconcile"
)

// maxOrderRows is the most orders 订单明细 lists in the workbook; a window
// with more gets them in a CSV file beside the workbook instead (see
// ordersCSVPath). It is a variable so that a test can lower it.
var maxOrderRows = 200_000

// The columns of 订单明细 (and of the CSV that replaces it).
const (
	orOrder = iota
	orOutcome
	orWhy
	orFee
	orProduct
	orTransport
	orPaidAt
	orTx
	orPayment
	orPaymentAt
	orCustoms
	orAccepted
	orLine
	orFile // last: a long name shows whole, over the empty cells beside it
)

var orderColumns = []column{
	orOrder:     {title: "订单号", width: 21, kind: kindText},
	orOutcome:   {title: "结果", width: 26, kind: kindText, shared: true},
	orWhy:       {title: "说明", width: 24, kind: kindText, shared: true},
	orFee:       {title: "订单金额（元）", width: 14, kind: kindMoney, sum: true},
	orProduct:   {title: "货款（元）", width: 13, kind: kindMoney, sum: true},
	orTransport: {title: "运费（元）", width: 12, kind: kindMoney, sum: true},
	orPaidAt:    {title: "付款时间", width: 19, kind: kindDate},
	orTx:        {title: "支付交易号", width: 30, kind: kindText},
	orPayment:   {title: "支付金额（元）", width: 14, kind: kindMoney, sum: true},
	orPaymentAt: {title: "支付时间", width: 19, kind: kindDate},
	orCustoms:   {title: "海关", width: 26, kind: kindText, shared: true},
	orAccepted:  {title: "受理时间", width: 19, kind: kindDate},
	orLine:      {title: "行号", width: 7, kind: kindNumber},
	orFile:      {title: "来源文件", width: 36, kind: kindText, shared: true},
}

// orderCount is how many lines Result.Orders yields.
func orderCount(r *reconcile.Result) int {
	if r.Orders == nil {
		return 0
	}
	return r.Counts.OrdersInWindow + r.Counts.OrdersUnpaid
}

// ordersCSV reports whether the orders of r go to a CSV file rather than
// to 订单明细.
func ordersCSV(r *reconcile.Result) bool { return orderCount(r) > maxOrderRows }

// OrdersCSV returns the CSV of the orders that Write puts beside the
// workbook at path for r (OrdersCSVPath) when the window has more orders
// than the workbook lists, else "".
func (w *Writer) OrdersCSV(path string, r *reconcile.Result) string {
	if ordersCSV(r) {
		return OrdersCSVPath(path)
	}
	return ""
}

// OrdersCSVPath returns the path of the CSV file that lists the orders
// when a window has more than the workbook lists: the workbook's path
// with "_orders.csv" for its extension (reconcile_2026-11-20_orders.csv,
// reconcile_2026-11-20_dryrun_orders.csv).
func OrdersCSVPath(workbook string) string {
	return strings.TrimSuffix(workbook, filepath.Ext(workbook)) + "_orders.csv"
}

// outcome is where an order ended, in the words of 订单明细.
type orderOutcome struct {
	word, why string
	tone      tone
	accepted  time.Time // when the declaration was accepted
}

// tone is how an outcome is shown: fine, needs a look, nothing to do.
type tone int

const (
	toneNeutral tone = iota
	toneGood
	toneBad
)

func (st *styles) outcome(t tone) int {
	switch t {
	case toneGood:
		return st.outcomeGood
	case toneBad:
		return st.outcomeBad
	}
	return st.outcomeNeutral
}

// orderOutcomes judges the orders of a window: an eligible order by its
// declaration (this run's or an earlier one's) and by the exceptions of
// the declaration phase (the materials check, a declaration that failed
// or was not attempted).
type orderOutcomes struct {
	b     *book
	decls []int32 // Result.Declarations by order id
	codes map[string]reconcile.Code
}

func (b *book) orderOutcomes() *orderOutcomes {
	ds := b.r.Declarations
	o := &orderOutcomes{b: b, codes: map[string]reconcile.Code{}}
	o.decls = sortedIndex(len(ds), func(i, j int32) int { return reconcile.CompareIDs(ds[i].OrderID, ds[j].OrderID) })
	for i := range b.r.Exceptions {
		e := &b.r.Exceptions[i]
		switch e.Code {
		case reconcile.DeclareRejected, reconcile.DeclareConflict, reconcile.DeclareError, reconcile.MaterialsInvalid:
			if _, ok := o.codes[e.OrderID]; !ok && e.OrderID != "" {
				o.codes[e.OrderID] = e.Code
			}
		}
	}
	return o
}

// declaration returns the declaration of an order, or nil.
func (o *orderOutcomes) declaration(id string) *reconcile.Declaration {
	ds := o.b.r.Declarations
	i, ok := slices.BinarySearchFunc(o.decls, id, func(j int32, id string) int { return reconcile.CompareIDs(ds[j].OrderID, id) })
	if !ok {
		return nil
	}
	return &ds[o.decls[i]]
}

// declareCodes are the codes of a declaration that failed, by outcome.
var declareCodes = map[reconcile.Outcome]reconcile.Code{
	reconcile.OutcomeRejected: reconcile.DeclareRejected,
	reconcile.OutcomeConflict: reconcile.DeclareConflict,
	reconcile.OutcomeError:    reconcile.DeclareError,
}

func (o *orderOutcomes) of(line *reconcile.OrderLine) orderOutcome {
	r := o.b.r
	failed := func(c reconcile.Code) orderOutcome {
		return orderOutcome{word: "异常:" + string(c), why: c.Label(), tone: toneBad}
	}
	switch line.State {
	case reconcile.OrderUnpaid:
		return orderOutcome{word: "未付款", why: "不申报", tone: toneNeutral}
	case reconcile.OrderClosed:
		return orderOutcome{word: "已关闭", why: "不申报", tone: toneNeutral}
	case reconcile.OrderException:
		return failed(line.Code)
	case reconcile.OrderEligible:
	default:
		return orderOutcome{word: strconv.Itoa(int(line.State)), tone: toneNeutral}
	}
	if d := o.declaration(line.OrderID); d != nil {
		switch d.Outcome {
		case reconcile.OutcomeDone:
			return orderOutcome{word: "已申报", why: "本次运行", tone: toneGood, accepted: d.LastAttempt}
		case reconcile.OutcomeEarlier:
			why := "此前的运行"
			if d.RunID != 0 {
				why = "运行 " + strconv.FormatInt(d.RunID, 10)
			}
			return orderOutcome{word: "此前已申报", why: why, tone: toneGood, accepted: d.Accepted()}
		}
		if c, ok := o.codes[line.OrderID]; ok {
			return failed(c)
		}
		if c, ok := declareCodes[d.Outcome]; ok {
			return failed(c)
		}
	}
	if c, ok := o.codes[line.OrderID]; ok {
		return failed(c)
	}
	why := "未尝试"
	switch {
	case r.DryRun:
		why = "试运行，未申报"
	case r.Counts.HeldBack > 0:
		why = "账单汇总不符，暂缓申报"
	}
	return orderOutcome{word: "未申报", why: why, tone: toneNeutral}
}

// writeOrders writes 订单明细: every order of the window with where it
// ended, in the order the exports list them; or, when they go to a CSV
// file, a sheet that names it.
func (b *book) writeOrders(ctx context.Context) error {
	if b.ordersCSV != "" {
		return b.ordersPointer()
	}
	r := b.r
	l, err := b.openList(listSpec{
		sheet: sheetOrders, cols: orderColumns, rows: orderCount(r), freeze: 1, count: orOutcome,
		note: "← 本区间的全部订单（含未付款、已关闭），按导出中的顺序；可按“结果”筛选",
	})
	if err != nil {
		return err
	}
	n := 0
	if r.Orders != nil {
		outcomes := b.outcomes()
		buf := make([]byte, 0, 4096)
		for line := range r.Orders {
			if n%ctxCheckRows == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			if n >= maxDataRows {
				n++
				continue
			}
			buf = b.appendOrderRow(l.out, buf[:0], firstRow+n, &line, outcomes.of(&line))
			if err := l.out.rawRow(buf); err != nil {
				return err
			}
			n++
		}
	}
	l.rows = min(n, maxDataRows)
	if n > maxDataRows {
		if b.cut == nil {
			b.cut = map[string]int{}
		}
		b.cut[sheetOrders] = n - maxDataRows
	} else {
		delete(b.cut, sheetOrders)
	}
	return b.closeList(l)
}

// ordersPointer writes 订单明细 when the orders are in the CSV file: what
// it is and where.
func (b *book) ordersPointer() error {
	w := &sheetWriter{f: b.f, sheet: sheetOrders, last: "H"}
	if err := b.f.SetColWidth(sheetOrders, "A", "H", 16); err != nil {
		return err
	}
	text := "本区间共 " + countText(orderCount(b.r)) + " 笔订单，超过本表的 " + countText(maxOrderRows) +
		" 行，订单明细另存为与本工作簿同目录的 CSV 文件：" + b.ordersCSV
	w.cell("A", 1, text, b.st.headlineWarn)
	w.merge("A", "H", 1)
	w.height(1, wrappedHeight(text, 16*8)+8)
	hint := "该文件为 UTF-8（带 BOM）编码，列与本表相同（" + strings.Join(columnTitles(orderColumns), "、") +
		"）。用 Excel 打开时，请用“数据 → 自文本/CSV”导入，并把订单号、支付交易号列设为“文本”，以免长数字被改成科学计数法。"
	w.cell("A", 2, hint, b.st.valueWrap)
	w.merge("A", "H", 2)
	w.height(2, wrappedHeight(hint, 16*8)+4)
	if w.err != nil {
		return w.err
	}
	if err := b.f.SetSheetDimension(sheetOrders, "A1:H2"); err != nil {
		return err
	}
	return b.printSetup(sheetOrders, true, "")
}

func columnTitles(cols []column) []string {
	var t []string
	for _, c := range cols {
		t = append(t, c.title)
	}
	return t
}

// The CSV file of the orders: UTF-8 with a byte order mark (so that Excel
// reads it as UTF-8), a header of orderColumns' titles, a record per
// order, CRLF line ends. Amounts are exact decimals in yuan ("129.90"),
// times the UTC+8 wall clock ("2026-11-20 13:45:00"). A field from the
// exports that a spreadsheet would read as a formula (it starts with =, +,
// -, @, a tab or a carriage return) gets a leading apostrophe.
const utf8BOM = "\uFEFF"

// csvHeader is the file's first line, by which Write knows its own file.
func csvHeader() string { return utf8BOM + strings.Join(columnTitles(orderColumns), ",") + "\r\n" }

// checkCSV refuses to replace, at path, anything but this job's own CSV
// of orders (recognised by its header) or nothing.
func checkCSV(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("report: %w %s: it is not a regular file (%s)", ErrRefuseOverwrite, path, fi.Mode().Type())
	}
	if !ownCSV(path) {
		return fmt.Errorf("report: %w %s: it is not reconcile's list of orders; move it away or choose another --report path", ErrRefuseOverwrite, path)
	}
	return nil
}

// ownCSV reports whether path starts with the header of the job's CSV.
func ownCSV(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	want := csvHeader()
	got := make([]byte, len(want))
	_, err = io.ReadFull(f, got)
	return err == nil && string(got) == want
}

// writeOrdersCSV writes the orders of r to out: the format encoding/csv
// writes (UseCRLF), built by appends to one buffer (csvfield.go) rather
// than through csv.Writer, the times with cst.AppendFormat, and the texts
// that repeat (outcomes, customs, file names) cleaned and quoted once
// each. outcomes and names are its own or safe to share: it may run beside
// the workbook's build.
func (b *book) writeOrdersCSV(ctx context.Context, out io.Writer, outcomes *orderOutcomes, names *named) error {
	const flushAt = 256 << 10
	buf := make([]byte, 0, flushAt+8<<10)
	buf = append(buf, csvHeader()...)
	var texts, whys csvFields
	customsField := csvFields{clean: func(code string) string { return csvText(names.customs(code)) }}
	texts.clean, whys.clean = csvText, func(s string) string { return s }
	n := 0
	for line := range b.r.Orders {
		if n%ctxCheckRows == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		n++
		o := outcomes.of(&line)
		file, ln := splitSource(line.Source)
		buf = appendCSVText(buf, line.OrderID)
		buf = append(buf, ',')
		buf = texts.append(buf, o.word)
		buf = append(buf, ',')
		buf = whys.append(buf, o.why)
		buf = append(buf, ',')
		buf = appendFenDecimal(buf, line.OrderFee)
		buf = append(buf, ',')
		buf = appendFenDecimal(buf, line.ProductFee)
		buf = append(buf, ',')
		buf = appendFenDecimal(buf, line.TransportFee)
		buf = append(buf, ',')
		buf = appendCSVTime(buf, line.PaidAt)
		buf = append(buf, ',')
		buf = appendCSVText(buf, line.TransactionID)
		buf = append(buf, ',')
		if line.TransactionID != "" {
			buf = appendFenDecimal(buf, line.Payment)
		}
		buf = append(buf, ',')
		buf = appendCSVTime(buf, line.PaymentAt)
		buf = append(buf, ',')
		buf = customsField.append(buf, line.Customs)
		buf = append(buf, ',')
		buf = appendCSVTime(buf, o.accepted)
		buf = append(buf, ',')
		if ln > 0 {
			buf = strconv.AppendInt(buf, int64(ln), 10)
		}
		buf = append(buf, ',')
		buf = texts.append(buf, file)
		buf = append(buf, '\r', '\n')
		if len(buf) >= flushAt {
			if _, err := out.Write(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	_, err := out.Write(buf)
	return err
}

// csvText is a text field of the CSV: cleaned as a cell is, and with an
// apostrophe before what a spreadsheet would take for a formula.
func csvText(s string) string {
	s = cleanText(s)
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// appendCSVTime appends a time field: the UTC+8 wall clock, nothing for
// the zero time. It never needs quotes.
func appendCSVTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return b
	}
	return cst.AppendFormat(b, t)
}
