package notify

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/crossborder/reconcile/internal/cst"
	"github.com/crossborder/reconcile/internal/reconcile"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func day(y int, m time.Month, d int) cst.Date { return cst.Date{Year: y, Month: m, Day: d} }

func at(d, h, mi, s int) time.Time { return time.Date(2026, 11, d, h, mi, s, 0, cst.Zone) }

// exceptions returns n exceptions of code c, each with amount fen at stake.
func exceptions(c reconcile.Code, n int, fen int64) []reconcile.Exception {
	es := make([]reconcile.Exception, n)
	for i := range es {
		es[i] = reconcile.Exception{Code: c, OrderID: "20876543210987" + strconv.Itoa(65000+i), Amount: fen,
			Message: "见工作簿", Source: "orders.csv:" + strconv.Itoa(i+2)}
	}
	return es
}

// nightResult is a realistic night: a completed run over one day with some
// fifty exceptions of nine codes (two of them retried by the next run),
// declarations, fees in CNY and HKD, exceptions tracked across runs and
// follow-ups of earlier declarations.
func nightResult() *reconcile.Result {
	r := &reconcile.Result{
		RunID:     1187,
		Window:    cst.Window{From: day(2026, 11, 20), To: day(2026, 11, 20)},
		StartedAt: at(21, 2, 0, 3),
		EndedAt:   at(21, 2, 14, 41),
		Status:    reconcile.StatusCompleted,
		Workbook:  "/srv/finance/reconcile/reports/reconcile_2026-11-20.xlsx",
		Counts: reconcile.Counts{OrdersRead: 2819, OrdersInWindow: 2760, OrdersUnpaid: 59, Eligible: 2731,
			Declared: 2690, AlreadyDeclared: 33, DeclareFailed: 8, Pending: 640, CallbacksSent: 602, AlreadySent: 34,
			CallbacksFailed: 4, Calls: 3391, Retries: 57,
			FollowUps: reconcile.FollowUps{Due: 30, Success: 25, Failed: 2, Pending: 3}},
		Money: reconcile.Money{
			Orders: reconcile.Amount{Count: 2760, Fen: 85123456}, Payments: reconcile.Amount{Count: 2752, Fen: 84987654},
			Declared:    reconcile.Amount{Count: 2690, Fen: 82641350},
			ServiceFee:  572_990_300, // ¥5,729.90300
			Settlements: []reconcile.Settlement{{Currency: "HKD", Payments: reconcile.Amount{Count: 46, Fen: 1587240}, ServiceFee: 9_523_000}},
		},
		Tracked: reconcile.Tracked{Known: true, New: 12, Open: 36, Resolved: 7, Aging: [4]int{12, 22, 9, 5}},
	}
	for _, e := range [][]reconcile.Exception{
		exceptions(reconcile.AmountMismatch, 14, 12990),
		exceptions(reconcile.PaymentMissing, 9, 25800),
		exceptions(reconcile.FeeMismatch, 6, 10050),
		exceptions(reconcile.InputInvalid, 4, 0),
		exceptions(reconcile.DeclareRejected, 6, 33800),
		exceptions(reconcile.DeclareError, 2, 19900),
		exceptions(reconcile.CallbackError, 2, 0),
		exceptions(reconcile.ServiceFeeMismatch, 1, 0),
		exceptions(reconcile.PaymentOrphan, 8, 4990),
	} {
		r.Exceptions = append(r.Exceptions, e...)
	}
	r.Tally()
	return r
}

// failedResult is a run that stopped: a bill that does not tie out over a
// three-day window, nothing declared.
func failedResult() *reconcile.Result {
	r := &reconcile.Result{
		RunID:     1190,
		Window:    cst.Window{From: day(2026, 11, 20), To: day(2026, 11, 22)},
		StartedAt: at(23, 2, 0, 3),
		EndedAt:   at(23, 3, 21, 9),
		Status:    reconcile.StatusFailed,
		Reason:    "the bills do not tie out: 2 bill section(s) disagree with their rows or have no summary (BILL_MISMATCH), so nothing was declared",
		Failure: reconcile.Failure{Reason: "微信账单的汇总与明细不符（见 BILL_MISMATCH），本次未申报任何订单",
			Advice: "重新下载原始账单后重跑；如已人工核对无误，请技术人员加 --allow-bill-mismatch 重跑"},
		Workbook: "/srv/finance/reconcile/reports/reconcile_2026-11-20_2026-11-22.xlsx",
		Counts:   reconcile.Counts{OrdersInWindow: 3152, Eligible: 3134, HeldBack: 3134},
		Money:    reconcile.Money{ServiceFee: 198_000},
		Tracked:  reconcile.Tracked{Known: true, New: 20, Resolved: 0},
	}
	r.Exceptions = append(exceptions(reconcile.BillMismatch, 2, 0), exceptions(reconcile.AmountMismatch, 18, 4550)...)
	r.Tally()
	return r
}

// dryResult is a dry run: no run id, nothing declared, no history.
func dryResult() *reconcile.Result {
	r := nightResult()
	r.RunID, r.DryRun = 0, true
	r.Money.Declared = reconcile.Amount{}
	r.Counts.Declared, r.Counts.FollowUps = 0, reconcile.FollowUps{}
	r.Tracked = reconcile.Tracked{}
	r.Workbook = "/srv/finance/reconcile/reports/reconcile_2026-11-20_dryrun.xlsx"
	return r
}

// interruptedResult was stopped by SIGTERM, before the workbook.
func interruptedResult() *reconcile.Result {
	r := &reconcile.Result{
		RunID: 1188, Window: cst.Window{From: day(2026, 11, 21), To: day(2026, 11, 21)},
		StartedAt: at(22, 2, 0, 0), EndedAt: at(22, 2, 0, 38), Status: reconcile.StatusInterrupted,
		Failure: reconcile.Failure{Reason: "运行被中断（收到停止信号）", Advice: "已申报和已回传的记录不会重复：重跑同一日期即可继续未完成的部分"},
		Counts:  reconcile.Counts{Declared: 120},
		Money:   reconcile.Money{Declared: reconcile.Amount{Count: 120, Fen: 3456700}},
	}
	r.Tally()
	return r
}

// golden renders m for every platform as the golden files hold it.
func golden(t *testing.T, m Message) string {
	t.Helper()
	var b strings.Builder
	for _, k := range []Kind{WeCom, DingTalk} {
		b.WriteString("=== " + string(k) + " markdown\n" + m.Markdown(k) + "\n")
	}
	var card bytes.Buffer
	enc := json.NewEncoder(&card)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m.card(m.Title)); err != nil {
		t.Fatal(err)
	}
	b.WriteString("=== feishu card\n" + card.String())
	return b.String()
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the message (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestDigestGolden(t *testing.T) {
	tests := []struct {
		name string
		r    *reconcile.Result
		opt  DigestOptions
		want []string // in every platform's text
	}{
		{"night", nightResult(), DigestOptions{Name: "天猫国际旗舰店", Host: "recon-01"}, []string{
			"⚠️ 【天猫国际旗舰店】对账 2026-11-20：已完成", "运行 #1187", "11-21 02:00 开始", "用时 14 分 38 秒",
			"需处理 48 笔，涉及 ¥7,170.80（另有 4 笔将自动重试）", "已申报 2,690 笔，¥826,413.50", "手续费 ¥5,729.903（另 HKD 95.23）",
			"新增 12，仍未解决 36，已解决 7", "其中 14 笔已超过 7 天",
			reconcile.AmountMismatch.Label() + "（AMOUNT_MISMATCH）：14 笔", "其他 4 类：9 笔",
			"跟进此前已受理的申报 30 笔：申报成功 25，失败 2，仍在处理 3",
			"服务器 recon-01", "/srv/finance/reconcile/reports/reconcile_2026-11-20.xlsx"}},
		{"failed", failedResult(), DigestOptions{}, []string{
			"❌ 对账 2026-11-20 至 2026-11-22：失败", "2026-11-20 至 2026-11-22（3 天）", "用时 1 小时 21 分",
			"原因：微信账单的汇总与明细不符（见 BILL_MISMATCH），本次未申报任何订单",
			"建议：重新下载原始账单后重跑；如已人工核对无误，请技术人员加 --allow-bill-mismatch 重跑",
			"账单汇总不符：本次未申报（3,134 笔待申报）", "需处理 20 笔，涉及 ¥819.00", "手续费 ¥1.98",
			reconcile.BillMismatch.Label() + "（BILL_MISMATCH）：2 笔", "在运行对账的服务器上", "reconcile_2026-11-20_2026-11-22.xlsx"}},
		{"dryrun", dryResult(), DigestOptions{Host: "recon-01"}, []string{
			"对账 2026-11-20：已完成（试运行）", "试运行（未调用平台、未写入日志）", "试运行：未申报（2,731 笔可申报）", "_dryrun.xlsx"}},
		{"interrupted", interruptedResult(), DigestOptions{}, []string{
			"⚠️ 对账 2026-11-21：已中断", "原因：运行被中断（收到停止信号）", "建议：已申报和已回传的记录不会重复", "无异常",
			"已申报 120 笔，¥34,567.00", "本次没有写出工作簿"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := Digest(tt.r, tt.opt)
			got := golden(t, m)
			for _, k := range []Kind{WeCom, DingTalk, Feishu} {
				text := m.Markdown(k)
				if k == Feishu {
					text = m.Title + "\n" + text
				}
				for _, w := range tt.want {
					if !strings.Contains(text, w) {
						t.Errorf("%s: the message does not say %q:\n%s", k, w, text)
					}
				}
				if len(text) > MaxContent {
					t.Errorf("%s: %d bytes, over %d", k, len(text), MaxContent)
				}
			}
			checkGolden(t, tt.name, got)
		})
	}
}

func TestDigestLevels(t *testing.T) {
	clean := interruptedResult()
	clean.Status, clean.Failure = reconcile.StatusCompleted, reconcile.Failure{}
	allowed := nightResult()
	allowed.BillMismatchAllowed = true
	allowed.Exceptions = append(allowed.Exceptions, exceptions(reconcile.BillMismatch, 1, 0)...)
	allowed.Tally()
	tests := []struct {
		name  string
		r     *reconcile.Result
		level Level
		title string
		lines []string
		not   []string
	}{
		{"nothing to do", clean, LevelOK, "✅ 对账 2026-11-21：已完成", []string{"无异常"}, []string{"原因", "建议"}},
		{"exceptions", nightResult(), LevelWarn, "⚠️", nil, []string{"原因"}},
		{"interrupted", interruptedResult(), LevelWarn, "已中断", nil, nil},
		{"failed", failedResult(), LevelBad, "❌", nil, nil},
		{"declared despite a bill", allowed, LevelBad, "❌ 对账 2026-11-20：已完成", []string{"账单汇总不符：已按 --allow-bill-mismatch 照常申报", "已申报 2,690 笔"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := Digest(tt.r, DigestOptions{})
			if m.Level != tt.level || !strings.Contains(m.Title, tt.title) {
				t.Errorf("level %d, title %q; want level %d, title with %q", m.Level, m.Title, tt.level, tt.title)
			}
			text := m.Text()
			for _, w := range tt.lines {
				if !strings.Contains(text, w) {
					t.Errorf("the message does not say %q:\n%s", w, text)
				}
			}
			for _, w := range tt.not {
				if strings.Contains(text, w) {
					t.Errorf("the message says %q:\n%s", w, text)
				}
			}
		})
	}
}

// A failed run's reason falls back to Result.Reason; long, multi-line
// texts from elsewhere are cut to one line; a nil result says so.
func TestDigestOddResults(t *testing.T) {
	r := failedResult()
	r.Failure = reconcile.Failure{}
	if text := Digest(r, DigestOptions{}).Text(); !strings.Contains(text, "原因：the bills do not tie out") {
		t.Errorf("no fallback to Reason:\n%s", text)
	}

	r.Failure = reconcile.Failure{Reason: "第一行\n第二行\t\x00" + strings.Repeat("很长的原因", 200), Advice: "重跑"}
	m := Digest(r, DigestOptions{Name: "店铺\n名"})
	for _, l := range m.Lines {
		if strings.ContainsAny(l.Text, "\n\t\x00") {
			t.Errorf("line %q holds a control character", l.Text)
		}
		if n := utf8.RuneCountInString(l.Text); strings.HasPrefix(l.Text, "原因") && n > maxReason+3 {
			t.Errorf("the reason is %d runes", n)
		}
	}
	if !strings.Contains(m.Title, "【店铺 名】") || !strings.Contains(m.Text(), "原因：第一行 第二行 很长") {
		t.Errorf("message:\n%s", m.Text())
	}

	if m := Digest(nil, DigestOptions{}); m.Level != LevelBad || !strings.Contains(m.Title, "没有运行结果") {
		t.Errorf("Digest(nil) = %+v", m)
	}

	// ByCode left empty: counted from the exceptions.
	r = nightResult()
	r.ByCode = nil
	if text := Digest(r, DigestOptions{}).Text(); !strings.Contains(text, reconcile.AmountMismatch.Label()+"（AMOUNT_MISMATCH）：14 笔") {
		t.Errorf("codes not counted:\n%s", text)
	}
}

func TestMoneyText(t *testing.T) {
	tests := []struct{ got, want string }{
		{yuanText(0), "¥0.00"},
		{yuanText(5), "¥0.05"},
		{yuanText(-5), "-¥0.05"},
		{yuanText(123450), "¥1,234.50"},
		{yuanText(82641350), "¥826,413.50"},
		{yuanText(-100000000), "-¥1,000,000.00"},
		{yuanText(9223372036854775807), "¥92,233,720,368,547,758.07"},
		{feeText("¥", 0), "¥0.00"},
		{feeText("¥", 198_000), "¥1.98"},
		{feeText("¥", 572_990_300), "¥5,729.903"},
		{feeText("¥", -6), "-¥0.00006"},
		{feeText("", 9_523_000), "95.23"},
		{feeText("¥", -9223372036854775808), "-¥92,233,720,368,547.75808"},
		{countText(3134), "3,134"},
		{countText(999), "999"},
		{durationText(38 * time.Second), "38 秒"},
		{durationText(14*time.Minute + 38*time.Second), "14 分 38 秒"},
		{durationText(81*time.Minute + 6*time.Second), "1 小时 21 分"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %s, want %s", tt.got, tt.want)
		}
	}

	// Sums beyond int64 stay exact.
	var s fenSum
	s.add(9223372036854775807)
	s.add(1)
	s.add(99)
	if got, want := s.text(), "¥92,233,720,368,547,759.07"; got != want {
		t.Errorf("overflowing sum = %s, want %s", got, want)
	}
	var neg fenSum
	neg.add(-9223372036854775808)
	neg.add(-2)
	if got, want := neg.text(), "-¥92,233,720,368,547,758.10"; got != want {
		t.Errorf("overflowing sum = %s, want %s", got, want)
	}
}

// A body too long for the platforms is cut after a whole line, with a
// note, and what still does not fit at a rune boundary.
func TestMarkdownBound(t *testing.T) {
	m := Message{Title: "对账", Level: LevelWarn}
	for i := range 300 {
		m.Lines = append(m.Lines, Line{Text: "第 " + strconv.Itoa(i) + " 行：金额不符的订单", Style: Item})
	}
	for _, k := range []Kind{WeCom, DingTalk, Feishu} {
		s := m.Markdown(k)
		if len(s) > MaxContent || !utf8.ValidString(s) || !strings.HasSuffix(s, truncatedNote) {
			t.Errorf("%s: %d bytes, valid %v, ends %q", k, len(s), utf8.ValidString(s), s[max(0, len(s)-60):])
		}
		body, err := m.payload(k, "", "")
		if err != nil {
			t.Fatal(err)
		}
		if len(body) > 20<<10 {
			t.Errorf("%s: a body of %d bytes", k, len(body))
		}
	}

	huge := Message{Title: strings.Repeat("标题", 3000), Lines: []Line{{Text: "x"}}}
	for _, k := range []Kind{WeCom, DingTalk} {
		if s := huge.Markdown(k); len(s) > MaxContent || !utf8.ValidString(s) {
			t.Errorf("%s: %d bytes, valid %v", k, len(s), utf8.ValidString(s))
		}
	}
	if got := cutBytes("ab对账", 4); got != "ab" {
		t.Errorf("cutBytes = %q", got)
	}
}
