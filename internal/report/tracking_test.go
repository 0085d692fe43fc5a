package report

import (
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/crossborder/reconcile/internal/reconcile"
)

// rowByKey returns 异常明细's data rows by exception key, raw.
func rowByKey(t testing.TB, f *excelize.File) map[string][]string {
	t.Helper()
	rows, err := f.GetRows(sheetExceptions, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	by := map[string][]string{}
	for _, row := range rows[headerRow:] {
		row = append(row, make([]string, len(exceptionColumns)-len(row))...)
		by[row[exKey]] = row
	}
	return by
}

// TestTracking checks where the exceptions stand across runs: 状态,
// 首次发现 and 天数 on 异常明细, the notes carried, the 已解决 sheet, and the
// summary's counts and aging.
func TestTracking(t *testing.T) {
	r := demoResult()
	f := openBook(t, writeBook(t, r))
	by := rowByKey(t, f)
	var sawNew, sawOpen bool
	for i := range r.Exceptions {
		e := &r.Exceptions[i]
		row := by[e.Key()]
		first, _ := serial(e.Tracking.FirstSeenAt)
		if row[exState] != e.Tracking.State.Label() || row[exFirstSeen] != formatSerial(first) || row[exDays] != strconv.Itoa(e.Tracking.Days) {
			t.Errorf("%s: state %q first seen %q days %q, want %s %v %d", e.Key(), row[exState], row[exFirstSeen], row[exDays],
				e.Tracking.State.Label(), first, e.Tracking.Days)
		}
		sawNew = sawNew || row[exState] == "新增"
		sawOpen = sawOpen || row[exState] == "未解决"
		if h := e.Tracking.Handling; row[exStatus] != h.Status || row[exHandler] != h.Handler || row[exHandling] != maskIDs(h.Text, fixedNow) {
			t.Errorf("%s: notes %q %q %q, want %+v", e.Key(), row[exStatus], row[exHandler], row[exHandling], h)
		}
		if row[exAdvice] != e.WhatToDo() {
			t.Errorf("%s: 处理建议 %q, want %q", e.Key(), row[exAdvice], e.WhatToDo())
		}
	}
	if !sawNew || !sawOpen {
		t.Errorf("the demo shows no new or no open exception")
	}
	if n := numFmtOf(t, f, sheetExceptions, ref(t, exceptionColumns, "首次发现", 0)); n != dayFormat {
		t.Errorf("首次发现 format %q, want a date", n)
	}
	// PAYMENT_DUPLICATE: the payment to refund in its own column.
	for i := range r.Exceptions {
		if e := &r.Exceptions[i]; e.Code == reconcile.PaymentDuplicate {
			if row := by[e.Key()]; row[exTx] != e.TransactionID || row[exOtherTx] != e.OtherTransactionID || e.OtherTransactionID == "" {
				t.Errorf("PAYMENT_DUPLICATE: transaction %q, other %q", row[exTx], row[exOtherTx])
			}
		}
	}

	// 已解决: the exceptions of earlier runs resolved now.
	rows, _ := f.GetRows(sheetResolved, excelize.Options{RawCellValue: true})
	if len(rows)-headerRow != len(r.Resolved) {
		t.Fatalf("已解决 has %d rows, want %d", len(rows)-headerRow, len(r.Resolved))
	}
	for i, e := range r.Resolved {
		row := rows[headerRow+i]
		first, _ := serial(e.Tracking.FirstSeenAt)
		if row[0] != e.OrderID || row[1] != string(e.Code) || row[6] != formatSerial(first) ||
			row[7] != strconv.FormatInt(e.Tracking.FirstRunID, 10) || row[8] != strconv.Itoa(e.Tracking.Days) {
			t.Errorf("已解决 row %d = %q, want %s %s first seen %v (run %d), %d days", i, row, e.OrderID, e.Code, first, e.Tracking.FirstRunID, e.Tracking.Days)
		}
		if h := e.Tracking.Handling; h.Text != "" && (len(row) < 12 || row[11] != h.Text) {
			t.Errorf("已解决 row %d: the notes %q are not carried", i, h.Text)
		}
	}

	// The summary: new, open, resolved and aging.
	at, all := summaryRows(t, f)
	for label, want := range map[string]int{
		"新增（本次首次发现）": r.Tracked.New, "未解决（此前已报告，仍然存在）": r.Tracked.Open, "已解决（此前报告，本次不再出现）": r.Tracked.Resolved,
		"不到 1 天（含新增）": r.Tracked.Aging[0], "1 至 7 天": r.Tracked.Aging[1], "7 至 30 天": r.Tracked.Aging[2], "30 天及以上": r.Tracked.Aging[3],
	} {
		if i := at[label]; i == 0 || all[i-1][2] != strconv.Itoa(want) {
			t.Errorf("summary %s = %v, want %d", label, all[max(i-1, 0)], want)
		}
	}
	// Per code, how many are new.
	news := map[reconcile.Code]int{}
	for i := range r.Exceptions {
		if r.Exceptions[i].Tracking.State == reconcile.StateNew {
			news[r.Exceptions[i].Code]++
		}
	}
	for _, c := range reconcile.Codes() {
		if got := all[at[string(c)]-1][3]; got != strconv.Itoa(news[c]) {
			t.Errorf("%s: %s new, want %d", c, got, news[c])
		}
	}

	// A dry run knows no history, and says so.
	dry := demoResult()
	dry.DryRun, dry.Tracked, dry.History, dry.Resolved = true, reconcile.Tracked{}, nil, nil
	for i := range dry.Exceptions {
		dry.Exceptions[i].Tracking = reconcile.Tracking{Handling: dry.Exceptions[i].Tracking.Handling}
	}
	f = openBook(t, writeBook(t, dry))
	at, _ = summaryRows(t, f)
	found := false
	for label := range at {
		found = found || strings.HasPrefix(label, "试运行不读取日志：无法区分新增与未解决")
	}
	if !found {
		t.Errorf("a dry run's summary does not say that it knows no history")
	}
	by = rowByKey(t, f)
	for i := range dry.Exceptions {
		e := &dry.Exceptions[i]
		if row := by[e.Key()]; row[exState] != "" || row[exFirstSeen] != "" || row[exDays] != "" || row[exStatus] != e.Tracking.Handling.Status {
			t.Errorf("a dry run's %s: state %q first seen %q days %q status %q", e.Key(), row[exState], row[exFirstSeen], row[exDays], row[exStatus])
		}
	}
}

// 申报记录 and 回传记录 list the earlier runs' declarations and callbacks
// with when they were accepted and by which run.
func TestEarlierDeclarations(t *testing.T) {
	r := demoResult()
	f := openBook(t, writeBook(t, r))
	rows, _ := f.GetRows(sheetDeclarations, excelize.Options{RawCellValue: true})
	if len(rows)-headerRow != len(r.Declarations) {
		t.Fatalf("申报记录 has %d rows, want every declaration of the window (%d)", len(rows)-headerRow, len(r.Declarations))
	}
	earlier := 0
	for _, row := range rows[headerRow:] {
		if row[1] != "此前已申报" {
			continue
		}
		earlier++
		if row[2] == "" || row[3] != "1186" || row[10] != "SUCCESS（申报成功）" {
			t.Errorf("an earlier declaration: %q", row)
		}
	}
	if earlier != r.Counts.AlreadyDeclared {
		t.Errorf("%d earlier declarations listed, want %d", earlier, r.Counts.AlreadyDeclared)
	}
	rows, _ = f.GetRows(sheetCallbacks, excelize.Options{RawCellValue: true})
	sent := 0
	for _, row := range rows[headerRow:] {
		if row[3] == "此前已回传" {
			sent++
			if row[4] == "" || row[5] != "1186" {
				t.Errorf("an earlier callback: %q", row)
			}
		}
	}
	if sent == 0 {
		t.Errorf("no earlier callback listed")
	}
}

// A run that failed gets a red banner: what happened and what to do, in
// Chinese; the exceptions it left for the rerun say so.
func TestFailureBanner(t *testing.T) {
	r := demoFailed()
	f := openBook(t, writeBook(t, r))
	at, _ := summaryRows(t, f)
	banner := "运行失败：" + r.Failure.Reason + "\n怎么办：" + r.Failure.Advice
	row, ok := at[banner]
	if !ok {
		t.Fatalf("no banner %q", banner)
	}
	if st := styleOf(t, f, sheetSummary, "A"+strconv.Itoa(row)); len(st.Fill.Color) == 0 || st.Fill.Color[0] != "FFC7CE" || !st.Font.Bold {
		t.Errorf("banner style %+v %+v, want bold on red", st.Fill, st.Font)
	}
	if _, ok := at["技术信息"]; !ok {
		t.Errorf("the technical reason is not kept for IT")
	}
	_, all := summaryRows(t, f)
	advice := all[at[string(reconcile.DeclareError)]-1][6]
	if !strings.Contains(advice, r.Failure.Advice) || strings.Contains(advice, "自动重试") {
		t.Errorf("DECLARE_ERROR advice in a failed run: %q", advice)
	}
	// The declarations the run did not get to say what the banner says; the
	// ones that failed on the platform keep their own advice.
	by := rowByKey(t, f)
	attempted := map[string]bool{}
	for _, d := range r.Declarations {
		attempted[d.OrderID] = d.Outcome == reconcile.OutcomeError
	}
	remedies, own := 0, 0
	for i := range r.Exceptions {
		e := &r.Exceptions[i]
		if e.Code != reconcile.DeclareError {
			continue
		}
		got := by[e.Key()][exAdvice]
		switch {
		case attempted[e.OrderID]:
			own++
			if got != e.WhatToDo() {
				t.Errorf("%s (attempted): 处理建议 %q, want %q", e.Key(), got, e.WhatToDo())
			}
		default:
			remedies++
			if !strings.Contains(got, r.Failure.Advice) {
				t.Errorf("%s (not attempted): 处理建议 %q, want the banner's remedy", e.Key(), got)
			}
		}
	}
	if remedies != r.Counts.NotDeclared || own == 0 {
		t.Errorf("%d not attempted, %d attempted DECLARE_ERROR rows checked", remedies, own)
	}
	// A completed run has none.
	f = openBook(t, writeBook(t, demoResult()))
	at, _ = summaryRows(t, f)
	for label := range at {
		if strings.HasPrefix(label, "运行失败") || strings.HasPrefix(label, "运行已中断") {
			t.Errorf("a completed run has the banner %q", label)
		}
	}
}

func TestLabels(t *testing.T) {
	for in, want := range map[string]string{
		"HANGZHOU": "HANGZHOU（杭州海关）", "NINGBO": "NINGBO（宁波海关）", "GUANGZHOU_ZS": "GUANGZHOU_ZS（广州海关·总署版）",
		"ZHENGZHOU_BS": "ZHENGZHOU_BS（郑州海关·保税物流中心）", "SHANGHAI_JG": "SHANGHAI_JG（上海海关）", "ZONGSHU": "ZONGSHU（海关总署）",
		"XIAN": "XIAN（西安海关）", "CHONGQING": "CHONGQING（重庆海关）", "TIANJIN": "TIANJIN（天津海关）", "SHENZHEN": "SHENZHEN（深圳海关）",
		"MARS": "MARS", "": "",
	} {
		if got := customs(in); got != want {
			t.Errorf("customs(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"UNDECLARED": "UNDECLARED（待申报）", "PROCESSING": "PROCESSING（申报中）", "SUCCESS": "SUCCESS（申报成功）",
		"FAIL": "FAIL（申报失败）", "EXCEPT": "EXCEPT（海关接口异常）", "SUBMITTED": "SUBMITTED（已修改未申报）", "": "", "NEW": "NEW",
	} {
		if got := platformState(in); got != want {
			t.Errorf("platformState(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"NO_AUTH": "NO_AUTH（商户未在该海关备案）", "15 isv.invalid-parameter": "15 isv.invalid-parameter（参数无效）",
		"15 isv.invalid-parameter:customs": "15 isv.invalid-parameter:customs（参数无效）", "27": "27（授权无效或已过期）",
		"HTTP 502": "HTTP 502（网关返回 HTTP 错误）", "PARAM_NOT_NULL": "PARAM_NOT_NULL（必填参数为空）", "0012": "0012",
		"isv.declare-conflict": "isv.declare-conflict", "": "",
	} {
		if got := platformCode(in); got != want {
			t.Errorf("platformCode(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"tmall": "tmall（天猫订单导出）", "wechat-all": "wechat-all（微信支付账单·全部交易）", "wechat-success": "wechat-success（微信支付账单·成功交易）",
		"wechat-refund": "wechat-refund（微信支付账单·退款）", "wechat-global": "wechat-global（WeChat Pay Global 账单）", "plain": "plain（通用格式）",
	} {
		if got := variantLabel(in); got != want {
			t.Errorf("variantLabel(%q) = %q, want %q", in, got, want)
		}
	}
	if got := clearanceResult("000001"); got != "000001（放行）" {
		t.Errorf("clearanceResult = %q", got)
	}
	// Every code says what its amount is.
	for _, c := range reconcile.Codes() {
		if m, _ := amountMeaning(c); m == "" {
			t.Errorf("%s: no meaning of its amount", c)
		}
	}
}
