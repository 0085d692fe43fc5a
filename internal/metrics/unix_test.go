//go:build unix

package metrics

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/crossborder/reconcile/internal/reconcile"
)

// TestWriteFileMode: under the systemd unit's UMask=0027 the file is still
// readable by node_exporter, another user. (Not parallel: the umask is the
// process's.)
func TestWriteFileMode(t *testing.T) {
	old := syscall.Umask(0o027)
	defer syscall.Umask(old)
	dir := t.TempDir()
	for _, tt := range []struct {
		name     string
		existing bool
	}{{"new.prom", false}, {"existing.prom", true}} {
		path := filepath.Join(dir, tt.name)
		if tt.existing {
			if err := os.WriteFile(path, nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		if err := WriteFile(path, Run{Result: &reconcile.Result{Status: reconcile.StatusCompleted}}); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != FileMode {
			t.Errorf("%s: mode %v, want %v", tt.name, got, os.FileMode(FileMode))
		}
	}
}
