package gen

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"golang.org/x/sync/errgroup"
)

// Manifest describes what Write wrote and is the correctness oracle: a dry
// run of the window Day over Files (with --customs DefaultCustoms when it
// is not empty) must report exactly these counts, this money and these
// bill sections, and fail with ErrBillMismatch exactly when Exceptions has
// a BILL_MISMATCH.
type Manifest struct {
	Day            string  `json:"day"` // YYYY-MM-DD: the run's window
	Seed           uint64  `json:"seed"`
	GBK            bool    `json:"gbk"`
	DefaultCustoms string  `json:"default_customs"` // the --customs the run needs; "" for none
	Files          FileSet `json:"files"`
	Bytes          int64   `json:"bytes"` // the size of the files, together
	Rows           Rows    `json:"rows"`  // data rows written (headers and bill summaries excluded)
	// Injected is the number of slots (clearance rows for
	// CallbackInvalid) given each anomaly; every anomaly is present.
	Injected map[Anomaly]int `json:"injected"`
	// FeeRate is the 费率 of every bill row, in basis points (60: 0.60%).
	FeeRate int `json:"fee_rate_bp"`
	// Global is the settlement currency of the Global statements written
	// in place of the ALL bills; "" for those.
	Global string `json:"global,omitempty"`
	// Bills are the sections of the bills, in Files.Payments order and
	// within each file in order: where each is, its rows, its summary's
	// figures, and whether the job must find that it ties out.
	Bills []BillTotals `json:"bills"`

	// What the dry run must report.
	Exceptions map[string]int `json:"exceptions"` // per exception code; every code of Codes, zeros included
	Money      Money          `json:"money"`      // the money of the window
	Eligible   int            `json:"eligible"`   // orders that pass every check
	// HeldBack is what a run that declares (not a dry run) holds back:
	// every eligible order when a bill does not tie out (a BILL_MISMATCH),
	// else none. A dry run of such a night fails with batch's
	// ErrBillMismatch (exit status 1).
	HeldBack       int `json:"held_back"`
	Pending        int `json:"pending"`          // valid callbacks in the window
	OrdersInWindow int `json:"orders_in_window"` // paid orders whose payment time is on Day
	OrdersUnpaid   int `json:"orders_unpaid"`    // unpaid or closed orders
	OrdersRead     int `json:"orders_read"`      // distinct orders read (repeats merged, invalid rows not counted)
	PaymentsRead   int `json:"payments_read"`
	ClearanceRead  int `json:"clearance_read"`
	RowsInvalid    int `json:"rows_invalid"` // rows the readers refuse (INPUT_INVALID)
}

// FileSet lists the files written, per kind, in the order a run should
// read them.
type FileSet struct {
	Orders    []string `json:"orders"`
	Payments  []string `json:"payments"`
	Clearance []string `json:"clearance"`
}

// Rows counts the data rows written per kind.
type Rows struct {
	Orders    int `json:"orders"`
	Payments  int `json:"payments"`
	Clearance int `json:"clearance"`
}

// ManifestName is the name of the manifest Write leaves in its directory.
const ManifestName = "manifest.json"

// output is a file being written through a 1 MiB buffer. Write errors are
// sticky in bufio.Writer and surface at close.
type output struct {
	path string
	f    *os.File
	w    *bufio.Writer
	rows int
}

func create(path string) (*output, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	return &output{path: path, f: f, w: bufio.NewWriterSize(f, 1<<20)}, nil
}

func (o *output) close() error {
	if o == nil {
		return nil
	}
	err := o.w.Flush()
	if cerr := o.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", o.path, err)
	}
	return nil
}

// tally adds up the outcomes of the slots.
type tally struct {
	ordersRead, inWindow, unpaid, eligible, rowsInvalid int
	exceptions                                          map[string]int
	orders                                              Amount // the orders of the window
}

func (t *tally) add(o outcome) {
	t.ordersRead += o.ordersRead
	t.inWindow += o.inWindow
	if o.inWindow > 0 {
		t.orders.add(o.orderFen)
	}
	t.unpaid += o.unpaid
	t.eligible += o.eligible
	t.rowsInvalid += o.rowsInvalid
	for _, c := range o.exceptions {
		if c != "" {
			t.exceptions[c]++
		}
	}
}

// Write writes the exports of s into dir: dir/orders (the Tmall export of
// the night, and a second export when an anomaly needs one), dir/payments
// (the day's WeChat bill, and the next day's with NextDayBill, both in one
// file with PasteBills; Global statements with Global) and
// dir/clearance (when there are clearance rows), then dir/manifest.json.
// The files are named as the tools name them, with the date, and sort in
// the order they are to be read, so that a run can take the directories.
// Files listed by an earlier manifest in dir that this Write does not
// write are removed; nothing else is touched. The three writers run
// concurrently.
func Write(dir string, s Spec) (*Manifest, error) {
	p, err := newPlan(s)
	if err != nil {
		return nil, err
	}
	s = p.spec
	date := s.Day.String()
	compact := string(p.days[1].compact[:])
	m := &Manifest{Day: date, Seed: s.Seed, GBK: s.GBK, Injected: map[Anomaly]int{}, Exceptions: map[string]int{}}
	if s.Customs == "" {
		m.DefaultCustoms = DefaultCustoms
	}
	for _, a := range anomalies {
		m.Injected[a] = p.counts[a]
	}
	ext := ".csv"
	if s.XLSX {
		ext = ".xlsx"
	}
	prefix := "tmall_orders_"
	if s.XLSX {
		prefix = "qianniu_orders_"
	}
	m.Files.Orders = []string{filepath.Join(dir, "orders", prefix+compact+ext)}
	if p.counts[OrderDuplicate]+p.counts[IdenticalRepeat]+p.counts[PaidLater] > 0 {
		m.Files.Orders = append(m.Files.Orders, filepath.Join(dir, "orders", prefix+compact+"_2"+ext))
	}
	lay := p.billLayout(filepath.Join(dir, "payments"))
	m.Files.Payments = lay.files
	m.FeeRate, m.Global = s.FeeRate, s.Global
	invalidCallbacks := p.counts[CallbackInvalid]
	if s.Clearance+invalidCallbacks > 0 {
		m.Files.Clearance = []string{filepath.Join(dir, "clearance", "clearance_results_"+compact+".csv")}
	}
	if err := removeStale(dir, m); err != nil {
		return nil, err
	}
	for _, f := range slices.Concat(m.Files.Orders, m.Files.Payments, m.Files.Clearance) {
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			return nil, err
		}
	}

	eol := "\r\n"
	if s.GBK {
		eol = "\n"
	}
	t := newTexts(s.GBK, s.Customs, eol)
	tal := &tally{exceptions: m.Exceptions}
	var mt moneyTally
	var g errgroup.Group
	g.Go(func() error {
		if s.XLSX {
			rows, err := p.writeXLSX(m.Files.Orders, tal)
			m.Rows.Orders = rows
			return err
		}
		outs, err := createAll(m.Files.Orders)
		if err != nil {
			return err
		}
		var second *output
		if len(outs) > 1 {
			second = outs[1]
		}
		p.writeTmall(outs[0], second, t, tal)
		for _, o := range outs {
			m.Rows.Orders += o.rows
		}
		return closeAll(outs)
	})
	g.Go(func() error {
		outs, err := createAll(m.Files.Payments)
		if err != nil {
			return err
		}
		m.Bills = p.writeBills(lay, outs, t, &mt)
		for _, o := range outs {
			m.Rows.Payments += o.rows
		}
		return closeAll(outs)
	})
	g.Go(func() error {
		if len(m.Files.Clearance) == 0 {
			return nil
		}
		o, err := create(m.Files.Clearance[0])
		if err != nil {
			return err
		}
		p.writeClearance(o, invalidCallbacks)
		m.Rows.Clearance = o.rows
		return o.close()
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}

	for _, c := range Codes() {
		m.Exceptions[c] += 0
	}
	m.Exceptions[codeCallbackInvalid] += invalidCallbacks
	m.Money = mt.money(tal.orders, s.Global)
	for _, b := range m.Bills {
		// A Global statement has no summary, and needs none.
		if !b.TiesOut && s.Global == "" {
			m.Exceptions[codeBillMismatch]++
		}
	}
	if m.Exceptions[codeBillMismatch] > 0 {
		m.HeldBack = tal.eligible
	}
	m.Eligible, m.OrdersInWindow, m.OrdersUnpaid = tal.eligible, tal.inWindow, tal.unpaid
	m.OrdersRead, m.RowsInvalid = tal.ordersRead, tal.rowsInvalid
	m.Pending = s.Clearance
	m.PaymentsRead = m.Rows.Payments
	m.ClearanceRead = m.Rows.Clearance
	for _, f := range slices.Concat(m.Files.Orders, m.Files.Payments, m.Files.Clearance) {
		st, err := os.Stat(f)
		if err != nil {
			return nil, err
		}
		m.Bytes += st.Size()
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, ManifestName), append(b, '\n'), 0o644); err != nil {
		return nil, err
	}
	return m, nil
}

func createAll(paths []string) ([]*output, error) {
	var outs []*output
	for _, p := range paths {
		o, err := create(p)
		if err != nil {
			closeAll(outs)
			return nil, err
		}
		outs = append(outs, o)
	}
	return outs, nil
}

func closeAll(outs []*output) error {
	var errs []error
	for _, o := range outs {
		errs = append(errs, o.close())
	}
	return errors.Join(errs...)
}

// removeStale removes the files an earlier manifest in dir lists that m
// does not, so that a directory read whole holds this night only, and then
// the old manifest, so that a Write that fails leaves none. Only files of
// dir's orders, payments and clearance sub-directories are considered, by
// name, whatever paths the old manifest holds.
func removeStale(dir string, m *Manifest) error {
	manifest := filepath.Join(dir, ManifestName)
	b, err := os.ReadFile(manifest)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var old Manifest
	if json.Unmarshal(b, &old) != nil {
		return nil // not ours
	}
	keep := map[string]bool{}
	for _, f := range slices.Concat(m.Files.Orders, m.Files.Payments, m.Files.Clearance) {
		keep[filepath.Clean(f)] = true
	}
	for _, f := range slices.Concat(old.Files.Orders, old.Files.Payments, old.Files.Clearance) {
		sub, name := filepath.Base(filepath.Dir(f)), filepath.Base(f)
		if sub != "orders" && sub != "payments" && sub != "clearance" {
			continue
		}
		path := filepath.Join(dir, sub, name)
		if keep[filepath.Clean(path)] {
			continue
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return os.Remove(manifest)
}
