package ingest

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
)

// text is what the parsers accept: a string, or bytes straight from a read
// buffer (which saves a copy per cell on the hot path).
type text interface{ ~string | ~[]byte }

// MaxAmount is the largest amount, in fen, a reader accepts:
// 10,000,000,000.00 yuan. No order or payment comes near it (the
// cross-border scheme stops at 5,000 yuan an order), and below it the sum of
// 9 million amounts, their differences and their products with a fee rate
// in 10⁻⁵ yuan all fit an int64: a larger value is a mangled cell, and
// accepting it would let a total or a message overflow.
const MaxAmount = 1_000_000_000_000

// amountExample ends the amount error messages.
const amountExample = "expected an amount in yuan such as 1234.50, 1,234.50 or ¥1,234.50"

// errEmpty is returned by the parsers for an empty value; the readers turn
// it into a message that names what was expected.
var errEmpty = errors.New("is empty")

// ParseAmount parses an amount in yuan and returns it in fen. It accepts
// 1234, 1234.5, 1234.50, 1,234.50 (commas only between groups of three
// digits, so the European 1,5 is refused rather than read as 15), a leading
// ¥ or ￥, an optional minus sign before or after the currency sign, and
// surrounding spaces. A fraction may have more than 2 digits only when the
// extra digits are zeros (1.500). It refuses, with a message for a finance
// user: an empty string, more than 2 significant decimals, scientific
// notation (1.2E+3), anything else non-numeric, and amounts beyond
// MaxAmount either side of zero. It never goes through a float.
//
// ParseAmount accepts negative amounts; the readers refuse them.
func ParseAmount(s string) (int64, error) { return parseAmount(s) }

func parseAmount[T text](s T) (int64, error) {
	if v, ok := plainAmount(s); ok {
		return v, nil
	}
	i, n := 0, len(s)
	for i < n && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	for n > i && (s[n-1] == ' ' || s[n-1] == '\t') {
		n--
	}
	if i == n {
		return 0, errEmpty
	}
	neg := false
	if s[i] == '-' {
		neg = true
		i++
	}
	// ¥ is C2 A5 in UTF-8, ￥ is EF BF A5.
	if i+1 < n && s[i] == 0xC2 && s[i+1] == 0xA5 {
		i += 2
	} else if i+2 < n && s[i] == 0xEF && s[i+1] == 0xBF && s[i+2] == 0xA5 {
		i += 3
	}
	if !neg && i < n && s[i] == '-' {
		neg = true
		i++
	}
	var (
		ip      int64 // integer part, in yuan
		digits  int   // digits in the integer part
		group   = -1  // digits since the last grouping comma; -1 before any comma
		grouped bool
		over    bool
	)
	for ; i < n; i++ {
		c := s[i]
		if c >= '0' && c <= '9' {
			if ip > (math.MaxInt64-9)/10 {
				over = true
			} else {
				ip = ip*10 + int64(c-'0')
			}
			digits++
			if grouped {
				group++
				if group > 3 {
					return 0, amountError(s, "has a comma in the wrong place")
				}
			}
			continue
		}
		if c == ',' {
			if digits == 0 || (grouped && group != 3) || (!grouped && digits > 3) {
				return 0, amountError(s, "has a comma in the wrong place")
			}
			grouped, group = true, 0
			continue
		}
		break
	}
	if grouped && group != 3 {
		return 0, amountError(s, "has a comma in the wrong place")
	}
	var frac int64 // fen from the fraction
	fdigits, extra := 0, false
	if i < n && s[i] == '.' {
		i++
		for ; i < n && s[i] >= '0' && s[i] <= '9'; i++ {
			switch fdigits {
			case 0:
				frac += 10 * int64(s[i]-'0')
			case 1:
				frac += int64(s[i] - '0')
			default:
				extra = extra || s[i] != '0'
			}
			fdigits++
		}
	}
	if digits+fdigits == 0 {
		return 0, amountError(s, "is not a number")
	}
	if i < n && (s[i] == 'e' || s[i] == 'E') {
		return 0, amountError(s, "is in scientific notation (Excel shows large numbers that way)")
	}
	if i < n {
		return 0, amountError(s, "is not a number")
	}
	if extra {
		return 0, amountError(s, "has more than 2 decimals")
	}
	if over || ip > (MaxAmount-frac)/100 {
		return 0, amountError(s, tooLarge)
	}
	v := ip*100 + frac
	if neg {
		v = -v
	}
	return v, nil
}

// plainAmount is the fast path for the common form: digits, then
// optionally a point and one or two digits (1234, 1234.5, 1234.50).
func plainAmount[T text](s T) (int64, bool) {
	n := len(s)
	if n == 0 || n > 16 {
		return 0, false
	}
	var v int64
	dot := -1
	for i := 0; i < n; i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			v = v*10 + int64(c-'0')
		case c == '.' && dot < 0 && i > 0:
			dot = i
		default:
			return 0, false
		}
	}
	switch {
	case dot < 0:
		v *= 100
	case n-dot == 2:
		v *= 10
	case n-dot == 3:
	default:
		return 0, false
	}
	if v > MaxAmount {
		return 0, false // the slow path says why
	}
	return v, true
}

// tooLarge says why an amount beyond MaxAmount is refused.
const tooLarge = "is too large: no order or payment reaches 10,000,000,000.00 yuan (a mangled cell?)"

func amountError[T text](s T, what string) error {
	return errors.New(strconv.Quote(string(s)) + " " + what + "; " + amountExample)
}

// FormatAmount formats fen as yuan with two decimals and no grouping, e.g.
// 123450 as "1234.50" and -5 as "-0.05". ParseAmount(FormatAmount(v)) is v.
func FormatAmount(fen int64) string {
	var b [24]byte
	i := len(b)
	u := uint64(fen)
	if fen < 0 {
		u = -u
	}
	for k := 0; k < 2; k++ {
		i--
		b[i] = byte('0' + u%10)
		u /= 10
	}
	i--
	b[i] = '.'
	for {
		i--
		b[i] = byte('0' + u%10)
		u /= 10
		if u == 0 {
			break
		}
	}
	if fen < 0 {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

// Excel keeps numbers as IEEE-754 doubles and writes them with up to 17
// significant digits, so a sum like 0.1+0.2 is stored as
// 0.30000000000000004 and a typed 123.45 may come back as
// 123.45000000000002. ParseExcelAmount takes such a value for what it is
// meant to be, under a rule tight enough that a real sub-fen amount is
// never rounded away:
//
//   - the value is written with at least 15 significant digits (a double
//     printed in full; a hand-typed 1.005 has 4 and is refused), and
//   - rounding it half away from zero to the fen changes it by less than
//     1e-13 of the rounded amount, or of 1 yuan when the amount is smaller
//     (a double carries about 16 significant digits, so the noise of a few
//     additions stays far below that, while a genuine extra decimal at any
//     plausible amount, say 0.0045 yuan on 12,345,678,901.23, is above it).
//
// Everything else follows ParseAmount, except that a plain number in
// scientific notation (5.5511151231257827E-17, 1E+3) is read as the number it
// is, because that is how a numeric cell stores small and large values.
const (
	excelMinDigits    = 15 // significant digits that mark a full-precision double
	excelToleranceExp = 13 // the rounding may change the amount by < 10^-13 of it
)

// ParseExcelAmount parses the raw value of an XLSX cell as an amount in
// fen: like ParseAmount, with the float-noise allowance described above for
// values that look like a numeric cell's (an optional minus sign, digits, an
// optional fraction and exponent; no currency sign or grouping commas).
func ParseExcelAmount(s string) (int64, error) { return parseExcelAmount(s) }

func parseExcelAmount[T text](s T) (int64, error) {
	v, err := parseAmount(s)
	if err == nil || err == errEmpty {
		return v, err
	}
	if w, ok := excelNumberFen(s); ok {
		if w > MaxAmount || w < -MaxAmount {
			return 0, amountError(s, tooLarge)
		}
		return w, nil
	}
	return 0, err
}

// excelNumberFen applies the float-noise rule to a numeric cell value.
func excelNumberFen[T text](s T) (int64, bool) { return excelNumber(s, 2) }

// excelNumber applies the float-noise rule to a numeric cell value, in
// 10^-places yuan: places 2 for fen, 5 for fees.
func excelNumber[T text](s T, places int) (int64, bool) {
	i, n := 0, len(s)
	neg := false
	if i < n && s[i] == '-' {
		neg = true
		i++
	}
	var mant []byte // significant digits, leading zeros dropped
	exp, sawDigit, sawPoint := 0, false, false
	for ; i < n; i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			sawDigit = true
			if sawPoint {
				exp--
			}
			if c == '0' && len(mant) == 0 {
				continue
			}
			if len(mant) >= 40 {
				return 0, false
			}
			mant = append(mant, c)
		case c == '.' && !sawPoint:
			sawPoint = true
		default:
			goto expPart
		}
	}
expPart:
	if !sawDigit {
		return 0, false
	}
	if i < n {
		if s[i] != 'e' && s[i] != 'E' {
			return 0, false
		}
		i++
		eneg := false
		if i < n && (s[i] == '+' || s[i] == '-') {
			eneg = s[i] == '-'
			i++
		}
		if i == n || n-i > 3 {
			return 0, false
		}
		e := 0
		for ; i < n; i++ {
			if s[i] < '0' || s[i] > '9' {
				return 0, false
			}
			e = e*10 + int(s[i]-'0')
		}
		if eneg {
			e = -e
		}
		exp += e
	}
	if len(mant) == 0 {
		return 0, true // zero, however written
	}
	// value = mant × 10^exp yuan = mant × 10^(exp+places) units.
	m, _ := new(big.Int).SetString(string(mant), 10)
	shift := exp + places
	if shift >= 0 {
		if shift > 20 {
			return 0, false
		}
		m.Mul(m, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(shift)), nil))
		if !m.IsInt64() {
			return 0, false
		}
		if neg {
			return -m.Int64(), true
		}
		return m.Int64(), true
	}
	// A fraction of a fen is left: only float noise may be dropped.
	sig := len(mant)
	for sig > 0 && mant[sig-1] == '0' {
		sig--
	}
	if sig < excelMinDigits || -shift > 60 {
		return 0, false
	}
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(-shift)), nil)
	q, r := new(big.Int).QuoRem(m, scale, new(big.Int))
	dropped := r
	if rest := new(big.Int).Sub(scale, r); r.Cmp(rest) >= 0 { // round half away from zero
		q.Add(q, big.NewInt(1))
		dropped = rest
	}
	// dropped/scale fen < max(|q|, 100 fen) × 10^-13
	lhs := new(big.Int).Mul(dropped, new(big.Int).Exp(big.NewInt(10), big.NewInt(excelToleranceExp), nil))
	// Of 1 yuan, for a smaller value.
	mag, yuan := new(big.Int).Abs(q), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(places)), nil)
	if mag.Cmp(yuan) < 0 {
		mag.Set(yuan)
	}
	if lhs.Cmp(mag.Mul(mag, scale)) >= 0 || !q.IsInt64() {
		return 0, false
	}
	if neg {
		return -q.Int64(), true
	}
	return q.Int64(), true
}

// ParseFee parses a service fee (手续费) as WeChat bills print it, in yuan
// with up to five decimals (0.06000, -0.00600, 0.6), and returns it in 10⁻⁵
// yuan. A fee may be negative: a refund row returns the fee. It refuses more
// than five significant decimals, grouping commas, currency signs, and fees
// beyond MaxAmount fen.
func ParseFee(s string) (int64, error) { return parseFee(s) }

// parseExcelFee is parseFee for the raw value of a numeric XLSX cell,
// with the float-noise allowance and scientific notation of
// ParseExcelAmount, to 10⁻⁵ yuan.
func parseExcelFee[T text](s T) (int64, error) {
	v, err := parseFee(s)
	if err == nil || err == errEmpty {
		return v, err
	}
	if w, ok := excelNumber(s, 5); ok {
		if w > MaxAmount*1000 || w < -MaxAmount*1000 {
			return 0, feeError(s, tooLarge)
		}
		return w, nil
	}
	return 0, err
}

func parseFee[T text](s T) (int64, error) {
	i, n := 0, len(s)
	for i < n && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	for n > i && (s[n-1] == ' ' || s[n-1] == '\t') {
		n--
	}
	if i == n {
		return 0, errEmpty
	}
	neg := false
	if s[i] == '-' {
		neg = true
		i++
	}
	var v int64
	digits, fdigits := 0, 0
	for ; i < n && s[i] >= '0' && s[i] <= '9'; i++ {
		// v counts whole yuan here: past MaxAmount fen, it is too large
		// (and checking before the scaling keeps v×10⁵ in an int64).
		if v > MaxAmount/100 {
			return 0, feeError(s, tooLarge)
		}
		v = v*10 + int64(s[i]-'0')
		digits++
	}
	if v > MaxAmount/100 {
		return 0, feeError(s, tooLarge)
	}
	v *= 100000
	if i < n && s[i] == '.' {
		i++
		scale := int64(10000)
		for ; i < n && s[i] >= '0' && s[i] <= '9'; i++ {
			if fdigits >= 5 {
				if s[i] != '0' {
					return 0, feeError(s, "has more than 5 decimals")
				}
				continue
			}
			v += int64(s[i]-'0') * scale
			scale /= 10
			fdigits++
		}
	}
	if digits+fdigits == 0 || i < n {
		return 0, feeError(s, "is not a number")
	}
	if v > MaxAmount*1000 {
		return 0, feeError(s, tooLarge)
	}
	if neg {
		v = -v
	}
	return v, nil
}

func feeError[T text](s T, what string) error {
	return errors.New(strconv.Quote(string(s)) + " " + what + "; expected a fee in yuan with up to 5 decimals such as 0.06000 or -0.00600")
}

// ParseRate parses a fee rate (费率) given as a percentage, as WeChat bills
// print it (0.60%, 0.6%, 0.38%), and returns it in millionths: 0.60% is
// 6000. The percentage may have up to four decimals. fraction is for an
// XLSX cell that holds the rate as a number formatted as a percentage:
// then 0.006 is 0.6%, and the % sign is absent. A rate is between 0 and
// 100%.
func ParseRate(s string, fraction bool) (int64, error) { return parseRate(s, fraction) }

func parseRate[T text](s T, fraction bool) (int64, error) {
	i, n := 0, len(s)
	for i < n && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	for n > i && (s[n-1] == ' ' || s[n-1] == '\t') {
		n--
	}
	if i == n {
		return 0, errEmpty
	}
	pct := n > i && s[n-1] == '%'
	if pct {
		n--
	} else if !fraction {
		return 0, rateError(s, "has no % sign")
	}
	// In millionths: a percentage carries 4 decimals, a fraction 6.
	places := 4
	if !pct {
		places = 6
	}
	var v int64
	digits, fdigits := 0, 0
	for ; i < n && s[i] >= '0' && s[i] <= '9'; i++ {
		if v > 1_000_000 {
			return 0, rateError(s, "is over 100%")
		}
		v = v*10 + int64(s[i]-'0')
		digits++
	}
	for range places {
		v *= 10
	}
	if i < n && s[i] == '.' {
		i++
		scale := int64(1)
		for range places - 1 {
			scale *= 10
		}
		for ; i < n && s[i] >= '0' && s[i] <= '9'; i++ {
			if fdigits >= places {
				if s[i] != '0' {
					return 0, rateError(s, "has too many decimals")
				}
				continue
			}
			v += int64(s[i]-'0') * scale
			scale /= 10
			fdigits++
		}
	}
	if digits+fdigits == 0 || i < n {
		return 0, rateError(s, "is not a rate")
	}
	if v > 1_000_000 {
		return 0, rateError(s, "is over 100%")
	}
	return v, nil
}

func rateError[T text](s T, what string) error {
	return errors.New(strconv.Quote(string(s)) + " " + what + "; expected a percentage such as 0.60%")
}

// FormatFee formats a fee in 10⁻⁵ yuan with five decimals, as bills print
// it: 6000 as "0.06000", -600 as "-0.00600". ParseFee(FormatFee(v)) is v.
func FormatFee(v int64) string {
	u := uint64(v)
	if v < 0 {
		u = -u
	}
	s := strconv.FormatUint(u/100000, 10) + "." + fmt.Sprintf("%05d", u%100000)
	if v < 0 {
		return "-" + s
	}
	return s
}
