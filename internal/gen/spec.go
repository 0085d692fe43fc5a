package gen

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/crossborder/reconcile/internal/cst"
)

// Spec says what to generate.
type Spec struct {
	// Day is the night the exports are for; 2026-11-20 when zero. A dry
	// run of the window Day must report what the Manifest says.
	Day cst.Date
	// Orders is the number of order slots: paid orders in the window
	// before the anomalies that take an order out of it (Orphan,
	// InvalidRow, Unpaid, OutsideWindow) or add rows (OrderDuplicate,
	// IdenticalRepeat, PaidLater, PaymentDuplicate, ...).
	Orders int
	// Seed decides every random choice: the same Spec writes the same bytes.
	Seed uint64
	// GBK writes the order exports and the WeChat bills in GBK (GB18030)
	// instead of UTF-8 (the bill with a BOM, as the API downloads it).
	// ASCII stays ASCII either way. The clearance file is always UTF-8.
	GBK bool
	// Customs, when not empty, adds a 申报海关 column to the order exports
	// holding this code (empty on NoCustoms orders); the run is then made
	// without --customs. When empty the exports have no customs column and
	// the run needs --customs (Manifest.DefaultCustoms).
	Customs string
	// Shares is the fraction of the Orders slots given each anomaly (for
	// CallbackInvalid: the fraction of Clearance added as invalid rows).
	// Counts are rounded to the nearest integer; the order anomalies may
	// not add up to more than 1. Each slot has at most one anomaly.
	Shares map[Anomaly]float64
	// Clearance is the number of valid clearance rows (all in the window);
	// Shares[CallbackInvalid] adds invalid ones.
	Clearance int
	// NextDayBill writes the payments dated the day after Day (payments
	// just after midnight, refunds, repeats) to a second bill, the next
	// day's, as WeChat does. Without it they stay in the day's bill.
	NextDayBill bool
	// Global, a settlement currency (HKD, USD, …; SettleCurrencies),
	// writes the bills as WeChat Pay Global statements, as an overseas
	// merchant gets them: 38 columns; the buyer's CNY in 用户支付金额 (what
	// the job matches and declares) and 订单金额(标价币种); 应结订单金额,
	// 手续费 and a refund's 退款应结订单金额 in the currency, settled at a
	// fixed rate of the night (支付汇率); no coupons; no summary line (its
	// layout is not documented, and the job requires none, so edits and
	// truncations go unseen: no BILL_MISMATCH). Not with PasteBills.
	Global string
	// PasteBills writes the day's bill and the next day's (the rows dated
	// after Day, as NextDayBill splits them) pasted into one file, section
	// after section, each with its header and summary, as staff paste
	// several days' bills: wechat_trade_all_<Day>_<Day+1>.csv. A day's bill
	// that is truncated (TruncatedBill) is pasted last: a header right
	// below rows, with no summary between, is no section's. Every section
	// ties out, and no row is lost.
	PasteBills bool
	// XLSX writes the order exports as 千牛 seller-workbench workbooks
	// (.xlsx, date cells, numeric amounts) instead of the classic Tmall
	// CSV; GBK then applies to the bills only. Meant for small sizes: it
	// is much slower than CSV.
	XLSX bool
	// FeeRate is the merchant's 费率 in basis points (0.01%), printed in
	// every bill row: 60 is 0.60%, DefaultFeeRate, used when FeeRate is 0.
	// From 1 to MaxFeeRate. A payment row's 手续费 is its 应结订单金额 ×
	// FeeRate rounded to the fen (half up), a refund row's −退款金额 ×
	// FeeRate, printed with five decimals, as WeChat Pay does.
	FeeRate int
}

// feeRate returns the Spec's 费率 in basis points, the default for 0.
func (s *Spec) feeRate() int {
	if s.FeeRate == 0 {
		return DefaultFeeRate
	}
	return s.FeeRate
}

// DefaultFeeRate is the 费率 of Spec.FeeRate 0: 0.60%, WeChat Pay's
// standard rate, in basis points.
const DefaultFeeRate = 60

// MaxFeeRate bounds Spec.FeeRate: 10%, in basis points.
const MaxFeeRate = 1000

// Anomaly is one situation the job must recognise. Each is given to a
// share of the order slots (CallbackInvalid: of the clearance rows); the
// Manifest says what it produces.
type Anomaly string

// The anomalies, and what a dry run of the window Day reports for each.
const (
	// FeeMismatch: 总金额 ≠ 货款 + 邮费 (off by 0.01 to 10.00); the payment
	// matches the 总金额. FEE_MISMATCH.
	FeeMismatch Anomaly = "fee_mismatch"
	// PaymentMissing: a paid order without a payment row. PAYMENT_MISSING.
	PaymentMissing Anomaly = "payment_missing"
	// PaymentDuplicate: two successful payments with distinct transaction
	// ids, minutes apart. PAYMENT_DUPLICATE.
	PaymentDuplicate Anomaly = "payment_duplicate"
	// AmountMismatch: the 订单金额 paid differs from the 总金额 (a price
	// changed after the order). AMOUNT_MISMATCH.
	AmountMismatch Anomaly = "amount_mismatch"
	// Refunded: a REFUND row (full or partial) with the payment's
	// transaction id, dated the next day (in the next day's bill with
	// NextDayBill) or, 3 times in 10 for a payment before 20:00, later the
	// same day (before it was shipped). PAYMENT_REFUNDED.
	Refunded Anomaly = "refunded"
	// Revoked: the payment row has status REVOKED (no success).
	// PAYMENT_REFUNDED.
	Revoked Anomaly = "revoked"
	// Orphan: a successful payment in the window whose order is in no
	// export (the order row is not written). PAYMENT_ORPHAN.
	Orphan Anomaly = "orphan"
	// OrderDuplicate: the order again in a second orders export with
	// another 邮费 and 总金额. ORDER_DUPLICATE.
	OrderDuplicate Anomaly = "order_duplicate"
	// IdenticalRepeat: the same order row again in a second orders export.
	// Merged; eligible, no exception.
	IdenticalRepeat Anomaly = "identical_repeat"
	// PaidLater: the first export shows the order unpaid (等待买家付款, no
	// payment time), a second export shows it paid. Merged; eligible.
	PaidLater Anomaly = "paid_later"
	// InvalidRow: an order row the reader refuses: an id Excel turned into
	// scientific notation (its payment, whose order id the job cannot
	// know, is then also a PAYMENT_ORPHAN), an amount with 3 decimals, or a
	// date that does not exist. INPUT_INVALID (+ PAYMENT_ORPHAN for the
	// first kind).
	InvalidRow Anomaly = "invalid_row"
	// Unpaid: 等待买家付款 or 交易关闭 without a payment time (or with the
	// all-zero one), or 交易关闭 with a payment and its full refund. Counted
	// in OrdersUnpaid; no exception.
	Unpaid Anomaly = "unpaid"
	// Midnight: paid at 23:59:3x, the payment at 00:00:xx the next day (in
	// the next day's bill with NextDayBill). Eligible; no exception.
	Midnight Anomaly = "midnight"
	// OutsideWindow: paid the day before (with its payment in the day
	// before's bill, not written, or at 00:00:xx of Day in the day's bill)
	// or just after midnight the day after. Not in the window; the payment
	// at 00:00:xx is matched, so no PAYMENT_ORPHAN. No exception.
	OutsideWindow Anomaly = "outside_window"
	// PaymentRepeat: the same payment row (same transaction id) appears
	// twice, in the next day's bill with NextDayBill (a bill downloaded
	// twice). Counted once; eligible.
	PaymentRepeat Anomaly = "payment_repeat"
	// NoCustoms: the order's 申报海关 cell is empty while the run has no
	// --customs. Needs Spec.Customs. INPUT_INVALID.
	NoCustoms Anomaly = "no_customs"
	// FeeError: the payment row's 手续费 is off by a fen (half the time)
	// or by 0.02 to 1.00, up or down, from 应结订单金额 × 费率 rounded to
	// the fen; its bill's summary adds it up as written, so the bill ties
	// out. SERVICE_FEE_MISMATCH; the order is eligible all the same.
	FeeError Anomaly = "fee_error"
	// FeeHalfDown: 应结订单金额 × 费率 is an exact half fen (at 0.60%, an
	// amount ending in x2.50 or x7.50 yuan: 货款 is lowered to one, or
	// raised for a small order settled in a currency worth less than the
	// yuan; the payment has no coupon) and 手续费 rounds it down, where the
	// generator's fees round half up: either way is accepted. Eligible; no
	// exception. Needs a 费率 at which an amount can have an exact half
	// (not, e.g., 0.16%).
	FeeHalfDown Anomaly = "fee_half_down"
	// LegacyFee: 手续费 is the unrounded product 应结订单金额 × 费率 to
	// 10⁻⁵ yuan, as very old bills print it (0.82800 for 138.00 at 0.60%;
	// 货款 is lowered by a fen or so where the product is a whole fen or
	// rounds to one, and the payment has no coupon). Accepted: eligible,
	// no exception.
	LegacyFee Anomaly = "legacy_fee"
	// EditedBill: a row deleted from its bill, the bill's summary left as
	// it was: the order's payment (PAYMENT_MISSING) or, one time in
	// three, the refund (dated the next day) of a refunded order, which
	// then looks clean (eligible). Its section does not tie out: one
	// BILL_MISMATCH per section that lost a row, and a run declares
	// nothing (Manifest.HeldBack). A Global statement has no summary: its
	// edits go unseen, and only the orders' exceptions remain.
	EditedBill Anomaly = "edited_bill"
	// TruncatedBill: the day's bill ends early, as a download cut short:
	// its last rows, the payments of these slots (orders paid late in the
	// day, the last slots), and its summary are missing. PAYMENT_MISSING
	// for each, and one BILL_MISMATCH for the section without a summary
	// (none for a Global statement, which never has one); a run declares
	// nothing (Manifest.HeldBack).
	TruncatedBill Anomaly = "truncated_bill"
	// CallbackInvalid: a clearance row without an idempotency key, with a
	// status other than 1 or 2, or repeating an earlier row's key and
	// status with another result. CALLBACK_INVALID. Its share is of
	// Spec.Clearance.
	CallbackInvalid Anomaly = "callback_invalid"
)

// anomalies lists the anomalies in a fixed order: counts are assigned in
// it, so that a Spec always means the same slots whatever a map's order.
var anomalies = []Anomaly{
	FeeMismatch, PaymentMissing, PaymentDuplicate, AmountMismatch, Refunded, Revoked, Orphan,
	OrderDuplicate, IdenticalRepeat, PaidLater, InvalidRow, Unpaid, Midnight, OutsideWindow,
	PaymentRepeat, NoCustoms, FeeError, FeeHalfDown, LegacyFee, EditedBill, TruncatedBill, CallbackInvalid,
}

// Anomalies returns every anomaly, in a fixed order.
func Anomalies() []Anomaly { return append([]Anomaly(nil), anomalies...) }

// shortNames are the CLI's names for the anomalies.
var shortNames = map[string]Anomaly{
	"fee": FeeMismatch, "missing": PaymentMissing, "paydup": PaymentDuplicate, "amount": AmountMismatch,
	"refund": Refunded, "revoked": Revoked, "orphan": Orphan, "orderdup": OrderDuplicate,
	"repeat": IdenticalRepeat, "paidlater": PaidLater, "invalid": InvalidRow, "unpaid": Unpaid,
	"midnight": Midnight, "outside": OutsideWindow, "payrepeat": PaymentRepeat, "nocustoms": NoCustoms,
	"callback": CallbackInvalid, "feeerror": FeeError, "halfdown": FeeHalfDown, "legacyfee": LegacyFee,
	"edited": EditedBill, "truncated": TruncatedBill,
}

// ParseAnomaly returns the anomaly named s: its full name (fee_mismatch)
// or its short name (fee, missing, paydup, amount, refund, revoked, orphan,
// orderdup, repeat, paidlater, invalid, unpaid, midnight, outside,
// payrepeat, nocustoms, feeerror, halfdown, legacyfee, edited, truncated,
// callback).
func ParseAnomaly(s string) (Anomaly, error) {
	if a, ok := shortNames[s]; ok {
		return a, nil
	}
	for _, a := range anomalies {
		if string(a) == s {
			return a, nil
		}
	}
	names := make([]string, 0, len(shortNames))
	for n := range shortNames {
		names = append(names, n)
	}
	sort.Strings(names)
	return "", fmt.Errorf("unknown anomaly %q: want one of %s (or the long names such as fee_mismatch)", s, strings.Join(names, ", "))
}

// ParseShares parses "fee=0.01,missing=0.005,…" into Shares. An empty
// string is no anomaly. A share is a fraction from 0 to 1, or a percentage
// with %: fee=1% is fee=0.01.
func ParseShares(s string) (map[Anomaly]float64, error) {
	out := map[Anomaly]float64{}
	if strings.TrimSpace(s) == "" {
		return out, nil
	}
	for _, part := range strings.Split(s, ",") {
		name, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return nil, fmt.Errorf("share %q: want name=fraction, e.g. fee=0.01", part)
		}
		a, err := ParseAnomaly(strings.TrimSpace(name))
		if err != nil {
			return nil, err
		}
		val = strings.TrimSpace(val)
		scale := 1.0
		if strings.HasSuffix(val, "%") {
			val, scale = strings.TrimSuffix(val, "%"), 0.01
		}
		f, err := strconv.ParseFloat(val, 64)
		if err != nil || math.IsNaN(f) || f*scale < 0 || f*scale > 1 {
			return nil, fmt.Errorf("share %q: want a fraction from 0 to 1 (or a percentage such as 1%%)", part)
		}
		out[a] = f * scale
	}
	return out, nil
}

// ParseFeeRate parses a 费率 as a percentage with at most two decimals,
// 0.60% or 0.6%, into basis points (60), as Spec.FeeRate takes it.
func ParseFeeRate(s string) (int, error) {
	bad := fmt.Errorf("fee rate %q: want a percentage with at most two decimals from 0.01%% to %s, e.g. 0.60%%", s, rateText(MaxFeeRate))
	v, ok := strings.CutSuffix(strings.TrimSpace(s), "%")
	if !ok {
		return 0, bad
	}
	whole, frac, _ := strings.Cut(v, ".")
	if whole == "" || len(whole) > 4 || len(frac) > 2 || !digitsOnly(whole) || !digitsOnly(frac) {
		return 0, bad
	}
	frac += "00"[len(frac):]
	w, _ := strconv.Atoi(whole)
	f, _ := strconv.Atoi(frac)
	bp := w*100 + f
	if bp < 1 || bp > MaxFeeRate {
		return 0, bad
	}
	return bp, nil
}

func digitsOnly(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// rateText shows a rate in basis points as a bill prints it: 60 as 0.60%.
func rateText(bp int) string {
	return strconv.Itoa(bp/100) + "." + string([]byte{byte('0' + bp/10%10), byte('0' + bp%10)}) + "%"
}

// DefaultDay is the night generated when Spec.Day is zero.
var DefaultDay = cst.Date{Year: 2026, Month: 11, Day: 20}

// DefaultCustoms is the --customs code the Manifest asks for when the
// exports have no customs column.
const DefaultCustoms = "HANGZHOU"

// MaxOrders bounds Spec.Orders: ids and transaction numbers stay unique
// far beyond it, and the generator holds one byte per slot.
const MaxOrders = 100_000_000

// counts turns the shares into the number of slots (or clearance rows)
// of each anomaly, in the fixed order of anomalies; it checks the Spec.
func (s *Spec) counts() (map[Anomaly]int, error) {
	if s.Orders < 0 || s.Orders > MaxOrders {
		return nil, fmt.Errorf("orders: %d is out of range 0..%d", s.Orders, MaxOrders)
	}
	if s.Clearance < 0 || s.Clearance > MaxOrders {
		return nil, fmt.Errorf("clearance: %d is out of range 0..%d", s.Clearance, MaxOrders)
	}
	known := map[Anomaly]bool{}
	for _, a := range anomalies {
		known[a] = true
	}
	for a, f := range s.Shares {
		if !known[a] {
			return nil, fmt.Errorf("unknown anomaly %q", a)
		}
		if math.IsNaN(f) || f < 0 || f > 1 {
			return nil, fmt.Errorf("share of %s: %v is not a fraction from 0 to 1", a, f)
		}
	}
	var total float64
	for _, a := range anomalies {
		if a != CallbackInvalid {
			total += s.Shares[a]
		}
	}
	if total > 1+1e-9 {
		return nil, fmt.Errorf("the order anomalies' shares add up to %.4g, more than 1", total)
	}
	if s.Shares[NoCustoms] > 0 && s.Customs == "" {
		return nil, errors.New("no_customs needs a customs code (Spec.Customs, -customs): without a customs column every order takes the run's --customs")
	}
	if s.FeeRate < 0 || s.FeeRate > MaxFeeRate {
		return nil, fmt.Errorf("fee rate: %d basis points is out of range 1..%d (0 for %s)", s.FeeRate, MaxFeeRate, rateText(DefaultFeeRate))
	}
	if err := checkGlobal(s.Global); err != nil {
		return nil, err
	}
	if s.PasteBills && s.Global != "" {
		return nil, errors.New("paste bills with a Global statement: a Global statement has no summary line, so nothing would end its first section")
	}
	if _, _, ok := halfClass(s.feeRate()); !ok && s.Shares[FeeHalfDown] > 0 {
		return nil, fmt.Errorf("fee_half_down: at a 费率 of %s no amount in fen has a fee of an exact half fen", rateText(s.feeRate()))
	}
	if s.Customs != "" && !plainASCII(s.Customs) {
		return nil, fmt.Errorf("customs %q: want a code of ASCII letters, digits, _ or -", s.Customs)
	}
	n := map[Anomaly]int{}
	left := s.Orders
	for _, a := range anomalies {
		if a == CallbackInvalid {
			n[a] = int(math.Round(s.Shares[a] * float64(s.Clearance)))
			continue
		}
		k := min(int(math.Round(s.Shares[a]*float64(s.Orders))), left)
		n[a] = k
		left -= k
	}
	return n, nil
}

func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
