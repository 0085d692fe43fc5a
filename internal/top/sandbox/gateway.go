package sandbox

import (
	"crypto/subtle"
	"log/slog"
	"math/rand/v2"
	"mime"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/crossborder/reconcile/internal/cst"
	"github.com/crossborder/reconcile/internal/top"
)

// Path is where the gateway serves, as the platform does.
const Path = "/router/rest"

// The three APIs the gateway serves.
const (
	MethodDeclare   = "tmall.hk.clearance.declare.wechat"
	MethodCallback  = "tmall.hk.clearance.info.send"
	MethodMaterials = "tmall.hk.clearance.distribution.get"
)

// MaxSkew is how far a request's timestamp may be from the gateway's
// clock, either way, before it is refused with code 31.
const MaxSkew = 10 * time.Minute

// Defaults of the Config fields whose zero value means "the default".
const (
	DefaultRateJitter      = 100 * time.Millisecond
	DefaultBanSeconds      = 10
	DefaultProcessingAfter = time.Minute
	DefaultSuccessAfter    = 3 * time.Minute
)

// The demo credentials (DefaultCredentials). They are public and guard
// nothing: the sandbox holds no real data.
const (
	demoAppKey  = "12345678"
	demoSecret  = "sandbox-secret"
	demoSession = "sandbox-session"
)

// DefaultCredentials returns the demo app key, secret and session that a
// Config with empty credentials uses: "12345678", "sandbox-secret" and
// "sandbox-session".
func DefaultCredentials() (appKey, secret, session string) {
	return demoAppKey, demoSecret, demoSession
}

// Config configures a Gateway. The zero value is a working gateway with the
// demo credentials, the real clock, no flow control, no latency and no
// faults.
type Config struct {
	// AppKey, Secret and Session are the only credentials accepted. Each
	// empty one takes its value from DefaultCredentials.
	AppKey, Secret, Session string
	// ExpiredSessions are session keys answered with code 27
	// session-not-exist instead of invalid-sessionkey.
	ExpiredSessions []string
	// Now is the gateway's clock; nil means time.Now. It judges timestamps,
	// moves declarations on, measures flow control and bans, and dates the
	// daily quota and the materials' expiry. Latency uses real time.
	Now func() time.Time
	// DeniedMethods are answered with code 11 Insufficient ISV Permissions.
	DeniedMethods []string

	// RateLimit is the number of calls per second allowed per app key;
	// 0 means no limit. See the package documentation for the window.
	RateLimit int
	// RateJitter is the allowance for arrival jitter; 0 means
	// DefaultRateJitter, a negative value none.
	RateJitter time.Duration
	// BanSeconds is how long a flow-control ban lasts; 0 means
	// DefaultBanSeconds.
	BanSeconds int
	// DailyQuota is the number of calls per app key and UTC+8 day; 0 means
	// no quota.
	DailyQuota int

	// Latency delays every answer; Jitter adds a random part in
	// [0, Jitter).
	Latency, Jitter time.Duration

	// FaultRate is the probability, from 0 to 1, that a valid call gets a
	// fault.
	FaultRate float64
	// Faults are the kinds to draw from; empty means all of them.
	Faults []Fault
	// Seed seeds the PRNG behind faults and latency jitter.
	Seed uint64
	// SpareMaterials exempts tmall.hk.clearance.distribution.get from
	// faults.
	SpareMaterials bool

	// ProcessingAfter and SuccessAfter are how long after it was accepted a
	// declaration turns PROCESSING and SUCCESS. 0 means the default
	// (DefaultProcessingAfter, DefaultSuccessAfter), a negative value at
	// once. SuccessAfter is never earlier than ProcessingAfter.
	ProcessingAfter, SuccessAfter time.Duration
	// FailCustoms are customs codes whose declarations fail with NO_AUTH.
	FailCustoms []string
	// ExceptOrders are order ids whose declarations answer state EXCEPT.
	ExceptOrders []string
	// RejectOrders are order ids whose declarations answer error_response
	// 15 isv.invalid-parameter.
	RejectOrders []string
	// FailLaterOrders maps order ids to the final state their held
	// declaration turns to at SuccessAfter instead of SUCCESS: StateFail
	// (also for "") or StateExcept; an entry with any other state is
	// ignored (ParseFailLaterOrders refuses it). The declaration stays held:
	// an identical one answers the final state, a different one is still a
	// conflict. An order whose declarations fail at once (FailCustoms,
	// ExceptOrders, RejectOrders, a fee mismatch) is never held, so this
	// does not apply to it.
	FailLaterOrders map[string]string
	// StuckOrders are order ids whose held declaration never settles: it
	// turns PROCESSING at ProcessingAfter and stays so. An order in
	// FailLaterOrders too follows FailLaterOrders.
	StuckOrders []string

	// Materials overrides the generated materials per order id (decimal).
	Materials map[string]Materials

	// Logger, if not nil, gets one line per request: method, app key,
	// code, fault and duration. Never a secret, session or parameter.
	Logger *slog.Logger
}

// Gateway is a simulated TOP gateway. It is an http.Handler; create one
// with New. All its methods are safe for concurrent use.
type Gateway struct {
	cfg             Config
	now             func() time.Time
	rateJitter      time.Duration
	banSeconds      int
	processingAfter time.Duration
	successAfter    time.Duration
	faults          []Fault
	expired         map[string]bool
	denied          map[string]bool
	failCustoms     map[string]bool
	exceptOrders    map[string]bool
	rejectOrders    map[string]bool
	failLater       map[string]string // order id → StateFail or StateExcept
	stuck           map[string]bool
	materials       map[string]Materials

	mu        sync.Mutex // guards everything below
	rng       *rand.Rand
	apps      map[string]*appState
	decls     map[string]*declaration
	callbacks map[callbackKey]*CallbackRecord
	arrivals  []time.Time
	ctr       Counters
}

// New returns a gateway configured by cfg. It keeps its own copies of
// cfg's slices and maps. Materials keys that are not order ids are ignored;
// LoadMaterials refuses them.
func New(cfg Config) *Gateway {
	ak, sec, ses := DefaultCredentials()
	if cfg.AppKey == "" {
		cfg.AppKey = ak
	}
	if cfg.Secret == "" {
		cfg.Secret = sec
	}
	if cfg.Session == "" {
		cfg.Session = ses
	}
	g := &Gateway{
		cfg:             cfg,
		now:             cfg.Now,
		rateJitter:      cfg.RateJitter,
		banSeconds:      cfg.BanSeconds,
		processingAfter: cfg.ProcessingAfter,
		successAfter:    cfg.SuccessAfter,
		faults:          append([]Fault(nil), cfg.Faults...),
		expired:         set(cfg.ExpiredSessions),
		denied:          set(cfg.DeniedMethods),
		failCustoms:     set(cfg.FailCustoms),
		exceptOrders:    set(cfg.ExceptOrders),
		rejectOrders:    set(cfg.RejectOrders),
		failLater:       make(map[string]string, len(cfg.FailLaterOrders)),
		stuck:           set(cfg.StuckOrders),
		materials:       make(map[string]Materials, len(cfg.Materials)),
		rng:             rand.New(rand.NewPCG(cfg.Seed, 0x5eed5a4db0c)),
		apps:            make(map[string]*appState),
		decls:           make(map[string]*declaration),
		callbacks:       make(map[callbackKey]*CallbackRecord),
		ctr:             newCounters(),
	}
	if g.now == nil {
		g.now = time.Now
	}
	switch {
	case g.rateJitter == 0:
		g.rateJitter = DefaultRateJitter
	case g.rateJitter < 0:
		g.rateJitter = 0
	}
	if g.banSeconds <= 0 {
		g.banSeconds = DefaultBanSeconds
	}
	g.processingAfter = delay(g.processingAfter, DefaultProcessingAfter)
	g.successAfter = max(delay(g.successAfter, DefaultSuccessAfter), g.processingAfter)
	if len(g.faults) == 0 {
		g.faults = AllFaults()
	}
	for id, state := range cfg.FailLaterOrders {
		switch state {
		case "", StateFail:
			g.failLater[id] = StateFail
		case StateExcept:
			g.failLater[id] = StateExcept
		}
	}
	g.cfg.FailLaterOrders = nil
	for k, m := range cfg.Materials {
		if id, ok := parseOrderID(k); ok {
			g.materials[formatOrderID(id)] = m
		}
	}
	g.cfg.Materials = nil
	return g
}

func delay(d, def time.Duration) time.Duration {
	switch {
	case d == 0:
		return def
	case d < 0:
		return 0
	}
	return d
}

func set(list []string) map[string]bool {
	m := make(map[string]bool, len(list))
	for _, s := range list {
		m[s] = true
	}
	return m
}

// apiError is an error_response.
type apiError struct {
	code    int
	msg     string
	subCode string
	subMsg  string
}

func errCode(code int) *apiError { return &apiError{code: code, msg: top.CodeMsg(code)} }

func errArg(code int, param string) *apiError {
	return &apiError{code: code, msg: top.CodeMsg(code) + ":" + param}
}

// outcome is what the gateway does with one request.
type outcome struct {
	err      *apiError // an error_response
	body     object    // else the success body, without request_id
	http502  bool      // answer HTTP 502 instead
	hangUp   bool      // close the connection instead of answering
	fault    Fault
	latency  time.Duration
	method   string
	appKey   string
	json     bool
	simplify bool
}

// request is one call's parameters.
type request struct {
	p  map[string]string
	at time.Time // arrival on the gateway's clock
}

// ServeHTTP answers a call on Path, by GET or POST, as the package
// documentation describes; other paths answer 404 and other HTTP methods
// 405, and a body that cannot be parsed 400, none of them counted.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	// The arrival is when the request reaches the gateway, not when it gets
	// the lock: waiting for the lock would bunch the arrivals of concurrent
	// calls, for the flow limit and for Arrivals.
	at := g.now()
	if r.URL.Path != Path {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodPost && r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p, err := readParams(r)
	if err != nil {
		http.Error(w, "bad request: "+err.Error(), http.StatusBadRequest)
		return
	}
	out := g.handle(p, at)
	if out.latency > 0 {
		t := time.NewTimer(out.latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
		}
	}
	switch {
	case out.hangUp:
		hangUp(w)
	case out.http502:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte(badGatewayHTML))
	default:
		body, ctype := out.encode(newRequestID())
		w.Header().Set("Content-Type", ctype)
		_, _ = w.Write(body)
	}
	if g.cfg.Logger != nil {
		code := 0
		if out.err != nil {
			code = out.err.code
		}
		g.cfg.Logger.Info("request", "method", out.method, "app_key", out.appKey, "code", code,
			"fault", string(out.fault), "duration", time.Since(start).Round(time.Microsecond))
	}
}

const badGatewayHTML = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n" +
	"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>Tengine</center>\r\n</body>\r\n</html>\r\n"

// hangUp closes the connection without an answer.
func hangUp(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// readParams merges the query string and the form body; for a name given
// twice the first value wins, and the body's values come first.
func readParams(r *http.Request) (map[string]string, error) {
	var err error
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
		err = r.ParseMultipartForm(32 << 20)
	} else {
		err = r.ParseForm()
	}
	if err != nil {
		return nil, err
	}
	p := make(map[string]string, len(r.Form))
	for k, vs := range r.Form {
		if len(vs) > 0 && vs[0] != "" {
			p[k] = vs[0]
		}
	}
	return p, nil
}

// handle runs the checks and the API for one request, which arrived at
// at, under the lock.
func (g *Gateway) handle(p map[string]string, at time.Time) *outcome {
	g.mu.Lock()
	defer g.mu.Unlock()
	req := &request{p: p, at: at}
	g.arrivals = append(g.arrivals, req.at)
	out := &outcome{
		method:   p["method"],
		appKey:   p["app_key"],
		json:     strings.EqualFold(p["format"], "json"),
		simplify: strings.EqualFold(p["simplify"], "true"),
	}
	g.ctr.Requests[out.method]++
	out.latency = g.cfg.Latency
	if g.cfg.Jitter > 0 {
		out.latency += time.Duration(g.rng.Int64N(int64(g.cfg.Jitter)))
	}
	g.run(req, out)
	switch {
	case out.hangUp, out.http502:
	case out.err != nil:
		g.ctr.Answers[out.err.code]++
	default:
		g.ctr.Answers[0]++
	}
	if out.fault != "" {
		g.ctr.Faults[out.fault]++
	}
	return out
}

func (g *Gateway) run(req *request, out *outcome) {
	if out.err = g.checkSystem(req); out.err != nil {
		return
	}
	if out.err = g.admit(out.appKey, req.at); out.err != nil {
		return
	}
	method := out.method
	if !(g.cfg.SpareMaterials && method == MethodMaterials) {
		out.fault = g.drawFault()
	}
	switch out.fault {
	case FaultISP:
		if g.rng.IntN(2) == 0 {
			out.err = &apiError{code: top.CodeRemoteServiceTimeout, msg: top.CodeMsg(top.CodeRemoteServiceTimeout),
				subCode: "isp.top-remote-connection-timeout", subMsg: "远程服务调用超时"}
		} else {
			out.err = &apiError{code: top.CodeRemoteServiceError, msg: top.CodeMsg(top.CodeRemoteServiceError),
				subCode: "isp.remote-service-error", subMsg: "远程服务错误"}
		}
		return
	case FaultHTTP502:
		out.http502 = true
		return
	case FaultDrop:
		out.hangUp = true
		return
	case FaultBan:
		out.err = g.startBan(g.app(out.appKey), req.at)
		return
	}
	switch method {
	case MethodDeclare:
		out.body, out.err = g.declare(req)
	case MethodCallback:
		out.body, out.err = g.callback(req)
	case MethodMaterials:
		out.body, out.err = g.distribution(req)
	}
	if out.fault == FaultLost {
		out.hangUp = true
	}
}

var versionForm = regexp.MustCompile(`^[0-9]+\.[0-9]+$`)

// checkSystem runs the system-parameter checks in the platform's order.
func (g *Gateway) checkSystem(req *request) *apiError {
	p := req.p
	switch m := p["method"]; {
	case m == "":
		return errCode(top.CodeMissingMethod)
	case m != MethodDeclare && m != MethodCallback && m != MethodMaterials:
		return errCode(top.CodeInvalidMethod)
	}
	switch k := p["app_key"]; {
	case k == "":
		return errCode(top.CodeMissingAppKey)
	case k != g.cfg.AppKey:
		return errCode(top.CodeInvalidAppKey)
	}
	ts := p["timestamp"]
	if ts == "" {
		return errCode(top.CodeMissingTimestamp)
	}
	t, err := time.ParseInLocation(cst.Layout, ts, cst.Zone)
	if err != nil {
		return errCode(top.CodeInvalidTimestamp)
	}
	if d := t.Sub(req.at); d > MaxSkew || d < -MaxSkew {
		return errCode(top.CodeInvalidTimestamp)
	}
	switch v := p["v"]; {
	case v == "":
		return errCode(top.CodeMissingVersion)
	case !versionForm.MatchString(v):
		return errCode(top.CodeInvalidVersion)
	case v != "2.0":
		return errCode(top.CodeUnsupportedVersion)
	}
	if f := p["format"]; f != "" && !strings.EqualFold(f, "json") && !strings.EqualFold(f, "xml") {
		return errCode(top.CodeInvalidFormat)
	}
	sign := p["sign"]
	if sign == "" {
		return errCode(top.CodeMissingSignature)
	}
	sm := p["sign_method"]
	if sm == "" {
		sm = string(top.SignMD5)
	}
	m, err := top.ParseSignMethod(sm)
	if err != nil {
		return errCode(top.CodeInvalidSignature)
	}
	want, err := top.Sign(p, g.cfg.Secret, m)
	if err != nil || subtle.ConstantTimeCompare([]byte(want), []byte(strings.ToUpper(sign))) != 1 {
		return errCode(top.CodeInvalidSignature)
	}
	switch s := p["session"]; {
	case s == "":
		return errCode(top.CodeMissingSession)
	case g.expired[s]:
		e := errCode(top.CodeInvalidSession)
		e.subCode, e.subMsg = "session-not-exist", "SessionKey不存在或已过期"
		return e
	case subtle.ConstantTimeCompare([]byte(s), []byte(g.cfg.Session)) != 1:
		e := errCode(top.CodeInvalidSession)
		e.subCode, e.subMsg = "invalid-sessionkey", "SessionKey非法"
		return e
	}
	if g.denied[p["method"]] {
		e := errCode(top.CodeInsufficientISVPerm)
		e.subCode, e.subMsg = "isv.permission-api-package-limit", "scope ids not authorized for "+p["method"]
		return e
	}
	return nil
}

// newRequestID returns a random request id like the platform's,
// "16ewgmd2e4gf3".
func newRequestID() string {
	const digits = "0123456789abcdefghijklmnopqrstuvwxyz"
	var b [13]byte
	for i := range b {
		b[i] = digits[rand.IntN(len(digits))]
	}
	return string(b[:])
}
