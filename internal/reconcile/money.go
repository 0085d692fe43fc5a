package reconcile

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/crossborder/reconcile/internal/cst"
	"github.com/crossborder/reconcile/internal/ingest"
)

// Amount is a count of things and the money they add up to, in fen.
type Amount struct {
	Count int
	Fen   int64
}

func (a *Amount) add(fen int64) { a.Count++; a.Fen += fen }

// Money is the money of a run's window, what finance ties out each morning.
// Amounts are in fen, fees in 10⁻⁵ yuan; all in CNY but the settlements of
// WeChat Pay Global statements, which are kept per currency and never added
// to CNY.
type Money struct {
	// Orders are the paid orders of the window, each order id once:
	// Counts.OrdersInWindow of them, Σ order_fee.
	Orders Amount
	// Payments are the successful payments whose 交易时间 falls in the
	// window, each transaction id once (a payment in two bills is one), Σ
	// the amount the job matches with (用户支付金额 in a Global statement).
	Payments Amount
	// Refunds are the refund and revocation rows whose 交易时间 falls in
	// the window, each refund once, Σ the amount refunded.
	Refunds Amount
	// ServiceFee is Σ 手续费 of the window's rows of CNY bills (the rows of
	// Payments and Refunds), in 10⁻⁵ yuan: negative on refund rows.
	ServiceFee int64
	// Declared are the declarations this run had accepted, Σ order_fee.
	Declared Amount
	// Settled is what the window's CNY bill rows settle before fees, in
	// fen: Σ 应结订单金额 of the payments (订单金额 less the 免充值券 WeChat
	// does not pay out) − Σ 退款金额 of the refunds; for a plain payment
	// export, its amounts. Global statements settle in Settlements.
	Settled int64
	// Days are the same figures for each day of the window, in order.
	Days []DayMoney
	// Settlements are the Global statements' money of the window, per
	// settlement currency, in its minor unit (fees in 10⁻⁵ of its unit).
	Settlements []Settlement
}

// DayMoney is the money of one day of the window.
type DayMoney struct {
	Date                                cst.Date
	Orders, Payments, Refunds, Declared Amount
	ServiceFee                          int64
	Settled                             int64
}

// Settlement is what Global statements settle in one currency: the
// successful payments of the window (Σ 应结订单金额), the refunds
// (Σ 退款应结订单金额) and the fees (refunds' negative).
type Settlement struct {
	Currency   string
	Payments   Amount // in the currency's hundredths
	Refunds    Amount // in the currency's hundredths
	ServiceFee int64  // in 10⁻⁵ of the currency unit
}

// Net returns the settlement finance should expect for the window's CNY
// bills, in 10⁻⁵ yuan: what they settle (Settled) − fees.
func (m *Money) Net() int64 { return m.Settled*1000 - m.ServiceFee }

// Net returns the settlement of a day, as Money.Net.
func (d *DayMoney) Net() int64 { return d.Settled*1000 - d.ServiceFee }

// Net returns what the currency settles: payments − refunds − fees, in
// 10⁻⁵ of its unit.
func (s *Settlement) Net() int64 { return (s.Payments.Fen-s.Refunds.Fen)*1000 - s.ServiceFee }

// day returns the day of the window that t (unix seconds) falls on, or nil.
func (m *Money) day(t int64, from int64) *DayMoney {
	i := int((t - from) / (24 * 3600))
	if t < from || i >= len(m.Days) {
		return nil
	}
	return &m.Days[i]
}

func (m *Money) settlement(currency string) *Settlement {
	for i := range m.Settlements {
		if m.Settlements[i].Currency == currency {
			return &m.Settlements[i]
		}
	}
	m.Settlements = append(m.Settlements, Settlement{Currency: currency})
	return &m.Settlements[len(m.Settlements)-1]
}

func newMoney(w cst.Window) Money {
	m := Money{}
	for d := w.From; !w.To.Before(d); d = d.AddDays(1) {
		m.Days = append(m.Days, DayMoney{Date: d})
	}
	return m
}

// Bill is one section of a WeChat bill as the run found it: where it is,
// its summary beside the sums of its rows, and whether they tie out.
type Bill struct {
	File    string // the file
	Section int    // 1-based within the file
	Header  string // "file:line" of its header
	Variant string
	Rows    int // data rows, readable or not
	Errors  int // rows that could not be read
	// Summary is what its summary line says (nil when it has none: a
	// truncated download), Sums what its readable rows add up to.
	Summary       *ingest.BillFigures
	Sums          ingest.BillFigures
	SummarySource string // "file:line" of the summary values
	SummaryErr    string // why the summary could not be read
	// Diffs are the figures on which summary and rows disagree.
	Diffs []ingest.FigureDiff
	// TiesOut is set when the section has a summary that agrees with its
	// rows. A section that does not, of a bill whose summary layout is
	// known, is a BILL_MISMATCH.
	TiesOut bool
	// SettleCurrency is a Global statement's settlement currency.
	SettleCurrency string
}

// summaryKnown reports whether a variant's bills carry a summary of a
// layout the job knows, so that a section without one is a truncated
// download. WeChat Pay Global statements do not document theirs: a
// summary is compared when present, never required.
func summaryKnown(variant string) bool { return variant != "wechat-global" }

// addBills records the sections of a bill file read.
func (k *kindLoad) addBills(path string, secs []ingest.BillSection) {
	for _, s := range secs {
		b := Bill{
			File: path, Section: s.Index, Header: s.Header.String(), Variant: s.Variant, Rows: s.Rows, Errors: s.Errors,
			Summary: s.Summary, Sums: s.Sums, SummaryErr: s.SummaryErr, Diffs: s.Differences(), TiesOut: s.TiesOut(),
			SettleCurrency: s.SettleCurrency,
		}
		if s.SummarySource.Line > 0 {
			b.SummarySource = s.SummarySource.String()
		}
		k.bills = append(k.bills, b)
	}
}

// BillMismatched reports whether a bill section is a BILL_MISMATCH: it
// does not tie out, and its layout's summary is known (or it has one).
func BillMismatched(b *Bill) bool {
	return !b.TiesOut && (b.Summary != nil || b.SummaryErr != "" || summaryKnown(b.Variant))
}

// billException is the BILL_MISMATCH of a section that does not tie out,
// or nil when it does (or cannot be required to).
func billException(b *Bill) *Exception {
	if !BillMismatched(b) {
		return nil
	}
	where := fmt.Sprintf("账单 %s 第 %d 段（表头在第 %s 行）", filepath.Base(b.File), b.Section, lineOf(b.Header))
	e := &Exception{Code: BillMismatch, Source: b.SummarySource}
	switch {
	case b.SummaryErr != "":
		e.Source = b.Header
		e.Message = where + "的汇总行无法读取：" + b.SummaryErr + "。请重新下载账单"
	case b.Summary == nil:
		e.Source = b.Header
		e.Message = fmt.Sprintf("%s没有汇总行（总交易单数…）：账单可能没有下载完整（已读到 %d 行）。请重新下载完整的账单后重跑", where, b.Rows)
	default:
		var parts []string
		for _, d := range b.Diffs {
			parts = append(parts, fmt.Sprintf("%s：汇总 %s，各行合计 %s", d.Figure.Label(), figureText(d.Figure, d.Summary), figureText(d.Figure, d.Rows)))
			if d.Figure == ingest.FigSettlement {
				e.HasAmounts, e.Expected, e.Actual = true, d.Summary, d.Rows
			}
		}
		e.Message = fmt.Sprintf("%s的汇总（第 %s 行）与各行不符：%s", where, lineOf(b.SummarySource), strings.Join(parts, "；"))
		if b.Errors > 0 {
			e.Message += fmt.Sprintf("（其中 %d 行无法读取，见 INPUT_INVALID）", b.Errors)
		}
		e.Message += "。账单可能被编辑过或缺行：请重新下载原始账单后重跑"
	}
	return e
}

// Describe says in English, for the log and the run's error, which
// section of which file does not tie out and how: "bill.csv section 1
// (summary on line 5): 总交易单数 3 in the summary, 2 in the rows; …".
func (b *Bill) Describe() string {
	where := fmt.Sprintf("%s section %d", filepath.Base(b.File), b.Section)
	switch {
	case b.SummaryErr != "":
		return where + ": its summary cannot be read (" + b.SummaryErr + ")"
	case b.Summary == nil:
		return fmt.Sprintf("%s (header on line %s): no summary, a truncated download (%d rows read)", where, lineOf(b.Header), b.Rows)
	}
	var parts []string
	for _, d := range b.Diffs {
		parts = append(parts, fmt.Sprintf("%s %s in the summary, %s in the rows", d.Figure.Label(), figureText(d.Figure, d.Summary), figureText(d.Figure, d.Rows)))
	}
	return fmt.Sprintf("%s (summary on line %s): %s", where, lineOf(b.SummarySource), strings.Join(parts, "; "))
}

// lineOf returns the line of a "file:line" source.
func lineOf(source string) string {
	if i := strings.LastIndexByte(source, ':'); i >= 0 {
		return source[i+1:]
	}
	return source
}

// figureText shows a bill figure for a message: a count, yuan, or a fee
// with its five decimals.
func figureText(g ingest.Figure, v int64) string {
	switch g {
	case ingest.FigTrades:
		return fmt.Sprint(v)
	case ingest.FigFee:
		return "¥" + ingest.FormatFee(v)
	}
	return Yuan(v)
}

// feeRounds checks a service fee (10⁻⁵ yuan) against base × rate (base in
// fen, rate in millionths): the fee is the product rounded to the fen, at
// an exact half either way (WeChat does not document its rounding), or, as
// very old bills print it, the product itself to 10⁻⁵ yuan. It returns the
// fee rounded half up, for a message.
func feeRounds(base, ppm, fee int64) (want int64, ok bool) {
	prod := base * ppm // 10⁻⁸ yuan; both are bounded (ingest.MaxAmount, 100%)
	lo, rem := prod/1_000_000, prod%1_000_000
	want = lo
	if rem >= 500_000 {
		want = lo + 1
	}
	switch {
	case fee == want*1000:
		return want * 1000, true
	case rem == 500_000 && fee == lo*1000: // an exact half, rounded down
		return want * 1000, true
	}
	// The unrounded product, to 10⁻⁵ yuan.
	d := fee*1000 - prod
	return want * 1000, d > -1000 && d < 1000
}

// serviceFeeException checks a bill row's 手续费 against its base and 费率,
// and returns the SERVICE_FEE_MISMATCH, or nil when it agrees. A payment's
// base is 应结订单金额; a refund's 退款金额, its fee negative (the fee
// returned). Revocations are not checked, nor a Global statement's refunds
// (their settled refund is in a column the job does not read).
func serviceFeeException(p *ingest.Payment) *Exception {
	r := &p.Bill
	if !r.HasFee {
		return nil
	}
	var base, fee int64
	switch {
	case p.Status == ingest.PaymentSuccess:
		base, fee = r.Settlement, r.Fee
	case p.Status == ingest.PaymentRefund && r.SettleCurrency == "":
		base, fee = r.Refund, -r.Fee
	default:
		return nil
	}
	want, ok := feeRounds(base, r.FeeRate, fee)
	if ok {
		return nil
	}
	if p.Status == ingest.PaymentRefund {
		want, fee = -want, -fee
	}
	cur := "¥"
	if r.SettleCurrency != "" {
		cur = r.SettleCurrency + " "
	}
	what := "应结订单金额"
	if p.Status == ingest.PaymentRefund {
		what = "退款金额"
	}
	return &Exception{
		Code: ServiceFeeMismatch, OrderID: p.OrderID, TransactionID: p.TransactionID, Source: p.Source.String(), At: p.PaidAt,
		Message: fmt.Sprintf("手续费 %s%s 与%s %s%s × 费率 %s 不符，应为 %s%s：请向微信支付核对这笔手续费",
			cur, ingest.FormatFee(fee), what, cur, ingest.FormatAmount(base), rateText(r.FeeRate), cur, ingest.FormatFee(want)),
	}
}

// rateText shows a rate in millionths as a percentage: 6000 as "0.6%".
func rateText(ppm int64) string {
	s := fmt.Sprintf("%d.%04d", ppm/10_000, ppm%10_000)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s + "%"
}

// money sums the window's money from the ledger: orders in the window (as
// check counts them), payments and refunds by their own time, each once.
func (l *Ledger) money(w cst.Window) Money {
	m := newMoney(w)
	from, to := w.From.Start().Unix(), w.To.AddDays(1).Start().Unix()
	in := func(t int64) bool { return t >= from && t < to }
	refunds := map[refundKey]bool{}
	count := func(i int32) {
		p := l.payments.at(i)
		if !in(p.paidAt) {
			return
		}
		fee := l.fees.at(i)
		d := m.day(p.paidAt, from)
		global, isGlobal := l.global[i]
		switch p.status {
		case ingest.PaymentSuccess:
			m.Payments.add(p.amount)
			d.Payments.add(p.amount)
			if isGlobal {
				s := m.settlement(global.currency)
				s.Payments.add(global.settle)
				s.ServiceFee += *fee
				return
			}
		default:
			k := refundKey{tx: p.tx, id: l.refundIDs[i], at: p.paidAt, amount: p.amount}
			if refunds[k] {
				return
			}
			refunds[k] = true
			m.Refunds.add(p.amount)
			d.Refunds.add(p.amount)
			if isGlobal {
				s := m.settlement(global.currency)
				s.Refunds.add(global.settle)
				s.ServiceFee += *fee
				return
			}
		}
		settle := *l.settles.at(i)
		m.ServiceFee += *fee
		d.ServiceFee += *fee
		m.Settled += settle
		d.Settled += settle
	}
	// A payment in two bills is one: within an order's payments, each
	// transaction's first successful row counts.
	var seen []key
	for oi := range int32(l.orders.len()) {
		seen = seen[:0]
		for j := l.firstPayment[oi]; j >= 0; j = l.payments.at(j).next {
			p := l.payments.at(j)
			if p.status == ingest.PaymentSuccess {
				if slices.Contains(seen, p.tx) {
					continue
				}
				seen = append(seen, p.tx)
			}
			count(j)
		}
	}
	orphans := map[key]bool{}
	for i := range int32(l.payments.len()) {
		p := l.payments.at(i)
		if !p.orphan {
			continue
		}
		if p.status == ingest.PaymentSuccess {
			if orphans[p.tx] {
				continue
			}
			orphans[p.tx] = true
		}
		count(i)
	}
	slices.SortFunc(m.Settlements, func(a, b Settlement) int { return strings.Compare(a.Currency, b.Currency) })
	return m
}

// refundKey identifies a refund row by its transaction, refund id ("" when
// the bill has none), time and amount: the same refund in two bills is one
// row, two refunds of one payment are two.
type refundKey struct {
	tx     key
	id     string
	at     int64
	amount int64
}

// globalRow is what a Global statement's row settles, beside the CNY it
// was paid in.
type globalRow struct {
	settle   int64 // 应结订单金额, in the currency's hundredths
	currency string
}

// addOrder counts an order of the window in m.
func (m *Money) addOrder(o *order, from int64) {
	m.Orders.add(o.orderFee)
	if d := m.day(o.paidAt, from); d != nil {
		d.Orders.add(o.orderFee)
	}
}

// AddDeclared counts an accepted declaration of an order paid at paidAt.
func (m *Money) AddDeclared(orderFee int64, paidAt time.Time) {
	m.Declared.add(orderFee)
	if len(m.Days) == 0 {
		return
	}
	if d := m.day(paidAt.Unix(), m.Days[0].Date.Start().Unix()); d != nil {
		d.Declared.add(orderFee)
	}
}
