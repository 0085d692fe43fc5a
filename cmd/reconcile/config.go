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
)

// Settings come from three places; for each setting the first that has it
// wins:
//
//  1. the command line (--summary-json out/summary.json)
//  2. the environment (RECONCILE_SUMMARY_JSON=out/summary.json; lists
//     comma-separated; the app key also from TOP_APP_KEY)
//  3. the config file named by --config or RECONCILE_CONFIG, in TOML
//     (summary_json = "out/summary.json")
//
// then the flag's default. Every value goes through the flag's own parser,
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
	"dry_run", "fail_on_exceptions", "log_format", "quiet",
	"cron", "tz", "catch_up",
}

// forbiddenKeys would put a credential in the file.
var forbiddenKeys = []string{"secret", "app_secret", "session", "session_key", "top_app_secret", "top_session"}

func envName(key string) string { return "RECONCILE_" + strings.ToUpper(key) }

// applyConfig fills every flag of fs not given on the command line from the
// environment, then from the config file (configPath, else
// RECONCILE_CONFIG). Flags that are not settings (config, json, limit…)
// are left alone.
func applyConfig(fs *flag.FlagSet, configPath string, getenv func(string) string, environ []string) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	if err := checkEnviron(environ); err != nil {
		return err
	}
	if configPath == "" {
		configPath = getenv("RECONCILE_CONFIG")
	}
	file, err := readConfig(configPath)
	if err != nil {
		return err
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
		vals, ok := file[key]
		if !ok {
			return
		}
		if list, isList := f.Value.(*stringList); isList {
			*list = nil // the file's list replaces the default
		}
		for _, v := range vals {
			if err := fs.Set(f.Name, v); err != nil {
				errs = append(errs, fmt.Errorf("%s: %s = %q: %v", configPath, key, v, err))
			}
		}
	})
	if len(errs) > 0 {
		return &usageError{errors.Join(errs...)}
	}
	return nil
}

// checkEnviron refuses RECONCILE_ variables that are not settings: a typo
// would otherwise be ignored silently.
func checkEnviron(environ []string) error {
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "RECONCILE_") || name == "RECONCILE_CONFIG" {
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

// readConfig reads a TOML config file into its values, as the strings the
// flags parse. An empty path reads nothing.
func readConfig(path string) (map[string][]string, error) {
	if path == "" {
		return nil, nil
	}
	raw := map[string]any{}
	if _, err := toml.DecodeFile(path, &raw); err != nil {
		if os.IsNotExist(err) {
			return nil, usageErrorf("--config: %s does not exist", path)
		}
		return nil, usageErrorf("--config %s: %v", path, err)
	}
	out := map[string][]string{}
	var unknown []string
	for key, v := range raw {
		if slices.Contains(forbiddenKeys, key) {
			return nil, usageErrorf("%s: %q: the secret and the session never go in the config file; use TOP_APP_SECRET/TOP_SESSION or secret_file/session_file", path, key)
		}
		if !slices.Contains(configKeys, key) {
			unknown = append(unknown, key)
			continue
		}
		vals, err := configValues(v)
		if err != nil {
			return nil, usageErrorf("%s: %s: %v", path, key, err)
		}
		out[key] = vals
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, usageErrorf("%s: unknown keys %s (known: %s)", path, strings.Join(unknown, ", "), strings.Join(configKeys, ", "))
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
