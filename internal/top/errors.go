package top

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Platform error codes (docs/protocol.md#error-codes-and-what-the-client-does).
const (
	CodeAppCallLimited         = 7
	CodeServiceUnavailable     = 10
	CodeInsufficientISVPerm    = 11
	CodeInsufficientUserPerm   = 12
	CodeInsufficientSessPerm   = 13
	CodeRemoteServiceTimeout   = 15
	CodeMissingMethod          = 21
	CodeInvalidMethod          = 22
	CodeInvalidFormat          = 23
	CodeMissingSignature       = 24
	CodeInvalidSignature       = 25
	CodeMissingSession         = 26
	CodeInvalidSession         = 27
	CodeMissingAppKey          = 28
	CodeInvalidAppKey          = 29
	CodeMissingTimestamp       = 30
	CodeInvalidTimestamp       = 31
	CodeMissingVersion         = 32
	CodeInvalidVersion         = 33
	CodeUnsupportedVersion     = 34
	CodeMissingRequiredArgs    = 40
	CodeInvalidArgs            = 41
	CodeRemoteServiceError     = 50
	SubCodeAPIAccessLimited    = "accesscontrol.limited-by-api-access-count"
	SubCodeAppAPIAccessLimited = "accesscontrol.limited-by-app-api-access-count"
	SubCodeAppAccessLimited    = "accesscontrol.limited-by-app-access-count" // the app's daily quota
)

// CodeMsg returns the platform's msg for a top-level error code, as the
// gateway writes it ("Invalid Signature"), or "" for a code it does not know.
// For 40 and 41 the gateway appends ":" and the parameter name.
func CodeMsg(code int) string {
	switch code {
	case CodeAppCallLimited:
		return "App Call Limited"
	case CodeServiceUnavailable:
		return "Service Currently Unavailable"
	case CodeInsufficientISVPerm:
		return "Insufficient ISV Permissions"
	case CodeInsufficientUserPerm:
		return "Insufficient User Permissions"
	case CodeInsufficientSessPerm:
		return "Insufficient Session Permissions"
	case CodeRemoteServiceTimeout, CodeRemoteServiceError:
		return "Remote service error"
	case CodeMissingMethod:
		return "Missing Method"
	case CodeInvalidMethod:
		return "Invalid Method"
	case CodeInvalidFormat:
		return "Invalid Format"
	case CodeMissingSignature:
		return "Missing Signature"
	case CodeInvalidSignature:
		return "Invalid Signature"
	case CodeMissingSession:
		return "Missing Session"
	case CodeInvalidSession:
		return "Invalid Session"
	case CodeMissingAppKey:
		return "Missing App Key"
	case CodeInvalidAppKey:
		return "Invalid App Key"
	case CodeMissingTimestamp:
		return "Missing Timestamp"
	case CodeInvalidTimestamp:
		return "Invalid Timestamp"
	case CodeMissingVersion:
		return "Missing Version"
	case CodeInvalidVersion:
		return "Invalid Version"
	case CodeUnsupportedVersion:
		return "Unsupported Version"
	case CodeMissingRequiredArgs:
		return "Missing Required Arguments"
	case CodeInvalidArgs:
		return "Invalid Arguments"
	}
	return ""
}

// Class says what a failed call calls for.
type Class int

const (
	// Retry: a transient failure (transport error, HTTP 5xx, isp.*, code 10).
	// Try the same call again after a back-off.
	Retry Class = iota + 1
	// Wait: flow control (code 7). Pause every call for RetryAfter, then
	// try again.
	Wait
	// Reject: the platform refused this record (isv.*, 40, 41). Do not
	// retry it in this run; it needs a fix to its data.
	Reject
	// Fatal: nothing else will succeed in this run (bad signature, expired
	// session, missing permission, the app's daily quota). Stop calling.
	Fatal
)

func (c Class) String() string {
	switch c {
	case Retry:
		return "retry"
	case Wait:
		return "wait"
	case Reject:
		return "reject"
	case Fatal:
		return "fatal"
	}
	return "Class(" + strconv.Itoa(int(c)) + ")"
}

// Error is a failed call: a platform error_response, a non-200 HTTP status,
// a transport failure or an answer that could not be decoded. It never holds
// the app secret or the session key.
type Error struct {
	Method     string // the API method called
	Code       int    // the platform's code; 0 when the platform did not answer
	Msg        string // the platform's msg
	SubCode    string // the platform's sub_code, e.g. isv.invalid-parameter
	SubMsg     string // the platform's sub_msg
	RequestID  string // the platform's request_id, for support tickets
	StatusCode int    // the HTTP status when it was not 200
	Err        error  // the transport or decoding error, if any
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("top: ")
	if e.Method != "" {
		b.WriteString(e.Method)
		b.WriteString(": ")
	}
	switch {
	case e.Code != 0:
		fmt.Fprintf(&b, "code %d %s", e.Code, e.Msg)
		if e.SubCode != "" || e.SubMsg != "" {
			fmt.Fprintf(&b, " (%s", e.SubCode)
			if e.SubMsg != "" {
				if e.SubCode != "" {
					b.WriteString(": ")
				}
				b.WriteString(e.SubMsg)
			}
			b.WriteString(")")
		}
	case e.StatusCode != 0:
		fmt.Fprintf(&b, "HTTP %d", e.StatusCode)
		if e.Err != nil {
			fmt.Fprintf(&b, ": %v", e.Err)
		}
	case e.Err != nil:
		b.WriteString(e.Err.Error())
	default:
		b.WriteString("unknown error")
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " [request_id %s]", e.RequestID)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Transport reports whether the call failed before the platform answered:
// a connection or timeout error, a non-200 HTTP status or a body that was
// not a platform envelope. A run of these means the gateway is unreachable.
func (e *Error) Transport() bool { return e.Code == 0 }

// Class says what the failure calls for; see the Class constants.
func (e *Error) Class() Class {
	switch {
	case e.Code == 0:
		return Retry
	case e.Code == CodeAppCallLimited:
		if e.SubCode == SubCodeAppAccessLimited {
			return Fatal
		}
		return Wait
	case e.Code == CodeServiceUnavailable:
		return Retry
	case e.Code == CodeRemoteServiceTimeout || e.Code == CodeRemoteServiceError:
		switch {
		case strings.HasPrefix(e.SubCode, "isp."), e.SubCode == "":
			return Retry
		default: // isv.* and the business sub-codes of the remote service
			return Reject
		}
	case e.Code == CodeMissingRequiredArgs || e.Code == CodeInvalidArgs:
		return Reject
	case e.Code == CodeInsufficientISVPerm, e.Code == CodeInsufficientUserPerm, e.Code == CodeInsufficientSessPerm,
		e.Code >= CodeMissingMethod && e.Code <= CodeUnsupportedVersion:
		return Fatal
	case strings.HasPrefix(e.SubCode, "isp."):
		return Retry
	default:
		// A code this client does not know: refuse the record rather than
		// stop the run; the next run tries it again.
		return Reject
	}
}

// RetryAfter is how long a flow-control ban lasts, parsed from a sub_msg
// like "This ban will last for 12 more seconds"; 0 when the error is not a
// ban or does not say.
func (e *Error) RetryAfter() time.Duration {
	if e.Code != CodeAppCallLimited {
		return 0
	}
	return parseBan(e.SubMsg)
}

// parseBan returns N seconds from "… last for N more seconds …", or 0.
func parseBan(s string) time.Duration {
	const marker = "last for "
	i := strings.Index(s, marker)
	if i < 0 {
		return 0
	}
	s = s[i+len(marker):]
	j := 0
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	n, err := strconv.ParseInt(s[:j], 10, 64)
	if err != nil || n <= 0 || n > 1<<31 {
		return 0
	}
	return time.Duration(n) * time.Second
}

// Classify returns the class of err and, for Wait (and for the daily quota,
// which is Fatal), how long the ban lasts. An error that is not an *Error is
// a transport failure and is retried; nil has class 0.
func Classify(err error) (Class, time.Duration) {
	if err == nil {
		return 0, 0
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Class(), e.RetryAfter()
	}
	return Retry, 0
}
