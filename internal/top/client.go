package top

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/crossborder/reconcile/internal/cst"
)

// Gateways.
const (
	// ProductionURL is the platform's production gateway.
	ProductionURL = "https://eco.taobao.com/router/rest"
	// SandboxURL is the platform's own sandbox (test account: app key and secret "test").
	SandboxURL = "https://gw.api.tbsandbox.com/router/rest"
)

// Defaults used when no option says otherwise.
const (
	DefaultTimeout      = 30 * time.Second // per call, connect included
	DefaultConnTimeout  = 15 * time.Second // connect and TLS handshake, as the official SDKs
	DefaultMaxBodyBytes = 1 << 20          // 1 MiB: the clearance APIs answer a few hundred bytes
)

// credentials holds what must never be printed. The Client keeps a pointer
// to it, so that formatting a Client by value with %v shows an address, not
// the secret.
type credentials struct {
	secret  string
	session string
}

// Client calls the TOP gateway. It is safe for concurrent use. Build one
// with NewClient.
//
// Each method makes exactly one HTTP request: it never retries, never
// waits for a flow-control ban, never rate-limits. The caller decides, with
// Classify, what to do about an error.
type Client struct {
	gateway    string
	appKey     string
	creds      *credentials
	signMethod SignMethod
	httpClient *http.Client
	timeout    time.Duration
	maxBody    int64
	simplify   bool
	partnerID  string
	userAgent  string
	now        func() time.Time
}

// Option configures a Client.
type Option func(*Client)

// WithGateway sets the gateway URL. The default is ProductionURL.
func WithGateway(u string) Option { return func(c *Client) { c.gateway = u } }

// WithAppKey sets the app key.
func WithAppKey(key string) Option { return func(c *Client) { c.appKey = key } }

// WithSecret sets the app secret used to sign requests. It is never printed.
func WithSecret(secret string) Option { return func(c *Client) { c.creds.secret = secret } }

// WithSession sets the seller's session key, which the clearance APIs need.
// It is never printed.
func WithSession(session string) Option { return func(c *Client) { c.creds.session = session } }

// WithSignMethod sets how requests are signed. The default is SignHMACSHA256.
func WithSignMethod(m SignMethod) Option { return func(c *Client) { c.signMethod = m } }

// WithHTTPClient sets the HTTP client. The default has a 15 s connect and
// TLS-handshake timeout and keeps connections alive.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.httpClient = hc } }

// WithTimeout bounds each call, from connecting to reading the body. Zero
// leaves only the context's deadline. The default is DefaultTimeout.
func WithTimeout(d time.Duration) Option { return func(c *Client) { c.timeout = d } }

// WithMaxBodyBytes bounds how much of a response body is read; a longer
// body is an error. The default is DefaultMaxBodyBytes.
func WithMaxBodyBytes(n int64) Option { return func(c *Client) { c.maxBody = n } }

// WithSimplify asks for the simplified response form (simplify=true), which
// drops the <name>_response wrapper. Responses are decoded either way.
func WithSimplify(on bool) Option { return func(c *Client) { c.simplify = on } }

// WithPartnerID sets the optional partner_id system parameter.
func WithPartnerID(id string) Option { return func(c *Client) { c.partnerID = id } }

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option { return func(c *Client) { c.userAgent = ua } }

// WithClock sets the clock the timestamp parameter is read from. Tests use
// it; the default is time.Now.
func WithClock(now func() time.Time) Option { return func(c *Client) { c.now = now } }

// NewClient returns a Client configured by opts. It needs an app key and a
// secret; the gateway defaults to ProductionURL and must be an absolute
// http or https URL.
func NewClient(opts ...Option) (*Client, error) {
	c := &Client{
		gateway:    ProductionURL,
		creds:      &credentials{},
		signMethod: SignHMACSHA256,
		timeout:    DefaultTimeout,
		maxBody:    DefaultMaxBodyBytes,
		userAgent:  "reconcile (+https://github.com/crossborder/reconcile)",
		now:        time.Now,
	}
	for _, opt := range opts {
		opt(c)
	}
	u, err := url.Parse(c.gateway)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("top: invalid gateway URL %q: want http(s)://host/router/rest", redactURL(c.gateway))
	}
	if u.User != nil || u.RawQuery != "" {
		return nil, fmt.Errorf("top: gateway URL %q must not carry credentials or a query", redactURL(c.gateway))
	}
	if c.appKey == "" {
		return nil, errors.New("top: no app key")
	}
	if c.creds.secret == "" {
		return nil, errors.New("top: no app secret")
	}
	if _, err := ParseSignMethod(string(c.signMethod)); err != nil {
		return nil, fmt.Errorf("top: %w", err)
	}
	if c.maxBody <= 0 {
		return nil, errors.New("top: the body limit must be positive")
	}
	if c.httpClient == nil {
		c.httpClient = &http.Client{Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: DefaultConnTimeout, KeepAlive: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout:   DefaultConnTimeout,
			ResponseHeaderTimeout: DefaultTimeout,
			MaxIdleConns:          256,
			MaxIdleConnsPerHost:   256,
			IdleConnTimeout:       90 * time.Second,
			ForceAttemptHTTP2:     true,
		}}
	}
	// The gateway never redirects. Following a redirect would send the
	// signed form, session included, to whatever host Location names (a
	// 307 or 308 re-posts it whole) and take that host's answer for the
	// platform's: the client follows none, whatever client it was given.
	hc := *c.httpClient
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.httpClient = &hc
	return c, nil
}

// Gateway returns the gateway URL.
func (c *Client) Gateway() string { return c.gateway }

// AppKey returns the app key.
func (c *Client) AppKey() string { return c.appKey }

// String describes the client without its secret or session.
func (c *Client) String() string {
	return fmt.Sprintf("top.Client{gateway: %s, app_key: %s, sign_method: %s, secret: %s, session: %s}",
		c.gateway, c.appKey, c.signMethod, redacted(c.creds.secret), redacted(c.creds.session))
}

// GoString is String, so that %#v does not print the secret either.
func (c *Client) GoString() string { return c.String() }

// Format makes every verb (%v, %+v, %#v, %s, %q) print String.
func (c *Client) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		fmt.Fprintf(f, "%q", c.String())
		return
	}
	io.WriteString(f, c.String())
}

func redacted(s string) string {
	if s == "" {
		return "(unset)"
	}
	return "(redacted)"
}

// Call invokes method with the application parameters params and decodes
// the answer's <name>_response object (or the simplified answer) into out,
// which must be a pointer to a struct or nil.
//
// It returns an *Error when the platform answered with error_response,
// when the HTTP status was not 200, when the transport failed, or when the
// body was not a platform envelope or longer than the limit. The error
// never holds the secret or the session.
func (c *Client) Call(ctx context.Context, method string, params map[string]string, out any) error {
	form := url.Values{}
	all := make(map[string]string, len(params)+9)
	for k, v := range params {
		all[k] = v
	}
	all["method"] = method
	all["app_key"] = c.appKey
	all["session"] = c.creds.session
	all["timestamp"] = cst.Format(c.now())
	all["format"] = "json"
	all["v"] = "2.0"
	all["sign_method"] = string(c.signMethod)
	if c.simplify {
		all["simplify"] = "true"
	}
	all["partner_id"] = c.partnerID
	sign, err := Sign(all, c.creds.secret, c.signMethod)
	if err != nil {
		return &Error{Method: method, Err: err}
	}
	for k, v := range all {
		if v != "" { // the platform neither sends nor signs empty parameters
			form.Set(k, v)
		}
	}
	form.Set("sign", sign)

	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.gateway, strings.NewReader(form.Encode()))
	if err != nil {
		return &Error{Method: method, Err: err}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded;charset=UTF-8")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)

	resp, err := c.httpClient.Do(req)
	if err != nil {
		return &Error{Method: method, Err: scrubTransportError(err)}
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		return &Error{Method: method, StatusCode: resp.StatusCode, Err: fmt.Errorf("%w to %s, not followed: check --gateway and any proxy in between",
			ErrRedirect, locationHost(resp.Header.Get("Location")))}
	}
	body, err := readBounded(resp.Body, c.maxBody)
	if resp.StatusCode != http.StatusOK {
		return &Error{Method: method, StatusCode: resp.StatusCode, Err: errors.New(bodySnippet(body))}
	}
	if err != nil {
		return &Error{Method: method, Err: scrubTransportError(err)}
	}
	return decode(method, body, out, c.simplify)
}

// ErrRedirect is wrapped by the *Error of an answer that redirects: the
// gateway never does, so the answer did not come from the platform.
var ErrRedirect = errors.New("the gateway answered with a redirect")

// locationHost is the host a Location header names, for a message: never
// its path or query, which could carry anything.
func locationHost(loc string) string {
	u, err := url.Parse(loc)
	switch {
	case loc == "":
		return "nowhere (no Location)"
	case err != nil || u.Host == "":
		return "a relative or unreadable location"
	}
	return u.Host
}

// errBodyTooLarge is returned (wrapped in an *Error) for a body over the limit.
var errBodyTooLarge = errors.New("response body exceeds the size limit")

// readBounded reads at most limit bytes of r; a longer body is an error.
// The rest of a body under the limit is drained so the connection can be
// reused; a longer one is not read further.
func readBounded(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return b, err
	}
	if int64(len(b)) > limit {
		return b[:limit], fmt.Errorf("%w (%d bytes)", errBodyTooLarge, limit)
	}
	return b, nil
}

// bodySnippet returns the start of a non-200 body for an error message:
// printable, one line, at most 200 bytes and whole characters, then "…"
// when it was cut.
func bodySnippet(b []byte) string {
	const max = 200
	s := strings.ToValidUTF8(string(b), "?")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut-- // never cut a character in two
		}
		s = s[:cut] + "…"
	}
	if s == "" {
		return "empty body"
	}
	return s
}

// scrubTransportError removes any query string or user info from the URL
// a *url.Error carries. The client sends every parameter in the body, so
// none should be there; this is a second line of defence.
func scrubTransportError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		ue.URL = redactURL(ue.URL)
	}
	return err
}

func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		if i := strings.IndexAny(s, "?@"); i >= 0 {
			return s[:i] + "…"
		}
		return s
	}
	u.User = nil
	u.RawQuery = ""
	u.Fragment = ""
	return u.String()
}
