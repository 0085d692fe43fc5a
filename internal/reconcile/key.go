package reconcile

import (
	"math"
	"strconv"
	"sync"
)

// key is a compact, exact form of an order or transaction id, so that a
// million orders do not cost a million strings. A digit string of up to 38
// digits without a leading zero is packed into two words: lo holds the last
// 19 digits and hi the digits before them (hi is 0 for 19 digits or fewer
// and at least 1 otherwise, so every packed id has one form). Anything
// else (a leading zero, a letter, 39 digits or more) is held in a side
// table; its key has hi = sideHi and lo = the table index.
type key struct{ hi, lo uint64 }

const (
	sideHi  = math.MaxUint64 // marks a key held in the side table
	pow19   = 10_000_000_000_000_000_000
	maxPart = 19 // digits per word: 10^19 − 1 fits a uint64
)

// ids turns ids into keys and back. It is safe for concurrent use; the
// lock is only taken for the rare ids that do not pack.
type ids struct {
	mu    sync.Mutex
	side  map[string]uint64
	names []string
}

// key returns the key of id.
func (t *ids) key(id string) key {
	if k, ok := pack(id); ok {
		return k
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.side == nil {
		t.side = make(map[string]uint64)
	}
	i, ok := t.side[id]
	if !ok {
		i = uint64(len(t.names))
		t.names = append(t.names, id)
		t.side[id] = i
	}
	return key{sideHi, i}
}

// str returns the id of k.
func (t *ids) str(k key) string {
	if k.hi == sideHi {
		t.mu.Lock()
		defer t.mu.Unlock()
		return t.names[k.lo]
	}
	if k.hi == 0 {
		return strconv.FormatUint(k.lo, 10)
	}
	var b [2 * maxPart]byte
	s := strconv.AppendUint(b[:0], k.hi, 10)
	lo := strconv.AppendUint(make([]byte, 0, maxPart), k.lo, 10)
	for range maxPart - len(lo) {
		s = append(s, '0')
	}
	return string(append(s, lo...))
}

// pack packs a digit string as described at key.
func pack(s string) (key, bool) {
	n := len(s)
	if n == 0 || n > 2*maxPart || s[0] == '0' {
		return key{}, false
	}
	var hi, lo uint64
	split := n - maxPart
	if split < 0 {
		split = 0
	}
	for i := 0; i < n; i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return key{}, false
		}
		if i < split {
			hi = hi*10 + uint64(c-'0')
		} else {
			lo = lo*10 + uint64(c-'0')
		}
	}
	return key{hi, lo}, true
}
