package ingest

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// sniffSize is how much of a CSV file decides its encoding.
const sniffSize = 64 << 10

// Option configures Open.
type Option func(*options)

type options struct {
	sheet string
}

// WithSheet reads the named worksheet of an XLSX workbook instead of the
// first one. It has no effect on a CSV file.
func WithSheet(name string) Option { return func(o *options) { o.sheet = name } }

// encoding of a CSV file.
type encoding uint8

const (
	encASCII   encoding = iota // nothing but ASCII so far: UTF-8 until a line says otherwise
	encUTF8                    // valid UTF-8
	encUTF8BOM                 // UTF-8 with a byte-order mark
	encGB18030                 // GBK or GB18030
)

func (e encoding) String() string {
	switch e {
	case encUTF8BOM:
		return "utf-8-bom"
	case encGB18030:
		return "gb18030"
	}
	return "utf-8"
}

// source is a stream of rows: a CSV reader or an XLSX sheet.
type source interface {
	// next moves to the next row; false at the end or on a structural
	// error (see err).
	next() bool
	// fields returns the current row's fields, valid until next. A CSV
	// source may stop splitting after the last column the file needs;
	// numFields then tells how many there are and allFields splits them all.
	fields() [][]byte
	numFields() int
	allFields() [][]byte
	// raw is the current row's bytes as read, for the encoding decision of
	// a CSV file; nil for XLSX.
	raw() []byte
	line() int
	// rowErr is a problem with the current row as a whole (an XLSX cell
	// that cannot be read), else nil.
	rowErr() error
	// kind is what field i of the current row holds: for XLSX the cell's
	// type, for CSV always cellText.
	kind(i int) cellKind
	// sheet names the XLSX sheet of the current row when records can come
	// from more than one; "" otherwise.
	sheet() string
	err() error
	close() error
}

// File is an export opened for reading. Its records are read once, in
// order, with the iterator that matches its Kind (Orders, Payments or
// Clearances); a later call of an iterator goes on where the previous one
// stopped. Calling an iterator that does not match the Kind yields nothing
// and makes Err report the mistake. A File is not safe for concurrent use.
type File struct {
	path string
	info Info
	src  source
	m    *mapping
	xlsx bool
	// date1904 is the date system of an XLSX workbook.
	date1904 bool
	enc      encoding
	gbBOM    bool // the file starts with the GB18030 byte-order mark
	wechat   bool
	// afterSummary is set in a WeChat bill between a section's summary and
	// the header of the next: a row there belongs to no section.
	afterSummary bool
	width        int // fields a CSV row must have: up to the last named header
	done         bool
	err          error

	dec      transform.Transformer
	decBuf   []byte
	arena    []byte
	interned map[string]string
	// lastIntern is the value each interned column had in the last row:
	// statuses come in runs, and comparing bytes is cheaper than a hash.
	lastIntern [4]struct {
		col int
		raw []byte
		s   string
	}

	// progress is how far the reading has got (Progress).
	progress readProgress

	// lastRate is the last fee rate read, raw and parsed.
	lastRate struct {
		raw     []byte
		numeric bool
		v       int64
	}

	// The current row.
	row     [][]byte
	rowLine int
	orderID []byte // the row's order id once read, for RowError
	txID    []byte
}

// Open opens the export at path as the given kind: it detects the format
// (XLSX by its zip signature, whatever the file name; CSV otherwise) and,
// for CSV, the encoding; it reads the header (the first non-empty row) and
// maps the columns. The returned error is structural and names the file:
// it cannot be read, it is empty or has no header, it is not CSV or XLSX
// (an .xls, UTF-16 text, binary data), a header cell is undecodable, or a
// required column is missing (the error names the column, its aliases and
// the headers found).
func Open(path string, kind Kind, opts ...Option) (*File, error) {
	if specsFor(kind) == nil {
		return nil, fmt.Errorf("%s: %v is not a kind of export", path, kind)
	}
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	f := &File{path: path, info: Info{Path: path, Kind: kind}, interned: make(map[string]string)}
	if err := f.open(&o); err != nil {
		if f.src != nil {
			f.src.close()
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

func (f *File) open(o *options) error {
	fh, err := os.Open(f.path)
	if err != nil {
		return errors.Unwrap(err) // the *PathError would repeat the path
	}
	if fi, err := fh.Stat(); err == nil {
		f.progress.total.Store(fi.Size())
	}
	c := newCSVReader(counter{fh, &f.progress.done})
	for c.w < sniffSize && !c.eof {
		if err := c.fill(); err != nil {
			fh.Close()
			return fmt.Errorf("read: %w", err)
		}
	}
	head := c.buf[:min(c.w, sniffSize)]
	whole := c.eof && c.w <= sniffSize // head is the whole file
	switch {
	case len(head) == 0:
		fh.Close()
		return errors.New("the file is empty; expected a header row")
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		fh.Close()
		f.xlsx = true
		f.info.Format = "xlsx"
		return f.openXLSX(o)
	case bytes.HasPrefix(head, []byte("PK\x05\x06")):
		fh.Close()
		return errors.New("an empty zip archive, not an XLSX workbook")
	case bytes.HasPrefix(head, []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")):
		fh.Close()
		return errors.New("an Excel 97-2003 (.xls) or password-protected workbook; save it as .xlsx without a password, or as CSV")
	case bytes.HasPrefix(head, []byte("\xff\xfe")), bytes.HasPrefix(head, []byte("\xfe\xff")):
		fh.Close()
		return errors.New("UTF-16 text (Excel's \"Unicode text\"); save it as CSV (UTF-8 or GBK)")
	case bytes.IndexByte(head, 0) >= 0:
		fh.Close()
		return errors.New("binary data, not CSV text (a NUL byte in the first 64 KiB); expected a CSV or XLSX export")
	case bytes.HasPrefix(head, []byte("\xef\xbb\xbf")):
		f.enc = encUTF8BOM
		c.r = 3
	case bytes.HasPrefix(head, []byte("\x84\x31\x95\x33")):
		f.enc, f.gbBOM = encGB18030, true
		c.r = 4
	case !hasNonASCII(head):
		f.enc = encASCII
	case utf8.Valid(trimPartialRune(head, whole)):
		f.enc = encUTF8
	default:
		f.enc = encGB18030 // unless the header says otherwise: see readHeader
	}
	f.info.Format = "csv"
	f.info.Encoding = f.enc.String()
	f.src = &csvSource{c: c, fh: fh}
	headers, err := f.readHeader()
	if err != nil {
		return err
	}
	if err := f.setHeader(headers); err != nil {
		return err
	}
	c.limit = f.m.maxIdx + 1
	c.backtick = f.wechat
	return nil
}

// trimPartialRune drops a multi-byte character cut at the end of a sniffed
// prefix, so that the cut does not make valid UTF-8 look invalid.
func trimPartialRune(b []byte, atEOF bool) []byte {
	if atEOF {
		return b
	}
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				return b[:i]
			}
			break
		}
	}
	return b
}

// hasNonASCII reports whether b has a byte >= 0x80, eight bytes at a time.
func hasNonASCII(b []byte) bool {
	for len(b) >= 8 {
		if binary.LittleEndian.Uint64(b)&0x8080808080808080 != 0 {
			return true
		}
		b = b[8:]
	}
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return true
		}
	}
	return false
}

// readHeader returns the first non-blank row, decoded and cleaned.
func (f *File) readHeader() ([]string, error) {
	for f.src.next() {
		fields := f.src.allFields()
		if isBlank(fields) {
			continue
		}
		f.decideEncoding()
		if f.enc == encGB18030 && !f.gbBOM {
			// The header is the best evidence there is: Chinese GBK text is
			// almost never valid UTF-8, so a header that is means UTF-8
			// whatever a stray byte in the first lines said.
			if raw := f.src.raw(); raw != nil && hasNonASCII(raw) && utf8.Valid(raw) {
				f.enc = encUTF8
				f.info.Encoding = f.enc.String()
			}
		}
		headers := make([]string, len(fields))
		for i, raw := range fields {
			b, msg := f.decode(raw)
			if msg != "" {
				return nil, fmt.Errorf("line %d: header %d %s", f.src.line(), i+1, msg)
			}
			headers[i] = cleanHeader(string(b))
		}
		return headers, nil
	}
	if err := f.src.err(); err != nil {
		return nil, err
	}
	return nil, errNoHeader
}

// errNoHeader is readHeader's error for a file (or an XLSX sheet) that has
// no row but blank ones.
var errNoHeader = errors.New("no header row: the file has no data, only blank lines")

// setHeader maps headers, the header of the file, of an XLSX sheet or of a
// WeChat bill's next section, and starts a bill section.
func (f *File) setHeader(headers []string) error {
	m, err := mapHeader(f.info.Kind, headers)
	if err != nil {
		return err
	}
	f.m = m
	f.info.Columns = m.columns()
	f.info.Variant = variant(f.info.Kind, headers)
	f.wechat = strings.HasPrefix(f.info.Variant, "wechat-")
	f.width = 0
	for i, h := range headers {
		if h != "" {
			f.width = i + 1
		}
	}
	if f.wechat {
		f.info.Sections = append(f.info.Sections, BillSection{
			Index: len(f.info.Sections) + 1, Header: Source{File: f.path, Sheet: f.src.sheet(), Line: f.src.line()}, Variant: f.info.Variant,
			Sums: BillFigures{Has: FigAll},
		})
		f.afterSummary = false
	}
	return nil
}

// section returns the bill section the current row belongs to; nil
// outside a bill, or between a summary and the next header.
func (f *File) section() *BillSection {
	if !f.wechat || f.afterSummary || len(f.info.Sections) == 0 {
		return nil
	}
	return &f.info.Sections[len(f.info.Sections)-1]
}

// decideEncoding settles the encoding of a file whose sniffed prefix was
// all ASCII, on the first row that is not.
func (f *File) decideEncoding() {
	if f.enc != encASCII {
		return
	}
	raw := f.src.raw()
	if raw == nil || !hasNonASCII(raw) {
		return
	}
	if utf8.Valid(raw) {
		f.enc = encUTF8
	} else {
		f.enc = encGB18030
	}
	f.info.Encoding = f.enc.String()
}

// isBlank reports whether a row has nothing but spaces, tabs and
// backticks (Excel writes blank rows as ,,,,, and WeChat as `,`,`).
func isBlank(fields [][]byte) bool {
	for _, fl := range fields {
		for _, c := range fl {
			if c != ' ' && c != '\t' && c != '`' && c != '\r' && c != '\n' {
				return false
			}
		}
	}
	return true
}

const replacementChar = "\uFFFD"

// decode turns a raw field into UTF-8 text: as is for UTF-8 and XLSX,
// through GB18030 otherwise. The result is valid until the next decode. The
// message is non-empty when the field has undecodable bytes.
func (f *File) decode(raw []byte) ([]byte, string) {
	if !hasNonASCII(raw) {
		return raw, ""
	}
	if f.enc == encGB18030 {
		if f.dec == nil {
			f.dec = simplifiedchinese.GB18030.NewDecoder()
		}
		if need := 3*len(raw) + 8; cap(f.decBuf) < need {
			f.decBuf = make([]byte, need)
		}
		f.dec.Reset()
		n, _, err := f.dec.Transform(f.decBuf[:cap(f.decBuf)], raw, true)
		if err != nil {
			return nil, "has bytes that are not GBK/GB18030 text; check the file's encoding or export it again"
		}
		b := f.decBuf[:n]
		if bytes.Contains(b, []byte(replacementChar)) {
			return nil, "has bytes that are not valid GBK/GB18030 text (they would read as U+FFFD); check the file's encoding or export it again"
		}
		return b, ""
	}
	if !utf8.Valid(raw) {
		return nil, "has bytes that are not valid UTF-8 text (the file was read as UTF-8 from its first lines); check the file's encoding or export it again"
	}
	if bytes.Contains(raw, []byte(replacementChar)) {
		return nil, "contains U+FFFD (\uFFFD), the mark of text lost in an earlier conversion; export it again from the source system"
	}
	return raw, ""
}

// clean trims a cell: spaces, tabs, line breaks, U+3000 and U+00A0 around
// it, one leading backtick, and the ="…" wrapper.
func clean(b []byte) []byte {
	b = trimCell(b)
	if len(b) > 0 && b[0] == '`' {
		b = trimCell(b[1:])
	}
	if len(b) >= 3 && b[0] == '=' && b[1] == '"' && b[len(b)-1] == '"' {
		b = trimCell(b[2 : len(b)-1])
	}
	return b
}

func trimCell(b []byte) []byte {
	for len(b) > 0 {
		switch {
		case b[0] == ' ' || b[0] == '\t' || b[0] == '\r' || b[0] == '\n':
			b = b[1:]
		case len(b) >= 3 && b[0] == 0xE3 && b[1] == 0x80 && b[2] == 0x80: // U+3000
			b = b[3:]
		case len(b) >= 2 && b[0] == 0xC2 && b[1] == 0xA0: // U+00A0
			b = b[2:]
		default:
			goto right
		}
	}
right:
	for n := len(b); n > 0; n = len(b) {
		switch {
		case b[n-1] == ' ' || b[n-1] == '\t' || b[n-1] == '\r' || b[n-1] == '\n':
			b = b[:n-1]
		case n >= 3 && b[n-3] == 0xE3 && b[n-2] == 0x80 && b[n-1] == 0x80:
			b = b[:n-3]
		case n >= 2 && b[n-2] == 0xC2 && b[n-1] == 0xA0:
			b = b[:n-2]
		default:
			return b
		}
	}
	return b
}

// Info describes the file and what has been read from it so far.
func (f *File) Info() Info {
	info := f.info
	info.Columns = append([]Column(nil), f.info.Columns...)
	info.Sheets = append([]Sheet(nil), f.info.Sheets...)
	info.Sections = append([]BillSection(nil), f.info.Sections...)
	for i := range info.Sections {
		if s := info.Sections[i].Summary; s != nil {
			c := *s
			info.Sections[i].Summary = &c
		}
	}
	return info
}

// Err returns the structural error that ended the reading part-way (an I/O
// error, a corrupt or damaged XLSX, an unterminated quote, a record over 16
// MiB), or the misuse of an iterator that does not match the Kind; nil
// when the records read are all there is. Call it after iterating.
func (f *File) Err() error {
	if f.err != nil {
		return f.err
	}
	if f.src != nil {
		if err := f.src.err(); err != nil {
			f.err = fmt.Errorf("%s: %w", f.path, err)
			return f.err
		}
	}
	return nil
}

// Close releases the file (and an XLSX reader's temporary files). Err
// still reports a structural error after Close.
func (f *File) Close() error {
	if f.src == nil {
		return nil
	}
	f.Err() // latch it: the source goes away
	err := f.src.close()
	f.src = nil
	f.done = true
	return err
}

// start checks that an iterator matches the file's kind.
func (f *File) start(k Kind) bool {
	if f.info.Kind != k {
		if f.err == nil {
			f.err = fmt.Errorf("%s: read as %v but opened as %v", f.path, k, f.info.Kind)
		}
		return false
	}
	return !f.done && f.src != nil
}

// nextRow moves to the next data row. It returns false at the end of the
// data; a non-nil RowError means the row as a whole is unusable.
func (f *File) nextRow() (bool, *RowError) {
	for {
		if f.done || !f.src.next() {
			f.done = true
			return false, nil
		}
		f.row = f.src.fields()
		f.rowLine = f.src.line()
		f.orderID, f.txID = nil, nil
		if err := f.src.rowErr(); err != nil {
			return true, &RowError{Reason: ReasonOther, Source: f.source(), Message: "the row cannot be read: " + err.Error()}
		}
		if isBlank(f.row) && (len(f.row) == f.src.numFields() || isBlank(f.src.allFields())) {
			continue
		}
		f.decideEncoding()
		if f.wechat && len(f.row) > 0 {
			switch {
			case !f.afterSummary && f.isSummaryHeader():
				f.readSummary()
				f.afterSummary = true
				continue
			case !f.afterSummary && f.mayBeHeader():
				// A header where a data row should be: a bill pasted below
				// one cut short before its summary. It opens a new
				// section; the one before has no summary.
				if headers, ok := f.billHeader(); ok {
					if err := f.setHeader(headers); err == nil {
						continue
					}
				}
			case f.afterSummary:
				// Pasted bills: the next header opens a new section. Any
				// other row is none of a section's, and must not be lost.
				if headers, ok := f.billHeader(); ok {
					if err := f.setHeader(headers); err == nil {
						continue
					}
				}
				sec := f.info.Sections[len(f.info.Sections)-1]
				return true, &RowError{Reason: ReasonAfterSummary, Source: f.source(),
					Message: fmt.Sprintf("a row after the bill's summary (line %d) that no header opens: each bill pasted into one file must keep its own header; put the header back, or remove the row", sec.SummarySource.Line)}
			}
		}
		if f.xlsx {
			return true, nil
		}
		if n := f.src.numFields(); n < f.width || n > len(f.m.headers) {
			return true, f.fieldCountError(n)
		}
		return true, nil
	}
}

// billHeader returns the current row as a header when it is a WeChat bill's
// (its first cell is 交易时间, after clean-up), as the header of a bill
// pasted below another.
func (f *File) billHeader() ([]string, bool) {
	fields := f.src.allFields()
	b, msg := f.decode(fields[0])
	if msg != "" || !bytes.Equal([]byte(cleanHeader(string(b))), []byte("交易时间")) {
		return nil, false
	}
	headers := make([]string, len(fields))
	for i, raw := range fields {
		b, msg := f.decode(raw)
		if msg != "" {
			return nil, false
		}
		headers[i] = cleanHeader(string(b))
	}
	return headers, true
}

// mayBeHeader is a cheap test of whether the current row may be a bill's
// header: its first field starts with a byte of Chinese text (in UTF-8 or
// GBK), where a data row starts with a backtick or a digit.
func (f *File) mayBeHeader() bool {
	fl := f.row[0]
	for len(fl) > 0 && (fl[0] == ' ' || fl[0] == '"') {
		fl = fl[1:]
	}
	return len(fl) >= 4 && fl[0] >= 0x80
}

// isSummaryHeader reports whether the current row starts the summary
// section of a WeChat bill.
func (f *File) isSummaryHeader() bool {
	b, msg := f.decode(f.row[0])
	return msg == "" && bytes.Equal(clean(b), []byte("总交易单数"))
}

func (f *File) fieldCountError(n int) *RowError {
	e := &RowError{Reason: ReasonFields, Source: f.source()}
	if n < f.width {
		e.Message = fmt.Sprintf("the row has %d fields but the header has %d: the row is cut short, or a line break inside a field that is not quoted split it; fix the row or export again", n, f.width)
	} else {
		e.Message = fmt.Sprintf("the row has %d fields but the header has %d: a comma inside a field that is not quoted would shift the columns after it; fix the row or export again", n, len(f.m.headers))
	}
	// Best effort: the order id, when it sits before the shift.
	if p := f.m.idx[f.orderCol()]; p < len(f.row) {
		if b, msg := f.decode(f.row[p]); msg == "" {
			if b = clean(b); checkID(b, "") == nil {
				e.OrderID = string(b)
			}
		}
	}
	return e
}

func (f *File) orderCol() int {
	switch f.info.Kind {
	case Payments:
		return pOrderID
	case Clearances:
		return cOrderID
	}
	return oOrderID
}

func (f *File) source() Source { return Source{File: f.path, Sheet: f.src.sheet(), Line: f.rowLine} }

// rowError returns a RowError about canonical column col of the current row.
func (f *File) rowError(col int, reason Reason, msg string) *RowError {
	e := &RowError{Reason: reason, Source: f.source(), Column: f.m.header(col), Message: msg}
	if f.orderID != nil {
		e.OrderID = string(f.orderID)
	}
	if f.txID != nil {
		e.TransactionID = string(f.txID)
	}
	return e
}

// cell returns the cleaned UTF-8 text of canonical column col in the
// current row ("" when the column is absent or the row is short), valid
// until the next cell call.
func (f *File) cell(col int) ([]byte, *RowError) {
	p := f.m.idx[col]
	if p < 0 || p >= len(f.row) {
		return nil, nil
	}
	b, msg := f.decode(f.row[p])
	if msg != "" {
		return nil, f.rowError(col, ReasonEncoding, msg)
	}
	return clean(b), nil
}

// id reads an id column into the arena. A required id may not be empty.
func (f *File) id(col int, what string) (start, end int, e *RowError) {
	b, e := f.cell(col)
	if e != nil {
		return 0, 0, e
	}
	if err := checkID(b, what); err != nil {
		return 0, 0, f.rowError(col, reasonOf(err, ReasonID), err.Error())
	}
	if e := f.kindError(col, colID); e != nil {
		return 0, 0, e
	}
	if f.numericCell(col) && !exactInDouble(b) {
		return 0, 0, f.rowError(col, ReasonIDMangled, quoteBytes(b)+" is an "+what+" that Excel stored as a number, which keeps only 15 to 16 digits: its last digits are lost and cannot be recovered; re-export with the id column as text")
	}
	start = len(f.arena)
	f.arena = append(f.arena, b...)
	return start, len(f.arena), nil
}

// text reads a text column into the arena.
func (f *File) text(col int) (start, end int, e *RowError) {
	b, e := f.cell(col)
	if e != nil {
		return 0, 0, e
	}
	start = len(f.arena)
	f.arena = append(f.arena, b...)
	return start, len(f.arena), nil
}

// amount reads an amount column in fen. Amounts are never negative; an
// empty cell is an error when required, else 0.
func (f *File) amount(col int, required bool) (int64, *RowError) {
	b, e := f.cell(col)
	if e != nil {
		return 0, e
	}
	if len(b) == 0 {
		if !required {
			return 0, nil
		}
		if f.m.idx[col] < 0 {
			return 0, nil // an optional column, absent
		}
		return 0, f.rowError(col, ReasonMissing, "is empty; "+amountExample)
	}
	if e := f.kindError(col, colAmount); e != nil {
		return 0, e
	}
	var v int64
	var err error
	if f.numericCell(col) {
		v, err = parseExcelAmount(b)
	} else {
		v, err = parseAmount(b)
	}
	if err != nil {
		return 0, f.rowError(col, ReasonAmount, err.Error())
	}
	if v < 0 {
		return 0, f.rowError(col, ReasonAmount, strconv.Quote(string(b))+" is negative; expected an amount of 0 or more")
	}
	return v, nil
}

// fee reads a service fee (see ParseFee); an empty or absent cell is 0,
// and not there.
func (f *File) fee(col int) (int64, bool, *RowError) {
	b, e := f.cell(col)
	if e != nil || len(b) == 0 {
		return 0, false, e
	}
	if e := f.kindError(col, colAmount); e != nil {
		return 0, false, e
	}
	var v int64
	var err error
	if f.numericCell(col) {
		v, err = parseExcelFee(b)
	} else {
		v, err = parseFee(b)
	}
	if err != nil {
		return 0, false, f.rowError(col, ReasonFee, err.Error())
	}
	return v, true, nil
}

// rate reads a fee rate (see ParseRate); an empty or absent cell is 0, and
// not there. A numeric XLSX cell holds the rate as a fraction. A bill has
// one rate or a few: the last one read is kept.
func (f *File) rate(col int) (int64, bool, *RowError) {
	b, e := f.cell(col)
	if e != nil || len(b) == 0 {
		return 0, false, e
	}
	numeric := f.numericCell(col)
	if string(b) == string(f.lastRate.raw) && numeric == f.lastRate.numeric {
		return f.lastRate.v, true, nil
	}
	v, err := parseRate(b, numeric)
	if err != nil && numeric {
		// A numeric cell in scientific notation (6E-3) or with float
		// noise: the fraction in millionths.
		if w, ok := excelNumber(b, 6); ok && w >= 0 && w <= 1_000_000 {
			v, err = w, nil
		}
	}
	if err != nil {
		return 0, false, f.rowError(col, ReasonRate, err.Error())
	}
	f.lastRate.raw, f.lastRate.numeric, f.lastRate.v = append(f.lastRate.raw[:0], b...), numeric, v
	return v, true, nil
}

// numericCell reports whether canonical column col of the current row is a
// numeric XLSX cell.
func (f *File) numericCell(col int) bool {
	return f.xlsx && f.src.kind(f.m.idx[col]) == cellNumber
}

// exactInDouble reports whether a digit string is an integer below 2^53,
// which a double holds exactly.
func exactInDouble(b []byte) bool {
	for len(b) > 1 && b[0] == '0' {
		b = b[1:]
	}
	const limit = "9007199254740992"
	if len(b) != len(limit) {
		return len(b) < len(limit)
	}
	return string(b) < limit
}

// when reads a time column.
func (f *File) when(col int) (time.Time, *RowError) {
	b, e := f.cell(col)
	if e != nil || len(b) == 0 {
		return time.Time{}, e
	}
	if e := f.kindError(col, colTime); e != nil {
		return time.Time{}, e
	}
	var t time.Time
	var err error
	if f.xlsx {
		t, err = parseExcelTime(b, f.date1904)
	} else {
		t, err = parseTime(b)
	}
	if err != nil {
		return time.Time{}, f.rowError(col, ReasonTime, err.Error())
	}
	return t, nil
}

// intern returns the cleaned text of a column like the status or the
// customs code, which has a few distinct values: one string per value is
// shared among the rows, found by the field's raw bytes, so that a value
// seen before is neither decoded nor checked again.
func (f *File) intern(col int) (string, *RowError) {
	p := f.m.idx[col]
	if p < 0 || p >= len(f.row) {
		return "", nil
	}
	raw := f.row[p]
	last := &f.lastIntern[col&3]
	if last.col == col && string(last.raw) == string(raw) {
		return last.s, nil
	}
	s, ok := f.interned[string(raw)]
	if !ok {
		b, e := f.cell(col)
		if e != nil {
			return "", e
		}
		s = string(b)
		if len(f.interned) < 1024 && len(raw) <= 64 {
			f.interned[string(raw)] = s
		}
	}
	last.col, last.raw, last.s = col, append(last.raw[:0], raw...), s
	return s, nil
}

// readSummary reads the summary of the current bill section: the row of
// names (the current row) and the row of values after it. A figure it
// cannot read leaves the section without a summary and says why.
func (f *File) readSummary() {
	sec := &f.info.Sections[len(f.info.Sections)-1]
	names := make([]string, 0, 8)
	for _, fl := range f.src.allFields() {
		b, msg := f.decode(fl)
		if msg != "" {
			sec.SummaryErr = "the summary's names " + msg
			return
		}
		names = append(names, string(clean(b)))
	}
	if !f.src.next() {
		sec.SummaryErr = "the summary has names but no values (the file ends after them)"
		sec.SummarySource = Source{File: f.path, Sheet: f.src.sheet(), Line: f.src.line()}
		return
	}
	sec.SummarySource = Source{File: f.path, Sheet: f.src.sheet(), Line: f.src.line()}
	values := f.src.allFields()
	sum := &BillFigures{}
	for i, name := range names {
		if i >= len(values) {
			break
		}
		b, msg := f.decode(values[i])
		if msg != "" {
			sec.SummaryErr = name + " " + msg
			return
		}
		v := clean(b)
		g, ok := summaryNames[name]
		if !ok {
			continue
		}
		var err error
		switch g {
		case FigTrades:
			sum.Trades, err = strconv.ParseInt(string(v), 10, 64)
		case FigFee:
			sum.Fee, err = parseFee(v)
		default:
			var a int64
			a, err = parseAmount(v)
			switch g {
			case FigSettlement:
				sum.Settlement = a
			case FigRefund:
				sum.Refund = a
			case FigVoucherRefund:
				sum.VoucherRefund = a
			case FigOrderAmount:
				sum.OrderAmount = a
			case FigRequestedRefund:
				sum.RequestedRefund = a
			}
		}
		if err != nil {
			sec.SummaryErr = fmt.Sprintf("%s %q cannot be read: %v", name, v, err)
			return
		}
		sum.Has |= g
	}
	sec.Summary = sum
}

// summaryNames maps the names of a bill's summary, of today's bills and
// of older ones, to the figures.
var summaryNames = map[string]Figure{
	"总交易单数":         FigTrades,
	"应结订单总金额":       FigSettlement,
	"总交易额":          FigSettlement,
	"退款总金额":         FigRefund,
	"总退款金额":         FigRefund,
	"充值券退款总金额":      FigVoucherRefund,
	"总代金券或立减优惠退款金额": FigVoucherRefund,
	"手续费总金额":        FigFee,
	"订单总金额":         FigOrderAmount,
	"申请退款总金额":       FigRequestedRefund,
}

// csvSource is a CSV file as a source.
type csvSource struct {
	c  *csvReader
	fh io.Closer
}

func (s *csvSource) next() bool          { return s.c.next() }
func (s *csvSource) fields() [][]byte    { return s.c.fields }
func (s *csvSource) numFields() int      { return s.c.nfields }
func (s *csvSource) allFields() [][]byte { return s.c.allFields() }
func (s *csvSource) raw() []byte         { return s.c.buf[s.c.r : s.c.r+s.c.pending] }
func (s *csvSource) line() int           { return s.c.recLine }
func (s *csvSource) rowErr() error       { return nil }
func (s *csvSource) kind(int) cellKind   { return cellText }
func (s *csvSource) sheet() string       { return "" }
func (s *csvSource) err() error          { return s.c.Err() }
func (s *csvSource) close() error        { return s.fh.Close() }
