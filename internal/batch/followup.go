package batch

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/crossborder/reconcile/internal/cst"
	"github.com/crossborder/reconcile/internal/dispatch"
	"github.com/crossborder/reconcile/internal/journal"
	"github.com/crossborder/reconcile/internal/reconcile"
	"github.com/crossborder/reconcile/internal/top"
)

// followUpPhase sends again, to learn their state, the declarations
// earlier runs had accepted. A follow-up that does not get an answer is
// no exception: the next run follows it again.
var followUpPhase = phase{name: "follow-ups", errorCode: reconcile.DeclareError, notReached: "跟进这笔申报", nextRun: "下次运行会继续跟进",
	quiet: true}

// followUpAll follows, once, every declaration an earlier run had
// accepted within the last FollowUpDays whose last known state is not
// final (docs/design.md#follow-ups): it sends the identical declaration
// again, from the journal, which the platform treats as idempotent and
// answers with the declaration's current state. SUCCESS ends the
// following; FAIL or EXCEPT is a DECLARE_REJECTED tonight and ends it; any
// other state is followed again by the next run. A declaration still not
// final after FollowUpDays is a DECLARE_STUCK, once, and followed no more.
//
// Follow-ups come after tonight's declarations and share the run's
// limiter, ban gate and budgets. They add their exceptions, records and
// counts (Counts.FollowUps) to res.
//
// unsettled are the declarations to look at (journal.Unsettled, read
// before tonight's declarations: none of tonight's is among them).
func (r *runner) followUpAll(ctx context.Context, unsettled []journal.Declaration, res *reconcile.Result) {
	days := r.cfg.FollowUpDays
	if days <= 0 {
		return
	}
	jctx := context.WithoutCancel(ctx)
	// Tonight's declarations of the window may have sent one again (an
	// attempt an earlier run left in flight): it needs no follow-up.
	tonight := map[string]bool{}
	for _, d := range res.Declarations {
		if d.Outcome != reconcile.OutcomeEarlier {
			tonight[d.OrderID] = true
		}
	}
	var due []journal.Declaration
	var stuck []string
	f := &res.Counts.FollowUps
	for _, d := range unsettled {
		if tonight[d.OrderID] {
			continue
		}
		waited := daysBetween(d.AcceptedAt, res.StartedAt)
		if waited <= days {
			due = append(due, d)
			continue
		}
		res.Exceptions = append(res.Exceptions, reconcile.Exception{
			Code: reconcile.DeclareStuck, OrderID: d.OrderID, TransactionID: d.TransactionID, Customs: d.Customs,
			Amount: d.OrderFee, At: d.PaidAt,
			Message: fmt.Sprintf("这笔订单于 %s（第 %d 次运行）申报并被平台受理，%d 天后仍未出结果（最后状态：%s）：本程序不再跟进",
				cst.Format(d.AcceptedAt), acceptedRun(d), waited, stateText(d.PlatformState)),
		})
		stuck = append(stuck, d.OrderID)
		f.Stuck++
	}
	if err := r.journal.MarkStuck(jctx, r.runID, stuck); err != nil {
		r.disp.Stop(journalFailure(err))
		return
	}
	f.Due = len(due)
	if len(due) == 0 {
		return
	}
	r.log.Info("following up earlier declarations", "due", len(due), "stuck", len(stuck), "days", days)
	results := r.runPhase(ctx, followUpPhase, len(due),
		func(_ context.Context, from, to int) ([]*recordResult, error) {
			return make([]*recordResult, to-from), nil
		},
		func(i int) string { return "following up order " + due[i].OrderID },
		func(i int) recordResult { return r.followUp(ctx, &due[i]) })
	// A follow-up of a declaration of tonight's window is told on the row
	// the window already lists (an earlier run's): one row per order.
	listed := map[string]int{}
	for i, d := range res.Declarations {
		if d.Outcome == reconcile.OutcomeEarlier {
			listed[d.OrderID] = i
		}
	}
	for i, rr := range results {
		d := &due[i]
		switch {
		case rr.kind == recDone && rr.state == top.StateSuccess:
			f.Success++
		case rr.kind == recDone:
			f.Pending++
		case rr.kind == recRejected || rr.kind == recConflict:
			f.Failed++
		case rr.kind == recError && rr.exception != nil:
			f.Errors++ // an internal error on the record
		default:
			f.NotSent++
		}
		if rr.exception != nil {
			e := *rr.exception
			e.OrderID, e.TransactionID, e.Customs, e.Amount, e.At = d.OrderID, d.TransactionID, d.Customs, d.OrderFee, d.PaidAt
			res.Exceptions = append(res.Exceptions, e)
		}
		if j, ok := listed[d.OrderID]; ok && rr.attempted {
			row := &res.Declarations[j]
			row.FollowUp, row.AcceptedRunID, row.AcceptedAt = true, acceptedRun(*d), d.AcceptedAt
			// The row counts the journal's attempts: tonight's are added,
			// the last of them is the latest answer.
			row.Attempts += rr.log.Count
			if !rr.log.Last.IsZero() {
				row.LastAttempt = rr.log.Last
			}
			if rr.state != "" {
				row.PlatformState = rr.state
			}
			if rr.requestID != "" {
				row.RequestID = rr.requestID
			}
			if rr.kind == recRejected || rr.kind == recConflict {
				row.Outcome, row.ErrorCode, row.ErrorMsg, row.RequestID = rr.outcome(), rr.code, rr.msg, rr.requestID
			}
			continue
		}
		if rr.attempted {
			outcome := rr.outcome()
			if rr.kind == recDone {
				outcome = reconcile.OutcomeFollowed
			}
			res.Declarations = append(res.Declarations, reconcile.Declaration{
				RunID: acceptedRun(*d), PaidAt: d.PaidAt, FollowUp: true, AcceptedRunID: acceptedRun(*d), AcceptedAt: d.AcceptedAt,
				OrderID: d.OrderID, TransactionID: d.TransactionID, Customs: d.Customs,
				OrderFee: d.OrderFee, ProductFee: d.ProductFee, TransportFee: d.TransportFee,
				Outcome: outcome, PlatformState: rr.state, Attempts: rr.log.Count,
				FirstAttempt: rr.log.First, LastAttempt: rr.log.Last,
				ErrorCode: rr.code, ErrorMsg: rr.msg, RequestID: rr.requestID,
			})
		}
	}
}

// followUp sends one earlier declaration again, identical, from the
// journal, and records the state it learns.
func (r *runner) followUp(ctx context.Context, d *journal.Declaration) recordResult {
	req := top.WechatPayValidateReq{
		OrderID: d.OrderID, TransactionID: d.TransactionID, Customs: d.Customs,
		OrderFee: d.OrderFee, ProductFee: d.ProductFee, TransportFee: d.TransportFee,
	}
	jd := journal.Declaration{
		OrderID: d.OrderID, TransactionID: d.TransactionID, Customs: d.Customs,
		OrderFee: d.OrderFee, ProductFee: d.ProductFee, TransportFee: d.TransportFee,
	}
	var res recordResult
	_, err := callJournaled(ctx, r, &res.log, r.declaration(jd, req, true, &res, nil))
	res.attempted = res.log.Count > 0
	var ce *journal.ConflictError
	switch {
	case err == nil:
		res.kind = recDone
		return res
	case errors.Is(err, dispatch.ErrStopped):
		return recordResult{kind: recNotAttempted, log: res.log}
	case errors.As(err, &ce):
		// The journal's own row differs from itself: cannot happen, and
		// nothing is sent.
		return recordResult{kind: recNotAttempted, log: res.log}
	}
	res.code, res.msg = platformCode(err)
	night := fmt.Sprintf("%s（第 %d 次运行）", cst.DateOf(d.AcceptedAt), acceptedRun(*d))
	switch {
	case isBusiness(err) && strings.Contains(res.msg, "重入信息不一致"):
		res.kind = recConflict
		res.exception = &reconcile.Exception{Code: reconcile.DeclareConflict, PlatformCode: res.code, PlatformMsg: res.msg,
			Message: "这笔订单于 " + night + " 申报并被受理；跟进时平台说申报信息不一致（商户海关申报重入信息不一致）：需在微信支付后台核对这笔申报"}
	case refused(err):
		res.kind = recRejected
		res.exception = &reconcile.Exception{Code: reconcile.DeclareRejected, PlatformCode: res.code, PlatformMsg: res.msg,
			Message: fmt.Sprintf("这笔订单于 %s 申报并被受理，海关的最终结果是%s：%s", night, stateText(res.state), res.msg),
			Advice:  followUpAdvice(res.state)}
	default:
		res.kind = recNotAttempted // no answer tonight: the next run follows it again
	}
	return res
}

// followUpAdvice says what to do about a declaration customs decided
// against after it was accepted.
func followUpAdvice(state string) string {
	if state == top.StateExcept {
		return "海关接口异常，与订单数据无关：在微信支付商户平台重新推送这笔申报，或稍后重跑该订单付款日"
	}
	return "海关未通过这笔申报：在微信支付商户平台查看原因，按原因修正后重新申报（重跑该订单付款日）"
}

// stateText is a declaration state in Chinese, with the platform's word.
func stateText(state string) string {
	if l := reconcile.PlatformStateLabel(state); l != state {
		return l + "（" + state + "）"
	}
	if state == "" {
		return "未知"
	}
	return state
}

// addStates gives each declaration of res every state the platform gave
// it, from the journal (none in a dry run).
func (r *runner) addStates(ctx context.Context, res *reconcile.Result) error {
	if r.journal == nil || r.runID == 0 || len(res.Declarations) == 0 {
		return nil
	}
	ids := make([]string, len(res.Declarations))
	for i, d := range res.Declarations {
		ids[i] = d.OrderID
	}
	states, err := r.journal.States(ctx, ids)
	if err != nil {
		return err
	}
	for i := range res.Declarations {
		d := &res.Declarations[i]
		for _, s := range states[d.OrderID] {
			d.States = append(d.States, reconcile.StateSeen{State: s.State, LearnedAt: s.LearnedAt, RunID: s.RunID, FollowUp: s.FollowUp})
		}
	}
	return nil
}

// acceptedRun is the run that first accepted d: a follow-up moves d.RunID
// on, never d.AcceptedRunID (0 only in a row never accepted).
func acceptedRun(d journal.Declaration) int64 {
	if d.AcceptedRunID != 0 {
		return d.AcceptedRunID
	}
	return d.RunID
}
