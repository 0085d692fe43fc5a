package journal

import (
	"fmt"
	"os"
	"sync"
)

// The run lock is a flock(2) on the journal file itself, so that every path
// that reaches the file (a symlink, a relative or an absolute path) takes
// the one lock. (A file with hard links is refused by Open.)
//
// The lock's descriptor is opened once per file and process and never
// closed: closing any descriptor of a file drops every POSIX lock the
// process holds on it, and SQLite's locks on the journal are POSIX locks.
// (flock and POSIX locks are otherwise independent, so holding the flock
// does not get in SQLite's way.) Since the Journals of one process share
// that descriptor, and flock does not exclude a second lock through one
// open file description, the process also keeps which files it holds.

// fileLock is the run lock of one journal file in this process.
type fileLock struct {
	f    *os.File
	held bool // a Journal of this process holds it
}

var fileLocks struct {
	mu    sync.Mutex
	files map[fileKey]*fileLock
}

// lockFile takes the run lock of the journal file at abs without waiting.
// It reports false when another process, or another Journal of this one,
// holds it. The lock is released with unlockFile.
func lockFile(abs string) (key fileKey, ok bool, err error) {
	fi, err := os.Stat(abs)
	if err != nil {
		return key, false, err
	}
	key, err = keyOf(fi)
	if err != nil {
		return key, false, err
	}
	fileLocks.mu.Lock()
	defer fileLocks.mu.Unlock()
	l := fileLocks.files[key]
	if l == nil {
		f, err := os.Open(abs)
		if err != nil {
			return key, false, err
		}
		l = &fileLock{f: f}
		if fileLocks.files == nil {
			fileLocks.files = make(map[fileKey]*fileLock)
		}
		fileLocks.files[key] = l
	}
	if l.held {
		return key, false, nil
	}
	got, err := tryLock(l.f)
	if err != nil || !got {
		return key, false, err
	}
	l.held = true
	return key, true, nil
}

// unlockFile releases the run lock of the file key; the descriptor stays
// open (see above).
func unlockFile(key fileKey) error {
	fileLocks.mu.Lock()
	defer fileLocks.mu.Unlock()
	l := fileLocks.files[key]
	if l == nil || !l.held {
		return fmt.Errorf("the run lock of %v is not held", key)
	}
	l.held = false
	return unlock(l.f)
}
