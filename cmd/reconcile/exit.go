package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/crossborder/reconcile/internal/batch"
)

// Exit statuses, as documented in "reconcile help" and docs/design.md#exit-statuses.
const (
	exitOK          = batch.ExitOK          // completed
	exitFailure     = batch.ExitFailure     // could not complete
	exitUsage       = batch.ExitUsage       // usage or configuration error
	exitExceptions  = batch.ExitExceptions  // completed with exceptions under --fail-on-exceptions
	exitInterrupted = batch.ExitInterrupted // SIGINT, SIGTERM or SIGHUP
)

// usageError is a mistake in the command line or the configuration.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// exitCode maps the error a sub-command returned to the process's exit
// status. It is the only place that does.
func exitCode(err error) int {
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		return exitUsage
	case errors.Is(err, context.Canceled):
		// A command other than run stopped by a signal (inspect, say):
		// interrupted, like a run.
		return exitInterrupted
	default:
		// The statuses of a run (1, 3, 130) are decided by the job.
		return batch.ExitStatus(err)
	}
}

// reportErr prints err, if any, and returns the exit status for it.
func reportErr(std *stdio, name string, err error) int {
	code := exitCode(err)
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(std.err, "reconcile %s: %v\n", name, err)
		var ue *usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(std.err, "Run 'reconcile %s --help' for usage.\n", name)
		}
	}
	return code
}
