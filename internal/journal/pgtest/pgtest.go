// Package pgtest starts a throw-away PostgreSQL server for tests: the
// journal's contract suite runs against it, and the command's crash tests.
package pgtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// The PostgreSQL tests run against a throw-away
// cluster the test binary starts itself from the machine's server
// binaries: initdb into a temporary directory, postgres listening on a
// Unix socket in that directory and on a free port of 127.0.0.1, one
// database created; TestMain calls Stop, which stops it and removes the
// directory. Or against a server given by JOURNAL_TEST_PG_DSN (a connection
// string of a user who may create databases: a database is created for
// the run and dropped after it).
//
// Where the binaries are looked for: $JOURNAL_TEST_PG_BIN, then
// `pg_config --bindir`, then /usr/lib/postgresql/<version>/bin (the
// newest first), /usr/local/pgsql/bin, and $PATH. When there are none,
// the PostgreSQL tests fail under CI=true and are skipped otherwise,
// with one line saying how to install them. Binaries that are there but
// do not start a cluster always fail the tests.
//
// initdb and postgres refuse to run as root: as root (as in CI
// containers) they run as nobody, who owns the directory.
const (
	pgDSNEnv   = "JOURNAL_TEST_PG_DSN"
	pgBinEnv   = "JOURNAL_TEST_PG_BIN"
	pgFsyncEnv = "JOURNAL_TEST_PG_FSYNC" // "on": keep fsync, for the benchmarks' figures
)

// Server is the PostgreSQL server of the tests.
type Server struct {
	DSN     string // key=value, Unix socket, the test database
	TCPURL  string // postgres:// URL of the same database over TCP ("" for an external server)
	Admin   string // the maintenance database
	Version string

	stop func() // stops the cluster and removes its directory
}

var pgState struct {
	once    sync.Once
	srv     *Server
	err     error // why there is no server
	missing bool  // no binaries: a skip, unless CI
	warned  sync.Once
}

// Start returns the tests' PostgreSQL server, starting it on first use;
// without one it fails the test under CI=true, else skips it, saying once
// how to install one.
func Start(t testing.TB) *Server {
	t.Helper()
	pgState.once.Do(func() {
		pgState.srv, pgState.missing, pgState.err = startPG()
	})
	if pgState.srv != nil {
		return pgState.srv
	}
	if pgState.missing && os.Getenv("CI") != "true" {
		pgState.warned.Do(func() { loudLine(pgState.err) })
		t.Skip("no PostgreSQL server binaries (see the line above)")
	}
	t.Fatalf("PostgreSQL tests: %v", pgState.err)
	return nil
}

// loudLine says once, where the developer sees it, that the PostgreSQL
// tests were skipped and how to get them: on the terminal when there is
// one (go test hides the output of a package that passes), else on
// standard error.
func loudLine(why error) {
	msg := fmt.Sprintf("\n*** %s: the PostgreSQL tests are SKIPPED: %v. Install a server (apt-get install postgresql), or set %s or %s; under CI=true this is a failure. ***\n\n",
		filepath.Base(os.Args[0]), why, pgBinEnv, pgDSNEnv)
	if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
		tty.WriteString(msg)
		tty.Close()
		return
	}
	os.Stderr.WriteString(msg)
}

// Stop stops the server if one was started; TestMain calls it.
func Stop() {
	if pgState.srv != nil && pgState.srv.stop != nil {
		pgState.srv.stop()
	}
}

// startPG starts the cluster, or uses $JOURNAL_TEST_PG_DSN. missing
// reports that no server binaries were found.
func startPG() (srv *Server, missing bool, err error) {
	if dsn := os.Getenv(pgDSNEnv); dsn != "" {
		srv, err := externalPG(dsn)
		return srv, false, err
	}
	bin, err := pgBinaries()
	if err != nil {
		var e errExplicit
		return nil, !errors.As(err, &e), err // a directory given that holds none is a failure
	}
	srv, err = clusterPG(bin)
	return srv, false, err
}

// pgBinaries finds the directory of initdb and postgres.
func pgBinaries() (string, error) {
	has := func(dir string) bool {
		for _, b := range []string{"initdb", "postgres"} {
			if fi, err := os.Stat(filepath.Join(dir, b)); err != nil || fi.IsDir() {
				return false
			}
		}
		return true
	}
	var tried []string
	try := func(dir string) bool {
		if dir == "" {
			return false
		}
		tried = append(tried, dir)
		return has(dir)
	}
	if d := os.Getenv(pgBinEnv); d != "" {
		if try(d) {
			return d, nil
		}
		return "", errExplicit{fmt.Errorf("%s=%s holds no initdb and postgres", pgBinEnv, d)}
	}
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		if d := strings.TrimSpace(string(out)); try(d) {
			return d, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int { // newest version first
		va, _ := strconv.Atoi(filepath.Base(filepath.Dir(a)))
		vb, _ := strconv.Atoi(filepath.Base(filepath.Dir(b)))
		return vb - va
	})
	for _, d := range append(dirs, "/usr/local/pgsql/bin") {
		if try(d) {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		if d := filepath.Dir(p); try(d) {
			return d, nil
		}
	}
	return "", fmt.Errorf("no PostgreSQL server binaries (initdb, postgres) in %s or $PATH", strings.Join(append(tried, "/usr/lib/postgresql/*/bin"), ", "))
}

// asServerUser makes cmd run as nobody when this process is root:
// initdb and postgres refuse root.
func asServerUser(cmd *exec.Cmd) {
	if os.Geteuid() != 0 {
		return
	}
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Credential = &syscall.Credential{Uid: 65534, Gid: 65534}
}

// clusterPG initdbs a cluster in a new temporary directory and starts it.
func clusterPG(bin string) (*Server, error) {
	parent := ""
	if os.Geteuid() == 0 {
		parent = "/tmp" // nobody must reach it
	}
	dir, err := os.MkdirTemp(parent, "journal-pg-")
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*Server, error) {
		os.RemoveAll(dir)
		return nil, err
	}
	if os.Geteuid() == 0 {
		if err := os.Chown(dir, 65534, 65534); err != nil {
			return fail(err)
		}
	}
	data := filepath.Join(dir, "data")
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "-N")
	initdb.Dir = dir
	asServerUser(initdb)
	if out, err := initdb.CombinedOutput(); err != nil {
		return fail(fmt.Errorf("initdb: %v\n%s", err, out))
	}
	port, err := FreePort()
	if err != nil {
		return fail(err)
	}
	args := []string{"-D", data, "-k", dir, "-p", strconv.Itoa(port), "-c", "listen_addresses=127.0.0.1",
		"-c", "max_connections=300", "-c", "shared_buffers=32MB", "-c", "log_min_messages=warning"}
	if os.Getenv(pgFsyncEnv) != "on" {
		// A throw-away cluster: nothing to keep through a crash.
		args = append(args, "-c", "fsync=off", "-c", "full_page_writes=off", "-c", "synchronous_commit=off")
	}
	logPath := filepath.Join(dir, "postgres.log")
	logf, err := os.Create(logPath)
	if err != nil {
		return fail(err)
	}
	if os.Geteuid() == 0 {
		os.Chown(logPath, 65534, 65534)
	}
	// The server is started from a goroutine locked to its thread, which
	// stays until the server is stopped: the parent-death signal
	// (SIGQUIT, the server's immediate shutdown, if this process dies
	// without stopping it) is bound to the thread that started the
	// child.
	cmd := exec.Command(filepath.Join(bin, "postgres"), args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGQUIT}
	asServerUser(cmd)
	started := make(chan error)
	exited := make(chan error, 1)
	release := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		go func() { exited <- cmd.Wait() }()
		<-release
	}()
	if err := <-started; err != nil {
		logf.Close()
		return fail(fmt.Errorf("start postgres: %w", err))
	}
	srv := &Server{
		Admin:  fmt.Sprintf("host=%s port=%d user=postgres dbname=postgres", dir, port),
		DSN:    fmt.Sprintf("host=%s port=%d user=postgres dbname=journal_test", dir, port),
		TCPURL: fmt.Sprintf("postgres://postgres@127.0.0.1:%d/journal_test?sslmode=disable", port),
	}
	var once sync.Once
	srv.stop = func() {
		once.Do(func() {
			cmd.Process.Signal(syscall.SIGINT) // fast shutdown
			select {
			case <-exited:
			case <-time.After(15 * time.Second):
				cmd.Process.Kill()
				<-exited
			}
			close(release)
			logf.Close()
			os.RemoveAll(dir)
		})
	}
	// Wait for it to take connections.
	deadline := time.Now().Add(60 * time.Second)
	for {
		err := pingPG(srv.Admin)
		if err == nil {
			break
		}
		select {
		case werr := <-exited:
			exited <- werr
			out, _ := os.ReadFile(logPath)
			srv.stop()
			return nil, fmt.Errorf("postgres exited (%v):\n%s", werr, out)
		default:
		}
		if time.Now().After(deadline) {
			out, _ := os.ReadFile(logPath)
			srv.stop()
			return nil, fmt.Errorf("postgres did not start in a minute (%v):\n%s", err, out)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := adminExec(srv.Admin, `CREATE DATABASE journal_test`); err != nil {
		srv.stop()
		return nil, err
	}
	srv.Version, _ = serverVersion(srv.DSN)
	return srv, nil
}

// externalPG creates a database for the tests in the server dsn names,
// dropped by stop.
func externalPG(dsn string) (*Server, error) {
	if _, err := pgx.ParseConfig(dsn); err != nil {
		return nil, fmt.Errorf("%s: not a connection string pgx reads", pgDSNEnv)
	}
	db := fmt.Sprintf("journal_test_%d_%d", os.Getpid(), time.Now().UnixNano()%1e6)
	if err := adminExec(dsn, `CREATE DATABASE `+db); err != nil {
		return nil, fmt.Errorf("%s: %v", pgDSNEnv, redactErr(err, dsn))
	}
	srv := &Server{Admin: dsn}
	if u, err := url.Parse(dsn); err == nil && strings.Contains(dsn, "://") {
		u.Path = "/" + db
		srv.DSN = u.String()
	} else {
		srv.DSN = dsn + " dbname=" + db // the last of a key wins
	}
	srv.stop = func() { adminExec(dsn, `DROP DATABASE `+db+` WITH (FORCE)`) }
	srv.Version, _ = serverVersion(srv.DSN)
	return srv, nil
}

// errExplicit is a server asked for that is not there: never a skip.
type errExplicit struct{ error }

func (e errExplicit) Unwrap() error { return e.error }

// FreePort returns a TCP port of 127.0.0.1 that nobody listened on a
// moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func pingPG(dsn string) error {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return db.PingContext(ctx)
}

func adminExec(dsn, q string) error {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.Exec(q)
	return err
}

func serverVersion(dsn string) (string, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return "", err
	}
	defer db.Close()
	var v string
	err = db.QueryRow(`SHOW server_version`).Scan(&v)
	return v, err
}

// DB opens the database of dsn directly, its search_path the schema (if
// any), bypassing the journal. The caller closes it.
func DB(t testing.TB, dsn, schema string) *sql.DB {
	t.Helper()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	if schema != "" {
		cfg.RuntimeParams["search_path"] = schema
	}
	return stdlib.OpenDB(*cfg)
}

// redactErr is err's text with the password of dsn, if any, masked. (The
// journal's own Redact cannot be used: the journal's tests import this
// package.)
func redactErr(err error, dsn string) string {
	msg := err.Error()
	if cfg, perr := pgx.ParseConfig(dsn); perr == nil && cfg.Password != "" {
		msg = strings.ReplaceAll(msg, cfg.Password, "xxxxx")
	}
	return msg
}

// NewDatabase creates a database of its own for test t on the server and
// returns its connection string; it is dropped when the test ends.
func (s *Server) NewDatabase(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("t_%d_%d", os.Getpid(), dbSeq.Add(1))
	if err := adminExec(s.Admin, `CREATE DATABASE `+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { adminExec(s.Admin, `DROP DATABASE `+name+` WITH (FORCE)`) })
	if strings.Contains(s.DSN, "://") {
		u, err := url.Parse(s.DSN)
		if err != nil {
			t.Fatal(err)
		}
		u.Path = "/" + name
		return u.String()
	}
	return s.DSN + " dbname=" + name // the last of a key wins
}

var dbSeq atomic.Int64
