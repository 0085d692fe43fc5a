package ingest

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// Limits for reading an XLSX, which is a zip of XML parts. A hostile zip
// (a "zip bomb": a few KB that inflate to gigabytes) must end with a clear
// error, quickly and without a big allocation. excelize, given the limits
// below, holds each worksheet or shared-strings part of up to
// xlsxPartInMemory bytes in memory and inflates a larger one to a
// temporary file that it then streams; every other part it always reads
// into memory whole. Before excelize sees the file, checkXLSX looks at the
// sizes the zip declares (archive/zip refuses to inflate more than the
// declared size, so a part that lies about its size fails as corrupt) and:
//
//   - xlsxMaxTotal, 2 GiB inflated in all (excelize's UnzipSizeLimit): the
//     disk a legitimate export can take; a 40-column sheet of a million
//     rows is about 1.5 GiB of XML. Larger exports should be CSV.
//   - xlsxPartInMemory, 16 MiB (excelize's UnzipXMLSizeLimit, and its
//     default): a bigger worksheet or shared-strings part is streamed from
//     a temporary file rather than held in memory.
//   - xlsxMaxOther, 64 MiB: the other parts (workbook, styles, themes,
//     images) that excelize holds in memory together; an order export has
//     a few KB of them.
//   - xlsxMaxSharedStrings, 512 MiB: excelize keeps an index of about 40
//     bytes per distinct string of a large shared-strings part in memory;
//     512 MiB of strings is some 10 million distinct cells.
//   - xlsxMaxRatio, 100:1 for parts over 1 MiB: spreadsheet XML deflates
//     by 5 to 20 times, rarely 50; a bomb by up to 1000.
//
// checkXLSX then inflates the worksheet and the shared strings once, to
// check their CRC (excelize ignores a damaged part and reads what it can)
// and to count the worksheet's rows: excelize's row iterator ends quietly
// at malformed XML, so File compares the rows it got with that count and
// reports a worksheet that ended early.
const (
	xlsxMaxTotal         = 2 << 30
	xlsxPartInMemory     = 16 << 20
	xlsxMaxOther         = 64 << 20
	xlsxMaxSharedStrings = 512 << 20
	xlsxMaxRatio         = 100
	xlsxRatioFloor       = 1 << 20
)

// xlsxSource is a worksheet as a source, read with excelize's streaming row
// iterator.
type xlsxSource struct {
	wb       *excelize.File
	rows     *excelize.Rows
	row      int        // the current row number (1-based)
	scan     *sheetScan // nil until the header is read
	tracked  []int      // the field indexes scan.numeric has bits for
	cells    []string
	buf      []byte
	fieldv   [][]byte
	cellErr  error
	failed   error
	finished bool
}

func (f *File) openXLSX(o *options) error {
	sheet, part, err := checkXLSX(f.path, o.sheet)
	if err != nil {
		return err
	}
	wb, err := excelize.OpenFile(f.path, excelize.Options{
		RawCellValue:      true,
		UnzipSizeLimit:    xlsxMaxTotal,
		UnzipXMLSizeLimit: xlsxPartInMemory,
	})
	if err != nil {
		return fmt.Errorf("not a readable XLSX workbook: %w", err)
	}
	s := &xlsxSource{wb: wb}
	f.src = s
	if props, err := wb.GetWorkbookProps(); err == nil && props.Date1904 != nil {
		f.date1904 = *props.Date1904
	}
	f.info.Sheet = sheet
	if s.rows, err = wb.Rows(sheet); err != nil {
		return fmt.Errorf("worksheet %q: %w", sheet, err)
	}
	headers, err := f.readHeader()
	if err == nil {
		err = f.setHeader(headers)
	}
	if err != nil {
		// A damaged sheet reads as a short one: say which it is.
		if _, serr := scanSheet(f.path, part, nil); serr != nil {
			return fmt.Errorf("worksheet %q is damaged (%v); save it again or export it as CSV", sheet, serr)
		}
		return fmt.Errorf("worksheet %q: %w", sheet, err)
	}
	// The id and amount columns: where the cell type matters.
	for i, sp := range f.m.specs {
		if p := f.m.idx[i]; p >= 0 && (sp.typ == colID || sp.typ == colAmount) {
			s.tracked = append(s.tracked, p)
		}
	}
	if s.scan, err = scanSheet(f.path, part, s.tracked); err != nil {
		return fmt.Errorf("worksheet %q is damaged (%v); save it again or export it as CSV", sheet, err)
	}
	return nil
}

func (s *xlsxSource) next() bool {
	if s.finished {
		return false
	}
	if !s.rows.Next() {
		s.finished = true
		if err := s.rows.Error(); err != nil {
			s.failed = err
		} else if s.scan != nil && s.row != s.scan.lastRow {
			s.failed = fmt.Errorf("the worksheet's XML is damaged after row %d (it has rows up to %d); save the workbook again in Excel or export it as CSV", s.row, s.scan.lastRow)
		}
		return false
	}
	s.row++
	s.cells, s.cellErr = s.rows.Columns()
	// One buffer for the row's cells; the fields are cut from it after all
	// appends, so a reallocation cannot leave one behind.
	s.buf = s.buf[:0]
	for _, c := range s.cells {
		s.buf = append(s.buf, c...)
	}
	s.fieldv = s.fieldv[:0]
	at := 0
	for _, c := range s.cells {
		s.fieldv = append(s.fieldv, s.buf[at:at+len(c):at+len(c)])
		at += len(c)
	}
	return true
}

// isNumeric reports whether field i of the current row is a numeric cell;
// i must be one of the tracked fields.
func (s *xlsxSource) isNumeric(i int) bool {
	if s.scan == nil || s.row >= len(s.scan.numeric) {
		return false
	}
	for k, c := range s.tracked {
		if c == i {
			return s.scan.numeric[s.row]&(1<<k) != 0
		}
	}
	return false
}

func (s *xlsxSource) fields() [][]byte    { return s.fieldv }
func (s *xlsxSource) numFields() int      { return len(s.fieldv) }
func (s *xlsxSource) allFields() [][]byte { return s.fieldv }
func (s *xlsxSource) raw() []byte         { return nil }
func (s *xlsxSource) line() int           { return s.row }
func (s *xlsxSource) rowErr() error       { return s.cellErr }
func (s *xlsxSource) err() error          { return s.failed }

func (s *xlsxSource) close() error {
	var err error
	if s.rows != nil {
		err = s.rows.Close()
		if errors.Is(err, s.failed) {
			err = nil
		}
	}
	if cerr := s.wb.Close(); err == nil {
		err = cerr
	}
	return err
}

// checkXLSX checks the zip's declared sizes against the limits above,
// finds the worksheet to read (the named one, else the first), checks the
// CRC of the shared strings, and returns the worksheet's name and part.
func checkXLSX(name, sheet string) (string, string, error) {
	zr, err := zip.OpenReader(name)
	if err != nil {
		return "", "", fmt.Errorf("not a readable XLSX workbook (a damaged or truncated zip: %v); save it again or export it as CSV", err)
	}
	defer zr.Close()
	parts := make(map[string]*zip.File, len(zr.File))
	var total, other uint64
	for _, zf := range zr.File {
		p := strings.ReplaceAll(zf.Name, "\\", "/")
		parts[strings.ToLower(p)] = zf
		size := zf.UncompressedSize64
		total += size
		if total > xlsxMaxTotal {
			return "", "", fmt.Errorf("the workbook would inflate to more than %d MiB (the limit for an XLSX export); export it as CSV", xlsxMaxTotal>>20)
		}
		if size > xlsxRatioFloor && size/max(zf.CompressedSize64, 1) > xlsxMaxRatio {
			return "", "", fmt.Errorf("part %s would inflate from %d bytes to %d (more than %d times): refusing what looks like a zip bomb", p, zf.CompressedSize64, size, xlsxMaxRatio)
		}
		lp := strings.ToLower(p)
		switch {
		case strings.HasPrefix(lp, "xl/worksheets/sheet"):
		case lp == "xl/sharedstrings.xml":
			if size > xlsxMaxSharedStrings {
				return "", "", fmt.Errorf("the shared strings inflate to %d MiB, more than the %d MiB this reader takes; export the sheet as CSV", size>>20, xlsxMaxSharedStrings>>20)
			}
		default:
			if other += size; other > xlsxMaxOther {
				return "", "", fmt.Errorf("the workbook's parts other than worksheets inflate to more than %d MiB; remove pictures and other objects, or export it as CSV", xlsxMaxOther>>20)
			}
		}
	}
	sheets, err := workbookSheets(parts)
	if err != nil {
		return "", "", err
	}
	if len(sheets) == 0 {
		return "", "", errors.New("the workbook has no worksheet")
	}
	pick := sheets[0]
	if sheet != "" {
		found := false
		for _, s := range sheets {
			if s.name == sheet {
				pick, found = s, true
				break
			}
		}
		if !found {
			names := make([]string, len(sheets))
			for i, s := range sheets {
				names[i] = strconv.Quote(s.name)
			}
			return "", "", fmt.Errorf("no worksheet named %q; the workbook has %s", sheet, strings.Join(names, ", "))
		}
	}
	if parts[strings.ToLower(pick.part)] == nil {
		return "", "", fmt.Errorf("worksheet %q is missing from the workbook (%s); save it again or export it as CSV", pick.name, pick.part)
	}
	if ss := parts["xl/sharedstrings.xml"]; ss != nil {
		rc, err := ss.Open()
		if err == nil {
			_, err = io.Copy(io.Discard, rc)
			rc.Close()
		}
		if err != nil {
			return "", "", fmt.Errorf("the workbook's shared strings are damaged (%v); save it again or export it as CSV", err)
		}
	}
	return pick.name, pick.part, nil
}

type sheetRef struct{ name, part string }

// workbookSheets lists the worksheets in workbook order with their parts.
func workbookSheets(parts map[string]*zip.File) ([]sheetRef, error) {
	var wb struct {
		Sheets []struct {
			Name string `xml:"name,attr"`
			RID  string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	var rels struct {
		Rels []struct {
			ID     string `xml:"Id,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if err := decodePart(parts, "xl/workbook.xml", &wb); err != nil {
		return nil, err
	}
	if err := decodePart(parts, "xl/_rels/workbook.xml.rels", &rels); err != nil {
		return nil, err
	}
	target := make(map[string]string, len(rels.Rels))
	for _, r := range rels.Rels {
		t := strings.ReplaceAll(r.Target, "\\", "/")
		if strings.HasPrefix(t, "/") {
			t = strings.TrimPrefix(t, "/")
		} else {
			t = path.Join("xl", t)
		}
		target[r.ID] = t
	}
	out := make([]sheetRef, 0, len(wb.Sheets))
	for _, s := range wb.Sheets {
		if t, ok := target[s.RID]; ok {
			out = append(out, sheetRef{s.Name, t})
		}
	}
	return out, nil
}

func decodePart(parts map[string]*zip.File, name string, v any) error {
	zf := parts[name]
	if zf == nil {
		return fmt.Errorf("a zip archive but not an XLSX workbook (no %s)", name)
	}
	rc, err := zf.Open()
	if err != nil {
		return fmt.Errorf("%s is damaged: %v", name, err)
	}
	defer rc.Close()
	if err := xml.NewDecoder(rc).Decode(v); err != nil {
		return fmt.Errorf("%s is damaged: %v", name, err)
	}
	return nil
}

// sheetScan is what scanSheet learns of a worksheet.
type sheetScan struct {
	lastRow int
	// numeric[row] has bit i set when the cell of tracked column i in that
	// row is a numeric cell (no t attribute, or t="n") with a value.
	numeric []uint8
}

// scanSheet inflates the worksheet part (which checks its CRC) and returns
// the number of its last row, counted the way excelize's iterator counts
// (one more than the previous row, or the row's r attribute), and which of
// the cells in the tracked columns (0-based, at most 8) are numeric.
// excelize's row iterator hides cell types; the readers need them, because
// an id stored as a number has lost its digits beyond the 15th or 16th, and
// only numeric cells get the float-noise allowance for amounts.
func scanSheet(name, part string, tracked []int) (*sheetScan, error) {
	zr, err := zip.OpenReader(name)
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	var zf *zip.File
	for _, f := range zr.File {
		if strings.EqualFold(strings.ReplaceAll(f.Name, "\\", "/"), part) {
			zf = f
			break
		}
	}
	if zf == nil {
		return nil, fmt.Errorf("no part %s", part)
	}
	rc, err := zf.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	bit := make(map[int]uint8, len(tracked))
	for i, c := range tracked {
		bit[c] |= 1 << i
	}
	sc := &sheetScan{}
	br := bufio.NewReaderSize(rc, 64<<10)
	var (
		tag     []byte
		col     int   // 1-based column of the current cell
		pending uint8 // the bit of the current numeric cell, until its <v>
	)
	for {
		if _, err := br.ReadSlice('<'); err != nil {
			if err == bufio.ErrBufferFull {
				continue
			}
			if err == io.EOF {
				return sc, nil
			}
			return nil, err
		}
		tag = tag[:0]
		for len(tag) < 64 {
			c, err := br.ReadByte()
			if err != nil {
				if err == io.EOF {
					return sc, nil
				}
				return nil, err
			}
			if c == ' ' || c == '>' || c == '/' || c == '\t' || c == '\n' || c == '\r' {
				br.UnreadByte()
				break
			}
			tag = append(tag, c)
		}
		if i := bytes.LastIndexByte(tag, ':'); i >= 0 {
			tag = tag[i+1:]
		}
		switch string(tag) {
		case "row":
			attrs, err := br.ReadSlice('>')
			if err != nil && err != bufio.ErrBufferFull {
				if err == io.EOF {
					return sc, nil
				}
				return nil, err
			}
			sc.lastRow++
			if r, _ := strconv.Atoi(string(attr(attrs, "r"))); r > 0 {
				sc.lastRow = r
			}
			if sc.lastRow > excelize.TotalRows {
				return nil, fmt.Errorf("row %d is past the last row a worksheet can have", sc.lastRow)
			}
			col, pending = 0, 0
		case "c":
			attrs, err := br.ReadSlice('>')
			if err != nil && err != bufio.ErrBufferFull {
				if err == io.EOF {
					return sc, nil
				}
				return nil, err
			}
			col++
			if ref := attr(attrs, "r"); len(ref) > 0 {
				col = columnOf(ref)
			}
			pending = 0
			if t := attr(attrs, "t"); len(t) == 0 || string(t) == "n" {
				pending = bit[col-1]
			}
			if bytes.HasSuffix(attrs, []byte("/>")) {
				pending = 0
			}
		case "v":
			if pending != 0 {
				for len(sc.numeric) <= sc.lastRow {
					sc.numeric = append(sc.numeric, 0)
				}
				sc.numeric[sc.lastRow] |= pending
				pending = 0
			}
		}
	}
}

// attr returns the value of the attribute name in a start tag's
// attributes, nil when it has none.
func attr(attrs []byte, name string) []byte {
	for i := 0; i+len(name) < len(attrs); i++ {
		if i > 0 && attrs[i-1] != ' ' && attrs[i-1] != '\t' && attrs[i-1] != '\n' && attrs[i-1] != '\r' {
			continue
		}
		if string(attrs[i:i+len(name)]) != name {
			continue
		}
		j := i + len(name)
		for j < len(attrs) && attrs[j] == ' ' {
			j++
		}
		if j >= len(attrs) || attrs[j] != '=' {
			continue
		}
		j++
		for j < len(attrs) && attrs[j] == ' ' {
			j++
		}
		if j >= len(attrs) || (attrs[j] != '"' && attrs[j] != '\'') {
			continue
		}
		end := bytes.IndexByte(attrs[j+1:], attrs[j])
		if end < 0 {
			return nil
		}
		return attrs[j+1 : j+1+end]
	}
	return nil
}

// columnOf returns the 1-based column of a cell reference such as AB12.
func columnOf(ref []byte) int {
	col := 0
	for _, c := range ref {
		switch {
		case c >= 'A' && c <= 'Z':
			col = col*26 + int(c-'A'+1)
		case c >= 'a' && c <= 'z':
			col = col*26 + int(c-'a'+1)
		default:
			return col
		}
		if col > 1<<20 {
			return col
		}
	}
	return col
}
