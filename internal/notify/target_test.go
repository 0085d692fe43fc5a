package notify

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The credentials of the tests' robots: no output may show them.
const (
	wecomKey      = "693a91f6-7fff-4bc4-97a0-0ec2sifa5aaa"
	dingtalkToken = "4f1c9e0b7d2a46f8b3e5c1d09a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b"
	feishuToken   = "5e3d587e-d78e-4a07-bd07-265f269f86fd"
	dingSecret    = "SECb2c4e6a8d0f2b4c6e8a0c2e4f6a8b0d2c4e6f8a0b2c4d6e8f0a2b4c6d8e0f2a4"
	feishuSecret  = "nIMtb7r3N9pkXyXdtAbx6e"
)

var (
	wecomURL    = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=" + wecomKey
	dingtalkURL = "https://oapi.dingtalk.com/robot/send?access_token=" + dingtalkToken
	feishuURL   = "https://open.feishu.cn/open-apis/bot/v2/hook/" + feishuToken
	larkURL     = "https://open.larksuite.com/open-apis/bot/v2/hook/" + feishuToken
)

// assertNoSecrets fails when s shows any of the tests' credentials.
func assertNoSecrets(t *testing.T, what, s string) {
	t.Helper()
	for _, v := range []string{wecomKey, dingtalkToken, feishuToken, dingSecret, feishuSecret} {
		if strings.Contains(s, v) {
			t.Errorf("%s shows a credential %.8s…: %s", what, v, s)
		}
	}
}

func TestParseTarget(t *testing.T) {
	tests := []struct {
		in, kind, str string
	}{
		{wecomURL, "wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=***"},
		{dingtalkURL, "dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=***"},
		{feishuURL, "feishu", "https://open.feishu.cn/open-apis/bot/v2/hook/***"},
		{larkURL, "feishu", "https://open.larksuite.com/open-apis/bot/v2/hook/***"},
		{"  " + dingtalkURL + "\n", "dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=***"},
		{"HTTPS://OAPI.DingTalk.com/robot/send?access_token=" + dingtalkToken, "dingtalk", "https://OAPI.DingTalk.com/robot/send?access_token=***"},
		// A prefix that agrees with the host is allowed.
		{"dingtalk:" + dingtalkURL, "dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=***"},
		// Other hosts, with a prefix.
		{"dingtalk:https://relay.example.com/robot/send?access_token=" + dingtalkToken, "dingtalk",
			"dingtalk:https://relay.example.com/robot/send?access_token=***"},
		{"DingTalk:http://127.0.0.1:8080/robot/send?access_token=" + dingtalkToken, "dingtalk",
			"dingtalk:http://127.0.0.1:8080/robot/send?access_token=***"},
		{"wecom:http://localhost:9/send?key=" + wecomKey, "wecom", "wecom:http://localhost:9/send?key=***"},
		{"feishu:http://[::1]:8080/hook/" + feishuToken, "feishu", "feishu:http://[::1]:8080/hook/***"},
		{"lark:https://relay.example.com/bot/" + feishuToken + "/", "feishu", "feishu:https://relay.example.com/bot/***/"},
		// The fragment is dropped.
		{wecomURL + "#top", "wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=***"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseTarget(tt.in)
			if err != nil {
				t.Fatalf("ParseTarget: %v", err)
			}
			if string(got.Kind()) != tt.kind {
				t.Errorf("kind = %s, want %s", got.Kind(), tt.kind)
			}
			if s := got.String(); s != tt.str {
				t.Errorf("String() = %s, want %s", s, tt.str)
			}
			for _, s := range []string{fmt.Sprint(got), fmt.Sprintf("%+v", got), fmt.Sprintf("%#v", got), got.LogValue().String()} {
				assertNoSecrets(t, "the target", s)
			}
		})
	}
}

func TestParseTargetRefuses(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string // in the error
	}{
		{"unknown host", "https://hooks.example.com/services/T000/B000/" + feishuToken,
			[]string{"https://hooks.example.com/services/T000/B000/***", "unknown robot host", "qyapi.weixin.qq.com", "oapi.dingtalk.com", "open.feishu.cn", "dingtalk:"}},
		{"unknown prefix", "slack:https://hooks.example.com/x?token=" + dingtalkToken, []string{"notify URL ***: not an absolute URL"}},
		{"http elsewhere", "http://oapi.dingtalk.com/robot/send?access_token=" + dingtalkToken,
			[]string{"http://oapi.dingtalk.com/robot/send?access_token=***", "loopback", "https"}},
		{"http elsewhere, prefixed", "wecom:http://10.0.0.8/send?key=" + wecomKey, []string{"wecom:http://10.0.0.8/send?key=***", "loopback"}},
		{"ftp", "ftp://oapi.dingtalk.com/robot/send?access_token=" + dingtalkToken, []string{"scheme \"ftp\""}},
		{"prefix against host", "wecom:" + dingtalkURL, []string{"wecom:https://oapi.dingtalk.com/robot/send?access_token=***", "prefix says wecom", "dingtalk"}},
		{"no key", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send", []string{"key="}},
		{"empty key", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=", []string{"key="}},
		{"no access token", "https://oapi.dingtalk.com/robot/send?token=" + dingtalkToken, []string{"access_token=", "token=***"}},
		{"feishu without token", "https://open.feishu.cn/open-apis/bot/v2/hook/", []string{"/open-apis/bot/v2/hook/<token>"}},
		{"feishu below the token", feishuURL + "/x", []string{"/open-apis/bot/v2/hook/<token>"}},
		{"feishu elsewhere on its host", "https://open.feishu.cn/open-apis/im/v1/" + feishuToken, []string{"/open-apis/bot/v2/hook/<token>", "open.feishu.cn/open-apis/im/v1/***"}},
		{"user and password", "https://user:" + dingSecret + "@oapi.dingtalk.com/robot/send?access_token=" + dingtalkToken,
			[]string{"https://***@oapi.dingtalk.com/robot/send?access_token=***", "user or password"}},
		{"not a URL", "oapi.dingtalk.com/robot/send?access_token=" + dingtalkToken, []string{"not an absolute URL"}},
		{"bad escape", "https://oapi.dingtalk.com/robot/send%zz?access_token=" + dingtalkToken, []string{"***", "not an absolute URL"}},
		{"empty", "", []string{"not an absolute URL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseTarget(tt.in)
			if err == nil {
				t.Fatalf("ParseTarget(%s) = nil error", Mask(tt.in))
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			assertNoSecrets(t, "the error", err.Error())
		})
	}
}

func TestMask(t *testing.T) {
	tests := []struct{ in, want string }{
		{wecomURL, "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=***"},
		{dingtalkURL + "&timestamp=1763690400000&sign=qeHb%2B", "https://oapi.dingtalk.com/robot/send?access_token=***&timestamp=***&sign=***"},
		{feishuURL, "https://open.feishu.cn/open-apis/bot/v2/hook/***"},
		{feishuURL + "/", "https://open.feishu.cn/open-apis/bot/v2/hook/***/"},
		{"feishu:http://127.0.0.1:1234/hook/" + feishuToken, "feishu:http://127.0.0.1:1234/hook/***"},
		{"dingtalk:http://127.0.0.1:1234/robot/send?access_token=" + dingtalkToken, "dingtalk:http://127.0.0.1:1234/robot/send?access_token=***"},
		// Unknown robots: the last path segment and every query value.
		{"https://hooks.example.com/services/" + feishuToken + "?x=" + dingtalkToken, "https://hooks.example.com/services/***?x=***"},
		{"https://hooks.example.com/?" + dingtalkToken, "https://hooks.example.com/?***"},
		{"https://u:" + dingSecret + "@qyapi.weixin.qq.com/cgi-bin/webhook/send?key=" + wecomKey + "#" + feishuToken,
			"https://***@qyapi.weixin.qq.com/cgi-bin/webhook/send?key=***"},
		{"https://qyapi.weixin.qq.com", "https://qyapi.weixin.qq.com"},
		// A prefix that contradicts the host masks as much.
		{"wecom:" + feishuURL, "wecom:https://open.feishu.cn/open-apis/bot/v2/hook/***"},
		{"dingtalk:https://relay.example.com/" + dingtalkToken + "/send?access_token=" + dingtalkToken, "dingtalk:https://relay.example.com/***/send?access_token=***"},
		{feishuURL + "/x", "https://open.feishu.cn/open-apis/bot/v2/hook/***/***"},
		{"https://relay.example.com/open-apis/v2/robot/send", "https://relay.example.com/open-apis/v2/robot/send"},
		{"not a url " + dingtalkToken, "***"},
		{"https://oapi.dingtalk.com/robot/send%zz?access_token=" + dingtalkToken, "***"},
		{"", "***"},
	}
	for _, tt := range tests {
		if got := Mask(tt.in); got != tt.want {
			t.Errorf("Mask(%.40q…) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestParseTargets(t *testing.T) {
	ts, err := ParseTargets([]string{wecomURL, dingtalkURL, feishuURL}, Secrets{DingTalk: dingSecret, Feishu: feishuSecret})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, x := range ts {
		got = append(got, fmt.Sprintf("%s signed=%v", x.Kind(), x.Signed()))
		if want := x.Kind() == DingTalk || x.Kind() == Feishu; x.Signed() != want {
			t.Errorf("%s: Signed() = %v, want %v", x, x.Signed(), want)
		}
	}
	if len(ts) != 3 {
		t.Fatalf("targets = %v", got)
	}
	if ts[1].secret != dingSecret || ts[2].secret != feishuSecret {
		t.Error("the secrets went to the wrong robots")
	}

	// Bad values: each named, masked; a robot given twice.
	_, err = ParseTargets([]string{dingtalkURL, "https://hooks.example.com/x/" + feishuToken, dingtalkURL, "wecom:" + feishuURL},
		Secrets{DingTalk: dingSecret})
	if err == nil {
		t.Fatal("no error")
	}
	for _, w := range []string{"hooks.example.com/x/***", "given twice", "prefix says wecom"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %q", err, w)
		}
	}
	assertNoSecrets(t, "the error", err.Error())

	s := Secrets{DingTalk: dingSecret, Feishu: feishuSecret}
	var logs strings.Builder
	slog.New(slog.NewTextHandler(&logs, nil)).Info("config", "secrets", s, "target", ts[2])
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%+v", s), fmt.Sprintf("%#v", s), logs.String()} {
		assertNoSecrets(t, "the secrets", out)
	}
	if !strings.Contains(fmt.Sprint(s), "DingTalk:set") || !strings.Contains(fmt.Sprint(Secrets{}), "Feishu:unset") {
		t.Errorf("Secrets print %s and %s", s, Secrets{})
	}
}

func TestReadSecret(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name, path, want, err string
	}{
		{"trailing newline", write("ok", dingSecret+"\n"), dingSecret, ""},
		{"crlf and spaces", write("crlf", "  "+feishuSecret+"\r\n"), feishuSecret, ""},
		{"empty", write("empty", "\n \n"), "", "empty"},
		{"two lines", write("two", dingSecret+"\n"+feishuSecret+"\n"), "", "more than one line"},
		{"too large", write("large", strings.Repeat(dingSecret, 100)), "", "larger than"},
		{"missing", filepath.Join(dir, "missing"), "", "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadSecret(tt.path)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("ReadSecret = %v, want an error saying %q", err, tt.err)
				}
				assertNoSecrets(t, "the error", err.Error())
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ReadSecret = %q, %v; want the secret", got, err)
			}
		})
	}
}
