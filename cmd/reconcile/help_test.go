package main

import (
	"bytes"
	"context"
	"flag"
	"strings"
	"testing"
)

// Every sub-command's --help exits 0 and explains every flag it has, with
// an example and the exit statuses.
func TestHelpExplainsEveryFlag(t *testing.T) {
	for _, c := range commands() {
		t.Run(c.name, func(t *testing.T) {
			var sets []*flagSet
			flagSetHook = func(fs *flagSet) { sets = append(sets, fs) }
			defer func() { flagSetHook = nil }()
			var out, errOut bytes.Buffer
			code := Main(context.Background(), []string{c.name, "--help"}, &stdio{out: &out, err: &errOut, getenv: func(string) string { return "" }})
			if code != 0 {
				t.Fatalf("exit %d, want 0; stderr %q", code, errOut.String())
			}
			help := out.String()
			for _, want := range []string{"Usage: reconcile " + c.name, "Example", "Exit status"} {
				if !strings.Contains(help, want) {
					t.Errorf("help lacks %q", want)
				}
			}
			if len(sets) == 0 {
				t.Fatal("the command built no flag set")
			}
			sets[0].VisitAll(func(f *flag.Flag) {
				if !strings.Contains(help, "--"+f.Name) {
					t.Errorf("help does not explain --%s", f.Name)
				}
			})
		})
	}
}

func TestMainUsage(t *testing.T) {
	var out, errOut bytes.Buffer
	std := &stdio{out: &out, err: &errOut, getenv: func(string) string { return "" }}
	if code := Main(context.Background(), nil, std); code != exitUsage || !strings.Contains(errOut.String(), "Commands:") {
		t.Errorf("no command: exit %d, stderr %q", code, errOut.String())
	}
	errOut.Reset()
	if code := Main(context.Background(), []string{"frobnicate"}, std); code != exitUsage || !strings.Contains(errOut.String(), `unknown command "frobnicate"`) {
		t.Errorf("unknown command: exit %d, stderr %q", code, errOut.String())
	}
	if code := Main(context.Background(), []string{"help"}, std); code != exitOK || !strings.Contains(out.String(), "schedule") {
		t.Errorf("help: exit %d", code)
	}
	errOut.Reset()
	if code := Main(context.Background(), []string{"run", "--no-such-flag"}, std); code != exitUsage || !strings.Contains(errOut.String(), "--help") {
		t.Errorf("bad flag: exit %d, stderr %q", code, errOut.String())
	}
	errOut.Reset()
	if code := Main(context.Background(), []string{"run", "--secret", "x"}, std); code != exitUsage {
		t.Errorf("--secret is not a flag: exit %d", code)
	}
}
