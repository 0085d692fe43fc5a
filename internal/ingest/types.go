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
	Amount        int64 // fen
	Status        PaymentStatus
	RefundAmount  int64     // fen, 0 when none
	PaidAt        time.Time // zero when absent; else in cst.Zone
	Source        Source
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
	ReasonOther     Reason = "other"      // anything else (a damaged XLSX row)
)

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

// BillSummary is the summary section at the end of a WeChat trade bill,
// for cross-checking the rows read. Amounts are in fen; a total the bill
// does not have is 0.
type BillSummary struct {
	Trades          int64  // 总交易单数
	SettlementTotal int64  // 应结订单总金额 (总交易额 in older bills)
	RefundTotal     int64  // 退款总金额 (总退款金额 in older bills)
	OrderTotal      int64  // 订单总金额
	Source          Source // the line of the summary values
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

	// Summary is the WeChat bill's summary once the reader has reached it;
	// nil before, for other files, and when the summary cannot be read.
	// The reader does not compare it with the rows: that is the caller's
	// call.
	Summary *BillSummary
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
