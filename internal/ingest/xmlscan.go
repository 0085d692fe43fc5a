package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// Limits of the XML tokenizer, for the parts of an XLSX. A hostile part
// (a start tag with endless attributes, a text of gigabytes, elements
// nested a million deep) ends with an error as soon as it passes one of
// them, having held at most about twice xmlMaxToken in memory:
//
//   - xmlMaxToken, 1 MiB: the longest tag or text. Excel keeps a cell to
//     32,767 characters, at most about 96 KiB of UTF-8 and some 192 KiB
//     with every character escaped as &#NNNNN; (160 KiB as &amp;); the
//     longest start tag it writes, a worksheet's root with its namespace
//     declarations, has about 3 KB.
//   - xmlMaxDepth, 64: SpreadsheetML nests at most 8 deep in the parts
//     read here (worksheet, sheetData, row, c, is, r, t; extLst a few
//     more).
const (
	xmlMaxToken = 1 << 20
	xmlMaxDepth = 64
	xmlReadSize = 64 << 10
)

// tokKind is the kind of an XML token.
type tokKind uint8

const (
	tokStart tokKind = iota + 1 // a start tag (empty for <x/>)
	tokEnd                      // an end tag, also after an empty start tag
	tokText                     // character data, still escaped
	tokCDATA                    // the content of a CDATA section, literal
)

// xmlScanner is a tokenizer for the XML parts of an XLSX: start tags, end
// tags and text, with comments and processing instructions skipped. It
// checks what a reader of SpreadsheetML needs to trust a part: every end
// tag closes the element open at that point, the part does not end with an
// element open, and no token or nesting passes the limits above. A DOCTYPE
// is refused (no spreadsheet program writes one, and entity definitions
// are the way to an entity-expansion attack). It does not check every rule
// of XML (a '<' inside an attribute value, names made of odd characters):
// what it reads is what a lenient reader would read.
//
// The scanner slides a window over its input; a token's bytes are valid
// until the next call of next.
//
// Why not a library: on the 43 MB sheet of BenchmarkOrdersXLSX, on one
// core, encoding/xml's RawToken reads 29–35 MB/s (and allocates 372 MB),
// github.com/muktihari/xmltokenizer 75–86 MB/s, github.com/orisano/gosax
// 238–265 MB/s, and a loop of bytes.IndexByte 650 MB/s, against 700–930
// MB/s for inflating the part. gosax, the fastest, checks neither the
// nesting nor a token's size (its buffer doubles without end), which
// would have to be added around it; this scanner does both and, with the
// reader's fast path for the usual cell (see fastCell), keeps the reader
// within a small factor of inflate.
type xmlScanner struct {
	r    io.Reader
	part string // the part's name, for errors
	buf  []byte
	pos  int // buf[pos:end] is not yet tokenized
	end  int
	eof  bool

	// The current token.
	kind  tokKind
	name  []byte // the local name, without a namespace prefix
	attrs []byte // a start tag's attributes, raw
	text  []byte // tokText (raw) or tokCDATA
	empty bool   // a start tag of the form <x/>: its tokEnd follows

	pendingEnd bool
	// stack holds the names of the open elements, one after the other;
	// ends the end of each.
	stack []byte
	ends  []int
	root  bool // the root element has been opened
	err   error
}

func newXMLScanner(r io.Reader, part string) *xmlScanner {
	return &xmlScanner{r: r, part: part, buf: make([]byte, xmlReadSize)}
}

// reset makes the scanner read r, keeping its buffer.
func (s *xmlScanner) reset(r io.Reader, part string) {
	*s = xmlScanner{r: r, part: part, buf: s.buf[:cap(s.buf)], stack: s.stack[:0], ends: s.ends[:0]}
}

// errorf ends the scan with an error naming the part.
func (s *xmlScanner) errorf(format string, args ...any) bool {
	if s.err == nil {
		s.err = fmt.Errorf("%s: %s", s.part, fmt.Sprintf(format, args...))
	}
	return false
}

// fill reads more input; false at the end of the input or on an error
// (then s.err is set, or s.eof).
func (s *xmlScanner) fill() bool {
	if s.eof || s.err != nil {
		return false
	}
	if s.pos > 0 && (s.end == len(s.buf) || s.pos > len(s.buf)/2) {
		s.end = copy(s.buf, s.buf[s.pos:s.end])
		s.pos = 0
	}
	if s.end == len(s.buf) {
		if len(s.buf) >= 2*xmlMaxToken {
			return s.errorf("a tag or text of more than %d KiB, more than any spreadsheet program writes; the part is damaged or hostile", xmlMaxToken>>10)
		}
		nb := make([]byte, 2*len(s.buf))
		s.end = copy(nb, s.buf[s.pos:s.end])
		s.pos = 0
		s.buf = nb
	}
	for tries := 0; tries < 100; tries++ {
		n, err := s.r.Read(s.buf[s.end:])
		s.end += n
		if err == io.EOF {
			s.eof = true
			return n > 0
		}
		if err != nil {
			s.err = fmt.Errorf("%s: %w", s.part, err)
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
	s.err = fmt.Errorf("%s: %w", s.part, io.ErrNoProgress)
	return false
}

// next moves to the next token; false at the end of the part (then
// s.err tells whether it ended well).
func (s *xmlScanner) next() bool {
	if s.err != nil {
		return false
	}
	if s.pendingEnd {
		s.pendingEnd = false
		s.kind, s.attrs, s.text, s.empty = tokEnd, nil, nil, false
		return s.pop()
	}
	for {
		// Text up to the next '<'.
		w := s.buf[s.pos:s.end]
		i := bytes.IndexByte(w, '<')
		if i < 0 {
			if len(w) > xmlMaxToken {
				return s.errorf("a text of more than %d KiB, more than any spreadsheet program writes for a cell; the part is damaged or hostile", xmlMaxToken>>10)
			}
			if s.fill() {
				continue
			}
			if s.err != nil {
				return false
			}
			// The end of the part.
			if len(s.ends) > 0 {
				return s.errorf("the XML ends with <%s> still open: the part is truncated or damaged", s.top())
			}
			if !s.root {
				return s.errorf("no XML element: the part is empty or damaged")
			}
			if len(bytes.TrimSpace(w)) > 0 && s.root {
				// Text after the root element.
				return s.errorf("text after the end of the XML document: the part is damaged")
			}
			s.pos = s.end
			return false
		}
		if i > xmlMaxToken {
			return s.errorf("a text of more than %d KiB, more than any spreadsheet program writes for a cell; the part is damaged or hostile", xmlMaxToken>>10)
		}
		if i > 0 {
			if len(s.ends) > 0 {
				s.kind, s.text, s.name, s.attrs = tokText, w[:i], nil, nil
				s.pos += i
				return true
			}
			if len(bytes.TrimSpace(bytes.TrimPrefix(w[:i], []byte("\xef\xbb\xbf")))) > 0 {
				return s.errorf("text outside the XML document's element: the part is damaged")
			}
			s.pos += i
			continue
		}
		// Markup at w[0].
		if len(w) < 2 {
			if s.fill() {
				continue
			}
			return s.truncated()
		}
		switch w[1] {
		case '/':
			j := bytes.IndexByte(w, '>')
			if j < 0 {
				if s.more(len(w)) {
					continue
				}
				return false
			}
			name := trimSpaceRight(w[2:j])
			s.pos += j + 1
			s.kind, s.name, s.attrs, s.text, s.empty = tokEnd, localName(name), nil, nil, false
			if len(s.ends) == 0 {
				return s.errorf("end tag </%s> without a start tag: the part is damaged", name)
			}
			if top := s.top(); !bytes.Equal(top, name) {
				return s.errorf("end tag </%s> where </%s> was expected: the part is damaged", name, top)
			}
			return s.pop()
		case '?':
			j := bytes.Index(w, []byte("?>"))
			if j < 0 {
				if s.more(len(w)) {
					continue
				}
				return false
			}
			s.pos += j + 2
			continue
		case '!':
			if len(w) < 9 {
				if s.more(len(w)) {
					continue
				}
				return false
			}
			switch {
			case bytes.HasPrefix(w, []byte("<!--")):
				j := bytes.Index(w[4:], []byte("-->"))
				if j < 0 {
					if s.more(len(w)) {
						continue
					}
					return false
				}
				s.pos += 4 + j + 3
				continue
			case bytes.HasPrefix(w, []byte("<![CDATA[")):
				j := bytes.Index(w[9:], []byte("]]>"))
				if j < 0 {
					if s.more(len(w)) {
						continue
					}
					return false
				}
				if len(s.ends) == 0 {
					return s.errorf("CDATA outside the XML document's element: the part is damaged")
				}
				s.kind, s.text, s.name, s.attrs = tokCDATA, w[9:9+j], nil, nil
				s.pos += 9 + j + 3
				return true
			case bytes.HasPrefix(w, []byte("<!DOCTYPE")):
				return s.errorf("a DOCTYPE declaration, which no spreadsheet program writes (it can define entities that expand without end): refusing the part")
			}
			return s.errorf("unknown markup %q: the part is damaged", w[:min(len(w), 9)])
		}
		// A start tag: find its '>' outside quoted attribute values.
		j, ok := tagEnd(w)
		if !ok {
			if s.more(len(w)) {
				continue
			}
			return false
		}
		if j > xmlMaxToken {
			return s.errorf("a tag of more than %d KiB, more than any spreadsheet program writes; the part is damaged or hostile", xmlMaxToken>>10)
		}
		if w[j] != '>' {
			return s.errorf("a '<' inside a tag: the part is damaged")
		}
		tag := w[1:j]
		s.pos += j + 1
		s.empty = len(tag) > 0 && tag[len(tag)-1] == '/'
		if s.empty {
			tag = tag[:len(tag)-1]
		}
		k := 0
		for k < len(tag) && !isXMLSpace(tag[k]) {
			k++
		}
		name := tag[:k]
		if len(name) == 0 {
			return s.errorf("a '<' that starts no tag: the part is damaged")
		}
		if len(s.ends) == 0 && s.root {
			return s.errorf("a second root element <%s>: the part is damaged", name)
		}
		if len(s.ends) >= xmlMaxDepth {
			return s.errorf("elements nested more than %d deep, more than SpreadsheetML has; the part is damaged or hostile", xmlMaxDepth)
		}
		s.root = true
		s.stack = append(s.stack, name...)
		s.ends = append(s.ends, len(s.stack))
		s.kind, s.name, s.attrs, s.text = tokStart, localName(name), tag[k:], nil
		s.pendingEnd = s.empty
		return true
	}
}

// more reads more input for a token of n bytes so far that is not
// complete; false when there is none (an error is set).
func (s *xmlScanner) more(n int) bool {
	if n > xmlMaxToken+16 {
		return s.errorf("a tag of more than %d KiB, more than any spreadsheet program writes; the part is damaged or hostile", xmlMaxToken>>10)
	}
	if s.fill() {
		return true
	}
	if s.err != nil {
		return false
	}
	return s.truncated()
}

func (s *xmlScanner) truncated() bool {
	return s.errorf("the XML ends inside a tag: the part is truncated or damaged")
}

func (s *xmlScanner) top() []byte {
	n := len(s.ends)
	start := 0
	if n > 1 {
		start = s.ends[n-2]
	}
	return s.stack[start:s.ends[n-1]]
}

func (s *xmlScanner) pop() bool {
	n := len(s.ends)
	start := 0
	if n > 1 {
		start = s.ends[n-2]
	}
	s.stack = s.stack[:start]
	s.ends = s.ends[:n-1]
	return true
}

// skip consumes n bytes of the window, which the caller has matched as
// whole, balanced markup.
func (s *xmlScanner) skip(n int) { s.pos += n }

// depth is the number of open elements (the current start tag counted).
func (s *xmlScanner) depth() int { return len(s.ends) }

// tagEnd returns the index of the '>' that ends the start tag at w[0],
// skipping quoted attribute values; false when w holds no whole tag. A
// '<' inside the tag, quoted or not, is malformed XML: tagEnd returns its
// index and true, and the caller finds the tag's last byte is not '>'.
// Tags are short (<c r="AB12" s="3" t="s"> has 24 bytes), so one pass of
// a plain loop beats a call of bytes.IndexByte per quote.
func tagEnd(w []byte) (int, bool) {
	for i := 1; i < len(w); i++ {
		switch c := w[i]; c {
		case '>', '<':
			return i, true
		case '"', '\'':
			for i++; i < len(w) && w[i] != c; i++ {
				if w[i] == '<' {
					return i, true
				}
			}
		}
	}
	return 0, false
}

func isXMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// localName drops a namespace prefix: x:row is row.
func localName(name []byte) []byte {
	for i, c := range name {
		if c == ':' {
			return name[i+1:]
		}
	}
	return name
}

func trimSpaceRight(b []byte) []byte {
	for len(b) > 0 && isXMLSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// nextAttr splits the first attribute off a start tag's attributes: its
// name, its raw value and the attributes after it; ok is false when there
// is none (or the rest is not an attribute).
func nextAttr(attrs []byte) (key, val, rest []byte, ok bool) {
	i := 0
	for i < len(attrs) && isXMLSpace(attrs[i]) {
		i++
	}
	k := i
	for i < len(attrs) && attrs[i] != '=' && attrs[i] > ' ' {
		i++
	}
	key = attrs[k:i]
	if i < len(attrs) && attrs[i] != '=' {
		for i < len(attrs) && isXMLSpace(attrs[i]) {
			i++
		}
	}
	if len(key) == 0 || i+1 >= len(attrs) || attrs[i] != '=' {
		return nil, nil, nil, false
	}
	i++
	if isXMLSpace(attrs[i]) {
		for i < len(attrs) && isXMLSpace(attrs[i]) {
			i++
		}
		if i >= len(attrs) {
			return nil, nil, nil, false
		}
	}
	q := attrs[i]
	if q != '"' && q != '\'' {
		return nil, nil, nil, false
	}
	j := i + 1
	for j < len(attrs) && attrs[j] != q {
		j++
	}
	if j >= len(attrs) {
		return nil, nil, nil, false
	}
	return key, attrs[i+1 : j], attrs[j+1:], true
}

// xmlAttr returns the raw value of the attribute named name (matched on
// its local name, namespace declarations aside) in a start tag's
// attributes, and whether it is there.
func xmlAttr(attrs []byte, name string) ([]byte, bool) {
	for {
		key, val, rest, ok := nextAttr(attrs)
		if !ok {
			return nil, false
		}
		if string(localName(key)) == name && (len(key) == len(name) || !bytes.HasPrefix(key, []byte("xmlns"))) {
			return val, true
		}
		attrs = rest
	}
}

var errEntity = errors.New("a bad character or entity reference")

// appendUnescaped appends XML text to dst with its entity and character
// references replaced and its line ends normalized (\r\n and \r to \n), as
// an XML parser reports text. A reference to a character XML does not
// allow (NUL, most control characters, surrogates) is an error, as in
// encoding/xml.
func appendUnescaped(dst, src []byte) ([]byte, error) {
	for len(src) > 0 {
		i := 0
		for i < len(src) && src[i] != '&' && src[i] != '\r' {
			i++
		}
		dst = append(dst, src[:i]...)
		src = src[i:]
		if len(src) == 0 {
			break
		}
		if src[0] == '\r' {
			dst = append(dst, '\n')
			src = src[1:]
			if len(src) > 0 && src[0] == '\n' {
				src = src[1:]
			}
			continue
		}
		semi := bytes.IndexByte(src[:min(len(src), 12)], ';')
		if semi < 2 {
			return dst, errEntity
		}
		ref := src[1:semi]
		src = src[semi+1:]
		switch string(ref) {
		case "lt":
			dst = append(dst, '<')
		case "gt":
			dst = append(dst, '>')
		case "amp":
			dst = append(dst, '&')
		case "apos":
			dst = append(dst, '\'')
		case "quot":
			dst = append(dst, '"')
		default:
			if ref[0] != '#' {
				return dst, errEntity
			}
			var n uint64
			var err error
			if len(ref) > 1 && ref[1] == 'x' {
				n, err = strconv.ParseUint(string(ref[2:]), 16, 32)
			} else {
				n, err = strconv.ParseUint(string(ref[1:]), 10, 32)
			}
			r := rune(n)
			if err != nil || !isXMLChar(r) {
				return dst, errEntity
			}
			dst = utf8.AppendRune(dst, r)
		}
	}
	return dst, nil
}

// isXMLChar reports whether r is a character XML 1.0 allows.
func isXMLChar(r rune) bool {
	switch {
	case r == 0x09 || r == 0x0A || r == 0x0D:
		return true
	case r >= 0x20 && r <= 0xD7FF, r >= 0xE000 && r <= 0xFFFD, r >= 0x10000 && r <= 0x10FFFF:
		return true
	}
	return false
}
