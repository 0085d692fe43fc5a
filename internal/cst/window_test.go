package cst

import (
	"strings"
	"testing"
	"time"
)

func TestParseWindow(t *testing.T) {
	// 2026-11-21 17:30 UTC is already 2026-11-22 in UTC+8: yesterday is the 21st.
	now := time.Date(2026, 11, 21, 17, 30, 0, 0, time.UTC)
	tests := []struct {
		date, from, to string
		want           string
		wantErr        string
	}{
		{"", "", "", "2026-11-21", ""},
		{"2026-11-20", "", "", "2026-11-20", ""},
		{"", "2026-11-01", "2026-11-03", "2026-11-01..2026-11-03", ""},
		{"", "2026-11-03", "2026-11-03", "2026-11-03", ""},
		{"", "2026-11-04", "2026-11-03", "", "backwards"},
		{"2026-11-20", "2026-11-01", "", "", "cannot be combined"},
		{"", "2026-11-01", "", "", "go together"},
		{"", "", "2026-11-01", "", "go together"},
		{"20261120", "", "", "", "--date: invalid date"},
		{"", "2026-02-30", "2026-03-01", "", "--from: invalid date"},
	}
	for _, tt := range tests {
		w, err := ParseWindow(tt.date, tt.from, tt.to, now)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseWindow(%q, %q, %q) error = %v, want %q", tt.date, tt.from, tt.to, err, tt.wantErr)
			}
			continue
		}
		if err != nil || w.String() != tt.want {
			t.Errorf("ParseWindow(%q, %q, %q) = %s, %v; want %s", tt.date, tt.from, tt.to, w, err, tt.want)
		}
	}
}

func TestWindowContains(t *testing.T) {
	w, _ := ParseWindow("", "2026-11-20", "2026-11-21", time.Now())
	tests := []struct {
		t    time.Time
		want bool
	}{
		{time.Date(2026, 11, 19, 15, 59, 59, 0, time.UTC), false}, // 23:59:59 on the 19th in UTC+8
		{time.Date(2026, 11, 19, 16, 0, 0, 0, time.UTC), true},    // 00:00:00 on the 20th
		{time.Date(2026, 11, 21, 15, 59, 59, 0, time.UTC), true},  // 23:59:59 on the 21st
		{time.Date(2026, 11, 21, 16, 0, 0, 0, time.UTC), false},   // 00:00:00 on the 22nd
	}
	for _, tt := range tests {
		if got := w.Contains(tt.t); got != tt.want {
			t.Errorf("Contains(%v) = %v, want %v", tt.t, got, tt.want)
		}
	}
	if w.Days() != 2 {
		t.Errorf("Days = %d, want 2", w.Days())
	}
}
