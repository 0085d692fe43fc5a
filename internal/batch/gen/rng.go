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
