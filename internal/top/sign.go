package top

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"slices"
	"strings"
)

// SignMethod is how a request is signed: the value of the sign_method
// parameter.
type SignMethod string

// The sign methods the platform accepts.
const (
	SignMD5        SignMethod = "md5"         // MD5(secret + string + secret)
	SignHMAC       SignMethod = "hmac"        // HMAC-MD5(secret, string)
	SignHMACSHA256 SignMethod = "hmac-sha256" // HMAC-SHA256(secret, string)
)

// ParseSignMethod returns the SignMethod named s.
func ParseSignMethod(s string) (SignMethod, error) {
	switch m := SignMethod(s); m {
	case SignMD5, SignHMAC, SignHMACSHA256:
		return m, nil
	}
	return "", fmt.Errorf("unknown sign method %q: want md5, hmac or hmac-sha256", s)
}

// Sign returns the upper-case hex signature of params under secret, as the
// platform computes it: every parameter but "sign" whose value is not empty,
// sorted by name in byte order, concatenated as name1value1name2value2… with
// raw UTF-8 values, then digested by method.
func Sign(params map[string]string, secret string, method SignMethod) (string, error) {
	var h hash.Hash
	switch method {
	case SignMD5:
		h = md5.New()
		h.Write([]byte(secret))
	case SignHMAC:
		h = hmac.New(md5.New, []byte(secret))
	case SignHMACSHA256:
		h = hmac.New(sha256.New, []byte(secret))
	default:
		return "", fmt.Errorf("unknown sign method %q: want md5, hmac or hmac-sha256", string(method))
	}
	h.Write([]byte(signString(params)))
	if method == SignMD5 {
		h.Write([]byte(secret))
	}
	return strings.ToUpper(hex.EncodeToString(h.Sum(nil))), nil
}

// signString returns the string a signature is computed over.
func signString(params map[string]string) string {
	keys := make([]string, 0, len(params))
	n := 0
	for k, v := range params {
		if k == "sign" || v == "" {
			continue
		}
		keys = append(keys, k)
		n += len(k) + len(v)
	}
	slices.Sort(keys)
	var b strings.Builder
	b.Grow(n)
	for _, k := range keys {
		b.WriteString(k)
		b.WriteString(params[k])
	}
	return b.String()
}
