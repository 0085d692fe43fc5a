// Package report writes the exception workbook that the finance team opens
// each morning in Excel or WPS, and acts on night after night: one .xlsx
// file per run, built from a reconcile.Result. A dry run's is named apart
// (…_dryrun.xlsx) and never replaces a real run's.
//
// # Sheets
//
// In this order:
//
//   - 汇总 (summary): under the title, the headline of the night (see
//     below); a dry-run banner (试运行：未调用平台、未写入日志), and for a
//     run that failed or was interrupted a red banner with what happened
//     and what to do (Result.Failure, in Chinese); the window, the run
//     id, when the run started and ended and how long it took, how it
//     ended (已完成 / 已中断 / 失败), why and what to do, the technical
//     reason for IT, whether bills that do not tie out were declared anyway
//     (--allow-bill-mismatch), the CSV of the orders when there is one.
//     Then, numbered:
//     the exceptions per code (every code, zeros included): label, count,
//     how many are new, the sum of the amounts at stake and what that
//     amount is for the code (订单总金额, 支付金额, none…; "—" where the
//     exceptions carry none or none is known), and what to do; each code
//     a link to its first row in 异常明细; the total adds up the counts
//     only, never amounts that mean different things;
//     the exceptions across runs (when Result.Tracked.Known; a dry run
//     says it knows no history): new, still open, resolved (linked to
//     已解决), and how long the open ones have been open
//     (reconcile.AgingBuckets);
//     the bridge of the orders: read → outside the window / unpaid or
//     closed (closed among them) / paid in the window → failing a check /
//     passing every check → declared / declared before / failed / not
//     attempted / held back, each number beside the sum of the lines
//     below it (✔ = 25 + 59 + 2,760, or ✘ and by how much);
//     the bridge of the clearance callbacks likewise; the payments read
//     and the calls made;
//     for a window of several days, each day's orders, exceptions (by the
//     day of what they are about, Exception.Day), declarations and money;
//     the input files (format, encoding and variant with its Chinese
//     name); the last 14 nights (Result.History) with a chart of the
//     exceptions new and resolved each night. Each section after the
//     exception table is kept on one printed page.
//   - 资金核对 (money): the window's money per day and in total (orders,
//     payments, refunds: count and yuan; fees; the expected net
//     settlement, 应结订单金额 − 退款金额 − fees; the declarations
//     accepted); when there are WeChat Pay Global statements, their
//     settlement per currency (payments, refunds, fees, net), in that
//     currency and never added to CNY; and a block per bill section
//     (file, section, header line, summary line, rows), each figure of
//     its summary beside the sum of its rows and the difference (rows −
//     summary), the figures that differ highlighted, or 无汇总行
//     （下载不完整？）/ 汇总行无法读取：… when there is no summary to compare.
//     It comes second because it is what finance checks first each
//     morning, before acting on the exceptions: whether the bills tie out
//     (if not, nothing was declared) and what to expect in the settlement
//     account.
//   - 异常明细 (exceptions): one row per exception, in the job's one
//     exception order (reconcile.CompareExceptions), the order the result
//     holds them in: the order id, code and label; 状态 (新增 / 未解决),
//     首次发现 (a date) and 天数; the amount at stake, 应为, 实际 and 差额
//     where the exception has two amounts (a refund: the payment and the
//     refund; a duplicate order: the two copies' totals), blank where
//     unknown, never ¥0.00; the transaction id and 其他交易号 (a duplicate
//     payment's second, the one to refund); when it happened
//     (Exception.At); 说明 and 处理建议 (Exception.WhatToDo); the three
//     columns the finance team fills in, 处理状态 (a drop-down of
//     reconcile.HandlingStatuses; another value is warned about and kept),
//     处理人 and 备注, pre-filled with what they wrote before
//     (Tracking.Handling), unlocked so that they stay editable in a
//     protected sheet; customs and platform codes with their Chinese
//     names, the platform's message; 来源文件 (the first source's base
//     name) and 行号; then, outside the print area, 来源（完整） where the
//     file and the line do not say it all, and the hidden 异常键
//     (Exception.Key) by which ReadHandlings reads the three columns back.
//     The summary's counts per code are the result's (Result.ByCode).
//   - 已解决 (resolved): the exceptions of earlier runs this run found
//     resolved (Result.Resolved), with their day, when and by which run
//     they were first seen, how many days they were open, and the team's
//     notes.
//   - 申报记录 (declarations): every declaration of the window, sorted by
//     order id: this run's and those of earlier runs (此前已申报), with
//     when each was accepted and by which run, the request id, the
//     platform's state with its Chinese name.
//   - 回传记录 (callbacks): every callback of the window likewise (此前已回传).
//   - 订单明细 (orders): every order of the window (Result.Orders) in the
//     order the exports list them, with where it ended: 已申报, 此前已申报,
//     异常:<code> (its check, or its declaration's DECLARE_* or
//     MATERIALS_INVALID), 未付款, 已关闭 or 未申报 (and why: a dry run, held
//     back); its amounts, payment, times and source. Above maxOrderRows
//     (200,000) orders the sheet only names a CSV file of them beside the
//     workbook (OrdersCSVPath: reconcile_2026-11-20_orders.csv; UTF-8 with
//     a byte order mark, the same columns, CRLF lines, exact decimal
//     amounts, a field a spreadsheet would take for a formula prefixed
//     with an apostrophe), which the summary names too. The CSV is put in
//     place only once the workbook is, atomically like it; a later
//     workbook that lists its orders itself removes the job's CSV beside
//     it; a file at the CSV's path that is not the job's is never
//     replaced.
//
// The headline is one line:
//
//	[账单汇总不符：本次未申报（N 笔待申报）；]需处理 N 笔[（新增 K）][，涉及订单金额 ¥X][、无对应订单的支付 ¥Y][（另有 K 笔将自动重试）]；已申报 M 笔 ¥Y[（此前已申报 K 笔）]；手续费 ¥Z[（另 HKD 8.90）]
//
// 需处理 counts every exception but DECLARE_ERROR and CALLBACK_ERROR,
// which the next run retries by itself (counted apart as 将自动重试, or, in
// a run that did not complete, as to be retried once the banner's cause is
// dealt with), and how many of them are new. Their amounts are added up
// only where they mean the same: the orders' totals (涉及订单金额), and
// apart the payments without an order (PAYMENT_ORPHAN). 已申报 is the
// declarations this run had accepted (Result.Money.Declared; in a dry run,
// 试运行：未申报 and the orders that could be). 手续费 is the window's CNY
// fees with the precision they carry, then each Global settlement
// currency's. When a bill does not tie out (any BILL_MISMATCH) the line
// opens with it: nothing was declared and how many orders wait
// (Counts.HeldBack), or that the run declared anyway
// (--allow-bill-mismatch). It is red when a bill does not tie out or the
// run failed, amber when something needs handling, green otherwise. The
// money sheet opens likewise with a line on the bill sections.
//
// # Working with the list sheets
//
// Row 1 of each list sheet is a subtotal row: the count of the visible
// rows (SUBTOTAL(103, …)) and the sum of each amount column's visible
// cells (SUBTOTAL(109, …)), so that a filter shows its totals; their
// values for all rows are cached in the file, so that a preview, or a
// reader that does not calculate, shows them. They are the workbook's only
// formulas, fixed text of its own: nothing from the input is ever one. Row
// 2 is a bold header, covered by an autofilter and repeated on every
// printed page; the panes are frozen below it and right of the order id,
// the first column. The columns the finance team fills in have a yellow
// header. Each sheet prints landscape on A4 with the window and the run
// in the page header: one page wide when that is 75% or more, else at 75%
// across pages, left to right, the order id repeated on each; technical
// columns are outside the print area. Rows whose text wraps are given a
// height estimated on the wide side (a CJK character, or one of ambiguous
// width, two digits wide; 16 points a line): readers do not grow rows to
// fit when they open a file, and a little room too much is better than a
// line cut off.
//
// Every style names the same CJK font (等线); <dimension> is each sheet's
// extent (openpyxl's read-only mode trusts it) and <col> elements come in
// ascending order.
//
// The summary and money sheets are normal excelize sheets. The list
// sheets' frames are too, but their rows are written by this package as
// XML, deflated by two goroutines as they come, into temporary files in
// Writer.TmpDir, and spliced into the package as it is saved: memory does
// not grow with the rows. The texts that repeat down a column (codes,
// labels, advice, customs, file names, outcomes) go to the workbook's
// shared string table, within a bound; the others are inline strings.
//
// # Cells
//
// Ids, codes and every other string from the input are string cells, never
// numbers and never formulas, whatever they start with ('=', '+', '-', '@').
// Characters XML cannot carry are made visible instead of breaking the
// file: a C0 control character becomes its Unicode control picture (U+0001
// becomes "␁"), invalid UTF-8 and U+FFFE/U+FFFF become U+FFFD. A text
// longer than Excel's 32,767 characters is cut and says how long it was.
// OOXML's own escape syntax stays literal ("_x0041_" is stored escaped).
// ID numbers found in free text (messages, and the notes the finance team
// typed) are masked with idcard.MaskID as a defence in depth.
//
// Times are date cells (yyyy-mm-dd hh:mm:ss, days yyyy-mm-dd) showing the
// UTC+8 wall clock, whatever the time's location and the host's zone; a
// zero time is an empty cell. Codes of the platform and the exports are
// shown as they are with their Chinese names after them: customs
// (HANGZHOU（杭州海关）), declaration states (SUCCESS（申报成功）), failure
// codes (NO_AUTH（商户未在该海关备案）), export variants
// (wechat-all（微信支付账单·全部交易）), clearance results (…（放行）).
//
// # Money
//
// The job keeps money as int64 fen, and fees as int64 10⁻⁵ yuan (WeChat
// bills print fees with five decimals); Excel has only doubles. The
// conversion happens once, at the cell (exactNumber): a value v of
// 10^-p yuan (p = 2 for fen, 5 for fees) with |v| < 10^15 is written as the
// number float64(v)/10^p, which the writer (this package's for the list
// sheets, excelize's for the others) formats with
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
// both scales, and in the XML written. A subtotal row's cached sum is the
// exact sum of the column's amounts (in fen, back from each cell's value:
// fen/100 correctly rounded, rounded times 100, is fen), converted the
// same way.
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
//
// ReadHandlings reads back what the finance team wrote in 处理状态, 处理人
// and 备注 of a workbook of the job's, by the hidden key column, for the
// next run to carry onto the same exceptions; FindHandlings finds the
// workbooks of overlapping windows to read.
package report
