package reconcile

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

// sortedIDs is a set of records sorted by key, as two parallel slices:
// the low word of each key and the index of its record, 12 bytes an entry,
// so that sorting a million records takes 24 MB. A negative index ^i marks
// a wide key (its high word is not 0): only then is the high word read
// from the record, which is a cache miss.
type sortedIDs struct {
	lo  []uint64
	idx []int32
}

// at returns the record index of entry j and whether its key is wide.
func (s *sortedIDs) at(j int) (i int32, wide bool) {
	if v := s.idx[j]; v < 0 {
		return ^v, true
	}
	return s.idx[j], false
}

// sortIDs returns the records 0..n-1 sorted by key(i), stably (records with
// equal keys keep their order, so the first copy read stays first), with
// a least-significant-digit radix sort: a pass per byte of the low word,
// then of the high word when some key is wide (ids of up to 19 digits
// never are), each skipped when its digit is the same for every key.
func sortIDs(n int, key func(int32) key) sortedIDs {
	s := sortedIDs{lo: make([]uint64, n), idx: make([]int32, n)}
	anyWide := false
	var counts [16][256]int
	for i := range n {
		k := key(int32(i))
		s.lo[i], s.idx[i] = k.lo, int32(i)
		if k.hi != 0 {
			s.idx[i], anyWide = ^int32(i), true
		}
		for d := 0; d < 8; d++ {
			counts[d][byte(k.lo>>(8*d))]++
			counts[8+d][byte(k.hi>>(8*d))]++
		}
	}
	if n < 2 {
		return s
	}
	tmp := sortedIDs{lo: make([]uint64, n), idx: make([]int32, n)}
	passes := 8
	if anyWide {
		passes = 16
	}
	for pass := 0; pass < passes; pass++ {
		c := &counts[pass]
		digit := func(j int) byte {
			if pass < 8 {
				return byte(s.lo[j] >> (8 * pass))
			}
			i, wide := s.at(j)
			if !wide {
				return 0
			}
			return byte(key(i).hi >> (8 * (pass - 8)))
		}
		if c[digit(0)] == n {
			continue
		}
		var offset [256]int
		sum := 0
		for b := range 256 {
			offset[b] = sum
			sum += c[b]
		}
		for j := range n {
			d := digit(j)
			tmp.lo[offset[d]], tmp.idx[offset[d]] = s.lo[j], s.idx[j]
			offset[d]++
		}
		s, tmp = tmp, s
	}
	return s
}

// compareEntries orders entry a of s with entry b of t as sortIDs orders
// keys; the high words come from sHi and tHi, read only when both are
// wide.
func compareEntries(s *sortedIDs, a int, sHi func(int32) uint64, t *sortedIDs, b int, tHi func(int32) uint64) int {
	ia, wa := s.at(a)
	ib, wb := t.at(b)
	switch {
	case wa != wb:
		if wb {
			return -1 // a's high word is 0, b's is not
		}
		return 1
	case wa:
		if ha, hb := sHi(ia), tHi(ib); ha != hb {
			if ha < hb {
				return -1
			}
			return 1
		}
	}
	switch la, lb := s.lo[a], t.lo[b]; {
	case la < lb:
		return -1
	case la > lb:
		return 1
	}
	return 0
}

// less orders keys, for tests and merges.
func (a key) less(b key) bool { return a.hi < b.hi || a.hi == b.hi && a.lo < b.lo }
