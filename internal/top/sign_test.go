package top

import (
	"strings"
	"testing"
)

// The vectors of docs/protocol.md#test-vectors: V1, V2 and V3 are published by the platform or
// by SDK tests; V1h, V1s and V5 were computed with two independent
// implementations.
func v1(method string) map[string]string {
	return map[string]string{
		"method":      "taobao.item.seller.get",
		"app_key":     "12345678",
		"session":     "test",
		"timestamp":   "2016-01-01 12:00:00",
		"format":      "json",
		"v":           "2.0",
		"sign_method": method,
		"fields":      "num_iid,title,nick,price,num",
		"num_iid":     "11223344",
	}
}

const v5JSON = `{"clearance_port_no":"2991","clearance_result_code":"0000","clearance_status":1,"clearance_time":"2023-06-20 13:21:54","customs_pass_no":"2991071755662","customs_return_receipt":"订单已放行\/...","idempotent":"xxe3444k9k9","order_id":1234567}`

func v5(method string) map[string]string {
	return map[string]string{
		"app_key":                      "12345678",
		"format":                       "json",
		"method":                       "tmall.hk.clearance.info.send",
		"session":                      "test",
		"timestamp":                    "2023-06-20 13:30:00",
		"v":                            "2.0",
		"sign_method":                  method,
		"order_clearance_info_request": v5JSON,
	}
}

func TestSignVectors(t *testing.T) {
	tests := []struct {
		name   string
		params map[string]string
		secret string
		method SignMethod
		want   string
	}{
		{"V1", v1("md5"), "helloworld", SignMD5, "66987CB115214E59E6EC978214934FB8"},
		{"V2", map[string]string{
			"method": "taobao.user.seller.get", "timestamp": "2013-05-06 13:52:03", "format": "xml",
			"app_key": "test", "v": "2.0", "fields": "nick", "sign_method": "md5", "session": "test",
		}, "test", SignMD5, "72CB4D809B375A54502C09360D879C64"},
		{"V3", map[string]string{
			"v": "2.0", "sign_method": "md5", "app_key": "12486123", "partner_id": "top-apitools",
			"method": "taobao.users.get", "format": "json", "timestamp": "2012-02-15 23:02:05",
			"nicks":  "孙凤民",
			"fields": "user_id,nick,sex,buyer_credit,seller_credit,location,created,last_visit,alipay_account",
		}, "280a8edc3a899b8a1e4cb965732d2441", SignMD5, "8E170B6351CC5C6CF34DFFDC63569734"},
		{"V1h", v1("hmac"), "helloworld", SignHMAC, "D56D7858309C31B6251083A874D48273"},
		{"V1s", v1("hmac-sha256"), "helloworld", SignHMACSHA256, "04DB15AD0774D5CFCE2C837DE43E3FCEA9011ED74F3038FB6AB5F3C4CEA119E8"},
		{"V5 md5", v5("md5"), "helloworld", SignMD5, "53CD9D309B5975F877EA0FE408AE3E5A"},
		{"V5 hmac", v5("hmac"), "helloworld", SignHMAC, "A431CC55C91D6B248558A41735EF39FF"},
		{"V5 hmac-sha256", v5("hmac-sha256"), "helloworld", SignHMACSHA256, "B197B3A4651DCC234FD8E1BA5EE07822286B6EDF37DEDBEE0A37C1E9990BDC29"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Sign(tt.params, tt.secret, tt.method)
			if err != nil {
				t.Fatalf("Sign: %v", err)
			}
			if got != tt.want {
				t.Errorf("Sign = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestSignString(t *testing.T) {
	// The V1 pre-image of docs/protocol.md#test-vectors, without the secret on both sides.
	want := "app_key12345678fieldsnum_iid,title,nick,price,numformatjsonmethodtaobao.item.seller.getnum_iid11223344sessiontestsign_methodmd5timestamp2016-01-01 12:00:00v2.0"
	if got := signString(v1("md5")); got != want {
		t.Errorf("signString = %q\nwant          %q", got, want)
	}
}

func TestSignSkipsSignAndEmptyValues(t *testing.T) {
	base, _ := Sign(v1("md5"), "helloworld", SignMD5)
	p := v1("md5")
	p["sign"] = "ABCDEF"
	p["partner_id"] = ""
	got, _ := Sign(p, "helloworld", SignMD5)
	if got != base {
		t.Errorf("Sign with sign and an empty parameter = %s, want %s", got, base)
	}
}

func TestSignUnknownMethod(t *testing.T) {
	_, err := Sign(v1("sha1"), "secret-value", "sha1")
	if err == nil || !strings.Contains(err.Error(), `"sha1"`) {
		t.Fatalf("Sign(sha1) error = %v, want unknown sign method", err)
	}
	if strings.Contains(err.Error(), "secret-value") {
		t.Errorf("error %q shows the secret", err)
	}
}

func TestParseSignMethod(t *testing.T) {
	for _, s := range []string{"md5", "hmac", "hmac-sha256"} {
		if m, err := ParseSignMethod(s); err != nil || string(m) != s {
			t.Errorf("ParseSignMethod(%q) = %q, %v", s, m, err)
		}
	}
	for _, s := range []string{"", "MD5", "sha256", "hmac_sha256"} {
		if _, err := ParseSignMethod(s); err == nil {
			t.Errorf("ParseSignMethod(%q) succeeded, want an error", s)
		}
	}
}
