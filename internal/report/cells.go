package report

import (
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/crossborder/reconcile/internal/cst"
	"github.com/crossborder/reconcile/internal/idcard"
	"github.com/crossborder/reconcile/internal/ingest"
)

// maxExactFen bounds the amounts written as numbers: |fen| < 10^15, that is
// |yuan| < 10^13 (ten trillion yuan). See the package documentation for why
// the yuan value of such an amount reaches the file as its exact decimal.
const maxExactFen = 1_000_000_000_000_000

// yuan returns fen as yuan for a number cell, and false when |fen| ≥ 10^15,
// where a double could no longer carry every decimal of the amount; the
// caller then writes fenDecimal(fen) as text.
//
// It is exactNumber at two places, the only place where money becomes a
// float64: fen is an exact integer (|fen| < 2^53), the division by 100 is
// correctly rounded, and the writers format the result with
// strconv.FormatFloat(v, 'f', -1, 64), the shortest text that reads back as
// the same double. For a decimal of at most 15 significant digits that text
// is the decimal itself.
func yuan(fen int64) (float64, bool) { return exactNumber(fen, fenPlaces) }

// fenDecimal returns fen as an exact decimal yuan amount with two fraction
// digits, "-1234.05", computed with integer arithmetic only.
func fenDecimal(fen int64) string { return ingest.FormatAmount(fen) }

// Fees are in 10⁻⁵ yuan (or 10⁻⁵ of a Global statement's currency), as
// WeChat bills print them with five decimals.
const (
	fenPlaces = 2 // amounts: fen, hundredths of the unit
	feePlaces = 5 // fees: 10⁻⁵ of the unit
)

// scales are the divisors of exactNumber, exact doubles.
var scales = [...]float64{fenPlaces: 100, feePlaces: 100_000}

// exactNumber returns v × 10^-places (places is fenPlaces or feePlaces) for
// a number cell, and false when |v| ≥ 10^15, where a double could no longer
// carry every decimal; the caller then writes scaledDecimal as text.
//
// It is yuan's rule for any scale: v is an exact integer (|v| < 10^15 <
// 2^53), the divisor 10^places is an exact double, the division is
// correctly rounded, so the result is the double nearest to the decimal
// D = v × 10^-places; D has at most 15 significant digits, so it is the
// shortest text that reads back as that double, the text the writer puts
// in the file. See the package documentation.
func exactNumber(v int64, places int) (float64, bool) {
	if v <= -maxExactFen || v >= maxExactFen {
		return 0, false
	}
	return float64(v) / scales[places], true
}

// scaledDecimal returns v × 10^-places as exact decimal text with places
// fraction digits, "-1234.05" or "0.06000", with integer arithmetic only.
func scaledDecimal(v *big.Int, places int) string {
	q, m := new(big.Int).QuoRem(new(big.Int).Abs(v), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(places)), nil), new(big.Int))
	frac := m.String()
	s := q.String() + "." + strings.Repeat("0", places-len(frac)) + frac
	if v.Sign() < 0 {
		s = "-" + s
	}
	return s
}

// grouped puts thousands separators into the integer part of a decimal
// text: "-1234567.89" becomes "-1,234,567.89".
func grouped(s string) string {
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	intPart, frac := s, ""
	if i := strings.IndexByte(s, '.'); i >= 0 {
		intPart, frac = s[:i], s[i:]
	}
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return sign + b.String() + frac
}

// yuanText shows fen as the cells show it, for a sentence: "¥1,234.50",
// "-¥0.05". Exact: integer arithmetic only.
func yuanText(t *fenTotal) string {
	return signed("¥", grouped(t.decimal()))
}

// feeText shows a fee in 10⁻⁵ yuan for a sentence with the precision it
// carries: at least two decimals, the trailing zeros beyond them dropped
// ("¥592.59", "¥0.828", "-¥0.00006"). Exact: integer arithmetic only.
func feeText(symbol string, v *big.Int) string {
	s := scaledDecimal(v, feePlaces)
	s = strings.TrimRight(s, "0")
	if i := strings.IndexByte(s, '.'); len(s)-i-1 < fenPlaces {
		s += strings.Repeat("0", fenPlaces-(len(s)-i-1))
	}
	return signed(symbol, grouped(s))
}

// countText shows a count for a sentence as the cells show it: "3,134".
func countText(n int) string { return grouped(strconv.Itoa(n)) }

// signed puts a currency symbol after the sign of a decimal text.
func signed(symbol, s string) string {
	if strings.HasPrefix(s, "-") {
		return "-" + symbol + s[1:]
	}
	return symbol + s
}

// fenTotal sums amounts in fen exactly. It switches to a big integer when
// the sum leaves the int64 range, so a total is never wrong, only (absurdly
// large) text.
type fenTotal struct {
	n    int64
	over *big.Int // non-nil once the sum overflowed int64
}

func (t *fenTotal) add(v int64) {
	if t.over != nil {
		t.over.Add(t.over, big.NewInt(v))
		return
	}
	s := t.n + v
	if (v > 0 && s < t.n) || (v < 0 && s > t.n) {
		t.over = new(big.Int).Add(big.NewInt(t.n), big.NewInt(v))
		return
	}
	t.n = s
}

// decimal returns the sum as exact decimal yuan text, for the overflowed case.
func (t *fenTotal) decimal() string {
	if t.over == nil {
		return fenDecimal(t.n)
	}
	return scaledDecimal(t.over, fenPlaces)
}

// excelEpoch is day 0 of Excel's 1900 date system as Excel counts after
// 1900-02-28 (Excel keeps Lotus 1-2-3's phantom 1900-02-29).
var excelEpoch = time.Date(1899, time.December, 30, 0, 0, 0, 0, time.UTC).Unix()

// firstSerialDay and lastSerialDay bound the days written as date cells:
// 1900-03-01 (before it Excel's serials are off by the phantom leap day) to
// 9999-12-31, the last day Excel can show.
var (
	firstSerialDay = time.Date(1900, time.March, 1, 0, 0, 0, 0, time.UTC)
	lastSerialDay  = time.Date(9999, time.December, 31, 0, 0, 0, 0, time.UTC)
)

// serial returns the Excel date serial of t's wall-clock time in UTC+8,
// whatever t's location and the host's zone, truncated to the second (the
// workbook shows seconds; truncating keeps the shown second equal to
// cst.Format(t)). It reports false for the zero time (an empty cell) and for
// days Excel cannot show as dates (the caller writes cst.Format(t) as text).
//
// The serial is computed here from the UTC+8 calendar fields with integer
// arithmetic and one correctly rounded division, rather than leaving it to
// the stream writer, whose conversion depends on the time's location.
func serial(t time.Time) (float64, bool) {
	if t.IsZero() {
		return 0, false
	}
	// cst.Zone is a fixed UTC+8: the wall clock is the Unix time moved by
	// eight hours, and its day starts at a multiple of 86,400 seconds.
	local := t.Unix() + cstOffset
	day := local - ((local%86400)+86400)%86400
	if day < firstSerialUnix || day > lastSerialUnix {
		return 0, false
	}
	return float64(local-excelEpoch) / 86400, true
}

// cstOffset is cst.Zone's offset from UTC, in seconds: eight hours.
var cstOffset = func() int64 {
	_, off := time.Unix(0, 0).In(cst.Zone).Zone()
	return int64(off)
}()

// The bounds of serial's days, as Unix times of their UTC midnights.
var (
	firstSerialUnix = firstSerialDay.Unix()
	lastSerialUnix  = lastSerialDay.Unix()
)

// maxCellUnits is the most UTF-16 code units Excel keeps in a cell.
const maxCellUnits = 32767

// cleanText returns s as it can be stored in a cell and read back: invalid
// UTF-8 becomes U+FFFD; the C0 control characters XML 1.0 cannot carry
// (all but tab, line feed and carriage return) become the matching Unicode
// control pictures (U+0001 → U+2401 "␁"), so they stay visible and do not
// corrupt the file; U+FFFE and U+FFFF become U+FFFD; a text longer than
// Excel's 32,767 characters is cut and ends with a note of its full length.
// Everything else, including a leading '=', '+', '-' or '@', is kept as is:
// the cell is written as a string, never a formula.
func cleanText(s string) string {
	if textIsClean(s) {
		return s
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	var b strings.Builder
	b.Grow(len(s))
	units := 0
	total := utf16Len(s)
	limit := maxCellUnits
	var note string
	if total > maxCellUnits {
		note = "…（已截断，原文共 " + strconv.Itoa(total) + " 个字符）"
		limit = maxCellUnits - utf16Len(note)
	}
	for _, r := range s {
		switch {
		case r < 0x20 && r != '\t' && r != '\n' && r != '\r':
			r = 0x2400 + r
		case r == 0xFFFE || r == 0xFFFF:
			r = utf8.RuneError
		}
		n := utf16.RuneLen(r)
		if units+n > limit {
			break
		}
		units += n
		b.WriteRune(r)
	}
	b.WriteString(note)
	return b.String()
}

// needsCare marks the bytes textIsClean must look at: the C0 controls XML
// cannot hold, and 0xEF, the lead byte of U+FFFE and U+FFFF.
var needsCare = func() (t [256]bool) {
	for c := 0; c < 0x20; c++ {
		t[c] = c != '\t' && c != '\n' && c != '\r'
	}
	t[0xEF] = true
	return t
}()

// textIsClean reports whether cleanText would return s unchanged. It is the
// fast path for the common case: a pass over the bytes eight at a time
// (a word without a byte below 0x20 or a 0xEF, the lead byte of U+FFFE and
// U+FFFF, needs no closer look), the bytes of the other words one by one,
// then the (ASCII-optimised) UTF-8 check.
func textIsClean(s string) bool {
	if len(s) > maxCellUnits { // may be too long: let cleanText count units
		return false
	}
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		if !hasLess(x, 0x20) && !hasZero(x^0xEFEFEFEFEFEFEFEF) {
			continue
		}
		if !bytesClean(s, i, i+8) {
			return false
		}
	}
	if !bytesClean(s, i, len(s)) {
		return false
	}
	// len(s) bytes ≥ its UTF-16 units, so it fits.
	return utf8.ValidString(s)
}

// bytesClean checks s[from:to] byte by byte, looking past to for the rest
// of a U+FFFE or U+FFFF.
func bytesClean(s string, from, to int) bool {
	for i := from; i < to; i++ {
		if !needsCare[s[i]] {
			continue
		}
		if s[i] != 0xEF {
			return false
		}
		if i+2 < len(s) && s[i+1] == 0xBF && (s[i+2] == 0xBE || s[i+2] == 0xBF) { // U+FFFE, U+FFFF
			return false
		}
	}
	return true
}

// hasLess reports whether a byte of x is below n (n ≤ 128); hasZero
// whether one is 0. The word tricks may flag a word that has none (a
// borrow), never miss one: a flagged word is then checked byte by byte.
func hasLess(x uint64, n uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	return (x-ones*n)&^x&highs != 0
}

func hasZero(x uint64) bool { return hasLess(x, 1) }

// utf16Len returns the number of UTF-16 code units of s, the unit of
// Excel's cell limit.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// maskIDs returns s with every ID number it holds masked by idcard.MaskID,
// a defence in depth: the job masks before the workbook sees the data. An ID
// number is a maximal run of digits and 'X'/'x' that is exactly 18
// characters long and passes idcard.Check (a lower-case check character is
// judged as upper-case); longer digit runs, such as a 28-digit transaction
// id, are never cut into a candidate.
func maskIDs(s string, now time.Time) string {
	return maskIDsIf(s, func(up string) bool { return idcard.Check(up, now) == nil })
}

// maskLikeIDs masks, in text people typed (the team's 备注), every run of
// 18 characters shaped like an ID number (17 digits and a digit or X),
// whether its check character is right or not: a mistyped number is
// personal data too.
func maskLikeIDs(s string) string {
	return maskIDsIf(s, func(up string) bool {
		for i := 0; i < idcard.Len-1; i++ {
			if up[i] < '0' || up[i] > '9' {
				return false
			}
		}
		last := up[idcard.Len-1]
		return last >= '0' && last <= '9' || last == 'X'
	})
}

// maskIDsIf masks the runs of 18 ID characters that is reports are ID
// numbers.
func maskIDsIf(s string, is func(upper string) bool) string {
	var b []byte // nil until the first ID is found
	start := -1
	last := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && isIDChar(s[i]) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 && i-start == idcard.Len {
			cand := s[start:i]
			up := strings.ToUpper(cand)
			if is(up) {
				if b == nil {
					b = make([]byte, 0, len(s))
				}
				b = append(b, s[last:start]...)
				b = append(b, idcard.MaskID(cand)...)
				last = i
			}
		}
		start = -1
	}
	if b == nil {
		return s
	}
	return string(append(b, s[last:]...))
}

func isIDChar(c byte) bool { return idChars[c] }

// idChars marks the bytes an ID number is made of.
var idChars = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	t['X'], t['x'] = true, true
	return t
}()

// freeText prepares a free-text cell (a message, a platform message, a
// reason): ID numbers masked, then cleaned.
func freeText(s string, now time.Time) string {
	if s == "" {
		return ""
	}
	return cleanText(maskIDs(s, now))
}

// appendYuan appends the text of yuan(fen)'s number as the writers format
// it, strconv.AppendFloat(v, 'f', -1, 64), from fen with integer
// arithmetic: the exact decimal, trailing zeros of the fraction dropped
// ("129.9", "130", "-0.05"). It is that shortest text because the decimal
// has at most 15 significant digits (|fen| < 10^15, see yuan); the caller
// has checked that yuan(fen) is exact.
func appendYuan(b []byte, fen int64) []byte {
	u := uint64(fen)
	if fen < 0 {
		b = append(b, '-')
		u = -u
	}
	b = strconv.AppendUint(b, u/100, 10)
	switch c := u % 100; {
	case c == 0:
	case c%10 == 0:
		b = append(b, '.', byte('0'+c/10))
	default:
		b = append(b, '.', byte('0'+c/10), byte('0'+c%10))
	}
	return b
}
