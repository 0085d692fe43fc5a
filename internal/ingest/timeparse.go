package ingest

import (
	"errors"
	"strconv"
	"time"

	"github.com/crossborder/reconcile/internal/cst"
)

const timeExample = "expected a time such as 2026-11-20 19:48:33, 2026/11/20 19:48 or 2026-11-20"

// ParseTime parses a time from an export, in UTC+8 (cst.Zone) whatever the
// host's zone. The forms are a date, year-month-day with - or / (the month
// and day may have one digit), optionally followed by spaces and a time,
// hour:minute or hour:minute:second (the hour may have one digit):
//
//	2006-01-02 15:04:05   2006/01/02 15:04:05   2006-01-02 15:04
//	2006/1/2 15:04        2006-1-2 5:04:05      2006-01-02
//
// An empty string and the all-zero date 0000-00-00 (with or without an
// all-zero time) mean "not paid": ParseTime returns the zero time and no
// error. A date or time that does not exist (2026-02-30, 24:00) is refused.
func ParseTime(s string) (time.Time, error) { return parseTime(s) }

func parseTime[T text](s T) (time.Time, error) {
	i, n := 0, len(s)
	for i < n && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	for n > i && (s[n-1] == ' ' || s[n-1] == '\t') {
		n--
	}
	if i == n {
		return time.Time{}, nil
	}
	if n-i == 19 {
		if t, ok := parseTime19(s[i:n]); ok {
			return t, nil
		}
	}
	p := timeParser[T]{s: s, i: i, n: n}
	y, ok := p.num(4, 4)
	if !ok {
		return time.Time{}, timeError(s[i:n], "")
	}
	sep := p.peek()
	if sep != '-' && sep != '/' {
		return time.Time{}, timeError(s[i:n], "")
	}
	p.i++
	mo, ok1 := p.num(1, 2)
	ok2 := p.lit(sep)
	d, ok3 := p.num(1, 2)
	if !ok1 || !ok2 || !ok3 {
		return time.Time{}, timeError(s[i:n], "")
	}
	h, mi, sec := 0, 0, 0
	if p.i < p.n {
		if p.peek() != ' ' {
			return time.Time{}, timeError(s[i:n], "")
		}
		for p.i < p.n && p.peek() == ' ' {
			p.i++
		}
		var okh, okc, okm bool
		h, okh = p.num(1, 2)
		okc = p.lit(':')
		mi, okm = p.num(2, 2)
		if !okh || !okc || !okm {
			return time.Time{}, timeError(s[i:n], "")
		}
		if p.i < p.n {
			if !p.lit(':') {
				return time.Time{}, timeError(s[i:n], "")
			}
			var oks bool
			if sec, oks = p.num(2, 2); !oks || p.i < p.n {
				return time.Time{}, timeError(s[i:n], "")
			}
		}
	}
	if y == 0 && mo == 0 && d == 0 && h == 0 && mi == 0 && sec == 0 {
		return time.Time{}, nil // 0000-00-00 00:00:00: not paid
	}
	switch {
	case y == 0:
		return time.Time{}, timeError(s[i:n], "year 0000")
	case mo < 1 || mo > 12:
		return time.Time{}, timeError(s[i:n], "month "+strconv.Itoa(mo))
	case d < 1 || d > daysIn(time.Month(mo), y):
		return time.Time{}, timeError(s[i:n], "day "+strconv.Itoa(d)+" of month "+strconv.Itoa(mo))
	case h > 23:
		return time.Time{}, timeError(s[i:n], "hour "+strconv.Itoa(h))
	case mi > 59:
		return time.Time{}, timeError(s[i:n], "minute "+strconv.Itoa(mi))
	case sec > 59:
		return time.Time{}, timeError(s[i:n], "second "+strconv.Itoa(sec))
	}
	return time.Date(y, time.Month(mo), d, h, mi, sec, 0, cst.Zone), nil
}

// parseTime19 is the fast path for the commonest form, 2006-01-02
// 15:04:05 (or with slashes), valid and not all zero; anything else goes
// the general way.
func parseTime19[T text](s T) (time.Time, bool) {
	sep := s[4]
	if (sep != '-' && sep != '/') || s[7] != sep || s[10] != ' ' || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	var v [14]int
	k := 0
	for _, i := range [...]int{0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18} {
		c := s[i]
		if c < '0' || c > '9' {
			return time.Time{}, false
		}
		v[k] = int(c - '0')
		k++
	}
	y := v[0]*1000 + v[1]*100 + v[2]*10 + v[3]
	mo, d := v[4]*10+v[5], v[6]*10+v[7]
	h, mi, sec := v[8]*10+v[9], v[10]*10+v[11], v[12]*10+v[13]
	if y < 1 || mo < 1 || mo > 12 || d < 1 || d > daysIn(time.Month(mo), y) || h > 23 || mi > 59 || sec > 59 {
		return time.Time{}, false
	}
	// Days since 1970-01-01 of the civil date (H. Hinnant's algorithm),
	// cheaper than time.Date's normalisation.
	yy := y
	if mo <= 2 {
		yy--
	}
	era := yy / 400 // y >= 1, so yy >= 0
	yoe := yy - era*400
	mp := (mo + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	days := int64(era)*146097 + int64(doe) - 719468
	unix := days*86400 + int64(h*3600+mi*60+sec) - 8*3600
	return time.Unix(unix, 0).In(cst.Zone), true
}

type timeParser[T text] struct {
	s    T
	i, n int
}

func (p *timeParser[T]) peek() byte {
	if p.i < p.n {
		return p.s[p.i]
	}
	return 0
}

func (p *timeParser[T]) lit(c byte) bool {
	if p.i < p.n && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

// num reads between lo and hi decimal digits.
func (p *timeParser[T]) num(lo, hi int) (int, bool) {
	v, k := 0, 0
	for k < hi && p.i < p.n && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		v = v*10 + int(p.s[p.i]-'0')
		p.i++
		k++
	}
	return v, k >= lo
}

func daysIn(m time.Month, y int) int {
	switch m {
	case time.February:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

func timeError[T text](s T, what string) error {
	msg := strconv.Quote(string(s)) + " is not a valid time"
	if what != "" {
		msg += " (" + what + " does not exist)"
	}
	return errors.New(msg + "; " + timeExample)
}

// Excel date serials: day 1 of the 1900 system is 1900-01-01, and Excel
// counts a 1900-02-29 that never was (serial 60), so from serial 61 on the
// days count from 1899-12-30. The 1904 system counts from 1904-01-01 = 0.
const (
	excelMaxSerial = 2958465 // 9999-12-31
	secondsPerDay  = 86400
	excelFracLimit = 12 // fraction digits that matter: 1e-12 day is 86 ns
)

// ParseExcelTime converts the raw value of an XLSX date cell, a date serial
// such as 46345.825381944446, to a time in UTC+8, rounded to the second. The
// serial counts days in the workbook's date system (date1904 for workbooks
// that use the 1904 system). The nonexistent 1900-02-29 (serial 60), serials
// below 1 (a time of day without a date) and serials past 9999-12-31 are
// refused. An ISO 8601 value of a t="d" cell (2026-11-20T19:48:33, with an
// optional fraction and Z) and any ParseTime form are accepted as well.
func ParseExcelTime(s string, date1904 bool) (time.Time, error) {
	return parseExcelTime(s, date1904)
}

func parseExcelTime[T text](s T, date1904 bool) (time.Time, error) {
	n := len(s)
	if n == 0 {
		return time.Time{}, nil
	}
	if n >= 19 && s[4] == '-' && s[10] == 'T' {
		return parseISOCell(s)
	}
	days, frac, fdigits, ok := 0, int64(0), 0, true
	i := 0
	for ; i < n && s[i] >= '0' && s[i] <= '9'; i++ {
		if days > excelMaxSerial {
			break
		}
		days = days*10 + int(s[i]-'0')
	}
	if i == 0 {
		ok = false
	}
	if ok && i < n && s[i] == '.' {
		i++
		for ; i < n && s[i] >= '0' && s[i] <= '9'; i++ {
			if fdigits < excelFracLimit {
				frac = frac*10 + int64(s[i]-'0')
				fdigits++
			}
		}
	}
	if !ok || i < n {
		// Not a serial: a date typed as text.
		return parseTime(s)
	}
	if days > excelMaxSerial {
		return time.Time{}, errors.New(strconv.Quote(string(s)) + " is not a valid Excel date (past 9999-12-31); " + timeExample)
	}
	// seconds = round(frac × 86400), with frac = frac / 10^fdigits.
	scale := int64(1)
	for k := 0; k < fdigits; k++ {
		scale *= 10
	}
	secs := int((frac*secondsPerDay + scale/2) / scale)
	var base time.Time
	switch {
	case date1904:
		base = time.Date(1904, 1, 1, 0, 0, 0, 0, cst.Zone)
	case days < 1:
		return time.Time{}, errors.New(strconv.Quote(string(s)) + " is a time of day without a date; " + timeExample)
	case days == 60:
		return time.Time{}, errors.New(strconv.Quote(string(s)) + " is Excel's 1900-02-29, a day that does not exist; " + timeExample)
	case days < 60:
		base = time.Date(1899, 12, 31, 0, 0, 0, 0, cst.Zone)
	default:
		base = time.Date(1899, 12, 30, 0, 0, 0, 0, cst.Zone)
	}
	return time.Date(base.Year(), base.Month(), base.Day()+days, 0, 0, secs, 0, cst.Zone), nil
}

// parseISOCell reads 2006-01-02T15:04:05 with an optional fraction (rounded
// to the second) and an optional trailing Z, which Excel writes for cells of
// type "d"; the time is taken as UTC+8 wall time like every other time in
// the exports.
func parseISOCell[T text](s T) (time.Time, error) {
	b := []byte(string(s))
	n := len(b)
	if b[n-1] == 'Z' {
		n--
	}
	round := false
	if n > 20 && (b[19] == '.' || b[19] == ',') {
		k := 20
		for k < n && b[k] >= '0' && b[k] <= '9' {
			k++
		}
		if k == n {
			round = b[20] >= '5'
			n = 19
		}
	}
	b[10] = ' '
	t, err := parseTime(b[:n])
	if err != nil || n != 19 {
		return time.Time{}, timeError(s, "")
	}
	if round {
		t = t.Add(time.Second)
	}
	return t, nil
}
