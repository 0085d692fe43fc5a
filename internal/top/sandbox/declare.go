package sandbox

import (
	"fmt"
	"strings"
	"time"

	"github.com/crossborder/reconcile/internal/top"
)

const declareParam = "wechat_pay_validate_req"

// Declaration states, as the API page lists them.
const (
	StateUndeclared = "UNDECLARED"
	StateSubmitted  = "SUBMITTED"
	StateProcessing = "PROCESSING"
	StateSuccess    = "SUCCESS"
	StateFail       = "FAIL"
	StateExcept     = "EXCEPT"
)

// The platform's messages for refused declarations.
const (
	msgConflict = "商户海关申报重入信息不一致"
	msgNoAuth   = "商户未在当前申报的海关进行备案"
	msgExcept   = "海关接口异常"
	// msgFail is the API page's wording of state FAIL (申报失败), which a
	// fail-later declaration answers with error code codeFail once customs
	// has refused it. The page names no error code for it; CUSTOMS_FAIL is
	// the sandbox's, after CUSTOMS_EXCEPT.
	msgFail = "申报失败"
)

// The error codes of the final states a held declaration can turn to.
const (
	codeFail   = "CUSTOMS_FAIL"
	codeExcept = "CUSTOMS_EXCEPT"
)

// declParams are the fields of a WechatPayValidateReq.
type declParams struct {
	orderID, transactionID, customs    string
	orderFee, productFee, transportFee int64
}

// declaration is what the gateway keeps of an order's declaration.
type declaration struct {
	p         declParams
	held      bool      // accepted; else the last attempt failed
	state     string    // FAIL or EXCEPT when not held; see stateAt when held
	at        time.Time // when it was accepted, or last failed
	repeats   int
	conflicts int
	effects   int
}

// DeclarationRecord is what the gateway holds of an order's declaration.
type DeclarationRecord struct {
	OrderID, TransactionID, Customs    string
	OrderFee, ProductFee, TransportFee int64 // fen
	// Held is true when the declaration was accepted; false when the last
	// attempt failed (state FAIL or EXCEPT) and nothing is held. A held
	// declaration of Config.FailLaterOrders can be FAIL or EXCEPT too.
	Held bool
	// State is the state an identical declaration of the order would
	// answer now, on the gateway's clock: for a held one UNDECLARED,
	// PROCESSING, then SUCCESS or, for Config.FailLaterOrders, FAIL or
	// EXCEPT (Config.StuckOrders stay PROCESSING).
	State string
	// DeclaredAt is when it was accepted (or, if not held, last failed).
	DeclaredAt time.Time
	Repeats    int // identical declarations after the first
	Conflicts  int // refused different ones
	Effects    int // declarations that reached the effect stage
}

// Declaration returns what the gateway holds of orderID's declaration, and
// false if no declaration of it ever passed the argument checks.
func (g *Gateway) Declaration(orderID string) (DeclarationRecord, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	d := g.decls[orderID]
	if d == nil {
		return DeclarationRecord{}, false
	}
	return DeclarationRecord{
		OrderID: d.p.orderID, TransactionID: d.p.transactionID, Customs: d.p.customs,
		OrderFee: d.p.orderFee, ProductFee: d.p.productFee, TransportFee: d.p.transportFee,
		Held: d.held, State: g.stateAt(d, g.now()), DeclaredAt: d.at,
		Repeats: d.repeats, Conflicts: d.conflicts, Effects: d.effects,
	}, true
}

// stateAt is d's state at now: for a held declaration UNDECLARED until
// processingAfter, PROCESSING until successAfter, then SUCCESS, or the
// final state of a fail-later order, or still PROCESSING for a stuck one.
func (g *Gateway) stateAt(d *declaration, now time.Time) string {
	if !d.held {
		return d.state
	}
	el := now.Sub(d.at)
	if el >= g.successAfter {
		if final, ok := g.failLater[d.p.orderID]; ok {
			return final
		}
		if !g.stuck[d.p.orderID] {
			return StateSuccess
		}
	}
	if el >= g.processingAfter {
		return StateProcessing
	}
	return StateUndeclared
}

// heldAnswer is the answer to an identical declaration of the held d at
// now: its state, with the error code and message of a final FAIL or
// EXCEPT, in the envelope the immediate failures use (request_success
// false for FAIL, true for EXCEPT).
func (g *Gateway) heldAnswer(d *declaration, now time.Time) object {
	switch state := g.stateAt(d, now); state {
	case StateFail:
		return declareObj(false, StateFail, codeFail, msgFail, "")
	case StateExcept:
		return declareObj(true, StateExcept, codeExcept, msgExcept, "")
	default:
		return declareObj(true, state, "", "", "")
	}
}

// declare is tmall.hk.clearance.declare.wechat. The caller holds g.mu.
func (g *Gateway) declare(req *request) (object, *apiError) {
	raw, ok := req.p[declareParam]
	if !ok {
		return nil, errArg(top.CodeMissingRequiredArgs, declareParam)
	}
	m, ok := parseObject(raw)
	if !ok {
		return nil, invalidArg(declareParam, "not a JSON object")
	}
	f := fields{m: m}
	var p declParams
	var has [3]bool
	p.orderID = f.str("order_id")
	p.transactionID = f.str("transaction_id")
	p.customs = f.str("customs")
	p.orderFee, has[0] = f.int("order_fee")
	p.productFee, has[1] = f.int("product_fee")
	p.transportFee, has[2] = f.int("transport_fee")
	if f.bad != "" {
		return nil, invalidArg(declareParam, f.bad+" has the wrong JSON type")
	}
	var missing []string
	for _, c := range []struct {
		name string
		ok   bool
	}{
		{"order_id", p.orderID != ""}, {"transaction_id", p.transactionID != ""}, {"customs", p.customs != ""},
		{"order_fee", has[0]}, {"product_fee", has[1]}, {"transport_fee", has[2]},
	} {
		if !c.ok {
			missing = append(missing, c.name)
		}
	}
	switch {
	case len(missing) > 0:
		return g.declareParamError(strings.Join(missing, ", ") + " 不能为空"), nil
	case !isDigits(p.orderID):
		return g.declareParamError("order_id 必须是数字"), nil
	case p.orderFee < 0 || p.productFee < 0 || p.transportFee < 0:
		return g.declareParamError("金额不能为负数"), nil
	}

	g.ctr.Declarations.Effects[p.orderID]++
	d := g.decls[p.orderID]
	if d == nil {
		d = &declaration{p: p}
		g.decls[p.orderID] = d
	}
	d.effects++

	if d.held {
		if diff := differences(d.p, p); len(diff) > 0 {
			d.conflicts++
			g.ctr.Declarations.Conflicting++
			return declareObj(false, g.stateAt(d, req.at), "PARAM_ERROR", msgConflict,
				strings.Join(diff, ", ")+" 与已申报的不一致"), nil
		}
		d.repeats++
		g.ctr.Declarations.Repeated++
		return g.heldAnswer(d, req.at), nil
	}
	failed := func() {
		g.ctr.Declarations.Failed++
		d.p, d.state, d.at = p, StateFail, req.at
	}
	if p.orderFee != p.productFee+p.transportFee {
		failed()
		return declareObj(false, StateFail, "PARAM_ERROR", "参数错误",
			fmt.Sprintf("order_fee(%d) != product_fee(%d) + transport_fee(%d)", p.orderFee, p.productFee, p.transportFee)), nil
	}
	if g.rejectOrders[p.orderID] {
		failed()
		return nil, &apiError{code: top.CodeRemoteServiceTimeout, msg: top.CodeMsg(top.CodeRemoteServiceTimeout),
			subCode: "isv.invalid-parameter", subMsg: "非法参数"}
	}
	d.p, d.at = p, req.at
	switch {
	case g.failCustoms[p.customs]:
		d.state = StateFail
		g.ctr.Declarations.Failed++
		return declareObj(false, StateFail, "NO_AUTH", msgNoAuth, "customs "+p.customs), nil
	case g.exceptOrders[p.orderID]:
		d.state = StateExcept
		g.ctr.Declarations.Failed++
		return declareObj(true, StateExcept, codeExcept, msgExcept, ""), nil
	}
	d.held, d.state = true, ""
	g.ctr.Declarations.New++
	return g.heldAnswer(d, req.at), nil
}

// declareParamError is the business answer for a malformed declaration.
func (g *Gateway) declareParamError(detail string) object {
	g.ctr.Declarations.Failed++
	return object{
		{"response_success", false},
		{"response_code", "CL_PARAM_ERROR"},
		{"response_msg", "参数错误: " + detail},
	}
}

func declareObj(ok bool, state, code, msg, detail string) object {
	obj := object{{"request_success", ok}, {"state", state}}
	if code != "" {
		obj = append(obj, field{"error_code", code})
	}
	if msg != "" {
		obj = append(obj, field{"error_msg", msg})
	}
	if detail != "" {
		obj = append(obj, field{"error_detail", detail})
	}
	return object{{"response_success", true}, {"obj", obj}}
}

// differences names the fields in which b differs from a.
func differences(a, b declParams) []string {
	var out []string
	if a.transactionID != b.transactionID {
		out = append(out, "transaction_id")
	}
	if a.customs != b.customs {
		out = append(out, "customs")
	}
	if a.orderFee != b.orderFee {
		out = append(out, "order_fee")
	}
	if a.productFee != b.productFee {
		out = append(out, "product_fee")
	}
	if a.transportFee != b.transportFee {
		out = append(out, "transport_fee")
	}
	return out
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// ParseFailLaterOrders parses entries for Config.FailLaterOrders. Each
// string holds comma-separated entries, ORDER_ID (meaning FAIL),
// ORDER_ID=FAIL or ORDER_ID=EXCEPT, with ORDER_ID decimal digits and the
// state as the API spells it; blank entries are skipped. An order given
// twice with different states, or any other entry, is an error naming the
// entry.
func ParseFailLaterOrders(lists ...string) (map[string]string, error) {
	out := make(map[string]string)
	for _, list := range lists {
		for _, entry := range strings.Split(list, ",") {
			entry = strings.TrimSpace(entry)
			if entry == "" {
				continue
			}
			id, state, hasState := strings.Cut(entry, "=")
			id, state = strings.TrimSpace(id), strings.TrimSpace(state)
			if !hasState {
				state = StateFail
			}
			if !isDigits(id) || (state != StateFail && state != StateExcept) {
				return nil, fmt.Errorf("entry %q: want ORDER_ID, ORDER_ID=FAIL or ORDER_ID=EXCEPT, with ORDER_ID decimal digits", entry)
			}
			if prev, ok := out[id]; ok && prev != state {
				return nil, fmt.Errorf("entry %q: order %s is already to end %s", entry, id, prev)
			}
			out[id] = state
		}
	}
	return out, nil
}
