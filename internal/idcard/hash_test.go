package idcard

import (
	"encoding/hex"
	"strings"
	"testing"
)

func TestHasher(t *testing.T) {
	if _, err := NewHasher([]byte("short")); err == nil {
		t.Error("a 5-byte key: no error")
	}
	a, err := NewHasher([]byte("0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewHasher(DeriveKey("an app secret"))
	const id = "11010519491231002X"
	for _, tt := range []struct {
		name string
		x, y string
		same bool
	}{
		{"one number, one key", a.Hash(id), a.Hash(id), true},
		{"trimmed, check character upper-cased", a.Hash(" 11010519491231002x\t"), a.Hash(id), true},
		{"another number", a.Hash("110105194912310021"), a.Hash(id), false},
		{"another key", b.Hash(id), a.Hash(id), false},
		{"key ids", a.KeyID(), b.KeyID(), false},
	} {
		if (tt.x == tt.y) != tt.same {
			t.Errorf("%s: %q vs %q, same %v", tt.name, tt.x, tt.y, tt.same)
		}
	}
	if h := a.Hash(id); len(h) != 64 || strings.Contains(h, "1101051949") {
		t.Errorf("hash %q: want 64 hex digits and nothing of the number", h)
	}
	if len(a.KeyID()) != 16 {
		t.Errorf("key id %q", a.KeyID())
	}
	// Known answers (Python's hmac module), so that the hash is the same
	// in every process and version.
	if got, want := a.Hash(id), "fe90ac5e7e2de6cfb0d15795e977a08c4f819920ab84647fe41f05c181d56390"; got != want {
		t.Errorf("Hash = %s, want %s", got, want)
	}
	if got, want := hex.EncodeToString(DeriveKey("an app secret")), "63ec07d6ba8a50af8a1bdfa5c6d60ba259ee132037cc31d6134da4408f87f118"; got != want {
		t.Errorf("DeriveKey = %s, want %s", got, want)
	}
}
