//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package journal

import (
	"fmt"
	"os"
	"runtime"
)

// tryLock fails: this platform has no flock(2), and the journal refuses to
// run without its one-run-at-a-time lock.
func tryLock(f *os.File) (bool, error) {
	return false, fmt.Errorf("the run lock needs flock(2), which %s does not have", runtime.GOOS)
}

func unlock(f *os.File) error { return nil }

// fileKey identifies a file; without flock it is never used.
type fileKey struct{ name string }

func keyOf(fi os.FileInfo) (fileKey, error) { return fileKey{fi.Name()}, nil }

func links(os.FileInfo) uint64 { return 1 }

func writable(string) bool { return true }
