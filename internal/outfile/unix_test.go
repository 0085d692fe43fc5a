//go:build unix

package outfile

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
)

func TestThePermissionFollowsTheUmask(t *testing.T) {
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	p := filepath.Join(t.TempDir(), "r.xlsx")
	if err := WriteFile(p, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("mode %v under umask 077, want 0600", got)
	}
}

// A special file is written in place, never replaced by a regular file.
func TestASpecialFileIsWrittenInPlace(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "summary.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	got := make(chan string)
	go func() {
		b, _ := os.ReadFile(fifo)
		got <- string(b)
	}()
	if err := WriteFile(fifo, []byte(`{"exit_status":0}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != `{"exit_status":0}` {
		t.Errorf("the FIFO's reader got %q", s)
	}
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the FIFO was replaced: %v %v", fi.Mode(), err)
	}
	// A character device: /dev/null stands for /dev/stdout.
	if err := WriteFile(os.DevNull, []byte("x"), 0o644); err != nil {
		t.Fatalf("writing %s: %v", os.DevNull, err)
	}
	if fi, _ := os.Stat(os.DevNull); fi.Mode()&os.ModeCharDevice == 0 {
		t.Fatalf("%s is no longer a device", os.DevNull)
	}
	if _, err := Create(t.TempDir(), 0o644); err == nil {
		t.Error("Create on a directory succeeded")
	}
}

// RemoveStale removes what dead writers left, never a live writer's file.
func TestRemoveStaleSparesLiveWriters(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "r.xlsx")
	live, err := Create(p, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Abort()
	// A writer that is gone: a child process that has exited.
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	dead := filepath.Join(dir, ".r.xlsx."+strconv.Itoa(cmd.Process.Pid)+".0123456789abcdef.tmp")
	other := filepath.Join(dir, ".q.xlsx."+strconv.Itoa(cmd.Process.Pid)+".0123456789abcdef.tmp") // another target's
	for _, f := range []string{dead, other} {
		os.WriteFile(f, []byte("half"), 0o644)
	}
	removed := RemoveStale(p)
	if len(removed) != 1 || removed[0] != dead {
		t.Errorf("removed %v, want only %s", removed, dead)
	}
	for _, f := range []string{live.Name(), other} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("%s was removed: %v", f, err)
		}
	}
}
