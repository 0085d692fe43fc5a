package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/crossborder/reconcile/internal/journal"
)

// Settings come from three places; for each setting the first that has it
// wins:
//
//  1. the command line (--summary-json out/summary.json)
//  2. the environment (RECONCILE_SUMMARY_JSON=out/summary.json; lists
//     comma-separated; the app key also from TOP_APP_KEY)
//  3. for a run of one store (--store NAME, or each of --all-stores), that
//     store's [[store]] table of the config file
//  4. the config file named by --config or RECONCILE_CONFIG, in TOML
//     (summary_json = "out/summary.json")
//
// then the flag's default. In a run of a store, {store} in a path-valued
// setting (report, state, summary_json, …) is the store's name, wherever
// the value came from. Every value goes through the flag's own parser,
// so a bad value says where it came from. Unknown keys in the file and
// unknown RECONCILE_ variables are errors. The app secret and the session
// key are never settings: they come from TOP_APP_SECRET and TOP_SESSION or
// from the files named by secret_file and session_file.

// configKeys are the keys a config file may hold: the settings of run and
// schedule. A command applies the keys it has flags for.
var configKeys = []string{
	"orders", "payments", "clearance", "date", "from", "to", "report", "summary_json", "state", "notes_from",
	"gateway", "app_key", "secret_file", "session_file", "sign_method", "customs", "concurrency", "qps", "max_ban_wait",
	"check_materials", "allow_bill_mismatch", "order_limit", "annual_limit", "pii_key_file", "follow_up_days",
	"notify", "dingtalk_secret_file", "feishu_secret_file", "metrics_file", "pushgateway",
	"dry_run", "fail_on_exceptions", "log_format", "quiet",
	"cron", "tz", "catch_up",
}

// storeKeys are the keys a [[store]] table may hold besides its name:
// what differs between the stores of one operator. The window, the
// schedule, the log and dry_run stay global.
var storeKeys = []string{
	"orders", "payments", "clearance", "report", "summary_json", "state", "notes_from",
	"gateway", "app_key", "secret_file", "session_file", "sign_method", "customs", "concurrency", "qps", "max_ban_wait",
	"check_materials", "allow_bill_mismatch", "order_limit", "annual_limit", "pii_key_file", "follow_up_days",
	"notify", "dingtalk_secret_file", "feishu_secret_file", "metrics_file", "pushgateway", "fail_on_exceptions",
}

// pathKeys are the settings in which {store} stands for the store's name.
var pathKeys = []string{"orders", "payments", "clearance", "report", "summary_json", "state", "notes_from",
	"secret_file", "session_file", "pii_key_file", "dingtalk_secret_file", "feishu_secret_file", "metrics_file"}

// forbiddenKeys would put a credential in the file.
var forbiddenKeys = []string{"secret", "app_secret", "session", "session_key", "top_app_secret", "top_session",
	"dingtalk_secret", "feishu_secret"}

// secretEnv are the RECONCILE_ variables that hold a credential: read by
// the command itself, never settings (the file may not hold them).
var secretEnv = []string{"RECONCILE_DINGTALK_SECRET", "RECONCILE_FEISHU_SECRET"}

func envName(key string) string { return "RECONCILE_" + strings.ToUpper(key) }

// applyConfig fills every flag of fs not given on the command line from the
// environment, then from the config file (configPath, else
// RECONCILE_CONFIG). Flags that are not settings (config, json, limit…)
// are left alone.
//
// store is the store to run ("" for none): its [[store]] table comes
// between the environment and the file's top level. A file that has
// [[store]] tables must be run with a store: its top level alone is no
// store's.
func applyConfig(fs *flag.FlagSet, configPath, store string, getenv func(string) string, environ []string) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	if err := checkEnviron(environ); err != nil {
		return err
	}
	if configPath == "" {
		configPath = getenv("RECONCILE_CONFIG")
	}
	cfg, err := readConfig(configPath)
	if err != nil {
		return err
	}
	file := cfg.values
	var table map[string][]string
	switch {
	case store != "":
		st, ok := cfg.store(store)
		if !ok {
			return usageErrorf("--store %s: %s", store, cfg.noStore())
		}
		table = st.values
	case len(cfg.stores) > 0:
		return usageErrorf("%s has stores (%s): give --store NAME (run and schedule also take --all-stores)", configPath, strings.Join(cfg.names(), ", "))
	}

	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		key := strings.ReplaceAll(f.Name, "-", "_")
		if set[f.Name] || !slices.Contains(configKeys, key) {
			return
		}
		if v := getenv(envName(key)); v != "" {
			if err := fs.Set(f.Name, v); err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: %v", envName(key), v, err))
			}
			return
		}
		if key == "app_key" {
			if v := getenv("TOP_APP_KEY"); v != "" {
				fs.Set(f.Name, v)
				return
			}
		}
		where := configPath
		vals, ok := table[key]
		if ok {
			where = fmt.Sprintf("%s [[store]] %s", configPath, store)
		} else if vals, ok = file[key]; !ok {
			return
		}
		if list, isList := f.Value.(*stringList); isList {
			*list = nil // the file's list replaces the default
		}
		for _, v := range vals {
			if err := fs.Set(f.Name, v); err != nil {
				errs = append(errs, fmt.Errorf("%s: %s = %q: %v", where, key, v, err))
			}
		}
	})
	if len(errs) > 0 {
		return &usageError{errors.Join(errs...)}
	}
	return expandStore(fs, store)
}

// expandStore replaces {store} in the path-valued flags of fs with the
// store's name; without a store, {store} is an error.
func expandStore(fs *flag.FlagSet, store string) error {
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		key := strings.ReplaceAll(f.Name, "-", "_")
		v := f.Value.String()
		if !slices.Contains(pathKeys, key) || !strings.Contains(v, "{store}") {
			return
		}
		if store == "" {
			errs = append(errs, fmt.Errorf("--%s %s: {store} stands for a store's name, and this is no run of a store (--store NAME)", f.Name, v))
			return
		}
		if list, isList := f.Value.(*stringList); isList {
			for i := range *list {
				(*list)[i] = strings.ReplaceAll((*list)[i], "{store}", store)
			}
			return
		}
		fs.Set(f.Name, strings.ReplaceAll(v, "{store}", store))
	})
	if len(errs) > 0 {
		return &usageError{errors.Join(errs...)}
	}
	return nil
}

// storeNames returns the names of the config file's stores, in the file's
// order, for --all-stores: an error when it has none.
func storeNames(configPath string, getenv func(string) string) ([]string, error) {
	if configPath == "" {
		configPath = getenv("RECONCILE_CONFIG")
	}
	if configPath == "" {
		return nil, usageErrorf("--all-stores: the stores are [[store]] tables of a config file: give --config")
	}
	cfg, err := readConfig(configPath)
	if err != nil {
		return nil, err
	}
	if len(cfg.stores) == 0 {
		return nil, usageErrorf("--all-stores: %s has no [[store]] tables", configPath)
	}
	return cfg.names(), nil
}

// checkEnviron refuses RECONCILE_ variables that are not settings: a typo
// would otherwise be ignored silently.
func checkEnviron(environ []string) error {
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "RECONCILE_") || name == "RECONCILE_CONFIG" || slices.Contains(secretEnv, name) {
			continue
		}
		key := strings.ToLower(strings.TrimPrefix(name, "RECONCILE_"))
		if slices.Contains(forbiddenKeys, key) {
			return usageErrorf("%s: the secret and the session are never settings; use TOP_APP_SECRET/TOP_SESSION or --secret-file/--session-file", name)
		}
		if !slices.Contains(configKeys, key) {
			return usageErrorf("unknown environment variable %s (known: %s)", name, knownEnv())
		}
	}
	return nil
}

func knownEnv() string {
	var names []string
	for _, k := range configKeys {
		names = append(names, envName(k))
	}
	return strings.Join(append(names, "RECONCILE_CONFIG"), ", ")
}

// configFile is a config file as read: its top-level values and its
// stores, as the strings the flags parse.
type configFile struct {
	path   string
	values map[string][]string
	stores []storeTable
}

// storeTable is a [[store]] table.
type storeTable struct {
	name   string
	values map[string][]string
}

func (c *configFile) store(name string) (storeTable, bool) {
	for _, s := range c.stores {
		if s.name == name {
			return s, true
		}
	}
	return storeTable{}, false
}

func (c *configFile) names() []string {
	var out []string
	for _, s := range c.stores {
		out = append(out, s.name)
	}
	return out
}

func (c *configFile) noStore() string {
	if c.path == "" {
		return "the stores are [[store]] tables of a config file: give --config"
	}
	if len(c.stores) == 0 {
		return c.path + " has no [[store]] tables"
	}
	return fmt.Sprintf("%s has no such store (it has %s)", c.path, strings.Join(c.names(), ", "))
}

// readConfig reads a TOML config file. An empty path reads nothing.
func readConfig(path string) (*configFile, error) {
	cfg := &configFile{path: path}
	if path == "" {
		return cfg, nil
	}
	raw := map[string]any{}
	if _, err := toml.DecodeFile(path, &raw); err != nil {
		if os.IsNotExist(err) {
			return nil, usageErrorf("--config: %s does not exist", path)
		}
		return nil, usageErrorf("--config %s: %v", path, err)
	}
	stores, hasStores := raw["store"]
	delete(raw, "store")
	var err error
	if cfg.values, err = configTable(path, raw, configKeys); err != nil {
		return nil, err
	}
	if !hasStores {
		return cfg, nil
	}
	tables, ok := stores.([]map[string]any)
	if !ok {
		return nil, usageErrorf("%s: store: want [[store]] tables, each with a name", path)
	}
	for i, t := range tables {
		name, _ := t["name"].(string)
		delete(t, "name")
		switch err := journal.ValidStore(name); {
		case name == "":
			return nil, usageErrorf("%s: [[store]] %d has no name", path, i+1)
		case err != nil:
			return nil, usageErrorf("%s: [[store]] %d: %v", path, i+1, err)
		case slices.Contains(cfg.names(), name):
			return nil, usageErrorf("%s: two [[store]] tables are named %s", path, name)
		}
		where := fmt.Sprintf("%s [[store]] %s", path, name)
		vals, err := configTable(where, t, storeKeys)
		if err != nil {
			return nil, err
		}
		cfg.stores = append(cfg.stores, storeTable{name: name, values: vals})
	}
	return cfg, nil
}

// configTable reads the keys of one table (where names it in errors),
// refusing a credential and any key not in known.
func configTable(where string, raw map[string]any, known []string) (map[string][]string, error) {
	out := map[string][]string{}
	var unknown []string
	for key, v := range raw {
		if slices.Contains(forbiddenKeys, key) {
			return nil, usageErrorf("%s: %q: the secret and the session never go in the config file; use TOP_APP_SECRET/TOP_SESSION or secret_file/session_file", where, key)
		}
		if !slices.Contains(known, key) {
			unknown = append(unknown, key)
			continue
		}
		vals, err := configValues(v)
		if err != nil {
			return nil, usageErrorf("%s: %s: %v", where, key, err)
		}
		out[key] = vals
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, usageErrorf("%s: unknown keys %s (known: %s)", where, strings.Join(unknown, ", "), strings.Join(known, ", "))
	}
	return out, nil
}

// configValues turns a TOML value into flag values: a scalar into one,
// an array of scalars into one each.
func configValues(v any) ([]string, error) {
	switch v := v.(type) {
	case string, bool, int64, float64:
		return []string{fmt.Sprint(v)}, nil
	case []any:
		var out []string
		for _, e := range v {
			s, err := configValues(e)
			if err != nil || len(s) != 1 {
				return nil, errors.New("a list may hold only strings, numbers and booleans")
			}
			out = append(out, s...)
		}
		return out, nil
	}
	return nil, fmt.Errorf("unsupported value %v (%T): want a string, number, boolean or list", v, v)
}
