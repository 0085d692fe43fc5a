package ingest

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
)

// Limits for reading an XLSX, which is a zip of XML parts. A hostile zip
// (a "zip bomb": a few KB that inflate to gigabytes) must end with a clear
// error, quickly and without a big allocation. The reader streams every
// part through the tokenizer of xmlscan.go (whose own limits bound a tag,
// a text and the nesting) and keeps only what it needs: the shared
// strings, the date formats of the styles, the sheets' names, and one row.
// Before it inflates anything it checks the sizes the zip declares
// (archive/zip refuses to inflate more than the declared size, so a part
// that lies about its size fails as corrupt):
//
//   - xlsxMaxTotal, 2 GiB inflated in all: a 40-column sheet of a million
//     rows is about 1.5 GiB of XML (excelize writes 2.2 KB a row of the
//     Tmall export with inline strings, Excel about 1.2 KB with shared
//     strings); larger exports should be CSV.
//   - xlsxMaxSharedStrings, 512 MiB: the shared strings are held in memory,
//     without their markup and with 4 bytes of index each (an order export
//     of a million rows has some 100 MiB of them); 512 MiB of XML is some
//     10 million distinct cells.
//   - xlsxMaxMeta, 16 MiB: each of the workbook, its relationships and the
//     styles, which are read whole before the sheets; an order export has
//     a few KB of them, a workbook styled by hand some hundred KB. Other
//     parts (themes, pictures, drawings) are never inflated.
//   - xlsxMaxRatio, 100:1 for parts over 1 MiB: spreadsheet XML deflates
//     by 5 to 20 times, rarely 50; a bomb by up to 1000.
//   - xlsxMaxRow, 16 MiB: the text of one row, as for a CSV record; a
//     row of 16,384 cells of 1 KiB each is as far as a sheet goes.
//   - xlsxMaxSheets, 1024 worksheets; xlsxMaxStyles, 65,536 cell formats
//     (Excel allows 64,000).
//
// A part is inflated to its end even when its data ends earlier, so that
// archive/zip checks its CRC; malformed XML anywhere in a part, a CRC
// that does not match and a truncated part are structural errors that
// name the part.
const (
	xlsxMaxTotal         = 2 << 30
	xlsxMaxSharedStrings = 512 << 20
	xlsxMaxMeta          = 16 << 20
	xlsxMaxRatio         = 100
	xlsxRatioFloor       = 1 << 20
	xlsxMaxRow           = 16 << 20
	xlsxMaxSheets        = 1024
	xlsxMaxStyles        = 1 << 16

	// The size of a worksheet: rows and columns.
	xlsxMaxRows    = 1 << 20 // 1,048,576
	xlsxMaxColumns = 1 << 14 // 16,384, column XFD
)

// cellKind is what an XLSX cell holds, from its t attribute and, for a
// number, its style. A CSV field is always cellText.
type cellKind uint8

const (
	cellText   cellKind = iota // t="s", "inlineStr", "str", or a type this reader does not know
	cellNumber                 // no t, or t="n"
	cellDate                   // a number with a date or time format, or t="d" (an ISO 8601 date)
	cellBool                   // t="b": 0 or 1
	cellError                  // t="e": #N/A, #VALUE! and the like
)

// workbook is an open XLSX: its zip, its worksheets and what every sheet
// needs (the shared strings, the date styles, the date system).
type workbook struct {
	zr        *zip.ReadCloser
	parts     map[string]*zip.File // by lower-case name, with / separators
	sheets    []sheetRef
	date1904  bool
	dateStyle []bool // by cell format (the s attribute): a date or time format
	sst       sharedStrings
	scan      *xmlScanner // reused for each part
}

// sheetRef is a sheet of the workbook: its name and its part, "" for a
// sheet that is not a worksheet (a chart sheet, a dialog sheet).
type sheetRef struct{ name, part string }

// sharedStrings is the workbook's table of strings, one after the other
// in blob.
type sharedStrings struct {
	blob []byte
	ends []uint32
}

func (t *sharedStrings) len() int { return len(t.ends) }

// get returns string i, which must exist, capped so that appending to it
// cannot touch the next one.
func (t *sharedStrings) get(i int) []byte {
	start := uint32(0)
	if i > 0 {
		start = t.ends[i-1]
	}
	end := t.ends[i]
	return t.blob[start:end:end]
}

// sheetHeader is a worksheet chosen for reading: its header as found by
// File.readHeader, and the row it is in.
type sheetHeader struct {
	ref     sheetRef
	headers []string
	row     int
	size    int64 // the sheet part's uncompressed size, for Progress
}

func (f *File) openXLSX(o *options) error {
	wb, err := openWorkbook(f.path)
	if err != nil {
		return err
	}
	s := &xlsxSource{wb: wb, progress: &f.progress}
	f.src = s
	f.date1904 = wb.date1904

	candidates := wb.sheets
	if o.sheet != "" {
		var pick []sheetRef
		for _, sh := range wb.sheets {
			if sh.name == o.sheet {
				pick = append(pick, sh)
				break
			}
		}
		if pick == nil {
			names := make([]string, len(wb.sheets))
			for i, sh := range wb.sheets {
				names[i] = strconv.Quote(sh.name)
			}
			return fmt.Errorf("no worksheet named %q; the workbook has %s", o.sheet, strings.Join(names, ", "))
		}
		candidates = pick
	}
	// Read each candidate's header: the sheets whose header has the
	// kind's required columns are read, the others skipped (with why).
	var (
		read     []sheetHeader
		skipped  []string // one line per sheet skipped, for the error
		firstErr error    // the header error of the only candidate
	)
	for _, sh := range candidates {
		info := Sheet{Name: sh.name}
		if sh.part == "" {
			info.Skipped = "not a worksheet (a chart or dialog sheet)"
		} else {
			if err := s.open(sh); err != nil {
				return err
			}
			headers, err := f.readHeader()
			if serr := s.err(); serr != nil {
				return serr // damaged, not merely without a header
			}
			if err == nil {
				var m *mapping
				if m, err = mapHeader(f.info.Kind, headers); err == nil {
					info.Variant = variant(f.info.Kind, headers)
					info.Columns = m.columns()
					read = append(read, sheetHeader{sh, headers, s.row, wb.partSize(sh.part)})
				}
			}
			if err != nil {
				if errors.Is(err, errNoHeader) {
					info.Skipped = "no data: the sheet is empty or has only blank rows"
				} else {
					info.Skipped = err.Error()
				}
				if firstErr == nil {
					firstErr = err
				}
			}
		}
		f.info.Sheets = append(f.info.Sheets, info)
		if info.Skipped != "" {
			skipped = append(skipped, fmt.Sprintf("sheet %q: %s", sh.name, info.Skipped))
		}
	}
	s.closeSheet()
	if len(read) == 0 {
		switch {
		case len(candidates) == 1 && candidates[0].part != "":
			return fmt.Errorf("worksheet %q: %w", candidates[0].name, firstErr)
		case len(candidates) == 1:
			return fmt.Errorf("sheet %q is not a worksheet (a chart or dialog sheet); expected a worksheet of %s", candidates[0].name, f.info.Kind)
		}
		return fmt.Errorf("no worksheet has the header of %s export (its required columns): %s", articled(f.info.Kind), strings.Join(skipped, "; "))
	}
	s.read = read
	s.several = len(read) > 1
	s.onSheet = func(h sheetHeader) error {
		f.info.Sheet = h.ref.name
		return f.setHeader(h.headers)
	}
	// Position the source after the first sheet's header.
	if err := s.begin(0); err != nil {
		return err
	}
	return nil
}

// articled is "an orders", "a payments" or "a clearance".
func articled(k Kind) string {
	if k == Orders {
		return "an orders"
	}
	return "a " + k.String()
}

// openWorkbook opens the zip at name, checks the sizes it declares, and
// reads the workbook's sheets, date system, styles and shared strings.
func openWorkbook(name string) (*workbook, error) {
	zr, err := zip.OpenReader(name)
	if err != nil {
		return nil, fmt.Errorf("not a readable XLSX workbook (a damaged or truncated zip: %v); save it again or export it as CSV", err)
	}
	wb := &workbook{zr: zr, parts: make(map[string]*zip.File, len(zr.File))}
	if err := wb.load(); err != nil {
		zr.Close()
		return nil, err
	}
	return wb, nil
}

func (wb *workbook) load() error {
	var total uint64
	for _, zf := range wb.zr.File {
		p := strings.ReplaceAll(zf.Name, "\\", "/")
		wb.parts[strings.ToLower(p)] = zf
		size := zf.UncompressedSize64
		total += size
		if total > xlsxMaxTotal {
			return fmt.Errorf("the workbook would inflate to more than %d MiB (the limit for an XLSX export); export it as CSV", xlsxMaxTotal>>20)
		}
		if size > xlsxRatioFloor && size/max(zf.CompressedSize64, 1) > xlsxMaxRatio {
			return fmt.Errorf("part %s would inflate from %d bytes to %d (more than %d times): refusing what looks like a zip bomb", p, zf.CompressedSize64, size, xlsxMaxRatio)
		}
	}
	wb.scan = newXMLScanner(nil, "")
	rels, err := wb.rels("xl/_rels/workbook.xml.rels", "xl")
	if err != nil {
		return err
	}
	if err := wb.readWorkbook(rels); err != nil {
		return err
	}
	if len(wb.sheets) == 0 {
		return errors.New("the workbook has no worksheet")
	}
	stylesPart, sstPart := "xl/styles.xml", "xl/sharedstrings.xml"
	for _, r := range rels {
		switch {
		case strings.HasSuffix(r.typ, "/styles"):
			stylesPart = r.target
		case strings.HasSuffix(r.typ, "/sharedStrings"):
			sstPart = r.target
		}
	}
	if err := wb.readStyles(stylesPart); err != nil {
		return err
	}
	return wb.readSharedStrings(sstPart)
}

// part opens a part of the workbook for the scanner, nil when the
// workbook has no such part. limit is the most its declared size may be.
// partSize returns the uncompressed size of a part, 0 when it is missing.
func (wb *workbook) partSize(name string) int64 {
	if zf := wb.parts[strings.ToLower(name)]; zf != nil {
		return int64(min(zf.UncompressedSize64, 1<<62))
	}
	return 0
}

func (wb *workbook) part(name string, limit uint64, what string) (io.ReadCloser, *zip.File, error) {
	zf := wb.parts[strings.ToLower(name)]
	if zf == nil {
		return nil, nil, nil
	}
	if zf.UncompressedSize64 > limit {
		return nil, nil, fmt.Errorf("%s (%s) inflates to %d MiB, more than the %d MiB this reader takes; export the sheet as CSV", what, zf.Name, zf.UncompressedSize64>>20, limit>>20)
	}
	rc, err := zf.Open()
	if err != nil {
		return nil, nil, fmt.Errorf("%s (%s) cannot be read (%v); save the workbook again or export it as CSV", what, zf.Name, err)
	}
	return rc, zf, nil
}

// damaged wraps an error met while reading a part.
func damaged(what string, err error) error {
	verb := "is"
	if strings.HasSuffix(what, ")") {
		verb = "are" // the workbook's shared strings (xl/sharedStrings.xml)
	}
	return fmt.Errorf("%s %s damaged (%w); save the workbook again in Excel or export it as CSV", what, verb, err)
}

type rel struct{ id, typ, target string }

// rels reads a relationships part; targets are resolved against dir.
func (wb *workbook) rels(name, dir string) ([]rel, error) {
	rc, zf, err := wb.part(name, xlsxMaxMeta, "the workbook's relationships")
	if err != nil {
		return nil, err
	}
	if rc == nil {
		return nil, fmt.Errorf("a zip archive but not an XLSX workbook (no %s)", name)
	}
	defer rc.Close()
	sc := wb.scan
	sc.reset(rc, zf.Name)
	var out []rel
	for sc.next() {
		if sc.kind != tokStart || string(sc.name) != "Relationship" {
			continue
		}
		if len(out) >= 4*xlsxMaxSheets+64 {
			return nil, fmt.Errorf("%s has more than %d relationships; the workbook is damaged or hostile", zf.Name, 4*xlsxMaxSheets+64)
		}
		var r rel
		for _, a := range []struct {
			key string
			dst *string
		}{{"Id", &r.id}, {"Type", &r.typ}, {"Target", &r.target}} {
			if v, ok := xmlAttr(sc.attrs, a.key); ok {
				b, err := appendUnescaped(nil, v)
				if err != nil {
					return nil, damaged(zf.Name, err)
				}
				*a.dst = string(b)
			}
		}
		t := strings.ReplaceAll(r.target, "\\", "/")
		if strings.HasPrefix(t, "/") {
			t = strings.TrimPrefix(t, "/")
		} else {
			t = path.Join(dir, t)
		}
		r.target = t
		out = append(out, r)
	}
	if sc.err != nil {
		return nil, damaged(zf.Name, sc.err)
	}
	return out, nil
}

// readWorkbook reads the sheets, in workbook order, and the date system.
func (wb *workbook) readWorkbook(rels []rel) error {
	rc, zf, err := wb.part("xl/workbook.xml", xlsxMaxMeta, "the workbook part")
	if err != nil {
		return err
	}
	if rc == nil {
		return errors.New("a zip archive but not an XLSX workbook (no xl/workbook.xml)")
	}
	defer rc.Close()
	byID := make(map[string]rel, len(rels))
	for _, r := range rels {
		byID[r.id] = r
	}
	sc := wb.scan
	sc.reset(rc, zf.Name)
	for sc.next() {
		if sc.kind != tokStart {
			continue
		}
		switch string(sc.name) {
		case "workbookPr":
			if v, ok := xmlAttr(sc.attrs, "date1904"); ok {
				wb.date1904 = string(v) == "1" || string(v) == "true"
			}
		case "sheet":
			if len(wb.sheets) >= xlsxMaxSheets {
				return fmt.Errorf("the workbook has more than %d sheets; split it or export the sheets as CSV", xlsxMaxSheets)
			}
			v, _ := xmlAttr(sc.attrs, "name")
			nm, err := appendUnescaped(nil, v)
			if err != nil {
				return damaged(zf.Name, err)
			}
			id, _ := xmlAttr(sc.attrs, "id") // r:id
			ref := sheetRef{name: string(nm)}
			if r, ok := byID[string(id)]; ok && strings.HasSuffix(r.typ, "/worksheet") {
				ref.part = r.target
			} else if ok && r.typ == "" {
				ref.part = r.target
			}
			wb.sheets = append(wb.sheets, ref)
		}
	}
	if sc.err != nil {
		return damaged(zf.Name, sc.err)
	}
	return nil
}

// readStyles reads which cell formats are dates or times. A workbook
// without styles has none.
func (wb *workbook) readStyles(name string) error {
	rc, zf, err := wb.part(name, xlsxMaxMeta, "the workbook's styles")
	if err != nil || rc == nil {
		return err
	}
	defer rc.Close()
	sc := wb.scan
	sc.reset(rc, zf.Name)
	custom := make(map[int]bool) // numFmtId → a date format
	var xfs []int                // the numFmtId of each cell format
	xfDepth := 0                 // the depth of <cellXfs>, 0 outside it
	for sc.next() {
		switch sc.kind {
		case tokStart:
			switch string(sc.name) {
			case "numFmt":
				id, _ := strconv.Atoi(string(attrOr(sc.attrs, "numFmtId")))
				code, err := appendUnescaped(nil, attrOr(sc.attrs, "formatCode"))
				if err != nil {
					return damaged(zf.Name, err)
				}
				if len(custom) < xlsxMaxStyles {
					custom[id] = isDateFormat(string(code))
				}
			case "cellXfs":
				xfDepth = sc.depth()
			case "xf":
				if xfDepth > 0 && sc.depth() == xfDepth+1 {
					if len(xfs) >= xlsxMaxStyles {
						return fmt.Errorf("%s has more than %d cell formats; the workbook is damaged or hostile", zf.Name, xlsxMaxStyles)
					}
					id, _ := strconv.Atoi(string(attrOr(sc.attrs, "numFmtId")))
					xfs = append(xfs, id)
				}
			}
		case tokEnd:
			if string(sc.name) == "cellXfs" {
				xfDepth = 0
			}
		}
	}
	if sc.err != nil {
		return damaged(zf.Name, sc.err)
	}
	wb.dateStyle = make([]bool, len(xfs))
	for i, id := range xfs {
		if d, ok := custom[id]; ok {
			wb.dateStyle[i] = d
		} else {
			wb.dateStyle[i] = builtinDateFormat(id)
		}
	}
	return nil
}

func attrOr(attrs []byte, name string) []byte {
	v, _ := xmlAttr(attrs, name)
	return v
}

// builtinDateFormat reports whether a built-in number format is a date or
// a time: 14–22 and 45–47 in every locale, 27–36 and 50–58 in the East
// Asian ones (yyyy"年"m"月" and the like; ECMA-376 part 1, 18.8.30).
func builtinDateFormat(id int) bool {
	return id >= 14 && id <= 22 || id >= 27 && id <= 36 || id >= 45 && id <= 47 || id >= 50 && id <= 58
}

// isDateFormat reports whether a number format code shows a date or a
// time: it has y, m, d, h or s (or the East Asian 年月日时分秒 written as
// codes e, g, b) outside quoted text, escapes and [colour] or [$-locale]
// sections. [h], [m] and [s], elapsed time, count as times.
func isDateFormat(code string) bool {
	for i := 0; i < len(code); i++ {
		switch c := code[i]; c {
		case '"':
			j := strings.IndexByte(code[i+1:], '"')
			if j < 0 {
				return false
			}
			i += j + 1
		case '\\', '_', '*':
			i++ // the next character is literal or padding
		case '[':
			j := strings.IndexByte(code[i:], ']')
			if j < 0 {
				return false
			}
			sec := strings.ToLower(code[i+1 : i+j])
			if sec != "" && strings.Trim(sec, "hms") == "" {
				return true
			}
			i += j
		case ';':
			return false // only the first section (positive numbers) counts
		default:
			switch c | 0x20 {
			case 'y', 'm', 'd', 'h', 's':
				return true
			}
		}
	}
	return false
}

// readSharedStrings reads the shared strings into wb.sst. A workbook
// without them has none; a broken part is an error that names it.
func (wb *workbook) readSharedStrings(name string) error {
	const what = "the workbook's shared strings"
	rc, zf, err := wb.part(name, xlsxMaxSharedStrings, what)
	if err != nil || rc == nil {
		return err
	}
	defer rc.Close()
	sc := wb.scan
	sc.reset(rc, zf.Name)
	t := &wb.sst
	t.blob = make([]byte, 0, min(zf.UncompressedSize64/2, xlsxMaxSharedStrings))
	var (
		inSI     bool
		siStart  int
		siDepth  int
		textOpen bool // in a <t> of the string (not of a phonetic run)
		phonetic int  // the depth of an <rPh>, 0 outside one
	)
	for sc.next() {
		switch sc.kind {
		case tokStart:
			switch string(sc.name) {
			case "si":
				if inSI {
					return damaged(zf.Name, errors.New("a string inside a string"))
				}
				inSI, siStart, siDepth = true, len(t.blob), sc.depth()
			case "t":
				textOpen = inSI && phonetic == 0
			case "rPh":
				if phonetic == 0 {
					phonetic = sc.depth()
				}
			}
		case tokEnd:
			switch string(sc.name) {
			case "si":
				if sc.depth() == siDepth-1 {
					t.blob = decodeEscapedChars(t.blob, siStart)
					t.ends = append(t.ends, uint32(len(t.blob)))
					inSI = false
				}
			case "t":
				textOpen = false
			case "rPh":
				if sc.depth() == phonetic-1 {
					phonetic = 0
				}
			}
		case tokText:
			if textOpen {
				if t.blob, err = appendUnescaped(t.blob, sc.text); err != nil {
					return damaged(zf.Name, fmt.Errorf("string %d: %v", len(t.ends)+1, err))
				}
			}
		case tokCDATA:
			if textOpen {
				t.blob = appendCDATA(t.blob, sc.text)
			}
		}
	}
	if sc.err != nil {
		return damaged(what+" ("+zf.Name+")", sc.err)
	}
	return nil
}

// appendCDATA appends the content of a CDATA section with its line ends
// normalized.
func appendCDATA(dst, src []byte) []byte {
	for {
		i := bytes.IndexByte(src, '\r')
		if i < 0 {
			return append(dst, src...)
		}
		dst = append(append(dst, src[:i]...), '\n')
		src = src[i+1:]
		if len(src) > 0 && src[0] == '\n' {
			src = src[1:]
		}
	}
}

// decodeEscapedChars decodes, in b[from:], the _xHHHH_ escapes that Excel
// writes for characters XML cannot hold (a control character such as
// _x000D_, or _x005F_ for a literal underscore before such a sequence), as
// excelize does. An escape of a lone surrogate becomes U+FFFD, which the
// reader refuses in a column it uses, where excelize would drop it.
func decodeEscapedChars(b []byte, from int) []byte {
	s := b[from:]
	if bytes.IndexByte(s, '_') < 0 {
		return b
	}
	i := bytes.Index(s, []byte("_x"))
	if i < 0 {
		return b
	}
	out := make([]byte, 0, len(s))
	for i >= 0 {
		if i+7 <= len(s) && s[i+6] == '_' && isHex4(s[i+2:i+6]) {
			n, _ := strconv.ParseUint(string(s[i+2:i+6]), 16, 32)
			out = append(out, s[:i]...)
			if n == 0x5F {
				out = append(out, '_')
			} else {
				r := rune(n)
				if r >= 0xD800 && r <= 0xDFFF {
					r = 0xFFFD
				}
				out = appendRune(out, r)
			}
			s = s[i+7:]
		} else {
			out = append(out, s[:i+2]...)
			s = s[i+2:]
		}
		i = bytes.Index(s, []byte("_x"))
	}
	out = append(out, s...)
	return append(b[:from], out...)
}

func isHex4(b []byte) bool {
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

func appendRune(b []byte, r rune) []byte { return append(b, string(r)...) }
