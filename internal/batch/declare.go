package batch

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/crossborder/reconcile/internal/cst"
	"github.com/crossborder/reconcile/internal/dispatch"
	"github.com/crossborder/reconcile/internal/journal"
	"github.com/crossborder/reconcile/internal/reconcile"
	"github.com/crossborder/reconcile/internal/top"
)

// declItem is one declaration to make, with what the checks need to know.
type declItem struct {
	reconcile.Candidate
	req top.WechatPayValidateReq
}

// declareAll runs the materials check (when asked) and the declaration of
// every candidate, skipping what the journal holds as accepted and
// refusing what it holds as accepted with other data.
//
// It adds to res what the declarations did: the ones attempted, their
// exceptions and the counts. A candidate the materials check refuses leaves
// the eligible orders for a check exception.
func (r *runner) declareAll(ctx context.Context, cands []reconcile.Candidate, res *reconcile.Result) {
	items := make([]declItem, len(cands))
	for i := range cands {
		items[i] = declItem{Candidate: cands[i], req: request(&cands[i])}
	}
	results := r.runPhase(ctx, declarationPhase, len(items),
		func(ctx context.Context, from, to int) ([]*recordResult, error) {
			ids := make([]string, to-from)
			for i := range ids {
				ids[i] = items[from+i].req.OrderID
			}
			prior, err := r.journal.Declarations(ctx, ids)
			if err != nil {
				return nil, err
			}
			verdicts := make([]*recordResult, len(ids))
			for i, id := range ids {
				if d, ok := prior[id]; ok && d.State == journal.DeclarationAccepted {
					res := recordResult{kind: recAlready, earlierRun: acceptedRun(d), acceptedAt: d.AcceptedAt, state: d.PlatformState, requestID: d.RequestID,
						log: dispatch.Attempts{Count: d.Attempts, First: d.FirstAttemptAt, Last: d.LastAttemptAt}}
					if !sameDeclaration(d, items[from+i].req) {
						res = conflictResult(&items[from+i], describeJournalDeclaration(d))
					}
					verdicts[i] = &res
				}
			}
			return verdicts, nil
		},
		func(i int) string { return "declaring order " + items[i].req.OrderID },
		func(i int) recordResult { return r.declareOne(ctx, &items[i]) })

	c := &res.Counts
	for i, rr := range results {
		it := &items[i]
		switch rr.kind {
		case recDone:
			c.Declared++
			res.Money.AddDeclared(it.OrderFee, it.PaidAt)
		case recAlready:
			c.AlreadyDeclared++
		case recMaterialsInvalid:
			c.Eligible--
			c.CheckExceptions++
		case recNotAttempted:
			c.NotDeclared++
		default:
			c.DeclareFailed++
		}
		if rr.exception != nil {
			e := *rr.exception
			e.OrderID, e.TransactionID, e.Customs = it.req.OrderID, it.req.TransactionID, it.req.Customs
			e.Amount, e.Source, e.At = it.req.OrderFee, it.Source, it.PaidAt
			res.Exceptions = append(res.Exceptions, e)
		}
		if rr.attempted || rr.kind == recAlready {
			res.Declarations = append(res.Declarations, reconcile.Declaration{
				RunID: cmp.Or(rr.earlierRun, r.runID), PaidAt: it.PaidAt, AcceptedRunID: rr.earlierRun, AcceptedAt: rr.acceptedAt,
				OrderID: it.req.OrderID, TransactionID: it.req.TransactionID, Customs: it.req.Customs,
				OrderFee: it.req.OrderFee, ProductFee: it.req.ProductFee, TransportFee: it.req.TransportFee,
				Outcome: rr.outcome(), PlatformState: rr.state, Attempts: rr.log.Count,
				FirstAttempt: rr.log.First, LastAttempt: rr.log.Last,
				ErrorCode: rr.code, ErrorMsg: rr.msg, RequestID: rr.requestID,
			})
		}
	}
}

// request is the declaration of a candidate.
func request(c *reconcile.Candidate) top.WechatPayValidateReq {
	return top.WechatPayValidateReq{
		OrderID: c.OrderID, TransactionID: c.TransactionID, Customs: c.Customs,
		OrderFee: c.OrderFee, ProductFee: c.ProductFee, TransportFee: c.TransportFee,
	}
}

func sameDeclaration(d journal.Declaration, req top.WechatPayValidateReq) bool {
	return d.TransactionID == req.TransactionID && d.Customs == req.Customs && d.OrderFee == req.OrderFee &&
		d.ProductFee == req.ProductFee && d.TransportFee == req.TransportFee
}

func describeJournalDeclaration(d journal.Declaration) string {
	return fmt.Sprintf("第 %d 次运行已申报：支付单号 %s，海关 %s，总金额 %s = 货款 %s + 邮费 %s", acceptedRun(d), d.TransactionID, d.Customs,
		reconcile.Yuan(d.OrderFee), reconcile.Yuan(d.ProductFee), reconcile.Yuan(d.TransportFee))
}

func conflictResult(it *declItem, before string) recordResult {
	return recordResult{kind: recConflict, exception: &reconcile.Exception{
		Code: reconcile.DeclareConflict,
		Message: fmt.Sprintf("这笔订单此前已用不同信息申报（%s）；本次为支付单号 %s，海关 %s，总金额 %s。需在微信支付后台修改申报，本次不再申报",
			before, it.req.TransactionID, it.req.Customs, reconcile.Yuan(it.req.OrderFee)),
	}}
}

// declareOne checks the materials of one order (when asked) and declares it.
func (r *runner) declareOne(ctx context.Context, it *declItem) recordResult {
	jd := journal.Declaration{
		OrderID: it.req.OrderID, TransactionID: it.req.TransactionID, Customs: it.req.Customs,
		OrderFee: it.req.OrderFee, ProductFee: it.req.ProductFee, TransportFee: it.req.TransportFee,
		PaidAt: it.PaidAt, PaidYear: it.PaidAt.In(cst.Zone).Year(),
	}
	release := func() {}
	if r.cfg.CheckMaterials {
		res, idNo, ok := r.checkMaterials(ctx, it)
		if !ok {
			return res
		}
		if r.buyers != nil && r.cfg.AnnualLimit > 0 {
			jd.Buyer = r.buyers.Hash(idNo)
			if res, ok := r.checkAnnualLimit(ctx, it, jd.Buyer, jd.PaidYear, &release); !ok {
				return res
			}
		}
	}
	defer func() { release() }()
	var res recordResult
	_, err := callJournaled(ctx, r, &res.log, r.declaration(jd, it.req, false, &res, release))
	res.attempted = res.log.Count > 0
	var ce *journal.ConflictError
	switch {
	case err == nil:
		res.kind = recDone
	case errors.Is(err, dispatch.ErrStopped):
		return recordResult{kind: recNotAttempted, log: res.log}
	case errors.As(err, &ce):
		return conflictResult(it, describeJournalDeclaration(ce.Existing))
	default:
		res.code, res.msg = platformCode(err)
		res.requestID = requestID(err)
		e := &reconcile.Exception{PlatformCode: res.code, PlatformMsg: res.msg}
		switch {
		case isBusiness(err) && strings.Contains(res.msg, "重入信息不一致"):
			res.kind, e.Code = recConflict, reconcile.DeclareConflict
			e.Message = "平台说这笔订单此前已用不同信息申报（商户海关申报重入信息不一致）：需在微信支付后台修改申报，不要重复申报"
		case refused(err):
			res.kind, e.Code = recRejected, reconcile.DeclareRejected
			e.Message = "平台拒绝了申报：" + res.msg + "。" + declareAdvice(err, it.req.Customs)
		default:
			res.kind, e.Code = recError, reconcile.DeclareError
			e.Message = fmt.Sprintf("申报失败（%d 次尝试）：%s。下次运行会重试", res.log.Count, res.msg)
		}
		res.exception = e
	}
	return res
}

// checkMaterials fetches and checks one order's clearance materials. It
// reports false, with the record's result, when the order must not be
// declared.
//
// It returns the ID number of the materials it found valid, for the
// annual limit; it is never kept.
func (r *runner) checkMaterials(ctx context.Context, it *declItem) (recordResult, string, bool) {
	orderNum, err := strconv.ParseInt(it.req.OrderID, 10, 64)
	if err != nil {
		return recordResult{kind: recMaterialsInvalid, exception: &reconcile.Exception{Code: reconcile.MaterialsInvalid,
			Message: "订单号超出平台的数字范围，无法查询清关材料"}}, "", false
	}
	var log dispatch.Attempts
	var problem, idNo string
	_, err = callJournaled(ctx, r, &log, journaledCall[*top.ClearanceDistributionGetResponse]{
		method: top.MethodClearanceDistributionGet,
		begin:  func(ctx context.Context) (int, error) { return r.journal.BeginMaterials(ctx, r.runID, it.req.OrderID) },
		call: func(ctx context.Context) (*top.ClearanceDistributionGetResponse, error) {
			return r.platform.ClearanceDistributionGet(ctx, top.ClearanceDistributionGetRequest{OrderID: orderNum})
		},
		finish: func(ctx context.Context, attempt int, resp *top.ClearanceDistributionGetResponse, err error) error {
			o := journal.MaterialsOutcome{Outcome: "valid", At: time.Now()}
			switch {
			case err != nil:
				o.Outcome = "failed"
				o.ErrorCode, o.ErrorMsg = platformCode(err)
				o.RequestID = requestID(err)
			case !resp.Found():
				problem = "平台上没有这笔订单的清关材料"
				if code, msg := platformCode(resp.Err()); code != "" || msg != "" {
					problem += "（" + strings.Join(nonEmpty(code, msg), "：") + "）"
				}
				o.Outcome, o.ErrorCode, o.ErrorMsg, o.RequestID = "invalid", "MATERIALS_MISSING", problem, resp.RequestID
			default:
				m := resp.Materials()
				problem = reconcile.MaterialsProblem(&reconcile.Materials{Name: m.OcrName, IDNo: m.OcrID, Expiry: m.OcrExp}, it.BuyerName, it.BuyerIDNo, r.today)
				o.RequestID, idNo = resp.RequestID, m.OcrID
				if problem != "" {
					o.Outcome, o.ErrorCode, o.ErrorMsg = "invalid", "MATERIALS_INVALID", problem
				}
			}
			return r.journal.FinishMaterials(ctx, r.runID, it.req.OrderID, attempt, o)
		},
		notSent: func(ctx context.Context, attempt int) error {
			return r.journal.FinishMaterials(ctx, r.runID, it.req.OrderID, attempt,
				journal.MaterialsOutcome{Outcome: "failed", ErrorCode: notSentCode, ErrorMsg: notSentMsg})
		},
	})
	switch {
	case err == nil && problem == "":
		return recordResult{}, idNo, true
	case err == nil:
		return recordResult{kind: recMaterialsInvalid, exception: &reconcile.Exception{Code: reconcile.MaterialsInvalid, Message: problem}}, "", false
	case errors.Is(err, dispatch.ErrStopped):
		return recordResult{kind: recNotAttempted}, "", false
	}
	code, msg := platformCode(err)
	if class, _ := top.Classify(err); class == top.Reject {
		return recordResult{kind: recMaterialsInvalid, exception: &reconcile.Exception{Code: reconcile.MaterialsInvalid, PlatformCode: code, PlatformMsg: msg,
			Message: "平台拒绝了清关材料查询：" + msg}}, "", false
	}
	return recordResult{kind: recError, code: code, msg: msg, exception: &reconcile.Exception{Code: reconcile.DeclareError, PlatformCode: code, PlatformMsg: msg,
		Message: fmt.Sprintf("清关材料查询失败（%d 次尝试）：%s。这笔订单本次未申报，下次运行会重试", log.Count, msg)}}, "", false
}

// checkAnnualLimit refuses an order that would take its buyer's total of
// the calendar year (UTC+8) it was paid in above AnnualLimit: the orders
// of that buyer and year the journal holds as declared (or in flight) and
// not refunded, this one added. It holds the buyer's lock until the
// caller's *release, so that two orders of one buyer in one run are
// counted one after the other: the caller releases it once the
// declaration is begun (and in the journal's total), or when it gives up.
func (r *runner) checkAnnualLimit(ctx context.Context, it *declItem, buyer string, year int, release *func()) (recordResult, bool) {
	*release = r.buyerLocks.lock(buyer + "|" + strconv.Itoa(year))
	total, err := r.journal.BuyerTotal(context.WithoutCancel(ctx), buyer, year, it.req.OrderID)
	if err != nil {
		(*release)()
		r.disp.Stop(journalFailure(err))
		return recordResult{kind: recNotAttempted}, false
	}
	limit := r.cfg.AnnualLimit
	if with := total + it.req.OrderFee; with > limit {
		(*release)()
		return recordResult{kind: recMaterialsInvalid, exception: &reconcile.Exception{
			Code: reconcile.LimitExceeded, HasAmounts: true, Expected: limit, Actual: with,
			Message: fmt.Sprintf("买家 %d 年已申报 %s，加上这笔 %s 共 %s，超过跨境电商零售进口个人年度限额 %s：不能按跨境零售进口申报",
				year, reconcile.Yuan(total), reconcile.Yuan(it.req.OrderFee), reconcile.Yuan(with), reconcile.Yuan(limit)),
		}}, false
	}
	return recordResult{}, true
}

// declaration is the journaled call that declares req (jd as the journal
// keeps it): begun in the journal, sent, its outcome and the state the
// platform answered finished there (as a follow-up's when followUp), the
// state and request id kept in res. begun, when not nil, runs once the
// journal holds the attempt.
func (r *runner) declaration(jd journal.Declaration, req top.WechatPayValidateReq, followUp bool, res *recordResult, begun func()) journaledCall[*top.ClearanceDeclareWechatResponse] {
	return journaledCall[*top.ClearanceDeclareWechatResponse]{
		method: top.MethodClearanceDeclareWechat,
		begin: func(ctx context.Context) (int, error) {
			n, err := r.journal.BeginDeclaration(ctx, r.runID, jd)
			if begun != nil {
				begun()
			}
			return n, err
		},
		call: func(ctx context.Context) (*top.ClearanceDeclareWechatResponse, error) {
			resp, err := r.platform.ClearanceDeclareWechat(ctx, req)
			if err == nil {
				err = resp.Err()
			}
			return resp, err
		},
		finish: func(ctx context.Context, attempt int, resp *top.ClearanceDeclareWechatResponse, err error) error {
			o := journal.DeclarationOutcome{State: journal.DeclarationAccepted, At: time.Now(), FollowUp: followUp}
			if resp != nil {
				o.PlatformState, o.RequestID = resp.State(), resp.RequestID
			}
			if err != nil {
				o.State = journal.DeclarationFailed
				if refused(err) {
					o.State = journal.DeclarationRejected
				}
				o.ErrorCode, o.ErrorMsg = platformCode(err)
				if o.RequestID == "" {
					o.RequestID = requestID(err)
				}
			}
			res.state, res.requestID = o.PlatformState, o.RequestID
			return r.journal.FinishDeclaration(ctx, r.runID, jd.OrderID, attempt, o)
		},
		notSent: func(ctx context.Context, attempt int) error {
			return r.journal.FinishDeclaration(ctx, r.runID, jd.OrderID, attempt,
				journal.DeclarationOutcome{State: journal.DeclarationFailed, ErrorCode: notSentCode, ErrorMsg: notSentMsg, FollowUp: followUp})
		},
	}
}
