package outfile

import (
	"os"
	"path/filepath"
	"testing"
)

func TestCommitReplacesTheTargetWhole(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "summary.json")
	if err := os.WriteFile(p, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Create(p, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("new, "))
	// Until the commit, the target is the old file.
	if b, _ := os.ReadFile(p); string(b) != "old" {
		t.Errorf("before Commit the target holds %q, want the old file", b)
	}
	f.Write([]byte("whole"))
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "new, whole" {
		t.Errorf("after Commit the target holds %q", b)
	}
	f.Abort() // after Commit: nothing
	if names := list(t, dir); len(names) != 1 {
		t.Errorf("the directory holds %v, want the target alone", names)
	}
	if err := f.Commit(); err == nil {
		t.Error("a second Commit succeeded")
	}
}

func TestAbortLeavesTheTarget(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "r.xlsx")
	os.WriteFile(p, []byte("old"), 0o644)
	f, err := Create(p, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("half"))
	f.Abort()
	if b, _ := os.ReadFile(p); string(b) != "old" {
		t.Errorf("after Abort the target holds %q", b)
	}
	if names := list(t, dir); len(names) != 1 {
		t.Errorf("the directory holds %v, want the target alone", names)
	}
}

func TestTwoWritersOfOnePathKeepTheirOwnFiles(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "r.xlsx")
	a, err := Create(p, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Create(p, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if a.Name() == b.Name() {
		t.Fatalf("both writers got %s", a.Name())
	}
	a.Write([]byte("a"))
	b.Write([]byte("b"))
	if err := a.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(); err != nil {
		t.Fatalf("the second writer's file was lost: %v", err)
	}
	if got, _ := os.ReadFile(p); string(got) != "b" {
		t.Errorf("target holds %q, want the last committed", got)
	}
}

func TestCreateInAMissingDirectoryFails(t *testing.T) {
	if _, err := Create(filepath.Join(t.TempDir(), "no", "such", "r.xlsx"), 0o644); err == nil {
		t.Error("Create succeeded in a missing directory")
	}
}

func list(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// A symlink is followed: the file it names is replaced, the link stays.
func TestASymlinkIsFollowed(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "real.json")
	os.WriteFile(target, []byte("old"), 0o644)
	link := filepath.Join(t.TempDir(), "summary.json")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(link, []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v", err)
	}
	if b, _ := os.ReadFile(target); string(b) != "new" {
		t.Errorf("the target holds %q, want new", b)
	}
}
