// Package report writes the exception workbook that the finance team opens
// each morning in Excel or WPS: one .xlsx file per run, built from a
// reconcile.Result with excelize's stream writer.
//
// # Sheets
//
// In this order:
//
//   - 汇总 (summary): under the title, the headline of the night in money
//     (see below); the window, the run id, when the run started and
//     ended and how long it took, how it ended (已完成 / 已中断 / 失败) and
//     why, a dry-run banner (试运行：未调用平台、未写入日志); a table of every
//     exception code (zeros included) with its Chinese label, count, sum of
//     the amounts at stake in yuan and what to do; the declarations and
//     callbacks made, already done, failed, not attempted and held back
//     because a bill does not tie out (暂缓); the order, payment and call
//     counts; the input files; a bar chart of the exceptions per code.
//   - 资金核对 (money): the window's money per day and in total (orders,
//     payments, refunds: count and yuan; fees; the expected net
//     settlement, payments − refunds − fees; the declarations accepted);
//     when there are WeChat Pay Global statements, their settlement per
//     currency, in that currency and never added to CNY; and a block per
//     bill section (file, section, header line, summary line, rows), each
//     figure of its summary beside the sum of its rows and the difference
//     (rows − summary), the figures that differ highlighted, or 无汇总行
//     （下载不完整？）/ 汇总行无法读取：… when there is no summary to compare.
//     It comes second because it is what finance checks first each
//     morning, before acting on the exceptions: whether the bills tie out
//     (if not, nothing was declared) and what to expect in the settlement
//     account.
//   - 异常明细 (exceptions): one row per exception, in the job's one
//     exception order (reconcile.CompareExceptions: by code, then order id
//     and transaction id as numbers, then source), the order the result
//     holds them in. The summary's counts per code are the result's
//     (Result.ByCode).
//   - 申报记录 (declarations): every declaration the run attempted, sorted
//     by order id.
//   - 回传记录 (callbacks): every callback the run attempted, sorted by
//     order id, status and idempotency key.
//
// The headline is one line:
//
//	[账单汇总不符：本次未申报（N 笔待申报）；]需处理 N 笔 ¥X[（另有 K 笔将自动重试）]；已申报 M 笔 ¥Y；手续费 ¥Z[（另 HKD 8.90）]
//
// 需处理 counts every exception but DECLARE_ERROR and CALLBACK_ERROR,
// which the next run retries by itself (counted apart as 将自动重试), and ¥X
// sums their amounts at stake (the exception table's 涉及金额): the table
// less those two rows. 已申报 is the declarations this run had accepted
// (Result.Money.Declared; in a dry run, 试运行：未申报 and the orders that
// could be). 手续费 is the window's CNY fees with the precision they carry,
// then each Global settlement currency's. When a bill does not tie out
// (any BILL_MISMATCH) the line opens with it: nothing was declared and how
// many orders wait (Counts.HeldBack), or that the run declared anyway
// (--allow-bill-mismatch). It is red when a bill does not tie out or the
// run failed, amber when something needs handling, green otherwise. The
// money sheet opens likewise with a line on the bill sections.
//
// The list sheets have a bold header row that is frozen, repeated on every
// printed page and covered by an autofilter; they print landscape, one page
// wide. The summary and money sheets print landscape, one page wide, with
// page breaks that keep each section, the chart and each bill block on one
// page (estimated with Excel's row heights; LibreOffice's rows are a
// little lower, so its pages hold a little more).
//
// # Cells
//
// Ids, codes and every other string from the input are string cells, never
// numbers and never formulas, whatever they start with ('=', '+', '-', '@').
// Characters XML cannot carry are made visible instead of breaking the
// file: a C0 control character becomes its Unicode control picture (U+0001
// becomes "␁"), invalid UTF-8 and U+FFFE/U+FFFF become U+FFFD. A text
// longer than Excel's 32,767 characters is cut and says how long it was.
// ID numbers found in free text (messages) are masked with idcard.MaskID as
// a defence in depth.
//
// Times are date cells (yyyy-mm-dd hh:mm:ss) showing the UTC+8 wall clock,
// whatever the time's location and the host's zone; a zero time is an empty
// cell.
//
// # Money
//
// The job keeps money as int64 fen, and fees as int64 10⁻⁵ yuan (WeChat
// bills print fees with five decimals); Excel has only doubles. The
// conversion happens once, at the cell (exactNumber): a value v of
// 10^-p yuan (p = 2 for fen, 5 for fees) with |v| < 10^15 is written as the
// number float64(v)/10^p, which excelize formats with
// strconv.FormatFloat(x, 'f', -1, 64), and shown with ¥#,##0.00 (fees
// ¥#,##0.00000), negatives red. The text in the file is then exactly the
// decimal amount (without trailing zeros):
//
//  1. |v| < 10^15 < 2^53, so float64(v) is v exactly; 10^p (100 or
//     100,000) is an exact double; and the IEEE division returns the double
//     nearest to the real v/10^p: call it x, and the decimal D = v/10^p.
//  2. D has at most 15 significant digits. Any decimal of at most 15
//     significant digits is recovered from its nearest double by rounding
//     the double to 15 significant digits (15 = DBL_DIG = ⌊52·log10 2⌋), so
//     no other decimal of 15 digits or fewer has x as its nearest double.
//  3. FormatFloat with precision -1 prints the shortest decimal whose
//     nearest double is x. D is such a decimal, so the shortest has at most
//     D's digits, hence at most 15, and by 2 it is D.
//
// A reader (Excel, WPS, LibreOffice) parses that text back to x and shows
// it with two (five) decimals as D. The tests check the claim on edge and
// random values against the decimal computed with integer arithmetic, for
// both scales, and in the XML excelize writes.
//
// Beyond that range (ten trillion yuan for amounts, ten billion for fees,
// far beyond any real order or night) a double can no longer carry every
// digit; such a value, or a sum, difference or net that leaves the range,
// is written as its exact decimal text, right aligned, and the summary
// carries a note. Sums per code, nets and differences are computed with
// integer arithmetic (a big integer where int64 could overflow), and
// converted once like any amount.
//
// The expected net settlement is payments − refunds − fees in 10⁻⁵ yuan.
// Its column is shown to the fen when every net on the sheet is a whole
// fen (bills round fees to the fen), else with all five decimals: never
// rounded, never two precisions in one column.
//
// A WeChat Pay Global statement settles in its own currency: its amounts
// are written in the minor unit of that currency with the ISO code after
// the number (#,##0.00 "HKD"; fees #,##0.00000 "HKD"), never ¥ and never
// added to CNY. In a Global statement's bill block only 应结订单总金额 and
// 手续费总金额 are in the settlement currency; its other figures are bare
// numbers (#,##0.00), as their columns' currencies vary.
//
// # Files
//
// Path turns a --report value into the workbook's path; CheckOverwrite
// refuses to replace anything but this job's own earlier workbook for the
// same window, recognised by custom document properties (ReconcileGenerator,
// ReconcileWindow, ReconcileRunID, ReconcileStatus, ReconcileDryRun).
// Writer.Write writes to a temporary file in the same directory and renames
// it over the target only when complete, so an interrupted run never
// leaves a half workbook.
package report
