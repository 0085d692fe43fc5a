package gen

// The money of the night as the job must report it, worked out from the
// plan (the rows each slot has and what each says), not by running the
// job's code: the rules are those of docs/design.md, restated here.

// Money is what a run of the window Day must report of the window's money
// (reconcile.Result.Money; the summary's money). Amounts are in fen, fees
// in 10⁻⁵ yuan, all in CNY but Settlements.
type Money struct {
	// Orders are the paid orders of the window (OrdersInWindow of them),
	// Σ their 总金额.
	Orders Amount `json:"orders"`
	// Payments are the successful payments dated on Day in the rows the
	// job reads, each transaction once (a payment repeated in the next
	// day's bill counts once), Σ what the buyer paid (订单金额; a Global
	// statement's 用户支付金额), their orders in the window or not.
	Payments Amount `json:"payments"`
	// Refunds are the refund and revocation rows dated on Day the job
	// reads, each once, Σ 申请退款金额 (0.00 on a revocation).
	Refunds Amount `json:"refunds"`
	// ServiceFee is Σ 手续费 over the rows of Payments and Refunds of the
	// CNY bills (negative on refund rows), in 10⁻⁵ yuan.
	ServiceFee int64 `json:"service_fee_1e5"`
	// Settlements are the Global statements' money, per settlement
	// currency; none for CNY bills.
	Settlements []Settlement `json:"settlements,omitempty"`
}

// Amount is a count and the money it adds up to, in fen (in hundredths of
// the currency in a Settlement).
type Amount struct {
	Count int   `json:"count"`
	Fen   int64 `json:"fen"`
}

func (a *Amount) add(fen int64) { a.Count++; a.Fen += fen }

// Settlement is what Global statements settle in one currency: the
// payments of Money.Payments, Σ their 应结订单金额 in the currency's
// hundredths, and Σ 手续费 over the rows of Payments and Refunds, in 10⁻⁵
// of its unit.
type Settlement struct {
	Currency   string `json:"currency"`
	Payments   Amount `json:"payments"`
	ServiceFee int64  `json:"service_fee_1e5"`
}

// moneyTally adds up the money of the bills' rows, slot by slot.
type moneyTally struct {
	payments, refunds Amount
	fee               int64
	settle            Amount // Global: 应结订单金额 of the payments
	settleFee         int64  // Global: 手续费
	settleRows        int    // Global: the rows counted
}

// addSlot counts the rows of slot s: those dated on Day that the job
// reads, each successful transaction once and each refund once (a slot has
// at most one).
func (p *plan) addSlotMoney(mt *moneyTally, s *slot) {
	var seen [3]uint64
	nseen := 0
	for k := 0; k < s.npay; k++ {
		q := &s.pays[k]
		if q.at < 0 || q.at >= secPerDay || q.lost != lostNone {
			continue
		}
		f := p.rowFigures(q)
		if q.status == paySuccess {
			dup := false
			for _, tx := range seen[:nseen] {
				dup = dup || tx == q.tx
			}
			if dup {
				continue
			}
			seen[nseen] = q.tx
			nseen++
			mt.payments.add(q.amount)
			if p.global {
				mt.settle.add(f.settle)
			}
		} else {
			mt.refunds.add(f.requested)
		}
		if p.global {
			mt.settleFee += f.fee
			mt.settleRows++
		} else {
			mt.fee += f.fee
		}
	}
}

// money returns the Money of the tallies, the settlements in currency
// (none when no row of a Global statement was counted).
func (mt *moneyTally) money(orders Amount, currency string) Money {
	m := Money{Orders: orders, Payments: mt.payments, Refunds: mt.refunds, ServiceFee: mt.fee}
	if mt.settleRows > 0 {
		m.Settlements = []Settlement{{Currency: currency, Payments: mt.settle, ServiceFee: mt.settleFee}}
	}
	return m
}
