package cst

import (
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
