package ingest

import (
	"io"
	"sync/atomic"
)

// counter counts the bytes read through it; the count may be read from
// another goroutine.
type counter struct {
	r io.Reader
	n *atomic.Int64
}

func (c counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// readProgress is how far a File has got: bytes read of what it reads,
// updated as it reads.
type readProgress struct {
	done  atomic.Int64
	total atomic.Int64
	base  atomic.Int64 // an XLSX: the sizes of the sheets read before the current one
}

// Progress returns how much of the file has been read, from 0 to 1: of a
// CSV file its bytes, of a workbook the uncompressed bytes of the sheets
// it reads. It may be called from another goroutine while the file is
// read, as a progress bar does.
func (f *File) Progress() float64 {
	total := f.progress.total.Load()
	if total <= 0 {
		return 0
	}
	done := f.progress.base.Load() + f.progress.done.Load()
	return min(float64(done)/float64(total), 1)
}
