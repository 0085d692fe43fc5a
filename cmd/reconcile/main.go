// Command reconcile reconciles a Tmall Global merchant's order and WeChat
// payment exports, declares the payments to customs through the Taobao Open
// Platform, sends the pending clearance callbacks and writes an exception
// workbook for the finance team.
//
// Run "reconcile help" for the sub-commands and "reconcile CMD --help" for
// the flags of one.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // --tz and Asia/Shanghai must work on hosts without a zone database
)

func main() {
	// A log reader that goes away (a dead log shipper, "| head") must not
	// end the run mid-flight: with SIGPIPE ignored, a write to the closed
	// pipe fails instead, and the logger drops what it cannot write.
	signal.Ignore(syscall.SIGPIPE)
	// SIGHUP (a closed terminal or ssh session) stops a run like SIGTERM.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		// After the first signal, restore the default behaviour so that a
		// second Ctrl-C ends the process at once.
		<-ctx.Done()
		stop()
	}()
	code := Main(ctx, os.Args[1:], &stdio{out: os.Stdout, err: os.Stderr, getenv: os.Getenv, environ: os.Environ})
	stop()
	os.Exit(code)
}

// stdio is what a sub-command may touch of the process: its output streams
// and its environment. Tests substitute their own.
type stdio struct {
	out     io.Writer
	err     io.Writer
	getenv  func(string) string
	environ func() []string // nil: no environment
}

// env returns the environment as KEY=value strings.
func (s *stdio) env() []string {
	if s.environ == nil {
		return nil
	}
	return s.environ()
}

// command is one sub-command.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, std *stdio) error
}

// commands lists the sub-commands in the order "reconcile help" shows them.
func commands() []command {
	return []command{
		{"run", "run the reconciliation once over a date window", cmdRun},
		{"schedule", "stay up and run every night on a cron spec; catch up missed nights", cmdSchedule},
		{"inspect", "show what the job reads from export files", cmdInspect},
		{"sandbox", "serve a local TOP gateway for demos and tests", cmdSandbox},
		{"history", "list past runs from the journal", cmdHistory},
		{"version", "print the version and exit", cmdVersion},
	}
}

const mainUsage = `reconcile: nightly reconciliation and customs declaration for Tmall Global merchants

Usage:
  reconcile COMMAND [flags]

Commands:
%s
Run "reconcile COMMAND --help" for the flags of a command.

Exit status:
  0    the command completed (a run may have found exceptions)
  1    it could not complete: unreadable input, a fatal gateway error, a journal
       that cannot be opened or is locked
  2    usage or configuration error (also found by a run's preflight)
  3    a run completed with exceptions under --fail-on-exceptions
  130  interrupted by SIGINT, SIGTERM or SIGHUP
`

func usageText() string {
	var list string
	for _, c := range commands() {
		list += fmt.Sprintf("  %-9s %s\n", c.name, c.summary)
	}
	return fmt.Sprintf(mainUsage, list)
}

// Main runs the sub-command named by args[0] and returns the process's exit
// status.
func Main(ctx context.Context, args []string, std *stdio) int {
	if len(args) == 0 {
		fmt.Fprint(std.err, usageText())
		return exitUsage
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		fmt.Fprint(std.out, usageText())
		return exitOK
	}
	for _, c := range commands() {
		if c.name == name {
			err := c.run(ctx, args[1:], std)
			return reportErr(std, name, err)
		}
	}
	fmt.Fprintf(std.err, "reconcile: unknown command %q\n\n%s", name, usageText())
	return exitUsage
}
