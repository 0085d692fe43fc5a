package report

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/crossborder/reconcile/internal/cst"
	"github.com/crossborder/reconcile/internal/reconcile"
)

var (
	oneDay   = cst.Window{From: day(2026, 11, 20), To: day(2026, 11, 20)}
	threeDay = cst.Window{From: day(2026, 11, 20), To: day(2026, 11, 22)}
)

func TestPath(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "out")
	if err := os.Mkdir(existing, 0o755); err != nil {
		t.Fatal(err)
	}
	sep := string(filepath.Separator)
	for _, tc := range []struct {
		target string
		win    cst.Window
		want   string // "" when an error is wanted
		errHas string
		dryRun bool
	}{
		{existing, oneDay, filepath.Join(existing, "reconcile_2026-11-20.xlsx"), "", false},
		{existing, threeDay, filepath.Join(existing, "reconcile_2026-11-20_2026-11-22.xlsx"), "", false},
		{existing + sep, threeDay, filepath.Join(existing, "reconcile_2026-11-20_2026-11-22.xlsx"), "", false},
		{filepath.Join(dir, "new") + sep, oneDay, filepath.Join(dir, "new", "reconcile_2026-11-20.xlsx"), "", false}, // not created
		{filepath.Join(dir, "report.xlsx"), oneDay, filepath.Join(dir, "report.xlsx"), "", false},
		{filepath.Join(dir, "REPORT.XLSX"), threeDay, filepath.Join(dir, "REPORT.XLSX"), "", false},
		{"relative.xlsx", oneDay, "relative.xlsx", "", false},
		// Anything else is a directory, existing or not.
		{filepath.Join(dir, "report.csv"), oneDay, filepath.Join(dir, "report.csv", "reconcile_2026-11-20.xlsx"), "", false},
		{filepath.Join(dir, "missing-dir"), oneDay, filepath.Join(dir, "missing-dir", "reconcile_2026-11-20.xlsx"), "", false},
		// A dry run never takes a real run's name.
		{existing, oneDay, filepath.Join(existing, "reconcile_2026-11-20_dryrun.xlsx"), "", true},
		{existing, threeDay, filepath.Join(existing, "reconcile_2026-11-20_2026-11-22_dryrun.xlsx"), "", true},
		{filepath.Join(dir, "night.XLSX"), oneDay, filepath.Join(dir, "night_dryrun.xlsx"), "", true},
		{"", oneDay, "", "empty report path", false},
		{existing, cst.Window{}, "", "no dates", false},
		{existing, cst.Window{From: day(2026, 11, 22), To: day(2026, 11, 20)}, "", "ends (2026-11-20) before it starts (2026-11-22)", false},
	} {
		got, err := Path(tc.target, tc.win, tc.dryRun)
		if tc.want == "" {
			if err == nil || !strings.Contains(err.Error(), tc.errHas) {
				t.Errorf("Path(%q, %v) = %q, %v, want an error saying %q", tc.target, tc.win, got, err, tc.errHas)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Path(%q, %v) = %q, %v, want %q", tc.target, tc.win, got, err, tc.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "new")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Path created a directory: %v", err)
	}
}

// Prepare creates the directory, checks the overwrite rules and that the
// directory is writable, before the run does anything.
func TestPrepare(t *testing.T) {
	var w Writer
	dir := t.TempDir()
	p, err := w.Prepare(filepath.Join(dir, "a", "b"), oneDay, false)
	if err != nil || p != filepath.Join(dir, "a", "b", "reconcile_2026-11-20.xlsx") {
		t.Fatalf("Prepare = %q, %v", p, err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "a", "b")); err != nil || !fi.IsDir() {
		t.Errorf("the directory was not created: %v", err)
	}
	if names := dirNames(t, filepath.Join(dir, "a", "b")); len(names) != 0 {
		t.Errorf("Prepare left %v behind", names)
	}
	// Another application's file at the path is refused.
	other := filepath.Join(dir, "theirs.xlsx")
	os.WriteFile(other, []byte("not ours"), 0o644)
	if _, err := w.Prepare(other, oneDay, false); !errors.Is(err, ErrRefuseOverwrite) {
		t.Errorf("Prepare over another file = %v, want ErrRefuseOverwrite", err)
	}
	// A directory where one cannot be made.
	file := filepath.Join(dir, "plain")
	os.WriteFile(file, nil, 0o644)
	if _, err := w.Prepare(filepath.Join(file, "sub"), oneDay, false); err == nil {
		t.Error("Prepare under a plain file succeeded")
	}
}

// writeFor writes the small result for win at p.
func writeFor(t *testing.T, p string, win cst.Window, runID int64) {
	t.Helper()
	r := smallResult()
	r.Window, r.RunID = win, runID
	if err := (&Writer{}).Write(context.Background(), p, r); err != nil {
		t.Fatalf("Write(%s): %v", p, err)
	}
}

func TestCheckOverwrite(t *testing.T) {
	dir := t.TempDir()
	own := filepath.Join(dir, "own.xlsx")
	writeFor(t, own, threeDay, 7)
	foreign := filepath.Join(dir, "foreign.xlsx")
	fx := excelize.NewFile()
	if err := fx.SetDocProps(&excelize.DocProperties{Creator: "reconcile", Title: "对账异常报告 2026-11-20..2026-11-22"}); err != nil {
		t.Fatal(err) // a look-alike: only the custom property counts
	}
	if err := fx.SaveAs(foreign); err != nil {
		t.Fatal(err)
	}
	fx.Close()
	mustWrite := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	text := mustWrite("notes.xlsx", []byte("订单号,金额\n1,2\n"))
	empty := mustWrite("empty.xlsx", nil)
	link := filepath.Join(dir, "link.xlsx")
	if err := os.Symlink(own, link); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "sub.xlsx")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		path   string
		win    cst.Window
		errHas string // "" for nil
	}{
		{"nothing there", filepath.Join(dir, "none.xlsx"), threeDay, ""},
		{"own, same window", own, threeDay, ""},
		{"own, other window", own, oneDay, "it is reconcile's workbook for 2026-11-20..2026-11-22, not for 2026-11-20"},
		{"someone else's workbook", foreign, threeDay, "it was not written by reconcile"},
		{"not a workbook", text, threeDay, "it is not an xlsx workbook"},
		{"empty file", empty, threeDay, "it is not an xlsx workbook"},
		{"symlink to own", link, threeDay, "not a regular file"},
		{"directory", sub, threeDay, "not a regular file"},
	} {
		err := CheckOverwrite(tc.path, tc.win)
		if tc.errHas == "" {
			if err != nil {
				t.Errorf("%s: CheckOverwrite = %v, want nil", tc.name, err)
			}
			continue
		}
		if !errors.Is(err, ErrRefuseOverwrite) || !strings.Contains(err.Error(), tc.errHas) || !strings.Contains(err.Error(), "refusing to overwrite") {
			t.Errorf("%s: CheckOverwrite = %v, want ErrRefuseOverwrite saying %q", tc.name, err, tc.errHas)
		}
	}
}

// dirNames lists the names in dir.
func dirNames(t *testing.T, dir string) []string {
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

func TestWriteRefusesAndLeavesTheFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "reconcile_2026-11-20.xlsx")
	old := []byte("finance's own notes")
	if err := os.WriteFile(p, old, 0o600); err != nil {
		t.Fatal(err)
	}
	r := smallResult()
	r.Window = oneDay
	err := (&Writer{}).Write(context.Background(), p, r)
	if !errors.Is(err, ErrRefuseOverwrite) {
		t.Fatalf("Write over a foreign file = %v, want ErrRefuseOverwrite", err)
	}
	if b, _ := os.ReadFile(p); !bytes.Equal(b, old) {
		t.Errorf("the foreign file was changed")
	}
	if names := dirNames(t, dir); len(names) != 1 {
		t.Errorf("directory holds %q, want only the old file", names)
	}
}

func TestWriteReplacesOwnWorkbook(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "r.xlsx")
	writeFor(t, p, threeDay, 7)
	writeFor(t, p, threeDay, 8) // a rerun of the same window
	f := openBook(t, p)
	props, _ := f.GetCustomProps()
	for _, pr := range props {
		if pr.Name == propRunID && pr.Value != "8" {
			t.Errorf("run id property = %v, want the rerun's 8", pr.Value)
		}
	}
	if names := dirNames(t, dir); len(names) != 1 {
		t.Errorf("directory holds %q, want only the workbook (no temporary file)", names)
	}
	fi, err := os.Stat(p)
	if err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("workbook mode = %v (%v), want 0644", fi.Mode(), err)
	}
	if err := (&Writer{Perm: 0o600}).Write(context.Background(), p, func() *reconcile.Result { r := smallResult(); r.Window = threeDay; return r }()); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o600 {
		t.Errorf("with Perm 0600 the mode is %v", fi.Mode())
	}
}

func TestWriteInMissingDirectory(t *testing.T) {
	p := filepath.Join(t.TempDir(), "no", "such", "r.xlsx")
	err := (&Writer{}).Write(context.Background(), p, smallResult())
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Write into a missing directory = %v, want a not-exist error", err)
	}
}

// countdownCtx is a context that reports itself cancelled from the n-th
// call of Err on; with n < 0 it never does, and only counts.
type countdownCtx struct {
	context.Context
	n     int64
	calls atomic.Int64
	once  sync.Once
	done  chan struct{}
}

func newCountdown(n int64) *countdownCtx {
	return &countdownCtx{Context: context.Background(), n: n, done: make(chan struct{})}
}

func (c *countdownCtx) Err() error {
	k := c.calls.Add(1)
	if c.n >= 0 && k > c.n {
		c.once.Do(func() { close(c.done) })
		return context.Canceled
	}
	return nil
}

func (c *countdownCtx) Done() <-chan struct{} { return c.done }

func (c *countdownCtx) Deadline() (time.Time, bool) { return time.Time{}, false }

// bigResult has enough rows that the stream writer checks its context
// several times per sheet.
func bigResult(n int) *reconcile.Result {
	r := demoResult()
	base := r.Exceptions
	for len(r.Exceptions) < n {
		e := base[len(r.Exceptions)%len(base)]
		e.OrderID = fmt.Sprintf("%019d", len(r.Exceptions))
		r.Exceptions = append(r.Exceptions, e)
	}
	for len(r.Declarations) < n/2 {
		d := r.Declarations[len(r.Declarations)%24]
		d.OrderID = fmt.Sprintf("%019d", len(r.Declarations))
		r.Declarations = append(r.Declarations, d)
	}
	r.Tally()
	return r
}

// TestCancelledWriteLeavesNothing cancels a write at every stage, from
// before the first row to the last bytes of the zip, and checks that the
// earlier workbook stays byte for byte and no temporary file remains.
func TestCancelledWriteLeavesNothing(t *testing.T) {
	r := bigResult(3000)
	dir := t.TempDir()
	p, err := Path(dir, r.Window, false)
	if err != nil {
		t.Fatal(err)
	}
	earlier := smallResult()
	earlier.Window = r.Window
	if err := (&Writer{}).Write(context.Background(), p, earlier); err != nil {
		t.Fatal(err)
	}
	old, _ := os.ReadFile(p)

	// Count the checks of a full write, in another directory.
	counter := newCountdown(-1)
	if err := (&Writer{}).Write(counter, filepath.Join(t.TempDir(), "x.xlsx"), r); err != nil {
		t.Fatal(err)
	}
	total := counter.calls.Load()
	if total < 20 {
		t.Fatalf("a full write checks its context %d times, want many (rows and zip writes)", total)
	}
	points := map[int64]bool{0: true, 1: true, 2: true, total - 1: true, total - 2: true}
	for k := int64(1); k < 8; k++ {
		points[total*k/8] = true
	}
	for n := range points {
		ctx := newCountdown(n)
		err := (&Writer{}).Write(ctx, p, r)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled after %d of %d checks: Write = %v, want context.Canceled", n, total, err)
		}
		if b, _ := os.ReadFile(p); !bytes.Equal(b, old) {
			t.Fatalf("cancelled after %d of %d checks: the earlier workbook changed", n, total)
		}
		if names := dirNames(t, dir); len(names) != 1 {
			t.Fatalf("cancelled after %d of %d checks: directory holds %q", n, total, names)
		}
	}
	// A context cancelled before the call.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := (&Writer{}).Write(ctx, p, r); !errors.Is(err, context.Canceled) {
		t.Errorf("Write with a cancelled context = %v", err)
	}
	if b, _ := os.ReadFile(p); !bytes.Equal(b, old) {
		t.Errorf("the earlier workbook changed")
	}
}

// A write removes the temporary files a killed earlier write of the same
// workbook left behind, and only those.
func TestWriteRemovesStaleTemporaryFiles(t *testing.T) {
	dir := t.TempDir()
	r := smallResult()
	path, err := Path(dir+"/", r.Window, false)
	if err != nil {
		t.Fatal(err)
	}
	base := filepath.Base(path)
	stale := filepath.Join(dir, "."+base+".123456.tmp")
	other := filepath.Join(dir, ".reconcile_1999-01-01.xlsx.1.tmp")
	for _, p := range []string{stale, other} {
		if err := os.WriteFile(p, []byte("half a workbook"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := (&Writer{}).Write(context.Background(), path, r); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("the stale temporary file is still there: %v", err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("another workbook's temporary file was removed: %v", err)
	}
}
