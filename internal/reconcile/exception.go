package reconcile

import (
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/crossborder/reconcile/internal/cst"
)

// Code is an exception code (docs/design.md#exception-codes). Codes are stable:
// the workbook, the summary JSON and scripts rely on them.
type Code string

// The exception codes. Codes returns them in the order
// docs/design.md#exception-codes lists them, that of the summary and the
// workbook.
const (
	InputInvalid     Code = "INPUT_INVALID"
	OrderDuplicate   Code = "ORDER_DUPLICATE"
	FeeMismatch      Code = "FEE_MISMATCH"
	PaymentMissing   Code = "PAYMENT_MISSING"
	PaymentDuplicate Code = "PAYMENT_DUPLICATE"
	AmountMismatch   Code = "AMOUNT_MISMATCH"
	PaymentRefunded  Code = "PAYMENT_REFUNDED"
	PaymentOrphan    Code = "PAYMENT_ORPHAN"
	MaterialsInvalid Code = "MATERIALS_INVALID"
	DeclareRejected  Code = "DECLARE_REJECTED"
	DeclareConflict  Code = "DECLARE_CONFLICT"
	DeclareError     Code = "DECLARE_ERROR"
	CallbackInvalid  Code = "CALLBACK_INVALID"
	CallbackRejected Code = "CALLBACK_REJECTED"
	CallbackError    Code = "CALLBACK_ERROR"
	// BillMismatch: a bill section's summary disagrees with its rows, or
	// the section has no summary; no declaration is made.
	BillMismatch Code = "BILL_MISMATCH"
	// ServiceFeeMismatch: a bill row's 手续费 is not 应结订单金额 × 费率
	// rounded to the fen; the order is still declared.
	ServiceFeeMismatch Code = "SERVICE_FEE_MISMATCH"
	// LimitExceeded: the order is above the cross-border retail limit per
	// order, or would take its buyer above the annual one; not declared.
	LimitExceeded Code = "LIMIT_EXCEEDED"
	// DeclareStuck: an accepted declaration still not final after
	// --follow-up-days; reported once.
	DeclareStuck Code = "DECLARE_STUCK"
)

// codeInfo is what the finance team sees of a code.
type codeInfo struct {
	label  string // the Chinese label
	advice string // one line: what to do about it
}

var codes = []Code{
	InputInvalid, OrderDuplicate, FeeMismatch, PaymentMissing, PaymentDuplicate, AmountMismatch,
	PaymentRefunded, PaymentOrphan, MaterialsInvalid, LimitExceeded, DeclareRejected, DeclareConflict, DeclareError,
	DeclareStuck, CallbackInvalid, CallbackRejected, CallbackError, BillMismatch, ServiceFeeMismatch,
}

var codeInfos = map[Code]codeInfo{
	InputInvalid:       {"数据行无法读取", "按“来源”找到原文件中的这一行，修正或重新导出后重跑该日期"},
	OrderDuplicate:     {"订单重复且不一致", "同一订单在两份导出中金额或海关不同：核对后删除错误的一份，再重跑"},
	FeeMismatch:        {"订单金额≠货款+邮费", "在千牛/天猫后台核对该订单的货款、邮费和总金额，修正导出后重跑"},
	PaymentMissing:     {"未找到支付", "确认买家已付款；补上遗漏的微信账单（可能在次日账单中）后重跑"},
	PaymentDuplicate:   {"重复支付", "同一订单有多笔成功支付：核实后退还多付的一笔，再人工申报"},
	AmountMismatch:     {"支付金额与订单不符", "核对微信支付金额与订单总金额，差额需人工处理后再申报"},
	PaymentRefunded:    {"支付已退款或撤销", "已退款/撤销的支付不申报：确认订单已关闭或重新支付"},
	PaymentOrphan:      {"支付无对应订单", "找到这笔支付的订单导出（可能在其他日期或店铺）后重跑"},
	MaterialsInvalid:   {"清关材料无效", "请买家更新实名认证信息（身份证号、有效期、姓名），再重跑申报"},
	DeclareRejected:    {"申报被拒", "按平台返回的原因处理（如海关备案、参数），下次运行会自动重试"},
	DeclareConflict:    {"申报信息冲突", "该订单已用不同信息申报过：需在微信支付后台修改申报，不要重复申报"},
	DeclareError:       {"申报失败待重试", "平台暂时无法访问，下次运行会自动重试；连续出现请联系技术支持"},
	CallbackInvalid:    {"清关回传数据无效", "在清关结果文件中补全幂等键或修正清关状态（1或2）后重跑"},
	CallbackRejected:   {"清关回传被拒", "按平台返回的原因修正清关数据后重跑"},
	CallbackError:      {"清关回传失败待重试", "平台暂时无法访问，下次运行会自动重试；连续出现请联系技术支持"},
	BillMismatch:       {"账单汇总不符", "账单被编辑过、缺行或未下载完整：重新下载原始账单后重跑；本次未申报任何订单（人工核对无误后可加 --allow-bill-mismatch）"},
	ServiceFeeMismatch: {"手续费不符", "手续费与应结订单金额×费率不符：向微信支付核对这笔手续费；订单照常申报"},
	LimitExceeded:      {"超出跨境限额", "超出跨境零售进口限额（单笔 5000 元，个人年度 26000 元）：不能按跨境零售申报，请与买家协商退款或按一般贸易处理"},
	DeclareStuck:       {"申报长时间未完成", "申报已被平台受理但多日未出结果：请在微信支付商户平台或联系海关查询这笔申报的状态"},
}

// Codes returns every exception code, in the order of docs/design.md#exception-codes.
func Codes() []Code { return append([]Code(nil), codes...) }

// Label returns the code's Chinese label for the finance team, or the code
// itself when it is not a known code.
func (c Code) Label() string {
	if i, ok := codeInfos[c]; ok {
		return i.label
	}
	return string(c)
}

// Advice returns one line, in Chinese, on what to do about an exception
// with this code; "" for an unknown code.
func (c Code) Advice() string { return codeInfos[c].advice }

// Retried reports whether the next run retries an exception of code c by
// itself, so that nobody need act on it: DECLARE_ERROR and
// CALLBACK_ERROR, the transient failures.
func (c Code) Retried() bool { return c == DeclareError || c == CallbackError }

// Known reports whether c is one of the codes of docs/design.md#exception-codes.
func (c Code) Known() bool { _, ok := codeInfos[c]; return ok }

// Exception is one thing the finance team must look at. It never holds a
// full ID number, a buyer's name or a credential.
type Exception struct {
	Code          Code
	OrderID       string // "" when unknown
	TransactionID string // "" when unknown
	Customs       string // the customs code involved, if any
	// Expected and Actual are amounts in fen when HasAmounts is set: for
	// FEE_MISMATCH product_fee+transport_fee and order_fee, for
	// AMOUNT_MISMATCH order_fee and the amount paid, for ORDER_DUPLICATE
	// the first copy's order_fee and the next copy's, for PAYMENT_REFUNDED
	// the payment and the refund (when the bills hold both), for BILL_MISMATCH
	// the summary's 应结订单总金额 and its rows' sum.
	Expected   int64
	Actual     int64
	HasAmounts bool
	// Amount is the money at stake in fen (the order's order_fee, or the
	// payment's amount for an orphan); the workbook sums it per code. 0
	// when unknown (an unreadable row, a callback): the workbook leaves the
	// cell empty.
	Amount       int64
	PlatformCode string // the platform's code where there is one, e.g. "15 isv.invalid-parameter" or "NO_AUTH"
	PlatformMsg  string // the platform's message where there is one
	Message      string // what happened and what to check, for a person
	Source       string // "file:line" of the row(s) it came from, "; "-separated
	// At is when what the exception is about happened: the order's
	// payment, the payment (or refund), the clearance row; zero when not
	// known. Its UTC+8 date is the exception's day (Day).
	At time.Time
	// OtherTransactionID is, for PAYMENT_DUPLICATE, the second successful
	// payment: the one to refund.
	OtherTransactionID string
	// Callback is the callback's key (idempotency key/status) for the
	// callback codes; "" otherwise.
	Callback string
	// Advice is what to do about this one exception, where it is more
	// precise than its code's (Code.Advice); "" otherwise. See WhatToDo.
	Advice string
	// Tracking is what the journal remembers of the exception (by Key):
	// set by the run that reports it, empty in a dry run.
	Tracking Tracking
}

// WhatToDo returns the exception's advice: its own, else its code's.
func (e *Exception) WhatToDo() string {
	if e.Advice != "" {
		return e.Advice
	}
	return e.Code.Advice()
}

// State is where an exception stands across runs (docs/design.md#exceptions-across-runs).
type State string

const (
	StateNew  State = "new"  // first reported by this run (or again after it was resolved)
	StateOpen State = "open" // reported by an earlier run and still there
)

// Label is the state's Chinese name in the workbook.
func (s State) Label() string {
	switch s {
	case StateNew:
		return "新增"
	case StateOpen:
		return "未解决"
	}
	return string(s)
}

// Tracking is an exception's history, from the journal: its state, when
// it was first reported and the finance team's notes on it.
type Tracking struct {
	State       State
	FirstRunID  int64     // the run that first reported it; 0 for a new one of a dry run
	FirstSeenAt time.Time // when; the run's start for a new one
	// Days is how many calendar days (UTC+8) it has been open: first seen
	// on the 20th, it is 4 days old on the 24th; 0 for a new one.
	Days     int
	Handling Handling
}

// Handling is what the finance team wrote beside an exception: 处理状态
// (one of 待处理, 处理中, 已处理, 无需处理, or ""), 处理人 and 备注. Text
// only.
type Handling struct {
	Status, Handler, Text string
}

// HandlingStatuses are the values 处理状态 may take, in the order of the
// workbook's drop-down.
var HandlingStatuses = []string{"待处理", "处理中", "已处理", "无需处理"}

// IsZero reports whether h says nothing.
func (h Handling) IsZero() bool { return h == Handling{} }

// Handlings is what the finance team wrote in one of the job's workbooks,
// read back by the next run: the workbook, when it was last modified, and
// the handling of each exception, by exception key.
type Handlings struct {
	Source   string
	Modified time.Time
	ByKey    map[string]Handling
}

// Key is the exception's stable key, by which runs know it again:
// "code|order id|transaction id" when it has either id, "code|callback
// key" for a callback, else "code|file base name:line" of its first
// source (an unreadable row, a bill).
func (e *Exception) Key() string {
	switch {
	case e.Callback != "":
		return string(e.Code) + "|" + e.Callback
	case e.OrderID != "" || e.TransactionID != "":
		return string(e.Code) + "|" + e.OrderID + "|" + e.TransactionID
	}
	src, _, _ := strings.Cut(e.Source, "; ")
	return string(e.Code) + "|" + filepath.Base(src)
}

// Day is the UTC+8 date of At, or "" when At is zero.
func (e *Exception) Day() string {
	if e.At.IsZero() {
		return ""
	}
	return cst.DateOf(e.At).String()
}

// Difference is Actual − Expected in fen; 0 without amounts.
func (e *Exception) Difference() int64 {
	if !e.HasAmounts {
		return 0
	}
	return e.Actual - e.Expected
}

// rank is the place of each known code in the exception order.
var rank = func() map[Code]int {
	m := make(map[Code]int, len(codes))
	for i, c := range codes {
		m[c] = i
	}
	return m
}()

// CompareExceptions is the one order of exceptions, in the result, the
// workbook and the summary: by code in the order of Codes (unknown codes after
// the known ones, by their text), then by order id and transaction id as
// numbers (a shorter id first), then by source. It returns a negative
// number when a comes first, a positive one when b does, 0 when the two
// tie.
func CompareExceptions(a, b *Exception) int {
	ra, known := rank[a.Code]
	if !known {
		ra = len(codes)
	}
	rb, ok := rank[b.Code]
	if !ok {
		rb = len(codes)
	}
	if ra != rb {
		return ra - rb
	}
	if !known { // two unknown codes
		if c := strings.Compare(string(a.Code), string(b.Code)); c != 0 {
			return c
		}
	}
	if c := CompareIDs(a.OrderID, b.OrderID); c != 0 {
		return c
	}
	if c := CompareIDs(a.TransactionID, b.TransactionID); c != 0 {
		return c
	}
	return strings.Compare(a.Source, b.Source)
}

// SortExceptions puts es in the order of CompareExceptions; exceptions that
// tie keep their order.
func SortExceptions(es []Exception) {
	slices.SortStableFunc(es, func(a, b Exception) int { return CompareExceptions(&a, &b) })
}

// CompareIDs orders ids as numbers: a shorter id first, ids of one length
// by their text (which, for digit strings, is their numeric order).
func CompareIDs(a, b string) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	return strings.Compare(a, b)
}
