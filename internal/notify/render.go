package notify

import (
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// MaxContent is the most bytes of markdown a message's body is given, on
// every platform: WeCom's markdown content is at most 4096 bytes of UTF-8
// (群机器人配置说明, https://developer.work.weixin.qq.com/document/path/91770),
// and the same bound is kept for DingTalk's markdown text and Feishu's card
// (whose request body may be 20 KB). A longer body is cut at a line, with
// truncatedNote; a line alone longer than that at a rune.
const MaxContent = 4096

// truncatedNote ends a body that had to be cut.
const truncatedNote = "……（内容过长，已截断，详见工作簿）"

// Markdown returns the message's body as a robot of kind k shows it:
//
//   - WeCom (markdown): "## title", then a line each, in bold (**…**) for
//     the headline, a path as inline code (`…`);
//   - DingTalk (markdown): "### title", then the lines as paragraphs (its
//     markdown joins lines not set apart by a blank one), the items of a
//     list on consecutive lines;
//   - Feishu: the card's markdown, a line each (the title is the card's
//     header; a path is a plain-text element of its own, shown here as is).
//
// It is at most MaxContent bytes.
func (m Message) Markdown(k Kind) string {
	r := func(lines []Line) string { return render(k, m.Title, lines) }
	return cutBytes(r(fitLines(m.Lines, r)), MaxContent)
}

// render renders title and lines for kind k, without a bound.
func render(k Kind, title string, lines []Line) string {
	var b strings.Builder
	switch k {
	case WeCom:
		b.WriteString("## " + title)
		for _, l := range lines {
			b.WriteString("\n" + wecomLine(l))
		}
	case DingTalk:
		b.WriteString("### " + title)
		prev := Plain
		for _, l := range lines {
			sep := "\n\n"
			if l.Style == Item && prev == Item {
				sep = "\n"
			}
			b.WriteString(sep + markLine(l))
			prev = l.Style
		}
	default: // Feishu
		for i, l := range lines {
			if i > 0 {
				b.WriteByte('\n')
			}
			b.WriteString(markLine(l))
		}
	}
	return b.String()
}

func wecomLine(l Line) string {
	if l.Style == Verbatim && !strings.Contains(l.Text, "`") {
		return "`" + l.Text + "`"
	}
	return markLine(l)
}

// markLine marks up a line in the markdown DingTalk and Feishu share.
func markLine(l Line) string {
	switch l.Style {
	case Strong:
		return "**" + l.Text + "**"
	case Item:
		return "- " + l.Text
	}
	return l.Text
}

// fitLines returns lines if their render is at most MaxContent bytes, else
// as many leading lines as fit with truncatedNote after them (just the
// note if none does).
func fitLines(lines []Line, render func([]Line) string) []Line {
	if len(render(lines)) <= MaxContent {
		return lines
	}
	for n := len(lines) - 1; n > 0; n-- {
		cut := append(lines[:n:n], Line{Text: truncatedNote})
		if len(render(cut)) <= MaxContent {
			return cut
		}
	}
	return []Line{{Text: truncatedNote}}
}

// cutBytes cuts s to at most n bytes, at a rune boundary.
func cutBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// payload is the JSON body of the message for kind k. For Feishu, ts and
// sign are the signature's fields ("" when the robot does not sign).
func (m Message) payload(k Kind, ts, sign string) ([]byte, error) {
	title := m.Title
	if title == "" {
		title = "对账通知"
	}
	switch k {
	case WeCom:
		return json.Marshal(map[string]any{
			"msgtype":  "markdown",
			"markdown": map[string]string{"content": Message{Title: title, Level: m.Level, Lines: m.Lines}.Markdown(WeCom)},
		})
	case DingTalk:
		return json.Marshal(map[string]any{
			"msgtype":  "markdown",
			"markdown": map[string]string{"title": title, "text": Message{Title: title, Level: m.Level, Lines: m.Lines}.Markdown(DingTalk)},
		})
	}
	return json.Marshal(feishuBody{Timestamp: ts, Sign: sign, MsgType: "interactive", Card: m.card(title)})
}

// feishuBody is a Feishu custom robot's request: the signature's fields
// beside the message.
type feishuBody struct {
	Timestamp string `json:"timestamp,omitempty"`
	Sign      string `json:"sign,omitempty"`
	MsgType   string `json:"msg_type"`
	Card      any    `json:"card"`
}

// card is the message as a Feishu interactive card (msg_type
// "interactive"): a header with the title, coloured by level (green,
// orange, red), then markdown elements, each path a plain_text div of its
// own so that no character of it is read as markdown. A card is chosen
// over "post" and "text" because its markdown element renders bold and
// lists and its coloured header tells at a glance, in the chat list, how the
// night went; "text" renders no markup at all and "post" wants each
// styled span as a separate tag.
func (m Message) card(title string) map[string]any {
	// Bound the body as the other platforms' (render for Feishu is the
	// elements' texts, one a line).
	lines := fitLines(m.Lines, func(ls []Line) string { return render(Feishu, title, ls) })
	var (
		elements []any
		md       []string
	)
	flush := func() {
		if len(md) > 0 {
			elements = append(elements, map[string]string{"tag": "markdown", "content": cutBytes(strings.Join(md, "\n"), MaxContent)})
			md = nil
		}
	}
	for _, l := range lines {
		if l.Style == Verbatim {
			flush()
			elements = append(elements, map[string]any{"tag": "div", "text": map[string]string{"tag": "plain_text", "content": cutBytes(l.Text, MaxContent)}})
			continue
		}
		md = append(md, markLine(l))
	}
	flush()
	template := map[Level]string{LevelOK: "green", LevelWarn: "orange", LevelBad: "red"}[m.Level]
	return map[string]any{
		"config":   map[string]bool{"wide_screen_mode": true},
		"header":   map[string]any{"template": template, "title": map[string]string{"tag": "plain_text", "content": title}},
		"elements": elements,
	}
}

// Text returns the message as plain text: the title, then a line each. For
// a log line or a preview.
func (m Message) Text() string {
	var b strings.Builder
	b.WriteString(m.Title)
	for _, l := range m.Lines {
		b.WriteByte('\n')
		if l.Style == Item {
			b.WriteString("- ")
		}
		b.WriteString(l.Text)
	}
	return b.String()
}
