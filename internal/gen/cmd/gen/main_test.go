package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crossborder/reconcile/internal/gen"
)

func TestRun(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "a-file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		args   []string
		status int
		out    string // in stdout
		errOut string // in stderr
	}{
		{"writes", []string{"-out", filepath.Join(dir, "night"), "-orders", "200", "-gbk", "-seed", "3", "-share", "fee=0.05,callback=10%",
			"-clearance", "20", "-next-day-bill", "-day", "2026-12-12"}, 0,
			"gen: 200 orders, 200 payments, 22 clearance rows", ""},
		{"customs", []string{"-out", filepath.Join(dir, "c"), "-orders", "10", "-customs", "NINGBO", "-share", "nocustoms=0.2"}, 0, "--orders " + filepath.Join(dir, "c", "orders"), ""},
		{"help", []string{"-h"}, 0, "Exit status: 0 written, 1 failed, 2 usage error.", ""},
		{"bad number", []string{"-orders", "many"}, 2, "", "invalid value"},
		{"bad share", []string{"-share", "fee=2"}, 2, "", "-share: share"},
		{"bad day", []string{"-day", "2026-02-30"}, 2, "", "-day: invalid date"},
		{"fee rate", []string{"-out", filepath.Join(dir, "r"), "-orders", "5", "-fee-rate", "0.38%"}, 0, "gen: 5 orders", ""},
		{"global", []string{"-out", filepath.Join(dir, "g"), "-orders", "20", "-global", "HKD", "-next-day-bill", "-share", "refund=0.5"}, 0, "gen: 20 orders, 30 payments", ""},
		{"bad currency", []string{"-out", filepath.Join(dir, "x"), "-global", "JPY"}, 1, "", `settlement currency "JPY": want one of AUD, CAD`},
		{"pasted bills", []string{"-out", filepath.Join(dir, "p"), "-orders", "50", "-paste-bills", "-share", "refund=0.2,edited=0.1"}, 0, "--customs HANGZHOU (2 BILL_MISMATCH: the run exits 1)", ""},
		{"bad fee rate", []string{"-fee-rate", "0.6"}, 2, "", "-fee-rate: fee rate \"0.6\": want a percentage"},
		{"argument", []string{"extra"}, 2, "", `unexpected argument "extra"`},
		{"nocustoms without customs", []string{"-out", filepath.Join(dir, "x"), "-share", "nocustoms=0.1"}, 1, "", "needs a customs code"},
		{"out is a file", []string{"-out", file, "-orders", "1"}, 1, "", "gen: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if got := run(tc.args, &stdout, &stderr); got != tc.status {
				t.Errorf("status %d, want %d; stderr %s", got, tc.status, stderr.String())
			}
			if !strings.Contains(stdout.String(), tc.out) {
				t.Errorf("stdout %q, want it to contain %q", stdout.String(), tc.out)
			}
			if !strings.Contains(stderr.String(), tc.errOut) {
				t.Errorf("stderr %q, want it to contain %q", stderr.String(), tc.errOut)
			}
			if tc.status == 0 && tc.name != "help" && strings.Count(stdout.String(), "\n") != 1 {
				t.Errorf("stdout %q, want one line", stdout.String())
			}
		})
	}

	b, err := os.ReadFile(filepath.Join(dir, "night", gen.ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	var m gen.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("manifest.json: %v", err)
	}
	if m.Day != "2026-12-12" || !m.GBK || m.Seed != 3 || m.Injected[gen.FeeMismatch] != 10 || m.Injected[gen.CallbackInvalid] != 2 || len(m.Files.Payments) != 2 {
		t.Errorf("manifest.json = %+v", m)
	}
}
