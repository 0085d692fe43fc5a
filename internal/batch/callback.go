package batch

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/crossborder/reconcile/internal/dispatch"
	"github.com/crossborder/reconcile/internal/ingest"
	"github.com/crossborder/reconcile/internal/journal"
	"github.com/crossborder/reconcile/internal/reconcile"
	"github.com/crossborder/reconcile/internal/top"
)

// sendAll sends every pending callback the journal does not hold as sent.
//
// It adds to res what the callbacks did: the ones attempted, their
// exceptions and the counts.
func (r *runner) sendAll(ctx context.Context, pending []ingest.Clearance, res *reconcile.Result) {
	results := r.runPhase(ctx, callbackPhase, len(pending),
		func(ctx context.Context, from, to int) ([]*recordResult, error) {
			keys := make([]journal.CallbackKey, to-from)
			for i := range keys {
				keys[i] = journal.CallbackKey{Idempotent: pending[from+i].Idempotent, Status: pending[from+i].ClearanceStatus}
			}
			prior, err := r.journal.Callbacks(ctx, keys)
			if err != nil {
				return nil, err
			}
			verdicts := make([]*recordResult, len(keys))
			for i, k := range keys {
				if p, ok := prior[k]; ok && p.State == journal.CallbackSent {
					verdicts[i] = &recordResult{kind: recAlready, earlierRun: p.RunID, requestID: p.RequestID,
						log: dispatch.Attempts{Count: p.Attempts, First: p.FirstAttemptAt, Last: p.LastAttemptAt}}
				}
			}
			return verdicts, nil
		},
		func(i int) string { return "sending the callback " + pending[i].Idempotent },
		func(i int) recordResult { return r.sendOne(ctx, &pending[i]) })

	n := &res.Counts
	for i, rr := range results {
		c := &pending[i]
		switch rr.kind {
		case recDone:
			n.CallbacksSent++
		case recAlready:
			n.AlreadySent++
		case recNotAttempted:
			n.NotSent++
		default:
			n.CallbacksFailed++
		}
		if rr.exception != nil {
			e := *rr.exception
			e.OrderID, e.Source, e.At = c.OrderID, c.Source.String(), c.ClearanceTime
			e.Callback = reconcile.CallbackKey(c.Idempotent, c.ClearanceStatus)
			res.Exceptions = append(res.Exceptions, e)
		}
		if rr.attempted || rr.kind == recAlready {
			res.Callbacks = append(res.Callbacks, reconcile.Callback{
				RunID:      cmp.Or(rr.earlierRun, r.runID),
				Idempotent: c.Idempotent, Status: c.ClearanceStatus, OrderID: c.OrderID, ResultCode: c.ResultCode,
				PortNo: c.PortNo, ClearanceTime: c.ClearanceTime, Outcome: rr.outcome(), Attempts: rr.log.Count,
				FirstAttempt: rr.log.First, LastAttempt: rr.log.Last,
				ErrorCode: rr.code, ErrorMsg: rr.msg, RequestID: rr.requestID,
			})
		}
	}
}

// sendOne sends one clearance callback.
func (r *runner) sendOne(ctx context.Context, c *ingest.Clearance) recordResult {
	orderNum, err := strconv.ParseInt(c.OrderID, 10, 64)
	if err != nil {
		return recordResult{kind: recRejected, exception: &reconcile.Exception{Code: reconcile.CallbackInvalid, Message: "订单号超出平台的数字范围，无法回传"}}
	}
	req := top.OrderClearanceInfoRequest{
		ClearancePortNo: c.PortNo, ClearanceResultCode: c.ResultCode, ClearanceStatus: int64(c.ClearanceStatus),
		ClearanceTime: c.ClearanceTime, CustomsPassNo: c.CustomsPassNo, CustomsReturnReceipt: c.CustomsReturnReceipt,
		Idempotent: c.Idempotent, OrderID: orderNum,
	}
	key := journal.CallbackKey{Idempotent: c.Idempotent, Status: c.ClearanceStatus}
	jc := journal.Callback{Key: key, OrderID: c.OrderID, ResultCode: c.ResultCode, PortNo: c.PortNo}
	var res recordResult
	_, err = callJournaled(ctx, r, &res.log, journaledCall[*top.ClearanceInfoSendResponse]{
		method: top.MethodClearanceInfoSend,
		begin:  func(ctx context.Context) (int, error) { return r.journal.BeginCallback(ctx, r.runID, jc) },
		call: func(ctx context.Context) (*top.ClearanceInfoSendResponse, error) {
			resp, err := r.platform.ClearanceInfoSend(ctx, req)
			if err == nil {
				err = resp.Err()
			}
			return resp, err
		},
		finish: func(ctx context.Context, attempt int, resp *top.ClearanceInfoSendResponse, err error) error {
			o := journal.CallbackOutcome{State: journal.CallbackSent, At: time.Now()}
			if resp != nil {
				o.MsgCode, o.MsgInfo, o.RequestID = resp.MsgCode, resp.MsgInfo, resp.RequestID
			}
			if err != nil {
				o.State = journal.CallbackFailed
				if refused(err) {
					o.State = journal.CallbackRejected
				}
				o.ErrorCode, o.ErrorMsg = platformCode(err)
				if o.RequestID == "" {
					o.RequestID = requestID(err)
				}
			}
			res.requestID = o.RequestID
			return r.journal.FinishCallback(ctx, r.runID, key, attempt, o)
		},
		notSent: func(ctx context.Context, attempt int) error {
			return r.journal.FinishCallback(ctx, r.runID, key, attempt,
				journal.CallbackOutcome{State: journal.CallbackFailed, ErrorCode: notSentCode, ErrorMsg: notSentMsg})
		},
	})
	res.attempted = res.log.Count > 0
	switch {
	case err == nil:
		res.kind = recDone
	case errors.Is(err, dispatch.ErrStopped):
		return recordResult{kind: recNotAttempted}
	default:
		res.code, res.msg = platformCode(err)
		res.requestID = requestID(err)
		e := &reconcile.Exception{PlatformCode: res.code, PlatformMsg: res.msg}
		if refused(err) {
			res.kind, e.Code = recRejected, reconcile.CallbackRejected
			e.Message = "平台拒绝了清关回传：" + res.msg + "。" + callbackAdvice(err)
		} else {
			res.kind, e.Code = recError, reconcile.CallbackError
			e.Message = fmt.Sprintf("清关回传失败（%d 次尝试）：%s。下次运行会重试", res.log.Count, res.msg)
		}
		res.exception = e
	}
	return res
}
