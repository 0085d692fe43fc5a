package report

import (
	"archive/zip"
	"bufio"
	"compress/flate"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/crossborder/reconcile/internal/outfile"
	"github.com/crossborder/reconcile/internal/reconcile"
	"github.com/xuri/excelize/v2"
	"golang.org/x/sync/errgroup"
)

// The sheets, in their order in the workbook.
const (
	sheetSummary      = "汇总"
	sheetMoney        = "资金核对"
	sheetExceptions   = "异常明细"
	sheetResolved     = "已解决"
	sheetDeclarations = "申报记录"
	sheetCallbacks    = "回传记录"
	sheetOrders       = "订单明细"
)

// Sheets returns the names of the workbook's sheets, in order.
func Sheets() []string {
	return []string{sheetSummary, sheetMoney, sheetExceptions, sheetResolved, sheetDeclarations, sheetCallbacks, sheetOrders}
}

// defaultPerm is the workbook's permission when Writer.Perm is 0.
const defaultPerm os.FileMode = 0o644

// Writer writes the exception workbook. The zero value is ready to use.
type Writer struct {
	// TmpDir is where the rows of the list sheets are written until the
	// package is saved; "" means os.TempDir(). The workbook's own
	// temporary file is always in the target's directory.
	TmpDir string
	// Perm is the permission of the written workbook, as modified by the
	// umask; 0 means 0644.
	Perm os.FileMode
	// Now returns the current time; nil means time.Now. It dates the
	// document properties and judges the birth dates of ID numbers found in
	// free text.
	Now func() time.Time
}

func (w *Writer) now() time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}

// Write writes the workbook of r to path atomically (see package
// outfile): it checks the path with CheckOverwrite, builds the workbook in
// a temporary file in path's directory, created with Perm as modified by
// the umask, checks the path again and puts the file in place. On any error, and when ctx is cancelled
// before the rename, the temporary file is removed and whatever was at path
// is left untouched; the error then wraps ctx.Err().
//
// The rows of the list sheets are written as XML to temporary files in
// TmpDir and spliced into the package as it is written, and the zip is
// written straight to the file: memory does not grow with the number of
// rows. A sheet holds at most 1,048,574 rows below its header (Excel's
// limit); rows beyond are left out and the summary says so.
//
// A window of more than maxOrderRows orders gets them in a CSV file
// beside the workbook (OrdersCSVPath), written the same way and put in
// place just after the workbook; it is refused like the workbook when
// something else is at its path. An earlier run's CSV beside a workbook
// that now lists the orders itself is removed.
func (w *Writer) Write(ctx context.Context, path string, r *reconcile.Result) (err error) {
	if r == nil {
		return errors.New("report: no result to write")
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err := CheckOverwrite(path, r.Window); err != nil {
		return err
	}
	csvPath := ""
	if ordersCSV(r) {
		csvPath = OrdersCSVPath(path)
		if err := checkCSV(csvPath); err != nil {
			return err
		}
	}
	perm := w.Perm
	if perm == 0 {
		perm = defaultPerm
	}
	out, err := outfile.Create(path, perm)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	defer out.Abort()

	b := &book{now: w.now(), r: r, tmpDir: w.TmpDir}
	build := func(ctx context.Context) error {
		if err := b.build(ctx, out); err != nil {
			return fmt.Errorf("report: writing %s: %w", path, err)
		}
		return nil
	}
	var csvOut *outfile.File
	if csvPath == "" {
		err = build(ctx)
	} else {
		if csvOut, err = outfile.Create(csvPath, perm); err != nil {
			return fmt.Errorf("report: %w", err)
		}
		defer csvOut.Abort()
		b.ordersCSV = filepath.Base(csvPath)
		// The CSV is written beside the workbook's build, on a core of
		// its own. The two share only what is read: the result, and the
		// judge of the orders' outcomes, made here before either starts
		// (the CSV has its own names). The first to fail stops the other.
		outcomes := b.outcomes()
		g, gctx := errgroup.WithContext(ctx)
		both := siblingCtx{gctx, ctx}
		g.Go(func() error {
			if err := b.writeOrdersCSV(both, csvOut, outcomes, &named{}); err != nil {
				return fmt.Errorf("report: writing %s: %w", csvPath, err)
			}
			return nil
		})
		g.Go(func() error { return build(both) })
		err = g.Wait()
	}
	if err != nil {
		return err
	}
	if err = ctx.Err(); err != nil {
		return fmt.Errorf("report: writing %s: %w", path, err)
	}
	// Something may have appeared at the paths while the workbook was built.
	if err = CheckOverwrite(path, r.Window); err != nil {
		return err
	}
	if csvPath != "" {
		if err = checkCSV(csvPath); err != nil {
			return err
		}
	}
	if err = out.Commit(); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	// Runs on one journal never overlap, but a dry run or another journal
	// may write beside this one: only the files of writers that are gone.
	outfile.RemoveStale(path)
	// The list of orders is put in place once the workbook that names it
	// is; an earlier run's list beside a workbook that no longer names one
	// is removed.
	if csvOut != nil {
		if err = csvOut.Commit(); err != nil {
			return fmt.Errorf("report: the workbook %s is written, but not the list of orders it names (%s): %w", path, csvPath, err)
		}
		outfile.RemoveStale(csvPath)
	} else if old := OrdersCSVPath(path); ownCSV(old) {
		_ = os.Remove(old)
	}
	return nil
}

// siblingCtx is the context of one of two goroutines that stop together:
// Context, errgroup's, is done when ctx is or the other failed; Err asks
// ctx first, so that ctx's own error (and the checking of it) is what the
// writers see.
type siblingCtx struct {
	context.Context
	ctx context.Context
}

func (c siblingCtx) Err() error {
	if err := c.ctx.Err(); err != nil {
		return err
	}
	return c.Context.Err()
}

// book is one workbook being built.
type book struct {
	f   *excelize.File
	st  *styles
	now time.Time
	r   *reconcile.Result

	textAmounts int            // amounts written as text: too large for an exact number
	textFees    int            // fees and nets of five decimals written as text, likewise
	cut         map[string]int // rows left out per sheet: beyond Excel's row limit

	tmpDir string               // for the list sheets' rows
	rows   map[string]*rowsFile // the list sheets' rows, by part name

	patch   map[string]func([]byte) ([]byte, error) // parts rewritten as the package is saved (the chart)
	codeRow map[reconcile.Code]int                  // each code's first row in 异常明细, for the summary's links
	sst     sharedStrings                           // the list sheets' repeated texts

	orderOutcome *orderOutcomes // where the orders ended, made on first use
	names        named          // the Chinese names beside codes, looked up once
	ordersCSV    string         // the file name of the CSV of the orders, when they are in one
}

// maxDataRows is the most rows a list sheet holds below its subtotal row
// and its header (headerRow): the last is Excel's last row, 1,048,576. It
// is a variable so that a test can lower it.
var maxDataRows = excelize.TotalRows - headerRow

// build writes the whole workbook into out.
func (b *book) build(ctx context.Context, out io.Writer) (err error) {
	b.f = excelize.NewFile(excelize.Options{TmpDir: b.tmpDir})
	defer func() {
		if cerr := b.f.Close(); err == nil && cerr != nil {
			err = cerr
		}
		for _, r := range b.rows {
			r.remove()
		}
	}()
	if b.st, err = newStyles(b.f); err != nil {
		return err
	}
	if err = b.f.SetSheetName("Sheet1", sheetSummary); err != nil {
		return err
	}
	for _, name := range Sheets()[1:] {
		if _, err = b.f.NewSheet(name); err != nil {
			return err
		}
	}
	b.f.SetActiveSheet(0)
	// The summary is written last: it reports what the list and money
	// sheets had to cut or write as text.
	if err = b.writeLists(ctx); err != nil {
		return err
	}
	if err = b.writeMoney(); err != nil {
		return err
	}
	if err = b.writeSummary(); err != nil {
		return err
	}
	if err = b.setProps(); err != nil {
		return err
	}
	if err = b.sharePatches(); err != nil {
		return err
	}
	if err = ctx.Err(); err != nil {
		return err
	}
	return b.save(ctx, out)
}

// sharePatches has the package's shared string table and excelize's own
// sheets patched as they are saved, when the list sheets shared strings.
func (b *book) sharePatches() error {
	if len(b.sst.list) == 0 {
		return nil
	}
	if b.patch == nil {
		b.patch = map[string]func([]byte) ([]byte, error){}
	}
	b.patch["xl/sharedStrings.xml"] = b.sst.patchTable
	for _, sheet := range Sheets() {
		part, err := b.sheetPart(sheet)
		if err != nil {
			return err
		}
		if _, ok := b.rows[part]; !ok {
			b.patch[part] = b.sst.patchSheet
		}
	}
	return nil
}

// setProps sets the document properties, including the custom ones
// CheckOverwrite recognises.
func (b *book) setProps() error {
	r := b.r
	now := b.now.UTC().Format(time.RFC3339)
	desc := "运行编号 " + strconv.FormatInt(r.RunID, 10) + "，" + statusLabel(r.Status)
	if r.DryRun {
		desc = dryRunBanner + "，" + statusLabel(r.Status)
	}
	if err := b.f.SetDocProps(&excelize.DocProperties{
		Title:          "对账异常报告 " + r.Window.String(),
		Subject:        "对账区间 " + windowText(r.Window),
		Creator:        generatorName,
		LastModifiedBy: generatorName,
		Description:    desc,
		Keywords:       "reconcile; " + r.Window.String() + "; run " + strconv.FormatInt(r.RunID, 10),
		Category:       "对账异常",
		Identifier:     "reconcile-run-" + strconv.FormatInt(r.RunID, 10),
		Created:        now,
		Modified:       now,
		Language:       "zh-CN",
	}); err != nil {
		return err
	}
	for _, p := range []excelize.CustomProperty{
		{Name: propGenerator, Value: generatorName},
		{Name: propWindow, Value: r.Window.String()},
		{Name: propRunID, Value: strconv.FormatInt(r.RunID, 10)},
		{Name: propStatus, Value: string(r.Status)},
		{Name: propDryRun, Value: r.DryRun},
	} {
		if err := b.f.SetCustomProps(p); err != nil {
			return err
		}
	}
	return nil
}

// save writes the zip package to out. excelize's own WriteTo assembles the
// whole package in a bytes.Buffer first; the zip writer hook sends it
// straight to out instead, so memory does not grow with the file, and
// splices the list sheets' rows into their parts (see splicer). Every
// write checks ctx, so a cancelled run stops writing promptly.
func (b *book) save(ctx context.Context, out io.Writer) error {
	bw := bufio.NewWriterSize(checkedWriter{ctx.Err, out}, 256<<10)
	b.f.SetZipWriter(func(io.Writer) excelize.ZipWriter {
		zw := zip.NewWriter(bw)
		// The parts are written one after the other: one compressor, reset
		// for each, instead of a fresh megabyte of state per part. The
		// fastest level: the XML compresses well anyway, and time matters
		// more than a few per cent of size.
		var fw *flate.Writer
		zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
			if fw == nil {
				var err error
				fw, err = flate.NewWriter(w, flate.BestSpeed)
				return fw, err
			}
			fw.Reset(w)
			return fw, nil
		})
		return &splicer{zw: zw, rows: b.rows, patch: b.patch}
	})
	if _, err := b.f.WriteTo(io.Discard); err != nil {
		return err
	}
	return bw.Flush()
}

// checkedWriter fails its writes once check fails (ctx.Err: the context is
// done).
type checkedWriter struct {
	check func() error
	w     io.Writer
}

func (c checkedWriter) Write(p []byte) (int, error) {
	if err := c.check(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}
