// Package report writes the exception workbook that the finance team opens
// each morning in Excel or WPS: one .xlsx file per run, built from a
// reconcile.Result with excelize's stream writer.
//
// # Sheets
//
// In this order:
//
//   - 汇总 (summary): the window, the run id, when the run started and
//     ended and how long it took, how it ended (已完成 / 已中断 / 失败) and
//     why, a dry-run banner (试运行：未调用平台、未写入日志); a table of every
//     exception code (zeros included) with its Chinese label, count, sum of
//     the amounts at stake in yuan and what to do; the declarations and
//     callbacks made, already done, failed and not attempted; the order,
//     payment and call counts; the input files; a bar chart of the
//     exceptions per code.
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
// The list sheets have a bold header row that is frozen, repeated on every
// printed page and covered by an autofilter; they print landscape, one page
// wide.
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
// The job keeps money as int64 fen; Excel has only doubles. The conversion
// happens once, at the cell: an amount of fen with |fen| < 10^15 is written
// as the number float64(fen)/100, which excelize formats with
// strconv.FormatFloat(v, 'f', -1, 64), and shown with the format
// ¥#,##0.00;[Red]-¥#,##0.00. The text in the file is then exactly the
// decimal yuan amount (without trailing zeros):
//
//  1. |fen| < 10^15 < 2^53, so float64(fen) is fen exactly, and the IEEE
//     division by 100 returns the double nearest to the real fen/100: call
//     it x, and the decimal D = fen/100.
//  2. D has at most 15 significant digits. Any decimal of at most 15
//     significant digits is recovered from its nearest double by rounding
//     the double to 15 significant digits (15 = DBL_DIG = ⌊52·log10 2⌋), so
//     no other decimal of 15 digits or fewer has x as its nearest double.
//  3. FormatFloat with precision -1 prints the shortest decimal whose
//     nearest double is x. D is such a decimal, so the shortest has at most
//     D's digits, hence at most 15, and by 2 it is D.
//
// A reader (Excel, WPS, LibreOffice) parses that text back to x and shows
// it with two decimals as D. The tests check the claim on edge and random
// values against the decimal computed with integer arithmetic, and in the
// XML excelize writes.
//
// Beyond that range (ten trillion yuan, far beyond any real order) a double
// can no longer carry every fen; such an amount, or a sum or difference
// that leaves the range, is written as its exact decimal text, right
// aligned, and the summary carries a note. Sums per code are computed in
// fen with integer arithmetic (a big integer if int64 overflows), and
// converted once like any amount.
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
