// Package outfile writes the run's output files (the workbook, the JSON
// summary).
//
// A regular file is written so that no reader ever sees half of one and no
// crash leaves one half-written: the data goes to a temporary file in the
// target's directory, which is synced and then renamed over the target,
// and the directory is synced so that the rename survives a power cut.
// Until the rename, whatever was at the target stays untouched. A target
// that is a symlink is followed: the file it names is replaced, the link
// stays.
//
// A special file (a character device such as /dev/stdout, a FIFO, a
// socket) is written in place: it is opened for writing as a shell
// redirection would, never replaced by a regular file.
//
// Files are created with the permission asked for as modified by the
// umask, as os.Create does.
package outfile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// File is an output file being written. Write to it, then Commit it to
// put it in place, or Abort it to throw it away. It is not safe for
// concurrent use.
type File struct {
	f    *os.File
	path string // the target, symlinks resolved
	tmp  string // "" for a special file, written in place
	done bool
}

// Create starts the output file at path. For a regular file (or none yet)
// its data goes to a new temporary file beside it, named
// ".<base>.<pid>.<random>.tmp", created with perm as modified by the
// umask. The name is random, so that two writers of one path never touch
// each other's temporary file, and carries the writer's pid, so that
// RemoveStale can tell the files of writers that are gone. A special file
// is opened for writing in place.
func Create(path string, perm fs.FileMode) (*File, error) {
	if target, err := filepath.EvalSymlinks(path); err == nil {
		path = target
	}
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
		if fi.IsDir() {
			return nil, fmt.Errorf("%s is a directory", path)
		}
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return nil, err
		}
		return &File{f: f, path: path}, nil
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	for range 10 {
		tmp := filepath.Join(dir, tempPrefix(base)+strconv.Itoa(os.Getpid())+"."+randomSuffix()+".tmp")
		f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return &File{f: f, path: path, tmp: tmp}, nil
	}
	return nil, fmt.Errorf("creating a temporary file beside %s: too many name collisions", path)
}

func tempPrefix(base string) string { return "." + base + "." }

func randomSuffix() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Write writes p to the file.
func (f *File) Write(p []byte) (int, error) { return f.f.Write(p) }

// Name returns the path of the file written to: the temporary file, or the
// special file itself.
func (f *File) Name() string {
	if f.tmp == "" {
		return f.path
	}
	return f.tmp
}

// Commit puts the file in place. A regular file's temporary file is synced,
// closed and renamed over the target, and the directory synced; on an error
// before the rename the temporary file is removed and the target is left as
// it was. A special file is closed.
func (f *File) Commit() error {
	if f.done {
		return errors.New("outfile: already committed or aborted")
	}
	f.done = true
	if f.tmp == "" {
		return f.f.Close()
	}
	err := f.f.Sync()
	if cerr := f.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.tmp, f.path)
	}
	if err != nil {
		_ = os.Remove(f.tmp)
		return err
	}
	if err := syncDir(filepath.Dir(f.path)); err != nil {
		return fmt.Errorf("%s is written but its directory could not be synced: %w", f.path, err)
	}
	return nil
}

// Abort closes the file and removes a temporary file, leaving the target
// as it was (what went to a special file is gone already). It does nothing
// after Commit or a first Abort, so that it can be deferred.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	_ = f.f.Close()
	if f.tmp != "" {
		_ = os.Remove(f.tmp)
	}
}

// WriteFile writes data to path as Create, Write and Commit do.
func WriteFile(path string, data []byte, perm fs.FileMode) error {
	f, err := Create(path, perm)
	if err != nil {
		return err
	}
	defer f.Abort()
	if _, err := f.Write(data); err != nil {
		return err
	}
	return f.Commit()
}

// RemoveStale removes the temporary files that writers of path which are
// no longer alive left behind (a process killed while writing), and never
// one of a writer that is still running. It returns the files removed.
func RemoveStale(path string) []string {
	if target, err := filepath.EvalSymlinks(path); err == nil {
		path = target
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	prefix := tempPrefix(base)
	var removed []string
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, prefix) || !strings.HasSuffix(name, ".tmp") {
			continue
		}
		pidText, _, ok := strings.Cut(strings.TrimPrefix(name, prefix), ".")
		pid, err := strconv.Atoi(pidText)
		if !ok || err != nil || pid <= 0 || alive(pid) {
			continue
		}
		p := filepath.Join(dir, name)
		if os.Remove(p) == nil {
			removed = append(removed, p)
		}
	}
	return removed
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// Check reports whether path can be written as Create would write it,
// without writing it: a special file this process may write, or a regular
// file (or none yet) in an existing directory where a temporary file can
// be created (one is, and removed at once). The error says which.
func Check(path string) error {
	if target, err := filepath.EvalSymlinks(path); err == nil {
		path = target
	}
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
		if fi.IsDir() {
			return fmt.Errorf("%s is a directory, want a file", path)
		}
		if !writable(path) {
			return fmt.Errorf("%s is not writable for this user", path)
		}
		return nil
	}
	f, err := Create(path, 0o600)
	if err != nil {
		dir := filepath.Dir(path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return fmt.Errorf("the directory %s does not exist", dir)
		case errors.Is(err, fs.ErrPermission):
			return fmt.Errorf("the directory %s is not writable for this user", dir)
		}
		return fmt.Errorf("cannot write in %s: %w", dir, err)
	}
	f.Abort()
	return nil
}
