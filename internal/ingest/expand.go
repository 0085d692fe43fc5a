package ingest

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Expand turns the paths a user gave into the files to read. Each pattern
// is a file, a directory (every .csv and .xlsx file directly inside it, by
// name; not recursive; names starting with "." or "~$", such as the lock
// files Excel leaves beside an open workbook, are skipped) or a glob
// (filepath.Match syntax; a directory it matches is expanded the same way,
// and hidden and lock files are skipped too).
// A workbook this job wrote (see IsOwnWorkbook) that a directory or a glob
// picks up, such as last night's workbook saved beside the exports, is not
// an export: it is left out and listed in skipped, with why. A pattern that
// matches nothing, or a directory without such a file, is an error naming
// the pattern (skipped then lists what was left out so far). Files are
// returned in the order the patterns give them, each once.
func Expand(patterns []string) (files []string, skipped []Skipped, err error) {
	var out []string
	seen := make(map[string]bool)
	add := func(p string) {
		key := filepath.Clean(p)
		if !seen[key] {
			seen[key] = true
			out = append(out, p)
		}
	}
	for _, pat := range patterns {
		var matches []string
		if _, err := os.Stat(pat); err == nil {
			matches = []string{pat}
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, skipped, fmt.Errorf("%s: %w", pat, errors.Unwrap(err))
		} else if strings.ContainsAny(pat, "*?[") {
			if matches, err = filepath.Glob(pat); err != nil {
				return nil, skipped, fmt.Errorf("%s: bad pattern: %w", pat, err)
			}
		}
		if len(matches) == 0 {
			return nil, skipped, fmt.Errorf("%s: no such file or directory", pat)
		}
		found, before := 0, len(skipped)
		for _, m := range matches {
			st, err := os.Stat(m)
			if err != nil {
				return nil, skipped, fmt.Errorf("%s: %w", m, errors.Unwrap(err))
			}
			if !st.IsDir() {
				if m != pat && skipName(filepath.Base(m)) {
					continue // a glob does not pick up hidden or lock files
				}
				if m != pat && ownWorkbook(m) {
					skipped = append(skipped, Skipped{Path: m, Why: skipOwnWorkbook})
					continue
				}
				add(m)
				found++
				continue
			}
			files, own, err := exportsIn(m)
			if err != nil {
				return nil, skipped, err
			}
			for _, f := range files {
				add(f)
			}
			for _, f := range own {
				skipped = append(skipped, Skipped{Path: f, Why: skipOwnWorkbook})
			}
			found += len(files)
		}
		if found == 0 {
			if len(skipped) > before {
				return nil, skipped, fmt.Errorf("%s: no export there, only reconcile's own workbooks", pat)
			}
			return nil, skipped, fmt.Errorf("%s: no .csv or .xlsx file there", pat)
		}
	}
	return out, skipped, nil
}

// Skipped is a file Expand left out, and why.
type Skipped struct {
	Path string
	Why  string
}

const skipOwnWorkbook = "reconcile's own exception workbook, not an export"

// ownWorkbook reports whether path is an .xlsx this job wrote.
func ownWorkbook(path string) bool {
	return strings.EqualFold(filepath.Ext(path), ".xlsx") && IsOwnWorkbook(path)
}

// exportsIn lists the .csv and .xlsx files directly inside dir, by name,
// and apart from them the job's own workbooks found there.
func exportsIn(dir string) (files, own []string, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", dir, errors.Unwrap(err))
	}
	var out []string
	for _, e := range entries {
		name := e.Name()
		if skipName(name) {
			continue
		}
		ext := strings.ToLower(filepath.Ext(name))
		if ext != ".csv" && ext != ".xlsx" {
			continue
		}
		if e.Type().IsRegular() || e.Type()&fs.ModeSymlink != 0 {
			p := filepath.Join(dir, name)
			if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
				if ownWorkbook(p) {
					own = append(own, p)
					continue
				}
				out = append(out, p)
			}
		}
	}
	return out, own, nil
}

// skipName reports whether a file name is one Expand leaves out of
// directories and globs: hidden files and the ~$ lock files of Excel.
func skipName(name string) bool {
	return strings.HasPrefix(name, ".") || strings.HasPrefix(name, "~$")
}

// CheckPatterns reports the first pattern of patterns that can never match
// a file because the directory it names or lies in does not exist: a
// missing directory, a glob whose fixed leading directories are missing, a
// file whose directory is missing. A missing file in an existing directory
// is no error here (it may come by the next run); Expand says so when it
// is still missing then. It is for checking a configuration once, ahead of
// the runs that will use it.
func CheckPatterns(patterns []string) error {
	for _, pat := range patterns {
		if _, err := os.Stat(pat); err == nil {
			continue
		}
		dir := filepath.Dir(pat)
		if i := strings.IndexAny(pat, "*?["); i >= 0 {
			dir = filepath.Dir(pat[:i] + "x") // the fixed part before the first meta character
		}
		if strings.HasSuffix(pat, "/") || strings.HasSuffix(pat, string(filepath.Separator)) {
			dir = pat
		}
		st, err := os.Stat(dir)
		switch {
		case err != nil:
			return fmt.Errorf("%s: the directory %s does not exist", pat, dir)
		case !st.IsDir():
			return fmt.Errorf("%s: %s is not a directory", pat, dir)
		}
	}
	return nil
}
