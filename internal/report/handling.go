package report

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/crossborder/reconcile/internal/cst"
	"github.com/crossborder/reconcile/internal/ingest"
	"github.com/crossborder/reconcile/internal/reconcile"
)

// The columns of 异常明细 that the finance team fills in, and the hidden
// column that keys each row to its exception. ReadHandlings finds them by
// these headers, wherever they are.
const (
	colKey      = "异常键"
	colStatus   = "处理状态"
	colHandler  = "处理人"
	colHandling = "备注"
)

// MaxHandlingRunes is the most characters kept of a 处理人 or 备注; the
// rest is cut.
const MaxHandlingRunes = 2000

// ReadHandlings reads back what the finance team wrote in 异常明细 of a
// workbook this job wrote: 处理状态, 处理人 and 备注 of every row, by the
// exception key of its hidden column. Only those three columns are read,
// as text, and nothing in them is executed or trusted further: each is
// trimmed and cut to MaxHandlingRunes characters, ID numbers in it are
// masked, and a 处理状态 that is not one of reconcile.HandlingStatuses is
// kept at the start of 备注 in brackets instead. Rows whose three cells
// are empty are read too: the team may have emptied them.
//
// It refuses a file that is not this job's workbook, and one without the
// columns (written by a version of the job before they existed).
func ReadHandlings(path string) (reconcile.Handlings, error) {
	h := reconcile.Handlings{Source: path, ByKey: map[string]reconcile.Handling{}}
	fi, err := os.Stat(path)
	if err != nil {
		return h, fmt.Errorf("report: %w", err)
	}
	h.Modified = fi.ModTime()
	props, err := readOwnProps(path)
	if err != nil {
		return h, err
	}
	if props[propGenerator] != generatorName {
		return h, fmt.Errorf("report: %s is not a workbook written by reconcile", path)
	}
	now := time.Now()
	key, status, handler, text := -1, -1, -1, -1
	errNoColumns := errors.New("no columns")
	err = ingest.SheetRows(path, sheetExceptions, func(row int, cells []string) error {
		if key < 0 {
			// The header is among the first rows (a subtotal row may be
			// above it).
			if i := slices.Index(cells, colKey); i >= 0 {
				key, status, handler, text = i, slices.Index(cells, colStatus), slices.Index(cells, colHandler), slices.Index(cells, colHandling)
				if status < 0 || handler < 0 || text < 0 {
					return errNoColumns
				}
			} else if row >= 10 {
				return errNoColumns
			}
			return nil
		}
		cell := func(i int) string {
			if i < len(cells) {
				return strings.TrimSpace(cells[i])
			}
			return ""
		}
		k := cell(key)
		if k == "" {
			return nil
		}
		hd := reconcile.Handling{Status: cell(status), Handler: cell(handler), Text: cell(text)}
		if hd.Status != "" && !slices.Contains(reconcile.HandlingStatuses, hd.Status) {
			hd.Text = strings.TrimSpace("[" + hd.Status + "] " + hd.Text)
			hd.Status = ""
		}
		hd.Handler, hd.Text = handlingText(hd.Handler, now), handlingText(hd.Text, now)
		h.ByKey[k] = hd
		return nil
	})
	if errors.Is(err, errNoColumns) || err == nil && key < 0 {
		return h, fmt.Errorf("report: %s has no %s, %s, %s and %s columns in %s (a workbook of an older version)", path, colKey, colStatus, colHandler, colHandling, sheetExceptions)
	}
	if err != nil {
		return h, fmt.Errorf("report: reading the handling columns of %s: %w", path, err)
	}
	return h, nil
}

// handlingText is a cell of the team's, made safe to keep: its ID numbers
// masked, cut to MaxHandlingRunes characters.
func handlingText(s string, now time.Time) string {
	s = maskLikeIDs(maskIDs(strings.ToValidUTF8(s, "\uFFFD"), now))
	if utf8.RuneCountInString(s) > MaxHandlingRunes {
		s = string([]rune(s)[:MaxHandlingRunes])
	}
	return s
}

// FindHandlings returns what the finance team wrote in the job's earlier
// workbooks for windows that overlap win, oldest first: the workbook the
// run of win would replace at the --report target, the job's other
// workbooks in the same directory (named reconcile_*.xlsx, dry runs'
// included) whose window overlaps win, and the workbook from (--notes-from,
// any path; "" for none). A workbook at from that cannot be read is an
// error; the others that cannot be read (another version's, a damaged one)
// are left out and named in skipped, with why.
func FindHandlings(target string, win cst.Window, from string) (found []reconcile.Handlings, skipped []reconcile.Note, err error) {
	var paths []string
	if p, err := Path(target, win, false); err == nil {
		if _, err := os.Stat(p); err == nil {
			paths = append(paths, p)
		}
	}
	matches, _ := filepath.Glob(filepath.Join(Dir(target), "reconcile_*.xlsx"))
	for _, m := range matches {
		if slices.Contains(paths, m) {
			continue
		}
		props, err := ingest.CustomProperties(m)
		if err != nil || props[propGenerator] != generatorName {
			continue
		}
		if w, ok := parseWindow(props[propWindow]); ok && overlaps(w, win) {
			paths = append(paths, m)
		}
	}
	for _, p := range paths {
		if from != "" && sameFile(p, from) {
			continue
		}
		h, err := ReadHandlings(p)
		if err != nil {
			skipped = append(skipped, reconcile.Note{Source: p, Text: "处理状态/备注 not read: " + err.Error()})
			continue
		}
		found = append(found, h)
	}
	if from != "" {
		h, err := ReadHandlings(from)
		if err != nil {
			return nil, nil, fmt.Errorf("--notes-from: %w", err)
		}
		found = append(found, h)
	}
	slices.SortStableFunc(found, func(a, b reconcile.Handlings) int { return a.Modified.Compare(b.Modified) })
	return found, skipped, nil
}

func sameFile(a, b string) bool {
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb)
}

// parseWindow reads a window as propWindow holds it: "2026-11-20" or
// "2026-11-20..2026-11-22".
func parseWindow(s string) (cst.Window, bool) {
	from, to, ok := strings.Cut(s, "..")
	if !ok {
		to = from
	}
	f, err1 := cst.ParseDate(from)
	t, err2 := cst.ParseDate(to)
	if err1 != nil || err2 != nil || t.Before(f) {
		return cst.Window{}, false
	}
	return cst.Window{From: f, To: t}, true
}

func overlaps(a, b cst.Window) bool { return !a.To.Before(b.From) && !b.To.Before(a.From) }

// Handlings is FindHandlings, for a run.
func (w *Writer) Handlings(target string, win cst.Window, from string) ([]reconcile.Handlings, []reconcile.Note, error) {
	if target == "" && from == "" {
		return nil, nil, nil
	}
	if target == "" {
		h, err := ReadHandlings(from)
		if err != nil {
			return nil, nil, fmt.Errorf("--notes-from: %w", err)
		}
		return []reconcile.Handlings{h}, nil, nil
	}
	return FindHandlings(target, win, from)
}
