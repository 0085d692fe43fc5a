package top

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// ResponseName returns the name of method's success envelope: the method
// with a leading "taobao." dropped and dots turned into underscores, plus
// "_response" (tmall.hk.clearance.info.send → tmall_hk_clearance_info_send_response).
func ResponseName(method string) string {
	return strings.ReplaceAll(strings.TrimPrefix(method, "taobao."), ".", "_") + "_response"
}

// errorResponse is the body of an error_response envelope.
type errorResponse struct {
	Code      flexInt `json:"code"`
	Msg       string  `json:"msg"`
	SubCode   string  `json:"sub_code"`
	SubMsg    string  `json:"sub_msg"`
	RequestID string  `json:"request_id"`
}

// decode reads a JSON answer to method into out. An error_response comes
// first: it is returned as an *Error. Otherwise the <name>_response object
// is decoded into out, or, when the client asked for the simplified form
// (simplified), the whole body, provided it holds at least one of out's
// fields besides request_id. Anything else did not come from the platform
// (a captive portal's {"status":"ok"}, a proxy's error page in JSON): it is
// a transport failure, an *Error without a code, never a business answer.
// Raw control characters inside strings, which some answers carry, are
// tolerated.
func decode(method string, body []byte, out any, simplified bool) error {
	body = sanitizeJSON(body)
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return &Error{Method: method, Err: fmt.Errorf("undecodable response: %v: %s", err, bodySnippet(body))}
	}
	if raw, ok := top["error_response"]; ok {
		var er errorResponse
		if err := json.Unmarshal(raw, &er); err != nil {
			return &Error{Method: method, Err: fmt.Errorf("undecodable error_response: %v: %s", err, bodySnippet(raw))}
		}
		code := int(er.Code)
		if code == 0 {
			// An error_response without a code is still an answer from
			// the platform; treat it as a remote service error.
			code = CodeRemoteServiceError
		}
		return &Error{Method: method, Code: code, Msg: er.Msg, SubCode: er.SubCode, SubMsg: er.SubMsg, RequestID: er.RequestID}
	}
	payload := body
	if raw, ok := top[ResponseName(method)]; ok {
		payload = raw
	} else if !simplified || !holdsFieldOf(top, out) {
		return &Error{Method: method, Err: fmt.Errorf("%w: neither %s nor error_response: %s", ErrNotEnvelope, ResponseName(method), bodySnippet(body))}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(payload, out); err != nil {
		return &Error{Method: method, Err: fmt.Errorf("undecodable %s: %v", ResponseName(method), err)}
	}
	return nil
}

// ErrNotEnvelope is wrapped by the *Error of an answer that is no platform
// envelope: it did not come from the platform.
var ErrNotEnvelope = errors.New("the answer is not a platform envelope")

// holdsFieldOf reports whether the top-level object top has a key that is
// the JSON name of one of the fields of the struct out points to, other
// than request_id: what a simplified answer of the method must hold.
func holdsFieldOf(top map[string]json.RawMessage, out any) bool {
	t := reflect.TypeOf(out)
	if t == nil || t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		return false
	}
	t = t.Elem()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name == "" || name == "-" || name == "request_id" {
			continue
		}
		if _, ok := top[name]; ok {
			return true
		}
	}
	return false
}

// sanitizeJSON returns b with raw control characters made legal: inside
// strings they become \u00XX escapes, outside them (where only whitespace
// is legal) spaces. It returns b itself when there is nothing to change.
func sanitizeJSON(b []byte) []byte {
	i := 0
	for i < len(b) && (b[i] >= 0x20 || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	if i == len(b) {
		// No control characters but whitespace; whitespace inside a string
		// is still illegal, so check strings too.
		if !controlInString(b) {
			return b
		}
	}
	const hex = "0123456789abcdef"
	out := make([]byte, 0, len(b)+16)
	inString, escaped := false, false
	for _, c := range b {
		switch {
		case inString && escaped:
			escaped = false
			if c < 0x20 { // a backslash followed by a raw control character
				out = out[:len(out)-1]
				out = append(out, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
				continue
			}
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case c < 0x20 && inString:
			out = append(out, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			continue
		case c < 0x20 && c != '\t' && c != '\n' && c != '\r':
			c = ' '
		}
		out = append(out, c)
	}
	return out
}

// controlInString reports whether a string literal in b holds a raw
// control character (tab, newline or carriage return).
func controlInString(b []byte) bool {
	if bytes.IndexAny(b, "\t\n\r") < 0 {
		return false
	}
	inString, escaped := false, false
	for _, c := range b {
		switch {
		case inString && escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case inString && c < 0x20:
			return true
		}
	}
	return false
}

// flexInt decodes a JSON number or a string holding one (some gateways
// quote codes).
type flexInt int64

func (n *flexInt) UnmarshalJSON(b []byte) error {
	s := string(bytes.TrimSpace(b))
	if s == "null" {
		return nil
	}
	if len(s) >= 2 && s[0] == '"' {
		var err error
		if s, err = strconv.Unquote(s); err != nil {
			return err
		}
		if s == "" {
			return nil
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return errors.New("not an integer: " + strconv.Quote(s))
	}
	*n = flexInt(v)
	return nil
}

// flexBool decodes a JSON boolean or the strings "true"/"false".
type flexBool bool

func (v *flexBool) UnmarshalJSON(b []byte) error {
	switch string(bytes.TrimSpace(b)) {
	case "true", `"true"`:
		*v = true
	case "false", `"false"`, "null", `""`:
		*v = false
	default:
		return errors.New("not a boolean: " + string(b))
	}
	return nil
}
