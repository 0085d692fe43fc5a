package gen

import "strconv"

// The appenders below write numbers, amounts and times into a byte slice
// without allocating: they are the generator's hot path.

// digits2 holds "00" to "99".
var digits2 = func() (d [200]byte) {
	for i := 0; i < 100; i++ {
		d[2*i], d[2*i+1] = byte('0'+i/10), byte('0'+i%10)
	}
	return d
}()

func append2(b []byte, n int) []byte { return append(b, digits2[2*n], digits2[2*n+1]) }

// appendPadded appends n in decimal with leading zeros to width digits.
func appendPadded(b []byte, n uint64, width int) []byte {
	var buf [20]byte
	i := len(buf)
	for n > 0 || i > len(buf)-width {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
	}
	return append(b, buf[i:]...)
}

// appendFen appends an amount in fen as yuan with two decimals: 128.00.
func appendFen(b []byte, fen int64) []byte {
	if fen < 0 {
		b = append(b, '-')
		fen = -fen
	}
	b = strconv.AppendInt(b, fen/100, 10)
	b = append(b, '.')
	return append2(b, int(fen%100))
}

// appendFenGrouped appends an amount with thousands separators: 1,224.50.
// The caller quotes it in a CSV.
func appendFenGrouped(b []byte, fen int64) []byte {
	y := fen / 100
	if y < 1000 {
		return appendFen(b, fen)
	}
	var groups [7]int64
	n := 0
	for y >= 1000 {
		groups[n] = y % 1000
		y /= 1000
		n++
	}
	b = strconv.AppendInt(b, y, 10)
	for n > 0 {
		n--
		g := groups[n]
		b = append(b, ',', byte('0'+g/100))
		b = append2(b, int(g%100))
	}
	b = append(b, '.')
	return append2(b, int(fen%100))
}

// appendFee appends a WeChat fee, in units of 10^-5 yuan, with 5 decimals:
// 0.82800, -0.22800.
func appendFee(b []byte, units int64) []byte {
	if units < 0 {
		b = append(b, '-')
		units = -units
	}
	b = strconv.AppendInt(b, units/100_000, 10)
	b = append(b, '.')
	return appendPadded(b, uint64(units%100_000), 5)
}

// Time forms of the Tmall export.
const (
	formDash       = iota // 2026-11-20 19:48:33
	formSlash             // 2026/11/20 19:48:33
	formShortSlash        // 2026/11/20 19:48 (month and day without leading zeros)
)

// appendTime appends a time given in seconds from Day 00:00 (see plan):
// days must be the plan's [Day-1, Day, Day+1].
func appendTime(b []byte, days *[3]dayText, sec int32, form int) []byte {
	d := 1
	if sec < 0 {
		d, sec = 0, sec+secPerDay
	} else if sec >= secPerDay {
		d, sec = 2, sec-secPerDay
	}
	t := &days[d]
	h, m, s := int(sec/3600), int(sec/60%60), int(sec%60)
	switch form {
	case formSlash:
		b = append(b, t.slash[:]...)
	case formShortSlash:
		b = append(b, t.short...)
		b = append2(b, h)
		b = append(b, ':')
		return append2(b, m)
	default:
		b = append(b, t.dash[:]...)
	}
	b = append2(b, h)
	b = append(b, ':')
	b = append2(b, m)
	b = append(b, ':')
	return append2(b, s)
}

// appendMangledID appends an id as Excel's General format shows a long
// number it took for one: 6 significant digits in scientific notation,
// 5.11861E+18.
func appendMangledID(b []byte, id uint64) []byte {
	exp := 0
	for x := id; x >= 10; x /= 10 {
		exp++
	}
	scale := uint64(1)
	for k := 0; k < exp-5; k++ {
		scale *= 10
	}
	m := (id + scale/2) / scale // 6 digits, rounded
	if m >= 1_000_000 {
		m /= 10
		exp++
	}
	for m%10 == 0 && m >= 10 {
		m /= 10
	}
	var tmp [20]byte
	s := strconv.AppendUint(tmp[:0], m, 10)
	b = append(b, s[0])
	if len(s) > 1 {
		b = append(b, '.')
		b = append(b, s[1:]...)
	}
	b = append(b, 'E', '+')
	return strconv.AppendInt(b, int64(exp), 10)
}
