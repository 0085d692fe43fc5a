package batch

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
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
	// sample, for a phase measured in bytes (reading the exports), says
	// how far it has got: bytes done and in all, and records read.
	sample func() (done, total, records int64)
}

// phase starts reporting a phase of total records.
func (p *progress) phase(name string, total int) *phaseProgress {
	pp := &phaseProgress{p: p, name: name, total: total, start: time.Now(), stop: make(chan struct{})}
	if total == 0 {
		return pp
	}
	pp.run()
	return pp
}

// sampled starts reporting a phase whose progress sample tells: the
// reading of the exports, in bytes.
func (p *progress) sampled(name string, sample func() (done, total, records int64)) *phaseProgress {
	pp := &phaseProgress{p: p, name: name, total: 1, start: time.Now(), stop: make(chan struct{}), sample: sample}
	pp.run()
	return pp
}

func (pp *phaseProgress) run() {
	p := pp.p
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

// barWidth is the width of the terminal's bar, in cells.
const barWidth = 20

// bar draws done of total as a bar of barWidth cells and a percentage.
func bar(done, total int64) string {
	frac := 1.0
	if total > 0 {
		frac = min(float64(done)/float64(total), 1)
	}
	full := int(frac * barWidth)
	return fmt.Sprintf("[%s%s] %3d%%", strings.Repeat("█", full), strings.Repeat("░", barWidth-full), int(frac*100))
}

func (pp *phaseProgress) report(final bool) {
	if pp.sample != nil {
		pp.reportSample(final)
		return
	}
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
		fmt.Fprintf(pp.p.term, "\r\033[K%-12s %s  %d/%d  %.1f/s  %d exceptions  ETA %s", pp.name, bar(done, int64(pp.total)), done, pp.total, rate, failed, eta)
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

// reportSample reports a phase measured by its sample: the reading of the
// exports, by bytes, with the records read and their rate.
func (pp *phaseProgress) reportSample(final bool) {
	done, total, records := pp.sample()
	elapsed := time.Since(pp.start)
	rate, speed := 0.0, 0.0
	if s := elapsed.Seconds(); s > 0 {
		rate, speed = float64(records)/s, float64(done)/s
	}
	eta := "?"
	switch {
	case final || total > 0 && done >= total:
		eta = "0s"
	case speed > 0:
		eta = (time.Duration(float64(total-done)/speed) * time.Second).Round(time.Second).String()
	}
	const mb = 1 << 20
	if pp.p.term != nil {
		if final {
			done = total
		}
		fmt.Fprintf(pp.p.term, "\r\033[K%-12s %s  %.1f/%.1f MB  %d records  %.0f/s  ETA %s", pp.name, bar(done, total),
			float64(done)/mb, float64(total)/mb, records, rate, eta)
		if final {
			fmt.Fprintln(pp.p.term)
		}
		return
	}
	msg := "progress"
	if final {
		msg = "phase done"
	}
	pp.p.log.Info(msg, "phase", pp.name, "bytes", done, "total_bytes", total, "records", records,
		"per_second", fmt.Sprintf("%.0f", rate), "eta", eta, "elapsed", elapsed.Round(time.Millisecond))
}
