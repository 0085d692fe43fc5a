package batch

import (
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// progress reports how the platform phases advance: on a terminal a live
// line redrawn a few times a second, otherwise a log line every few
// seconds (cron mail and journald stay readable).
type progress struct {
	term  io.Writer // nil: log instead
	log   *slog.Logger
	every time.Duration
}

func newProgress(term io.Writer, log *slog.Logger, every time.Duration) *progress {
	return &progress{term: term, log: log, every: every}
}

func (p *progress) close() {}

// phaseProgress is one phase's counters and its reporter.
type phaseProgress struct {
	p      *progress
	name   string
	total  int
	start  time.Time
	done   atomic.Int64 // records finished, whatever the outcome
	failed atomic.Int64 // records that ended as an exception
	stop   chan struct{}
	wg     sync.WaitGroup
}

// phase starts reporting a phase of total records.
func (p *progress) phase(name string, total int) *phaseProgress {
	pp := &phaseProgress{p: p, name: name, total: total, start: time.Now(), stop: make(chan struct{})}
	if total == 0 {
		return pp
	}
	interval := p.every
	if p.term != nil {
		interval = 200 * time.Millisecond
	}
	pp.wg.Add(1)
	go func() {
		defer pp.wg.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				pp.report(false)
			case <-pp.stop:
				return
			}
		}
	}()
	return pp
}

// add counts one finished record.
func (pp *phaseProgress) add(k recordKind) {
	pp.done.Add(1)
	switch k {
	case recRejected, recConflict, recError, recNotAttempted, recMaterialsInvalid:
		pp.failed.Add(1)
	}
}

// end stops the reporter and reports the phase's totals.
func (pp *phaseProgress) end() {
	close(pp.stop)
	pp.wg.Wait()
	if pp.total > 0 {
		pp.report(true)
	}
}

func (pp *phaseProgress) report(final bool) {
	done, failed := pp.done.Load(), pp.failed.Load()
	elapsed := time.Since(pp.start)
	rate := 0.0
	if s := elapsed.Seconds(); s > 0 {
		rate = float64(done) / s
	}
	eta := "?"
	if rate > 0 && int(done) < pp.total {
		eta = (time.Duration(float64(pp.total-int(done))/rate) * time.Second).Round(time.Second).String()
	} else if int(done) >= pp.total {
		eta = "0s"
	}
	if pp.p.term != nil {
		fmt.Fprintf(pp.p.term, "\r\033[K%-12s %d/%d  %.1f/s  %d exceptions  ETA %s", pp.name, done, pp.total, rate, failed, eta)
		if final {
			fmt.Fprintln(pp.p.term)
		}
		return
	}
	msg := "progress"
	if final {
		msg = "phase done"
	}
	pp.p.log.Info(msg, "phase", pp.name, "done", done, "total", pp.total, "per_second", fmt.Sprintf("%.1f", rate),
		"exceptions", failed, "eta", eta, "elapsed", elapsed.Round(time.Millisecond))
}
