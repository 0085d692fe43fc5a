// Package gen generates synthetic, realistic exports of a night at any
// size, with a chosen share of each anomaly, for the end-to-end
// benchmarks, load tests and fault tests of the job.
//
// Write writes the Tmall order export (or a 千牛 workbench XLSX), the
// WeChat Pay "ALL" trade bill(s) and the clearance results of one night
// into a directory, as docs/formats.md describes them: GBK or UTF-8, ids as
// ="…", quoted amounts with thousands separators, three time forms, free
// text with commas and quotes, bill lines after backticks and the bill's
// summary with its totals. It returns a Manifest: the files, their sizes,
// the anomalies injected and what a dry run of the night must report,
// exception by exception code, worked out from what was generated.
//
// Everything is a function of the Spec: the same Spec writes the same
// bytes. Each order slot is computed from the seed and its number alone,
// so that the writers run concurrently and each row costs no allocation;
// a million orders and their payments take a few seconds.
package gen
