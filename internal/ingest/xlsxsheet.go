package ingest

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
)

// xlsxSource is the worksheets of a workbook as a source of rows, read as
// a stream: one sheet after the other, one row at a time.
//
// A row is the cells of a <row> element, placed by their r attribute (a
// cell without one takes the column after the previous cell, a row
// without one the number after the previous row, as Excel and excelize
// read them). A cell's value is what excelize's row iterator gives with
// RawCellValue: a shared string (t="s", its runs of rich text joined, its
// phonetic runs left out, Excel's _xHHHH_ escapes decoded), an inline
// string (t="inlineStr", likewise), or the <v> text as written for every
// other type (str, n, b, e, d): a number is not formatted, a date stays
// its serial. A cell with no value is empty, unless it has a formula,
// which excelize counts in the row's length.
//
// Where excelize would read something else, the reader stops or refuses
// instead: rows whose numbers do not increase are a damaged sheet (Excel
// refuses to open one), cells out of order in a row, a cell reference
// that is not one, and a shared-string index that is not a number or is
// past the table make the row a RowError (excelize puts such cells in the
// wrong column, or reads an index of "abc" as string 0).
type xlsxSource struct {
	wb      *workbook
	read    []sheetHeader // the sheets to read, nil while the headers are read
	several bool          // more than one sheet is read: Source.Sheet names it
	onSheet func(sheetHeader) error
	cur     int // the sheet being read, in read

	name   string // the sheet being read
	rc     io.ReadCloser
	sc     *xmlScanner
	inData bool
	row    int // the current row's number
	good   int // the number of the last row read whole
	skipTo int // rows up to this one (the header and above) are skipped

	// The current row.
	cells   []xcell
	buf     []byte // the text of its cells, except shared strings
	vbuf    []byte // the current cell's <v>
	fieldv  [][]byte
	kinds   []cellKind
	cellErr error

	failed   error
	finished bool

	// progress, when set, counts the bytes of the sheets read (File.Progress).
	progress *readProgress
}

// xcell is a cell of the current row: its value is s.buf[start:end], or
// shared string sst.
type xcell struct {
	col        int32 // 1-based
	sst        int32 // the shared string, -1 for none
	start, end int32
	kind       cellKind
}

// open starts reading sheet sh from its first row.
func (s *xlsxSource) open(sh sheetRef) error {
	s.closeSheet()
	rc, zf, err := s.wb.part(sh.part, xlsxMaxTotal, fmt.Sprintf("worksheet %q", sh.name))
	if err != nil {
		return err
	}
	if rc == nil {
		return fmt.Errorf("worksheet %q is missing from the workbook (%s); save it again or export it as CSV", sh.name, sh.part)
	}
	var r io.Reader = rc
	if s.progress != nil {
		s.progress.done.Store(0)
		r = counter{rc, &s.progress.done}
	}
	if s.sc == nil {
		s.sc = newXMLScanner(r, zf.Name)
	} else {
		s.sc.reset(r, zf.Name)
	}
	s.name, s.rc = sh.name, rc
	s.inData, s.row, s.good, s.skipTo = false, 0, 0, 0
	s.failed, s.finished = nil, false
	return nil
}

// begin starts reading the k-th sheet to read, after its header.
func (s *xlsxSource) begin(k int) error {
	h := s.read[k]
	if s.progress != nil {
		base, total := int64(0), int64(0)
		for i, r := range s.read {
			if i < k {
				base += r.size
			}
			total += r.size
		}
		s.progress.base.Store(base)
		s.progress.total.Store(total)
	}
	if err := s.open(h.ref); err != nil {
		return err
	}
	s.cur, s.skipTo = k, h.row
	return s.onSheet(h)
}

func (s *xlsxSource) closeSheet() {
	if s.rc != nil {
		s.rc.Close()
		s.rc = nil
	}
}

func (s *xlsxSource) next() bool {
	for !s.finished {
		if s.readRow() {
			if s.row <= s.skipTo {
				continue
			}
			return true
		}
		if s.failed == nil && s.read != nil && s.cur+1 < len(s.read) {
			if err := s.begin(s.cur + 1); err != nil {
				s.failed = err
			}
			continue
		}
		s.finished = true
	}
	return false
}

// fail ends the reading with a structural error about the sheet.
func (s *xlsxSource) fail(err error) bool {
	if s.failed == nil {
		where := "before its first row"
		if s.good > 0 {
			where = "after row " + strconv.Itoa(s.good)
		}
		s.failed = fmt.Errorf("worksheet %q is damaged %s (%w); save the workbook again in Excel or export it as CSV", s.name, where, err)
	}
	s.finished = true
	return false
}

// readRow reads the next <row> of the sheet; false at the end of the
// sheet (its XML read to the end, which checks its CRC) or on an error.
func (s *xlsxSource) readRow() bool {
	sc := s.sc
	for sc.next() {
		switch sc.kind {
		case tokStart:
			switch string(sc.name) {
			case "sheetData":
				s.inData = true
			case "row":
				if s.inData {
					return s.parseRow()
				}
			}
		case tokEnd:
			if string(sc.name) == "sheetData" {
				s.inData = false
			}
		}
	}
	if sc.err != nil {
		return s.fail(sc.err)
	}
	return false
}

// parseRow reads the row whose start tag is the current token.
func (s *xlsxSource) parseRow() bool {
	sc := s.sc
	s.cells, s.buf, s.cellErr = s.cells[:0], s.buf[:0], nil
	prev := s.row
	if v, ok := xmlAttr(sc.attrs, "r"); ok {
		n, err := strconv.Atoi(string(v))
		switch {
		case err != nil || n < 1:
			s.row = prev + 1
			s.cellErr = fmt.Errorf("the row number %q is not a number of 1 or more", v)
		case n <= prev:
			return s.fail(fmt.Errorf("row %d comes after row %d: the rows are out of order", n, prev))
		case n > xlsxMaxRows:
			return s.fail(fmt.Errorf("row %d is past the last row a worksheet can have (%d)", n, xlsxMaxRows))
		default:
			s.row = n
		}
	} else {
		s.row = prev + 1
		if s.row > xlsxMaxRows {
			return s.fail(fmt.Errorf("row %d is past the last row a worksheet can have (%d)", s.row, xlsxMaxRows))
		}
	}
	if sc.empty {
		sc.next() // its end
		return s.finishRow()
	}
	rowDepth := sc.depth()
	col := 0
	for sc.next() {
		if sc.kind == tokEnd && sc.depth() == rowDepth-1 {
			return s.finishRow()
		}
		if sc.kind == tokStart && string(sc.name) == "c" && sc.depth() == rowDepth+1 {
			var ok bool
			if col, ok = s.parseCell(col); !ok {
				return false
			}
			if len(s.buf) > xlsxMaxRow {
				return s.fail(fmt.Errorf("row %d has more than %d MiB of text", s.row, xlsxMaxRow>>20))
			}
		}
	}
	if sc.err != nil {
		return s.fail(sc.err)
	}
	return false
}

// parseCell reads the cell whose start tag is the current token; prev is
// the column of the cell before it. It returns the cell's column.
func (s *xlsxSource) parseCell(prev int) (int, bool) {
	sc := s.sc
	col := prev + 1
	// The attributes, in one pass.
	var ref, typ, style []byte
	hasRef := false
	for a := sc.attrs; ; {
		key, val, rest, ok := nextAttr(a)
		if !ok {
			break
		}
		switch string(localName(key)) {
		case "r":
			ref, hasRef = val, true
		case "t":
			typ = val
		case "s":
			style = val
		}
		a = rest
	}
	if hasRef {
		c, valid := cellColumn(ref)
		switch {
		case !valid:
			s.cellError(fmt.Errorf("%q is not a cell reference", ref))
			c = col
		case c <= prev:
			s.cellError(fmt.Errorf("cell %s comes after column %s: the cells are out of order", ref, columnName(prev)))
		}
		col = c
	}
	if col > xlsxMaxColumns {
		s.cellError(fmt.Errorf("column %d is past the last column a worksheet can have (XFD)", col))
	}
	kind := cellNumber
	switch string(typ) {
	case "", "n":
		if len(style) > 0 {
			if st, err := strconv.Atoi(string(style)); err == nil && st >= 0 && st < len(s.wb.dateStyle) && s.wb.dateStyle[st] {
				kind = cellDate
			}
		}
	case "d":
		kind = cellDate
	case "b":
		kind = cellBool
	case "e":
		kind = cellError
	default:
		kind = cellText
	}
	// typ, like every attribute, points into the scanner's window, which
	// the next token may move: keep what is needed of it.
	inline, shared := string(typ) == "inlineStr", string(typ) == "s"
	start := len(s.buf)
	s.vbuf = s.vbuf[:0]
	formula, hasIS := false, false
	if sc.empty {
		sc.next()
	} else if n, text, isText := fastCell(sc.buf[sc.pos:sc.end]); n > 0 && string(sc.top()) == "c" {
		// The usual cell, whole in the window: skip the tokenizer.
		var err error
		switch {
		case isText && inline:
			s.buf, err = appendUnescaped(s.buf, text)
			hasIS = true
		case !isText:
			s.vbuf, err = appendUnescaped(s.vbuf, text)
		}
		if err != nil {
			return 0, s.fail(fmt.Errorf("cell %s%d: %v", columnName(col), s.row, err))
		}
		sc.skip(n)
		sc.pop()
	} else {
		depth := sc.depth()
		var (
			inV, inIS, inT bool
			phonetic       int
		)
		for {
			if !sc.next() {
				if sc.err != nil {
					return 0, s.fail(sc.err)
				}
				return 0, false
			}
			d := sc.depth()
			switch sc.kind {
			case tokStart:
				switch string(sc.name) {
				case "v":
					inV = d == depth+1
				case "f":
					formula = formula || d == depth+1
				case "is":
					inIS = d == depth+1
					hasIS = hasIS || inIS
				case "t":
					inT = inIS && phonetic == 0
				case "rPh":
					if inIS && phonetic == 0 {
						phonetic = d
					}
				}
				continue
			case tokEnd:
				if d == depth-1 {
					goto done
				}
				switch string(sc.name) {
				case "v":
					inV = false
				case "is":
					inIS = false
				case "t":
					inT = false
				case "rPh":
					if d == phonetic-1 {
						phonetic = 0
					}
				}
				continue
			}
			// Text or CDATA.
			var dst *[]byte
			switch {
			case inV:
				dst = &s.vbuf
			case inT && inline:
				dst = &s.buf
			default:
				continue
			}
			if sc.kind == tokCDATA {
				*dst = appendCDATA(*dst, sc.text)
			} else {
				var err error
				if *dst, err = appendUnescaped(*dst, sc.text); err != nil {
					return 0, s.fail(fmt.Errorf("cell %s%d: %v", columnName(col), s.row, err))
				}
			}
			if len(*dst) > xlsxMaxRow {
				return 0, s.fail(fmt.Errorf("row %d has more than %d MiB of text", s.row, xlsxMaxRow>>20))
			}
		}
	}
done:
	c := xcell{col: int32(col), kind: kind, sst: -1}
	switch {
	case shared:
		s.buf = s.buf[:start]
		if len(s.vbuf) > 0 {
			i, err := strconv.Atoi(string(bytes.TrimSpace(s.vbuf)))
			switch {
			case err != nil:
				s.cellError(fmt.Errorf("cell %s%d: the shared string index %q is not a number", columnName(col), s.row, s.vbuf))
				return col, true
			case i < 0 || i >= s.wb.sst.len():
				s.cellError(fmt.Errorf("cell %s%d: shared string %d does not exist (the workbook has %d)", columnName(col), s.row, i, s.wb.sst.len()))
				return col, true
			}
			c.sst = int32(i)
		}
	case inline && hasIS:
		s.buf = decodeEscapedChars(s.buf, start)
	default:
		s.buf = append(s.buf[:start], s.vbuf...)
	}
	c.start, c.end = int32(start), int32(len(s.buf))
	empty := c.start == c.end && (c.sst < 0 || len(s.wb.sst.get(int(c.sst))) == 0)
	if (!empty || formula) && col > prev && col <= xlsxMaxColumns {
		s.cells = append(s.cells, c)
	}
	return col, true
}

func (s *xlsxSource) cellError(err error) {
	if s.cellErr == nil {
		s.cellErr = err
	}
}

// finishRow cuts the row's fields, now that its buffer will not move.
func (s *xlsxSource) finishRow() bool {
	s.good = s.row
	s.fieldv, s.kinds = s.fieldv[:0], s.kinds[:0]
	for _, c := range s.cells {
		for len(s.fieldv) < int(c.col)-1 {
			s.fieldv = append(s.fieldv, nil)
			s.kinds = append(s.kinds, cellText)
		}
		if c.sst >= 0 {
			s.fieldv = append(s.fieldv, s.wb.sst.get(int(c.sst)))
		} else {
			s.fieldv = append(s.fieldv, s.buf[c.start:c.end:c.end])
		}
		s.kinds = append(s.kinds, c.kind)
	}
	return true
}

// cellColumn returns the 1-based column of a cell reference such as AB12
// (letters, then a row number); false when ref is not one.
func cellColumn(ref []byte) (int, bool) {
	col, i := 0, 0
	for ; i < len(ref); i++ {
		c := ref[i] | 0x20
		if c < 'a' || c > 'z' {
			break
		}
		if col = col*26 + int(c-'a'+1); col > xlsxMaxColumns {
			return 0, false
		}
	}
	if i == 0 || i == len(ref) || ref[i] < '1' || ref[i] > '9' || len(ref)-i > 7 {
		return 0, false
	}
	for _, c := range ref[i:] {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	return col, true
}

// columnName returns the letters of a 1-based column: 1 is A, 27 AA.
func columnName(col int) string {
	var b [8]byte
	i := len(b)
	for col > 0 && i > 0 {
		col--
		i--
		b[i] = byte('A' + col%26)
		col /= 26
	}
	return string(b[i:])
}

func (s *xlsxSource) fields() [][]byte    { return s.fieldv }
func (s *xlsxSource) numFields() int      { return len(s.fieldv) }
func (s *xlsxSource) allFields() [][]byte { return s.fieldv }
func (s *xlsxSource) raw() []byte         { return nil }
func (s *xlsxSource) line() int           { return s.row }
func (s *xlsxSource) rowErr() error       { return s.cellErr }
func (s *xlsxSource) err() error          { return s.failed }

func (s *xlsxSource) sheet() string {
	if s.several {
		return s.name
	}
	return ""
}

func (s *xlsxSource) kind(i int) cellKind {
	if i >= 0 && i < len(s.kinds) {
		return s.kinds[i]
	}
	return cellText
}

func (s *xlsxSource) close() error {
	s.closeSheet()
	return s.wb.zr.Close()
}

// kindError returns the row error for a cell of an id, amount or time
// column (want) whose XLSX type cannot hold one: a TRUE/FALSE cell, an
// error value such as #N/A, or, in an id or amount column, a date (Excel
// turns an amount typed as 11.5 or 1-5 into a date in some locales).
func (f *File) kindError(col int, want colType) *RowError {
	if !f.xlsx {
		return nil
	}
	p := f.m.idx[col]
	if p < 0 || p >= len(f.row) {
		return nil
	}
	reason := ReasonAmount
	switch want {
	case colID:
		reason = ReasonID
	case colTime:
		reason = ReasonTime
	}
	k := f.src.kind(p)
	if k == cellText || k == cellNumber {
		return nil // the common cells: no message to build
	}
	v := quoteBytes(f.row[p])
	switch k {
	case cellBool:
		return f.rowError(col, reason, v+" is a TRUE/FALSE cell (1 is TRUE); expected "+expected(want))
	case cellError:
		return f.rowError(col, reason, v+" is an Excel error value (the formula that fills the cell failed); expected "+expected(want))
	case cellDate:
		if want != colTime {
			return f.rowError(col, reason, v+" is a date cell (Excel shows it as a date: it may have turned a number typed in into one); format the column as text or as a number and export again, expected "+expected(want))
		}
	}
	return nil
}

func expected(t colType) string {
	switch t {
	case colID:
		return "an id of digits"
	case colTime:
		return "a date and time"
	}
	return "an amount in yuan"
}

var _ source = (*xlsxSource)(nil)

// fastCell matches the content and end of the usual cell at the start of
// w, <v>TEXT</v></c> or <is><t>TEXT</t></is></c>, and returns its length
// and its text (still escaped), and whether it is an inline string; 0
// when w does not start with a whole cell of those forms, which then goes
// through the tokenizer. A '<' ends TEXT, so the end tags that follow it
// must be exactly these; <t> may have attributes (xml:space="preserve").
func fastCell(w []byte) (n int, text []byte, inline bool) {
	var tail string
	switch {
	case len(w) > 3 && string(w[:3]) == "<v>":
		n, tail = 3, "</v></c>"
	case len(w) > 7 && string(w[:7]) == "<is><t>":
		n, tail, inline = 7, "</t></is></c>", true
	case len(w) > 7 && string(w[:6]) == "<is><t" && isXMLSpace(w[6]):
		j, ok := tagEnd(w[4:])
		if !ok || w[4+j] != '>' || w[4+j-1] == '/' {
			return 0, nil, false
		}
		n, tail, inline = 4+j+1, "</t></is></c>", true
	default:
		return 0, nil, false
	}
	i := bytes.IndexByte(w[n:], '<')
	if i < 0 || len(w) < n+i+len(tail) || string(w[n+i:n+i+len(tail)]) != tail {
		return 0, nil, false
	}
	return n + i + len(tail), w[n : n+i], inline
}
