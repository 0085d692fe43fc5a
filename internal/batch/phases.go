package batch

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/crossborder/reconcile/internal/cst"
	"github.com/crossborder/reconcile/internal/dispatch"
	"github.com/crossborder/reconcile/internal/ingest"
	"github.com/crossborder/reconcile/internal/journal"
	"github.com/crossborder/reconcile/internal/reconcile"
	"github.com/crossborder/reconcile/internal/top"
)

// declItem is one declaration to make, with what the checks need to know.
type declItem struct {
	reconcile.Candidate
	req top.WechatPayValidateReq
}

// outcome kinds of a record in the engine.
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
}

// phaseOutput collects what a phase produced.
type phaseOutput struct {
	declarations []reconcile.Declaration
	callbacks    []reconcile.Callback
	exceptions   []reconcile.Exception
	counts       reconcile.Counts
	// materialsInvalid counts the candidates the materials check refused:
	// they leave the eligible orders for a check exception.
	materialsInvalid int
}

// lookupChunk is how many records are looked up in the journal at once.
const lookupChunk = 500

// runPhase runs one platform phase over n records and returns how each
// ended. The journal is asked about the records lookupChunk at a time:
// prior returns, for records from..to-1, a verdict for those that need no
// call (already done, or refused as a conflict), nil for the others. Those
// are dispatched to work within the run's concurrency bound, unless the run
// is stopping, in which case they are not attempted. A panic in work is
// that record's failure, logged with describe(i).
func (r *runner) runPhase(ctx context.Context, name string, n int,
	prior func(ctx context.Context, from, to int) ([]*recordResult, error),
	describe func(i int) string, work func(i int) recordResult) []recordResult {
	prog := r.progress.phase(name, n)
	defer prog.end()
	results := make([]recordResult, n)
	var g errgroup.Group
	g.SetLimit(r.eng.Concurrency())
	jctx := context.WithoutCancel(ctx)
	for from := 0; from < n; from += lookupChunk {
		to := min(from+lookupChunk, n)
		verdicts, err := prior(jctx, from, to)
		if err != nil {
			r.eng.Stop(&dispatch.FatalError{Err: err, Advice: "the journal could not be read: check the --state file"})
			verdicts = make([]*recordResult, to-from)
		}
		for i := from; i < to; i++ {
			switch {
			case verdicts[i-from] != nil:
				results[i] = *verdicts[i-from]
			case r.eng.Err(ctx) != nil:
				results[i] = recordResult{kind: recNotAttempted}
			default:
				g.Go(func() error {
					defer r.recoverRecord(&results[i], describe(i))
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
	return results
}

// declareAll runs the materials check (when asked) and the declaration of
// every candidate, skipping what the journal holds as accepted and
// refusing what it holds as accepted with other data.
func (r *runner) declareAll(ctx context.Context, cands []reconcile.Candidate, out *phaseOutput) {
	items := make([]declItem, len(cands))
	for i := range cands {
		items[i] = declItem{Candidate: cands[i], req: request(&cands[i])}
	}
	results := r.runPhase(ctx, "declarations", len(items),
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
					res := recordResult{kind: recAlready}
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

	for i, res := range results {
		it := &items[i]
		switch res.kind {
		case recDone:
			out.counts.Declared++
		case recAlready:
			out.counts.AlreadyDeclared++
		case recMaterialsInvalid:
			out.materialsInvalid++
		case recNotAttempted:
			out.counts.NotDeclared++
			res.exception = &reconcile.Exception{Code: reconcile.DeclareError, Message: "运行在申报这笔订单之前停止（" + r.stopReasonCN(ctx) + "），下次运行会申报"}
		default:
			out.counts.DeclareFailed++
		}
		if res.exception != nil {
			e := *res.exception
			e.OrderID, e.TransactionID, e.Customs = it.req.OrderID, it.req.TransactionID, it.req.Customs
			e.Amount, e.Source = it.req.OrderFee, it.Source
			out.exceptions = append(out.exceptions, e)
		}
		if res.attempted {
			out.declarations = append(out.declarations, reconcile.Declaration{
				OrderID: it.req.OrderID, TransactionID: it.req.TransactionID, Customs: it.req.Customs,
				OrderFee: it.req.OrderFee, ProductFee: it.req.ProductFee, TransportFee: it.req.TransportFee,
				Outcome: res.outcome(), PlatformState: res.state, Attempts: res.log.Count,
				FirstAttempt: res.log.First, LastAttempt: res.log.Last,
				ErrorCode: res.code, ErrorMsg: res.msg, RequestID: res.requestID,
			})
		}
	}
}

func (res recordResult) outcome() reconcile.Outcome {
	switch res.kind {
	case recDone:
		return reconcile.OutcomeDone
	case recRejected:
		return reconcile.OutcomeRejected
	case recConflict:
		return reconcile.OutcomeConflict
	}
	return reconcile.OutcomeError
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
	return fmt.Sprintf("第 %d 次运行已申报：支付单号 %s，海关 %s，总金额 %s = 货款 %s + 邮费 %s", d.RunID, d.TransactionID, d.Customs,
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
	jctx := context.WithoutCancel(ctx)
	if r.cfg.CheckMaterials {
		if res, ok := r.checkMaterials(ctx, it); !ok {
			return res
		}
	}
	var res recordResult
	jd := journal.Declaration{
		OrderID: it.req.OrderID, TransactionID: it.req.TransactionID, Customs: it.req.Customs,
		OrderFee: it.req.OrderFee, ProductFee: it.req.ProductFee, TransportFee: it.req.TransportFee,
	}
	err := r.eng.Do(ctx, &res.log, func(call context.Context) error {
		attempt, err := r.journal.BeginDeclaration(jctx, r.runID, jd)
		if err != nil {
			if errors.Is(err, journal.ErrConflict) {
				return dispatch.Permanent(err)
			}
			return journalFailure(err)
		}
		if err := r.eng.Send(ctx); err != nil {
			return r.notSent(r.journal.FinishDeclaration(jctx, r.runID, it.req.OrderID, attempt,
				journal.DeclarationOutcome{State: journal.DeclarationFailed, ErrorCode: "not sent", ErrorMsg: "the run stopped before the call"}))
		}
		resp, err := r.platform.ClearanceDeclareWechat(call, it.req)
		if err == nil {
			err = resp.Err()
		}
		o := journal.DeclarationOutcome{State: journal.DeclarationAccepted, At: time.Now()}
		if resp != nil {
			o.PlatformState, o.RequestID = resp.State(), resp.RequestID
		}
		if err != nil {
			o.State = journal.DeclarationFailed
			if class, _ := top.Classify(err); class == top.Reject || isBusiness(err) {
				o.State = journal.DeclarationRejected
			}
			o.ErrorCode, o.ErrorMsg = platformCode(err)
			if o.RequestID == "" {
				o.RequestID = requestID(err)
			}
		}
		if ferr := r.journal.FinishDeclaration(jctx, r.runID, it.req.OrderID, attempt, o); ferr != nil {
			return journalFailure(ferr)
		}
		res.state, res.requestID = o.PlatformState, o.RequestID
		return err
	})
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
		switch class, _ := top.Classify(err); {
		case isBusiness(err) && strings.Contains(res.msg, "重入信息不一致"):
			res.kind, e.Code = recConflict, reconcile.DeclareConflict
			e.Message = "平台说这笔订单此前已用不同信息申报（商户海关申报重入信息不一致）：需在微信支付后台修改申报，不要重复申报"
		case isBusiness(err) || class == top.Reject:
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
func (r *runner) checkMaterials(ctx context.Context, it *declItem) (recordResult, bool) {
	jctx := context.WithoutCancel(ctx)
	orderNum, err := strconv.ParseInt(it.req.OrderID, 10, 64)
	if err != nil {
		return recordResult{kind: recMaterialsInvalid, exception: &reconcile.Exception{Code: reconcile.MaterialsInvalid,
			Message: "订单号超出平台的数字范围，无法查询清关材料"}}, false
	}
	var log dispatch.Attempts
	var problem string
	err = r.eng.Do(ctx, &log, func(call context.Context) error {
		attempt, err := r.journal.BeginMaterials(jctx, r.runID, it.req.OrderID)
		if err != nil {
			return journalFailure(err)
		}
		if err := r.eng.Send(ctx); err != nil {
			return r.notSent(r.journal.FinishMaterials(jctx, r.runID, it.req.OrderID, attempt,
				journal.MaterialsOutcome{Outcome: "failed", ErrorCode: "not sent", ErrorMsg: "the run stopped before the call"}))
		}
		resp, err := r.platform.ClearanceDistributionGet(call, top.ClearanceDistributionGetRequest{OrderID: orderNum})
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
			o.RequestID = resp.RequestID
			if problem != "" {
				o.Outcome, o.ErrorCode, o.ErrorMsg = "invalid", "MATERIALS_INVALID", problem
			}
		}
		if ferr := r.journal.FinishMaterials(jctx, r.runID, it.req.OrderID, attempt, o); ferr != nil {
			return journalFailure(ferr)
		}
		return err
	})
	switch {
	case err == nil && problem == "":
		return recordResult{}, true
	case err == nil:
		return recordResult{kind: recMaterialsInvalid, exception: &reconcile.Exception{Code: reconcile.MaterialsInvalid, Message: problem}}, false
	case errors.Is(err, dispatch.ErrStopped):
		return recordResult{kind: recNotAttempted}, false
	}
	code, msg := platformCode(err)
	if class, _ := top.Classify(err); class == top.Reject {
		return recordResult{kind: recMaterialsInvalid, exception: &reconcile.Exception{Code: reconcile.MaterialsInvalid, PlatformCode: code, PlatformMsg: msg,
			Message: "平台拒绝了清关材料查询：" + msg}}, false
	}
	return recordResult{kind: recError, code: code, msg: msg, exception: &reconcile.Exception{Code: reconcile.DeclareError, PlatformCode: code, PlatformMsg: msg,
		Message: fmt.Sprintf("清关材料查询失败（%d 次尝试）：%s。这笔订单本次未申报，下次运行会重试", log.Count, msg)}}, false
}

func isBusiness(err error) bool {
	var be *top.BusinessError
	return errors.As(err, &be)
}

// sendAll sends every pending callback the journal does not hold as sent.
func (r *runner) sendAll(ctx context.Context, pending []ingest.Clearance, out *phaseOutput) {
	results := r.runPhase(ctx, "callbacks", len(pending),
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
					verdicts[i] = &recordResult{kind: recAlready}
				}
			}
			return verdicts, nil
		},
		func(i int) string { return "sending the callback " + pending[i].Idempotent },
		func(i int) recordResult { return r.sendOne(ctx, &pending[i]) })

	for i, res := range results {
		c := &pending[i]
		switch res.kind {
		case recDone:
			out.counts.CallbacksSent++
		case recAlready:
			out.counts.AlreadySent++
		case recNotAttempted:
			out.counts.NotSent++
			res.exception = &reconcile.Exception{Code: reconcile.CallbackError, Message: "运行在回传这条清关结果之前停止（" + r.stopReasonCN(ctx) + "），下次运行会回传"}
		default:
			out.counts.CallbacksFailed++
		}
		if res.exception != nil {
			e := *res.exception
			e.OrderID, e.Source = c.OrderID, c.Source.String()
			out.exceptions = append(out.exceptions, e)
		}
		if res.attempted {
			out.callbacks = append(out.callbacks, reconcile.Callback{
				Idempotent: c.Idempotent, Status: c.ClearanceStatus, OrderID: c.OrderID, ResultCode: c.ResultCode,
				PortNo: c.PortNo, ClearanceTime: c.ClearanceTime, Outcome: res.outcome(), Attempts: res.log.Count,
				FirstAttempt: res.log.First, LastAttempt: res.log.Last,
				ErrorCode: res.code, ErrorMsg: res.msg, RequestID: res.requestID,
			})
		}
	}
}

// sendOne sends one clearance callback.
func (r *runner) sendOne(ctx context.Context, c *ingest.Clearance) recordResult {
	jctx := context.WithoutCancel(ctx)
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
	err = r.eng.Do(ctx, &res.log, func(call context.Context) error {
		attempt, err := r.journal.BeginCallback(jctx, r.runID, jc)
		if err != nil {
			return journalFailure(err)
		}
		if err := r.eng.Send(ctx); err != nil {
			return r.notSent(r.journal.FinishCallback(jctx, r.runID, key, attempt,
				journal.CallbackOutcome{State: journal.CallbackFailed, ErrorCode: "not sent", ErrorMsg: "the run stopped before the call"}))
		}
		resp, err := r.platform.ClearanceInfoSend(call, req)
		if err == nil {
			err = resp.Err()
		}
		o := journal.CallbackOutcome{State: journal.CallbackSent, At: time.Now()}
		if resp != nil {
			o.MsgCode, o.MsgInfo, o.RequestID = resp.MsgCode, resp.MsgInfo, resp.RequestID
		}
		if err != nil {
			o.State = journal.CallbackFailed
			if class, _ := top.Classify(err); class == top.Reject || isBusiness(err) {
				o.State = journal.CallbackRejected
			}
			o.ErrorCode, o.ErrorMsg = platformCode(err)
			if o.RequestID == "" {
				o.RequestID = requestID(err)
			}
		}
		if ferr := r.journal.FinishCallback(jctx, r.runID, key, attempt, o); ferr != nil {
			return journalFailure(ferr)
		}
		res.requestID = o.RequestID
		return err
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
		if class, _ := top.Classify(err); isBusiness(err) || class == top.Reject {
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

// stopReasonCN says in Chinese why the run stopped, for the exceptions of
// the records it did not reach.
func (r *runner) stopReasonCN(ctx context.Context) string {
	var fe *dispatch.FatalError
	switch err := r.eng.Err(ctx); {
	case errors.As(err, &fe):
		return "致命错误：" + fe.Advice
	case err != nil:
		return "收到中断信号"
	}
	return "运行停止"
}

// today is the run's date in UTC+8, against which ID expiry is checked.
func today(now time.Time) cst.Date { return cst.DateOf(now) }

// recoverRecord turns a panic while working on one record into that
// record's failure, so that one bad record cannot end the process.
func (r *runner) recoverRecord(res *recordResult, what string) {
	perr := reconcile.Recovered(recover())
	if perr == nil {
		return
	}
	pe := perr.(*reconcile.PanicError)
	r.log.Error("panic while "+what, "panic", pe.Value, "stack", string(pe.Stack))
	*res = recordResult{kind: recError, code: "internal", msg: perr.Error(),
		exception: &reconcile.Exception{Code: reconcile.DeclareError, Message: "内部错误（" + perr.Error() + "），下次运行会重试"}}
}

// declareAdvice says what to do about a refused declaration, for the codes
// the finance team meets; otherwise the general advice.
func declareAdvice(err error, customs string) string {
	var be *top.BusinessError
	code, state := "", ""
	if errors.As(err, &be) {
		code, state = be.Code, be.State
	} else if c, _ := platformCode(err); c != "" {
		code = c
	}
	switch {
	case code == "NO_AUTH":
		return fmt.Sprintf("商户尚未在海关 %s 备案：在微信支付商户平台完成该海关的备案，或在导出中改用已备案的海关，然后重跑", customs)
	case state == "EXCEPT" || strings.Contains(code, "EXCEPT"):
		return "海关接口异常，与订单数据无关：稍后重跑即可"
	case code == "PARAM_ERROR" || code == "CL_PARAM_ERROR":
		return "申报参数有误：核对订单号、支付单号、海关代码和金额后重跑"
	case strings.Contains(code, "isv.invalid-parameter"):
		return "平台认为参数无效：核对订单号、支付单号和海关代码后重跑"
	}
	return "按原因处理后，下次运行会重新申报"
}

// callbackAdvice says what to do about a refused callback.
func callbackAdvice(err error) string {
	var be *top.BusinessError
	if errors.As(err, &be) {
		switch be.Code {
		case "PARAM_NOT_NULL":
			return "缺少必填字段（幂等键）：在清关结果文件中补全后重跑"
		case "PARAM_ILLEGAL":
			return "字段取值无效（如清关状态）：修正清关结果文件后重跑"
		}
	}
	return "修正清关结果文件后重跑，下次运行会重新回传"
}

// notSent is what an attempt returns when the run stopped between its
// journal entry and its call: the entry is finished as not sent.
func (r *runner) notSent(finishErr error) error {
	if finishErr != nil {
		return journalFailure(finishErr)
	}
	return dispatch.ErrStopped
}

// platformCode formats a failure's code for the journal and the workbook:
// "15 isv.invalid-parameter", "NO_AUTH", "HTTP 502", "transport".
func platformCode(err error) (code, msg string) {
	var te *top.Error
	var be *top.BusinessError
	switch {
	case errors.As(err, &be):
		return be.Code, strings.TrimSpace(strings.Join(nonEmpty(be.Msg, be.Detail), "："))
	case errors.As(err, &te):
		switch {
		case te.Code != 0:
			code = fmt.Sprint(te.Code)
			if te.SubCode != "" {
				code += " " + te.SubCode
			}
			return code, strings.Join(nonEmpty(te.Msg, te.SubMsg), "：")
		case te.StatusCode != 0:
			return fmt.Sprintf("HTTP %d", te.StatusCode), te.Error()
		default:
			return "transport", te.Error()
		}
	case err != nil:
		return "error", err.Error()
	}
	return "", ""
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" && (len(out) == 0 || out[len(out)-1] != s) {
			out = append(out, s)
		}
	}
	return out
}

func requestID(err error) string {
	var te *top.Error
	var be *top.BusinessError
	switch {
	case errors.As(err, &be):
		return be.RequestID
	case errors.As(err, &te):
		return te.RequestID
	}
	return ""
}

// journalFailure is a failure to write the journal: the run cannot go on
// without recording what it does.
func journalFailure(err error) error {
	return &dispatch.FatalError{Err: err, Advice: "the journal could not record an attempt: check the disk and the --state file"}
}
