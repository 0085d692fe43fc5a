package report

import (
	"fmt"
	"time"

	"github.com/crossborder/reconcile/internal/cst"
	"github.com/crossborder/reconcile/internal/ingest"
	"github.com/crossborder/reconcile/internal/reconcile"
)

// at returns a UTC+8 wall-clock time, expressed in loc (the workbook must
// show the UTC+8 wall clock whatever the location).
func at(loc *time.Location, y int, mo time.Month, d, h, mi, s int) time.Time {
	return time.Date(y, mo, d, h, mi, s, 0, cst.Zone).In(loc)
}

func day(y int, m time.Month, d int) cst.Date { return cst.Date{Year: y, Month: m, Day: d} }

// smallResult is the hand-made result of the golden test: a few exceptions
// of several codes, in no particular order, declarations and callbacks.
func smallResult() *reconcile.Result {
	ny, _ := time.LoadLocation("America/New_York")
	if ny == nil {
		ny = time.FixedZone("EST", -5*3600)
	}
	r := &reconcile.Result{
		RunID:     42,
		Window:    cst.Window{From: day(2026, 11, 20), To: day(2026, 11, 22)},
		StartedAt: at(time.UTC, 2026, 11, 23, 2, 0, 0),
		EndedAt:   at(ny, 2026, 11, 23, 2, 3, 27),
		Status:    reconcile.StatusInterrupted,
		Reason:    "收到 SIGTERM：已停止派发，在途调用已完成并记入日志；重跑同一日期即可继续",
		Inputs: []reconcile.Input{
			{Kind: "orders", Path: "exports/orders_20261120.csv", Format: "csv", Encoding: "gb18030", Variant: "tmall", Records: 5, Errors: 1},
			{Kind: "payments", Path: "exports/wechat_20261120.xlsx", Format: "xlsx", Variant: "wechat-all", Records: 4},
			{Kind: "clearance", Path: "exports/clearance.csv", Format: "csv", Encoding: "utf-8-bom", Records: 3},
		},
		Exceptions: []reconcile.Exception{
			{Code: reconcile.AmountMismatch, OrderID: "2087654321098765432", TransactionID: "4200002087202611201234567890",
				Expected: 12990, Actual: 12900, HasAmounts: true, Amount: 12990,
				Message: "支付金额 129.00 元与订单金额 129.90 元不符", Source: "wechat_20261120.xlsx:7"},
			{Code: reconcile.FeeMismatch, OrderID: "2087654321098765431", Expected: 10000, Actual: 10050, HasAmounts: true, Amount: 10050,
				Customs: "HANGZHOU", Message: "=HYPERLINK(\"http://x\",\"y\")", Source: "orders_20261120.csv:3"},
			{Code: reconcile.InputInvalid, Message: "第 4 列 order_fee：\"12,3a\" 不是金额", Source: "orders_20261120.csv:9"},
			{Code: reconcile.DeclareRejected, OrderID: "2087654321098765430", TransactionID: "4200002087202611200000000001",
				Customs: "HANGZHOU", Amount: -1, PlatformCode: "15 isv.invalid-parameter", PlatformMsg: "+1+1 海关备案号无效",
				Message: "@SUM(A1) 买家证件 110101199003070011 未通过", Source: "orders_20261120.csv:2"},
			{Code: reconcile.FeeMismatch, OrderID: "2087654321098765429", Expected: -5, Actual: 0, HasAmounts: true, Amount: 0,
				Message: "-1", Source: "orders_20261120.csv:4"},
			{Code: reconcile.CallbackError, OrderID: "2087654321098765433", PlatformCode: "isp.timeout", Message: "\x01bell\tand tab",
				Source: "clearance.csv:2"},
		},
		Declarations: []reconcile.Declaration{
			{OrderID: "2087654321098765432", TransactionID: "4200002087202611201234567890", Customs: "HANGZHOU",
				OrderFee: 12990, ProductFee: 11990, TransportFee: 1000, Outcome: reconcile.OutcomeDone, PlatformState: "SUBMITTED",
				Attempts: 1, FirstAttempt: at(time.UTC, 2026, 11, 23, 2, 1, 0), LastAttempt: at(ny, 2026, 11, 23, 2, 1, 0),
				RequestID: "0b1a2c3d4e5f"},
			{OrderID: "2087654321098765430", TransactionID: "4200002087202611200000000001", Customs: "HANGZHOU",
				OrderFee: 5000, ProductFee: 5000, Outcome: reconcile.OutcomeRejected, PlatformState: "FAIL", Attempts: 3,
				FirstAttempt: at(cst.Zone, 2026, 11, 23, 2, 1, 1), LastAttempt: at(cst.Zone, 2026, 11, 23, 2, 1, 9),
				ErrorCode: "15 isv.invalid-parameter", ErrorMsg: "海关备案号无效", RequestID: "0b1a2c3d4e60"},
		},
		Callbacks: []reconcile.Callback{
			{Idempotent: "00012345678901234567", Status: 2, OrderID: "2087654321098765432", ResultCode: "00", PortNo: "2924",
				ClearanceTime: at(time.UTC, 2026, 11, 21, 10, 30, 0), Outcome: reconcile.OutcomeDone, Attempts: 1,
				FirstAttempt: at(time.UTC, 2026, 11, 23, 2, 2, 0), LastAttempt: at(time.UTC, 2026, 11, 23, 2, 2, 0), RequestID: "0b1a2c3d4e61"},
			{Idempotent: "1E5", Status: 1, OrderID: "2087654321098765433", Outcome: reconcile.OutcomeError, Attempts: 4,
				FirstAttempt: at(time.UTC, 2026, 11, 23, 2, 2, 1), LastAttempt: at(time.UTC, 2026, 11, 23, 2, 3, 20),
				ErrorCode: "isp.timeout", ErrorMsg: "网关超时"},
		},
		Counts: reconcile.Counts{OrdersRead: 5, OrdersInWindow: 5, CheckExceptions: 3, Eligible: 2, PaymentsRead: 4, ClearanceRead: 3, RowsInvalid: 1,
			Declared: 1, DeclareFailed: 1, Pending: 2, CallbacksSent: 1, CallbacksFailed: 1, NotSent: 0, Calls: 9, Retries: 5},
		Money: reconcile.Money{
			Orders: amount(5, 43030), Payments: amount(4, 37890), Refunds: amount(1, 5000), ServiceFee: 198_000, Declared: amount(1, 12990),
			Days: []reconcile.DayMoney{
				{Date: day(2026, 11, 20), Orders: amount(3, 30040), Payments: amount(3, 25000), ServiceFee: 150_000, Declared: amount(1, 12990)},
				{Date: day(2026, 11, 21), Orders: amount(2, 12990), Payments: amount(1, 12890), Refunds: amount(1, 5000), ServiceFee: 48_000},
				{Date: day(2026, 11, 22)},
			},
		},
		Bills: []reconcile.Bill{{
			File: "exports/wechat_20261120.xlsx", Section: 1, Header: "exports/wechat_20261120.xlsx:1", Variant: "wechat-all",
			Rows: 5, Summary: figures(5, 37890, 5000, 0, 198_000, 37890, 5000, ingest.FigAll), Sums: *figures(5, 37890, 5000, 0, 198_000, 37890, 5000, ingest.FigAll),
			SummarySource: "exports/wechat_20261120.xlsx:8", TiesOut: true,
		}},
	}
	settle(&r.Money)
	r.Tally()
	return r
}

func amount(n int, fen int64) reconcile.Amount { return reconcile.Amount{Count: n, Fen: fen} }

// figures returns bill figures: amounts in fen, the fee in 10⁻⁵ yuan.
func figures(trades, settlement, refund, voucher, fee, order, requested int64, has ingest.Figure) *ingest.BillFigures {
	return &ingest.BillFigures{Trades: trades, Settlement: settlement, Refund: refund, VoucherRefund: voucher, Fee: fee,
		OrderAmount: order, RequestedRefund: requested, Has: has}
}

// moneyResult is a realistic night whose bills do not tie out: a weekend
// re-run over three days, staff having pasted two days' bills into one
// file, one of them edited and the other cut short, beside a tied-out bill
// and a WeChat Pay Global statement settled in HKD. Nothing was declared
// (every eligible order held back); the callbacks were sent. A day's fees
// carry a legacy bill's unrounded fee, so the nets have five decimals.
func moneyResult() *reconcile.Result {
	r := demoResult()
	r.RunID = 1190
	r.Window = cst.Window{From: day(2026, 11, 20), To: day(2026, 11, 22)}
	r.StartedAt, r.EndedAt = at(cst.Zone, 2026, 11, 23, 2, 0, 3), at(cst.Zone, 2026, 11, 23, 2, 21, 9)
	r.Status = reconcile.StatusFailed
	r.Reason = "the bills do not tie out: 2 bill section(s) disagree with their rows or have no summary (BILL_MISMATCH), so nothing was declared"
	r.Failure = reconcile.Failure{Reason: "有 2 段账单的汇总与各行不符或没有汇总行，本次未申报",
		Advice: "重新下载原始账单后重跑；如已人工核对无误，请技术人员加 --allow-bill-mismatch 重跑"}
	merged := "/srv/finance/微信支付/账单/2026-11/微信支付账单_20261121-20261122_合并.csv"
	first := "/srv/finance/微信支付/账单/2026-11/微信支付账单(20261120-20261120)_全部交易.csv"
	global := "/srv/finance/微信支付/账单/2026-11/WeChatPayGlobal_Statement_HKD_20261120-20261122.csv"
	r.Inputs = []reconcile.Input{
		r.Inputs[0], r.Inputs[1],
		{Kind: "payments", Path: first, Format: "csv", Encoding: "gb18030", Variant: "wechat-all", Records: 919},
		{Kind: "payments", Path: merged, Format: "csv", Encoding: "gb18030", Variant: "wechat-all", Records: 2233, Errors: 1},
		{Kind: "payments", Path: global, Format: "csv", Encoding: "utf-8-bom", Variant: "wechat-global", Records: 46},
		r.Inputs[3],
	}
	var kept []reconcile.Exception
	for _, e := range r.Exceptions {
		switch e.Code {
		case reconcile.DeclareRejected, reconcile.DeclareConflict, reconcile.DeclareError:
		default:
			kept = append(kept, e)
		}
	}
	r.Exceptions = append(kept,
		reconcile.Exception{Code: reconcile.BillMismatch, HasAmounts: true, Expected: 37045510, Actual: 37044510,
			Message: "账单 微信支付账单_20261121-20261122_合并.csv 第 1 段（表头在第 1 行）的汇总（第 1213 行）与各行不符：应结订单总金额：汇总 ¥370455.10，各行合计 ¥370445.10；" +
				"手续费总金额：汇总 ¥2198.80000，各行合计 ¥2198.74000；订单总金额：汇总 ¥370455.10，各行合计 ¥370445.10。账单可能被编辑过或缺行：请重新下载原始账单后重跑",
			Source: merged + ":1213"},
		reconcile.Exception{Code: reconcile.BillMismatch,
			Message: "账单 微信支付账单_20261121-20261122_合并.csv 第 2 段（表头在第 1214 行）没有汇总行（总交易单数…）：账单可能没有下载完整（已读到 980 行）。请重新下载完整的账单后重跑",
			Source:  merged + ":1214"},
		reconcile.Exception{Code: reconcile.ServiceFeeMismatch, OrderID: "2087654321098766001", TransactionID: "4200002087202611213000123456",
			Message: "手续费 ¥0.82000 与应结订单金额 ¥138.00 × 费率 0.6% 不符，应为 ¥0.83000：请向微信支付核对这笔手续费", Source: merged + ":377"},
		reconcile.Exception{Code: reconcile.ServiceFeeMismatch, OrderID: "2087654321098766002", TransactionID: "4200002087202611223000654321",
			Message: "手续费 HKD 8.00000 与应结订单金额 HKD 1335.87 × 费率 0.6% 不符，应为 HKD 8.02000：请向微信支付核对这笔手续费", Source: global + ":31"},
	)
	r.Declarations = nil
	c := &r.Counts
	c.OrdersRead, c.OrdersInWindow, c.OrdersUnpaid, c.PaymentsRead = 3301, 3152, 149, 3198
	c.Eligible = 3152 - 18 // the orders' check exceptions of the demo
	c.Declared, c.AlreadyDeclared, c.DeclareFailed, c.NotDeclared, c.HeldBack = 0, 0, 0, 0, c.Eligible
	c.Calls, c.Retries = 644, 12
	r.Money = reconcile.Money{
		Orders: amount(3152, 97656670), Payments: amount(3124, 96717540), Refunds: amount(24, 759300),
		ServiceFee: 572_990_300, // ¥5,729.90300: the 22nd's legacy bill prints an unrounded fee
		Days: []reconcile.DayMoney{
			{Date: day(2026, 11, 20), Orders: amount(912, 28641350), Payments: amount(905, 28412030), Refunds: amount(7, 231500), ServiceFee: 169_083_000},
			{Date: day(2026, 11, 21), Orders: amount(1204, 37190280), Payments: amount(1198, 37044510), Refunds: amount(12, 398800), ServiceFee: 219_874_000},
			{Date: day(2026, 11, 22), Orders: amount(1036, 31825040), Payments: amount(1021, 31261000), Refunds: amount(5, 129000), ServiceFee: 184_033_300},
		},
		Settlements: []reconcile.Settlement{{Currency: "HKD", Payments: amount(46, 1587240), ServiceFee: 9_523_000}},
	}
	r.Bills = []reconcile.Bill{
		{File: first, Section: 1, Header: first + ":1", Variant: "wechat-all", Rows: 919,
			Summary:       figures(919, 28412030, 231500, 0, 169_083_000, 28412030, 231500, ingest.FigAll),
			Sums:          *figures(919, 28412030, 231500, 0, 169_083_000, 28412030, 231500, ingest.FigAll),
			SummarySource: first + ":922", TiesOut: true},
		{File: merged, Section: 1, Header: merged + ":1", Variant: "wechat-all", Rows: 1210, Errors: 1,
			Summary:       figures(1210, 37045510, 398800, 0, 219_880_000, 37045510, 398800, ingest.FigAll),
			Sums:          *figures(1210, 37044510, 398800, 0, 219_874_000, 37044510, 398800, ingest.FigAll),
			SummarySource: merged + ":1213",
			Diffs: []ingest.FigureDiff{{Figure: ingest.FigSettlement, Summary: 37045510, Rows: 37044510},
				{Figure: ingest.FigFee, Summary: 219_880_000, Rows: 219_874_000}, {Figure: ingest.FigOrderAmount, Summary: 37045510, Rows: 37044510}}},
		{File: merged, Section: 2, Header: merged + ":1214", Variant: "wechat-all", Rows: 980,
			Sums: *figures(980, 29794200, 129000, 0, 184_033_300, 29794200, 129000, ingest.FigAll)},
		{File: global, Section: 1, Header: global + ":1", Variant: "wechat-global", Rows: 46,
			Sums: *figures(46, 1587240, 0, 0, 9_523_000, 0, 0, ingest.FigAll), SettleCurrency: "HKD"},
	}
	settle(&r.Money)
	r.Tally()
	return r
}

// demoResult is a realistic run: about thirty exceptions of most codes,
// Chinese text, long paths, declarations and callbacks. It is what the
// renders were judged on.
func demoResult() *reconcile.Result {
	r := &reconcile.Result{
		RunID:     1187,
		Window:    cst.Window{From: day(2026, 11, 20), To: day(2026, 11, 20)},
		StartedAt: at(cst.Zone, 2026, 11, 21, 2, 0, 3),
		EndedAt:   at(cst.Zone, 2026, 11, 21, 2, 14, 41),
		Status:    reconcile.StatusCompleted,
		Inputs: []reconcile.Input{
			{Kind: "orders", Path: "/srv/finance/天猫国际/每日导出/2026-11/订单导出_ExportOrderList_20261120_全部店铺_第1部分.csv", Format: "csv", Encoding: "gb18030", Variant: "tmall", Records: 1842, Errors: 3},
			{Kind: "orders", Path: "/srv/finance/天猫国际/每日导出/2026-11/订单导出_ExportOrderList_20261120_全部店铺_第2部分.csv", Format: "csv", Encoding: "gb18030", Variant: "tmall", Records: 977},
			{Kind: "payments", Path: "/srv/finance/微信支付/账单/2026-11/微信支付账单(20261120-20261120)_全部交易.xlsx", Format: "xlsx", Variant: "wechat-all", Records: 2790, Errors: 1},
			{Kind: "clearance", Path: "/srv/finance/清关/回执/clearance_results_20261120.csv", Format: "csv", Encoding: "utf-8-bom", Records: 644},
		},
		Counts: reconcile.Counts{OrdersRead: 2844, OrdersInWindow: 2760, OrdersUnpaid: 59, OrdersClosed: 12, OrdersOutside: 25,
			CheckExceptions: 18, PaymentsRead: 2790, ClearanceRead: 644,
			RowsInvalid: 4, Eligible: 2742, Declared: 2690, AlreadyDeclared: 44, DeclareFailed: 8, NotDeclared: 0,
			Pending: 640, CallbacksSent: 601, AlreadySent: 35, CallbacksFailed: 4, NotSent: 0, Calls: 3391, Retries: 57},
		Money: reconcile.Money{
			Orders: amount(2760, 81234560), Payments: amount(2748, 80651230), Refunds: amount(19, 487000),
			ServiceFee: 480_985_000, Declared: amount(2690, 79023340),
		},
		Bills: []reconcile.Bill{{
			File: "/srv/finance/微信支付/账单/2026-11/微信支付账单(20261120-20261120)_全部交易.xlsx", Section: 1,
			Header: "微信支付账单(20261120-20261120)_全部交易.xlsx:5", Variant: "wechat-all", Rows: 2790, Errors: 1,
			Summary:       figures(2790, 80651230, 487000, 0, 480_985_000, 80651230, 487000, ingest.FigAll),
			Sums:          *figures(2790, 80651230, 487000, 0, 480_985_000, 80651230, 487000, ingest.FigAll),
			SummarySource: "微信支付账单(20261120-20261120)_全部交易.xlsx:2797", TiesOut: true,
		}},
	}
	r.Money.Days = []reconcile.DayMoney{{Date: day(2026, 11, 20), Orders: r.Money.Orders, Payments: r.Money.Payments,
		Refunds: r.Money.Refunds, ServiceFee: r.Money.ServiceFee, Declared: r.Money.Declared}}
	oid := func(i int) string { return fmt.Sprintf("20876543210987%05d", 65000+i*37) }
	tid := func(i int) string { return fmt.Sprintf("42000020872026112%011d", 3_000_000+i*7919) }
	src := func(f string, line int) string { return fmt.Sprintf("%s:%d", f, line) }
	ordersCSV := "订单导出_ExportOrderList_20261120_全部店铺_第1部分.csv"
	wechat := "微信支付账单(20261120-20261120)_全部交易.xlsx"
	add := func(e reconcile.Exception) { r.Exceptions = append(r.Exceptions, e) }
	add(reconcile.Exception{Code: reconcile.InputInvalid, Message: "第 12 列 order_fee 的值“12,3a”不是金额：应为 123.45 这样的数字", Source: src(ordersCSV, 118)})
	add(reconcile.Exception{Code: reconcile.InputInvalid, Message: "第 3 列 paid_at 的值“2026/13/01 25:00”不是时间：应为 2026-11-20 13:45:00", Source: src(ordersCSV, 940)})
	add(reconcile.Exception{Code: reconcile.InputInvalid, Message: "订单号“2.08765E+18”被科学计数法损坏：请用文本格式重新导出", Source: src(ordersCSV, 1502)})
	add(reconcile.Exception{Code: reconcile.InputInvalid, Message: "缺少必填的交易单号", Source: src(wechat, 2211)})
	add(reconcile.Exception{Code: reconcile.OrderDuplicate, OrderID: oid(1), Amount: 25800, Message: "两份导出中的订单金额不同：258.00 元与 268.00 元", Source: src(ordersCSV, 77) + "; " + src("订单导出_第2部分.csv", 12)})
	for i := 0; i < 5; i++ {
		add(reconcile.Exception{Code: reconcile.FeeMismatch, OrderID: oid(10 + i), Expected: int64(19900 + i*1000), Actual: int64(19900 + i*1000 + (i+1)*100*(1-2*(i%2))),
			HasAmounts: true, Amount: int64(19900 + i*1000 + (i+1)*100*(1-2*(i%2))), Customs: "HANGZHOU",
			Message: "订单金额 ≠ 货款 + 邮费：请在千牛后台核对邮费", Source: src(ordersCSV, 200+i*31)})
	}
	for i := 0; i < 4; i++ {
		add(reconcile.Exception{Code: reconcile.PaymentMissing, OrderID: oid(20 + i), Amount: int64(8800 + i*4500), Customs: "NINGBO",
			Message: "区间内没有这笔订单的成功支付", Source: src(ordersCSV, 400+i)})
	}
	add(reconcile.Exception{Code: reconcile.PaymentDuplicate, OrderID: oid(30), TransactionID: tid(30), OtherTransactionID: tid(31), Amount: 45600,
		Message: "这笔订单有 2 笔成功支付：" + tid(30) + "（¥456.00）；" + tid(31) + "（¥456.00）", Source: src(wechat, 88) + "; " + src(wechat, 91)})
	for i := 0; i < 3; i++ {
		add(reconcile.Exception{Code: reconcile.AmountMismatch, OrderID: oid(40 + i), TransactionID: tid(40 + i), Expected: int64(129900 + i*1111),
			Actual: int64(129900 + i*1111 - 1000*(i+1)), HasAmounts: true, Amount: int64(129900 + i*1111), Message: "支付金额与订单金额不符", Source: src(wechat, 300+i)})
	}
	add(reconcile.Exception{Code: reconcile.PaymentRefunded, OrderID: oid(50), TransactionID: tid(50), Expected: 39900, Actual: 39900, HasAmounts: true, Amount: 39900,
		Message: "支付已全额退款（2026-11-20 18:02:11）", Source: src(wechat, 412)})
	add(reconcile.Exception{Code: reconcile.PaymentRefunded, OrderID: oid(51), TransactionID: tid(51), Expected: 15900, Actual: 5000, HasAmounts: true, Amount: 15900,
		Message: "支付部分退款 50.00 元", Source: src(wechat, 413)})
	add(reconcile.Exception{Code: reconcile.PaymentOrphan, TransactionID: tid(60), Amount: 7700, Message: "这笔成功支付在订单导出中找不到对应订单（商户订单号 T2026112099881）", Source: src(wechat, 1999)})
	add(reconcile.Exception{Code: reconcile.MaterialsInvalid, OrderID: oid(70), Amount: 36800, Message: "身份证已过期（有效期至 2026-10-31），证件号 1101**********002X", Source: src(ordersCSV, 1777)})
	add(reconcile.Exception{Code: reconcile.MaterialsInvalid, OrderID: oid(71), Amount: 12000, Message: "实名信息与订单不一致：订单为 张*，证件为 王**", Source: src(ordersCSV, 1778)})
	for i := 0; i < 3; i++ {
		add(reconcile.Exception{Code: reconcile.DeclareRejected, OrderID: oid(80 + i), TransactionID: tid(80 + i), Customs: "HANGZHOU", Amount: int64(22200 + i*100),
			PlatformCode: "15 isv.invalid-parameter:customs", PlatformMsg: "海关编码 HANGZHOU 未在商户平台备案，请先完成备案",
			Message: "平台拒绝了申报：检查海关备案", Source: src(ordersCSV, 600+i)})
	}
	add(reconcile.Exception{Code: reconcile.DeclareConflict, OrderID: oid(90), TransactionID: tid(90), Customs: "ZHENGZHOU_ZONGBAO", Amount: 59900,
		PlatformCode: "isv.declare-conflict", PlatformMsg: "订单已申报且参数不同", Message: "此前以不同的金额申报过，需要在微信支付商户平台修改申报", Source: src(ordersCSV, 700)})
	for i := 0; i < 4; i++ {
		add(reconcile.Exception{Code: reconcile.DeclareError, OrderID: oid(100 + i), TransactionID: tid(100 + i), Customs: "HANGZHOU", Amount: int64(10000 + i*2500),
			PlatformCode: "isp.top-remote-connection-timeout", PlatformMsg: "远程服务调用超时", Message: "重试 5 次后仍失败，下次运行会自动重试", Source: src(ordersCSV, 800+i)})
	}
	add(reconcile.Exception{Code: reconcile.CallbackInvalid, Message: "清关状态“3”无效：应为 1（清关发起）或 2（清关结果）", Source: "clearance_results_20261120.csv:45"})
	add(reconcile.Exception{Code: reconcile.CallbackRejected, OrderID: oid(110), PlatformCode: "msg_success=false", PlatformMsg: "口岸编号 9999 不存在",
		Message: "平台拒绝了清关回传", Source: "clearance_results_20261120.csv:51"})
	for i := 0; i < 2; i++ {
		add(reconcile.Exception{Code: reconcile.CallbackError, OrderID: oid(120 + i), PlatformCode: "isp.timeout", PlatformMsg: "服务暂不可用",
			Message: "重试后仍失败，下次运行会自动重试", Source: fmt.Sprintf("clearance_results_20261120.csv:%d", 60+i)})
	}
	// Reverse, so the workbook has to sort.
	for i, j := 0, len(r.Exceptions)-1; i < j; i, j = i+1, j-1 {
		r.Exceptions[i], r.Exceptions[j] = r.Exceptions[j], r.Exceptions[i]
	}
	demoDeclarations(r, oid, tid)
	demoCallbacks(r, oid)
	demoTracking(r, oid, tid)
	settle(&r.Money)
	r.Tally()
	return r
}

// settle fills in what the fixtures' CNY bills settle, as bills without
// coupons do: the payments less the refunds, each day and in all.
func settle(m *reconcile.Money) {
	m.Settled = m.Payments.Fen - m.Refunds.Fen
	for i := range m.Days {
		d := &m.Days[i]
		d.Settled = d.Payments.Fen - d.Refunds.Fen
	}
}
