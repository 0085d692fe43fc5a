package idcard

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/crossborder/reconcile/internal/cst"
)

var now = time.Date(2026, 11, 20, 12, 0, 0, 0, cst.Zone)

func TestCheckChar(t *testing.T) {
	tests := []struct {
		first17 string
		want    byte
		wantErr bool
	}{
		{"11010519491231002", 'X', false},
		{"41292119881020112", '6', false}, // the seed page's example ends in 3: a placeholder
		{"44030519900101001", '8', false},
		{"00000000000000000", '1', false}, // sum 0
		{"1101051949123100", 0, true},     // 16 digits
		{"110105194912310021", 0, true},   // 18 digits
		{"1101051949123100a", 0, true},
		{"", 0, true},
	}
	for _, tt := range tests {
		got, err := CheckChar(tt.first17)
		if (err != nil) != tt.wantErr {
			t.Errorf("CheckChar(%q) error = %v, wantErr %v", tt.first17, err, tt.wantErr)
			continue
		}
		if got != tt.want {
			t.Errorf("CheckChar(%q) = %q, want %q", tt.first17, got, tt.want)
		}
	}
}

// TestCheckCharAllResidues makes sure every check character, and so every
// residue of the weighted sum, is reachable and verified by Check.
func TestCheckCharAllResidues(t *testing.T) {
	seen := map[byte]bool{}
	for seq := 0; seq < 1000 && len(seen) < 11; seq++ {
		first17 := "110105194912310" + string(rune('0'+seq/10%10)) + string(rune('0'+seq%10))
		c, err := CheckChar(first17)
		if err != nil {
			t.Fatalf("CheckChar(%q): %v", first17, err)
		}
		seen[c] = true
		if err := Check(first17+string(c), now); err != nil {
			t.Errorf("Check(%q + %q) = %v, want nil", first17, c, err)
		}
	}
	if len(seen) != 11 {
		t.Errorf("saw %d distinct check characters, want 11", len(seen))
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name string
		id   string
		want error // nil for valid
	}{
		{"doc example", "11010519491231002X", nil},
		{"seed page placeholder", "412921198810201123", ErrCheckChar},
		{"born today", "110105202611200019", nil},
		{"born 1900-01-01", "11010519000101001X", nil},
		{"leap day", "110105200002290013", nil},
		{"empty", "", ErrLength},
		{"17 chars", "11010519491231002", ErrLength},
		{"19 chars", "11010519491231002X0", ErrLength},
		{"15-digit old form", "110105491231002", ErrLength},
		{"lower-case x", "11010519491231002x", ErrCharacter},
		{"X in the middle", "1101051949123X0021", ErrCharacter},
		{"letter", "11010519491231A02X", ErrCharacter},
		{"full-width digits", "１１０１０５１９４９１２３１００２Ｘ", ErrCharacter},
		{"space", " 1010519491231002X", ErrCharacter},
		{"month 13", "110105194913310021", ErrBirthDate},
		{"Feb 30", "110105200002300015", ErrBirthDate},
		{"Feb 29 non-leap", "110105190002290017", ErrBirthDate},
		{"day 00", "110105194912000021", ErrBirthDate},
		{"before 1900", "110105189912310023", ErrBirthDate},
		{"tomorrow", "110105202611210014", ErrBirthDate},
		{"wrong check digit", "110105194912310021", ErrCheckChar},
		{"digit instead of X", "110105194912310020", ErrCheckChar},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check(tt.id, now)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("Check(%q) = %v, want %v", tt.id, err, tt.want)
			}
			if err != nil && len(tt.id) >= 8 && strings.Contains(err.Error(), tt.id[:8]) {
				t.Errorf("Check(%q) error %q echoes the number", tt.id, err)
			}
		})
	}
}

// TestCheckBirthDateInUTC8 proves "the future" is judged on the UTC+8 day,
// whatever now's location: 2026-11-20 20:00 UTC is already 11-21 in UTC+8.
func TestCheckBirthDateInUTC8(t *testing.T) {
	id := "110105202611210014" // born 2026-11-21
	if err := Check(id, time.Date(2026, 11, 20, 15, 59, 0, 0, time.UTC)); !errors.Is(err, ErrBirthDate) {
		t.Errorf("at 23:59 UTC+8 the day before: got %v, want ErrBirthDate", err)
	}
	if err := Check(id, time.Date(2026, 11, 20, 16, 0, 0, 0, time.UTC)); err != nil {
		t.Errorf("at 00:00 UTC+8 on the day: got %v, want nil", err)
	}
}

func TestMaskID(t *testing.T) {
	tests := []struct{ in, want string }{
		{"11010519491231002X", "1101**********002X"},
		{"440305199001010018", "4403**********0018"},
		{"110105491231002", "1101*******1002"},
		{"123456789", "1234*6789"},
		{"12345678", "********"},
		{"1234", "****"},
		{"", ""},
		{"一二三四五六七八九十", "一二三四**七八九十"},
	}
	for _, tt := range tests {
		if got := MaskID(tt.in); got != tt.want {
			t.Errorf("MaskID(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMaskName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"张三", "张*"},
		{"王小明", "王**"},
		{"欧阳娜娜", "欧阳**"},
		{"司马光", "司马*"},
		{"欧阳", "欧*"}, // a compound surname alone keeps one rune
		{"李", "*"},
		{"", ""},
		{"买买提·艾力", "买*****"},
		{"Li", "L*"},
	}
	for _, tt := range tests {
		if got := MaskName(tt.in); got != tt.want {
			t.Errorf("MaskName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzCheck(f *testing.F) {
	for _, s := range []string{
		"11010519491231002X", "412921198810201123", "110105194912310021", "11010519491231002x",
		"", "X", "１１０１０５１９４９１２３１００２Ｘ", "110105189912310023", "\xff\xfe01051949123100",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		// Also build a well-formed number from the input's bytes, so that
		// the mask property is exercised on valid numbers too.
		var b [Len - 1]byte
		for i := range b {
			b[i] = '0'
			if i < len(id) {
				b[i] += id[i] % 10
			}
		}
		copy(b[6:14], "19491231")
		c, cerr := CheckChar(string(b[:]))
		if cerr != nil {
			t.Fatalf("CheckChar(%q): %v", b, cerr)
		}
		built := string(b[:]) + string(c)
		if err := Check(built, now); err != nil {
			t.Fatalf("Check(%q) = %v for a number built with CheckChar", built, err)
		}
		if m := MaskID(built); m[4:14] != "**********" || strings.Contains(m, built[4:14]) {
			t.Fatalf("MaskID(%q) = %q: middle not masked", built, m)
		}

		err := Check(id, now)
		m := MaskID(id)
		if err != nil {
			if len(id) >= 8 && strings.Contains(err.Error(), id) {
				t.Fatalf("error %q echoes the number", err)
			}
			return
		}
		if len(id) != Len {
			t.Fatalf("Check accepted %d bytes", len(id))
		}
		c, cerr = CheckChar(id[:Len-1])
		if cerr != nil || c != id[Len-1] {
			t.Fatalf("Check accepted %q but CheckChar = %q, %v", id, c, cerr)
		}
		if len(m) != Len || m[:4] != id[:4] || m[14:] != id[14:] || m[4:14] != "**********" {
			t.Fatalf("MaskID(valid id) = %q: middle not masked", m)
		}
	})
}
