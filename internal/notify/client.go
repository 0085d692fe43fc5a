package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/crossborder/reconcile/internal/reconcile"
)

// The bounds of sending, per robot.
const (
	DefaultAttemptTimeout = 10 * time.Second // one HTTP attempt, answer read included
	DefaultTotalTimeout   = 30 * time.Second // every attempt and wait for one robot
	DefaultBackoff        = time.Second      // the wait before the first retry; doubled each time, at most maxBackoff
	DefaultRateLimit      = 20               // messages a robot takes…
	DefaultRatePeriod     = time.Minute      // …in this period
	maxBackoff            = 8 * time.Second
	maxAttempts           = 4
	minAttemptLeft        = time.Second // no attempt is started with less of the budget left
	maxAnswer             = 64 << 10    // bytes of an answer read
)

// Client sends messages to robots. Build it with NewClient; it is safe for
// concurrent use.
type Client struct {
	http    *http.Client
	now     func() time.Time
	attempt time.Duration
	total   time.Duration
	backoff time.Duration
	limits  *limits
	log     *slog.Logger
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sends through hc (a proxy, a test's TLS roots…) rather
// than the default client, which uses http.DefaultTransport (and so
// HTTPS_PROXY) and follows no redirect. The bounds of this package apply
// whatever hc's own Timeout.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) {
		if hc != nil {
			c.http = hc
		}
	}
}

// WithClock takes the signatures' timestamps from now rather than
// time.Now: a fixed clock makes them reproducible in tests. (Timeouts,
// waits and the rate limit use the time package's timers.)
func WithClock(now func() time.Time) Option {
	return func(c *Client) {
		if now != nil {
			c.now = now
		}
	}
}

// WithAttemptTimeout bounds each HTTP attempt (DefaultAttemptTimeout).
func WithAttemptTimeout(d time.Duration) Option {
	return func(c *Client) {
		if d > 0 {
			c.attempt = d
		}
	}
}

// WithTotalTimeout bounds all of a robot's attempts and waits together
// (DefaultTotalTimeout).
func WithTotalTimeout(d time.Duration) Option {
	return func(c *Client) {
		if d > 0 {
			c.total = d
		}
	}
}

// WithBackoff sets the wait before the first retry (DefaultBackoff); each
// next one doubles it, up to 8 s, less up to a fifth at random.
func WithBackoff(d time.Duration) Option {
	return func(c *Client) {
		if d > 0 {
			c.backoff = d
		}
	}
}

// WithRateLimit gives the client a limiter of its own, n messages per
// period to each robot, instead of the process's (DefaultRateLimit per
// DefaultRatePeriod, shared by every Client built without this option).
func WithRateLimit(n int, period time.Duration) Option {
	return func(c *Client) {
		if n > 0 && period > 0 {
			c.limits = newLimits(n, period)
		}
	}
}

// WithLogger logs each failed attempt that is retried (at Warn), robots
// masked. The default logs nothing: the caller logs the outcomes.
func WithLogger(l *slog.Logger) Option {
	return func(c *Client) {
		if l != nil {
			c.log = l
		}
	}
}

// processLimits is the process's limiter: the robots' 20 messages a minute
// hold for every Client of the process.
var processLimits = newLimits(DefaultRateLimit, DefaultRatePeriod)

// NewClient returns a Client with the defaults, changed by opts.
func NewClient(opts ...Option) *Client {
	c := &Client{
		http: &http.Client{
			Transport:     http.DefaultTransport,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		now:     time.Now,
		attempt: DefaultAttemptTimeout,
		total:   DefaultTotalTimeout,
		backoff: DefaultBackoff,
		limits:  processLimits,
		log:     slog.New(slog.DiscardHandler),
	}
	for _, o := range opts {
		if o != nil {
			o(c)
		}
	}
	return c
}

// Outcome is how sending to one robot ended.
type Outcome struct {
	Robot    string // the robot's URL, masked (Target.String)
	Kind     Kind
	Attempts int           // HTTP requests made
	Elapsed  time.Duration // waits included
	// Err is nil when the platform took the message. Else it says why, in
	// English, the robot masked and no secret in it; errors.As finds a
	// *PlatformError when the platform answered with an error code.
	Err error
}

// OK reports whether the robot took the message.
func (o Outcome) OK() bool { return o.Err == nil }

// LogValue is the outcome for log/slog: robot, kind, attempts, elapsed and
// the error, if any.
func (o Outcome) LogValue() slog.Value {
	attrs := []slog.Attr{slog.String("robot", o.Robot), slog.String("kind", string(o.Kind)),
		slog.Int("attempts", o.Attempts), slog.Duration("elapsed", o.Elapsed)}
	if o.Err != nil {
		attrs = append(attrs, slog.String("error", o.Err.Error()))
	}
	return slog.GroupValue(attrs...)
}

// Failed counts the outcomes whose robot did not take the message.
func Failed(outs []Outcome) int {
	n := 0
	for _, o := range outs {
		if o.Err != nil {
			n++
		}
	}
	return n
}

// Error is why a robot did not take the message.
type Error struct {
	Robot    string // masked
	Kind     Kind
	Attempts int
	Err      error // the last attempt's (or the wait's) cause; holds no key, token or secret
}

func (e *Error) Error() string {
	n := strconv.Itoa(e.Attempts) + " attempts"
	if e.Attempts == 1 {
		n = "1 attempt"
	}
	return "notify " + string(e.Kind) + " " + e.Robot + ": " + e.Err.Error() + " (" + n + ")"
}

func (e *Error) Unwrap() error { return e.Err }

// PlatformError is a robot platform's answer that it did not take the
// message: WeCom's and DingTalk's errcode/errmsg, Feishu's code/msg.
type PlatformError struct {
	Kind   Kind
	Status int    // the HTTP status of the answer
	Code   int    // the platform's code, never 0
	Msg    string // the platform's message, the robot's key or token masked
}

func (e *PlatformError) Error() string {
	field := "errcode"
	if e.Kind == Feishu {
		field = "code"
	}
	s := field + " " + strconv.Itoa(e.Code)
	if e.Msg != "" {
		s += ": " + e.Msg
	}
	if e.Status != http.StatusOK && e.Status != 0 {
		s += " (HTTP " + strconv.Itoa(e.Status) + ")"
	}
	if h := e.hint(); h != "" {
		s += "; " + h
	}
	return s
}

// hint says what to check for the codes that are the sender's to fix.
func (e *PlatformError) hint() string {
	switch {
	case e.Kind == DingTalk && e.Code == 310000:
		return "check the robot's security settings: its keyword (对账), IP allow-list, or the 加签 secret (RECONCILE_DINGTALK_SECRET) and this machine's clock"
	case e.Kind == Feishu && e.Code == 19021:
		return "check the 签名校验 secret (RECONCILE_FEISHU_SECRET) and this machine's clock"
	case e.Kind == Feishu && e.Code == 19024:
		return "the robot's keyword is not in the message: use 对账"
	case e.Kind == Feishu && e.Code == 19022:
		return "this machine's IP is not on the robot's allow-list"
	case e.Kind == WeCom && e.Code == 93000:
		return "the webhook key is invalid or the robot was removed"
	case e.Kind == DingTalk && (e.Code == 300001 || e.Code == 400102):
		return "the access token is invalid or the robot was disabled"
	case e.Kind == Feishu && e.Code == 19001:
		return "the hook's token is invalid or the robot was removed"
	}
	return ""
}

// busy reports whether the code says to try again later: a rate limit or a
// busy system. WeCom: 45009 "api freq out of limit", -1 system busy;
// DingTalk: 130101 "send too fast, exceed 20 times per minute", -1;
// Feishu: 11232 "frequency limited".
func (e *PlatformError) busy() bool {
	switch e.Kind {
	case WeCom:
		return e.Code == 45009 || e.Code == -1
	case DingTalk:
		return e.Code == 130101 || e.Code == -1
	case Feishu:
		return e.Code == 11232
	}
	return false
}

// Send posts m to every robot, in parallel, and returns how each ended, in
// the order of targets. Each robot gets at most one message per call (never
// one per exception): one HTTP attempt of at most the attempt timeout,
// retried with backoff while the total timeout allows (at most 4 attempts)
// when it failed in the network, timed out, or was answered with a 5xx, a
// 429 or a rate-limit or busy code; an answer that the message was refused
// (a bad key, a bad signature, a bad request) is not retried. Each
// attempt waits for a slot of the robot's rate limit, and fails rather than
// wait beyond the total timeout. A retry after a timeout may post the
// message twice, if the platform took the first one and its answer was
// lost: a digest twice is better than none.
//
// Send never panics and returns only when every robot's bound has passed
// (or ctx is done); what to do with failures is the caller's: they should be
// logged and counted, never fail the run.
func (c *Client) Send(ctx context.Context, targets []Target, m Message) []Outcome {
	if c == nil {
		c = NewClient()
	}
	outs := make([]Outcome, len(targets))
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i] = c.send(ctx, t, m)
		}()
	}
	wg.Wait()
	return outs
}

// errTotal is the cause of a robot's context once its total timeout is
// up.
var errTotal = errors.New("the robot's total timeout is up")

// errNoRobot is the zero Target's.
var errNoRobot = errors.New("no robot (the zero Target)")

// send sends m to t, within the total timeout.
func (c *Client) send(ctx context.Context, t Target, m Message) (o Outcome) {
	start := time.Now()
	o = Outcome{Robot: t.String(), Kind: t.kind}
	var last error
	defer func() {
		if p := recover(); p != nil {
			c.log.Error("notify: panic while sending", "robot", o.Robot, "panic", t.scrub(fmt.Sprint(p)), "stack", string(debug.Stack()))
			last = fmt.Errorf("internal error (panic): %s", t.scrub(fmt.Sprint(p)))
		}
		o.Elapsed = time.Since(start)
		if last != nil {
			o.Err = &Error{Robot: o.Robot, Kind: o.Kind, Attempts: o.Attempts, Err: last}
		}
	}()
	if t.url == nil {
		last = errNoRobot
		return o
	}
	ctx, cancel := context.WithTimeoutCause(ctx, c.total, errTotal)
	defer cancel()

	for n := 1; ; n++ {
		if err := c.limits.wait(ctx, t.url.String()); err != nil {
			last = err
			return o
		}
		o.Attempts++
		err := c.try(ctx, t, m)
		if err == nil {
			last = nil
			return o
		}
		last = err.err
		if !err.retry || n >= maxAttempts || ctx.Err() != nil {
			return o
		}
		wait := c.backoff << (n - 1)
		if wait > maxBackoff || wait <= 0 {
			wait = maxBackoff
		}
		wait -= time.Duration(rand.Int64N(int64(wait)/5 + 1))
		if err.after > wait {
			wait = err.after
		}
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline)-wait < minAttemptLeft {
			return o // no time left for another attempt
		}
		c.log.Warn("notify: attempt failed; retrying", "robot", o.Robot, "kind", string(t.kind), "attempt", n, "wait", wait, "error", err.err.Error())
		if err := sleep(ctx, wait); err != nil {
			return o
		}
	}
}

// attemptError is why one attempt failed, and whether another may succeed.
type attemptError struct {
	err   error
	retry bool
	after time.Duration // the answer's Retry-After, if any
}

// try makes one attempt.
func (c *Client) try(ctx context.Context, t Target, m Message) *attemptError {
	actx, cancel := context.WithTimeout(ctx, c.attempt)
	defer cancel()
	req, err := c.request(actx, t, m)
	if err != nil {
		return &attemptError{err: err}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return c.transportError(ctx, actx, t, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		e := c.transportError(ctx, actx, t, err)
		e.err = fmt.Errorf("reading the answer (HTTP %d): %w", resp.StatusCode, e.err)
		return e
	}
	return answerError(t, resp, data)
}

// request builds the attempt's request: the body, signed for DingTalk in
// the query and for Feishu in the body, with a timestamp of now.
func (c *Client) request(ctx context.Context, t Target, m Message) (*http.Request, error) {
	u := *t.url
	var ts, sign string
	if t.secret != "" {
		now := c.now()
		switch t.kind {
		case DingTalk:
			ms := now.UnixMilli()
			q := u.Query()
			q.Set("timestamp", strconv.FormatInt(ms, 10))
			q.Set("sign", dingtalkSign(ms, t.secret)) // Encode URL-encodes it, as DingTalk asks
			u.RawQuery = q.Encode()
		case Feishu:
			sec := now.Unix()
			ts, sign = strconv.FormatInt(sec, 10), feishuSign(sec, t.secret)
		}
	}
	body, err := m.payload(t.kind, ts, sign)
	if err != nil {
		return nil, fmt.Errorf("building the message: %v", t.scrub(err.Error()))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, errors.New("building the request: " + t.scrub(Mask(u.String())))
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "reconcile-notify")
	return req, nil
}

// transportError turns an error of the HTTP client into one that shows no
// URL (a *url.Error names it, key, token and sign included) and says
// whether to retry: not once the robot's budget or the caller's context is
// done, nor for a certificate that does not verify; yes for a network
// failure or an attempt that timed out.
func (c *Client) transportError(ctx, actx context.Context, t Target, err error) *attemptError {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	e := &attemptError{retry: true}
	switch {
	case ctx.Err() != nil:
		e.retry = false
		if context.Cause(ctx) == errTotal {
			e.err = &redacted{msg: "gave up after the total timeout of " + c.total.String(), err: context.DeadlineExceeded}
			return e
		}
		e.err = &redacted{msg: "stopped: " + t.scrub(ctx.Err().Error()), err: ctx.Err()}
		return e
	case actx.Err() != nil:
		e.err = &redacted{msg: "no answer within the attempt timeout of " + c.attempt.String(), err: context.DeadlineExceeded}
		return e
	case tlsFailure(err):
		e.retry = false
	}
	e.err = &redacted{msg: t.scrub(err.Error()), err: err}
	return e
}

// tlsFailure reports whether err is a certificate or TLS failure that a
// retry will not mend.
func tlsFailure(err error) bool {
	var (
		cv  *tls.CertificateVerificationError
		ua  x509.UnknownAuthorityError
		he  x509.HostnameError
		ci  x509.CertificateInvalidError
		rec tls.RecordHeaderError
	)
	return errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &he) || errors.As(err, &ci) || errors.As(err, &rec)
}

// redacted is an error whose text was scrubbed of the robot's secrets; it
// unwraps to its cause for errors.Is (a cause that shows no URL).
type redacted struct {
	msg string
	err error
}

func (e *redacted) Error() string { return e.msg }
func (e *redacted) Unwrap() error { return e.err }

// answer is the JSON answer of a robot: WeCom's and DingTalk's errcode and
// errmsg, Feishu's code and msg (or, from older hooks, StatusCode and
// StatusMessage).
type answer struct {
	ErrCode       *int   `json:"errcode"`
	ErrMsg        string `json:"errmsg"`
	Code          *int   `json:"code"`
	Msg           string `json:"msg"`
	StatusCode    *int   `json:"StatusCode"`
	StatusMessage string `json:"StatusMessage"`
}

// code returns the answer's code and message for kind k, and whether it
// has one.
func (a *answer) code(k Kind) (int, string, bool) {
	switch {
	case k != Feishu && a.ErrCode != nil:
		return *a.ErrCode, a.ErrMsg, true
	case k == Feishu && a.Code != nil:
		return *a.Code, a.Msg, true
	case k == Feishu && a.StatusCode != nil:
		return *a.StatusCode, a.StatusMessage, true
	}
	return 0, "", false
}

// answerError checks a robot's answer: nil when it took the message (a 2xx
// whose JSON code is 0), else why not and whether to retry.
func answerError(t Target, resp *http.Response, data []byte) *attemptError {
	status := resp.StatusCode
	retryStatus := status >= 500 || status == http.StatusTooManyRequests
	if len(data) > maxAnswer {
		return &attemptError{err: fmt.Errorf("HTTP %d: an answer larger than %d KiB: not a robot's", status, maxAnswer>>10), retry: retryStatus}
	}
	var a answer
	jsonErr := json.Unmarshal(data, &a)
	code, msg, has := a.code(t.kind)
	if jsonErr == nil && has {
		if code == 0 && status/100 == 2 {
			return nil
		}
		if code != 0 {
			pe := &PlatformError{Kind: t.kind, Status: status, Code: code, Msg: t.scrub(oneLine(msg, 300))}
			return &attemptError{err: pe, retry: retryStatus || pe.busy(), after: retryAfter(resp)}
		}
	}
	switch {
	case status/100 == 3:
		return &attemptError{err: fmt.Errorf("HTTP %d: a redirect, not followed", status)}
	case status/100 != 2:
		return &attemptError{err: fmt.Errorf("HTTP %d %s%s", status, http.StatusText(status), snippet(t, data)), retry: retryStatus, after: retryAfter(resp)}
	case jsonErr != nil:
		return &attemptError{err: fmt.Errorf("HTTP %d: the answer is not JSON%s", status, snippet(t, data))}
	}
	field := "errcode"
	if t.kind == Feishu {
		field = "code"
	}
	return &attemptError{err: fmt.Errorf("HTTP %d: the answer has no %s%s", status, field, snippet(t, data))}
}

// snippet is the start of an answer's body for an error: one line, at most
// 120 runes, scrubbed.
func snippet(t Target, data []byte) string {
	s := oneLine(string(data), 120)
	if s == "" {
		return ""
	}
	return ": " + strings.TrimSpace(t.scrub(s))
}

// retryAfter is an answer's Retry-After in seconds, 0 when it has none.
func retryAfter(resp *http.Response) time.Duration {
	n, err := strconv.Atoi(strings.TrimSpace(resp.Header.Get("Retry-After")))
	if err != nil || n <= 0 {
		return 0
	}
	return time.Duration(n) * time.Second
}

// sleep waits d, or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Notifier sends a run's digest to its robots: what a run calls once its
// workbook is written.
type Notifier struct {
	Client  *Client
	Targets []Target
	Options DigestOptions
	Logger  *slog.Logger // nil: no log
}

// Notify sends res's digest to every robot and logs each outcome (masked);
// it returns how many robots took it and how many did not. It never
// fails the run: the caller counts the failures. It sends even when ctx
// is cancelled (an interrupted run's digest matters most), within the
// Client's bounds.
func (n *Notifier) Notify(ctx context.Context, res *reconcile.Result) (sent, failed int) {
	if n == nil || len(n.Targets) == 0 {
		return 0, 0
	}
	outs := n.Client.Send(context.WithoutCancel(ctx), n.Targets, Digest(res, n.Options))
	for _, o := range outs {
		if n.Logger != nil {
			if o.OK() {
				n.Logger.Info("digest sent", "robot", o)
			} else {
				n.Logger.Error("the digest could not be sent; the run goes on", "robot", o)
			}
		}
	}
	failed = Failed(outs)
	return len(outs) - failed, failed
}
