package report

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// The CSV of the orders is written by appends to a buffer, in exactly the
// form encoding/csv's Writer gives with UseCRLF (the differential tests in
// csvfield_test.go hold the two to the same bytes).

// csvSpecial marks the bytes that make encoding/csv quote a field when the
// comma is ','.
var csvSpecial = func() (t [256]bool) {
	for _, c := range []byte{',', '"', '\r', '\n'} {
		t[c] = true
	}
	return t
}()

// csvNeedsQuotes is encoding/csv's Writer.fieldNeedsQuotes for the comma
// ',': an empty field never; `\.` always (a line of it alone would end a
// PostgreSQL COPY); a field holding a comma, a quote, a CR or a LF; one
// that starts with a Unicode space (unicode.IsSpace: U+3000 too).
func csvNeedsQuotes(s string) bool {
	if s == "" {
		return false
	}
	if s == `\.` {
		return true
	}
	for i := 0; i < len(s); i++ {
		if csvSpecial[s[i]] {
			return true
		}
	}
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsSpace(r)
}

// appendCSVField appends s as encoding/csv's Writer (UseCRLF) writes a
// field: as it is, or quoted, with quotes doubled, a line feed written as
// CRLF and a carriage return dropped (so that CRLF stays CRLF).
func appendCSVField(b []byte, s string) []byte {
	if !csvNeedsQuotes(s) {
		return append(b, s...)
	}
	b = append(b, '"')
	for len(s) > 0 {
		i := strings.IndexAny(s, "\"\r\n")
		if i < 0 {
			i = len(s)
		}
		b = append(b, s[:i]...)
		s = s[i:]
		if len(s) > 0 {
			switch s[0] {
			case '"':
				b = append(b, `""`...)
			case '\r':
			case '\n':
				b = append(b, '\r', '\n')
			}
			s = s[1:]
		}
	}
	return append(b, '"')
}

// appendCSVText appends a text field from the exports: csvText, quoted as
// it needs. An id of digits only, the common case, is appended as it is:
// nothing to clean, defuse or quote.
func appendCSVText(b []byte, s string) []byte {
	if allDigits(s) {
		return append(b, s...)
	}
	return appendCSVField(b, csvText(s))
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// csvFields remembers the fields of texts that repeat from row to row
// (outcomes, customs, file names): each cleaned (clean) and quoted once.
// It holds at most maxCachedTexts, of short texts, and the last one
// looked up (a file's name repeats over its rows).
type csvFields struct {
	clean            func(string) string
	m                map[string]string
	lastKey, lastVal string
}

func (c *csvFields) append(b []byte, s string) []byte {
	if s == c.lastKey && c.m != nil {
		return append(b, c.lastVal...)
	}
	if f, ok := c.m[s]; ok {
		c.lastKey, c.lastVal = s, f
		return append(b, f...)
	}
	f := string(appendCSVField(nil, c.clean(s)))
	if len(s) <= 256 && len(c.m) < maxCachedTexts {
		if c.m == nil {
			c.m = map[string]string{}
		}
		c.m[s] = f
	}
	return append(b, f...)
}

// appendFenDecimal appends fenDecimal(fen): exact yuan with two decimals,
// "-1234.05". It never needs quotes.
func appendFenDecimal(b []byte, fen int64) []byte {
	var d [24]byte
	i := len(d)
	u := uint64(fen)
	if fen < 0 {
		u = -u
	}
	i -= 3
	d[i+2], d[i+1], d[i] = byte('0'+u%10), byte('0'+u/10%10), '.'
	u /= 100
	for {
		i--
		d[i] = byte('0' + u%10)
		u /= 10
		if u == 0 {
			break
		}
	}
	if fen < 0 {
		i--
		d[i] = '-'
	}
	return append(b, d[i:]...)
}
