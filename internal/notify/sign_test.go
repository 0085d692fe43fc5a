package notify

import (
	"net/url"
	"testing"
	"time"
)

// testNow is the tests' fixed clock: the night's run ended at 02:14:45.123
// on 2026-11-21, UTC+8.
var testNow = time.Date(2026, 11, 21, 2, 14, 45, 123e6, time.FixedZone("CST", 8*3600))

// The vectors below were computed apart from this package, with Python 3's
// hmac, hashlib, base64 and urllib.parse:
//
//	DingTalk: urllib.parse.quote_plus(base64.b64encode(hmac.new(
//	    secret.encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest()))
//	Feishu:   base64.b64encode(hmac.new(
//	    f"{ts}\n{secret}".encode(), b"", hashlib.sha256).digest())
//
// (1700000000000, "secret") is also the test vector of the Rust crate
// dingding 0.1.1 (src/signature.rs).
func TestDingTalkSign(t *testing.T) {
	tests := []struct {
		ms           int64
		secret, want string // want URL-encoded, as it goes in the query
	}{
		{1700000000000, "secret", "OuzzJR5%2BxZ4%2FEYwqtNt6sMYZQMTa%2FHEGvc9miJe7XzY%3D"},
		{testNow.UnixMilli(), dingSecret, "80XumSi2MykrLrtyIc0aWxVl4qw8Md6pgvADnXylQu0%3D"},
	}
	if testNow.UnixMilli() != 1795198485123 {
		t.Fatalf("testNow = %d ms", testNow.UnixMilli())
	}
	for _, tt := range tests {
		if got := url.QueryEscape(dingtalkSign(tt.ms, tt.secret)); got != tt.want {
			t.Errorf("dingtalkSign(%d) = %s, want %s", tt.ms, got, tt.want)
		}
	}
}

func TestFeishuSign(t *testing.T) {
	tests := []struct {
		sec          int64
		secret, want string
	}{
		{1599360473, "secret", "q4jswNiMy51J5JuQV566yJat0/lQ/c+22kINzUgKsGU="},
		{testNow.Unix(), feishuSecret, "Jz3ajRitlCkBXhtnE9NCoaWVsdfiSrlTBp5MlxEnM2Q="},
	}
	for _, tt := range tests {
		if got := feishuSign(tt.sec, tt.secret); got != tt.want {
			t.Errorf("feishuSign(%d) = %s, want %s", tt.sec, got, tt.want)
		}
	}
	// The common mistake, signing as DingTalk does (keyed with the secret
	// over "timestamp\nsecret"), gives another sign.
	if mistake := "fSxh0W2t8X71FmqFguo7cDgghVArxizmMDlieWYFaDA="; feishuSign(testNow.Unix(), feishuSecret) == mistake {
		t.Error("feishuSign signs as DingTalk does")
	}
}
