package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/crossborder/reconcile/internal/ingest"
)

// newFlagSet returns a flag set for a sub-command whose --help prints help
// (to standard output, exit status 0) and whose parse errors are usage
// errors (exit status 2).
func newFlagSet(name string) *flagSet {
	fs := flag.NewFlagSet("reconcile "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	if flagSetHook != nil {
		flagSetHook(fs)
	}
	return fs
}

// flagSetHook, when set by a test, sees every flag set a command builds.
var flagSetHook func(*flagSet)

// flagSet is the standard library's flag set.
type flagSet = flag.FlagSet

// parseFlags parses args into fs. On --help it prints help to std.out and
// returns flag.ErrHelp; a parse error becomes a usage error.
func parseFlags(fs *flag.FlagSet, args []string, help string, std *stdio) error {
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(std.out, help)
		return flag.ErrHelp
	case err != nil:
		return &usageError{err}
	}
	return nil
}

// stringList is a repeatable string flag; a value may also hold several
// items separated by commas.
type stringList []string

func (s *stringList) String() string { return strings.Join(*s, ",") }

func (s *stringList) Set(v string) error {
	for _, item := range strings.Split(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			*s = append(*s, item)
		}
	}
	return nil
}

// yuanFlag is an amount in yuan with at most two decimals (5000.00, 5000),
// kept in fen; "0" turns what it limits off.
type yuanFlag int64

func (y *yuanFlag) String() string { return ingest.FormatAmount(int64(*y)) }

func (y *yuanFlag) Set(v string) error {
	fen, err := ingest.ParseAmount(v)
	if err != nil {
		return fmt.Errorf("want an amount in yuan such as 5000.00: %w", err)
	}
	*y = yuanFlag(fen)
	return nil
}
