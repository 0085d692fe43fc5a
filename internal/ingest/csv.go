package ingest

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"
)

// maxRecordSize bounds one CSV record (a physical line, or several when a
// quoted field holds line breaks). A 1 MB free-text field fits easily; a
// quote that is never closed makes the rest of the file one record, and
// this is where that stops instead of exhausting memory.
const maxRecordSize = 16 << 20

// breakSniff is how many bytes at the start of a file decide its line
// breaks: a few dozen lines of any export.
const breakSniff = 4 << 10

// csvBufSize is the initial read buffer. Records point into it, so it only
// grows for a record longer than itself.
const csvBufSize = 256 << 10

// csvReader reads CSV records from a byte stream, RFC 4180 style with the
// leniency of spreadsheet exports:
//
//   - records end at \n, \r\n or \r alone (Excel's "CSV (Macintosh)"):
//     a file whose first 4 KiB hold more lone \r than \n is read in CR
//     mode, every \r a line break (see decideBreaks, crToLF); empty lines
//     are skipped;
//   - a field that starts with a quote is quoted: "" inside it is a quote,
//     commas and line breaks are data (a \r\n inside becomes \n); text
//     after the closing quote is more of the field, up to the next comma
//     ("a"b reads as ab, as in a spreadsheet);
//   - a quote inside a field that does not start with one is data, so the
//     ="5118609024991031607" of Tmall exports reads as written;
//   - with backtick set, a line that starts with a backtick is a WeChat bill
//     line: its fields are separated by a comma followed by a backtick, each
//     field keeps its leading backtick, and quotes are data.
//
// The reader is byte-oriented and works on any ASCII-compatible encoding
// whose multi-byte sequences never contain the bytes of \n, \r, ", comma or
// a leading backtick; UTF-8 and GB18030 qualify (GB18030 trail bytes are
// 0x30 and above, lead bytes 0x81 and above).
//
// Fields are slices into the reader's buffer, valid until the next call to
// next. A line without quotes is split in place; quoted fields are
// unescaped in place (the unescaped text is never longer than the raw).
type csvReader struct {
	src  io.Reader
	buf  []byte
	r, w int // unread bytes are buf[r:w]; the current record starts at r
	eof  bool
	err  error

	decided bool // the line breaks are known: LF (and CRLF), or CR alone

	pending int // bytes of the current record, consumed on the next call
	line    int // physical lines consumed
	recLine int // the line where the current record starts

	// limit, when > 0, splits at most limit fields of a line without
	// quotes and only counts the rest; 0 splits all.
	limit    int
	backtick bool

	pos     []int // field bounds relative to r: start0, end0, start1, ...
	fields  [][]byte
	nfields int
	end     int // end of the current line (without its break), relative to r
}

func newCSVReader(src io.Reader) *csvReader { return newCSVReaderSize(src, csvBufSize) }

// newCSVReaderSize is newCSVReader with a given initial buffer size; tests
// use tiny ones to exercise the refills.
func newCSVReaderSize(src io.Reader, size int) *csvReader {
	return &csvReader{src: src, buf: make([]byte, max(size, 4))}
}

// errRecordTooLong is the structural error for a record over maxRecordSize.
type recordTooLongError struct{ line int }

func (e *recordTooLongError) Error() string {
	return fmt.Sprintf("line %d: a record longer than %d MiB (an unterminated quote?)", e.line, maxRecordSize>>20)
}

// unterminatedQuoteError is the structural error for a quoted field still
// open at the end of the input.
type unterminatedQuoteError struct{ line int }

func (e *unterminatedQuoteError) Error() string {
	return fmt.Sprintf("line %d: a quoted field opened on this line is never closed: everything after it would be one field; fix or remove the quote, or re-export", e.line)
}

// fill reads more input, first moving the unread bytes (the current
// record) to the front of the buffer, growing it when it is full.
func (c *csvReader) fill() error {
	if c.err != nil {
		return c.err
	}
	if c.r > 0 {
		c.w = copy(c.buf, c.buf[c.r:c.w])
		c.r = 0
	}
	if c.w == len(c.buf) {
		if len(c.buf) >= maxRecordSize {
			c.err = &recordTooLongError{c.recLine}
			return c.err
		}
		nb := make([]byte, min(2*len(c.buf), maxRecordSize))
		copy(nb, c.buf[:c.w])
		c.buf = nb
	}
	for tries := 0; ; tries++ {
		n, err := c.src.Read(c.buf[c.w:])
		c.w += n
		if err == io.EOF {
			c.eof = true
			c.decideBreaks(true)
			return nil
		}
		if err != nil {
			c.err = err
			return err
		}
		if n > 0 {
			c.decideBreaks(false)
			return nil
		}
		if tries > 100 {
			c.err = io.ErrNoProgress
			return c.err
		}
	}
}

// decideBreaks looks at the first bytes read, once, to tell how lines
// break. More lone \r (not followed by \n) than \n means CR breaks (Excel's
// "CSV (Macintosh)", or CR lines with some CRLF among them): the file is
// then read through crToLF, these first bytes included, and every \r, \r\n
// or \n is one break. Otherwise the breaks are \n and \r\n, read as they
// are, and a lone \r is data (a stray one in a field).
//
// The first breakSniff bytes decide (all of a shorter input), however the
// reads deliver them; next reads that much before it looks for a line, so
// the buffer holds everything read so far.
//
// all is set when no more bytes will come (the end of the input, or a read
// error): then what was read decides.
func (c *csvReader) decideBreaks(all bool) {
	if c.decided {
		return
	}
	if c.w < breakSniff && !all {
		return // decide on the first breakSniff bytes, however they arrive
	}
	head := c.buf[:min(c.w, breakSniff)]
	lf := bytes.Count(head, []byte{'\n'})
	loneCR := bytes.Count(head, []byte{'\r'}) - bytes.Count(head, []byte("\r\n"))
	if n := len(head); n > 0 && head[n-1] == '\r' && c.w > n && c.buf[n] == '\n' {
		loneCR-- // a CRLF cut by the end of the sniffed bytes
	}
	c.decided = true
	if loneCR <= lf {
		return
	}
	cr := &crToLF{src: c.src}
	c.w = cr.convert(c.buf[:c.w])
	c.src = cr
}

// crToLF turns every line break of a CR-broken stream into \n: a \r
// becomes \n, and a \n right after a \r (a CRLF among the CRs) is
// dropped, across reads too.
type crToLF struct {
	src    io.Reader
	lastCR bool // the last byte converted was a \r
}

func (r *crToLF) Read(p []byte) (int, error) {
	n, err := r.src.Read(p)
	return r.convert(p[:n]), err
}

// convert rewrites b in place and returns its new length.
func (r *crToLF) convert(b []byte) int {
	w := 0
	for _, c := range b {
		switch {
		case c == '\n' && r.lastCR:
			r.lastCR = false
			continue
		case c == '\r':
			c, r.lastCR = '\n', true
		default:
			r.lastCR = false
		}
		b[w] = c
		w++
	}
	return w
}

// findLine finds the physical line that starts at offset from (relative to
// r). It returns the offset of its end without the line break, the offset
// after the break, and io.EOF when there is no byte left.
func (c *csvReader) findLine(from int) (end, next int, err error) {
	searched := from
	for {
		if k := bytes.IndexByte(c.buf[c.r+searched:c.w], '\n'); k >= 0 {
			nl := searched + k
			end = nl
			if end > from && c.buf[c.r+end-1] == '\r' {
				end--
			}
			return end, nl + 1, nil
		}
		searched = c.w - c.r
		if c.eof {
			if searched == from {
				return from, from, io.EOF
			}
			end = searched
			if end > from && c.buf[c.r+end-1] == '\r' {
				end--
			}
			return end, searched, nil
		}
		if searched-from >= maxRecordSize {
			c.err = &recordTooLongError{c.recLine}
			return 0, 0, c.err
		}
		if err := c.fill(); err != nil {
			return 0, 0, err
		}
	}
}

// next reads the next non-empty record. It returns false at the end of the
// input or on an error (see Err).
func (c *csvReader) next() bool {
	c.r += c.pending
	c.pending = 0
	for !c.decided {
		if err := c.fill(); err != nil {
			// Decide on what was read: the records before the error
			// still count.
			c.decideBreaks(true)
		}
	}
	for {
		c.recLine = c.line + 1
		end, next, err := c.findLine(0)
		if err != nil {
			if err != io.EOF && c.err == nil {
				c.err = err
			}
			return false
		}
		c.line++
		if end == 0 {
			c.r += next
			continue
		}
		line := c.buf[c.r : c.r+end]
		c.end = end
		switch {
		case c.backtick && line[0] == '`':
			c.splitBacktick(line)
		case bytes.IndexByte(line, '"') < 0:
			c.split(line)
		case c.splitQuotedLine(line):
		default:
			if !c.parseQuoted(end, next) {
				return false
			}
			return true
		}
		c.pending = next
		return true
	}
}

// split splits a line without quotes at its commas; the part after the
// limit is only counted, which bytes.Count does fast.
func (c *csvReader) split(line []byte) {
	f := c.fields[:0]
	start := 0
	for {
		if c.limit > 0 && len(f) == c.limit {
			c.nfields = len(f) + 1 + bytes.Count(line[start:], comma)
			c.fields = f
			return
		}
		k := indexComma(line[start:])
		if k < 0 {
			f = append(f, line[start:])
			break
		}
		f = append(f, line[start:start+k])
		start += k + 1
	}
	c.fields = f
	c.nfields = len(f)
}

// indexComma is bytes.IndexByte(b, ',') for the short fields of a CSV
// line: eight bytes at a time in a register, without the call overhead
// that dominates IndexByte on a field of a few bytes.
func indexComma(b []byte) int {
	const (
		ones   = 0x0101010101010101
		highs  = 0x8080808080808080
		commas = ',' * ones
	)
	i := 0
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:]) ^ commas
		// The lowest flagged byte is the first zero byte of w, exactly.
		if m := (w - ones) &^ w & highs; m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	for ; i < len(b); i++ {
		if b[i] == ',' {
			return i
		}
	}
	return -1
}

var comma = []byte{','}

// splitBacktick splits a WeChat bill line at each comma followed by a
// backtick.
func (c *csvReader) splitBacktick(line []byte) {
	f := c.fields[:0]
	start, n := 0, len(line)
	for i := 0; ; {
		k := indexComma(line[i:])
		if k < 0 {
			break
		}
		i += k + 1
		if i < n && line[i] == '`' {
			f = append(f, line[start:i-1])
			start = i
		}
	}
	c.fields = append(f, line[start:])
	c.nfields = len(c.fields)
}

// splitQuotedLine splits a line with quotes in place when that needs no
// rewriting: every quoted field closes on this line and is followed by a
// comma or the end of the line, and none holds an escaped quote. Tmall's
// ="…" ids and quoted addresses are like that. It reports false, having
// changed nothing, for the lines parseQuoted must handle.
func (c *csvReader) splitQuotedLine(line []byte) bool {
	f := c.fields[:0]
	n := len(line)
	start := 0 // of the current field
	for i := 0; ; {
		if c.limit > 0 && len(f) == c.limit {
			k, ok := countFields(line[start:])
			if !ok {
				return false
			}
			c.fields, c.nfields = f, len(f)+k
			return true
		}
		if i < n && line[i] == '"' {
			j := bytes.IndexByte(line[i+1:], '"')
			if j < 0 {
				return false
			}
			q := i + 1 + j
			if q+1 < n && line[q+1] != ',' {
				return false
			}
			f = append(f, line[i+1:q])
			if q+1 == n {
				break
			}
			i = q + 2
			start = i
			continue
		}
		k := indexComma(line[i:])
		if k < 0 {
			f = append(f, line[start:])
			break
		}
		i += k
		f = append(f, line[start:i])
		i++
		start = i
	}
	c.fields, c.nfields = f, len(f)
	return true
}

// countFields counts the fields of the rest of a line (after a comma), with
// the limits of splitQuotedLine.
func countFields(rest []byte) (int, bool) {
	quoted := len(rest) > 0 && rest[0] == '"'
	for i := 0; !quoted; {
		j := bytes.IndexByte(rest[i:], '"')
		if j < 0 {
			break
		}
		i += j
		quoted = rest[i-1] == ','
		i++
	}
	if !quoted {
		return 1 + bytes.Count(rest, comma), true
	}
	k, i, n := 0, 0, len(rest)
	for {
		k++
		if i < n && rest[i] == '"' {
			j := bytes.IndexByte(rest[i+1:], '"')
			if j < 0 {
				return 0, false
			}
			q := i + 1 + j
			if q+1 == n {
				return k, true
			}
			if rest[q+1] != ',' {
				return 0, false
			}
			i = q + 2
			continue
		}
		j := bytes.IndexByte(rest[i:], ',')
		if j < 0 {
			return k, true
		}
		i += j + 1
	}
}

// parseQuoted parses a record with quotes, starting at r, whose first line
// ends at end (next after its line break).
func (c *csvReader) parseQuoted(end, next int) bool {
	pos := 0
	c.pos = c.pos[:0]
	for {
		if pos < end && c.buf[c.r+pos] == '"' {
			pos++
			start, wp := pos, pos
			for {
				k := bytes.IndexByte(c.buf[c.r+pos:c.r+end], '"')
				if k < 0 {
					// The field goes on past this line.
					wp += copy(c.buf[c.r+wp:], c.buf[c.r+pos:c.r+end])
					e2, n2, err := c.findLine(next)
					if err != nil {
						if err == io.EOF {
							c.err = &unterminatedQuoteError{c.recLine}
						} else if c.err == nil {
							c.err = err
						}
						return false
					}
					c.line++
					c.buf[c.r+wp] = '\n'
					wp++
					pos, end, next = next, e2, n2
					continue
				}
				q := pos + k
				if wp != pos {
					copy(c.buf[c.r+wp:], c.buf[c.r+pos:c.r+q])
				}
				wp += q - pos
				switch {
				case q+1 == end:
					c.pos = append(c.pos, start, wp)
					c.finishQuoted(next)
					return true
				case c.buf[c.r+q+1] == ',':
					c.pos = append(c.pos, start, wp)
					pos = q + 2
				case c.buf[c.r+q+1] == '"':
					c.buf[c.r+wp] = '"'
					wp++
					pos = q + 2
					continue
				default:
					// Text after the closing quote: like a spreadsheet, take
					// it as more of the field, up to the next comma.
					rest := c.buf[c.r+q+1 : c.r+end]
					k := bytes.IndexByte(rest, ',')
					if k < 0 {
						k = len(rest)
					}
					wp += copy(c.buf[c.r+wp:], rest[:k])
					c.pos = append(c.pos, start, wp)
					if q+1+k == end {
						c.finishQuoted(next)
						return true
					}
					pos = q + 2 + k
				}
				break
			}
			continue
		}
		k := bytes.IndexByte(c.buf[c.r+pos:c.r+end], ',')
		if k < 0 {
			c.pos = append(c.pos, pos, end)
			c.finishQuoted(next)
			return true
		}
		c.pos = append(c.pos, pos, pos+k)
		pos += k + 1
	}
}

func (c *csvReader) finishQuoted(next int) {
	f := c.fields[:0]
	for i := 0; i < len(c.pos); i += 2 {
		f = append(f, c.buf[c.r+c.pos[i]:c.r+c.pos[i+1]:c.r+c.pos[i+1]])
	}
	c.fields = f
	c.nfields = len(f)
	c.pending = next
}

// Err returns the error that stopped the reader, other than the end of
// the input.
func (c *csvReader) Err() error { return c.err }

// allFields returns every field of the current record, splitting the part
// of a line that a limit left whole. It is for the rare rows whose field
// count differs from the header's.
func (c *csvReader) allFields() [][]byte {
	if len(c.fields) < c.nfields {
		limit := c.limit
		c.limit = 0
		if line := c.buf[c.r : c.r+c.end]; bytes.IndexByte(line, '"') < 0 {
			c.split(line)
		} else {
			c.splitQuotedLine(line)
		}
		c.limit = limit
	}
	return c.fields
}
