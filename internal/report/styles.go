package report

import (
	"strings"

	"github.com/xuri/excelize/v2"
)

// Number formats.
const (
	moneyFormat    = `¥#,##0.00;[Red]-¥#,##0.00`
	dateFormat     = `yyyy-mm-dd hh:mm:ss`
	dayFormat      = `yyyy-mm-dd`
	durationFormat = `[h]:mm:ss`
	countFormat    = `#,##0`
	textFormat     = 49 // the built-in "@" (text) format
)

// styles holds the style ids of one workbook.
type styles struct {
	header       int // list headers: bold on a blue fill, bordered, centred, wrapped
	text         int // ids, codes and other text: the "@" format
	wrap         int // free text: "@", wrapped, top-aligned
	money        int // yuan: ¥#,##0.00, negatives red
	moneyText    int // amounts too large for an exact number, kept as text, right-aligned
	date         int // yyyy-mm-dd hh:mm:ss
	count        int // whole numbers: #,##0
	attempts     int // a small count, centred
	state        int // an outcome word, centred
	good         int // an outcome that needs nothing: dark green
	bad          int // an outcome that needs a look: dark red, bold
	neutralState int // an outcome that needs nothing now: grey, centred
	// An order's outcome on 订单明细: left-aligned, not bold (a column of
	// them reads as a list): dark green, dark red, grey.
	outcomeGood, outcomeBad, outcomeNeutral int
	meaning, zeroMeaning                    int // what a code's amount is: wrapped, clear of the amount beside
	lineNo                                  int // a line number: 0, centred
	tech                                    int // a technical column's text: grey, not wrapped
	edit                                    int // a cell the finance team fills in: unlocked text
	editWrap                                int // likewise, wrapped
	editHeader                              int // the header of such a column: on a light yellow fill
	stateNew                                int // 新增: bold, dark orange
	stateOpen                               int // 未解决: dark red

	// The subtotal row above a list's header.
	subBand  int // its fill, for the cells without a subtotal
	subCount int // the count of visible rows: 共 N 行
	subMoney int // the sum of an amount column's visible rows
	subNote  int // its remark: grey, italic

	// The summary sheet.
	title      int
	section    int
	key        int // the labels of the key/value block
	value      int // text values of the key/value block
	valueWrap  int
	valueDate  int
	duration   int
	dryRun     int
	failed     int    // the banner of a run that failed or was interrupted: dark red on red
	link       int    // a hyperlink: blue, underlined
	indent     [4]int // a counting line's label, indented by its level (the first bold)
	remark     int    // a counting line's remark: grey
	statusOK   int
	statusWarn int
	statusBad  int
	zeroText   int // a code without exceptions: grey
	zeroCount  int
	zeroMoney  int
	zeroWrap   int
	total      int // the total row's text
	totalCount int
	totalMoney int
	note       int

	// The headline of the summary and the status line of the money sheet:
	// bold on a green, amber or red fill.
	headlineOK   int
	headlineWarn int
	headlineBad  int

	// The money sheet.
	day       int // a day of the window: yyyy-mm-dd, centred
	block     int // a bill section's title: bold on a light fill
	diffText  int // a figure on which summary and rows differ: dark red, bold, on a red fill
	diffCount int
	diffWrap  int // a summary line that is missing or unreadable: diffText, wrapped
	neutral   int // nothing to compare: grey, centred
	// neutralFill is a section that need not tie out: grey on a light
	// fill, centred, beside statusOK and statusBad.
	neutralFill int
	diffVerdict int // 不符 on a figure's row: diffText, centred
	infoValue   int // where a bill section is: text, wrapped, vertically centred beside its key

	family string               // the workbook's default font family
	units  map[unitStyleKey]int // amount styles per currency, places and variant, made on first use
	f      *excelize.File       // for the styles made on first use
}

var (
	thinBorder = []excelize.Border{
		{Type: "left", Color: "A6A6A6", Style: 1},
		{Type: "right", Color: "A6A6A6", Style: 1},
		{Type: "top", Color: "A6A6A6", Style: 1},
		{Type: "bottom", Color: "A6A6A6", Style: 1},
	}
)

func strPtr(s string) *string { return &s }

// fontFamily is the workbook's font: 等线 (DengXian), the font Excel uses
// for Chinese since 2016, shipped with Windows 10 and with Office on the
// Mac. A CJK font in every style keeps Chinese text from being drawn in a
// fallback face of other metrics (and Latin text in LibreOffice's serif).
const fontFamily = "等线"

// newStyles registers the workbook's styles, after making fontFamily the
// workbook's default font. Every font names it: a font without a family
// is shown in the reader's fallback face.
func newStyles(f *excelize.File) (*styles, error) {
	var s styles
	if err := f.SetDefaultFont(fontFamily); err != nil {
		return nil, err
	}
	family, err := f.GetDefaultFont()
	if err != nil {
		return nil, err
	}
	font := func(bold bool, size float64, color string) *excelize.Font {
		return &excelize.Font{Family: family, Bold: bold, Size: size, Color: color}
	}
	add := func(dst *int, st *excelize.Style) {
		if err != nil {
			return
		}
		*dst, err = f.NewStyle(st)
	}
	vcenter := &excelize.Alignment{Vertical: "center"}
	add(&s.header, &excelize.Style{
		Font:      font(true, 0, ""),
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
		Border:    thinBorder,
		Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true},
		NumFmt:    textFormat,
	})
	add(&s.text, &excelize.Style{NumFmt: textFormat, Alignment: vcenter})
	add(&s.wrap, &excelize.Style{NumFmt: textFormat, Alignment: &excelize.Alignment{Vertical: "center", WrapText: true}})
	// Amounts are right-aligned with an indent, so that they do not run into
	// the text of the next column.
	amount := &excelize.Alignment{Horizontal: "right", Vertical: "center", Indent: 1}
	add(&s.money, &excelize.Style{CustomNumFmt: strPtr(moneyFormat), Alignment: amount})
	add(&s.moneyText, &excelize.Style{NumFmt: textFormat, Alignment: &excelize.Alignment{Horizontal: "right", Vertical: "center", Indent: 1}})
	center := &excelize.Alignment{Horizontal: "center", Vertical: "center"}
	add(&s.date, &excelize.Style{CustomNumFmt: strPtr(dateFormat), Alignment: center})
	add(&s.attempts, &excelize.Style{CustomNumFmt: strPtr(countFormat), Alignment: center})
	add(&s.state, &excelize.Style{NumFmt: textFormat, Alignment: center})
	add(&s.count, &excelize.Style{CustomNumFmt: strPtr(countFormat), Alignment: amount}) // indented like amounts: clear of the text beside
	add(&s.good, &excelize.Style{NumFmt: textFormat, Font: font(false, 0, "006100"), Alignment: center})
	add(&s.bad, &excelize.Style{NumFmt: textFormat, Font: font(true, 0, "C00000"), Alignment: center})
	add(&s.neutralState, &excelize.Style{NumFmt: textFormat, Font: font(false, 0, "595959"), Alignment: center})
	add(&s.lineNo, &excelize.Style{NumFmt: 1, Alignment: center}) // 0
	outcome := &excelize.Alignment{Horizontal: "left", Vertical: "center", Indent: 1}
	add(&s.outcomeGood, &excelize.Style{NumFmt: textFormat, Font: font(false, 0, "006100"), Alignment: outcome})
	add(&s.outcomeBad, &excelize.Style{NumFmt: textFormat, Font: font(false, 0, "C00000"), Alignment: outcome})
	add(&s.outcomeNeutral, &excelize.Style{NumFmt: textFormat, Font: font(false, 0, "595959"), Alignment: outcome})
	meaning := &excelize.Alignment{Horizontal: "left", Vertical: "center", WrapText: true, Indent: 1}
	add(&s.meaning, &excelize.Style{NumFmt: textFormat, Alignment: meaning})
	add(&s.zeroMeaning, &excelize.Style{NumFmt: textFormat, Font: font(false, 0, "A6A6A6"), Alignment: meaning})
	add(&s.tech, &excelize.Style{NumFmt: textFormat, Font: font(false, 9, "808080"), Alignment: vcenter})
	unlocked := &excelize.Protection{Locked: false}
	add(&s.edit, &excelize.Style{NumFmt: textFormat, Alignment: vcenter, Protection: unlocked})
	add(&s.editWrap, &excelize.Style{NumFmt: textFormat, Alignment: &excelize.Alignment{Vertical: "center", WrapText: true}, Protection: unlocked})
	add(&s.editHeader, &excelize.Style{
		Font:      font(true, 0, "7F4F00"),
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFF2CC"}},
		Border:    thinBorder,
		Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true},
		NumFmt:    textFormat,
	})
	add(&s.stateNew, &excelize.Style{NumFmt: textFormat, Font: font(true, 0, "C55A11"), Alignment: center})
	add(&s.stateOpen, &excelize.Style{NumFmt: textFormat, Font: font(false, 0, "9C0006"), Alignment: center})
	band := excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"F2F2F2"}}
	add(&s.subBand, &excelize.Style{Fill: band})
	add(&s.subCount, &excelize.Style{Font: font(true, 0, "1F3864"), Fill: band, CustomNumFmt: strPtr(`"共 "#,##0" 行"`),
		Alignment: &excelize.Alignment{Horizontal: "left", Vertical: "center"}})
	add(&s.subMoney, &excelize.Style{Font: font(true, 0, "1F3864"), Fill: band, CustomNumFmt: strPtr(moneyFormat), Alignment: amount})
	add(&s.subNote, &excelize.Style{Font: &excelize.Font{Family: family, Italic: true, Size: 9, Color: "595959"}, Fill: band,
		NumFmt: textFormat, Alignment: vcenter})

	add(&s.title, &excelize.Style{Font: font(true, 16, "1F3864"), Alignment: vcenter})
	add(&s.section, &excelize.Style{Font: font(true, 12, "1F3864"), Alignment: vcenter,
		Border: []excelize.Border{{Type: "bottom", Color: "1F3864", Style: 2}}})
	add(&s.key, &excelize.Style{Font: font(true, 0, "404040"), NumFmt: textFormat, Alignment: vcenter})
	add(&s.value, &excelize.Style{NumFmt: textFormat, Alignment: &excelize.Alignment{Horizontal: "left", Vertical: "center"}})
	add(&s.valueWrap, &excelize.Style{NumFmt: textFormat, Alignment: &excelize.Alignment{Horizontal: "left", Vertical: "top", WrapText: true}})
	add(&s.valueDate, &excelize.Style{CustomNumFmt: strPtr(dateFormat), Alignment: &excelize.Alignment{Horizontal: "left", Vertical: "center"}})
	add(&s.duration, &excelize.Style{CustomNumFmt: strPtr(durationFormat), Alignment: &excelize.Alignment{Horizontal: "left", Vertical: "center"}})
	add(&s.dryRun, &excelize.Style{Font: font(true, 12, "C00000"), NumFmt: textFormat,
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFF2CC"}}, Alignment: vcenter})
	add(&s.failed, &excelize.Style{Font: font(true, 12, "9C0006"), NumFmt: textFormat,
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFC7CE"}},
		Alignment: &excelize.Alignment{Vertical: "center", WrapText: true}})
	add(&s.link, &excelize.Style{Font: &excelize.Font{Family: family, Color: "0563C1", Underline: "single"}, NumFmt: textFormat, Alignment: vcenter})
	for i := range s.indent {
		add(&s.indent[i], &excelize.Style{Font: font(i == 0, 0, ""), NumFmt: textFormat,
			Alignment: &excelize.Alignment{Horizontal: "left", Vertical: "center", Indent: 2 * i}})
	}
	add(&s.remark, &excelize.Style{Font: font(false, 0, "595959"), NumFmt: textFormat,
		Alignment: &excelize.Alignment{Horizontal: "left", Vertical: "center", WrapText: true, Indent: 1}})
	status := func(dst *int, fg, bg string) {
		add(dst, &excelize.Style{Font: font(true, 0, fg), NumFmt: textFormat,
			Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{bg}}, Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center"}})
	}
	status(&s.statusOK, "006100", "C6EFCE")
	status(&s.statusWarn, "9C5700", "FFEB9C")
	status(&s.statusBad, "9C0006", "FFC7CE")
	grey := font(false, 0, "A6A6A6")
	add(&s.zeroText, &excelize.Style{Font: grey, NumFmt: textFormat, Alignment: vcenter})
	add(&s.zeroCount, &excelize.Style{Font: grey, CustomNumFmt: strPtr(countFormat), Alignment: amount})
	add(&s.zeroMoney, &excelize.Style{Font: grey, CustomNumFmt: strPtr(moneyFormat), Alignment: amount})
	add(&s.zeroWrap, &excelize.Style{Font: grey, NumFmt: textFormat, Alignment: &excelize.Alignment{Vertical: "center", WrapText: true}})
	topBorder := []excelize.Border{{Type: "top", Color: "404040", Style: 1}, {Type: "bottom", Color: "404040", Style: 6}}
	add(&s.total, &excelize.Style{Font: font(true, 0, ""), NumFmt: textFormat, Border: topBorder, Alignment: vcenter})
	add(&s.totalCount, &excelize.Style{Font: font(true, 0, ""), CustomNumFmt: strPtr(countFormat), Border: topBorder, Alignment: amount})
	add(&s.totalMoney, &excelize.Style{Font: font(true, 0, ""), CustomNumFmt: strPtr(moneyFormat), Border: topBorder, Alignment: amount})
	add(&s.note, &excelize.Style{Font: &excelize.Font{Family: family, Italic: true, Color: "595959"}, NumFmt: textFormat,
		Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}})

	headline := func(dst *int, fg, bg string) {
		add(dst, &excelize.Style{Font: font(true, 12, fg), NumFmt: textFormat,
			Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{bg}},
			Alignment: &excelize.Alignment{Horizontal: "left", Vertical: "center", WrapText: true, Indent: 1}})
	}
	headline(&s.headlineOK, "006100", "C6EFCE")
	headline(&s.headlineWarn, "7F4F00", "FFEB9C")
	headline(&s.headlineBad, "9C0006", "FFC7CE")
	add(&s.day, &excelize.Style{CustomNumFmt: strPtr(dayFormat), Alignment: center})
	add(&s.block, &excelize.Style{Font: font(true, 0, "1F3864"), NumFmt: textFormat,
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"F2F2F2"}}, Alignment: vcenter})
	add(&s.diffText, &excelize.Style{Font: font(true, 0, "9C0006"), NumFmt: textFormat,
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFC7CE"}}, Alignment: vcenter})
	add(&s.diffCount, &excelize.Style{Font: font(true, 0, "9C0006"), CustomNumFmt: strPtr(countFormat),
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFC7CE"}}, Alignment: amount})
	add(&s.neutral, &excelize.Style{Font: grey, NumFmt: textFormat, Alignment: center})
	add(&s.diffWrap, &excelize.Style{Font: font(true, 0, "9C0006"), NumFmt: textFormat,
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFC7CE"}}, Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}})
	add(&s.neutralFill, &excelize.Style{Font: font(true, 0, "595959"), NumFmt: textFormat,
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"EDEDED"}}, Alignment: center})
	add(&s.diffVerdict, &excelize.Style{Font: font(true, 0, "9C0006"), NumFmt: textFormat,
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFC7CE"}}, Alignment: center})
	add(&s.infoValue, &excelize.Style{NumFmt: textFormat, Alignment: &excelize.Alignment{Horizontal: "left", Vertical: "center", WrapText: true}})
	s.family, s.units, s.f = family, map[unitStyleKey]int{}, f
	return &s, err
}

// An amount's variant: how its cell stands out.
type amountVariant int

const (
	plainAmount amountVariant = iota
	totalAmount               // a total row: bold, ruled above and below
	diffAmount                // a figure that differs: dark red, bold, on a red fill
)

// unit is what an amount is counted in: a currency ("CNY", or a Global
// statement's settlement currency) and its places (fenPlaces for amounts,
// feePlaces for fees).
type unit struct {
	currency string
	places   int
}

var (
	cny    = unit{"CNY", fenPlaces}
	cnyFee = unit{"CNY", feePlaces}
)

type unitStyleKey struct {
	unit
	variant amountVariant
}

// unitFormat returns the number format of amounts in u: ¥#,##0.00 for CNY
// (¥#,##0.00000 for fees), the ISO code after the number for any other
// currency (#,##0.00 "HKD"), so that a foreign amount never shows ¥, and a
// bare number for a currency that is no three-letter code ("mixed").
// Negative amounts are red.
func unitFormat(u unit) string {
	num := "#,##0." + strings.Repeat("0", u.places)
	switch {
	case u.currency == "CNY":
		return "¥" + num + ";[Red]-¥" + num
	case isCurrencyCode(u.currency):
		suffix := ` "` + u.currency + `"`
		return num + suffix + ";[Red]-" + num + suffix
	}
	return num + ";[Red]-" + num
}

// isCurrencyCode reports whether s is an ISO 4217 code: three capital
// letters (and so safe inside a number format's quotes).
func isCurrencyCode(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

// amountStyle returns the style of an amount in u, registering it on first
// use. CNY amounts of the plain and total variants are the summary's own
// money styles.
func (s *styles) amountStyle(u unit, v amountVariant) (int, error) {
	if u == cny {
		switch v {
		case plainAmount:
			return s.money, nil
		case totalAmount:
			return s.totalMoney, nil
		}
	}
	k := unitStyleKey{u, v}
	if id, ok := s.units[k]; ok {
		return id, nil
	}
	st := &excelize.Style{CustomNumFmt: strPtr(unitFormat(u)),
		Alignment: &excelize.Alignment{Horizontal: "right", Vertical: "center", Indent: 1}}
	switch v {
	case totalAmount:
		st.Font = &excelize.Font{Family: s.family, Bold: true}
		st.Border = []excelize.Border{{Type: "top", Color: "404040", Style: 1}, {Type: "bottom", Color: "404040", Style: 6}}
	case diffAmount:
		st.Font = &excelize.Font{Family: s.family, Bold: true, Color: "9C0006"}
		st.Fill = excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFC7CE"}}
	}
	id, err := s.f.NewStyle(st)
	if err != nil {
		return 0, err
	}
	s.units[k] = id
	return id, nil
}
