package dispatch

import (
	"errors"
	"fmt"
	"time"

	"github.com/crossborder/reconcile/internal/top"
)

// ErrStopped is returned for a record that was not attempted because the
// run is stopping.
var ErrStopped = errors.New("the run is stopping")

// ErrBanBudget is wrapped by the *FatalError of a run whose flow-control
// bans added up to Config.MaxBanWait.
var ErrBanBudget = errors.New("the run's ban budget is spent")

// FatalError stops a run: nothing else would succeed. Advice says what the
// operator must fix.
type FatalError struct {
	Err    error
	Advice string
}

func (e *FatalError) Error() string {
	if e.Advice == "" {
		return e.Err.Error()
	}
	return e.Advice + " (" + e.Err.Error() + ")"
}

func (e *FatalError) Unwrap() error { return e.Err }

// permanentError ends a record's attempts at once, whatever the class of
// the error it wraps.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err as the end of a record's attempts: Do returns err
// itself, without a retry and whatever its class (a journal that refuses
// the record, for instance).
func Permanent(err error) error { return &permanentError{err} }

// fatalAdvice says what an operator must fix for a fatal platform error.
func fatalAdvice(err error) string {
	var te *top.Error
	if !errors.As(err, &te) {
		return "the run cannot go on"
	}
	switch {
	case te.Code == top.CodeInvalidSignature || te.Code == top.CodeMissingSignature:
		return "the gateway refused the signature: check TOP_APP_SECRET (or --secret-file) and --sign-method"
	case te.Code == top.CodeInvalidSession || te.Code == top.CodeMissingSession:
		return "the session key is missing, invalid or expired: re-authorise the seller and update TOP_SESSION (or --session-file)"
	case te.Code == top.CodeMissingAppKey || te.Code == top.CodeInvalidAppKey:
		return "the gateway does not know the app key: check --app-key (or TOP_APP_KEY) and --gateway"
	case te.Code == top.CodeInvalidTimestamp || te.Code == top.CodeMissingTimestamp:
		return "the gateway refused the timestamp: this host's clock is off by more than 10 minutes; fix its time (NTP)"
	case te.Code == top.CodeInsufficientISVPerm, te.Code == top.CodeInsufficientUserPerm, te.Code == top.CodeInsufficientSessPerm:
		return "the app lacks permission for " + te.Method + ": add the API package to the app, or this server's IP to its whitelist, then rerun"
	case te.Code == top.CodeAppCallLimited:
		return fmt.Sprintf("the app's daily call quota is used up; it resets in about %s: rerun after that", te.RetryAfter().Round(time.Minute))
	}
	return fmt.Sprintf("the gateway refused the request (code %d %s): check --gateway; if it persists, report it with the request id", te.Code, te.Msg)
}
