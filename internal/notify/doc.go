// Package notify posts the run's digest to the team's work chat: group
// robots of WeCom (企业微信), DingTalk (钉钉) and Feishu/Lark (飞书), once per
// run and robot, never one message per exception.
//
// # Robots
//
// A robot is named by its webhook URL (ParseTarget), told apart by its host
// or a kind prefix:
//
//	https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY          WeCom, markdown
//	https://oapi.dingtalk.com/robot/send?access_token=TOKEN           DingTalk, markdown
//	https://open.feishu.cn/open-apis/bot/v2/hook/TOKEN                Feishu, interactive card
//	https://open.larksuite.com/open-apis/bot/v2/hook/TOKEN            Lark, the same
//	dingtalk:https://relay.example/robot/send?access_token=TOKEN      any other host, with its kind
//
// Only https is accepted, but http to a loopback host (a receiver in a test,
// a local relay). The URL is the robot's credential: every log line and
// error shows it masked (Mask, Target.String), and a robot's answer is
// scrubbed of it.
//
// DingTalk and Feishu robots may sign their messages (加签, 签名校验) with
// a secret, which a Target is given with WithSecret or ParseTargets (from
// RECONCILE_DINGTALK_SECRET / --dingtalk-secret-file and
// RECONCILE_FEISHU_SECRET / --feishu-secret-file, ReadSecret reading the
// files). A secret is never printed: not by a Target, not in an error.
//
//   - DingTalk: timestamp (ms) and sign in the query, sign the URL-encoded
//     Base64 of HMAC-SHA256 keyed with the secret over timestamp+"\n"+secret
//     (dingtalkSign).
//   - Feishu: timestamp (s, as a string) and sign in the body, sign the
//     Base64 of HMAC-SHA256 keyed with timestamp+"\n"+secret over an EMPTY
//     message (feishuSign) — the reverse of DingTalk's, and signing it like
//     DingTalk's is the common mistake.
//
// A robot whose security setting is a keyword must have 对账 as one: every
// digest's title holds it.
//
// # The message
//
// Digest builds the message from the run's result, in Chinese and short
// enough for a phone; each platform gets it in its markup (Message.Markdown),
// at most MaxContent bytes. Feishu gets an interactive card, whose coloured
// header says at a glance how the night went.
//
// # Sending
//
// Client.Send posts a message to every robot in parallel, each attempt
// bounded (10 s) and each robot's attempts together (30 s), retrying
// network failures, 5xx, 429 and the platforms' rate-limit codes with
// backoff, keeping each robot to its 20 messages a minute within the
// process, and checking each answer's code (errcode 0, code 0). It returns
// an Outcome per robot; it never panics and never fails the run: the
// caller logs the outcomes and counts the failures in its summary.
//
// # Sources
//
//   - WeCom: 群机器人配置说明, https://developer.work.weixin.qq.com/document/path/91770
//     (markdown content at most 4096 bytes of UTF-8; 20 messages a minute),
//     as quoted in many clients' sources; 45009 "api freq out of limit" as
//     in WecomTeam/wecom-openclaw-plugin issue #48.
//   - DingTalk: 自定义机器人安全设置 (加签), read in a mirror at
//     https://apifox.com/apidoc/docs-site/467052/doc-3550006 (Java and
//     Python samples; the timestamp in ms, within an hour of the platform's
//     clock); the test vector of the Rust crate dingding 0.1.1
//     (docs.rs, src/signature.rs); 130101 "send too fast, exceed 20 times
//     per minute" as in ccfos/nightingale issue #369.
//   - Feishu: 自定义机器人使用指南,
//     https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot
//     (the Python sample: hmac.new(key=timestamp+"\n"+secret, msg="")),
//     read in a copy at https://m.down10s.com/jiaocheng/5605312225.html;
//     electricbubble/feishu-bot-api (api.go, genSign); the answers' codes
//     (19021 sign, 19024 keyword, 19022 IP, 9499 bad request, 11232
//     frequency limited; the request body at most 20 KB) as listed by
//     clients' READMEs and tests.
//
// Every signature test checks against vectors computed apart, with
// Python's hmac, so that a bug shared by the signer and the test's receiver
// still fails.
package notify
