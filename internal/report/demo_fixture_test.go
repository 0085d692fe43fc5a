package report

import (
	"fmt"
	"slices"
	"time"

	"github.com/crossborder/reconcile/internal/cst"
	"github.com/crossborder/reconcile/internal/reconcile"
)

// The demo night's declarations, orders, callbacks and history, made to
// agree with its counts and exceptions, so that every sheet of the demo
// workbook tells the same story: 2,760 orders paid in the window (18 of
// them failing a check, each one exception), 2,690 declared by this run,
// 44 by an earlier run that night, 8 failed (3 rejected, 1 conflict, 4
// errors); 59 unpaid or closed orders and 25 paid outside the window read
// too.

// bulkOID is the id of the demo's i-th order without an exception.
func bulkOID(i int) string { return fmt.Sprintf("2087654321%09d", 100_000_000+i*13) }

func bulkTID(i int) string { return fmt.Sprintf("4200002087202611%012d", 500_000_000+i*7919) }

// demoPaidAt spreads the window's orders over the day of 2026-11-20.
func demoPaidAt(i int) time.Time {
	return at(cst.Zone, 2026, 11, 20, 0, 0, 0).Add(time.Duration(i*31+7) * time.Second)
}

func demoFee(i int) (product, transport int64) {
	return int64(8900 + (i*7919)%40000), int64(1000 * (i % 3))
}

// demoDeclarations gives the demo its declarations and orders: the
// eligible orders' declarations (this run's, the earlier run's, the
// failed ones), and 订单明细's lines with the money of the window they
// add up to.
func demoDeclarations(r *reconcile.Result, oid, tid func(int) string) {
	const earlierRun = 1186
	var lines []reconcile.OrderLine
	var declared reconcile.Amount
	var orders reconcile.Amount
	exceptionOf := map[string]*reconcile.Exception{}
	for i := range r.Exceptions {
		if e := &r.Exceptions[i]; e.OrderID != "" {
			exceptionOf[e.OrderID] = e
		}
	}
	// The orders of the check exceptions, and the materials' (eligible,
	// then refused by the materials check).
	checked := []reconcile.Code{reconcile.OrderDuplicate, reconcile.FeeMismatch, reconcile.PaymentMissing,
		reconcile.PaymentDuplicate, reconcile.AmountMismatch, reconcile.PaymentRefunded, reconcile.MaterialsInvalid}
	n := 0
	for i := range r.Exceptions {
		e := &r.Exceptions[i]
		if !slices.Contains(checked, e.Code) {
			continue
		}
		e.At = demoPaidAt(n)
		l := reconcile.OrderLine{OrderID: e.OrderID, TransactionID: e.TransactionID, Customs: "HANGZHOU", OrderFee: e.Amount,
			ProductFee: e.Amount - 1000, TransportFee: 1000, PaidAt: e.At, State: reconcile.OrderException, Code: e.Code,
			Source: firstSource(e.Source)}
		if e.Customs != "" {
			l.Customs = e.Customs
		}
		if e.Code == reconcile.MaterialsInvalid {
			l.State, l.Code = reconcile.OrderEligible, ""
		}
		if l.TransactionID != "" {
			l.Payment, l.PaymentAt = e.Amount, e.At.Add(3*time.Second)
		}
		lines = append(lines, l)
		orders.Count++
		orders.Fen += l.OrderFee
		n++
	}
	// The failed declarations: those of the DECLARE_* exceptions.
	for i := range r.Exceptions {
		e := &r.Exceptions[i]
		var o reconcile.Outcome
		switch e.Code {
		case reconcile.DeclareRejected:
			o = reconcile.OutcomeRejected
		case reconcile.DeclareConflict:
			o = reconcile.OutcomeConflict
		case reconcile.DeclareError:
			o = reconcile.OutcomeError
		default:
			continue
		}
		e.At = demoPaidAt(n)
		d := reconcile.Declaration{RunID: r.RunID, PaidAt: e.At, OrderID: e.OrderID, TransactionID: e.TransactionID, Customs: e.Customs,
			OrderFee: e.Amount, ProductFee: e.Amount - 1000, TransportFee: 1000, Outcome: o, Attempts: 1,
			FirstAttempt: at(cst.Zone, 2026, 11, 21, 2, 1, n%60), LastAttempt: at(cst.Zone, 2026, 11, 21, 2, 1, n%60),
			ErrorCode: e.PlatformCode, ErrorMsg: e.PlatformMsg, RequestID: fmt.Sprintf("0b%010x", 0xabc000+n)}
		switch o {
		case reconcile.OutcomeRejected:
			d.PlatformState = "FAIL"
		case reconcile.OutcomeConflict:
			d.PlatformState = "SUCCESS"
		case reconcile.OutcomeError:
			d.Attempts, d.LastAttempt, d.RequestID = 5, at(cst.Zone, 2026, 11, 21, 2, 3, n%60), ""
		}
		r.Declarations = append(r.Declarations, d)
		lines = append(lines, reconcile.OrderLine{OrderID: d.OrderID, TransactionID: d.TransactionID, Customs: d.Customs,
			OrderFee: d.OrderFee, ProductFee: d.ProductFee, TransportFee: d.TransportFee, PaidAt: d.PaidAt,
			PaymentAt: d.PaidAt.Add(2 * time.Second), Payment: d.OrderFee, State: reconcile.OrderEligible,
			Source: fmt.Sprintf("/srv/finance/天猫国际/每日导出/2026-11/订单导出_ExportOrderList_20261120_全部店铺_第1部分.csv:%d", 600+n)})
		orders.Count++
		orders.Fen += d.OrderFee
		n++
	}
	// The declared ones: this run's and the earlier run's.
	for i := 0; orders.Count < r.Counts.OrdersInWindow; i++ {
		product, transport := demoFee(i)
		d := reconcile.Declaration{RunID: r.RunID, PaidAt: demoPaidAt(n), OrderID: bulkOID(i), TransactionID: bulkTID(i),
			Customs: "HANGZHOU", OrderFee: product + transport, ProductFee: product, TransportFee: transport,
			Outcome: reconcile.OutcomeDone, PlatformState: "SUBMITTED", Attempts: 1,
			FirstAttempt: at(cst.Zone, 2026, 11, 21, 2, 1+i/60%12, i%60), LastAttempt: at(cst.Zone, 2026, 11, 21, 2, 1+i/60%12, i%60),
			RequestID: fmt.Sprintf("0b%010x", 0xac0000+i)}
		if i%62 == 7 && r.Counts.AlreadyDeclared > countOutcome(r.Declarations, reconcile.OutcomeEarlier) {
			d.RunID, d.Outcome, d.PlatformState = earlierRun, reconcile.OutcomeEarlier, "SUCCESS"
			d.FirstAttempt = at(cst.Zone, 2026, 11, 20, 23, 31, i%60)
			d.LastAttempt = d.FirstAttempt
		} else {
			declared.Count++
			declared.Fen += d.OrderFee
		}
		if i%9 == 4 {
			d.Customs = "NINGBO"
		}
		r.Declarations = append(r.Declarations, d)
		lines = append(lines, reconcile.OrderLine{OrderID: d.OrderID, TransactionID: d.TransactionID, Customs: d.Customs,
			OrderFee: d.OrderFee, ProductFee: d.ProductFee, TransportFee: d.TransportFee, PaidAt: d.PaidAt,
			PaymentAt: d.PaidAt.Add(2 * time.Second), Payment: d.OrderFee, State: reconcile.OrderEligible,
			Source: fmt.Sprintf("/srv/finance/天猫国际/每日导出/2026-11/订单导出_ExportOrderList_20261120_全部店铺_第%d部分.csv:%d", 1+i%2, 2+i/2)})
		orders.Count++
		orders.Fen += d.OrderFee
		n++
	}
	// Unpaid and closed orders: no day, no declaration.
	for i := 0; i < r.Counts.OrdersUnpaid; i++ {
		product, transport := demoFee(5000 + i)
		l := reconcile.OrderLine{OrderID: bulkOID(5000 + i), Customs: "HANGZHOU", OrderFee: product + transport, ProductFee: product,
			TransportFee: transport, State: reconcile.OrderUnpaid,
			Source: fmt.Sprintf("/srv/finance/天猫国际/每日导出/2026-11/订单导出_ExportOrderList_20261120_全部店铺_第2部分.csv:%d", 900+i)}
		if i < r.Counts.OrdersClosed {
			l.State = reconcile.OrderClosed
		}
		lines = append(lines, l)
	}
	r.Orders = func(yield func(reconcile.OrderLine) bool) {
		for _, l := range lines {
			if !yield(l) {
				return
			}
		}
	}
	r.Money.Orders = orders
	r.Money.Declared = declared
	r.Money.Days = []reconcile.DayMoney{{Date: day(2026, 11, 20), Orders: r.Money.Orders, Payments: r.Money.Payments,
		Refunds: r.Money.Refunds, ServiceFee: r.Money.ServiceFee, Declared: r.Money.Declared}}
}

func countOutcome(ds []reconcile.Declaration, o reconcile.Outcome) int {
	n := 0
	for i := range ds {
		if ds[i].Outcome == o {
			n++
		}
	}
	return n
}

func firstSource(s string) string {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == ';' && s[i+1] == ' ' {
			return s[:i]
		}
	}
	return s
}

// demoCallbacks gives the demo this run's callbacks and some of the
// earlier run's.
func demoCallbacks(r *reconcile.Result, oid func(int) string) {
	for i := 0; i < 22; i++ {
		c := reconcile.Callback{RunID: r.RunID, Idempotent: fmt.Sprintf("CB2026112000%06d", 4100+i), Status: 1 + i%2, OrderID: bulkOID(i),
			PortNo: "2924", Outcome: reconcile.OutcomeDone, Attempts: 1,
			FirstAttempt: at(cst.Zone, 2026, 11, 21, 2, 12, i), LastAttempt: at(cst.Zone, 2026, 11, 21, 2, 12, i),
			RequestID: fmt.Sprintf("0c%010x", 0xdef000+i)}
		if c.Status == 2 {
			c.ResultCode, c.ClearanceTime = "000001", at(cst.Zone, 2026, 11, 20, 9+i%8, 15, 0)
		}
		switch {
		case i == 5:
			c.OrderID, c.Outcome, c.ErrorCode, c.ErrorMsg = oid(110), reconcile.OutcomeRejected, "PARAM_ILLEGAL", "口岸编号 9999 不存在"
			c.RequestID = ""
		case i == 9 || i == 10:
			c.OrderID, c.Outcome, c.Attempts, c.ErrorCode, c.ErrorMsg = oid(120+i-9), reconcile.OutcomeError, 5, "isp.timeout", "服务暂不可用"
			c.RequestID = ""
		case i >= 16:
			c.RunID, c.Outcome = 1186, reconcile.OutcomeEarlier
			c.FirstAttempt = at(cst.Zone, 2026, 11, 20, 23, 40, i)
			c.LastAttempt = c.FirstAttempt
		}
		r.Callbacks = append(r.Callbacks, c)
	}
}

// demoTracking gives the demo's exceptions their history: a third new
// tonight, the others open for a day to six weeks, some with the finance
// team's notes (one with an ID number typed in, which the workbook masks);
// five exceptions of earlier nights resolved; the last 14 nights.
func demoTracking(r *reconcile.Result, oid, tid func(int) string) {
	r.Tracked = reconcile.Tracked{Known: true}
	ages := []int{1, 2, 5, 9, 16, 33, 41}
	notes := map[reconcile.Code]reconcile.Handling{
		reconcile.FeeMismatch:      {Status: "处理中", Handler: "王芳", Text: "已请店铺运营核对邮费模板，等回复"},
		reconcile.PaymentDuplicate: {Status: "处理中", Handler: "李娜", Text: "已在商户平台对第二笔发起退款，退款单号 50302008712026112000123"},
		reconcile.MaterialsInvalid: {Status: "待处理", Handler: "张伟", Text: "买家证件 110101199003070011 已过期，已短信通知更新"},
		reconcile.DeclareConflict:  {Status: "已处理", Handler: "王芳", Text: "已在微信支付商户平台修改申报金额"},
		reconcile.BillMismatch:     {Status: "无需处理", Handler: "李娜", Text: "账单已重新下载"},
	}
	for i := range r.Exceptions {
		e := &r.Exceptions[i]
		t := &e.Tracking
		if i%3 == 0 {
			t.State, t.FirstRunID, t.FirstSeenAt = reconcile.StateNew, r.RunID, r.StartedAt
			r.Tracked.New++
		} else {
			t.State, t.Days = reconcile.StateOpen, ages[i%len(ages)]
			t.FirstSeenAt = r.StartedAt.Add(-time.Duration(t.Days)*24*time.Hour - 17*time.Minute)
			t.FirstRunID = r.RunID - int64(t.Days)
			t.Handling = notes[e.Code]
			r.Tracked.Open++
		}
		r.Tracked.Aging[reconcile.AgingBucket(t.Days)]++
	}
	seen := func(days int) reconcile.Tracking {
		return reconcile.Tracking{FirstRunID: r.RunID - int64(days), FirstSeenAt: r.StartedAt.Add(-time.Duration(days)*24*time.Hour - 9*time.Minute), Days: days}
	}
	for i, e := range []reconcile.Exception{
		{Code: reconcile.PaymentMissing, OrderID: oid(24), Amount: 18800, Message: "读取的支付账单中没有这笔订单的成功支付", Tracking: seen(1)},
		{Code: reconcile.PaymentMissing, OrderID: oid(25), Amount: 23300, Message: "读取的支付账单中没有这笔订单的成功支付", Tracking: seen(1)},
		{Code: reconcile.PaymentMissing, OrderID: oid(26), Amount: 9900, Message: "读取的支付账单中没有这笔订单的成功支付", Tracking: seen(2)},
		{Code: reconcile.FeeMismatch, OrderID: oid(15), Amount: 25900, Message: "总金额 ¥259.00 ≠ 货款 ¥239.00 + 邮费 ¥10.00（应为 ¥249.00）", Tracking: seen(6)},
		{Code: reconcile.AmountMismatch, OrderID: oid(43), TransactionID: tid(43), Amount: 88800, Message: "微信支付金额 ¥878.00 与订单总金额 ¥888.00 不符", Tracking: seen(3)},
	} {
		e.At = day(2026, 11, 19+i%2).Start()
		if i < 3 {
			e.Tracking.Handling = reconcile.Handling{Status: "已处理", Handler: "王芳", Text: "次日账单已补上"}
		}
		r.Resolved = append(r.Resolved, e)
	}
	reconcile.SortExceptions(r.Resolved)
	r.Tracked.Resolved = len(r.Resolved)
	news := []int{31, 28, 40, 22, 35, 19, 44, 27, 30, 25, 33, 29, 24, 12}
	resolved := []int{25, 30, 33, 26, 29, 24, 38, 31, 27, 28, 30, 27, 26, 5}
	reported := 40
	for i := range news {
		reported += news[i] - resolved[i]
		runs := 1
		if i == 6 || i == 13 {
			runs = 2
		}
		r.History = append(r.History, reconcile.Night{Date: day(2026, 11, 7).AddDays(i), Runs: runs, New: news[i], Resolved: resolved[i], Reported: reported})
	}
	r.History[len(r.History)-1].New = r.Tracked.New
	r.History[len(r.History)-1].Resolved = r.Tracked.Resolved
	r.History[len(r.History)-1].Reported = r.Tracked.New + r.Tracked.Open
}

// demoFailed is the demo night cut short: the session expired after 1,502
// declarations, so 1,188 eligible orders were not attempted (each a
// DECLARE_ERROR), and the workbook carries the red banner.
func demoFailed() *reconcile.Result {
	r := demoResult()
	r.Status = reconcile.StatusFailed
	r.EndedAt = at(cst.Zone, 2026, 11, 21, 2, 9, 12)
	r.Reason = "session expired: the platform answered 27 Invalid Session (sub_code invalid-sessionkey); declarations stopped"
	r.Failure = reconcile.Failure{Reason: "淘宝开放平台的授权（session）已过期，申报中途停止",
		Advice: "请店铺主账号在淘宝开放平台重新授权，并把新的授权码交给技术人员更新后重跑；重跑前不会自动恢复"}
	var kept []reconcile.Declaration
	var declared reconcile.Amount
	notTried := 0
	for _, d := range r.Declarations {
		if d.Outcome == reconcile.OutcomeDone && declared.Count >= 1502 {
			notTried++
			r.Exceptions = append(r.Exceptions, reconcile.Exception{Code: reconcile.DeclareError, OrderID: d.OrderID,
				TransactionID: d.TransactionID, Customs: d.Customs, Amount: d.OrderFee, At: d.PaidAt,
				Message: "运行在申报这笔订单前停止（授权已过期）：重新授权后重跑即可", Source: "订单导出_ExportOrderList_20261120_全部店铺_第1部分.csv:2",
				Tracking: reconcile.Tracking{State: reconcile.StateNew, FirstRunID: r.RunID, FirstSeenAt: r.StartedAt}})
			r.Tracked.New++
			r.Tracked.Aging[0]++
			continue
		}
		if d.Outcome == reconcile.OutcomeDone {
			declared.Count++
			declared.Fen += d.OrderFee
		}
		kept = append(kept, d)
	}
	r.Declarations = kept
	r.Counts.Declared, r.Counts.NotDeclared = declared.Count, notTried
	r.Money.Declared = declared
	r.Money.Days[0].Declared = declared
	r.Counts.CallbacksSent, r.Counts.NotSent = 0, r.Counts.CallbacksSent
	r.Callbacks = slices.DeleteFunc(r.Callbacks, func(c reconcile.Callback) bool { return c.Outcome == reconcile.OutcomeDone })
	r.History[len(r.History)-1].New = r.Tracked.New
	r.History[len(r.History)-1].Reported = r.Tracked.New + r.Tracked.Open
	r.Tally()
	return r
}
