package batch

import (
	"errors"
	"fmt"
	"time"

	"github.com/crossborder/reconcile/internal/cst"
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
		d, err := cst.ParseDate(date)
		if err != nil {
			return Window{}, fmt.Errorf("--date: %w", err)
		}
		return Window{d, d}, nil
	case from == "" && to == "":
		y := cst.DateOf(now).AddDays(-1)
		return Window{y, y}, nil
	case from == "" || to == "":
		return Window{}, errors.New("--from and --to go together: give both, or --date")
	}
	f, err := cst.ParseDate(from)
	if err != nil {
		return Window{}, fmt.Errorf("--from: %w", err)
	}
	t, err := cst.ParseDate(to)
	if err != nil {
		return Window{}, fmt.Errorf("--to: %w", err)
	}
	if t.Before(f) {
		return Window{}, fmt.Errorf("the window is backwards: --from %s is after --to %s", f, t)
	}
	return Window{f, t}, nil
}
