package gen

import (
	"math/rand/v2"
	"slices"
	"strconv"

	"github.com/crossborder/reconcile/internal/cst"
)

// A generated night is a sequence of order slots. Everything about slot i
// (its order rows, its payment rows) is a pure function of the Spec and i
// (see plan.slot), so that the order writer, the bill writer and the
// manifest each compute it on their own, concurrently, and agree.

// Times are seconds from Day 00:00 UTC+8: negative the day before, 86400
// and more the day after. Three values are not times.
const (
	timeNone  int32 = -1 << 30 // an empty 订单付款时间
	timeZero  int32 = timeNone + 1
	secPerDay       = 86400
)

// Order copy flags: how a copy of an order is written.
const (
	invNone      = iota
	invMangledID // the id in scientific notation, as Excel leaves it
	invAmount    // 总金额 with 3 decimals
	invDate      // a payment time on a day that does not exist
)

// orderRow is one copy of an order in an orders export.
type orderRow struct {
	present   bool
	status    uint8
	invalid   uint8
	customs   bool  // the 申报海关 cell holds Spec.Customs (when there is the column)
	paid      int32 // 订单付款时间, or timeNone/timeZero
	transport int64 // fen
	fee       int64 // 总金额, fen
}

// Payment row statuses.
const (
	paySuccess = iota
	payRefund
	payRevoked
)

// payRow is one row of a WeChat bill. What it says of money (its
// figures) follows from these fields and the plan's rate: see rowFigures.
type payRow struct {
	status  uint8
	nextDay bool   // belongs to the next day's bill (with Spec.NextDayBill)
	at      int32  // 交易时间
	txDay   int32  // the day of the transaction id: 0 for Day, -1, 1
	tx      uint64 // the transaction's number, unique in the night
	amount  int64  // what the buyer paid, CNY (the original payment's, on a refund row)
	coupon  int64  // the payment's 免充值券: 应结订单金额 = amount - coupon
	refund  int64  // 申请退款金额, refund rows only
	feeHow  uint8  // how a payment's 手续费 is rounded: feeRounded, …
	feeOff  int64  // with feeOff: the fen 手续费 is off by
	lost    uint8  // lostNone, or why the row is not in its bill
}

// Why a row of the plan is not in its bill (payRow.lost).
const (
	lostNone    = iota
	lostDeleted // deleted from the bill, its summary left as it was (EditedBill)
	lostCut     // cut off with the tail of a truncated bill (TruncatedBill)
)

// slot is everything about one order slot.
type slot struct {
	i       int
	kind    uint8 // index into anomalies + 1; 0 for a normal order
	id      uint64
	prod    int // index into products
	qty     int
	product int64 // 买家应付货款, fen
	copies  [2]orderRow
	pays    [3]payRow
	npay    int
	r       rng // the slot's stream after the shared draws: the writers' filler
}

func (s *slot) anomaly() Anomaly {
	if s.kind == 0 {
		return ""
	}
	return anomalies[s.kind-1]
}

// plan is a Spec made ready: the anomaly of each slot and the constants of
// the night.
type plan struct {
	spec     Spec
	n        int
	kinds    []uint8 // per slot
	counts   map[Anomaly]int
	days     [3]dayText // Day-1, Day, Day+1
	idPerm   perm       // the order ids' middle digits, mod 10^13
	txPerm   perm       // the transaction numbers, mod 10^10
	mch      [4]byte    // the 4 merchant digits of transaction ids
	appID    [16]byte   // the hex digits of the 公众账号ID after "wx"
	mchID    [10]byte   // 商户号
	keyPerm  perm       // the idempotency keys, mod 36^11
	cdf      [25]int64
	cdfTotal int64
	ppm      int64  // the 费率 in millionths
	rate     []byte // the 费率 as printed: 0.60%
	// The settled amounts (fen) whose fee is an exact half fen: halfAt
	// modulo halfPeriod (see halfClass).
	halfAt, halfPeriod int64
	// global is set for Global statements: settled at fx, in millionths
	// of the currency per yuan (10⁶ for CNY), printed as fxText.
	global bool
	fx     int64
	fxText []byte
}

// dayText is a day's date in the forms the exports use.
type dayText struct {
	dash    [11]byte // "2026-11-20 "
	slash   [11]byte // "2026/11/20 "
	short   []byte   // "2026/11/20 " without leading zeros in month and day: "2026/1/2 "
	compact [8]byte  // "20261120"
	bad     [11]byte // "2026-11-32 ": a day that does not exist
}

func newDayText(d cst.Date) dayText {
	var t dayText
	s := d.String()
	copy(t.dash[:], s+" ")
	copy(t.slash[:], s[:4]+"/"+s[5:7]+"/"+s[8:]+" ")
	t.short = []byte(strconv.Itoa(d.Year) + "/" + strconv.Itoa(int(d.Month)) + "/" + strconv.Itoa(d.Day) + " ")
	copy(t.compact[:], s[:4]+s[5:7]+s[8:])
	copy(t.bad[:], s[:8]+"32 ")
	return t
}

// hourWeights is the share of a day's orders paid in each hour: quiet at
// night, a morning rise, the evening peak.
var hourWeights = [24]int64{40, 22, 12, 7, 5, 5, 10, 22, 40, 55, 65, 62, 58, 60, 62, 62, 60, 55, 55, 70, 90, 100, 95, 70}

const (
	idMod = 10_000_000_000_000 // 10^13
	txMod = 10_000_000_000     // 10^10
)

func newPlan(s Spec) (*plan, error) {
	if s.Day.IsZero() {
		s.Day = DefaultDay
	}
	counts, err := s.counts()
	if err != nil {
		return nil, err
	}
	s.FeeRate = s.feeRate()
	p := &plan{spec: s, n: s.Orders, counts: counts, ppm: int64(s.FeeRate) * 100, rate: []byte(rateText(s.FeeRate))}
	p.halfAt, p.halfPeriod, _ = halfClass(s.FeeRate)
	p.fx = 1_000_000
	if s.Global != "" {
		p.global, p.fx = true, settleRates[s.Global]
		p.fxText = []byte(fxText(p.fx))
	}
	for k := -1; k <= 1; k++ {
		p.days[k+1] = newDayText(s.Day.AddDays(k))
	}
	var r rng
	r.seed(s.Seed, 1<<62)
	p.idPerm, p.txPerm, p.keyPerm = newPerm(idMod, r.u64()), newPerm(txMod, r.u64()), newPerm(keyMod, r.u64())
	copy(p.mch[:], strconv.Itoa(1000+r.intn(9000)))
	for k := range p.appID {
		p.appID[k] = "0123456789abcdef"[r.intn(16)]
	}
	copy(p.mchID[:], strconv.Itoa(1_900_000_000+r.intn(100_000_000)))
	for h, w := range hourWeights {
		p.cdf[h+1] = p.cdf[h] + w*3600
	}
	p.cdfTotal = p.cdf[24]

	// The anomaly of each slot: the counts in a fixed order, then a
	// Fisher-Yates shuffle with the Spec's seed; TruncatedBill takes the
	// last slots, the tail of the day's bill.
	p.kinds = make([]uint8, p.n)
	at, cut := 0, counts[TruncatedBill]
	for k, a := range anomalies {
		if a == CallbackInvalid || a == TruncatedBill {
			continue
		}
		for j := 0; j < counts[a]; j++ {
			p.kinds[at] = uint8(k + 1)
			at++
		}
	}
	shuffle := rand.New(rand.NewPCG(s.Seed, 0x9e3779b97f4a7c15))
	shuffle.Shuffle(p.n-cut, func(i, j int) { p.kinds[i], p.kinds[j] = p.kinds[j], p.kinds[i] })
	for i := p.n - cut; i < p.n; i++ {
		p.kinds[i] = uint8(slices.Index(anomalies, TruncatedBill) + 1)
	}
	return p, nil
}

// orderID returns slot i's order id: 19 digits, 51… like the Taobao ids of
// the time, unique among the slots (the middle 13 digits are a keyed
// permutation of i), ending with 4 digits of the buyer's id.
func (p *plan) orderID(i int, buyer uint64) uint64 {
	mid := p.idPerm.apply(uint64(i))
	return 5_100_000_000_000_000_000 + mid*10_000 + buyer%10_000
}

// txNumber returns the 10 unique digits of transaction number j.
func (p *plan) txNumber(j uint64) uint64 { return p.txPerm.apply(j) }

// timeOf returns slot i's payment time in [0, 86340): the slots are in
// time order, spread over the day by hourWeights.
func (p *plan) timeOf(i int, r *rng) int32 {
	x := (int64(i)*p.cdfTotal + int64(r.intn(p.n))) / int64(p.n) // [0, cdfTotal)
	h := 0
	for p.cdf[h+1] <= x {
		h++
	}
	sec := int64(h)*3600 + (x-p.cdf[h])/hourWeights[h]
	return int32(sec * (secPerDay - 60) / secPerDay)
}

// transport fees, fen, and how often each (per mille, cumulative order).
var transportFees = []int64{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 600, 800, 1000, 1200, 1500, 2000}

// maxOrderFen is the cross-border retail limit per order, 5,000 CNY.
const maxOrderFen = 500_000

// slot computes slot i into s.
func (p *plan) slot(i int, s *slot) {
	*s = slot{i: i, kind: p.kinds[i]}
	r := &s.r
	r.seed(p.spec.Seed, uint64(i))
	s.id = p.orderID(i, r.u64())
	s.prod = r.intn(len(products))
	price := products[s.prod].price
	s.qty = 1
	if q := r.intn(100); q >= 80 {
		s.qty = 2 + q/95
	}
	for s.qty > 1 && price*int64(s.qty) > maxOrderFen-2000 {
		s.qty--
	}
	s.product = price * int64(s.qty)
	if r.permille(200) {
		s.product -= int64(r.intn(int(price / 10))) // a shop discount: odd cents
	}
	transport := transportFees[r.intn(len(transportFees))]
	base := p.timeOf(i, r)
	delay := int32(r.between(1, 30))
	var coupon int64
	if r.permille(50) {
		coupon = []int64{300, 500, 1000}[r.intn(3)]
	}
	status := uint8(stPaid)
	if q := r.intn(100); q >= 80 {
		status = stShipped
		if q >= 92 {
			status = stDone
		}
	}
	v := r.u64()     // which variant of an anomaly
	delta := r.u64() // how far off an amount is

	switch s.anomaly() {
	case FeeHalfDown:
		s.product = p.halfAmount(s.product+transport, transport+100) - transport
		coupon = 0
	case LegacyFee:
		s.product = p.unroundedAmount(s.product+transport) - transport
		coupon = 0
	}
	fee := s.product + transport
	first := orderRow{present: true, status: status, customs: true, paid: base, transport: transport, fee: fee}
	pay := payRow{status: paySuccess, at: base + delay, tx: 2 * uint64(i), amount: fee}
	if coupon > 0 && fee >= coupon+100 && !p.global {
		pay.coupon = coupon
	}
	s.copies[0] = first
	addPay := func(q payRow) {
		q.nextDay = q.nextDay || q.at >= secPerDay
		s.pays[s.npay] = q
		s.npay++
	}
	// refundAt is a time the next day, in office hours.
	refundAt := func() int32 { return secPerDay + int32(8*3600+(delta>>32)%(14*3600)) }

	switch s.anomaly() {
	case "", IdenticalRepeat, PaymentRepeat:
		addPay(pay)
		switch s.anomaly() {
		case IdenticalRepeat:
			second := first
			second.status = max(first.status, stShipped) // exported again later
			s.copies[1] = second
		case PaymentRepeat:
			again := pay
			again.nextDay = true
			addPay(again)
		}
	case FeeMismatch:
		d := int64(1 + delta%1000)
		if v&1 == 0 || fee < d {
			s.copies[0].fee = fee + d
		} else {
			s.copies[0].fee = fee - d
		}
		pay.amount, pay.coupon = s.copies[0].fee, 0
		addPay(pay)
	case PaymentMissing:
	case PaymentDuplicate:
		addPay(pay)
		again := pay
		again.at += int32(60 + (delta>>8)%1800)
		again.tx++
		addPay(again)
	case AmountMismatch:
		d := int64(1 + delta%2000)
		pay.coupon = 0
		if v&1 == 0 || fee <= d {
			pay.amount = fee + d
		} else {
			pay.amount = fee - d
		}
		addPay(pay)
	case Refunded:
		addPay(pay)
		ref := pay
		ref.status, ref.at, ref.refund = payRefund, refundAt(), fee
		if (v>>8)%10 < 3 && pay.at < secPerDay-4*3600 {
			// Refunded the same day, before it was shipped.
			ref.at = pay.at + 1800 + int32((v>>16)%uint64(secPerDay-4*3600-pay.at))
		}
		if v%10 >= 7 && fee > 100 {
			ref.refund = 100 * int64(1+(delta>>40)%uint64((fee-1)/100)) // a part, whole yuan
		}
		addPay(ref)
	case Revoked:
		pay.status, pay.coupon = payRevoked, 0
		addPay(pay)
	case Orphan:
		s.copies[0].present = false
		addPay(pay)
	case OrderDuplicate:
		second := first
		second.transport += int64(100 * (1 + delta%10))
		second.fee = s.product + second.transport
		s.copies[1] = second
		addPay(pay)
	case PaidLater:
		s.copies[0].status, s.copies[0].paid = stWaitPay, timeNone
		second := first
		s.copies[1] = second
		addPay(pay)
	case InvalidRow:
		s.copies[0].invalid = uint8(invMangledID + v%3)
		addPay(pay)
	case Unpaid:
		c := &s.copies[0]
		switch v % 4 {
		case 0:
			c.status, c.paid = stWaitPay, timeNone
		case 1:
			c.status, c.paid = stWaitPay, timeZero
		case 2:
			c.status, c.paid = stClosed, timeNone
		case 3: // paid, refunded in full, closed
			c.status = stClosed
			addPay(pay)
			ref := pay
			ref.status, ref.at, ref.refund = payRefund, refundAt(), fee
			addPay(ref)
		}
	case Midnight:
		s.copies[0].paid = secPerDay - int32(1+v%30)
		pay.at, pay.txDay = secPerDay+int32(delta%30), 1
		addPay(pay)
	case OutsideWindow:
		c := &s.copies[0]
		switch v % 3 {
		case 0: // the day before; its payment is in that day's bill
			c.paid = -secPerDay + 8*3600 + int32(delta%(14*3600))
		case 1: // 23:59:3x the day before, paid at 00:00:xx of Day
			c.paid = -int32(1 + v/3%30)
			pay.at, pay.txDay = int32(delta%30), 0
			addPay(pay)
		case 2: // just after midnight, the day after
			c.paid = secPerDay + int32(delta%1800)
			pay.at, pay.txDay = c.paid+delay, 1
			addPay(pay)
		}
	case NoCustoms:
		s.copies[0].customs = false
		addPay(pay)
	case FeeError:
		// Off by a fen or by 0.02 to 1.00; down unless the fee is smaller,
		// or it is an exact half (rounded down, it would be accepted).
		d := int64(1)
		if v&2 != 0 {
			d = 2 + int64(delta%99)
		}
		prod := p.settled(pay.amount-pay.coupon) * p.ppm
		if v&4 != 0 && (prod+500_000)/1_000_000 >= d && prod%1_000_000 != 500_000 {
			d = -d
		}
		pay.feeHow, pay.feeOff = feeOff, d
		addPay(pay)
	case FeeHalfDown:
		pay.feeHow = feeHalfDown
		addPay(pay)
	case LegacyFee:
		pay.feeHow = feeLegacy
		addPay(pay)
	case EditedBill:
		if v%3 == 2 { // the refund deleted
			addPay(pay)
			ref := pay
			ref.status, ref.at, ref.refund, ref.lost = payRefund, refundAt(), fee, lostDeleted
			addPay(ref)
		} else {
			pay.lost = lostDeleted
			addPay(pay)
		}
	case TruncatedBill:
		pay.at = min(pay.at, secPerDay-1)
		pay.lost = lostCut
		addPay(pay)
	}
}

// outcome is what a dry run of the window Day reports of a slot.
type outcome struct {
	ordersRead  int // distinct orders read
	inWindow    int
	unpaid      int
	eligible    int
	rowsInvalid int
	orderFen    int64     // the 总金额 of an order in the window
	exceptions  [2]string // up to two exception codes
}

// The exception codes (internal/batch's, which this package does not
// import: batch's own tests may use the generator).
const (
	codeInputInvalid     = "INPUT_INVALID"
	codeOrderDuplicate   = "ORDER_DUPLICATE"
	codeFeeMismatch      = "FEE_MISMATCH"
	codePaymentMissing   = "PAYMENT_MISSING"
	codePaymentDuplicate = "PAYMENT_DUPLICATE"
	codeAmountMismatch   = "AMOUNT_MISMATCH"
	codePaymentRefunded  = "PAYMENT_REFUNDED"
	codePaymentOrphan    = "PAYMENT_ORPHAN"
	codeCallbackInvalid  = "CALLBACK_INVALID"
	codeBillMismatch     = "BILL_MISMATCH"
	codeServiceFee       = "SERVICE_FEE_MISMATCH"
)

// Codes returns every exception code a run can report, in the order of
// docs/design.md#exception-codes: the keys of Manifest.Exceptions.
func Codes() []string { return append([]string(nil), codes...) }

var codes = []string{
	codeInputInvalid, codeOrderDuplicate, codeFeeMismatch, codePaymentMissing, codePaymentDuplicate,
	codeAmountMismatch, codePaymentRefunded, codePaymentOrphan, "MATERIALS_INVALID", "LIMIT_EXCEEDED", "DECLARE_REJECTED",
	"DECLARE_CONFLICT", "DECLARE_ERROR", "DECLARE_STUCK", codeCallbackInvalid, "CALLBACK_REJECTED", "CALLBACK_ERROR",
	codeBillMismatch, codeServiceFee,
}

// outcome returns what the job must make of slot s: by the rules of
// docs/design.md#the-checks (each order in the window ends eligible or with its first
// failing check; a successful payment in the window without an order is an
// orphan), worked out from what the slot is rather than by rerunning the
// job's code.
func (p *plan) outcome(s *slot) outcome {
	var o outcome
	inWindow := func(eligible bool, code string) {
		o.ordersRead, o.inWindow, o.orderFen = 1, 1, s.copies[0].fee
		if eligible {
			o.eligible = 1
		}
		o.exceptions[0] = code
	}
	switch s.anomaly() {
	case "", IdenticalRepeat, PaidLater, Midnight, PaymentRepeat, FeeHalfDown, LegacyFee:
		inWindow(true, "")
	case FeeError:
		inWindow(true, "")
		o.exceptions[1] = codeServiceFee
	case FeeMismatch:
		inWindow(false, codeFeeMismatch)
	case PaymentMissing, TruncatedBill:
		inWindow(false, codePaymentMissing)
	case EditedBill:
		if s.pays[0].lost == lostNone { // only its refund was deleted
			inWindow(true, "")
		} else {
			inWindow(false, codePaymentMissing)
		}
	case PaymentDuplicate:
		inWindow(false, codePaymentDuplicate)
	case AmountMismatch:
		inWindow(false, codeAmountMismatch)
	case Refunded, Revoked:
		inWindow(false, codePaymentRefunded)
	case OrderDuplicate:
		inWindow(false, codeOrderDuplicate)
	case NoCustoms:
		inWindow(false, codeInputInvalid)
	case Orphan:
		o.exceptions[0] = codePaymentOrphan
	case InvalidRow:
		o.rowsInvalid = 1
		o.exceptions[0] = codeInputInvalid
		if s.copies[0].invalid == invMangledID {
			// The job cannot tell whose payment it is.
			o.exceptions[1] = codePaymentOrphan
		}
	case Unpaid:
		o.ordersRead, o.unpaid = 1, 1
	case OutsideWindow:
		o.ordersRead = 1
	}
	return o
}
