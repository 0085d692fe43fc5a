package cst

import (
	"errors"
	"fmt"
	"time"
)

// ParseWindow returns the window for a run: --date D, or --from D and
// --to D (inclusive), or yesterday in UTC+8 when all three are empty. now
// is the current time. A backwards window, --date with --from/--to, or only
// one of --from and --to is an error.
func ParseWindow(date, from, to string, now time.Time) (Window, error) {
	switch {
	case date != "" && (from != "" || to != ""):
		return Window{}, errors.New("--date cannot be combined with --from/--to")
	case date != "":
		d, err := ParseDate(date)
		if err != nil {
			return Window{}, fmt.Errorf("--date: %w", err)
		}
		return Window{d, d}, nil
	case from == "" && to == "":
		y := DateOf(now).AddDays(-1)
		return Window{y, y}, nil
	case from == "" || to == "":
		return Window{}, errors.New("--from and --to go together: give both, or --date")
	}
	f, err := ParseDate(from)
	if err != nil {
		return Window{}, fmt.Errorf("--from: %w", err)
	}
	t, err := ParseDate(to)
	if err != nil {
		return Window{}, fmt.Errorf("--to: %w", err)
	}
	if t.Before(f) {
		return Window{}, fmt.Errorf("the window is backwards: --from %s is after --to %s", f, t)
	}
	return Window{f, t}, nil
}

// Window is the run's date window: From to To inclusive, calendar days in
// UTC+8.
type Window struct {
	From, To Date
}

// Contains reports whether t falls on a day of the window (UTC+8).
func (w Window) Contains(t time.Time) bool {
	return !t.Before(w.From.Start()) && t.Before(w.To.AddDays(1).Start())
}

// Days returns the number of days in the window.
func (w Window) Days() int {
	return int(w.To.AddDays(1).Start().Sub(w.From.Start()).Hours()+0.5) / 24
}

// String returns "2026-11-20", or "2026-11-20..2026-11-22" for several days.
func (w Window) String() string {
	if w.From == w.To {
		return w.From.String()
	}
	return fmt.Sprintf("%s..%s", w.From, w.To)
}
