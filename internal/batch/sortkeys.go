package batch

// chunkBits sets the size of a chunk of a chunked sequence: 64Ki records.
const (
	chunkBits = 16
	chunkSize = 1 << chunkBits
)

// chunked is an append-only sequence kept in fixed-size chunks: growing it
// never copies the records and never holds two copies of them, which a
// slice of a million 64-byte records would do at every growth.
type chunked[T any] struct {
	chunks [][]T
	n      int
}

func (c *chunked[T]) add(v T) int32 {
	if c.n&(chunkSize-1) == 0 {
		c.chunks = append(c.chunks, make([]T, 0, chunkSize))
	}
	last := &c.chunks[len(c.chunks)-1]
	*last = append(*last, v)
	c.n++
	return int32(c.n - 1)
}

func (c *chunked[T]) at(i int32) *T { return &c.chunks[i>>chunkBits][i&(chunkSize-1)] }

func (c *chunked[T]) len() int { return c.n }

// keyIndex pairs the low word of a key with the index of its record: 16
// bytes, so that sorting a million records takes 32 MB, not 48. wide
// (in what would be padding) says that the key's high word is not 0; only
// then is it read from the record, which is a cache miss.
type keyIndex struct {
	lo   uint64
	i    int32
	wide bool
}

// sortKeys sorts ki by key (high word, then low word) with a stable
// least-significant-digit radix sort: records with equal keys keep their
// order, so the first copy read stays first. hi returns the high word of
// record i's key; it is called only for wide keys, and the passes over the
// high word run only when some key is wide (ids of up to 19 digits never
// are). It uses tmp, which must be as long as ki, and returns the sorted
// slice, which is one of the two. A pass whose digit is the same for every
// key is skipped.
func sortKeys(ki, tmp []keyIndex, hi func(int32) uint64) []keyIndex {
	if len(ki) < 2 {
		return ki
	}
	var counts [16][256]int
	anyWide := false
	for _, x := range ki {
		for d := 0; d < 8; d++ {
			counts[d][byte(x.lo>>(8*d))]++
		}
		anyWide = anyWide || x.wide
	}
	passes := 8
	if anyWide {
		passes = 16
		for _, x := range ki {
			var h uint64
			if x.wide {
				h = hi(x.i)
			}
			for d := 0; d < 8; d++ {
				counts[8+d][byte(h>>(8*d))]++
			}
		}
	}
	for pass := 0; pass < passes; pass++ {
		c := &counts[pass]
		digit := func(x *keyIndex) byte {
			if pass < 8 {
				return byte(x.lo >> (8 * pass))
			}
			if !x.wide {
				return 0
			}
			return byte(hi(x.i) >> (8 * (pass - 8)))
		}
		if c[digit(&ki[0])] == len(ki) {
			continue
		}
		var offset [256]int
		sum := 0
		for b := range 256 {
			offset[b] = sum
			sum += c[b]
		}
		for j := range ki {
			d := digit(&ki[j])
			tmp[offset[d]] = ki[j]
			offset[d]++
		}
		ki, tmp = tmp, ki
	}
	return ki
}

// compareKeys orders two sorted elements as sortKeys does, reading a high
// word only when both are wide.
func compareKeys(a, b keyIndex, hi func(int32) uint64) int {
	switch {
	case a.wide != b.wide:
		if b.wide {
			return -1 // a's high word is 0, b's is not
		}
		return 1
	case a.wide:
		if ha, hb := hi(a.i), hi(b.i); ha != hb {
			if ha < hb {
				return -1
			}
			return 1
		}
	}
	switch {
	case a.lo < b.lo:
		return -1
	case a.lo > b.lo:
		return 1
	}
	return 0
}

// less orders keys, for tests and merges.
func (a key) less(b key) bool { return a.hi < b.hi || a.hi == b.hi && a.lo < b.lo }
