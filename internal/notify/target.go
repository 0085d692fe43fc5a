package notify

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strings"
)

// Kind is a kind of group robot.
type Kind string

const (
	WeCom    Kind = "wecom"    // 企业微信群机器人
	DingTalk Kind = "dingtalk" // 钉钉自定义机器人
	Feishu   Kind = "feishu"   // 飞书 / Lark 自定义机器人
)

// Label is the platform's Chinese name: 企业微信, 钉钉, 飞书.
func (k Kind) Label() string {
	switch k {
	case WeCom:
		return "企业微信"
	case DingTalk:
		return "钉钉"
	case Feishu:
		return "飞书"
	}
	return string(k)
}

// hosts are the robots' own hosts: a URL at one of them needs no prefix.
var hosts = map[string]Kind{
	"qyapi.weixin.qq.com": WeCom,
	"oapi.dingtalk.com":   DingTalk,
	"open.feishu.cn":      Feishu,
	"open.larksuite.com":  Feishu,
}

// prefixes name a kind before a URL at another host (a proxy, a test
// receiver): "dingtalk:https://…". "lark:" is Feishu's international name.
var prefixes = map[string]Kind{"wecom": WeCom, "dingtalk": DingTalk, "feishu": Feishu, "lark": Feishu}

// feishuHookPath is where a Feishu or Lark custom robot's hook lives; its
// last segment is the robot's token.
const feishuHookPath = "/open-apis/bot/v2/hook/"

// accepted says what ParseTarget accepts, for its errors.
const accepted = "want a robot webhook at qyapi.weixin.qq.com (企业微信), oapi.dingtalk.com (钉钉), " +
	"open.feishu.cn or open.larksuite.com (飞书/Lark), or a URL prefixed with wecom:, dingtalk: or feishu:"

// Target is one robot to notify: its kind, its webhook URL and, for
// DingTalk and Feishu, its signing secret. The URL carries the robot's key
// or token, so a Target prints (String, GoString, LogValue) only masked,
// and never its secret. The zero Target is no robot.
type Target struct {
	kind   Kind
	url    *url.URL
	secret string
	// sensitive are the texts no error may show: the key or token, the
	// secret. See scrub.
	sensitive []string
}

// ParseTarget parses a --notify value: a webhook URL at one of the robots'
// hosts, or prefixed with its kind ("wecom:", "dingtalk:", "feishu:" or
// "lark:") when it is elsewhere, e.g. "dingtalk:https://proxy.example/robot/send?access_token=…".
//
// The URL must be https; http is accepted only for a loopback host
// (localhost, 127.0.0.0/8, ::1: a receiver in a test or a local relay), since
// the URL's key or token and the message would otherwise cross the network
// in clear. It must carry the robot's credential: key= for WeCom,
// access_token= for DingTalk, the last path segment for Feishu (under
// /open-apis/bot/v2/hook/ at Feishu's own hosts). A URL with a user or a
// password, or whose prefix names another kind than its host, is refused.
// Errors show the URL masked (Mask).
func ParseTarget(s string) (Target, error) {
	s = strings.TrimSpace(s)
	prefixed, rest := splitPrefix(s)
	masked := Mask(s)
	u, err := url.Parse(rest)
	if err != nil || u.Opaque != "" || u.Host == "" {
		return Target{}, fmt.Errorf("notify URL %s: not an absolute URL; %s", masked, accepted)
	}
	if u.User != nil {
		return Target{}, fmt.Errorf("notify URL %s: a user or password in the URL is not accepted", masked)
	}
	host := strings.ToLower(u.Hostname())
	switch strings.ToLower(u.Scheme) {
	case "https":
	case "http":
		if !loopback(host) {
			return Target{}, fmt.Errorf("notify URL %s: http is accepted only for a loopback host; use https", masked)
		}
	default:
		return Target{}, fmt.Errorf("notify URL %s: scheme %q: want https", masked, u.Scheme)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.Fragment, u.RawFragment = "", ""

	byHost, known := hosts[host]
	kind := prefixed
	switch {
	case prefixed != "" && known && prefixed != byHost:
		return Target{}, fmt.Errorf("notify URL %s: the prefix says %s but %s is a %s robot's host", masked, prefixed, host, byHost)
	case prefixed == "" && !known:
		return Target{}, fmt.Errorf("notify URL %s: unknown robot host %q; %s", masked, host, accepted)
	case prefixed == "":
		kind = byHost
	}

	t := Target{kind: kind, url: u}
	switch kind {
	case WeCom:
		if k := u.Query().Get("key"); k == "" {
			return Target{}, fmt.Errorf("notify URL %s: a WeCom robot's URL has its key in key=", masked)
		} else {
			t.sensitive = append(t.sensitive, k)
		}
	case DingTalk:
		if k := u.Query().Get("access_token"); k == "" {
			return Target{}, fmt.Errorf("notify URL %s: a DingTalk robot's URL has its token in access_token=", masked)
		} else {
			t.sensitive = append(t.sensitive, k)
		}
	case Feishu:
		tok := lastSegment(u.Path)
		if known {
			tok, _ = strings.CutPrefix(u.Path, feishuHookPath)
			tok = strings.TrimSuffix(tok, "/")
			if !strings.HasPrefix(u.Path, feishuHookPath) || strings.Contains(tok, "/") {
				tok = ""
			}
		}
		if tok == "" {
			return Target{}, fmt.Errorf("notify URL %s: a Feishu robot's URL is …%s<token>", masked, feishuHookPath)
		}
		t.sensitive = append(t.sensitive, tok)
	}
	// Every query value is masked in logs: keep them all out of errors too.
	for _, vs := range u.Query() {
		for _, v := range vs {
			if len(v) >= 6 {
				t.sensitive = append(t.sensitive, v)
			}
		}
	}
	return t, nil
}

// Secrets are the signing secrets (加签 / 签名校验) of the robots, one per
// kind that signs: every DingTalk robot gets DingTalk's, every Feishu robot
// Feishu's. "" means the robots of that kind do not sign. Secrets print only
// whether they are set.
type Secrets struct {
	DingTalk string
	Feishu   string
}

func (s Secrets) String() string {
	set := func(v string) string {
		if v == "" {
			return "unset"
		}
		return "set"
	}
	return "{DingTalk:" + set(s.DingTalk) + " Feishu:" + set(s.Feishu) + "}"
}

func (s Secrets) GoString() string { return "notify.Secrets" + s.String() }

// LogValue keeps the secrets out of structured logs.
func (s Secrets) LogValue() slog.Value { return slog.StringValue(s.String()) }

// ParseTargets parses every --notify value (ParseTarget) and gives each
// DingTalk and Feishu robot the secret of its kind. A robot named twice is
// an error (it would get the digest twice). The errors name every bad value,
// masked.
func ParseTargets(values []string, secrets Secrets) ([]Target, error) {
	var (
		ts   []Target
		errs []error
		seen = map[string]bool{}
	)
	for _, v := range values {
		t, err := ParseTarget(v)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		key := t.url.String()
		if seen[key] {
			errs = append(errs, fmt.Errorf("notify URL %s: given twice", t))
			continue
		}
		seen[key] = true
		switch t.kind {
		case DingTalk:
			t = t.WithSecret(secrets.DingTalk)
		case Feishu:
			t = t.WithSecret(secrets.Feishu)
		}
		ts = append(ts, t)
	}
	return ts, errors.Join(errs...)
}

// maxSecretFile bounds a secret file: a robot's secret is some 70 bytes.
const maxSecretFile = 4096

// ReadSecret reads a signing secret from a file (--dingtalk-secret-file,
// --feishu-secret-file): its content less surrounding white space, which
// must not be empty. Errors name the file, never its content.
func ReadSecret(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("signing secret: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
	if err != nil {
		return "", fmt.Errorf("signing secret %s: %w", path, err)
	}
	if len(data) > maxSecretFile {
		return "", fmt.Errorf("signing secret %s: larger than %d bytes: not a robot's secret", path, maxSecretFile)
	}
	s := strings.TrimSpace(string(data))
	if s == "" {
		return "", fmt.Errorf("signing secret %s: the file is empty", path)
	}
	if strings.ContainsAny(s, "\r\n") {
		return "", fmt.Errorf("signing secret %s: more than one line", path)
	}
	return s, nil
}

// WithSecret returns t signing with secret ("" for none). WeCom robots do
// not sign: a secret given them is ignored.
func (t Target) WithSecret(secret string) Target {
	if t.kind == WeCom {
		return t
	}
	t.secret = secret
	sens := make([]string, 0, len(t.sensitive)+1)
	sens = append(sens, t.sensitive...)
	if secret != "" {
		sens = append(sens, secret)
	}
	t.sensitive = sens
	return t
}

// Kind returns the robot's kind.
func (t Target) Kind() Kind { return t.kind }

// Signed reports whether messages to the robot are signed.
func (t Target) Signed() bool { return t.secret != "" }

// String returns the robot's URL masked, as every log line shows it, with
// its kind's prefix when its host is not the kind's own.
func (t Target) String() string {
	if t.url == nil {
		return "(no robot)"
	}
	if hosts[strings.ToLower(t.url.Hostname())] == t.kind {
		return Mask(t.url.String())
	}
	return Mask(string(t.kind) + ":" + t.url.String())
}

// GoString masks as String does, for %#v.
func (t Target) GoString() string { return "notify.Target(" + t.String() + ")" }

// LogValue masks as String does, for log/slog.
func (t Target) LogValue() slog.Value { return slog.StringValue(t.String()) }

// scrub replaces every sensitive text of the robot in s by ***.
func (t Target) scrub(s string) string {
	for _, v := range t.sensitive {
		if v == "" {
			continue
		}
		s = strings.ReplaceAll(s, v, "***")
		if e := url.QueryEscape(v); e != v {
			s = strings.ReplaceAll(s, e, "***")
		}
	}
	return s
}

// splitPrefix splits a kind prefix off s: ("dingtalk", "https://…") for
// "dingtalk:https://…", ("", s) when s has none.
func splitPrefix(s string) (Kind, string) {
	i := strings.IndexByte(s, ':')
	if i <= 0 {
		return "", s
	}
	if k, ok := prefixes[strings.ToLower(s[:i])]; ok {
		return k, s[i+1:]
	}
	return "", s
}

// loopback reports whether host (without a port) is this machine.
func loopback(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// tokenLike reports whether a path segment looks like a key or a token: 16
// characters or more, with a digit.
func tokenLike(seg string) bool {
	return len(seg) >= 16 && strings.ContainsAny(seg, "0123456789")
}

// lastSegment returns the last non-empty segment of a URL path.
func lastSegment(p string) string {
	p = strings.TrimRight(p, "/")
	return p[strings.LastIndexByte(p, '/')+1:]
}

// Mask returns a webhook URL (prefixed or not) fit for a log line or an
// error: its scheme, host and path, with the value of every query parameter
// replaced by *** (WeCom's key, DingTalk's access_token, timestamp and
// sign), the last path segment replaced by *** unless it is "send", the end
// of WeCom's and DingTalk's paths (a Feishu hook's token; for an unknown
// robot, whatever its last segment holds), and so is any segment that looks
// like a token (16 characters or more, a digit among them), any user and
// password replaced by ***, and no fragment: "https://oapi.dingtalk.com/robot/send?access_token=***",
// "https://open.feishu.cn/open-apis/bot/v2/hook/***". A kind prefix is kept.
// Text that is no URL at all masks to "***".
func Mask(s string) string {
	s = strings.TrimSpace(s)
	prefix, rest := splitPrefix(s)
	u, err := url.Parse(rest)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return "***"
	}
	var b strings.Builder
	if prefix != "" {
		b.WriteString(string(prefix) + ":")
	}
	b.WriteString(strings.ToLower(u.Scheme) + "://")
	if u.User != nil {
		b.WriteString("***@")
	}
	b.WriteString(u.Host)
	p := u.EscapedPath()
	segs := strings.Split(p, "/")
	last := len(segs) - 1
	for last > 0 && segs[last] == "" {
		last--
	}
	for i, seg := range segs {
		if seg != "" && ((i == last && seg != "send") || tokenLike(seg)) {
			segs[i] = "***"
		}
	}
	b.WriteString(strings.Join(segs, "/"))
	if u.RawQuery != "" {
		b.WriteByte('?')
		for i, kv := range strings.Split(u.RawQuery, "&") {
			if i > 0 {
				b.WriteByte('&')
			}
			if k, _, ok := strings.Cut(kv, "="); ok {
				b.WriteString(k + "=***")
			} else {
				b.WriteString("***")
			}
		}
	}
	return b.String()
}
