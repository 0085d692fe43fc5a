package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = ""

const versionHelp = `Usage: reconcile version

Print the version of reconcile, the Go version it was built with, and the
platform, then exit.

Example:
  reconcile version

Exit status: 0.
`

func cmdVersion(ctx context.Context, args []string, std *stdio) error {
	fs := newFlagSet("version")
	if err := parseFlags(fs, args, versionHelp, std); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf("unexpected argument %q", fs.Arg(0))
	}
	fmt.Fprintf(std.out, "reconcile %s (%s, %s/%s)\n", versionString(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}

// versionString returns the version set at build time, else the module
// version or VCS revision recorded by the Go toolchain, else "dev".
func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			return v
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return s.Value[:12]
			}
		}
	}
	return "dev"
}
