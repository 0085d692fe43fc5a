// Package outfile writes the run's output files (the workbook, the JSON
// summary) so that no reader ever sees half of one and no crash leaves one
// half-written: the data goes to a temporary file in the target's
// directory, which is synced and then renamed over the target, and the
// directory is synced so that the rename survives a power cut. Until the
// rename, whatever was at the target stays untouched.
package outfile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// File is an output file being written. Write to it, then Commit it to
// put it in place, or Abort it to throw it away. It is not safe for
// concurrent use.
type File struct {
	f    *os.File
	path string
	tmp  string
	done bool
}

// Create starts the output file at path. Its data goes to a new temporary
// file beside path, named ".<base>.<random>.tmp", created with perm as
// modified by the umask (as os.Create does). The name is random, so that
// two writers of one path never touch each other's temporary file.
func Create(path string, perm fs.FileMode) (*File, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	for range 10 {
		tmp := filepath.Join(dir, "."+base+"."+randomSuffix()+".tmp")
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

func randomSuffix() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Write writes p to the temporary file.
func (f *File) Write(p []byte) (int, error) { return f.f.Write(p) }

// Name returns the temporary file's path.
func (f *File) Name() string { return f.tmp }

// Commit syncs and closes the temporary file, renames it over the target
// and syncs the directory. On an error before the rename the temporary
// file is removed and the target is left as it was.
func (f *File) Commit() error {
	if f.done {
		return errors.New("outfile: already committed or aborted")
	}
	f.done = true
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

// Abort closes and removes the temporary file, leaving the target as it
// was. It does nothing after Commit or a first Abort, so that it can be
// deferred.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	_ = f.f.Close()
	_ = os.Remove(f.tmp)
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
