package report

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/crossborder/reconcile/internal/cst"
	"github.com/crossborder/reconcile/internal/ingest"
	"github.com/crossborder/reconcile/internal/outfile"
)

// The custom document properties that mark a workbook as this job's output.
// CheckOverwrite reads them back.
const (
	propGenerator = ingest.GeneratorProperty // always generatorName
	propWindow    = "ReconcileWindow"        // cst.Window.String(): "2026-11-20" or "2026-11-20..2026-11-22"
	propRunID     = "ReconcileRunID"         // the journal's run id, decimal; "0" for a dry run
	propStatus    = "ReconcileStatus"        // reconcile.Status
	propDryRun    = "ReconcileDryRun"        // true for a dry run

	generatorName = ingest.Generator
)

// ErrRefuseOverwrite is wrapped by the errors of CheckOverwrite (and Write)
// when the report path holds something that is not this job's own earlier
// workbook for the same window.
var ErrRefuseOverwrite = errors.New("refusing to overwrite")

// Path returns the workbook path for the --report value target and the
// run's window. A target that ends in ".xlsx" (any case) is the file
// itself; any other target is a directory, and gets the file
// reconcile_<from>_<to>.xlsx inside it (reconcile_<date>.xlsx when the
// window is one day). A dry run's workbook is named with "_dryrun" before
// the extension (reconcile_<date>_dryrun.xlsx, night_dryrun.xlsx), so that
// it never replaces a real run's. Path creates nothing (see
// Writer.Prepare). It fails for an empty target or an invalid window.
func Path(target string, win cst.Window, dryRun bool) (string, error) {
	if target == "" {
		return "", errors.New("report: empty report path")
	}
	if err := checkWindow(win); err != nil {
		return "", err
	}
	suffix := ".xlsx"
	if dryRun {
		suffix = "_dryrun.xlsx"
	}
	if ext := filepath.Ext(target); strings.EqualFold(ext, ".xlsx") {
		if dryRun {
			return strings.TrimSuffix(target, ext) + suffix, nil
		}
		return target, nil
	}
	name := "reconcile_" + win.From.String() + "_" + win.To.String() + suffix
	if win.From == win.To {
		name = "reconcile_" + win.From.String() + suffix
	}
	return filepath.Join(target, name), nil
}

// Dir returns the directory the workbook of a --report target goes in, by
// the rule of Path: the directory of a name ending in .xlsx, else the
// target itself.
func Dir(target string) string {
	if strings.EqualFold(filepath.Ext(target), ".xlsx") {
		return filepath.Dir(target)
	}
	return filepath.Clean(target)
}

// Prepare is the workbook's preflight: it returns the path of the workbook
// for the --report target and the window (see Path), with the directory
// created when missing, the rules of overwriting checked (CheckOverwrite),
// and the directory found writable, so that a run never learns at its end
// that its workbook cannot be written.
func (w *Writer) Prepare(target string, win cst.Window, dryRun bool) (string, error) {
	path, err := Path(target, win, dryRun)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", fmt.Errorf("report: the directory for %s: %w", path, err)
	}
	if err := CheckOverwrite(path, win); err != nil {
		return "", err
	}
	if err := outfile.Check(path); err != nil {
		return "", fmt.Errorf("report: %w", err)
	}
	return path, nil
}

// checkWindow refuses a zero or reversed window.
func checkWindow(win cst.Window) error {
	if win.From.IsZero() || win.To.IsZero() {
		return errors.New("report: the window has no dates")
	}
	if win.To.Before(win.From) {
		return fmt.Errorf("report: the window ends (%s) before it starts (%s)", win.To, win.From)
	}
	return nil
}

// CheckOverwrite reports whether the workbook for win may be written at
// path. It returns nil when nothing exists at path, or when path is a
// workbook this job wrote earlier for the same window (recognised by the
// custom document properties Write sets). Otherwise it returns an error
// wrapping ErrRefuseOverwrite that says why: not a regular file, not a
// workbook, a workbook not written by this job, or this job's workbook for
// another window. Errors reading the file are returned as they are.
func CheckOverwrite(path string, win cst.Window) error {
	if err := checkWindow(win); err != nil {
		return err
	}
	fi, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("report: %w %s: it is not a regular file (%s)", ErrRefuseOverwrite, path, fi.Mode().Type())
	}
	props, err := readOwnProps(path)
	if err != nil {
		return err
	}
	if props[propGenerator] != generatorName {
		return fmt.Errorf("report: %w %s: it was not written by reconcile; move it away or choose another --report path", ErrRefuseOverwrite, path)
	}
	if got := props[propWindow]; got != win.String() {
		return fmt.Errorf("report: %w %s: it is reconcile's workbook for %s, not for %s", ErrRefuseOverwrite, path, got, win)
	}
	return nil
}

// readOwnProps returns the string-valued custom document properties of the
// workbook at path, or an error wrapping ErrRefuseOverwrite when path is not
// a workbook.
func readOwnProps(path string) (map[string]string, error) {
	props, err := ingest.CustomProperties(path)
	switch {
	case errors.Is(err, ingest.ErrNotWorkbook):
		return nil, fmt.Errorf("report: %w %s: it is not an xlsx workbook", ErrRefuseOverwrite, path)
	case err != nil:
		return nil, fmt.Errorf("report: %w %s: %v", ErrRefuseOverwrite, path, err)
	}
	return props, nil
}
