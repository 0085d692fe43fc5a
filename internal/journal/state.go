package journal

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// What a state (the --state value given to Open) names.
type stateKind int

const (
	stateFile     stateKind = iota // a SQLite file
	statePostgres                  // a PostgreSQL connection string
)

// urlLike matches the scheme of a value that looks like a URL: two or
// more letters, digits, '+', '-' or '.', beginning with a letter, then
// ':' ("C:\..." is a Windows path, not a URL).
var urlLike = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9+.-]+):`)

// libpqKeyword matches the first key of a libpq key=value connection
// string; it is one of libpq's connection parameters, so that a file
// named "a=b.db" stays a file.
var libpqKeyword = regexp.MustCompile(`^\s*(host|hostaddr|port|dbname|user|password|passfile|service|servicefile|connect_timeout|options|application_name|sslmode|sslcert|sslkey|sslrootcert|sslpassword|target_session_attrs)\s*=`)

// ErrBadState: a state Open refuses because it looks like a URL of a kind
// the journal is not kept in (mysql://..., sqlite:..., file:...).
var ErrBadState = errors.New("not a kind of journal this program keeps")

// classify tells what state names: a PostgreSQL connection string (a
// postgres:// or postgresql:// URL, or a libpq key=value string whose
// first key is a libpq parameter), a SQLite file (anything else), or
// nothing the journal takes: any other URL, which today would have become
// a file named after it.
func classify(state string) (stateKind, error) {
	s := strings.TrimSpace(state)
	if m := urlLike.FindStringSubmatch(s); m != nil {
		scheme := strings.ToLower(m[1])
		if (scheme == "postgres" || scheme == "postgresql") && strings.HasPrefix(s[len(m[0]):], "//") {
			return statePostgres, nil
		}
		hint := ""
		if scheme == "sqlite" || scheme == "sqlite3" || scheme == "file" {
			hint = fmt.Sprintf(" (a SQLite file is given by its path alone, without %s:)", m[1])
		}
		file := ""
		if !strings.HasPrefix(s[len(m[0]):], "//") {
			file = fmt.Sprintf("; for a file whose name has a colon, write ./%s", Redact(state))
		}
		return 0, fmt.Errorf("journal %s: %s: is %w%s: give a PostgreSQL connection string (postgres://…, postgresql://…, or key=value such as host=… dbname=…) or the path of a SQLite file%s",
			Redact(state), m[1], ErrBadState, hint, file)
	}
	if libpqKeyword.MatchString(s) {
		return statePostgres, nil
	}
	return stateFile, nil
}

// IsFile reports whether state, a value for [Open], names a SQLite file
// (a path), rather than a PostgreSQL database or a URL Open refuses: the
// command creates a file's directory, and only a file's.
func IsFile(state string) bool {
	k, err := classify(state)
	return err == nil && k == stateFile
}

// mask replaces a password wherever it is shown.
const mask = "xxxxx"

// kvPassword matches a password or sslpassword of a key=value connection
// string, quoted ('...', with \' and \\ inside) or not.
var kvPassword = regexp.MustCompile(`(^|\s)((?i:ssl)?(?i:password))(\s*=\s*)('(?:[^'\\]|\\.)*'?|\S*)`)

// Redact returns state as it may be shown: the password of a connection
// string (in a URL's user info, as a password or sslpassword parameter,
// or as a key=value) replaced by xxxxx. A file's path is returned as it
// is. Errors, logs and [Journal.Path] only ever show a state redacted.
func Redact(state string) string {
	if m := urlLike.FindStringSubmatch(strings.TrimSpace(state)); m != nil {
		return redactURL(state)
	}
	if libpqKeyword.MatchString(state) {
		return kvPassword.ReplaceAllString(state, "${1}${2}${3}"+mask)
	}
	return state
}

// redactURL masks the password of a URL's user info and its password and
// sslpassword query parameters. A URL that does not parse shows nothing
// between "//" and its last '@'.
func redactURL(s string) string {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		i := strings.Index(s, "//")
		if i < 0 {
			return kvPassword.ReplaceAllString(s, "${1}${2}${3}"+mask)
		}
		rest := s[i+2:]
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			rest = mask + rest[at:]
		}
		rest = regexp.MustCompile(`(?i)((?:ssl)?password=)[^&]*`).ReplaceAllString(rest, "${1}"+mask)
		return s[:i+2] + rest
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), mask)
		}
	}
	if u.RawQuery != "" {
		parts := strings.Split(u.RawQuery, "&")
		for i, p := range parts {
			k, _, _ := strings.Cut(p, "=")
			if dk, err := url.QueryUnescape(k); err == nil && isPasswordKey(dk) || isPasswordKey(k) {
				parts[i] = k + "=" + mask
			}
		}
		u.RawQuery = strings.Join(parts, "&")
	}
	return u.String()
}

func isPasswordKey(k string) bool {
	k = strings.ToLower(k)
	return k == "password" || k == "sslpassword"
}

// secrets returns the passwords state holds, as written and decoded, for
// scrubbing errors that may quote them.
func secrets(state string) []string {
	var out []string
	add := func(s string) {
		if s != "" {
			out = append(out, s)
		}
	}
	s := strings.TrimSpace(state)
	if urlLike.MatchString(s) {
		if i := strings.Index(s, "//"); i >= 0 {
			rest := s[i+2:]
			if at := strings.LastIndex(rest, "@"); at >= 0 {
				if _, pw, ok := strings.Cut(rest[:at], ":"); ok {
					add(pw)
					if d, err := url.PathUnescape(pw); err == nil {
						add(d)
					}
				}
			}
		}
		if u, err := url.Parse(s); err == nil {
			if u.User != nil {
				if pw, ok := u.User.Password(); ok {
					add(pw)
				}
			}
			for k, vs := range u.Query() {
				if isPasswordKey(k) {
					for _, v := range vs {
						add(v)
					}
				}
			}
		}
		for _, m := range regexp.MustCompile(`(?i)(?:ssl)?password=([^&#]*)`).FindAllStringSubmatch(s, -1) {
			add(m[1])
			if d, err := url.QueryUnescape(m[1]); err == nil {
				add(d)
			}
		}
		return out
	}
	for _, m := range kvPassword.FindAllStringSubmatch(s, -1) {
		v := m[4]
		add(v)
		if strings.HasPrefix(v, "'") {
			v = strings.TrimSuffix(strings.TrimPrefix(v, "'"), "'")
			add(v)
			add(strings.NewReplacer(`\'`, `'`, `\\`, `\`).Replace(v))
		}
	}
	return out
}

// scrubbed is an error whose message has had the passwords of a
// connection string taken out; it unwraps to the error it was made from,
// for errors.Is and errors.As.
type scrubbed struct {
	msg string
	err error
}

func (e *scrubbed) Error() string { return e.msg }
func (e *scrubbed) Unwrap() error { return e.err }

// scrub returns err with every one of secrets in its message replaced by
// xxxxx; nil for nil.
func scrub(err error, secrets []string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	for _, s := range secrets {
		msg = strings.ReplaceAll(msg, s, mask)
	}
	return &scrubbed{msg: msg, err: err}
}

// Store names: see [ValidStore].
var storeName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,47}$`)

// ErrBadStore: a store name [ValidStore] refuses.
var ErrBadStore = errors.New("bad store name")

// ValidStore reports why name cannot name a store, or nil. "" is the
// default store; any other name is 1 to 48 lower-case ASCII letters,
// digits and underscores, beginning with a letter, so that it names the
// PostgreSQL schema reconcile_<name> as it is, unquoted, and no two names
// share a schema.
func ValidStore(name string) error {
	if name == "" || storeName.MatchString(name) {
		return nil
	}
	return fmt.Errorf("%w %q: a store's name is 1 to 48 lower-case letters (a-z), digits and underscores, beginning with a letter (such as acme_hk); it names the PostgreSQL schema reconcile_<name>", ErrBadStore, name)
}

// schemaOf is the PostgreSQL schema of store: reconcile for the default
// store, reconcile_<name> for the others.
func schemaOf(store string) string {
	if store == "" {
		return "reconcile"
	}
	return "reconcile_" + store
}

// label is how errors name a journal: its path (a connection string
// redacted), its store, and on PostgreSQL its schema.
func label(path, store, schema string) string {
	switch {
	case store != "" && schema != "":
		return fmt.Sprintf("%s (store %s, schema %s)", path, store, schema)
	case schema != "":
		return fmt.Sprintf("%s (schema %s)", path, schema)
	case store != "":
		return fmt.Sprintf("%s (store %s)", path, store)
	}
	return path
}
