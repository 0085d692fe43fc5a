package reconcile

import (
	"fmt"
	"runtime/debug"
)

// PanicError is a panic inside a run, turned into an error so that the run
// is still finished and recorded, and a schedule goes on. Stack is for the
// log.
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("internal error (panic: %v): please report it with the log", e.Value)
}

// Recovered turns the value of recover into a *PanicError, or nil.
func Recovered(p any) error {
	if p == nil {
		return nil
	}
	return &PanicError{Value: p, Stack: debug.Stack()}
}
