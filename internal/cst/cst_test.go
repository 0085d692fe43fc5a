package cst

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestFormatIgnoresHostZone(t *testing.T) {
	// 04:00 UTC is 12:00 in UTC+8, whatever time.Local is.
	for _, loc := range []*time.Location{time.UTC, time.FixedZone("EST", -5*3600), time.Local} {
		in := time.Date(2026, 11, 20, 4, 0, 0, 0, time.UTC).In(loc)
		if got, want := Format(in), "2026-11-20 12:00:00"; got != want {
			t.Errorf("Format(%v) = %q, want %q", in, got, want)
		}
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{"2026-11-21", "2026-11-21", false},
		{"2024-02-29", "2024-02-29", false},
		{"2026-02-29", "", true},
		{"2026-13-01", "", true},
		{"2026/11/21", "", true},
		{"", "", true},
	}
	for _, tt := range tests {
		d, err := ParseDate(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseDate(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			continue
		}
		if err == nil && d.String() != tt.want {
			t.Errorf("ParseDate(%q) = %s, want %s", tt.in, d, tt.want)
		}
	}
}

func TestDateArithmetic(t *testing.T) {
	d, _ := ParseDate("2026-02-28")
	if got, want := d.AddDays(1).String(), "2026-03-01"; got != want {
		t.Errorf("AddDays(1) = %s, want %s", got, want)
	}
	if got, want := d.AddDays(-59).String(), "2025-12-31"; got != want {
		t.Errorf("AddDays(-59) = %s, want %s", got, want)
	}
	if got, want := d.Start().UTC().Format(time.RFC3339), "2026-02-27T16:00:00Z"; got != want {
		t.Errorf("Start() = %s, want %s", got, want)
	}
	if got, want := d.Compact(), "20260228"; got != want {
		t.Errorf("Compact() = %s, want %s", got, want)
	}
	// The last second of a UTC day is already the next day in UTC+8.
	if got, want := DateOf(time.Date(2026, 11, 20, 23, 59, 59, 0, time.UTC)).String(), "2026-11-21"; got != want {
		t.Errorf("DateOf = %s, want %s", got, want)
	}
	if !d.Before(d.AddDays(1)) || d.AddDays(1).Before(d) || d.Before(d) {
		t.Error("Before is wrong")
	}
}

func TestDaysUntil(t *testing.T) {
	tests := []struct {
		from, to string
		want     int
	}{
		{"2026-11-20", "2026-11-20", 0},
		{"2026-11-20", "2026-11-24", 4},
		{"2026-11-24", "2026-11-20", -4},
		{"2026-02-28", "2026-03-01", 1},
		{"2024-02-28", "2024-03-01", 2},
		{"2025-12-31", "2026-01-01", 1},
		{"2026-01-01", "2027-01-01", 365},
	}
	for _, tt := range tests {
		from, _ := ParseDate(tt.from)
		to, _ := ParseDate(tt.to)
		if got := from.DaysUntil(to); got != tt.want {
			t.Errorf("%s.DaysUntil(%s) = %d, want %d", tt.from, tt.to, got, tt.want)
		}
	}
	// Calendar days, whatever the hours: 23:59 to 00:01 is a day.
	late := DateOf(time.Date(2026, 11, 20, 15, 59, 0, 0, time.UTC)) // 23:59 UTC+8
	early := DateOf(time.Date(2026, 11, 20, 16, 1, 0, 0, time.UTC)) // 00:01 on the 21st
	if got := late.DaysUntil(early); got != 1 {
		t.Errorf("23:59 to 00:01: %d days, want 1", got)
	}
}

func TestAppendFormat(t *testing.T) {
	est := time.FixedZone("EST", -5*3600)
	for _, tt := range []struct {
		t    time.Time
		want string
	}{
		{time.Date(2026, 11, 20, 4, 0, 0, 0, time.UTC), "2026-11-20 12:00:00"},
		{time.Date(2026, 11, 20, 15, 59, 59, 999_999_999, time.UTC), "2026-11-20 23:59:59"}, // nanoseconds are cut, not rounded
		{time.Date(2026, 11, 20, 16, 0, 0, 0, time.UTC), "2026-11-21 00:00:00"},
		{time.Date(2026, 11, 20, 11, 0, 0, 0, est), "2026-11-21 00:00:00"},
		{time.Date(2024, 2, 28, 16, 0, 0, 0, time.UTC), "2024-02-29 00:00:00"}, // a leap day
		{time.Date(2000, 2, 29, 12, 0, 0, 0, time.UTC), "2000-02-29 20:00:00"},
		{time.Date(1900, 2, 28, 16, 0, 0, 0, time.UTC), "1900-03-01 00:00:00"}, // 1900 is not a leap year
		{time.Date(1969, 12, 31, 15, 59, 59, 0, time.UTC), "1969-12-31 23:59:59"},
		{time.Date(1969, 12, 31, 16, 0, 0, 0, time.UTC), "1970-01-01 00:00:00"},
		{time.Unix(0, 0), "1970-01-01 08:00:00"},
		{time.Unix(-1, 0), "1970-01-01 07:59:59"},
		{time.Time{}, "0001-01-01 08:00:00"}, // the zero time: the callers leave it out
		{time.Date(0, 12, 31, 16, 0, 0, 0, time.UTC), "0001-01-01 00:00:00"},
		{time.Date(0, 12, 31, 15, 59, 59, 0, time.UTC), "0000-12-31 23:59:59"}, // Format's path
		{time.Date(-1, 6, 1, 0, 0, 0, 0, time.UTC), "-0001-06-01 08:00:00"},
		{time.Date(9999, 12, 31, 15, 59, 59, 0, time.UTC), "9999-12-31 23:59:59"},
		{time.Date(9999, 12, 31, 16, 0, 0, 0, time.UTC), "10000-01-01 00:00:00"}, // Format's path
		{time.Date(292277026, 1, 1, 0, 0, 0, 0, time.UTC), "292277026-01-01 08:00:00"},
	} {
		if got := string(AppendFormat(nil, tt.t)); got != tt.want || got != Format(tt.t) {
			t.Errorf("AppendFormat(%v) = %q, want %q (Format: %q)", tt.t, got, tt.want, Format(tt.t))
		}
	}
	if got := string(AppendFormat([]byte("at "), time.Unix(0, 0))); got != "at 1970-01-01 08:00:00" {
		t.Errorf("AppendFormat appends: %q", got)
	}
}

// AppendFormat is Format: random instants over the whole range of years
// and beyond, near the edges of days, years and the fast path's bounds.
func TestAppendFormatIsFormat(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	lo, hi := minFast-400*86400, maxFast+400*86400
	edges := []int64{minFast, maxFast, 0, time.Date(1900, 3, 1, 0, 0, 0, 0, time.UTC).Unix(), time.Date(2100, 3, 1, 0, 0, 0, 0, time.UTC).Unix()}
	check := func(u int64, nsec int64) {
		tm := time.Unix(u, nsec)
		if got, want := string(AppendFormat(nil, tm)), Format(tm); got != want {
			t.Fatalf("AppendFormat(time.Unix(%d, %d)) = %q, Format = %q", u, nsec, got, want)
		}
	}
	for i := 0; i < 200_000; i++ {
		var u int64
		switch i % 4 {
		case 0: // anywhere
			u = lo + rng.Int64N(hi-lo)
		case 1: // around a day's end in UTC+8 (and so the ends of months and years)
			u = (lo/86400+rng.Int64N((hi-lo)/86400))*86400 - offset + rng.Int64N(5) - 2
		case 2: // around the edges
			u = edges[rng.IntN(len(edges))] - offset + rng.Int64N(2*86400) - 86400
		case 3: // far years, either side
			u = rng.Int64N(1<<40) - 1<<39
		}
		check(u, rng.Int64N(1e9))
	}
	// Every day of the years around the leap-year rules' edges.
	for _, y := range []int{1, 4, 100, 1600, 1700, 1900, 2000, 2024, 2100, 2400, 9996, 9999} {
		start := time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC).Unix() - offset
		for d := int64(0); d < 366; d++ {
			check(start+d*86400, 0)
			check(start+d*86400-1, 0)
		}
	}
}

func FuzzAppendFormat(f *testing.F) {
	f.Add(int64(0), int64(0))
	f.Add(minFast, int64(0))
	f.Add(maxFast-offset, int64(999_999_999))
	f.Fuzz(func(t *testing.T, u, nsec int64) {
		if nsec < 0 || nsec >= 1e9 || u < -1<<50 || u > 1<<50 {
			t.Skip()
		}
		tm := time.Unix(u, nsec)
		if got, want := string(AppendFormat(nil, tm)), Format(tm); got != want {
			t.Fatalf("AppendFormat(time.Unix(%d, %d)) = %q, Format = %q", u, nsec, got, want)
		}
	})
}

func BenchmarkAppendFormat(b *testing.B) {
	tm := time.Date(2026, 11, 20, 13, 45, 0, 0, time.UTC)
	buf := make([]byte, 0, 32)
	for b.Loop() {
		buf = AppendFormat(buf[:0], tm)
	}
}

func BenchmarkFormat(b *testing.B) {
	tm := time.Date(2026, 11, 20, 13, 45, 0, 0, time.UTC)
	for b.Loop() {
		_ = Format(tm)
	}
}
