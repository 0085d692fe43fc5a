package ingest

import (
	"errors"
	"strconv"
)

// maxIDLen is the longest id accepted: Taobao order ids have 16 to 19
// digits, WeChat transaction ids 28.
const maxIDLen = 32

// CheckID reports whether s is a valid id: 1 to 32 ASCII digits. An id in
// scientific notation (2.53111E+18, 5.11860902499103E+18) was turned into a
// number by Excel, which keeps only 15 significant digits: the error says
// so and asks for a re-export with the id column as text.
func CheckID(s string) error { return checkID(s, "id") }

// reasonError is an error with the Reason a row error reports for it.
type reasonError struct {
	reason Reason
	msg    string
}

func (e *reasonError) Error() string { return e.msg }

// reasonOf returns the Reason of err, or def.
func reasonOf(err error, def Reason) Reason {
	var re *reasonError
	if errors.As(err, &re) {
		return re.reason
	}
	return def
}

// checkID is CheckID with the name of the id ("order id") for the message.
func checkID[T text](s T, what string) error {
	if len(s) == 0 {
		return &reasonError{ReasonMissing, "is empty; expected the " + what + " (digits)"}
	}
	digits := true
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			digits = false
			break
		}
	}
	if digits {
		if len(s) > maxIDLen {
			return &reasonError{ReasonID, strconv.Quote(string(s)) + " has " + strconv.Itoa(len(s)) + " digits; expected the " + what + " with at most 32 digits"}
		}
		return nil
	}
	if looksScientific(s) {
		return &reasonError{ReasonIDMangled, strconv.Quote(string(s)) + " is an " + what + " that Excel turned into scientific notation, which loses its last digits: the id cannot be recovered; re-export with the id column as text"}
	}
	return &reasonError{ReasonID, strconv.Quote(string(s)) + " is not a valid " + what + "; expected digits only"}
}

// looksScientific reports whether s is a number in scientific notation
// such as 2.53111E+18 or 5E18.
func looksScientific[T text](s T) bool {
	i, n := 0, len(s)
	if i < n && (s[i] == '-' || s[i] == '+') {
		i++
	}
	d := 0
	for ; i < n && (s[i] >= '0' && s[i] <= '9' || s[i] == '.'); i++ {
		if s[i] != '.' {
			d++
		}
	}
	if d == 0 || i == n || (s[i] != 'e' && s[i] != 'E') {
		return false
	}
	i++
	if i < n && (s[i] == '+' || s[i] == '-') {
		i++
	}
	if i == n {
		return false
	}
	for ; i < n; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// fitsInt64 reports whether a digit string is at most math.MaxInt64.
func fitsInt64[T text](s T) bool {
	i := 0
	for i < len(s)-1 && s[i] == '0' {
		i++
	}
	const maxS = "9223372036854775807"
	n := len(s) - i
	if n != len(maxS) {
		return n < len(maxS)
	}
	for k := 0; k < n; k++ {
		if s[i+k] != maxS[k] {
			return s[i+k] < maxS[k]
		}
	}
	return true
}
