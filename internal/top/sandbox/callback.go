package sandbox

import (
	"time"

	"github.com/crossborder/reconcile/internal/cst"
)

const callbackParam = "order_clearance_info_request"

// callbackKey identifies a clearance callback: a repeat of the same key is
// answered but recorded once.
type callbackKey struct {
	idempotent string
	status     int64
}

// CallbackRecord is a clearance callback the gateway recorded: the first
// one received for its (idempotent, clearance_status).
type CallbackRecord struct {
	Idempotent           string
	OrderID              int64 // 0 when not sent
	ClearanceStatus      int64 // 1 clearance started, 2 clearance result; 0 when not sent
	ClearanceResultCode  string
	ClearancePortNo      string
	ClearanceTime        string // as sent, yyyy-MM-dd HH:mm:ss
	CustomsPassNo        string
	CustomsReturnReceipt string
	ReceivedAt           time.Time // on the gateway's clock
	Repeats              int       // callbacks with the same key after the first
}

// Callback returns the callback recorded for (idempotent, status).
func (g *Gateway) Callback(idempotent string, status int) (CallbackRecord, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	r := g.callbacks[callbackKey{idempotent, int64(status)}]
	if r == nil {
		return CallbackRecord{}, false
	}
	return *r, true
}

// callback is tmall.hk.clearance.info.send. The caller holds g.mu.
func (g *Gateway) callback(req *request) (object, *apiError) {
	raw, ok := req.p[callbackParam]
	if !ok {
		return g.callbackRefused("PARAM_NOT_NULL", "参数不能为空"), nil
	}
	m, ok := parseObject(raw)
	if !ok {
		return nil, invalidArg(callbackParam, "not a JSON object")
	}
	f := fields{m: m}
	r := CallbackRecord{
		Idempotent:           f.str("idempotent"),
		ClearanceResultCode:  f.str("clearance_result_code"),
		ClearancePortNo:      f.str("clearance_port_no"),
		ClearanceTime:        f.str("clearance_time"),
		CustomsPassNo:        f.str("customs_pass_no"),
		CustomsReturnReceipt: f.str("customs_return_receipt"),
		ReceivedAt:           req.at,
	}
	r.OrderID, _ = f.int("order_id")
	status, hasStatus := f.int("clearance_status")
	r.ClearanceStatus = status
	if r.ClearanceTime != "" {
		if _, err := time.ParseInLocation(cst.Layout, r.ClearanceTime, cst.Zone); err != nil {
			f.fail("clearance_time")
		}
	}
	if f.bad != "" {
		return nil, invalidArg(callbackParam, f.bad+" has the wrong JSON type or form")
	}
	switch {
	case r.Idempotent == "":
		return g.callbackRefused("PARAM_NOT_NULL", "参数不能为空"), nil
	case hasStatus && status != 1 && status != 2:
		return g.callbackRefused("PARAM_ILLEGAL", "参数非法: clearance_status 只能是 1 或 2"), nil
	}
	key := callbackKey{r.Idempotent, status}
	if old := g.callbacks[key]; old != nil {
		old.Repeats++
		g.ctr.Callbacks.Repeated++
	} else {
		g.callbacks[key] = &r
		g.ctr.Callbacks.New++
	}
	return object{{"msg_success", true}, {"msg_obj", true}}, nil
}

func (g *Gateway) callbackRefused(code, info string) object {
	g.ctr.Callbacks.Invalid++
	return object{{"msg_success", false}, {"msg_code", code}, {"msg_info", info}, {"msg_obj", false}}
}
