package report

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/width"
)

// sheetWriter writes cells of a normal (non-stream) sheet and keeps the
// first error.
type sheetWriter struct {
	f     *excelize.File
	sheet string
	last  string // the last column a title or section spans; "" is E
	err   error

	// widths are the sheet's column widths, for the height of a header
	// row whose titles wrap; nil for none.
	widths []float64

	// For flow: the rows' heights set, the sheet's printed page height in
	// points (0: no page breaks), the height used on the current page,
	// and the first row not yet laid out.
	heights map[int]float64
	pageCap float64
	used    float64
	next    int

	maxRow int // the last row written, for the sheet's dimension
}

// defaultRowHeight is the height, in points, of a row without a height of
// its own: Excel's for the default font (LibreOffice shows such rows a
// little lower, so its pages hold more).
const defaultRowHeight = 15.0

// sideMargin is the printed pages' left and right margin, in inches:
// narrow, so that the summary and money sheets fit a page's width at no
// less than minPrintScale.
const sideMargin = 0.25

// Printed pages: A4 landscape less printSetup's margins, in points.
const (
	printWidth  = 841.9 - (sideMargin+sideMargin)*72
	printHeight = 595.3 - (0.6+0.6)*72
)

// pageCapacity estimates how many points of rows a printed page of a
// sheet with these column widths holds: printSetup fits the sheet to the
// page's width, which scales it down. It keeps a twentieth in hand, so
// that a page break it suggests comes before the reader's own.
func pageCapacity(widths []float64) float64 {
	px := 0.0
	for _, w := range widths {
		px += w*7 + 5 // Excel's width-to-pixel rule for a 7-pixel digit, near enough
	}
	scale := min(1, printWidth/(px*0.75))
	return 0.95 * printHeight / scale
}

func (w *sheetWriter) rowHeight(r int) float64 {
	if h, ok := w.heights[r]; ok {
		return h
	}
	return defaultRowHeight
}

// flow lays out rows start to end-1, and extra points below them (a
// chart anchored there), on the printed pages, the rows above since the
// last call first. With keep, a block that does not fit on what is left of
// the page but fits on a page of its own starts a new page: a page break
// goes before start. Call it for blocks in order, down the sheet.
func (w *sheetWriter) flow(start, end int, keep bool, extra float64) {
	if w.pageCap <= 0 {
		return
	}
	w.next = max(w.next, 1)
	for ; w.next < start; w.next++ {
		w.advance(w.rowHeight(w.next))
	}
	h := extra
	for r := start; r < end; r++ {
		h += w.rowHeight(r)
	}
	if keep && w.used > 0 && w.used+h > w.pageCap && h <= w.pageCap && start > 1 {
		if w.err == nil {
			w.err = w.f.InsertPageBreak(w.sheet, "A"+strconv.Itoa(start))
		}
		w.used = 0
	}
	for ; w.next < end; w.next++ {
		w.advance(w.rowHeight(w.next))
	}
	w.used += extra
	for w.used > w.pageCap {
		w.used -= w.pageCap
	}
}

// advance lays out a row h points high: on the current page, or at the
// top of the next when it does not fit.
func (w *sheetWriter) advance(h float64) {
	if w.used+h > w.pageCap {
		w.used = 0
	}
	w.used += h
}

// span returns the last column of the sheet's titles and sections.
func (w *sheetWriter) span() string {
	if w.last == "" {
		return "E"
	}
	return w.last
}

func (w *sheetWriter) cell(col string, row int, v interface{}, style int) {
	if w.err != nil {
		return
	}
	w.maxRow = max(w.maxRow, row)
	ref := col + strconv.Itoa(row)
	switch v := v.(type) {
	case nil:
	case string:
		w.err = w.f.SetCellStr(w.sheet, ref, v)
	default:
		w.err = w.f.SetCellValue(w.sheet, ref, v)
	}
	if w.err == nil && style != 0 {
		w.err = w.f.SetCellStyle(w.sheet, ref, ref, style)
	}
}

// put writes an excelize.Cell made by one of the book's cell functions.
func (w *sheetWriter) put(col string, row int, c excelize.Cell) {
	w.cell(col, row, c.Value, c.StyleID)
}

// section writes a section title across the sheet's columns (A to span)
// at row, then, if headers are given, a header row below it, and returns
// the row after.
func (w *sheetWriter) section(row int, title string, st *styles, headers ...string) int {
	w.cell("A", row, title, st.section)
	w.merge("A", w.span(), row)
	w.height(row, 22)
	row++
	if len(headers) == 0 {
		return row
	}
	lines := 1
	for i, h := range headers {
		col, _ := excelize.ColumnNumberToName(i + 1)
		w.cell(col, row, h, st.header)
		if i < len(w.widths) {
			lines = max(lines, textLines(h, w.widths[i]))
		}
	}
	w.height(row, max(22, float64(min(lines, 3))*lineHeight+6))
	return row + 1
}

// link makes the cell at col, row a link to a place in the workbook
// ("'sheet'!A5").
func (w *sheetWriter) link(col string, row int, location, tip string) {
	if w.err == nil {
		w.err = w.f.SetCellHyperLink(w.sheet, col+strconv.Itoa(row), location, "Location", excelize.HyperlinkOpts{Tooltip: &tip})
	}
}

func (w *sheetWriter) merge(from, to string, row int) {
	if w.err == nil {
		w.err = w.f.MergeCell(w.sheet, from+strconv.Itoa(row), to+strconv.Itoa(row))
	}
}

func (w *sheetWriter) height(row int, h float64) {
	if w.err == nil {
		w.err = w.f.SetRowHeight(w.sheet, row, h)
	}
	if w.heights == nil {
		w.heights = map[int]float64{}
	}
	w.heights[row] = h
}

// textWidth estimates the width of s in Excel's character units (the width
// of a digit of the default font): East Asian wide and full-width
// characters take about two, capitals a little more than a digit, lower
// case and punctuation less. It errs on the wide side, so that an estimated
// row height shows the whole text.
func textWidth(s string) float64 {
	w := 0.0
	for _, r := range s {
		w += runeWidth(r)
	}
	return w
}

// runeWidth is the width of r in textWidth's units.
func runeWidth(r rune) float64 {
	switch {
	case r >= '0' && r <= '9':
		return 1
	case r >= 'a' && r <= 'z':
		return 0.9
	case r >= 'A' && r <= 'Z':
		return 1.2
	case r < utf8.RuneSelf:
		return 0.6
	}
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth, width.EastAsianAmbiguous:
		// Ambiguous characters (·, “”, …, ×, ≠, —) are drawn full width
		// by the CJK fonts the workbook is shown in.
		return 2.1
	}
	return 1
}

// textLines estimates how many lines s takes wrapped in a column width
// units wide. It stops counting at maxLines+1.
func textLines(s string, width float64) int {
	// The cell's padding takes a unit; renderers fit a little less than the
	// nominal width, so estimate against 92% of the rest.
	usable := (width - 1) * 0.92
	if usable < 1 {
		usable = 1
	}
	// Fast path: no byte is wider than 1.2 units (a capital; a CJK
	// character is 2.1 units for 3 bytes), so a short line fits.
	if float64(len(s))*1.2 <= usable && strings.IndexByte(s, '\n') < 0 {
		return 1
	}
	lines := 0
	for para := range strings.SplitSeq(s, "\n") {
		lines += wrapLines(para, usable)
		if lines > maxLines {
			return maxLines + 1
		}
	}
	return lines
}

// wrapLines counts the lines of one paragraph wrapped as spreadsheets wrap
// it: a run of ASCII letters, digits and punctuation (an order id, a file
// path, an English word) moves whole to the next line when it does not fit,
// and is broken only when it is longer than a line; a CJK character may end
// a line anywhere; a space at the end of a line takes no room.
func wrapLines(s string, usable float64) int {
	lines, cur := 1, 0.0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf && c != ' ' {
			j := i + 1
			for j < len(s) && s[j] < utf8.RuneSelf && s[j] != ' ' {
				j++
			}
			w := textWidth(s[i:j])
			if cur > 0 && cur+w > usable {
				lines, cur = lines+1, 0
			}
			for w > usable {
				lines, w = lines+1, w-usable
			}
			cur += w
			i = j
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		w := runeWidth(r)
		if cur+w > usable {
			lines, cur = lines+1, 0
			if r == ' ' {
				w = 0
			}
		}
		cur += w
		i += size
		if lines > maxLines {
			return lines
		}
	}
	return lines
}

// wrappedHeight returns a row height that shows s wrapped in a cell width
// units wide (Excel does not grow merged cells to fit).
func wrappedHeight(s string, width float64) float64 {
	return float64(min(textLines(s, width), maxLines))*lineHeight + 4
}
