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
