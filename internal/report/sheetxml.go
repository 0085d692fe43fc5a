package report

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"

	"github.com/xuri/excelize/v2"
)

// The list sheets are not written with excelize's stream writer. Each is
// a normal, empty excelize sheet that carries everything but the rows
// (column widths and styles, panes, the autofilter, data validation,
// print settings: the frame), and its rows are written here, as XML,
// deflated as they come (deflate.go) into a temporary file. When the
// package is saved, the zip writer splices the rows into the frame's
// empty <sheetData>. Memory stays flat (a row's buffer and a few chunks
// on their way to the compressor), the frame's <dimension> and <cols>
// are excelize's own (cols in ascending order), and a cell costs a few
// appends instead of the stream writer's structs.

// rowsFile is the sheetData of one list sheet, as deflated XML in a
// temporary file.
type rowsFile struct {
	sheet string
	file  *os.File  // the rows, compressed
	z     *deflater // compressing them into file
	buf   []byte    // the row being built
	cols  []string  // column letters: A, B, …
	// sums adds up, for the columns marked, the amounts written as
	// numbers (see sumOf).
	summed []bool
	sums   []fenTotal
	// heads are the rows above the data (the subtotal row and the
	// header), written before them when the part is spliced.
	heads []byte
	// shared marks the columns whose texts go to the shared string
	// table sst.
	shared []bool
	sst    *sharedStrings
	// last remembers, per shared column, the text of the row before and
	// its index: a column sorted by code repeats it row after row.
	lastText []string
	lastID   []int
	rowNum   []byte // rowAppender's buffer for the row number
}

func newRowsFile(dir, sheet string, summed []bool) (*rowsFile, error) {
	f, err := os.CreateTemp(dir, "reconcile-rows-*.xml")
	if err != nil {
		return nil, err
	}
	w := &rowsFile{sheet: sheet, file: f, z: newDeflater(f), buf: make([]byte, 0, 4096),
		summed: summed, sums: make([]fenTotal, len(summed))}
	for i := range summed {
		w.cols = append(w.cols, colName(i))
	}
	return w, nil
}

// styledBlank is the value of a cell that has a style and nothing else.
type styledBlank struct{}

// headRow is a row above the data.
type headRow struct {
	r      int
	height float64
	cells  []excelize.Cell
}

// head sets the rows above the data.
func (w *rowsFile) head(rows []headRow) error {
	var b []byte
	for _, h := range rows {
		var err error
		if b, err = w.appendRow(b, h.r, h.height, h.cells); err != nil {
			return err
		}
	}
	w.heads = b
	return nil
}

// row writes data row r (1-based): height in points (0: the default
// height, not set) and its cells, from column A; a cell without a value
// is left out, so that it keeps its column's style. A cell's value is a
// string (written as an inline string, never a formula), a float64 or an
// int; a cell with a Formula is written with the formula and its value as
// the cached result.
func (w *rowsFile) row(r int, height float64, cells []excelize.Cell) error {
	b, err := w.appendRow(w.buf[:0], r, height, cells)
	if err != nil {
		return err
	}
	w.buf = b
	for j, on := range w.summed {
		if v, ok := cells[j].Value.(float64); ok && on {
			w.sums[j].add(sumOf(v))
		}
	}
	_, err = w.z.Write(b)
	return err
}

// rawRow writes a data row a rowAppender appended (orderrow.go).
func (w *rowsFile) rawRow(b []byte) error {
	_, err := w.z.Write(b)
	return err
}

func (w *rowsFile) appendRow(b []byte, r int, height float64, cells []excelize.Cell) ([]byte, error) {
	b = append(b, `<row r="`...)
	b = strconv.AppendInt(b, int64(r), 10)
	b = append(b, '"')
	if height > 0 {
		b = append(b, ` ht="`...)
		b = strconv.AppendFloat(b, height, 'f', -1, 64)
		b = append(b, `" customHeight="1"`...)
	}
	b = append(b, '>')
	for j := range cells {
		c := &cells[j]
		if c.Value == nil && c.Formula == "" {
			continue
		}
		if j >= len(w.cols) {
			return b, fmt.Errorf("report: %s row %d: cell %d beyond the sheet's %d columns", w.sheet, r, j+1, len(w.cols))
		}
		b = append(b, `<c r="`...)
		b = append(b, w.cols[j]...)
		b = strconv.AppendInt(b, int64(r), 10)
		b = append(b, '"')
		if c.StyleID != 0 {
			b = append(b, ` s="`...)
			b = strconv.AppendInt(b, int64(c.StyleID), 10)
			b = append(b, '"')
		}
		if s, ok := c.Value.(string); ok {
			if i, ok := w.sharedID(j, s); ok {
				b = appendShared(b, i)
				continue
			}
		}
		var err error
		if b, err = appendValue(b, c); err != nil {
			return b, fmt.Errorf("report: %s!%s%d: %w", w.sheet, w.cols[j], r, err)
		}
	}
	return append(b, `</row>`...), nil
}

// sharedID returns the index in the shared string table of text s in
// column j, when the column's texts are shared and the table has room.
func (w *rowsFile) sharedID(j int, s string) (int, bool) {
	if w.shared == nil || !w.shared[j] {
		return 0, false
	}
	if w.lastText == nil {
		w.lastText, w.lastID = make([]string, len(w.shared)), make([]int, len(w.shared))
	}
	i, ok := w.lastID[j], s == w.lastText[j] && s != ""
	if !ok {
		if i, ok = w.sst.id(s); ok {
			w.lastText[j], w.lastID[j] = s, i
		}
	}
	return i, ok
}

// appendShared appends the rest of a shared string's cell element.
func appendShared(b []byte, i int) []byte {
	b = append(b, ` t="s"><v>`...)
	b = strconv.AppendInt(b, int64(i), 10)
	return append(b, `</v></c>`...)
}

// appendInline appends the rest of an inline string's cell element.
func appendInline(b []byte, s string) []byte {
	b = append(b, ` t="inlineStr"><is><t`...)
	if n := len(s); n > 0 && (isXMLSpace(s[0]) || isXMLSpace(s[n-1])) {
		b = append(b, ` xml:space="preserve"`...)
	}
	b = append(b, '>')
	b = appendCellText(b, s)
	return append(b, `</t></is></c>`...)
}

// appendValue appends the rest of a cell element, from the end of its
// attributes: `>…</c>`.
func appendValue(b []byte, c *excelize.Cell) ([]byte, error) {
	if c.Formula != "" {
		b = append(b, `><f>`...)
		b = appendEscaped(b, c.Formula)
		b = append(b, `</f>`...)
		switch v := c.Value.(type) {
		case nil:
		case float64:
			b = append(b, `<v>`...)
			b = strconv.AppendFloat(b, v, 'f', -1, 64)
			b = append(b, `</v>`...)
		case int:
			b = append(b, `<v>`...)
			b = strconv.AppendInt(b, int64(v), 10)
			b = append(b, `</v>`...)
		default:
			return b, fmt.Errorf("a formula's cached value of type %T", c.Value)
		}
		return append(b, `</c>`...), nil
	}
	switch v := c.Value.(type) {
	case styledBlank:
		return append(b, `/>`...), nil
	case string:
		return appendInline(b, v), nil
	case float64:
		// The shortest decimal that reads back as v: for an amount of at
		// most 15 significant digits, the amount itself (doc.go).
		b = append(b, `><v>`...)
		b = strconv.AppendFloat(b, v, 'f', -1, 64)
		return append(b, `</v></c>`...), nil
	case int:
		b = append(b, `><v>`...)
		b = strconv.AppendInt(b, int64(v), 10)
		return append(b, `</v></c>`...), nil
	case int64:
		b = append(b, `><v>`...)
		b = strconv.AppendInt(b, v, 10)
		return append(b, `</v></c>`...), nil
	}
	return b, fmt.Errorf("a value of type %T", c.Value)
}

func isXMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// appendEscaped appends s escaped for XML character data: &, <, > and
// carriage returns (which XML would otherwise read as line feeds). s is
// valid UTF-8 free of the characters XML cannot hold (cleanText).
func appendEscaped(b []byte, s string) []byte {
	last := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '\r':
			esc = "&#xD;"
		default:
			continue
		}
		b = append(b, s[last:i]...)
		b = append(b, esc...)
		last = i + 1
	}
	return append(b, s[last:]...)
}

// appendCellText appends the text of a string cell: escaped for XML, and
// with OOXML's own escape syntax kept literal. Excel reads "_xHHHH_" in a
// string as the character U+HHHH; the text "_x0041_" is therefore stored
// as "_x005F_x0041_" (an escaped underscore), as excelize does.
func appendCellText(b []byte, s string) []byte {
	for {
		i := indexEscapeSeq(s)
		if i < 0 {
			return appendEscaped(b, s)
		}
		b = appendEscaped(b, s[:i])
		b = append(b, "_x005F"...)
		s = s[i:]
		b = append(b, '_')
		s = s[1:]
	}
}

// indexEscapeSeq returns the index of the first "_xHHHH_" in s, or -1.
func indexEscapeSeq(s string) int {
	for i := 0; i+7 <= len(s); i++ {
		if s[i] != '_' || s[i+1] != 'x' || s[i+6] != '_' {
			continue
		}
		if isHex(s[i+2]) && isHex(s[i+3]) && isHex(s[i+4]) && isHex(s[i+5]) {
			return i
		}
	}
	return -1
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// finish ends the rows' compression and rewinds the file, ready to be
// copied into the zip.
func (w *rowsFile) finish() error {
	if err := w.z.close(); err != nil {
		return err
	}
	_, err := w.file.Seek(0, io.SeekStart)
	return err
}

// remove stops the compression, closes and removes the temporary file.
func (w *rowsFile) remove() {
	_ = w.z.close()
	name := w.file.Name()
	_ = w.file.Close()
	_ = os.Remove(name)
}

// splicer is the zip writer excelize saves the package through. It passes
// every part through to zw, except:
//
//   - a list sheet's part (by name, in rows), whose frame it holds until
//     the part ends and then writes with the rows spliced into its
//     <sheetData>;
//   - a part in patch, held likewise and written as the function returns
//     it (the chart, given its cached values).
type splicer struct {
	zw    *zip.Writer
	rows  map[string]*rowsFile
	patch map[string]func([]byte) ([]byte, error)

	name    string // the part held, "" for none
	held    bytes.Buffer
	written map[string]bool
	pieces  pieces
}

var _ excelize.ZipWriter = (*splicer)(nil)

func (s *splicer) Create(name string) (io.Writer, error) {
	if err := s.release(); err != nil {
		return nil, err
	}
	_, isRows := s.rows[name]
	_, isPatch := s.patch[name]
	if isRows || isPatch {
		s.name = name
		s.held.Reset()
		return &s.held, nil
	}
	return s.zw.Create(name)
}

func (s *splicer) AddFS(fsys fs.FS) error {
	if err := s.release(); err != nil {
		return err
	}
	return s.zw.AddFS(fsys)
}

func (s *splicer) Close() error {
	if err := s.release(); err != nil {
		return err
	}
	for name, r := range s.rows {
		if !s.written[name] {
			return fmt.Errorf("report: the sheet %s (%s) was not in the package", r.sheet, name)
		}
	}
	for name := range s.patch {
		if !s.written[name] {
			return fmt.Errorf("report: the part %s was not in the package", name)
		}
	}
	return s.zw.Close()
}

// release writes the part held, if any.
func (s *splicer) release() error {
	name := s.name
	if name == "" {
		return nil
	}
	s.name = ""
	if s.written == nil {
		s.written = map[string]bool{}
	}
	s.written[name] = true
	if fn := s.patch[name]; fn != nil {
		b, err := fn(s.held.Bytes())
		if err != nil {
			return err
		}
		out, err := s.zw.Create(name)
		if err != nil {
			return err
		}
		_, err = out.Write(b)
		return err
	}
	// excelize marks a sheet with an autofilter as filtered
	// (filterMode); none of its rows is.
	frame := bytes.Replace(s.held.Bytes(), []byte(` filterMode="true"`), nil, 1)
	before, after, err := splitSheetData(frame)
	if err != nil {
		return fmt.Errorf("report: %s: %w", name, err)
	}
	r := s.rows[name]
	if err := r.finish(); err != nil {
		return err
	}
	head := make([]byte, 0, len(before)+len(r.heads)+16)
	head = append(append(append(head, before...), "<sheetData>"...), r.heads...)
	tail := append([]byte("</sheetData>"), after...)
	zHead, crcHead, err := s.pieces.deflated(head, false)
	if err != nil {
		return err
	}
	zTail, crcTail, err := s.pieces.deflated(tail, true)
	if err != nil {
		return err
	}
	crc := crc32Combine(crc32Combine(crcHead, r.z.crc, r.z.size), crcTail, int64(len(tail)))
	out, err := s.zw.CreateRaw(&zip.FileHeader{
		Name: name, Method: zip.Deflate, CRC32: crc,
		CompressedSize64:   uint64(int64(len(zHead)) + r.z.dst.n + int64(len(zTail))),
		UncompressedSize64: uint64(int64(len(head)) + r.z.size + int64(len(tail))),
	})
	if err != nil {
		return err
	}
	if _, err := out.Write(zHead); err != nil {
		return err
	}
	if _, err := io.CopyBuffer(out, struct{ io.Reader }{r.file}, make([]byte, 256<<10)); err != nil {
		return err
	}
	_, err = out.Write(zTail)
	return err
}

// splitSheetData cuts a worksheet part at its empty sheetData element.
func splitSheetData(frame []byte) (before, after []byte, err error) {
	for _, empty := range []string{"<sheetData></sheetData>", "<sheetData/>"} {
		if i := bytes.Index(frame, []byte(empty)); i >= 0 {
			return frame[:i], frame[i+len(empty):], nil
		}
	}
	return nil, nil, errors.New("no empty <sheetData> to put the rows in")
}
