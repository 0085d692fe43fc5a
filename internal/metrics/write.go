package metrics

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/push"
	"github.com/prometheus/common/expfmt"

	"github.com/crossborder/reconcile/internal/outfile"
)

// Write writes the metrics of r to w in the Prometheus text exposition
// format (version 0.0.4), with the store label when r.Store is set.
func Write(w io.Writer, r Run) error {
	_, mfs, err := gather(r, true)
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	enc := expfmt.NewEncoder(w, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			return fmt.Errorf("metrics: %w", err)
		}
	}
	return nil
}

// CheckFile reports whether path can be written by WriteFile, without
// writing it: a name ending in .prom, in an existing directory where a
// temporary file can be created. For the preflight of --metrics-file.
func CheckFile(path string) error {
	if err := checkName(path); err != nil {
		return err
	}
	if err := outfile.Check(path); err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	return nil
}

func checkName(path string) error {
	if !strings.HasSuffix(path, ".prom") {
		return fmt.Errorf("metrics: %s: the metrics file must end in .prom (node_exporter's textfile collector reads only *.prom files)", path)
	}
	return nil
}

// FileMode is the permission of the metrics file: readable by all, since
// node_exporter runs as another user, whatever the job's umask (a metrics
// file holds counts, never a secret).
const FileMode = 0o644

// WriteFile writes the metrics of r to path, for node_exporter's textfile
// collector: path must end in .prom. The text goes to a temporary file in
// the same directory (".<name>.prom.<pid>.<random>.tmp", which the
// collector does not read), which is synced and renamed over path, so that
// the collector never reads half a file and an existing one is replaced
// whole. Temporary files that killed writers left are removed first. The
// file's mode is FileMode.
func WriteFile(path string, r Run) error {
	if err := checkName(path); err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := Write(&buf, r); err != nil {
		return err
	}
	outfile.RemoveStale(path)
	f, err := outfile.Create(path, FileMode)
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	defer f.Abort()
	if _, err := f.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("metrics: writing %s: %w", path, err)
	}
	// The umask (0027 in the systemd unit) would keep node_exporter out.
	if fi, err := os.Stat(f.Name()); err == nil && fi.Mode().IsRegular() {
		if err := os.Chmod(f.Name(), FileMode); err != nil {
			return fmt.Errorf("metrics: %w", err)
		}
	}
	if err := f.Commit(); err != nil {
		return fmt.Errorf("metrics: writing %s: %w", path, err)
	}
	return nil
}

// DefaultJob is the Pushgateway job of Push when none is given.
const DefaultJob = "reconcile"

// PushTimeout bounds a push: connecting, sending and the answer together.
const PushTimeout = 10 * time.Second

// pushTimeout is PushTimeout, shorter in tests.
var pushTimeout = PushTimeout

// CheckPushURL reports whether gatewayURL can be pushed to, without
// pushing: an http or https URL with a host and no query or fragment
// ("host:9091" is taken as http://host:9091). The error never holds the
// URL's credentials. For the preflight of --pushgateway.
func CheckPushURL(gatewayURL string) error {
	_, _, _, err := parsePushURL(gatewayURL)
	return err
}

// parsePushURL returns the gateway's URL without its credentials, the
// credentials (nil when none), and that URL for errors and logs.
func parsePushURL(raw string) (base string, user *url.Userinfo, shown string, err error) {
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Parse's error quotes the URL, credentials and all.
		return "", nil, "", errors.New("metrics: the Pushgateway URL cannot be parsed: want http(s)://host[:port][/path]")
	}
	user, u.User = u.User, nil
	shown = u.Redacted()
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "", nil, "", fmt.Errorf("metrics: the Pushgateway URL %s is not http or https", shown)
	case u.Host == "":
		return "", nil, "", fmt.Errorf("metrics: the Pushgateway URL %s has no host", shown)
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return "", nil, "", fmt.Errorf("metrics: the Pushgateway URL %s has a query or a fragment: give its base only", u.Scheme+"://"+u.Host+u.EscapedPath())
	}
	return u.String(), user, shown, nil
}

// Push pushes the metrics of r to the Pushgateway at gatewayURL with a PUT,
// which replaces the whole group: a failed run never leaves series of an
// earlier run behind. The group is the job (DefaultJob when job is "") and,
// when r.Store is set, the store: /metrics/job/<job>[/store/<name>]; the
// series themselves carry no store label (the Pushgateway adds the
// grouping labels). Credentials in the URL (https://user:pass@host) are
// sent as HTTP basic authentication and never appear in an error. The push
// is bounded by PushTimeout and by ctx.
func Push(ctx context.Context, gatewayURL, job string, r Run) error {
	base, user, shown, err := parsePushURL(gatewayURL)
	if err != nil {
		return err
	}
	if job == "" {
		job = DefaultJob
	}
	reg, _, err := gather(r, false)
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	p := push.New(base, job).Gatherer(reg).Client(&http.Client{Timeout: pushTimeout})
	if r.Store != "" {
		p = p.Grouping("store", r.Store)
	}
	if user != nil {
		pass, _ := user.Password()
		p = p.BasicAuth(user.Username(), pass)
	}
	ctx, cancel := context.WithTimeout(ctx, pushTimeout)
	defer cancel()
	if err := p.PushContext(ctx); err != nil {
		return &pushError{url: shown, err: err}
	}
	return nil
}

// pushError is a failed push: the gateway's URL without credentials and
// the cause, cut short (a proxy's error page can be long).
type pushError struct {
	url string
	err error
}

func (e *pushError) Error() string {
	msg := e.err.Error()
	if len(msg) > 300 {
		msg = strings.ToValidUTF8(msg[:300], "") + "…"
	}
	return "metrics: pushing to " + e.url + ": " + strings.TrimSpace(msg)
}

func (e *pushError) Unwrap() error { return e.err }
