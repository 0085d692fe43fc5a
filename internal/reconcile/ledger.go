package reconcile

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/crossborder/reconcile/internal/ingest"
)

// Inputs names the exports of a run. Each entry is a file, a directory
// (every CSV and XLSX file inside) or a glob.
type Inputs struct {
	Orders    []string
	Payments  []string
	Clearance []string
}

// src is where a record came from, compactly: an index into the kind's file
// list and the line.
type src struct {
	file uint32
	line uint32
}

// Order flags.
const (
	orderUnpaid    uint8 = 1 << iota // the status says unpaid or closed
	orderDuplicate                   // the id appears again with different amounts or customs
	orderRepeat                      // a later copy of an order read earlier: merged into it, skipped
	orderClosed                      // the status says closed or cancelled (with orderUnpaid)
)

// order is an order as the checks need it: 64 bytes, no pointers.
type order struct {
	key          key
	orderFee     int64 // fen
	productFee   int64 // fen
	transportFee int64 // fen
	paidAt       int64 // unix seconds; 0 when not paid
	src          src
	customs      uint32 // index into ledger.customs; 0 when none
	flags        uint8
}

// payment is a payment row as the checks need it: 64 bytes, no pointers.
type payment struct {
	order key
	tx    key
	// amount is in fen: the amount paid for a successful payment, the
	// amount refunded (0 when the export does not say) for a refund or a
	// revocation.
	amount int64
	paidAt int64 // unix seconds; 0 when absent
	src    src
	next   int32 // the next payment of the same order, in file order, or -1
	status ingest.PaymentStatus
	orphan bool // no order in the exports has its order id
}

// orderExtra holds what few orders have: buyer columns, the copies of a
// conflicting duplicate.
type orderExtra struct {
	buyerName  string
	buyerIDNo  string
	duplicates []order // every copy of a conflicting duplicate, the first included
}

// Ledger is everything read from the exports, in compact form. It is
// built by load and read by the checks and the engine. Orders and payments
// are numbered in the order they were read.
type Ledger struct {
	ids ids

	orderFiles   []string
	orders       chunked[order]
	orderExtra   map[int32]*orderExtra
	customs      []string          // interned customs codes; customs[0] is ""
	customsIndex map[string]uint32 // customs code → index into customs
	unpaid       map[string]uint8  // status → statusFlags(status), cached
	invalidOrder map[key]bool      // order ids seen on rows that could not be read

	paymentFiles []string
	payments     chunked[payment]
	firstPayment []int32 // per order: its first payment in file order, or -1
	// fees holds each payment row's 手续费 (10⁻⁵ yuan; 0 when none), beside
	// payments: a parallel sequence keeps the payment record at 64 bytes.
	fees chunked[int64]
	// settles holds what each payment row settles in CNY before fees:
	// 应结订单金额 of a payment, −退款金额 of a refund (a plain export's
	// amounts when it has no such columns); 0 for a Global row.
	settles   chunked[int64]
	global    map[int32]globalRow // the Global statements' rows
	refundIDs map[int32]string    // 微信退款单号 of the refund rows that have one
	bills     []Bill              // every section of every WeChat bill read

	clearanceFiles []string
	clearance      []ingest.Clearance

	inputs     []Input
	notes      []Note
	exceptions []Exception // INPUT_INVALID for each unreadable row
	// feeErrors are the SERVICE_FEE_MISMATCH of every bill row read,
	// whatever its time: Check keeps those of its window, each once.
	feeErrors []Exception
	rowErrors int
	repeats   int // orders merged into an earlier copy
}

// Load reads every input, one goroutine per kind. A file that cannot be
// read at all (missing, not CSV/XLSX, no required column) is an error; a
// row that cannot be read becomes an INPUT_INVALID exception.
func Load(ctx context.Context, in Inputs) (*Ledger, error) { return LoadWatched(ctx, in, nil) }

// LoadWatched is Load, reporting how far it has got in r (nil for none),
// for a progress bar.
func LoadWatched(ctx context.Context, in Inputs, r *Reading) (*Ledger, error) {
	l := newLedger()
	if r == nil {
		r = &Reading{}
	}
	orders, payments, clearance := kindLoad{reading: r}, kindLoad{reading: r}, kindLoad{reading: r}
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return orders.run(ctx, ingest.Orders, in.Orders, l.loadOrders) })
	g.Go(func() error { return payments.run(ctx, ingest.Payments, in.Payments, l.loadPayments) })
	g.Go(func() error { return clearance.run(ctx, ingest.Clearances, in.Clearance, l.loadClearance) })
	if err := g.Wait(); err != nil {
		return nil, err
	}
	l.bills = payments.bills
	for _, k := range []*kindLoad{&orders, &payments, &clearance} {
		l.notes = append(l.notes, k.notes...)
		l.inputs = append(l.inputs, k.inputs...)
		l.exceptions = append(l.exceptions, k.exceptions...)
		l.feeErrors = append(l.feeErrors, k.feeErrors...)
		l.rowErrors += k.rowErrors
	}
	l.orderFiles, l.paymentFiles, l.clearanceFiles = orders.files, payments.files, clearance.files
	l.index()
	return l, nil
}

// kindLoad is the reading of one kind of export; each runs in its own
// goroutine, so it keeps its own files, inputs and exceptions.
type kindLoad struct {
	// files names the source of each file index of src: a file, or
	// "file[sheet]" for a sheet of a workbook of which several are read.
	files      []string
	index      map[string]uint32 // files → index
	last       ingest.Source     // the source of the last record, and its index
	lastIndex  uint32
	rowErrors  int    // rows that could not be read (their exceptions are among exceptions)
	current    string // the file being read, for a panic's message
	inputs     []Input
	exceptions []Exception
	feeErrors  []Exception
	notes      []Note
	bills      []Bill
	reading    *Reading
	// reading is how far this kind has got: the bytes of the files read
	// whole, and the file being read.
	doneBytes int64
	mu        sync.Mutex
	cur       *ingest.File
	curSize   int64
	rows      atomic.Int64 // records read, each kind its own: no cache line shared
}

// rowError records a row that could not be read: an INPUT_INVALID.
func (k *kindLoad) rowError(e *ingest.RowError) {
	k.exceptions = append(k.exceptions, rowException(e))
	k.rowErrors++
}

// file returns the file index of a record from s, adding the file (or the
// sheet) on first sight. Records come file by file and sheet by sheet, so
// the last one's answer nearly always serves.
func (k *kindLoad) file(s ingest.Source) uint32 {
	k.rows.Add(1)
	if s.File == k.last.File && s.Sheet == k.last.Sheet && len(k.files) > 0 {
		return k.lastIndex
	}
	name := s.File
	if s.Sheet != "" {
		name = s.File + "[" + s.Sheet + "]"
	}
	i, ok := k.index[name]
	if !ok {
		if k.index == nil {
			k.index = make(map[string]uint32)
		}
		i = uint32(len(k.files))
		k.files = append(k.files, name)
		k.index[name] = i
	}
	k.last, k.lastIndex = ingest.Source{File: s.File, Sheet: s.Sheet}, i
	return i
}

func (k *kindLoad) run(ctx context.Context, kind ingest.Kind, patterns []string, read func(*ingest.File, *kindLoad)) (err error) {
	defer func() {
		if perr := Recovered(recover()); perr != nil {
			name := "?"
			if k.current != "" {
				name = k.current
			}
			err = fmt.Errorf("reading %s: %w", name, perr)
		}
	}()
	if len(patterns) == 0 {
		return nil
	}
	paths, skipped, err := ingest.Expand(patterns)
	for _, s := range skipped {
		k.notes = append(k.notes, Note{Source: s.Path, Text: "not read: " + s.Why})
	}
	if err != nil {
		return fmt.Errorf("%s: %w", kind, err)
	}
	sizes := make([]int64, len(paths))
	for i, p := range paths {
		if fi, err := os.Stat(p); err == nil {
			sizes[i] = fi.Size()
		}
	}
	k.reading.add(k, sizes)
	for i, p := range paths {
		if err := ctx.Err(); err != nil {
			return err
		}
		f, err := ingest.Open(p, kind)
		if err != nil {
			return err
		}
		k.mu.Lock()
		k.cur, k.curSize = f, sizes[i]
		k.mu.Unlock()
		k.current = p
		read(f, k)
		err = f.Err()
		info := f.Info()
		k.mu.Lock()
		k.cur, k.doneBytes = nil, k.doneBytes+sizes[i]
		k.mu.Unlock()
		f.Close()
		if err != nil {
			return err
		}
		in := Input{
			Kind: kind.String(), Path: p, Format: info.Format, Encoding: info.Encoding,
			Variant: info.Variant, Records: info.Records, Errors: info.Errors,
		}
		k.addBills(p, info.Sections)
		if info.Records == 0 && info.Errors == 0 {
			// Every data row yields a record or a row error: this file
			// has its header and nothing below it. A day without refunds
			// can be that; a wrong or truncated export too.
			k.notes = append(k.notes, Note{Source: p, Text: "no rows below the header: nothing was read from this file (check that it is the right export of the day)"})
		}
		for _, sh := range info.Sheets {
			if sh.Skipped != "" {
				in.SkippedSheets = append(in.SkippedSheets, sh.Name+": "+sh.Skipped)
				k.notes = append(k.notes, Note{Source: p + "[" + sh.Name + "]", Text: "sheet not read: " + sh.Skipped})
			}
		}
		k.inputs = append(k.inputs, in)
	}
	return nil
}

// rowReasons say in Chinese what kind of problem made a row unreadable.
var rowReasons = map[ingest.Reason]string{
	ingest.ReasonMissing:      "缺少必填的值",
	ingest.ReasonAmount:       "金额格式不对（应为元，最多两位小数，不能为负）",
	ingest.ReasonTime:         "时间格式不对（应为 2026-11-20 19:48:33 这样的时间）",
	ingest.ReasonID:           "编号不对（应为数字）",
	ingest.ReasonIDMangled:    "编号被 Excel 转成了数字或科学计数法，末几位已丢失、无法恢复：请把这一列设为“文本”后重新导出",
	ingest.ReasonStatus:       "交易状态无法识别",
	ingest.ReasonEncoding:     "含有无法识别的字符：请确认文件编码（UTF-8 或 GBK）后重新导出",
	ingest.ReasonFields:       "这一行的列数与表头不一致：可能有未加引号的逗号或换行，请修正或重新导出",
	ingest.ReasonFee:          "手续费格式不对（应为元，最多五位小数；退款行为负数）",
	ingest.ReasonRate:         "费率格式不对（应为百分数，如 0.60%）",
	ingest.ReasonCurrency:     "币种不是人民币（CNY）：本程序只核对和申报人民币支付",
	ingest.ReasonAfterSummary: "账单汇总行之后还有数据行，且前面没有新的表头：两份账单拼在一起时，每份都要保留自己的表头；请补上表头或删除这一行",
	ingest.ReasonOther:        "这一行无法读取",
}

// rowException turns a row that could not be read into INPUT_INVALID: a
// Chinese sentence for the finance team, then the reader's exact detail.
func rowException(e *ingest.RowError) Exception {
	msg := rowReasons[e.Reason]
	if msg == "" {
		msg = rowReasons[ingest.ReasonOther]
	}
	if e.Column != "" {
		msg = "列「" + e.Column + "」：" + msg
	}
	return Exception{
		Code: InputInvalid, OrderID: e.OrderID, TransactionID: e.TransactionID,
		Message: msg + "。详情：" + e.Message, Source: e.Source.String(),
	}
}

func newLedger() *Ledger {
	return &Ledger{
		orderExtra:   make(map[int32]*orderExtra),
		customs:      []string{""},
		customsIndex: map[string]uint32{"": 0},
		unpaid:       map[string]uint8{},
		invalidOrder: make(map[key]bool),
	}
}

func (l *Ledger) loadOrders(f *ingest.File, k *kindLoad) {
	for o, rerr := range f.Orders() {
		if rerr != nil {
			k.rowError(rerr)
			if rerr.OrderID != "" {
				l.invalidOrder[l.ids.key(rerr.OrderID)] = true
			}
			continue
		}
		l.addOrderRecord(&o, k.file(o.Source))
	}
}

// addOrderRecord adds one order read from file.
func (l *Ledger) addOrderRecord(o *ingest.Order, file uint32) {
	c, ok := l.customsIndex[o.Customs]
	if !ok {
		c = uint32(len(l.customs))
		l.customs = append(l.customs, o.Customs)
		l.customsIndex[o.Customs] = c
	}
	rec := order{
		key: l.ids.key(o.OrderID), orderFee: o.OrderFee, productFee: o.ProductFee, transportFee: o.TransportFee,
		src: src{file, uint32(o.Source.Line)}, customs: c,
	}
	if !o.PaidAt.IsZero() {
		rec.paidAt = o.PaidAt.Unix()
	}
	if o.Status != "" {
		u, ok := l.unpaid[o.Status]
		if !ok {
			u = statusFlags(o.Status)
			l.unpaid[o.Status] = u
		}
		rec.flags |= u
	}
	l.addOrder(rec, o.BuyerName, o.BuyerIDNo)
}

// statusFlags returns orderUnpaid when an order status means the buyer
// has not paid or the order is closed (such orders are neither declared
// nor exceptions), with orderClosed when it is closed or cancelled.
func statusFlags(s string) uint8 {
	for _, m := range []string{"交易关闭", "已关闭", "已取消", "TRADE_CLOSED"} {
		if strings.Contains(s, m) {
			return orderUnpaid | orderClosed
		}
	}
	for _, m := range []string{"等待买家付款", "WAIT_BUYER_PAY", "TRADE_NO_CREATE_PAY"} {
		if strings.Contains(s, m) {
			return orderUnpaid
		}
	}
	return 0
}

// addOrder adds an order; index merges the copies of one id later.
func (l *Ledger) addOrder(rec order, buyerName, buyerIDNo string) {
	i := l.orders.add(rec)
	if buyerName != "" || buyerIDNo != "" {
		l.orderExtra[i] = &orderExtra{buyerName: buyerName, buyerIDNo: buyerIDNo}
	}
}

func (l *Ledger) extra(i int32) *orderExtra {
	e := l.orderExtra[i]
	if e == nil {
		e = &orderExtra{}
		l.orderExtra[i] = e
	}
	return e
}

// describeOrder says where an order came from and what it says, for the
// message of ORDER_DUPLICATE.
func (l *Ledger) describeOrder(o order) string {
	s := fmt.Sprintf("%s 货款%s 邮费%s 总金额%s", shortSource(l.orderSource(o.src)), Yuan(o.productFee), Yuan(o.transportFee), Yuan(o.orderFee))
	if o.customs != 0 {
		s += " 海关" + l.customs[o.customs]
	}
	return s
}

func (l *Ledger) loadPayments(f *ingest.File, k *kindLoad) {
	for p, rerr := range f.Payments() {
		if rerr != nil {
			k.rowError(rerr)
			continue
		}
		l.addPaymentRecord(&p, k.file(p.Source))
		if e := serviceFeeException(&p); e != nil {
			k.feeErrors = append(k.feeErrors, *e)
		}
	}
}

// addPaymentRecord adds one payment row read from file.
func (l *Ledger) addPaymentRecord(p *ingest.Payment, file uint32) {
	rec := payment{
		tx: l.ids.key(p.TransactionID), amount: p.Amount,
		src: src{file, uint32(p.Source.Line)}, next: -1, status: p.Status,
	}
	if p.Status != ingest.PaymentSuccess {
		rec.amount = p.RefundAmount
	}
	if p.OrderID != "" {
		rec.order = l.ids.key(p.OrderID)
	}
	if !p.PaidAt.IsZero() {
		rec.paidAt = p.PaidAt.Unix()
	}
	i := l.payments.add(rec)
	l.fees.add(p.Bill.Fee)
	if c := p.Bill.SettleCurrency; c != "" {
		if l.global == nil {
			l.global = make(map[int32]globalRow)
		}
		settle := p.Bill.Settlement
		if p.Status != ingest.PaymentSuccess {
			settle = p.Bill.Refund // 退款应结订单金额
		}
		l.global[i] = globalRow{settle: settle, currency: c}
		l.settles.add(0)
	} else {
		l.settles.add(settlesCNY(p))
	}
	if id := p.Bill.RefundID; id != "" && id != "0" && p.Status != ingest.PaymentSuccess {
		if l.refundIDs == nil {
			l.refundIDs = make(map[int32]string)
		}
		l.refundIDs[i] = id
	}
}

func (l *Ledger) loadClearance(f *ingest.File, k *kindLoad) {
	for c, rerr := range f.Clearances() {
		if rerr != nil {
			k.rowError(rerr)
			continue
		}
		l.clearance = append(l.clearance, c)
	}
}

// index merges the copies of each order id and links every payment to
// its order, by sorting both by id and walking them side by side (a
// million-entry hash map costs a cache miss per access; two radix sorts
// and a merge are several times faster and need no map).
//
// Copies of one order id with the same amounts and customs are merged
// into the first one read (it takes a payment time, status, customs code or
// buyer columns it lacked from a later copy) and the later ones are marked
// orderRepeat; copies that differ mark the first one orderDuplicate and keep
// every copy for the message. A payment whose order id is in none of the
// orders is marked orphan. A refund row without an order id is tied to its
// order through its transaction id, as WeChat ties a refund to the payment
// it refunds.
func (l *Ledger) index() {
	var txOrder map[key]key
	for i := 0; i < l.payments.len(); i++ {
		p := l.payments.at(int32(i))
		if p.order != (key{}) {
			continue
		}
		if txOrder == nil {
			txOrder = make(map[key]key)
			for j := 0; j < l.payments.len(); j++ {
				if q := l.payments.at(int32(j)); q.order != (key{}) {
					txOrder[q.tx] = q.order
				}
			}
		}
		p.order = txOrder[p.tx]
	}

	orderKey := func(i int32) key { return l.orders.at(i).key }
	payKey := func(i int32) key { return l.payments.at(i).order }
	var orders, payments sortedIDs
	done := make(chan struct{})
	go func() {
		defer close(done)
		orders = sortIDs(l.orders.len(), orderKey)
	}()
	payments = sortIDs(l.payments.len(), payKey)
	<-done
	orderHi := func(i int32) uint64 { return l.orders.at(i).key.hi }
	payHi := func(i int32) uint64 { return l.payments.at(i).order.hi }
	n := len(orders.idx)

	// Merge the copies of each order id into its first copy.
	for a := 0; a < n; {
		b := a + 1
		for b < n && compareEntries(&orders, b, orderHi, &orders, a, orderHi) == 0 {
			b++
		}
		first, _ := orders.at(a)
		for c := a + 1; c < b; c++ {
			later, _ := orders.at(c)
			l.merge(first, later)
		}
		a = b
	}

	// Link each payment to the first copy of its order, keeping file order
	// (the sort is stable, so a payment list comes out in file order).
	l.firstPayment = make([]int32, l.orders.len())
	for i := range l.firstPayment {
		l.firstPayment[i] = -1
	}
	cur, tail := int32(-1), int32(-1) // the order being linked and its last payment
	o := 0
	for j := range payments.idx {
		for o < n && compareEntries(&orders, o, orderHi, &payments, j, payHi) < 0 {
			o++
		}
		pi, _ := payments.at(j)
		p := l.payments.at(pi)
		if o == n || compareEntries(&orders, o, orderHi, &payments, j, payHi) != 0 {
			p.orphan = true
			continue
		}
		if oi, _ := orders.at(o); oi != cur {
			cur = oi
			l.firstPayment[oi] = pi
		} else {
			l.payments.at(tail).next = pi
		}
		tail = pi
	}
}

// merge folds the later copy j of an order into its first copy i.
func (l *Ledger) merge(i, j int32) {
	first, rec := l.orders.at(i), l.orders.at(j)
	rec.flags |= orderRepeat
	l.repeats++
	sameCustoms := first.customs == rec.customs || first.customs == 0 || rec.customs == 0
	if first.orderFee != rec.orderFee || first.productFee != rec.productFee || first.transportFee != rec.transportFee || !sameCustoms {
		if first.flags&orderDuplicate == 0 {
			l.extra(i).duplicates = append(l.extra(i).duplicates, *first)
		}
		first.flags |= orderDuplicate
		l.extra(i).duplicates = append(l.extra(i).duplicates, *rec)
		return
	}
	// An identical repeat: fill in what the first copy lacked. A copy
	// exported after the buyer paid carries the payment time and status.
	if first.customs == 0 {
		first.customs = rec.customs
	}
	if first.paidAt == 0 && rec.paidAt != 0 {
		first.paidAt = rec.paidAt
		first.flags = first.flags&^(orderUnpaid|orderClosed) | rec.flags&(orderUnpaid|orderClosed)
	}
	if x := l.orderExtra[j]; x != nil && (x.buyerName != "" || x.buyerIDNo != "") {
		if e := l.orderExtra[i]; e == nil || e.buyerName == "" && e.buyerIDNo == "" {
			l.extra(i).buyerName, l.extra(i).buyerIDNo = x.buyerName, x.buyerIDNo
		}
	}
}

// Inputs returns the files read, in the order of their kind (orders,
// payments, clearance) and, within a kind, the order they were read in.
func (l *Ledger) Inputs() []Input { return l.inputs }

// Notes returns what the reading left out and a person should know: files
// and sheets not read, and why.
func (l *Ledger) Notes() []Note { return l.notes }

func (l *Ledger) orderSource(s src) string   { return sourceString(l.orderFiles, s) }
func (l *Ledger) paymentSource(s src) string { return sourceString(l.paymentFiles, s) }
func (l *Ledger) orderID(o *order) string    { return l.ids.str(o.key) }
func (l *Ledger) customsOf(o *order) string  { return l.customs[o.customs] }
func (l *Ledger) txID(p *payment) string     { return l.ids.str(p.tx) }
func (l *Ledger) paymentOrderID(p *payment) string {
	if p.order == (key{}) {
		return ""
	}
	return l.ids.str(p.order)
}

// shortSource is a source with the file's base name, for messages: the
// exception's source column has the full path.
func shortSource(source string) string { return filepath.Base(source) }

func sourceString(files []string, s src) string {
	if int(s.file) >= len(files) {
		return "?:" + strconv.Itoa(int(s.line))
	}
	return files[s.file] + ":" + strconv.Itoa(int(s.line))
}

// Yuan formats fen as Yuan with two decimals and the ¥ sign, exactly:
// 123450 as "¥1234.50", -5 as "-¥0.05".
func Yuan(fen int64) string {
	s := ingest.FormatAmount(fen)
	if s[0] == '-' {
		return "-¥" + s[1:]
	}
	return "¥" + s
}

var ErrNoInputs = errors.New("no exports given: use --orders, --payments and --clearance")

// settlesCNY is what a CNY payment row settles before fees: a bill's
// 应结订单金额 (订单金额 less the 免充值券 WeChat does not pay out) or,
// for a refund, minus its 退款金额; a plain export's amount, or minus its
// refund, when it has no bill columns. A revocation settles nothing.
func settlesCNY(p *ingest.Payment) int64 {
	bill := p.Bill.Section > 0
	switch p.Status {
	case ingest.PaymentSuccess:
		if bill {
			return p.Bill.Settlement
		}
		return p.Amount
	case ingest.PaymentRefund:
		if bill {
			return -p.Bill.Refund
		}
		return -p.RefundAmount
	}
	return 0
}

// Reading is how far LoadWatched has got, for a progress bar: the bytes of
// the input files read (a workbook's by the share of its sheets read) and
// the records. It is safe to read while the files are read.
type Reading struct {
	mu    sync.Mutex
	kinds []*kindLoad
	total int64
}

func (r *Reading) add(k *kindLoad, sizes []int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.kinds = append(r.kinds, k)
	for _, s := range sizes {
		r.total += s
	}
}

// Progress returns the bytes read and to read (0 and 0 before the files
// are found), and the records read.
func (r *Reading) Progress() (done, total, records int64) {
	r.mu.Lock()
	kinds, total := r.kinds, r.total
	r.mu.Unlock()
	for _, k := range kinds {
		k.mu.Lock()
		done += k.doneBytes
		if k.cur != nil {
			done += int64(k.cur.Progress() * float64(k.curSize))
		}
		k.mu.Unlock()
		records += k.rows.Load()
	}
	return min(done, total), total, records
}
