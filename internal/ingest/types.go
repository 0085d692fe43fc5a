package ingest

import (
	"fmt"
	"strconv"
	"time"
)

// Kind is the kind of export a file holds.
type Kind int

// The kinds of export.
const (
	Orders     Kind = iota + 1 // Tmall order export
	Payments                   // WeChat Pay trade bill or a plain payments export
	Clearances                 // clearance results to report back to Tmall
)

// String returns "orders", "payments" or "clearance", the names ParseKind
// accepts.
func (k Kind) String() string {
	switch k {
	case Orders:
		return "orders"
	case Payments:
		return "payments"
	case Clearances:
		return "clearance"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// ParseKind returns the Kind named s: "orders", "payments" or "clearance".
func ParseKind(s string) (Kind, error) {
	switch s {
	case "orders":
		return Orders, nil
	case "payments":
		return Payments, nil
	case "clearance":
		return Clearances, nil
	}
	return 0, fmt.Errorf("unknown kind of export %q: want orders, payments or clearance", s)
}

// Source is where a record came from: the file as given to Open and the
// 1-based line of a CSV file (the physical line where the record starts, so
// that a quoted field spanning lines does not shift the count) or the row
// number of an XLSX sheet. Sheet names the sheet of an XLSX workbook of
// which more than one sheet is read; it is "" for a workbook read from one
// sheet, whose name Info.Sheet gives, and for CSV.
type Source struct {
	File  string
	Line  int
	Sheet string
}

// String returns "file:line", or "file[sheet]:line" when Sheet is set.
func (s Source) String() string {
	if s.Sheet != "" {
		return s.File + "[" + s.Sheet + "]:" + strconv.Itoa(s.Line)
	}
	return s.File + ":" + strconv.Itoa(s.Line)
}

// Order is one row of an order export. Amounts are in fen.
type Order struct {
	OrderID      string    // digits, validated
	ProductFee   int64     // fen
	TransportFee int64     // fen
	OrderFee     int64     // fen
	Customs      string    // "" when the export has none
	PaidAt       time.Time // zero when absent, empty or 0000-00-00 00:00:00 (not paid); else in cst.Zone
	Status       string    // as exported, trimmed ("" when no column)
	BuyerName    string    // "" when no column
	BuyerIDNo    string    // "" when no column (may be masked in exports, e.g. 3101**********1234)
	Source       Source
}

// PaymentStatus is the trade status of a payment row.
type PaymentStatus uint8

// The trade statuses the job knows. Any other status in an export is a row
// error.
const (
	PaymentSuccess PaymentStatus = iota + 1 // SUCCESS, 支付成功, or empty
	PaymentRefund                           // REFUND, 已退款, 转入退款
	PaymentRevoked                          // REVOKED, 已撤销
)

// String returns "SUCCESS", "REFUND" or "REVOKED".
func (s PaymentStatus) String() string {
	switch s {
	case PaymentSuccess:
		return "SUCCESS"
	case PaymentRefund:
		return "REFUND"
	case PaymentRevoked:
		return "REVOKED"
	}
	return "PaymentStatus(" + strconv.Itoa(int(s)) + ")"
}

// Payment is one row of a WeChat trade bill or a payments export. In a
// WeChat bill a refund is a row of its own with Status PaymentRefund and the
// TransactionID of the payment it refunds.
type Payment struct {
	TransactionID string
	OrderID       string
	Amount        int64 // fen: what the buyer paid, in CNY (用户支付金额 in a Global statement)
	Status        PaymentStatus
	RefundAmount  int64     // fen, 0 when none
	PaidAt        time.Time // zero when absent; else in cst.Zone
	Source        Source

	// Bill holds the figures of a WeChat bill's row; its Section is 0 for
	// an export that is no bill.
	Bill BillRow
}

// BillRow is what a WeChat bill's row says of money, beside the payment:
// the columns its summary adds up, the service fee and its rate. An amount
// the bill has no column for is 0. In a WeChat Pay Global statement
// Settlement and Fee are in SettleCurrency, the rest in CNY.
type BillRow struct {
	Section         int   // the bill section the row is in, 1-based; 0: no bill
	Settlement      int64 // 应结订单金额 (总金额 in older bills), in hundredths (fen)
	OrderAmount     int64 // 订单金额
	Refund          int64 // 退款金额
	VoucherRefund   int64 // 充值券退款金额
	RequestedRefund int64 // 申请退款金额
	// Fee is 手续费 in 10⁻⁵ of the currency unit, as the bill prints it
	// with five decimals; negative on a refund row: the fee returned.
	Fee int64
	// FeeRate is 费率 in millionths: 0.60% is 6000. HasFee is set when the
	// row has both a fee and a rate.
	FeeRate        int64
	HasFee         bool
	RefundID       string // 微信退款单号, "" when none
	PayCurrency    string // 用户支付币种 (Global), "" otherwise
	SettleCurrency string // 结算币种 (Global): HKD, USD…; "" for a CNY bill
}

// Clearance is one clearance event to report to Tmall. The reader refuses
// only what cannot be represented (a bad order id, a bad time, undecodable
// text); an empty idempotency key or an unknown status is left for the
// checks to turn into CALLBACK_INVALID.
type Clearance struct {
	OrderID              string    // digits, fits int64 (the callback sends it as a JSON number)
	Idempotent           string    // may be ""
	ClearanceStatus      int       // 1 or 2 normally; 0 when the cell is not an integer (StatusText keeps it)
	StatusText           string    // the cell as read
	ResultCode           string    // "" when none
	PortNo               string    // "" when none
	ClearanceTime        time.Time // zero when empty; else in cst.Zone
	CustomsPassNo        string
	CustomsReturnReceipt string
	Source               Source
}

// Reason is the kind of problem that made a row unreadable, for callers
// that explain it in their own words (the workbook explains it in Chinese).
type Reason string

// The reasons a row cannot be read.
const (
	ReasonMissing   Reason = "missing"    // a required value is empty
	ReasonAmount    Reason = "amount"     // not an amount in yuan with at most 2 decimals, or negative
	ReasonTime      Reason = "time"       // not a time in a known form
	ReasonID        Reason = "id"         // not an id: letters, too long, too large
	ReasonIDMangled Reason = "id-mangled" // an id Excel turned into a number and cut short
	ReasonStatus    Reason = "status"     // an unknown trade status
	ReasonEncoding  Reason = "encoding"   // bytes that are not text in the file's encoding
	ReasonFields    Reason = "fields"     // more or fewer fields than the header
	ReasonFee       Reason = "fee"        // not a service fee in yuan with at most 5 decimals
	ReasonRate      Reason = "rate"       // not a fee rate (a percentage such as 0.60%)
	ReasonCurrency  Reason = "currency"   // a payment or refund in another currency than CNY
	// ReasonAfterSummary: a row after a bill section's summary that no new
	// header opens.
	ReasonAfterSummary Reason = "after-summary"
	ReasonOther        Reason = "other" // anything else (a damaged XLSX row)
)

// Reasons returns every Reason, for callers that explain each.
func Reasons() []Reason {
	return []Reason{ReasonMissing, ReasonAmount, ReasonTime, ReasonID, ReasonIDMangled, ReasonStatus, ReasonEncoding, ReasonFields,
		ReasonFee, ReasonRate, ReasonCurrency, ReasonAfterSummary, ReasonOther}
}

// RowError is a row that could not be read. It never stops the reading.
type RowError struct {
	Reason        Reason
	Source        Source
	Column        string // the header as found in the file, or the canonical name when the column is missing; "" when the row as a whole is wrong
	Message       string // what was wrong and what was expected, for a finance user
	OrderID       string // best effort: the row's order id when it could be read, else ""
	TransactionID string // best effort, payments only
}

// Error returns "file:line: column C: message", or "file:line: message"
// when the error is not about one column.
func (e *RowError) Error() string {
	if e.Column == "" {
		return e.Source.String() + ": " + e.Message
	}
	return e.Source.String() + ": column " + e.Column + ": " + e.Message
}

// Column is a canonical column found in a file's header.
type Column struct {
	Canonical string // e.g. "order_id"
	Header    string // the header as found in the file, cleaned (e.g. "订单编号")
	Index     int    // 0-based position in the row
}

// BillSection is one section of a WeChat bill: a header, its rows, and the
// summary that closes it. Staff paste several days' bills into one file;
// each keeps its header and summary. Sums holds the sums of the section's
// readable rows, figure by figure; Summary what its summary line says, nil
// when the section ended without one (a truncated download).
type BillSection struct {
	Index         int    // 1-based, in the file
	Header        Source // the line of its header
	Variant       string // as Info.Variant, of this section's header
	Rows          int    // its data rows: records and row errors
	Errors        int    // its rows that could not be read
	Sums          BillFigures
	Summary       *BillFigures
	SummarySource Source // the line of the summary values
	// SummaryErr says why the summary line could not be read, when it
	// could not; Summary is then nil.
	SummaryErr string
	// SettleCurrency is the settlement currency of a Global statement's
	// section ("" for CNY); "mixed" when its rows name several.
	SettleCurrency string
}

// BillFigures are the figures of a bill summary, or their sums over rows.
// Amounts are in hundredths of the currency unit (fen), Fee in 10⁻⁵ of it.
// Has tells which figures a summary names (older bills name fewer); sums
// have them all, Trades being the rows, readable or not.
type BillFigures struct {
	Trades          int64 // 总交易单数
	Settlement      int64 // 应结订单总金额 (总交易额 in older bills)
	Refund          int64 // 退款总金额 (总退款金额)
	VoucherRefund   int64 // 充值券退款总金额 (总代金券或立减优惠退款金额)
	Fee             int64 // 手续费总金额
	OrderAmount     int64 // 订单总金额
	RequestedRefund int64 // 申请退款总金额
	Has             Figure
}

// Figure names a figure of BillFigures, as a bit of Has.
type Figure uint8

// The figures of a bill summary.
const (
	FigTrades Figure = 1 << iota
	FigSettlement
	FigRefund
	FigVoucherRefund
	FigFee
	FigOrderAmount
	FigRequestedRefund

	FigAll = FigTrades | FigSettlement | FigRefund | FigVoucherRefund | FigFee | FigOrderAmount | FigRequestedRefund
)

// Figures lists every figure, in the order a bill's summary prints them.
func Figures() []Figure {
	return []Figure{FigTrades, FigSettlement, FigRefund, FigVoucherRefund, FigFee, FigOrderAmount, FigRequestedRefund}
}

// Label returns the figure's name in a bill's summary: 总交易单数, ….
func (g Figure) Label() string {
	switch g {
	case FigTrades:
		return "总交易单数"
	case FigSettlement:
		return "应结订单总金额"
	case FigRefund:
		return "退款总金额"
	case FigVoucherRefund:
		return "充值券退款总金额"
	case FigFee:
		return "手续费总金额"
	case FigOrderAmount:
		return "订单总金额"
	case FigRequestedRefund:
		return "申请退款总金额"
	}
	return "Figure(" + strconv.Itoa(int(g)) + ")"
}

// Get returns figure g of f.
func (f *BillFigures) Get(g Figure) int64 {
	switch g {
	case FigTrades:
		return f.Trades
	case FigSettlement:
		return f.Settlement
	case FigRefund:
		return f.Refund
	case FigVoucherRefund:
		return f.VoucherRefund
	case FigFee:
		return f.Fee
	case FigOrderAmount:
		return f.OrderAmount
	case FigRequestedRefund:
		return f.RequestedRefund
	}
	return 0
}

// add adds a readable row's figures.
func (f *BillFigures) add(r *BillRow) {
	f.Settlement += r.Settlement
	f.Refund += r.Refund
	f.VoucherRefund += r.VoucherRefund
	f.Fee += r.Fee
	f.OrderAmount += r.OrderAmount
	f.RequestedRefund += r.RequestedRefund
}

// Info describes an open file and what has been read from it so far.
type Info struct {
	Path     string
	Kind     Kind
	Format   string   // "csv" or "xlsx"
	Encoding string   // "utf-8", "utf-8-bom" or "gb18030" for CSV ("utf-8" too while a file has been ASCII so far); "" for XLSX
	Sheet    string   // XLSX only: the sheet being read (the first one read, after Open)
	Variant  string   // "tmall", "wechat-all", "wechat-success", "wechat-refund" or "plain"
	Columns  []Column // the canonical columns found, in canonical order (for XLSX, of Sheet)

	// Sheets lists, for an XLSX, the sheets Open looked at, in workbook
	// order: every sheet, or only the one WithSheet names. Those whose
	// header has the kind's required columns are read, one after the
	// other; the others are skipped and say why.
	Sheets  []Sheet
	Records int // records yielded so far
	Errors  int // row errors yielded so far

	// Sections are the sections of a WeChat bill read so far, in order:
	// one per header, each with its rows' sums and its summary. The reader
	// does not compare them: that is the caller's call. None for other
	// files.
	Sections []BillSection
}

// Sheet is a sheet of an XLSX workbook as Open found it.
type Sheet struct {
	Name    string
	Variant string   // as Info.Variant, for a sheet that is read
	Columns []Column // as Info.Columns, for a sheet that is read
	// Skipped is why the sheet is not read, "" when it is: its header
	// lacks a required column (the message names them and the headers
	// found), it has no data, or it is a chart sheet.
	Skipped string
}

// A FigureDiff is a figure on which a bill section's summary and its rows
// disagree: what the summary says, and what its rows add up to.
type FigureDiff struct {
	Figure        Figure
	Summary, Rows int64
}

// Differences returns the figures the section's summary names on which it
// disagrees with the section's rows, in the summary's order: 总交易单数
// against the rows (readable or not), each amount against the sum of its
// column over the readable rows. It is nil when the section ties out, and
// when it has no summary (see TiesOut).
func (s *BillSection) Differences() []FigureDiff {
	if s.Summary == nil {
		return nil
	}
	rows := s.Sums
	var out []FigureDiff
	for _, g := range Figures() {
		if s.Summary.Has&g == 0 {
			continue
		}
		if a, b := s.Summary.Get(g), rows.Get(g); a != b {
			out = append(out, FigureDiff{Figure: g, Summary: a, Rows: b})
		}
	}
	return out
}

// TiesOut reports whether the section has a readable summary that agrees
// with its rows.
func (s *BillSection) TiesOut() bool { return s.Summary != nil && len(s.Differences()) == 0 }
