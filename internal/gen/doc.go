// Package gen generates synthetic, realistic exports of a night at any
// size, with a chosen share of each anomaly, for the end-to-end
// benchmarks, load tests and fault tests of the job.
//
// Write writes the Tmall order export (or a 千牛 workbench XLSX), the
// WeChat Pay "ALL" trade bill(s) (or WeChat Pay Global statements) and the
// clearance results of one night into a directory, as docs/formats.md
// describes them: GBK or UTF-8, ids as ="…", quoted amounts with
// thousands separators, three time forms, free text with commas and
// quotes, bill lines after backticks. Every bill row has its 手续费 at the
// Spec's 费率 (rounded to the fen; a refund's negative), and every section
// (a header, its rows, its summary; staff paste several into one file)
// ends with a summary of its seven figures over every row, so that a
// night's bills tie out unless an anomaly says otherwise (a fee off, a row
// deleted, a download cut short).
//
// Write returns a Manifest: the files, their sizes, the anomalies
// injected and what a dry run of the night must report: the exceptions,
// code by code, the counts, the window's money (orders, payments, refunds,
// service fees, a Global statement's settlement), each bill section and
// whether it ties out, and what a run holds back when one does not. All
// of it is worked out from the generator's own plan of the night, never by
// running the job's code; the oracle tests compare it with the job.
//
// Everything is a function of the Spec: the same Spec writes the same
// bytes. Each order slot is computed from the seed and its number alone,
// so that the writers run concurrently and each row costs no allocation;
// a million orders and their payments take a few seconds.
package gen
