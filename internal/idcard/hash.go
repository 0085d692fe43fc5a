package idcard

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
)

// MinKeyLen is the shortest key NewHasher accepts, in bytes.
const MinKeyLen = 16

// Hasher turns an ID number into a keyed hash (HMAC-SHA256), by which the
// journal knows a buyer without holding the number: the same number gives
// the same hash under the same key; without the key, the hashes of the
// few billion possible numbers cannot be tried. The key is never stored.
type Hasher struct{ key []byte }

// NewHasher returns a Hasher with key, which must have at least MinKeyLen
// bytes.
func NewHasher(key []byte) (*Hasher, error) {
	if len(key) < MinKeyLen {
		return nil, errors.New("idcard: the buyer key must have at least 16 bytes")
	}
	return &Hasher{key: append([]byte(nil), key...)}, nil
}

// DeriveKey derives a buyer key from the app secret, for a deployment
// that gives no key of its own: the hash then changes with the secret.
func DeriveKey(appSecret string) []byte {
	m := hmac.New(sha256.New, []byte(appSecret))
	m.Write([]byte("reconcile buyer key v1"))
	return m.Sum(nil)
}

// Hash returns the buyer's hash of an ID number: 64 hex digits. The number
// is trimmed and its check character upper-cased first, so that
// "11010519491231002x " and "11010519491231002X" are one buyer.
func (h *Hasher) Hash(idNo string) string {
	m := hmac.New(sha256.New, h.key)
	m.Write([]byte("buyer:"))
	m.Write([]byte(strings.ToUpper(strings.TrimSpace(idNo))))
	return hex.EncodeToString(m.Sum(nil))
}

// KeyID returns 16 hex digits that identify the key without revealing it,
// so that a journal can tell when the key changed.
func (h *Hasher) KeyID() string {
	m := hmac.New(sha256.New, h.key)
	m.Write([]byte("key id"))
	return hex.EncodeToString(m.Sum(nil))[:16]
}
