package report

import (
	"strings"
	"testing"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/crossborder/reconcile/internal/cst"
	"github.com/crossborder/reconcile/internal/idcard"
)

func TestCleanText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{"中文 ¥1,299.00", "中文 ¥1,299.00"},
		{"tab\tnewline\ncr\r", "tab\tnewline\ncr\r"},
		{"\x00\x01\x08\x0b\x0c\x1b\x1f", "\u2400\u2401\u2408\u240b\u240c\u241b\u241f"},
		{"\x7f", "\x7f"}, // DEL is valid XML 1.0
		{"a\xc3", "a\uFFFD"},
		{"\xed\xa0\x80", "\uFFFD"}, // an encoded surrogate is not UTF-8: one U+FFFD per bad run
		{"\uFFFE\uFFFF", "\uFFFD\uFFFD"},
		{"\U0001F9FE", "\U0001F9FE"},
		{"=1+2", "=1+2"},
	} {
		if got := cleanText(tc.in); got != tc.want {
			t.Errorf("cleanText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestMaskIDs(t *testing.T) {
	now := time.Date(2026, 11, 23, 0, 0, 0, 0, cst.Zone)
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"110101199003070011", "1101**********0011"},
		{"证件110101199003070011。", "证件1101**********0011。"},
		{"a 11010519491231002X b 11010519491231002x", "a 1101**********002X b 1101**********002x"},
		{"110101199003070012", "110101199003070012"},                                     // wrong check character: not an ID, left alone
		{"4200002087202611201234567890", "4200002087202611201234567890"},                 // a 28-digit transaction id is never cut
		{"1110101199003070011", "1110101199003070011"},                                   // 19 characters: an order id, not an ID number
		{"110101199003070011110101199003070011", "110101199003070011110101199003070011"}, // one run of 36
		{"id:110101199003070011,id:440301198511112348", "id:1101**********0011,id:4403**********2348"},
		{"110101202612310011", "110101202612310011"}, // born after now: not an ID
		{"1101**********0011", "1101**********0011"},
	} {
		if got := maskIDs(tc.in, now); got != tc.want {
			t.Errorf("maskIDs(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestSerial(t *testing.T) {
	for _, tc := range []struct {
		t    time.Time
		want float64
		ok   bool
	}{
		{time.Time{}, 0, false},
		{time.Date(1900, 3, 1, 0, 0, 0, 0, cst.Zone), 61, true},
		{time.Date(1900, 2, 28, 23, 59, 59, 0, cst.Zone), 0, false}, // before the phantom 1900-02-29
		{time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), 25569 + 8.0/24, true},
		{time.Date(2026, 11, 20, 12, 0, 0, 0, cst.Zone), 46346.5, true},
		{time.Date(2026, 11, 20, 12, 0, 0, 999_999_999, cst.Zone), 46346.5, true}, // truncated to the second
		{time.Date(9999, 12, 31, 23, 59, 59, 0, cst.Zone), 2958465 + 86399.0/86400, true},
		{time.Date(9999, 12, 31, 16, 0, 0, 0, time.UTC), 0, false}, // 10000-01-01 in UTC+8
	} {
		got, ok := serial(tc.t)
		if ok != tc.ok || got != tc.want {
			t.Errorf("serial(%v) = %v, %v, want %v, %v", tc.t, got, ok, tc.want, tc.ok)
		}
	}
}

func TestTextLines(t *testing.T) {
	for _, tc := range []struct {
		s     string
		width float64
		want  int
	}{
		{"", 10, 1},
		{"0123456789", 12, 1}, // 10 units in (12-1)×0.92
		{"0123456789012", 12, 2},
		{"中文中文中文中文中文", 44, 1}, // 10 wide characters take about 21 units
		{"中文中文中文中文中文", 15, 2},
		{"a\nb\nc", 30, 3},
		{strings.Repeat("x", 10_000), 10, maxLines + 1},
	} {
		if got := textLines(tc.s, tc.width); got != tc.want {
			t.Errorf("textLines(%.20q, %v) = %d, want %d", tc.s, tc.width, got, tc.want)
		}
	}
}

// FuzzCleanText: whatever the input, the cell text is valid UTF-8 XML can
// hold, fits Excel's limit, and a clean short input is kept unchanged.
func FuzzCleanText(f *testing.F) {
	for _, h := range hostile {
		f.Add(h.in)
	}
	f.Add(strings.Repeat("中", 33000))
	f.Fuzz(func(t *testing.T, s string) {
		got := cleanText(s)
		if !utf8.ValidString(got) {
			t.Fatalf("cleanText(%q) is not UTF-8", s)
		}
		for _, r := range got {
			if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF {
				t.Fatalf("cleanText(%q) keeps %U", s, r)
			}
		}
		if n := len(utf16.Encode([]rune(got))); n > maxCellUnits {
			t.Fatalf("cleanText of %d bytes: %d units", len(s), n)
		}
		if cleanText(got) != got {
			t.Fatalf("cleanText is not idempotent on %q", s)
		}
		if textIsClean(s) && got != s {
			t.Fatalf("a clean text was changed: %q → %q", s, got)
		}
	})
}

// FuzzMaskIDs: masking keeps the byte length, is idempotent and leaves no
// valid ID number behind.
func FuzzMaskIDs(f *testing.F) {
	for _, s := range []string{"110101199003070011", "x11010519491231002Xy", "4200002087202611201234567890", "", "中110101199003070011文"} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 23, 0, 0, 0, 0, cst.Zone)
	f.Fuzz(func(t *testing.T, s string) {
		got := maskIDs(s, now)
		if len(got) != len(s) {
			t.Fatalf("maskIDs(%q) = %q: length changed", s, got)
		}
		if again := maskIDs(got, now); again != got {
			t.Fatalf("maskIDs is not idempotent: %q → %q → %q", s, got, again)
		}
		for i := 0; i+idcard.Len <= len(got); i++ {
			run := got[i : i+idcard.Len]
			before := i == 0 || !isIDChar(got[i-1])
			after := i+idcard.Len == len(got) || !isIDChar(got[i+idcard.Len])
			if before && after && idcard.Check(strings.ToUpper(run), now) == nil {
				t.Fatalf("maskIDs(%q) = %q leaves the ID number at %d", s, got, i)
			}
		}
	})
}

func TestWrapLinesMovesWordsWhole(t *testing.T) {
	tests := []struct {
		s     string
		width float64
		want  int
	}{
		{"short", 38, 1},
		// The order id does not fit after the Chinese text, so it moves to
		// the second line whole, and the end of the sentence to a third.
		{"成功支付 ¥45.00 的商户订单号 5118609024991031699 不在任何读取的订单导出中", 38, 3},
		// A path longer than a line is broken where it must be.
		{"samples/payments/wechat_trade_all_20261120.csv:18", 20, 3},
		// CJK text breaks anywhere: 36 characters of 2.1 units in 37.
		{strings.Repeat("中", 36), 38, 3},
		{"", 38, 1},
	}
	for _, tt := range tests {
		if got := textLines(tt.s, tt.width); got != tt.want {
			t.Errorf("textLines(%q, %g) = %d, want %d", tt.s, tt.width, got, tt.want)
		}
	}
}

// textIsClean agrees with cleanText on texts with a troublesome byte at
// every position of an eight-byte word, and beyond.
func TestTextIsCleanWords(t *testing.T) {
	for _, bad := range []string{"\x01", "\x1f", "\x00", "\uFFFE", "\uFFFF", "\xff", "\xef\xbf", "\xef"} {
		for pre := 0; pre < 20; pre++ {
			for _, body := range []string{"a", "中", "\uFFFD", "\uFEFF"} {
				s := strings.Repeat("x", pre) + bad + strings.Repeat(body, 3)
				if got, want := textIsClean(s), cleanText(s) == s; got != want {
					t.Errorf("textIsClean(%q) = %v, cleanText changes it: %v", s, got, !want)
				}
			}
		}
	}
	for _, s := range []string{"", "plain ascii text of some length", "订单金额与支付金额不符，请在千牛后台核对", "tab\tand\nnewline\r", "\uFEFF\uFFFD ok"} {
		if !textIsClean(s) {
			t.Errorf("textIsClean(%q) = false", s)
		}
	}
}

// Text the team typed is masked for anything shaped like an ID number,
// a mistyped one too; an order id (19 digits) is no ID number.
func TestMaskLikeIDs(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"号码110105194912310021和11010519491231002x", "号码1101**********0021和1101**********002x"},
		{"订单5118609024991000002", "订单5118609024991000002"},
		{"A10105194912310021", "A10105194912310021"},
	} {
		if got := maskLikeIDs(tt.in); got != tt.want {
			t.Errorf("maskLikeIDs(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
