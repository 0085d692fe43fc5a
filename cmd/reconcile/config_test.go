package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func env(kv ...string) (func(string) string, []string) {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	var list []string
	for k, v := range m {
		list = append(list, k+"="+v)
	}
	return func(k string) string { return m[k] }, list
}

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "reconcile.toml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// parseTestRun parses run's flags and applies the environment and the file.
func parseTestRun(t *testing.T, args []string, getenv func(string) string, environ []string) (*runOptions, error) {
	t.Helper()
	var o runOptions
	fs := o.flags("run")
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return &o, applyConfig(fs, o.config, o.store, getenv, environ)
}

func TestConfigPrecedence(t *testing.T) {
	file := writeConfig(t, `
orders = ["exports/a.csv", "exports/b.xlsx"]
payments = "exports/wechat"
summary_json = "from-file.json"
concurrency = 4
qps = 12.5
check_materials = true
app_key = "file-key"
customs = "NINGBO"
cron = "30 2 * * *"   # a schedule key: known, ignored by run
`)
	tests := []struct {
		name  string
		args  []string
		env   []string
		check func(*runOptions) string
	}{
		{"the file", []string{"--config", file}, nil, func(o *runOptions) string {
			if !slices.Equal(o.orders, []string{"exports/a.csv", "exports/b.xlsx"}) || o.summaryJSON != "from-file.json" ||
				o.concurrency != 4 || o.qps != 12.5 || !o.checkMaterials || o.appKey != "file-key" || o.customs != "NINGBO" {
				return "file values not applied"
			}
			return ""
		}},
		{"the environment over the file", []string{"--config", file},
			[]string{"RECONCILE_SUMMARY_JSON", "from-env.json", "RECONCILE_CONCURRENCY", "2", "RECONCILE_ORDERS", "x.csv,y.csv", "TOP_APP_KEY", "top-key"},
			func(o *runOptions) string {
				if o.summaryJSON != "from-env.json" || o.concurrency != 2 || !slices.Equal(o.orders, []string{"x.csv", "y.csv"}) || o.appKey != "top-key" {
					return "environment did not win over the file"
				}
				if o.qps != 12.5 {
					return "the file's other values were lost"
				}
				return ""
			}},
		{"flags over both", []string{"--config", file, "--summary-json", "flag.json", "--orders", "z.csv", "--app-key", "flag-key"},
			[]string{"RECONCILE_SUMMARY_JSON", "from-env.json", "RECONCILE_ORDERS", "x.csv", "RECONCILE_APP_KEY", "env-key"},
			func(o *runOptions) string {
				if o.summaryJSON != "flag.json" || !slices.Equal(o.orders, []string{"z.csv"}) || o.appKey != "flag-key" {
					return "flags did not win"
				}
				return ""
			}},
		{"RECONCILE_APP_KEY over TOP_APP_KEY", nil, []string{"RECONCILE_APP_KEY", "env-key", "TOP_APP_KEY", "top-key"}, func(o *runOptions) string {
			if o.appKey != "env-key" {
				return "app key " + o.appKey
			}
			return ""
		}},
		{"RECONCILE_CONFIG names the file", nil, []string{"RECONCILE_CONFIG", file}, func(o *runOptions) string {
			if o.summaryJSON != "from-file.json" {
				return "RECONCILE_CONFIG not read"
			}
			return ""
		}},
		{"defaults", nil, nil, func(o *runOptions) string {
			if o.concurrency != 8 || o.qps != 20 || o.report != "." || o.signMethod != "hmac-sha256" {
				return "defaults changed"
			}
			return ""
		}},
	}
	for _, tt := range tests {
		getenv, environ := env(tt.env...)
		o, err := parseTestRun(t, tt.args, getenv, environ)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if msg := tt.check(o); msg != "" {
			t.Errorf("%s: %s: %+v", tt.name, msg, o)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		file string // "" for none
		env  []string
		want string
	}{
		{"unknown key", "orders = \"a.csv\"\nodrers = \"b.csv\"\n", nil, "unknown keys odrers"},
		{"a secret in the file", "secret = \"s\"\n", nil, "never go in the config file"},
		{"a session in the file", "session = \"s\"\n", nil, "never go in the config file"},
		{"a bad value", "concurrency = \"many\"\n", nil, `concurrency = "many"`},
		{"a table for a setting", "[orders]\nfile = \"x\"\n", nil, "unsupported value"},
		{"an unknown table", "[sandbox]\nlisten = \"x\"\n", nil, "unknown keys sandbox"},
		{"not TOML", "orders = [\n", nil, "--config"},
		{"unknown variable", "", []string{"RECONCILE_ODRERS", "a.csv"}, "unknown environment variable RECONCILE_ODRERS"},
		{"a secret variable", "", []string{"RECONCILE_SECRET", "s"}, "never settings"},
		{"a bad variable value", "", []string{"RECONCILE_QPS", "fast"}, `RECONCILE_QPS="fast"`},
	}
	for _, tt := range tests {
		args := []string{}
		if tt.file != "" {
			args = append(args, "--config", writeConfig(t, tt.file))
		}
		getenv, environ := env(tt.env...)
		_, err := parseTestRun(t, args, getenv, environ)
		var ue *usageError
		if err == nil || !strings.Contains(err.Error(), tt.want) || !asUsage(err, &ue) {
			t.Errorf("%s: err = %v, want a usage error containing %q", tt.name, err, tt.want)
		}
	}
	_, err := parseTestRun(t, []string{"--config", "/no/such/reconcile.toml"}, func(string) string { return "" }, nil)
	if err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing file: %v", err)
	}
}

func asUsage(err error, ue **usageError) bool { return exitCode(err) == exitUsage }

// The sample config must be valid.
func TestSampleConfig(t *testing.T) {
	getenv, environ := env()
	o, err := parseTestRun(t, []string{"--config", "../../samples/reconcile.toml"}, getenv, environ)
	if err != nil {
		t.Fatalf("samples/reconcile.toml: %v", err)
	}
	if len(o.orders) == 0 || len(o.payments) == 0 || len(o.clearance) == 0 {
		t.Errorf("the sample config names no exports: %+v", o)
	}
}

func TestDefaultStateIsBesideTheWorkbooks(t *testing.T) {
	dir := t.TempDir()
	tests := []struct{ report, want string }{
		{dir, filepath.Join(dir, "reconcile.db")},
		{filepath.Join(dir, "missing") + "/", filepath.Join(dir, "missing", "reconcile.db")},
		// Not there yet, without a trailing separator: a directory too, as
		// the workbook's path has it, so that the journal does not move
		// once the directory exists.
		{filepath.Join(dir, "out"), filepath.Join(dir, "out", "reconcile.db")},
		{filepath.Join(dir, "out", "night.xlsx"), filepath.Join(dir, "out", "reconcile.db")},
		{".", "reconcile.db"},
	}
	for _, tt := range tests {
		if got := defaultState(tt.report); got != tt.want {
			t.Errorf("defaultState(%q) = %q, want %q", tt.report, got, tt.want)
		}
	}
}
