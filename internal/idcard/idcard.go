// Package idcard checks and masks the 18-character resident identity card
// numbers of the People's Republic of China (GB 11643-1999) and masks the
// names that go with them.
//
// An ID number is 6 digits of region code, 8 digits of birth date
// (YYYYMMDD), 3 digits of sequence and one check character computed with
// ISO 7064 MOD 11-2 over the first 17 digits: a digit or an upper-case X
// (for 10).
//
// ID numbers and names are personal data: the errors of this package never
// contain the number they describe, and MaskID and MaskName are what logs,
// errors and workbooks should show instead.
package idcard

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/crossborder/reconcile/internal/cst"
)

// The rules Check applies, in order. Check wraps exactly one of them, so
// callers can tell which rule failed with errors.Is.
var (
	ErrLength    = errors.New("ID number must have 18 characters")
	ErrCharacter = errors.New("ID number must be 17 digits followed by a digit or X")
	ErrBirthDate = errors.New("ID number has an impossible birth date")
	ErrCheckChar = errors.New("ID number check character does not match")
)

// Len is the length of an ID number.
const Len = 18

// minBirthYear is the earliest birth year Check accepts.
const minBirthYear = 1900

// weights are the ISO 7064 MOD 11-2 weights of the first 17 digits:
// 2^(17-i) mod 11.
var weights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// checkChars maps the weighted sum modulo 11 to the check character.
const checkChars = "10X98765432"

// CheckChar returns the check character of an ID number whose first 17
// characters are first17: a digit or 'X'. It fails when first17 is not
// exactly 17 ASCII digits.
func CheckChar(first17 string) (byte, error) {
	if len(first17) != Len-1 {
		return 0, fmt.Errorf("idcard: check character needs 17 digits, got %d characters", utf8.RuneCountInString(first17))
	}
	sum := 0
	for i := 0; i < Len-1; i++ {
		c := first17[i]
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("idcard: check character needs 17 digits, character %d is not a digit", i+1)
		}
		sum += int(c-'0') * weights[i]
	}
	return checkChars[sum%11], nil
}

// Check reports whether id is a well-formed ID number: 18 characters, 17
// ASCII digits and a final digit or upper-case X, a birth date that exists,
// is not before 1900 and not after the day of now in UTC+8, and the right
// check character. It does not check the region code.
//
// The error wraps ErrLength, ErrCharacter, ErrBirthDate or ErrCheckChar and
// says which position or part failed, never the number itself.
func Check(id string, now time.Time) error {
	if n := utf8.RuneCountInString(id); n != Len {
		return fmt.Errorf("%w, got %d", ErrLength, n)
	}
	i := 0
	for _, c := range id {
		i++
		if c >= '0' && c <= '9' || i == Len && c == 'X' {
			continue
		}
		if i == Len && c == 'x' {
			return fmt.Errorf("%w: the check character must be an upper-case X", ErrCharacter)
		}
		return fmt.Errorf("%w: character %d is not a digit", ErrCharacter, i)
	}
	birth, err := time.ParseInLocation("20060102", id[6:14], cst.Zone)
	if err != nil {
		return fmt.Errorf("%w: no such date", ErrBirthDate)
	}
	if birth.Year() < minBirthYear {
		return fmt.Errorf("%w: before %d", ErrBirthDate, minBirthYear)
	}
	if cst.DateOf(now).Before(cst.DateOf(birth)) {
		return fmt.Errorf("%w: in the future", ErrBirthDate)
	}
	want, _ := CheckChar(id[:Len-1]) // the first 17 are digits: checked above
	if id[Len-1] != want {
		return fmt.Errorf("%w: got %c, want %c", ErrCheckChar, id[Len-1], want)
	}
	return nil
}

// MaskID returns id with all but its first 4 and last 4 characters replaced
// by '*': "1101**********002X". It counts runes, not bytes. An input of 8
// runes or fewer is masked entirely, so no short fragment is ever shown.
func MaskID(id string) string {
	r := []rune(id)
	if len(r) <= 8 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:4]) + strings.Repeat("*", len(r)-8) + string(r[len(r)-4:])
}

// MaskName returns name with its surname kept and every other rune
// replaced by '*': "张*", "王**", "欧阳**". The surname is the first rune, or
// the first two when they are one of the common two-character surnames
// (欧阳, 司马, 诸葛, …) and at least one rune follows them. A one-rune name
// becomes "*"; the empty string stays empty. It counts runes, not bytes.
func MaskName(name string) string {
	r := []rune(name)
	switch len(r) {
	case 0:
		return ""
	case 1:
		return "*"
	}
	keep := 1
	if len(r) > 2 && compoundSurnames[string(r[:2])] {
		keep = 2
	}
	return string(r[:keep]) + strings.Repeat("*", len(r)-keep)
}

// compoundSurnames are the common two-character surnames.
var compoundSurnames = map[string]bool{
	"欧阳": true, "司马": true, "上官": true, "诸葛": true, "东方": true, "皇甫": true,
	"尉迟": true, "公孙": true, "慕容": true, "长孙": true, "宇文": true, "司徒": true,
	"夏侯": true, "令狐": true, "端木": true, "轩辕": true, "独孤": true, "南宫": true,
	"西门": true, "呼延": true, "澹台": true, "公冶": true, "申屠": true, "太史": true,
}
