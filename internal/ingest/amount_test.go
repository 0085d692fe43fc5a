package ingest

import (
	"math"
	"strings"
	"testing"
)

func TestParseAmount(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr string // substring of the error; "" for success
	}{
		{"1234.5", 123450, ""},
		{"1234.50", 123450, ""},
		{"1,234.50", 123450, ""},
		{"¥1,234.50", 123450, ""},
		{"￥1234.50", 123450, ""},
		{"1234", 123400, ""},
		{"0", 0, ""},
		{"0.01", 1, ""},
		{".5", 50, ""},
		{"7.", 700, ""},
		{"1.500", 150, ""},
		{"1.5000000", 150, ""},
		{"12,345,678.90", 1234567890, ""},
		{"  12.30\t", 1230, ""},
		{"-12.30", -1230, ""},
		{"¥-12.30", -1230, ""},
		{"-¥12.30", -1230, ""},
		// MaxAmount is the edge: 10,000,000,000.00 yuan.
		{"10000000000.00", MaxAmount, ""},
		{"10,000,000,000.00", MaxAmount, ""},
		{"-10000000000", -MaxAmount, ""},
		{"10000000000.01", 0, "too large"},
		{"-10000000000.01", 0, "too large"},
		{"9999999999999999", 0, "too large"}, // the fast path's longest
		{"92233720368547758.07", 0, "too large"},
		{"92233720368547758.08", 0, "too large"},
		{"999999999999999999999999", 0, "too large"},
		{"1.234", 0, "more than 2 decimals"},
		{"1.001", 0, "more than 2 decimals"},
		{"2.53111E+18", 0, "scientific notation"},
		{"1e5", 0, "scientific notation"},
		{"1,5", 0, "comma in the wrong place"},
		{"1234,567.00", 0, "comma in the wrong place"},
		{"1,23,456", 0, "comma in the wrong place"},
		{",123", 0, "comma in the wrong place"},
		{"12,", 0, "comma in the wrong place"},
		{"abc", 0, "not a number"},
		{"12元", 0, "not a number"},
		{"12.3.4", 0, "not a number"},
		{"--1", 0, "not a number"},
		{"+1", 0, "not a number"},
		{"¥", 0, "not a number"},
		{".", 0, "not a number"},
		{"-", 0, "not a number"},
		{"１２", 0, "not a number"},
		{"", 0, "is empty"},
		{"   ", 0, "is empty"},
	}
	for _, tt := range tests {
		got, err := ParseAmount(tt.in)
		if tt.wantErr == "" {
			if err != nil || got != tt.want {
				t.Errorf("ParseAmount(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("ParseAmount(%q) = %d, %v; want an error with %q", tt.in, got, err, tt.wantErr)
			continue
		}
		if tt.in != "" && tt.wantErr != "is empty" && !strings.Contains(err.Error(), "expected an amount in yuan") {
			t.Errorf("ParseAmount(%q) error %q does not say what was expected", tt.in, err)
		}
	}
}

func TestFormatAmount(t *testing.T) {
	for _, tt := range []struct {
		in   int64
		want string
	}{{0, "0.00"}, {5, "0.05"}, {-5, "-0.05"}, {123450, "1234.50"}, {math.MaxInt64, "92233720368547758.07"}, {math.MinInt64, "-92233720368547758.08"}} {
		if got := FormatAmount(tt.in); got != tt.want {
			t.Errorf("FormatAmount(%d) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseExcelAmount(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{"123.45000000000002", 12345, false},
		{"0.30000000000000004", 30, false},
		{"1234.5699999999999", 123457, false},
		{"99.989999999999995", 9999, false},
		{"5.5511151231257827E-17", 0, false},
		{"-5.5511151231257827E-17", 0, false},
		{"1E+3", 100000, false},
		{"1.5E+2", 15000, false},
		{"1234.5", 123450, false},
		{"¥1,234.50", 123450, false},       // ordinary text still parses
		{"1.005", 0, true},                 // a real third decimal: few digits, not float noise
		{"1.0049999999999999", 0, true},    // the double nearest a typed 1.005: a real third decimal, refused
		{"12345678901.2345", 0, true},      // 15 digits, but 0.0045 yuan is not noise
		{"0.0045000000000000001", 0, true}, // 0.0045 yuan is a real amount below a fen
		{"1.2345678901234567", 0, true},    // 0.0045678… dropped: not noise
		{"1E+30", 0, true},
		{"1E+10", MaxAmount, false},
		{"1.0000000001E+10", 0, true}, // a yuan above MaxAmount
		{"2E+10", 0, true},
		{"2.53111E+18", 25311100000000000, true}, // only 6 digits: an id mangled, not an amount; see below
		{"abc", 0, true},
		{"", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseExcelAmount(tt.in)
		if tt.in == "2.53111E+18" {
			// 2.53111E+18 yuan is too large for int64 fen: refused either way.
			if err == nil {
				t.Errorf("ParseExcelAmount(%q) = %d, want an error", tt.in, got)
			}
			continue
		}
		if tt.wantErr {
			if err == nil {
				t.Errorf("ParseExcelAmount(%q) = %d, want an error", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseExcelAmount(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

// FuzzParseAmount checks that ParseAmount never panics, that whatever it
// accepts round-trips through FormatAmount, and that ParseExcelAmount
// agrees with it wherever it succeeds.
func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"1234.5", "1,234.50", "¥1,234.50", "￥1234.50", "1234", "1.500", "-0.01",
		"2.53111E+18", "1,5", "", "0.30000000000000004", "92233720368547758.07", "9e9999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseAmount(s)
		xv, xerr := ParseExcelAmount(s)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		if xerr != nil || xv != v {
			t.Fatalf("ParseExcelAmount(%q) = %d, %v; ParseAmount gave %d", s, xv, xerr, v)
		}
		back, err := ParseAmount(FormatAmount(v))
		if err != nil || back != v {
			t.Fatalf("%q → %d → %q → %d, %v", s, v, FormatAmount(v), back, err)
		}
		if bv, err := parseAmount([]byte(s)); err != nil || bv != v {
			t.Fatalf("bytes and string parsers differ on %q", s)
		}
	})
}
