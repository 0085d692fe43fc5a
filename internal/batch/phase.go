package batch

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/crossborder/reconcile/internal/dispatch"
	"github.com/crossborder/reconcile/internal/journal"
	"github.com/crossborder/reconcile/internal/reconcile"
	"github.com/crossborder/reconcile/internal/top"
)

// phase is one platform phase of a run, as the records of every phase
// share it.
type phase struct {
	name string // for progress: "declarations", "callbacks"
	// errorCode is what a record of the phase is filed as when it failed
	// for a reason not its own: transient failures that outlasted the
	// retries, the run stopping before it, a panic while working on it.
	errorCode reconcile.Code
	// notReached says in Chinese what the run stopped before doing, and
	// nextRun what the next run will do about it.
	notReached, nextRun string
	// quiet phases file no exception for a record the run stopped before
	// (the next run does it, and nobody need act).
	quiet bool
}

var (
	declarationPhase = phase{name: "declarations", errorCode: reconcile.DeclareError, notReached: "申报这笔订单", nextRun: "下次运行会申报"}
	callbackPhase    = phase{name: "callbacks", errorCode: reconcile.CallbackError, notReached: "回传这条清关结果", nextRun: "下次运行会回传"}
)

// outcome kinds of a record in a phase.
type recordKind uint8

const (
	recDone recordKind = iota + 1
	recAlready
	recConflict
	recRejected
	recError
	recNotAttempted
	recMaterialsInvalid
)

// recordResult is how one declaration or callback ended.
type recordResult struct {
	kind      recordKind
	attempted bool // a call for the record itself was made (the workbook lists it)
	log       dispatch.Attempts
	state     string // the platform's declaration state
	code, msg string // the last failure
	requestID string
	exception *reconcile.Exception
	// earlierRun is, for a record an earlier run did (recAlready), that
	// run; log then holds that run's attempts as the journal knows them.
	earlierRun int64
	acceptedAt time.Time // for a declaration of an earlier run, when it was first accepted
}

func (res recordResult) outcome() reconcile.Outcome {
	switch res.kind {
	case recDone:
		return reconcile.OutcomeDone
	case recRejected:
		return reconcile.OutcomeRejected
	case recConflict:
		return reconcile.OutcomeConflict
	case recAlready:
		return reconcile.OutcomeEarlier
	}
	return reconcile.OutcomeError
}

// lookupChunk is how many records are looked up in the journal at once.
const lookupChunk = 500

// runPhase runs phase ph over n records and returns how each ended. The
// journal is asked about the records lookupChunk at a time: prior returns,
// for records from..to-1, a verdict for those that need no call (already
// done, or refused as a conflict), nil for the others. Those are dispatched
// to work within the run's concurrency bound, unless the run is stopping,
// in which case they are not attempted. A panic in work is that record's
// failure, filed as ph.errorCode and logged with describe(i).
func (r *runner) runPhase(ctx context.Context, ph phase, n int,
	prior func(ctx context.Context, from, to int) ([]*recordResult, error),
	describe func(i int) string, work func(i int) recordResult) []recordResult {
	prog := r.progress.phase(ph.name, n)
	defer prog.end()
	results := make([]recordResult, n)
	var g errgroup.Group
	g.SetLimit(r.disp.Concurrency())
	jctx := context.WithoutCancel(ctx)
	for from := 0; from < n; from += lookupChunk {
		to := min(from+lookupChunk, n)
		verdicts, err := prior(jctx, from, to)
		if err != nil {
			r.disp.Stop(&dispatch.FatalError{Err: err, Advice: "the journal could not be read: " + checkJournal})
			verdicts = make([]*recordResult, to-from)
		}
		for i := from; i < to; i++ {
			switch {
			case verdicts[i-from] != nil:
				results[i] = *verdicts[i-from]
			case r.disp.Err(ctx) != nil:
				results[i] = recordResult{kind: recNotAttempted}
			default:
				g.Go(func() error {
					defer r.recoverRecord(ph, &results[i], describe(i))
					results[i] = work(i)
					prog.add(results[i].kind)
					return nil
				})
				continue
			}
			prog.add(results[i].kind)
		}
	}
	g.Wait()
	for i := range results {
		if results[i].kind == recNotAttempted && !ph.quiet {
			results[i].exception = &reconcile.Exception{Code: ph.errorCode,
				Message: "运行在" + ph.notReached + "之前停止（" + r.stopReasonCN(ctx) + "），" + ph.nextRun}
		}
	}
	return results
}

// recoverRecord turns a panic while working on one record of phase ph into
// that record's failure, so that one bad record cannot end the process.
func (r *runner) recoverRecord(ph phase, res *recordResult, what string) {
	perr := reconcile.Recovered(recover())
	if perr == nil {
		return
	}
	pe := perr.(*reconcile.PanicError)
	r.log.Error("panic while "+what, "panic", pe.Value, "stack", string(pe.Stack))
	*res = recordResult{kind: recError, code: "internal", msg: perr.Error(),
		exception: &reconcile.Exception{Code: ph.errorCode, Message: "内部错误（" + perr.Error() + "），下次运行会重试"}}
}

// stopReasonCN says in Chinese why the run stopped, for the exceptions of
// the records it did not reach.
func (r *runner) stopReasonCN(ctx context.Context) string {
	var fe *dispatch.FatalError
	switch err := r.disp.Err(ctx); {
	case errors.As(err, &fe):
		return explain(err).Reason
	case err != nil:
		return "收到中断信号"
	}
	return "运行停止"
}

// journaledCall is one call of a record and its journal entry: the entry
// is begun before the send gate and the call, and finished after the call
// with its outcome, or as not sent when the run stopped in between.
type journaledCall[R any] struct {
	method  string // the API method, for the counts of calls
	begin   func(ctx context.Context) (attempt int, err error)
	call    func(ctx context.Context) (R, error)
	finish  func(ctx context.Context, attempt int, resp R, err error) error
	notSent func(ctx context.Context, attempt int) error
}

// callJournaled runs c through the dispatcher until it succeeds or its
// error says to stop (see dispatch.Dispatcher.Do), and returns the last
// answer and error. The journal is written with a context that an
// interrupt does not cancel: what was called is always recorded. A journal
// that refuses to begin an entry as a conflict ends the record; any other
// journal failure stops the run.
func callJournaled[R any](ctx context.Context, r *runner, a *dispatch.Attempts, c journaledCall[R]) (R, error) {
	jctx := context.WithoutCancel(ctx)
	var last R
	err := r.disp.Do(ctx, a, func(call context.Context) error {
		attempt, err := c.begin(jctx)
		if err != nil {
			if errors.Is(err, journal.ErrConflict) {
				return dispatch.Permanent(err)
			}
			return journalFailure(err)
		}
		if err := r.disp.Send(ctx); err != nil {
			if ferr := c.notSent(jctx, attempt); ferr != nil {
				return journalFailure(ferr)
			}
			return dispatch.ErrStopped
		}
		resp, err := countedCall(call, r, c)
		last = resp
		if ferr := c.finish(jctx, attempt, resp, err); ferr != nil {
			return journalFailure(ferr)
		}
		return err
	})
	return last, err
}

// journalFailure is a failure to write the journal: the run cannot go on
// without recording what it does.
func journalFailure(err error) error {
	return &dispatch.FatalError{Err: fmt.Errorf("%w: %w", errJournalWrite, err), Advice: "the journal could not record an attempt: " + checkJournal}
}

// refused reports whether err is the platform refusing the record for good
// (a business refusal or a rejection), as opposed to a transient failure.
func refused(err error) bool {
	var be *top.BusinessError
	if errors.As(err, &be) {
		return true
	}
	class, _ := top.Classify(err)
	return class == top.Reject
}

// notSentCode and notSentMsg journal an attempt the run stopped before
// sending.
const (
	notSentCode = "not sent"
	notSentMsg  = "the run stopped before the call"
)

// countedCall makes c's call and counts it, also when it panics (the
// panic goes on: the record's failure).
func countedCall[R any](ctx context.Context, r *runner, c journaledCall[R]) (resp R, err error) {
	done := false
	defer func() {
		if !done {
			r.calls.add(c.method, "panic")
		}
	}()
	resp, err = c.call(ctx)
	done = true
	r.calls.count(c.method, err)
	return resp, err
}

// callCounts counts the run's HTTP calls by API method and result.
type callCounts struct {
	mu sync.Mutex
	n  map[[2]string]int
}

// count counts one call of method that ended with err: "ok", or the
// class of its failure ("refused", "retry", "ban", "fatal").
func (c *callCounts) count(method string, err error) {
	result := "ok"
	if err != nil {
		switch class, _ := top.Classify(err); {
		case isBusiness(err) || class == top.Reject:
			result = "refused"
		case class == top.Wait:
			result = "ban"
		case class == top.Fatal:
			result = "fatal"
		default:
			result = "retry"
		}
	}
	c.add(method, result)
}

func (c *callCounts) add(method, result string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[[2]string]int{}
	}
	c.n[[2]string{method, result}]++
}

// list returns the counts, by method and result.
func (c *callCounts) list() []reconcile.APICalls {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []reconcile.APICalls
	for k, n := range c.n {
		out = append(out, reconcile.APICalls{Method: k[0], Result: k[1], Calls: n})
	}
	slices.SortFunc(out, func(a, b reconcile.APICalls) int {
		return cmp.Or(strings.Compare(a.Method, b.Method), strings.Compare(a.Result, b.Result))
	})
	return out
}
