// Package sandbox is a local simulator of the Taobao Open Platform (TOP)
// REST gateway for the three Tmall Global clearance APIs the job calls:
// tmall.hk.clearance.declare.wechat, tmall.hk.clearance.info.send and
// tmall.hk.clearance.distribution.get.
//
// A *Gateway is an http.Handler serving GET and POST on Path
// ("/router/rest"). It is meant to behave like the platform, not like a
// stub: "make demo" runs the job against it, the job's tests mount it with
// httptest, and load and fault tests use its flow control, latency and
// fault injection. Everything is configured by Config, whose zero value is
// a working gateway with the demo credentials of DefaultCredentials.
//
// # Parameters and system checks
//
// Parameters come from the query string and from the body
// (application/x-www-form-urlencoded, or multipart/form-data), merged; a
// name given in both places takes the body's value, as net/http's
// Request.Form orders them, and an empty value counts as absent. The
// signature is checked over the union with top.Sign. The system checks
// run in the platform's order, and the first that fails answers:
//
//	method     missing 21, not one of the three APIs 22
//	app_key    missing 28, not Config.AppKey 29
//	timestamp  missing 30, not "yyyy-MM-dd HH:mm:ss" in UTC+8 or more than
//	           10 minutes from the gateway's clock 31
//	v          missing 32, not digits.digits 33, not "2.0" 34
//	format     not json or xml (absent is xml) 23
//	sign       missing 24, wrong 25; sign_method md5 (also when absent),
//	           hmac or hmac-sha256, anything else 25; the hex is compared
//	           case-insensitively
//	session    missing 26; one of Config.ExpiredSessions 27
//	           session-not-exist; any other wrong one 27 invalid-sessionkey
//	permission a method in Config.DeniedMethods 11
//	           isv.permission-api-package-limit
//	flow       code 7, see below
//
// then fault injection, then the API itself.
//
// # Answers
//
// Every answer is HTTP 200 and carries a random request_id. With
// format=json a success is {"<name>_response":{…,"request_id":"…"}}, where
// <name> is the method with dots turned into underscores, or the bare
// object with simplify=true; an error is {"error_response":{"code":…,
// "msg":…,"sub_code":…,"sub_msg":…,"request_id":…}} with sub_code and
// sub_msg left out when empty. Without format, or with format=xml, the same
// fields are written as XML (<error_response><code>25</code>…); simplify
// does not change XML answers. A business failure inside a success
// envelope (response_success, obj.request_success, msg_success,
// result.success false) is a success at the gateway level: code 0 in
// Counters.Answers.
//
// # The APIs
//
// tmall.hk.clearance.declare.wechat takes wechat_pay_validate_req, a JSON
// object whose order_id, transaction_id and customs must be JSON strings
// (order_id all digits) and whose order_fee, product_fee and transport_fee
// must be JSON integers in fen; anything else is code 41, a missing
// parameter 40, a missing or empty inner field (or a negative fee) the
// business error response_code CL_PARAM_ERROR. Then, in order: an order
// already held answers its current state if the parameters are the same (a
// repeat) and, if they differ in any way, obj.request_success false,
// error_code PARAM_ERROR, error_msg "商户海关申报重入信息不一致" and the held
// state, unchanged; order_fee ≠ product_fee + transport_fee answers
// request_success false, state FAIL, error_code PARAM_ERROR; an order in
// Config.RejectOrders answers error_response 15 isv.invalid-parameter; a
// customs code in Config.FailCustoms answers state FAIL, error_code NO_AUTH
// "商户未在当前申报的海关进行备案"; an order in Config.ExceptOrders answers
// request_success true with state EXCEPT, error_code CUSTOMS_EXCEPT
// (海关接口异常), so that a client must look at the state; anything else is
// held and answered UNDECLARED. Failed declarations are not held: a later
// one for the same order is judged afresh.
//
// A held declaration moves on with the gateway's clock, measured from when
// it was accepted, and a repeat answers the state of the moment (so
// re-sending the identical declaration is how a client follows it):
//
//	before Config.ProcessingAfter  UNDECLARED
//	before Config.SuccessAfter     PROCESSING
//	from then on                   SUCCESS; or, for an order of
//	                               Config.FailLaterOrders, its final state:
//	                               FAIL (request_success false, error_code
//	                               CUSTOMS_FAIL, error_msg 申报失败, the
//	                               page's word for FAIL) or EXCEPT
//	                               (request_success true, CUSTOMS_EXCEPT
//	                               海关接口异常, as Config.ExceptOrders);
//	                               or, for an order of Config.StuckOrders,
//	                               PROCESSING for ever
//
// A declaration that ended FAIL or EXCEPT this way stays held: an
// identical one answers the final state and counts as a repeat, a
// different one is still refused as a conflict (with the final state).
// The immediate failures above come first: an order that fails at once is
// not held and does not fail later. Declaration's State is the state an
// identical declaration would answer now.
//
// tmall.hk.clearance.info.send takes order_clearance_info_request, a JSON
// object: order_id and clearance_status must be JSON integers,
// clearance_time a string "yyyy-MM-dd HH:mm:ss", the other fields strings,
// else code 41. A missing parameter or idempotent key answers msg_success
// false, msg_code PARAM_NOT_NULL; a clearance_status other than 1 or 2
// msg_code PARAM_ILLEGAL. A callback is keyed by (idempotent,
// clearance_status): the first is recorded, a repeat is answered the same
// (msg_success true) and counted as a repeat.
//
// tmall.hk.clearance.distribution.get takes order_id (decimal digits,
// else 41; absent 40) and need_image (true or false, default false, else
// 41) and answers materials made up from the order id alone: a Chinese
// name, an ID number with a real region code, a birth date between 1960
// and 2003 and a correct GB 11643 check character, type 1, and an expiry
// date one to ten years after the gateway's current year (长期 for some
// people born before 1976); credential1 and credential2 image URLs only
// with need_image=true. The same order id always gets the same name and
// number. Config.Materials (see LoadMaterials) overrides fields per order,
// or makes an order's materials missing: result.success false with
// err_code and err_msg.
//
// # Flow control
//
// With Config.RateLimit = L > 0, calls that pass the system checks are
// limited per app key by a token bucket that holds L calls and refills at
// L per second, with an allowance of Config.RateJitter (100 ms by default)
// for arrival jitter. Formally it is the generic cell rate algorithm with
// emission interval T = 1s/L and tolerance 1s − T + RateJitter, applied to
// arrival times on the gateway's clock: n calls arriving within any span d
// are admitted only if n ≤ L·(d + 1s + RateJitter). So a client holding a
// limiter of rate L and any burst up to L (golang.org/x/time/rate) is
// never banned for arrivals that bunch up by less than RateJitter, while a
// client sending faster than L per second for about a second is. The first
// call over the limit starts a ban of Config.BanSeconds: it and every call
// until the ban ends answer code 7 App Call Limited, sub_code
// accesscontrol.limited-by-api-access-count, sub_msg "This ban will last
// for N more seconds" with N the whole seconds left (rounded up). Calls
// refused during a ban do not use the bucket.
//
// With Config.DailyQuota = Q > 0, the (Q+1)-th admitted call of an app key
// on one UTC+8 day, and every later one that day, answers code 7 sub_code
// accesscontrol.limited-by-app-access-count with N the seconds left until
// midnight UTC+8.
//
// # Latency and faults
//
// Every answer, error or not, is delayed by Config.Latency plus a uniform
// random part in [0, Config.Jitter). The effect of a call happens when it
// arrives, before the delay: a client that gives up during the delay has
// still made its call, as with the real platform. A client that hangs up
// ends the wait early.
//
// With Config.FaultRate = r > 0, each call that passed the system checks
// and flow control draws a fault with probability r, of a kind chosen
// uniformly from Config.Faults (all kinds by default), from a PRNG seeded
// with Config.Seed. With Config.SpareMaterials, distribution.get calls
// draw no faults. The kinds:
//
//	isp      error_response 15 isp.top-remote-connection-timeout or 50
//	         isp.remote-service-error (chosen at random); no effect
//	http502  HTTP 502 with an HTML body; no effect
//	drop     the connection is closed without an answer; no effect
//	lost     the call takes effect, then the connection is closed without
//	         an answer
//	ban      code 7 as above, and a ban of Config.BanSeconds starts
//
// drop and lost hijack the connection (HTTP/1.x); with a ResponseWriter
// that cannot be hijacked they panic with http.ErrAbortHandler, which
// net/http turns into an aborted response. Go's http.Client never retries
// a POST on its own, but it may replay a GET that failed on a reused
// connection, so a lost GET can take effect twice.
//
// # Inspection
//
// Counters returns a consistent snapshot of what the gateway saw;
// Declaration, Callback and Arrivals return what it holds. All methods are
// safe for concurrent use.
package sandbox
