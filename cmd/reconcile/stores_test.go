package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crossborder/reconcile/internal/batch"
)

const storesConfig = `
orders = ["exports/{store}/orders.csv"]
report = "out/{store}/"
customs = "NINGBO"
qps = 30

[[store]]
name = "north"
customs = "HANGZHOU"

[[store]]
name = "south_2"
qps = 5
state = "/var/lib/reconcile/south.db"
`

// A store's table comes between the environment and the file's top level;
// {store} is the store's name in paths.
func TestStoreSettings(t *testing.T) {
	file := writeConfig(t, storesConfig)
	tests := []struct {
		name  string
		args  []string
		env   []string
		check func(o *runOptions) string
	}{
		{"north", []string{"--config", file, "--store", "north"}, nil, func(o *runOptions) string {
			if o.customs != "HANGZHOU" || o.qps != 30 || o.report != "out/north/" || o.orders[0] != "exports/north/orders.csv" || o.store != "north" {
				return "north's settings"
			}
			return ""
		}},
		{"south_2 over the top level", []string{"--config", file, "--store", "south_2"}, nil, func(o *runOptions) string {
			if o.customs != "NINGBO" || o.qps != 5 || o.state != "/var/lib/reconcile/south.db" || o.report != "out/south_2/" {
				return "south_2's settings"
			}
			return ""
		}},
		{"the environment over the store", []string{"--config", file, "--store", "south_2"}, []string{"RECONCILE_QPS", "7"}, func(o *runOptions) string {
			if o.qps != 7 {
				return "RECONCILE_QPS lost to the store's table"
			}
			return ""
		}},
		{"a flag over all", []string{"--config", file, "--store", "north", "--customs", "SHANGHAI", "--report", "x/{store}.xlsx"}, nil, func(o *runOptions) string {
			if o.customs != "SHANGHAI" || o.report != "x/north.xlsx" {
				return "the flags lost"
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

func TestStoreErrors(t *testing.T) {
	good := writeConfig(t, storesConfig)
	tests := []struct {
		name string
		file string
		args []string
		want string
	}{
		{"no store given", good, nil, "has stores (north, south_2): give --store NAME (run and schedule also take --all-stores)"},
		{"an unknown store", good, []string{"--store", "west"}, "has no such store (it has north, south_2)"},
		{"a store without stores", "orders = \"a.csv\"\n", []string{"--store", "north"}, "has no [[store]] tables"},
		{"{store} without a store", "orders = \"exports/{store}.csv\"\n", nil, "{store} stands for a store's name"},
		{"a bad name", "[[store]]\nname = \"North Shop\"\n", []string{"--store", "North Shop"}, `bad store name "North Shop"`},
		{"a name without a letter first", "[[store]]\nname = \"2nd\"\n", []string{"--store", "2nd"}, `bad store name "2nd"`},
		{"two of one name", "[[store]]\nname = \"a\"\n[[store]]\nname = \"a\"\n", []string{"--store", "a"}, "two [[store]] tables are named a"},
		{"a global key in a store", "[[store]]\nname = \"a\"\ncron = \"@daily\"\n", []string{"--store", "a"}, "[[store]] a: unknown keys cron"},
		{"a secret in a store", "[[store]]\nname = \"a\"\nsecret = \"s\"\n", []string{"--store", "a"}, "never go in the config file"},
	}
	for _, tt := range tests {
		getenv, environ := env()
		_, err := parseTestRun(t, append([]string{"--config", writeConfig(t, tt.file)}, tt.args...), getenv, environ)
		if tt.file == good {
			_, err = parseTestRun(t, append([]string{"--config", good}, tt.args...), getenv, environ)
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) || exitCode(err) != exitUsage {
			t.Errorf("%s: %v, want a usage error containing %q", tt.name, err, tt.want)
		}
	}
}

// Two stores of one config, at once, against one sandbox: each writes its
// own journal, workbook and summary, and both complete.
func TestAllStores(t *testing.T) {
	bin := reconcileBinary(t)
	url := startSandbox(t, bin)
	dir := t.TempDir()
	night := func(store string) {
		d := filepath.Join(dir, "exports", store)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		writeNight(t, d, 20)
	}
	night("north")
	night("south")
	cfg := filepath.Join(dir, "reconcile.toml")
	body := `gateway = "` + url + `"
customs = "NINGBO"
orders = ["` + dir + `/exports/{store}/orders.csv"]
payments = ["` + dir + `/exports/{store}/payments.csv"]
report = "` + dir + `/out/{store}/"
summary_json = "` + dir + `/out/{store}/summary.json"
date = "2026-11-20"

[[store]]
name = "north"

[[store]]
name = "south"
qps = 15
`
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runBinary(t, bin, "run", "--config", cfg, "--all-stores", "--stores-concurrency", "2")
	if code != 0 {
		t.Fatalf("--all-stores: exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, store := range []string{"north", "south"} {
		b, err := os.ReadFile(filepath.Join(dir, "out", store, "summary.json"))
		if err != nil {
			t.Fatal(err)
		}
		var s batch.Summary
		if err := json.Unmarshal(b, &s); err != nil {
			t.Fatal(err)
		}
		if s.Declared != 20 || s.Status != "completed" {
			t.Errorf("store %s: declared %d, %s; want 20, completed", store, s.Declared, s.Status)
		}
		for _, f := range []string{"reconcile_2026-11-20.xlsx", "reconcile.db"} {
			if _, err := os.Stat(filepath.Join(dir, "out", store, f)); err != nil {
				t.Errorf("store %s: %v", store, err)
			}
		}
		if !strings.Contains(stdout, "store "+store) {
			t.Errorf("the output does not name store %s:\n%s", store, stdout)
		}
	}
	// One store's failure is the run's exit status; the other completes.
	os.Remove(filepath.Join(dir, "exports", "south", "orders.csv"))
	code, stdout, stderr = runBinary(t, bin, "run", "--config", cfg, "--all-stores")
	if code != 1 || !strings.Contains(stderr, "store south") || !strings.Contains(stdout, "store north") {
		t.Errorf("a store without its exports: exit %d, want 1 naming it\n%s\n%s", code, stdout, stderr)
	}
}
