package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
)

// dingtalkSign is DingTalk's 加签 of a message sent at ms (Unix time in
// milliseconds): HMAC-SHA256 keyed with the secret over
// timestamp + "\n" + secret, in standard Base64. The caller URL-encodes it
// into the query (&timestamp=…&sign=…), as the platform asks. DingTalk
// refuses a timestamp more than an hour from its clock.
//
// Source: DingTalk's 自定义机器人安全设置 (加签), whose Java and Python
// samples key the HMAC with the secret (SecretKeySpec(secret), hmac.new(
// secret_enc, string_to_sign_enc)) and URL-encode the Base64
// (URLEncoder.encode, urllib.parse.quote_plus); read in a mirror of the
// page at https://apifox.com/apidoc/docs-site/467052/doc-3550006. The test
// vector (1700000000000, "secret") → "OuzzJR5%2BxZ4%2FEYwqtNt6sMYZQMTa%2FHEGvc9miJe7XzY%3D"
// of the Rust crate dingding 0.1.1 (src/signature.rs, docs.rs) agrees, and
// is one of this package's tests.
func dingtalkSign(ms int64, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(ms, 10) + "\n" + secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// feishuSign is Feishu's (and Lark's) 签名校验 of a message sent at sec
// (Unix time in seconds): HMAC-SHA256 keyed with timestamp + "\n" + secret
// over an EMPTY message, in standard Base64, sent in the body's "sign" beside
// "timestamp" (the seconds as a string). It is the reverse of DingTalk's —
// the string to sign is the key, not the message — and signing it like
// DingTalk's is the common mistake (answered with code 19021, "sign match
// fail or timestamp is not within one hour from current time").
//
// Source: Feishu's 自定义机器人使用指南
// (https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot), whose
// Python sample is hmac.new(key_enc, msg_enc, digestmod=sha256) with
// key = f'{timestamp}\n{secret}' and msg = "" (read in a copy of the page at
// https://m.down10s.com/jiaocheng/5605312225.html); the Go SDK
// electricbubble/feishu-bot-api (api.go, genSign: hmac.New(sha256.New,
// []byte(timestamp+"\n"+secret)) over no data) and the post
// https://blog.csdn.net/zhanglili1993/article/details/136473704 (hash_hmac
// over an empty string keyed with the string to sign, after 19021 for signing it like
// DingTalk) agree.
func feishuSign(sec int64, secret string) string {
	mac := hmac.New(sha256.New, []byte(strconv.FormatInt(sec, 10)+"\n"+secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
