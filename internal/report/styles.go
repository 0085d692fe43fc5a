package report

import (
	"github.com/xuri/excelize/v2"
)

// Number formats.
const (
	moneyFormat    = `¥#,##0.00;[Red]-¥#,##0.00`
	dateFormat     = `yyyy-mm-dd hh:mm:ss`
	durationFormat = `[h]:mm:ss`
	countFormat    = `#,##0`
	textFormat     = 49 // the built-in "@" (text) format
)

// styles holds the style ids of one workbook.
type styles struct {
	header    int // list headers: bold on a blue fill, bordered, centred, wrapped
	text      int // ids, codes and other text: the "@" format
	wrap      int // free text: "@", wrapped, top-aligned
	money     int // yuan: ¥#,##0.00, negatives red
	moneyText int // amounts too large for an exact number, kept as text, right-aligned
	date      int // yyyy-mm-dd hh:mm:ss
	count     int // whole numbers: #,##0
	attempts  int // a small count, centred
	state     int // an outcome word, centred
	good      int // an outcome that needs nothing: dark green
	bad       int // an outcome that needs a look: dark red, bold

	// The summary sheet.
	title      int
	section    int
	key        int // the labels of the key/value block
	value      int // text values of the key/value block
	valueWrap  int
	valueDate  int
	duration   int
	dryRun     int
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

// newStyles registers the workbook's styles. Every font names the
// workbook's default family: a font without one is shown in the reader's
// fallback face (a serif one in LibreOffice).
func newStyles(f *excelize.File) (*styles, error) {
	var s styles
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
	add(&s.count, &excelize.Style{CustomNumFmt: strPtr(countFormat), Alignment: vcenter})
	add(&s.good, &excelize.Style{NumFmt: textFormat, Font: font(false, 0, "006100"), Alignment: center})
	add(&s.bad, &excelize.Style{NumFmt: textFormat, Font: font(true, 0, "C00000"), Alignment: center})

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
	status := func(dst *int, fg, bg string) {
		add(dst, &excelize.Style{Font: font(true, 0, fg), NumFmt: textFormat,
			Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{bg}}, Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center"}})
	}
	status(&s.statusOK, "006100", "C6EFCE")
	status(&s.statusWarn, "9C5700", "FFEB9C")
	status(&s.statusBad, "9C0006", "FFC7CE")
	grey := font(false, 0, "A6A6A6")
	add(&s.zeroText, &excelize.Style{Font: grey, NumFmt: textFormat, Alignment: vcenter})
	add(&s.zeroCount, &excelize.Style{Font: grey, CustomNumFmt: strPtr(countFormat), Alignment: vcenter})
	add(&s.zeroMoney, &excelize.Style{Font: grey, CustomNumFmt: strPtr(moneyFormat), Alignment: amount})
	add(&s.zeroWrap, &excelize.Style{Font: grey, NumFmt: textFormat, Alignment: &excelize.Alignment{Vertical: "center", WrapText: true}})
	topBorder := []excelize.Border{{Type: "top", Color: "404040", Style: 1}, {Type: "bottom", Color: "404040", Style: 6}}
	add(&s.total, &excelize.Style{Font: font(true, 0, ""), NumFmt: textFormat, Border: topBorder, Alignment: vcenter})
	add(&s.totalCount, &excelize.Style{Font: font(true, 0, ""), CustomNumFmt: strPtr(countFormat), Border: topBorder, Alignment: vcenter})
	add(&s.totalMoney, &excelize.Style{Font: font(true, 0, ""), CustomNumFmt: strPtr(moneyFormat), Border: topBorder, Alignment: amount})
	add(&s.note, &excelize.Style{Font: &excelize.Font{Family: family, Italic: true, Color: "595959"}, NumFmt: textFormat,
		Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}})
	return &s, err
}
