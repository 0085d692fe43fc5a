package notify

import (
	"cmp"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/crossborder/reconcile/internal/cst"
	"github.com/crossborder/reconcile/internal/ingest"
	"github.com/crossborder/reconcile/internal/reconcile"
)

// Level is how a message's night went, for its icon and its card's colour.
type Level uint8

const (
	LevelOK   Level = iota // nothing to do: ✅, green
	LevelWarn              // something to handle, or the run was interrupted: ⚠️, orange
	LevelBad               // the run failed, or a bill does not tie out: ❌, red
)

func (l Level) icon() string {
	switch l {
	case LevelWarn:
		return "⚠️"
	case LevelBad:
		return "❌"
	}
	return "✅"
}

// Style is how a line of a message is shown.
type Style uint8

const (
	Plain    Style = iota // a line of text
	Strong                // a line in bold: the night's headline
	Item                  // an item of a list
	Verbatim              // a path: shown as is, never read as markdown
)

// Line is a line of a message: plain text, which each platform's renderer
// marks up for its own markdown.
type Line struct {
	Text  string
	Style Style
}

// Message is what a robot posts: a title (the notification's and the
// card's; plain text), a level and the lines of its body. Digest builds
// the run's.
type Message struct {
	Title string
	Level Level
	Lines []Line
}

// DigestOptions are what the digest says beside the result.
type DigestOptions struct {
	// Name names the job in the title, e.g. the store ("" for none):
	// "【天猫国际旗舰店】对账 2026-11-20：已完成".
	Name string
	// Host is the server the workbook was written on (os.Hostname), so
	// that the message can say where its path is; "" for "the server that
	// ran the job".
	Host string
}

// Field lengths, in runes, beyond which a text from elsewhere is cut.
const (
	maxReason = 300 // Failure.Reason, Failure.Advice, Result.Reason
	maxName   = 40  // DigestOptions.Name, DigestOptions.Host
	topCodes  = 5   // codes listed by name; the others are summed
)

// Digest is the run's message for the team's chat, in Chinese, short enough
// for a phone:
//
//   - the title: an icon for the level (✅ nothing to handle, ⚠️ something to
//     handle or the run was interrupted, ❌ the run failed or a bill does
//     not tie out), "对账" (a DingTalk robot's keyword can be 对账), the
//     window and how the run ended: 已完成, 已中断 or 失败, and （试运行） for a
//     dry run;
//   - the window's days, the run's id (or that it was a dry run), when it
//     started (UTC+8) and how long it took;
//   - for a run that did not complete, why (Failure.Reason, else Reason) and
//     what to do (Failure.Advice);
//   - the money, as the workbook's headline (docs of package report): when a
//     bill does not tie out, that nothing was declared; the exceptions
//     to handle and the money at stake, those the next run retries by itself
//     apart; the declarations accepted (in a dry run, those that could be);
//     the fees, with the precision they carry, and each Global settlement
//     currency's;
//   - the exceptions new, still open and resolved since the last run
//     (Result.Tracked, when Known), and how many are open for more than 7 days;
//   - the codes with the most exceptions, at most 5, with their Chinese
//     labels and counts, the others summed;
//   - the follow-ups of earlier declarations, when there were any;
//   - where the workbook is: a path on the server that ran the job.
//
// Money is formatted exactly from fen (ingest.FormatAmount, digits
// grouped); never through a float. A nil result gives a message that says
// there is none.
func Digest(r *reconcile.Result, opt DigestOptions) Message {
	name := oneLine(opt.Name, maxName)
	if name != "" {
		name = "【" + name + "】"
	}
	if r == nil {
		return Message{Title: "❌ " + name + "对账：没有运行结果", Level: LevelBad,
			Lines: []Line{{Text: "本次运行没有产生结果，请查看运行日志。"}}}
	}
	byCode := r.ByCode
	if byCode == nil {
		byCode = map[reconcile.Code]int{}
		for i := range r.Exceptions {
			byCode[r.Exceptions[i].Code]++
		}
	}

	// What needs someone: every exception but those the next run retries
	// by itself, as the workbook's headline counts them.
	var need fenSum
	n, retry := 0, 0
	for i := range r.Exceptions {
		if r.Exceptions[i].Code.Retried() {
			retry++
			continue
		}
		n++
		need.add(r.Exceptions[i].Amount)
	}
	mismatch := byCode[reconcile.BillMismatch] > 0

	level := LevelOK
	switch {
	case r.Status == reconcile.StatusFailed || mismatch:
		level = LevelBad
	case n > 0 || r.Status != reconcile.StatusCompleted:
		level = LevelWarn
	}

	m := Message{Level: level}
	title := level.icon() + " " + name + "对账 " + windowText(r.Window) + "：" + statusText(r.Status)
	if r.DryRun {
		title += "（试运行）"
	}
	m.Title = title
	add := func(style Style, text string) { m.Lines = append(m.Lines, Line{Text: text, Style: style}) }

	// When and which run.
	days := "日期 " + windowText(r.Window)
	if d := r.Window.Days(); d > 1 {
		days += "（" + strconv.Itoa(d) + " 天）"
	}
	run := "运行 #" + strconv.FormatInt(r.RunID, 10)
	if r.DryRun {
		run = "试运行（未调用平台、未写入日志）"
	}
	parts := []string{days, run}
	if !r.StartedAt.IsZero() {
		parts = append(parts, r.StartedAt.In(cst.Zone).Format("01-02 15:04")+" 开始")
		if !r.EndedAt.IsZero() && !r.EndedAt.Before(r.StartedAt) {
			parts = append(parts, "用时 "+durationText(r.EndedAt.Sub(r.StartedAt)))
		}
	}
	add(Plain, strings.Join(parts, " · "))

	// Why it did not complete.
	if r.Status != reconcile.StatusCompleted {
		reason := oneLine(r.Failure.Reason, maxReason)
		if reason == "" {
			reason = oneLine(r.Reason, maxReason)
		}
		if reason != "" {
			add(Strong, "原因："+reason)
		}
		if advice := oneLine(r.Failure.Advice, maxReason); advice != "" {
			add(Plain, "建议："+advice)
		}
	}

	// The money.
	if mismatch {
		add(Strong, "账单汇总不符："+heldBackText(r))
	}
	switch {
	case n > 0:
		todo := "需处理 " + countText(n) + " 笔，涉及 " + need.text()
		if retry > 0 {
			todo += "（另有 " + countText(retry) + " 笔将自动重试）"
		}
		add(Strong, todo)
	case retry > 0:
		add(Plain, "无需人工处理的异常（另有 "+countText(retry)+" 笔将自动重试）")
	default:
		add(Plain, "无异常")
	}
	declared := r.Money.Declared
	switch {
	case r.DryRun && !mismatch:
		add(Plain, "试运行：未申报（"+countText(r.Counts.Eligible)+" 笔可申报）")
	case r.DryRun:
	case !mismatch || declared.Count > 0:
		add(Plain, "已申报 "+countText(declared.Count)+" 笔，"+yuanText(declared.Fen))
	}
	fee := "手续费 " + feeText("¥", r.Money.ServiceFee)
	var foreign []string
	for _, s := range r.Money.Settlements {
		foreign = append(foreign, oneLine(s.Currency, 8)+" "+feeText("", s.ServiceFee))
	}
	if len(foreign) > 0 {
		fee += "（另 " + strings.Join(foreign, "，") + "）"
	}
	add(Plain, fee)

	// Across runs.
	if t := r.Tracked; t.Known {
		text := "异常跟踪：新增 " + countText(t.New) + "，仍未解决 " + countText(t.Open) + "，已解决 " + countText(t.Resolved)
		if old := t.Aging[2] + t.Aging[3]; old > 0 {
			text += "；其中 " + countText(old) + " 笔已超过 7 天"
		}
		add(Plain, text)
	}

	// The codes with the most exceptions.
	if top, others, rest := topCodeCounts(byCode); len(top) > 0 {
		add(Plain, "异常分布：")
		for _, c := range top {
			label := c.code.Label()
			if label == string(c.code) {
				add(Item, oneLine(string(c.code), 40)+"："+countText(c.n)+" 笔")
				continue
			}
			add(Item, label+"（"+string(c.code)+"）："+countText(c.n)+" 笔")
		}
		if others > 0 {
			add(Item, "其他 "+strconv.Itoa(others)+" 类："+countText(rest)+" 笔")
		}
	}

	// Follow-ups of earlier declarations.
	if f := r.Counts.FollowUps; f.Due > 0 || f.Stuck > 0 {
		text := "跟进此前已受理的申报 " + countText(f.Due) + " 笔"
		var got []string
		for _, p := range []struct {
			words string
			n     int
		}{{"申报成功", f.Success}, {"失败", f.Failed}, {"仍在处理", f.Pending}, {"未获答复", f.NotSent}, {"出错", f.Errors}} {
			if p.n > 0 {
				got = append(got, p.words+" "+countText(p.n))
			}
		}
		if len(got) > 0 {
			text += "：" + strings.Join(got, "，")
		}
		if f.Stuck > 0 {
			text += "；超过跟进期仍未完成 " + countText(f.Stuck) + " 笔"
		}
		add(Plain, text)
	}

	// Where the workbook is.
	if r.Workbook == "" {
		add(Plain, "本次没有写出工作簿")
	} else {
		where := "工作簿（在运行对账的服务器上）："
		if h := oneLine(opt.Host, maxName); h != "" {
			where = "工作簿（在服务器 " + h + " 上）："
		}
		add(Plain, where)
		add(Verbatim, oneLine(r.Workbook, 1024))
	}
	return m
}

// heldBackText says what a bill that does not tie out did to the
// declarations, as the workbook's headline does.
func heldBackText(r *reconcile.Result) string {
	c := &r.Counts
	switch {
	case r.DryRun:
		return "试运行未申报，正式运行也将暂缓申报（" + countText(c.Eligible) + " 笔）"
	case r.Money.Declared.Count > 0 || c.Declared > 0:
		return "已按 --allow-bill-mismatch 照常申报"
	case c.HeldBack == 0:
		return "本次未申报"
	}
	return "本次未申报（" + countText(c.HeldBack) + " 笔待申报）"
}

type codeCount struct {
	code reconcile.Code
	n    int
}

// topCodeCounts returns the codes with exceptions, most first (ties in the
// order of reconcile.Codes, unknown codes after by their text), at most
// topCodes of them, and how many other codes there are and how many
// exceptions they hold.
func topCodeCounts(byCode map[reconcile.Code]int) (top []codeCount, others, rest int) {
	order := map[reconcile.Code]int{}
	for i, c := range reconcile.Codes() {
		order[c] = i
	}
	rank := func(c reconcile.Code) int {
		if i, ok := order[c]; ok {
			return i
		}
		return len(order)
	}
	var all []codeCount
	for c, n := range byCode {
		if n > 0 {
			all = append(all, codeCount{c, n})
		}
	}
	slices.SortFunc(all, func(a, b codeCount) int {
		return cmp.Or(cmp.Compare(b.n, a.n), cmp.Compare(rank(a.code), rank(b.code)), strings.Compare(string(a.code), string(b.code)))
	})
	if len(all) <= topCodes {
		return all, 0, 0
	}
	for _, c := range all[topCodes:] {
		rest += c.n
	}
	return all[:topCodes], len(all) - topCodes, rest
}

func statusText(s reconcile.Status) string {
	switch s {
	case reconcile.StatusCompleted:
		return "已完成"
	case reconcile.StatusInterrupted:
		return "已中断"
	case reconcile.StatusFailed:
		return "失败"
	}
	return oneLine(string(s), 20)
}

// windowText is "2026-11-20", or "2026-11-20 至 2026-11-22".
func windowText(w cst.Window) string {
	if w.From == w.To {
		return w.From.String()
	}
	return w.From.String() + " 至 " + w.To.String()
}

// durationText is "38 秒", "14 分 38 秒" or "1 小时 2 分".
func durationText(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	h, m := s/3600, s/60%60
	switch {
	case h > 0:
		return strconv.FormatInt(h, 10) + " 小时 " + strconv.FormatInt(m, 10) + " 分"
	case m > 0:
		return strconv.FormatInt(m, 10) + " 分 " + strconv.FormatInt(s%60, 10) + " 秒"
	}
	return strconv.FormatInt(s, 10) + " 秒"
}

// oneLine makes a text from elsewhere fit a line: control characters and
// line breaks become spaces, runs of spaces one, and a text longer than max
// runes is cut there with "…".
func oneLine(s string, max int) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == utf8.RuneError {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	out := b.String()
	if utf8.RuneCountInString(out) > max {
		rs := []rune(out)
		out = string(rs[:max-1]) + "…"
	}
	return out
}

// countText is a count with its digits grouped: "3,134".
func countText(n int) string { return grouped(strconv.Itoa(n)) }

// yuanText is fen as yuan with the ¥ sign and its digits grouped, exactly:
// 82641350 as "¥826,413.50", -5 as "-¥0.05".
func yuanText(fen int64) string { return signed("¥", grouped(ingest.FormatAmount(fen))) }

// feeText is a fee in 10⁻⁵ yuan (or of another currency's unit) with the
// precision it carries: at least two decimals, the zeros beyond them
// dropped: "¥5,729.903", "¥1.98", "-¥0.00006". Exact: integer arithmetic.
func feeText(symbol string, v int64) string {
	neg := v < 0
	u := uint64(v)
	if neg {
		u = -u
	}
	frac := strconv.FormatUint(u%100000+100000, 10)[1:] // five digits
	frac = strings.TrimRight(frac, "0")
	for len(frac) < 2 {
		frac += "0"
	}
	s := grouped(strconv.FormatUint(u/100000, 10) + "." + frac)
	if neg {
		s = "-" + s
	}
	return signed(symbol, s)
}

// grouped groups the digits of a decimal's integer part by three: "-1234.50"
// as "-1,234.50".
func grouped(s string) string {
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	whole, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	out := sign + b.String()
	if hasFrac {
		out += "." + frac
	}
	return out
}

// signed puts a currency symbol after the sign of a decimal text.
func signed(symbol, s string) string {
	if strings.HasPrefix(s, "-") {
		return "-" + symbol + s[1:]
	}
	return symbol + s
}

// fenSum sums amounts in fen exactly, in a big integer once the sum leaves
// the int64 range.
type fenSum struct {
	n    int64
	over *big.Int
}

func (t *fenSum) add(v int64) {
	if t.over != nil {
		t.over.Add(t.over, big.NewInt(v))
		return
	}
	s := t.n + v
	if (v > 0 && s < t.n) || (v < 0 && s > t.n) {
		t.over = new(big.Int).Add(big.NewInt(t.n), big.NewInt(v))
		return
	}
	t.n = s
}

// text is the sum as yuanText shows an amount.
func (t *fenSum) text() string {
	if t.over == nil {
		return yuanText(t.n)
	}
	digits := new(big.Int).Abs(t.over).String()
	for len(digits) < 3 {
		digits = "0" + digits
	}
	s := digits[:len(digits)-2] + "." + digits[len(digits)-2:]
	if t.over.Sign() < 0 {
		s = "-" + s
	}
	return signed("¥", grouped(s))
}
