package ingest

import (
	"strings"
	"testing"
	"time"

	"github.com/crossborder/reconcile/internal/cst"
)

func TestParseTime(t *testing.T) {
	at := func(y, mo, d, h, mi, s int) time.Time {
		return time.Date(y, time.Month(mo), d, h, mi, s, 0, cst.Zone)
	}
	tests := []struct {
		in      string
		want    time.Time
		wantErr string
	}{
		{"2026-11-20 19:48:33", at(2026, 11, 20, 19, 48, 33), ""},
		{"2026/11/20 19:48:33", at(2026, 11, 20, 19, 48, 33), ""},
		{"2026-11-20 19:48", at(2026, 11, 20, 19, 48, 0), ""},
		{"2026/1/2 15:04", at(2026, 1, 2, 15, 4, 0), ""},
		{"2026/1/2 5:04", at(2026, 1, 2, 5, 4, 0), ""},
		{"2026-1-2 5:04:09", at(2026, 1, 2, 5, 4, 9), ""},
		{"2026/01/02 15:04", at(2026, 1, 2, 15, 4, 0), ""},
		{"2026-11-20", at(2026, 11, 20, 0, 0, 0), ""},
		{"2026/1/2", at(2026, 1, 2, 0, 0, 0), ""},
		{"2024-02-29 00:00:00", at(2024, 2, 29, 0, 0, 0), ""},
		{"  2026-11-20  19:48:33 ", at(2026, 11, 20, 19, 48, 33), ""},
		{"", time.Time{}, ""},
		{"0000-00-00 00:00:00", time.Time{}, ""},
		{"0000-00-00", time.Time{}, ""},
		{"2026-02-29 10:00:00", time.Time{}, "day 29 of month 2"},
		{"2026-13-01", time.Time{}, "month 13"},
		{"2026-11-31", time.Time{}, "day 31"},
		{"2026-11-20 24:00:00", time.Time{}, "hour 24"},
		{"2026-11-20 23:60", time.Time{}, "minute 60"},
		{"2026-11-20 23:59:60", time.Time{}, "second 60"},
		{"0000-00-00 10:00:00", time.Time{}, "year 0000"},
		{"2026-11/20", time.Time{}, "not a valid time"},
		{"2026-11-20T19:48:33", time.Time{}, "not a valid time"},
		{"2026-11-20 19:48:33.5", time.Time{}, "not a valid time"},
		{"2026-11-20 19:4", time.Time{}, "not a valid time"},
		{"26-11-20", time.Time{}, "not a valid time"},
		{"20261120", time.Time{}, "not a valid time"},
		{"46345.825", time.Time{}, "not a valid time"},
		{"11/20/2026", time.Time{}, "not a valid time"},
		{"2026-11-20 19:48:33 +0800", time.Time{}, "not a valid time"},
	}
	for _, tt := range tests {
		got, err := ParseTime(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "expected a time such as") {
				t.Errorf("ParseTime(%q) = %v, %v; want an error with %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
		if !got.IsZero() && got.Location() != cst.Zone {
			t.Errorf("ParseTime(%q) is in %v, want cst.Zone", tt.in, got.Location())
		}
	}
}

func TestParseTimeIgnoresHostZone(t *testing.T) {
	saved := time.Local
	defer func() { time.Local = saved }()
	time.Local = time.FixedZone("EST", -5*3600)
	got, err := ParseTime("2026-11-20 19:48:33")
	if err != nil || got.Format(time.RFC3339) != "2026-11-20T19:48:33+08:00" {
		t.Errorf("ParseTime = %v, %v; want 2026-11-20T19:48:33+08:00", got.Format(time.RFC3339), err)
	}
}

func TestParseExcelTime(t *testing.T) {
	tests := []struct {
		in       string
		date1904 bool
		want     string // RFC 3339, "" for the zero time
		wantErr  string
	}{
		{"46346.825381944446", false, "2026-11-20T19:48:33+08:00", ""},
		{"46346.82538194", false, "2026-11-20T19:48:33+08:00", ""}, // rounds to the second
		{"46346", false, "2026-11-20T00:00:00+08:00", ""},
		{"46346.99999999", false, "2026-11-21T00:00:00+08:00", ""}, // rounds into the next day
		{"1", false, "1900-01-01T00:00:00+08:00", ""},
		{"59", false, "1900-02-28T00:00:00+08:00", ""},
		{"61", false, "1900-03-01T00:00:00+08:00", ""},
		{"60", false, "", "1900-02-29"},
		{"0.5", false, "", "time of day without a date"},
		{"44884.825381944446", true, "2026-11-20T19:48:33+08:00", ""}, // 1904 system: 1462 days less
		{"0", true, "1904-01-01T00:00:00+08:00", ""},
		{"2958465", false, "9999-12-31T00:00:00+08:00", ""},
		{"2958466", false, "", "past 9999-12-31"},
		{"2026-11-20 19:48:33", false, "2026-11-20T19:48:33+08:00", ""},
		{"2026-11-20T19:48:33", false, "2026-11-20T19:48:33+08:00", ""},
		{"2026-11-20T19:48:33.600Z", false, "2026-11-20T19:48:34+08:00", ""},
		{"2026-11-20T19:48:33+08:00", false, "", "not a valid time"},
		{"", false, "", ""},
		{"-1", false, "", "not a valid time"},
		{"abc", false, "", "not a valid time"},
	}
	for _, tt := range tests {
		got, err := ParseExcelTime(tt.in, tt.date1904)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseExcelTime(%q, %v) = %v, %v; want an error with %q", tt.in, tt.date1904, got, err, tt.wantErr)
			}
			continue
		}
		s := ""
		if !got.IsZero() {
			s = got.Format(time.RFC3339)
		}
		if err != nil || s != tt.want {
			t.Errorf("ParseExcelTime(%q, %v) = %q, %v; want %q", tt.in, tt.date1904, s, err, tt.want)
		}
	}
}

// FuzzParseTime checks that ParseTime never panics, that what it accepts
// is in UTC+8 and formats back to a form it accepts as the same instant.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2026-11-20 19:48:33", "2026/11/20 19:48:33", "2026-11-20 19:48", "2026/1/2 15:04",
		"2026-11-20", "0000-00-00 00:00:00", "", "2026-02-30", "46346.825381944446", "2026-11-20T19:48:33.5Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseTime(s)
		if _, xerr := ParseExcelTime(s, false); xerr != nil && xerr.Error() == "" {
			t.Fatal("empty error message")
		}
		if err != nil || got.IsZero() {
			return
		}
		if got.Location() != cst.Zone {
			t.Fatalf("ParseTime(%q) in %v", s, got.Location())
		}
		back, err := ParseTime(cst.Format(got))
		if err != nil || !back.Equal(got) {
			t.Fatalf("%q → %v → %q → %v, %v", s, got, cst.Format(got), back, err)
		}
		if bt, err := parseTime([]byte(s)); err != nil || !bt.Equal(got) {
			t.Fatalf("bytes and string parsers differ on %q", s)
		}
	})
}

// TestParseTime19 checks the fast path against time.ParseInLocation over
// a wide range of dates, leap years and century years included.
func TestParseTime19(t *testing.T) {
	start := time.Date(1, 1, 1, 0, 0, 0, 0, cst.Zone)
	for d := 0; d < 3_652_000; d += 997 { // to the year 9999
		want := start.AddDate(0, 0, d).Add(time.Duration(d%86400) * time.Second)
		for _, layout := range []string{"2006-01-02 15:04:05", "2006/01/02 15:04:05"} {
			s := want.Format(layout)
			got, ok := parseTime19(s)
			if !ok || !got.Equal(want) || got.Location() != cst.Zone {
				t.Fatalf("parseTime19(%q) = %v, %v; want %v", s, got, ok, want)
			}
		}
	}
	for _, s := range []string{"2024-02-29 23:59:59", "2000-02-29 00:00:00", "1900-03-01 12:00:00", "9999-12-31 23:59:59"} {
		want, _ := time.ParseInLocation("2006-01-02 15:04:05", s, cst.Zone)
		if got, ok := parseTime19(s); !ok || !got.Equal(want) {
			t.Errorf("parseTime19(%q) = %v, %v; want %v", s, got, ok, want)
		}
	}
	for _, s := range []string{"2023-02-29 00:00:00", "1900-02-29 00:00:00", "0000-00-00 00:00:00", "2026-11-20T19:48:33", "2026-11-20 19:48:3x"} {
		if got, ok := parseTime19(s); ok {
			t.Errorf("parseTime19(%q) = %v, want refused", s, got)
		}
	}
}
