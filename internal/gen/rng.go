package gen

import (
	"math/bits"
	"math/rand/v2"
)

// rng is a PCG generator (math/rand/v2) with the few draws the generator
// needs, as concrete methods so that the hot loops make no interface calls.
type rng struct{ p rand.PCG }

// seed starts the stream of a seed and a stream number. The stream number
// is mixed first, so that neighbouring streams are unrelated.
func (r *rng) seed(seed, stream uint64) { r.p.Seed(seed, mix64(stream^0x6a09e667f3bcc909)) }

func (r *rng) u64() uint64 { return r.p.Uint64() }

// intn returns a number in [0, n) (Lemire's multiply-shift; the bias for
// the small n used here is far below anything observable). n > 0.
func (r *rng) intn(n int) int {
	hi, _ := bits.Mul64(r.p.Uint64(), uint64(n))
	return int(hi)
}

// between returns a number in [lo, hi].
func (r *rng) between(lo, hi int) int { return lo + r.intn(hi-lo+1) }

// permille reports true k times in a thousand.
func (r *rng) permille(k int) bool { return r.intn(1000) < k }

// mix64 is the SplitMix64 finaliser: a bijection that scatters its input.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// perm is a keyed bijection of [0, mod): a balanced Feistel network over
// the smallest even number of bits that holds mod, with cycle walking (a
// value of mod or more is permuted again until it falls below mod). Ids
// built from it look random yet never repeat.
type perm struct {
	mod  uint64
	half uint // bits of each half
	keys [4]uint64
}

func newPerm(mod uint64, key uint64) perm {
	p := perm{mod: mod}
	bits := uint(0)
	for uint64(1)<<bits < mod {
		bits++
	}
	p.half = (bits + 1) / 2
	for i := range p.keys {
		key = mix64(key + 0x9e3779b97f4a7c15)
		p.keys[i] = key
	}
	return p
}

func (p *perm) apply(x uint64) uint64 {
	mask := uint64(1)<<p.half - 1
	for {
		l, r := x>>p.half, x&mask
		for _, k := range p.keys {
			l, r = r, l^(mix64(r^k)&mask)
		}
		x = l<<p.half | r
		if x < p.mod {
			return x
		}
	}
}
