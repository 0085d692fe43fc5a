package reconcile

import (
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"
)

func TestSortKeysIsAStableSortByKey(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 2, 3, 100, 5000} {
		for _, wide := range []bool{false, true} {
			keys := make([]key, n)
			for i := range keys {
				keys[i] = key{lo: r.Uint64N(50)} // many equal keys, to see stability
				if wide {
					keys[i].hi = r.Uint64N(3)
					keys[i].lo = r.Uint64()
					if i%7 == 0 && i > 0 {
						keys[i] = keys[i-1]
					}
				} else if i%3 == 0 {
					keys[i].lo = r.Uint64() // also some spread over every byte
				}
			}
			got := sortIDs(n, func(i int32) key { return keys[i] })
			want := make([]int32, n)
			for i := range want {
				want[i] = int32(i)
			}
			slices.SortStableFunc(want, func(a, b int32) int {
				switch {
				case keys[a].less(keys[b]):
					return -1
				case keys[b].less(keys[a]):
					return 1
				}
				return 0
			})
			for i := range want {
				rec, isWide := got.at(i)
				if rec != want[i] || got.lo[i] != keys[want[i]].lo || isWide != (keys[rec].hi != 0) {
					t.Fatalf("n=%d wide=%v: position %d holds record %d (wide %v), want %d", n, wide, i, rec, isWide, want[i])
				}
			}
		}
	}
}

func TestChunked(t *testing.T) {
	var c chunked[int64]
	for i := range 3*chunkSize + 5 {
		if got := c.add(int64(i) * 3); got != int32(i) {
			t.Fatalf("add returned %d, want %d", got, i)
		}
	}
	if c.len() != 3*chunkSize+5 {
		t.Fatalf("len = %d", c.len())
	}
	for _, i := range []int32{0, chunkSize - 1, chunkSize, 2*chunkSize + 7, 3*chunkSize + 4} {
		if got := *c.at(i); got != int64(i)*3 {
			t.Errorf("at(%d) = %d, want %d", i, got, int64(i)*3)
		}
	}
}

func TestRecordSizes(t *testing.T) {
	// The ledger's memory budget rests on these sizes: a million orders and
	// a million payments in 128 MB.
	if got := unsafe.Sizeof(order{}); got != 64 {
		t.Errorf("sizeof(order) = %d, want 64", got)
	}
	if got := unsafe.Sizeof(payment{}); got != 64 {
		t.Errorf("sizeof(payment) = %d, want 64", got)
	}
}
