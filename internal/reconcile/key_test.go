package reconcile

import (
	"strings"
	"testing"
)

func TestKeyRoundTrip(t *testing.T) {
	var tab ids
	tests := []struct {
		id     string
		packed bool
	}{
		{"1", true},
		{"5118609024991031607", true},          // a 19-digit Taobao order id
		{"9999999999999999999", true},          // the largest one-word id
		{"10000000000000000000", true},         // 20 digits: two words
		{"4200001234202611201234567890", true}, // a 28-digit WeChat transaction id
		{"4200000000000000000000000001", true}, // zeros inside the low word
		{"10000000000000000000000000000000000000", true},
		{strings.Repeat("9", 38), true},
		{strings.Repeat("9", 39), false},
		{"0123", false},
		{"0", false},
		{"wx-42", false},
		{"", false},
	}
	seen := map[key]string{}
	for _, tt := range tests {
		_, ok := pack(tt.id)
		if ok != tt.packed {
			t.Errorf("pack(%q) ok = %v, want %v", tt.id, ok, tt.packed)
		}
		k := tab.key(tt.id)
		if got := tab.str(k); got != tt.id {
			t.Errorf("str(key(%q)) = %q", tt.id, got)
		}
		if other, dup := seen[k]; dup {
			t.Errorf("%q and %q share the key %v", tt.id, other, k)
		}
		seen[k] = tt.id
		if k2 := tab.key(tt.id); k2 != k {
			t.Errorf("key(%q) is not stable: %v then %v", tt.id, k, k2)
		}
	}
}

func FuzzKey(f *testing.F) {
	for _, s := range []string{"1", "5118609024991031607", "4200001234202611201234567890", "007", "x"} {
		f.Add(s)
	}
	var tab ids
	f.Fuzz(func(t *testing.T, id string) {
		if got := tab.str(tab.key(id)); got != id {
			t.Fatalf("str(key(%q)) = %q", id, got)
		}
	})
}
