// Package cst holds China Standard Time (UTC+8): the zone of the Taobao Open
// Platform, of the times in the exports and of the run's date window.
//
// Asia/Shanghai has kept UTC+8 without daylight saving since 1991, so a fixed
// zone is exact for every date the job handles and needs no zone database on
// the host.
package cst

import (
	"fmt"
	"time"
)

// Zone is UTC+8. Its name is "CST"; RFC 3339 renders it as "+08:00".
var Zone = time.FixedZone("CST", 8*60*60)

// Layout is the platform's time layout, "yyyy-MM-dd HH:mm:ss".
const Layout = "2006-01-02 15:04:05"

// Format formats t in UTC+8 with Layout, whatever t's location.
func Format(t time.Time) string { return t.In(Zone).Format(Layout) }

// Date is a calendar day in UTC+8.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the UTC+8 calendar day of t.
func DateOf(t time.Time) Date {
	y, m, d := t.In(Zone).Date()
	return Date{y, m, d}
}

// ParseDate parses a date in YYYY-MM-DD form. It refuses dates that do not
// exist, such as 2026-02-30.
func ParseDate(s string) (Date, error) {
	t, err := time.ParseInLocation("2006-01-02", s, Zone)
	if err != nil {
		return Date{}, fmt.Errorf("invalid date %q: want YYYY-MM-DD", s)
	}
	return DateOf(t), nil
}

// Start returns the first instant of the day, 00:00:00 UTC+8.
func (d Date) Start() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, Zone) }

// AddDays returns the date n days after d (before it when n < 0).
func (d Date) AddDays(n int) Date { return DateOf(d.Start().AddDate(0, 0, n)) }

// Before reports whether d is an earlier day than e.
func (d Date) Before(e Date) bool { return d.Start().Before(e.Start()) }

// DaysUntil returns the number of calendar days from d to e: 1 from one
// day to the next, whatever the hours; negative when e is before d.
// UTC+8 has no daylight saving, so every day is 24 hours long.
func (d Date) DaysUntil(e Date) int { return int(e.Start().Sub(d.Start()) / (24 * time.Hour)) }

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

// String returns d as YYYY-MM-DD.
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day) }

// Compact returns d as YYYYMMDD, the form of ID-card expiry dates.
func (d Date) Compact() string { return fmt.Sprintf("%04d%02d%02d", d.Year, int(d.Month), d.Day) }

// AppendFormat appends Format(t) to b: t in UTC+8 with Layout. It computes
// the wall clock from t.Unix() (Zone is a fixed UTC+8, without daylight
// saving) instead of going through time.Time.Format, for the writers of
// long lists. Years outside 1 to 9999 take Format's own path.
func AppendFormat(b []byte, t time.Time) []byte {
	s := t.Unix() + offset
	if s < minFast || s >= maxFast {
		return t.In(Zone).AppendFormat(b, Layout)
	}
	days, sec := s/secondsPerDay, int(s%secondsPerDay)
	if sec < 0 { // before 1970: floor, not truncate
		days, sec = days-1, sec+secondsPerDay
	}
	y, m, d := civil(days)
	b = append(b, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+m/10), byte('0'+m%10), '-', byte('0'+d/10), byte('0'+d%10), ' ')
	h, mi, se := sec/3600, sec/60%60, sec%60
	return append(b, byte('0'+h/10), byte('0'+h%10), ':', byte('0'+mi/10), byte('0'+mi%10), ':',
		byte('0'+se/10), byte('0'+se%10))
}

const (
	offset        = 8 * 60 * 60 // Zone's offset from UTC, in seconds
	secondsPerDay = 24 * 60 * 60
)

// minFast and maxFast bound AppendFormat's own arithmetic: the wall clock
// (Unix seconds plus the offset) from 0001-01-01 00:00:00 to the end of
// 9999; outside, Format's path.
var (
	minFast = time.Date(1, time.January, 1, 0, 0, 0, 0, time.UTC).Unix()
	maxFast = time.Date(10000, time.January, 1, 0, 0, 0, 0, time.UTC).Unix()
)

// civil returns the proleptic Gregorian date of a day counted from
// 1970-01-01 (day 0), for days from 0001-01-01 on (Howard Hinnant's
// civil_from_days, with 400-year eras starting on March 1st).
func civil(days int64) (year, month, day int) {
	z := days + 719468 // from 0000-03-01; ≥ 0 from 0001-01-01 on
	era := z / 146097
	doe := z - era*146097                                  // [0, 146096]
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365 // [0, 399]
	doy := doe - (365*yoe + yoe/4 - yoe/100)               // [0, 365], from March 1st
	mp := (5*doy + 2) / 153                                // [0, 11], March = 0
	day = int(doy - (153*mp+2)/5 + 1)
	month = int(mp + 3)
	if month > 12 {
		month -= 12
	}
	year = int(yoe + era*400)
	if month <= 2 {
		year++
	}
	return year, month, day
}
