package top

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/crossborder/reconcile/internal/cst"
)

// The API methods this client knows.
const (
	MethodClearanceDeclareWechat   = "tmall.hk.clearance.declare.wechat"
	MethodClearanceInfoSend        = "tmall.hk.clearance.info.send"
	MethodClearanceDistributionGet = "tmall.hk.clearance.distribution.get"
)

// Parameter names of the object parameters.
const (
	ParamWechatPayValidateReq      = "wechat_pay_validate_req"
	ParamOrderClearanceInfoRequest = "order_clearance_info_request"
)

// maxObjectParamBytes bounds an object parameter; ours are a few hundred bytes.
const maxObjectParamBytes = 64 << 10

// The states of a declaration (obj.state), as the API page lists them.
const (
	StateUndeclared = "UNDECLARED" // accepted; WeChat pushes to customs in batches
	StateSubmitted  = "SUBMITTED"  // modified, not declared again yet
	StateProcessing = "PROCESSING" // with customs
	StateSuccess    = "SUCCESS"    // customs took it: final
	StateFail       = "FAIL"       // refused: final
	StateExcept     = "EXCEPT"     // customs' interface failed: final
)

// AcceptedState reports whether a declaration state means the platform
// holds the declaration: UNDECLARED (WeChat pushes to customs in batches),
// SUBMITTED, PROCESSING or SUCCESS. FAIL and EXCEPT are failures.
func AcceptedState(state string) bool {
	switch state {
	case StateUndeclared, StateSubmitted, StateProcessing, StateSuccess:
		return true
	}
	return false
}

// FinalState reports whether a declaration state is final: SUCCESS, FAIL
// or EXCEPT. Any other state changes later.
func FinalState(state string) bool {
	return state == StateSuccess || state == StateFail || state == StateExcept
}

// WechatPayValidateReq is the wechat_pay_validate_req parameter of
// tmall.hk.clearance.declare.wechat. The fees are in fen, and OrderFee must
// equal ProductFee + TransportFee. OrderID travels as a JSON string.
//
// The fields are in the order the official writer emits them (by name).
type WechatPayValidateReq struct {
	Customs       string `json:"customs"`        // customs code, e.g. SHANGHAI_ZS
	OrderFee      int64  `json:"order_fee"`      // fen
	OrderID       string `json:"order_id"`       // the Taobao order id
	ProductFee    int64  `json:"product_fee"`    // fen
	TransactionID string `json:"transaction_id"` // the WeChat payment number
	TransportFee  int64  `json:"transport_fee"`  // fen
}

// WechatPaySendResult is the obj of a declaration answer.
type WechatPaySendResult struct {
	RequestSuccess flexBool `json:"request_success"`
	// State is PROCESSING, UNDECLARED, SUBMITTED, SUCCESS, FAIL or EXCEPT.
	State       string `json:"state"`
	ErrorCode   string `json:"error_code"`
	ErrorMsg    string `json:"error_msg"`
	ErrorDetail string `json:"error_detail"`
}

// ClearanceDeclareWechatResponse is the answer to
// tmall.hk.clearance.declare.wechat.
type ClearanceDeclareWechatResponse struct {
	ResponseSuccess flexBool             `json:"response_success"`
	ResponseCode    string               `json:"response_code"`
	ResponseMsg     string               `json:"response_msg"`
	Obj             *WechatPaySendResult `json:"obj"`
	RequestID       string               `json:"request_id"`
}

// Accepted reports whether the platform took the declaration:
// response_success and obj.request_success are true and obj.state is an
// accepted state (see AcceptedState).
func (r *ClearanceDeclareWechatResponse) Accepted() bool {
	return r != nil && bool(r.ResponseSuccess) && r.Obj != nil && bool(r.Obj.RequestSuccess) && AcceptedState(r.Obj.State)
}

// State returns obj.state, or "" when there is no obj.
func (r *ClearanceDeclareWechatResponse) State() string {
	if r == nil || r.Obj == nil {
		return ""
	}
	return r.Obj.State
}

// Err returns nil when the declaration was accepted, else a *BusinessError
// with the platform's reason.
func (r *ClearanceDeclareWechatResponse) Err() error {
	if r.Accepted() {
		return nil
	}
	e := &BusinessError{Method: MethodClearanceDeclareWechat, RequestID: r.RequestID}
	switch {
	case !bool(r.ResponseSuccess):
		e.Code, e.Msg = r.ResponseCode, r.ResponseMsg
	case r.Obj == nil:
		e.Code, e.Msg = r.ResponseCode, "answer without obj"
	default:
		e.Code, e.Msg, e.Detail, e.State = r.Obj.ErrorCode, r.Obj.ErrorMsg, r.Obj.ErrorDetail, r.Obj.State
		if e.Code == "" && e.Msg == "" && !AcceptedState(r.Obj.State) {
			e.Msg = "declaration state " + strconv.Quote(r.Obj.State)
		}
	}
	return e
}

// ClearanceDeclareWechat declares a WeChat payment to customs
// (tmall.hk.clearance.declare.wechat).
//
// It returns an *Error when the platform answered with an error_response
// or did not answer. Otherwise it returns the answer, whose Accepted and
// Err methods tell the business outcome: a declaration can be refused in a
// successful envelope (FAIL, EXCEPT, NO_AUTH, different parameters).
func (c *Client) ClearanceDeclareWechat(ctx context.Context, req WechatPayValidateReq) (*ClearanceDeclareWechatResponse, error) {
	obj, err := encodeObject(ParamWechatPayValidateReq, req)
	if err != nil {
		return nil, &Error{Method: MethodClearanceDeclareWechat, Err: err}
	}
	var resp ClearanceDeclareWechatResponse
	if err := c.Call(ctx, MethodClearanceDeclareWechat, map[string]string{ParamWechatPayValidateReq: obj}, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// OrderClearanceInfoRequest is the order_clearance_info_request parameter of
// tmall.hk.clearance.info.send. OrderID and ClearanceStatus travel as JSON
// numbers and ClearanceTime as "yyyy-MM-dd HH:mm:ss" in GMT+8. Zero values
// are left out, as the official writer leaves out nulls; Idempotent is
// required by the platform.
type OrderClearanceInfoRequest struct {
	ClearancePortNo      string    // port code, e.g. 2991
	ClearanceResultCode  string    // 000… released, 100… failed
	ClearanceStatus      int64     // 1 clearance started, 2 clearance result
	ClearanceTime        time.Time // when clearance happened
	CustomsPassNo        string    // the customs list number
	CustomsReturnReceipt string    // the customs receipt text
	Idempotent           string    // the idempotency key from the clearance-material interface
	OrderID              int64     // the Taobao order id
}

// MarshalJSON writes the object as the official writer does: keys by name,
// zero values left out, the time in GMT+8.
func (r OrderClearanceInfoRequest) MarshalJSON() ([]byte, error) {
	var ts string
	if !r.ClearanceTime.IsZero() {
		ts = cst.Format(r.ClearanceTime)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // as encodeObject: the receipt text stays readable
	err := enc.Encode(struct {
		ClearancePortNo      string `json:"clearance_port_no,omitempty"`
		ClearanceResultCode  string `json:"clearance_result_code,omitempty"`
		ClearanceStatus      int64  `json:"clearance_status,omitempty"`
		ClearanceTime        string `json:"clearance_time,omitempty"`
		CustomsPassNo        string `json:"customs_pass_no,omitempty"`
		CustomsReturnReceipt string `json:"customs_return_receipt,omitempty"`
		Idempotent           string `json:"idempotent"`
		OrderID              int64  `json:"order_id,omitempty"`
	}{r.ClearancePortNo, r.ClearanceResultCode, r.ClearanceStatus, ts, r.CustomsPassNo, r.CustomsReturnReceipt, r.Idempotent, r.OrderID})
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), err
}

// ClearanceInfoSendResponse is the answer to tmall.hk.clearance.info.send.
type ClearanceInfoSendResponse struct {
	MsgSuccess flexBool `json:"msg_success"` // the callback was taken
	MsgObj     flexBool `json:"msg_obj"`     // the call itself succeeded
	MsgCode    string   `json:"msg_code"`    // e.g. PARAM_NOT_NULL
	MsgInfo    string   `json:"msg_info"`    // e.g. 参数不能为空
	RequestID  string   `json:"request_id"`
}

// Sent reports whether the platform took the callback (msg_success).
func (r *ClearanceInfoSendResponse) Sent() bool { return r != nil && bool(r.MsgSuccess) }

// Err returns nil when the callback was taken, else a *BusinessError.
func (r *ClearanceInfoSendResponse) Err() error {
	if r.Sent() {
		return nil
	}
	msg := r.MsgInfo
	if r.MsgCode == "" && msg == "" {
		msg = "msg_success is false"
	}
	return &BusinessError{Method: MethodClearanceInfoSend, Code: r.MsgCode, Msg: msg, RequestID: r.RequestID}
}

// ClearanceInfoSend sends a clearance callback (tmall.hk.clearance.info.send).
// Errors are as for ClearanceDeclareWechat; the answer's Sent and Err tell
// the business outcome.
func (c *Client) ClearanceInfoSend(ctx context.Context, req OrderClearanceInfoRequest) (*ClearanceInfoSendResponse, error) {
	obj, err := encodeObject(ParamOrderClearanceInfoRequest, req)
	if err != nil {
		return nil, &Error{Method: MethodClearanceInfoSend, Err: err}
	}
	var resp ClearanceInfoSendResponse
	if err := c.Call(ctx, MethodClearanceInfoSend, map[string]string{ParamOrderClearanceInfoRequest: obj}, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// ClearanceDistributionGetRequest holds the parameters of
// tmall.hk.clearance.distribution.get.
type ClearanceDistributionGetRequest struct {
	OrderID   int64 // the Taobao order id
	NeedImage bool  // also return the ID-card image URLs (slower)
}

// ConsigneeCertifyInfo is the buyer's clearance material.
type ConsigneeCertifyInfo struct {
	OcrName     string  `json:"ocr_name"`    // the name on the ID card (personal data)
	OcrID       string  `json:"ocr_id"`      // the ID number (personal data)
	OcrExp      string  `json:"ocr_exp"`     // expiry, yyyyMMdd, or 长期
	Type        flexInt `json:"type"`        // credential type
	OrderID     flexInt `json:"order_id"`    // the order id
	Credential1 string  `json:"credential1"` // front image URL, when asked for
	Credential2 string  `json:"credential2"` // back image URL, when asked for
}

// CertifyQueryResult is the result of a materials query.
type CertifyQueryResult struct {
	Success flexBool              `json:"success"`
	ErrCode string                `json:"err_code"`
	ErrMsg  string                `json:"err_msg"`
	Module  *ConsigneeCertifyInfo `json:"module"`
}

// ClearanceDistributionGetResponse is the answer to
// tmall.hk.clearance.distribution.get.
type ClearanceDistributionGetResponse struct {
	Result    *CertifyQueryResult `json:"result"`
	RequestID string              `json:"request_id"`
}

// Found reports whether the platform returned the materials:
// result.success is true and result.module is filled.
func (r *ClearanceDistributionGetResponse) Found() bool {
	return r != nil && r.Result != nil && bool(r.Result.Success) && r.Result.Module != nil
}

// Materials returns result.module, or nil when there is none.
func (r *ClearanceDistributionGetResponse) Materials() *ConsigneeCertifyInfo {
	if !r.Found() {
		return nil
	}
	return r.Result.Module
}

// Err returns nil when the materials were found, else a *BusinessError.
func (r *ClearanceDistributionGetResponse) Err() error {
	if r.Found() {
		return nil
	}
	e := &BusinessError{Method: MethodClearanceDistributionGet, RequestID: r.RequestID}
	switch {
	case r.Result == nil:
		e.Msg = "answer without result"
	case !bool(r.Result.Success):
		e.Code, e.Msg = r.Result.ErrCode, r.Result.ErrMsg
		if e.Code == "" && e.Msg == "" {
			e.Msg = "result.success is false"
		}
	default:
		e.Code, e.Msg = r.Result.ErrCode, "answer without materials"
	}
	return e
}

// ClearanceDistributionGet fetches the buyer's clearance materials for an
// order (tmall.hk.clearance.distribution.get). Errors are as for
// ClearanceDeclareWechat; the answer's Found and Err tell the business
// outcome.
func (c *Client) ClearanceDistributionGet(ctx context.Context, req ClearanceDistributionGetRequest) (*ClearanceDistributionGetResponse, error) {
	if req.OrderID <= 0 {
		return nil, &Error{Method: MethodClearanceDistributionGet, Err: fmt.Errorf("invalid order id %d", req.OrderID)}
	}
	params := map[string]string{
		"order_id":   strconv.FormatInt(req.OrderID, 10),
		"need_image": strconv.FormatBool(req.NeedImage),
	}
	var resp ClearanceDistributionGetResponse
	if err := c.Call(ctx, MethodClearanceDistributionGet, params, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// BusinessError is a refusal inside a successful envelope: the platform
// answered, but did not accept the declaration, the callback or the
// materials query. It is a rejection of that record, not a transport
// problem.
type BusinessError struct {
	Method    string
	Code      string // response_code, obj.error_code, msg_code or err_code
	Msg       string // the matching message
	Detail    string // obj.error_detail, when there is one
	State     string // obj.state of a declaration, when there is one
	RequestID string
}

func (e *BusinessError) Error() string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "top: %s: refused", e.Method)
	if e.Code != "" {
		fmt.Fprintf(&b, ": %s", e.Code)
	}
	if e.Msg != "" {
		fmt.Fprintf(&b, ": %s", e.Msg)
	}
	if e.Detail != "" && e.Detail != e.Msg {
		fmt.Fprintf(&b, " (%s)", e.Detail)
	}
	if e.State != "" {
		fmt.Fprintf(&b, " [state %s]", e.State)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " [request_id %s]", e.RequestID)
	}
	return b.String()
}

// encodeObject serialises an object parameter as the official writer does:
// keys by name, no HTML escaping, and "/" written as "\/". The string sent
// is the string signed.
func encodeObject(name string, v any) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", fmt.Errorf("encoding %s: %w", name, err)
	}
	b := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	// A "/" can only occur inside a JSON string, so this escapes exactly the
	// slashes of the values (and keys) and changes nothing else.
	b = bytes.ReplaceAll(b, []byte("/"), []byte(`\/`))
	if len(b) > maxObjectParamBytes {
		return "", fmt.Errorf("%s is %d bytes, over the %d-byte limit", name, len(b), maxObjectParamBytes)
	}
	return string(b), nil
}
