package sandbox

import (
	"bytes"
	"encoding/json"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// parseObject parses s as exactly one JSON object, keeping its values raw.
func parseObject(s string) (map[string]json.RawMessage, bool) {
	dec := json.NewDecoder(strings.NewReader(s))
	var m map[string]json.RawMessage
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false
	}
	return m, true
}

// fields reads typed values out of a JSON object strictly: a value of the
// wrong JSON type sets bad to the first offending field's name. Absent and
// null values read as the zero value and not present.
type fields struct {
	m   map[string]json.RawMessage
	bad string
}

func (f *fields) raw(name string) []byte {
	v := bytes.TrimSpace(f.m[name])
	if len(v) == 0 || string(v) == "null" {
		return nil
	}
	return v
}

func (f *fields) fail(name string) {
	if f.bad == "" {
		f.bad = name
	}
}

// str returns a JSON string field.
func (f *fields) str(name string) string {
	v := f.raw(name)
	if v == nil {
		return ""
	}
	var s string
	if v[0] != '"' || json.Unmarshal(v, &s) != nil {
		f.fail(name)
		return ""
	}
	return s
}

var integerForm = regexp.MustCompile(`^-?(0|[1-9][0-9]*)$`)

// int returns a JSON integer field (no fraction, no exponent, within
// int64) and whether it was present.
func (f *fields) int(name string) (int64, bool) {
	v := f.raw(name)
	if v == nil {
		return 0, false
	}
	if !integerForm.Match(v) {
		f.fail(name)
		return 0, false
	}
	n, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil {
		f.fail(name)
		return 0, false
	}
	return n, true
}

func invalidArg(param, detail string) *apiError {
	e := errArg(41, param)
	e.subMsg = detail
	return e
}

// parseOrderID parses a Taobao order id: 1 to 19 decimal digits, positive,
// within int64.
func parseOrderID(s string) (int64, bool) {
	if s == "" || len(s) > 19 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n > 0
}

func formatOrderID(n int64) string { return strconv.FormatInt(n, 10) }
