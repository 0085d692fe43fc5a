// Package ingest reads the exports the job works from: Tmall order exports,
// WeChat Pay trade bills (or plain payments exports) and clearance results,
// as CSV or XLSX, as described in FORMATS.md.
//
// Open detects the format (by content: an XLSX is a zip), the encoding of a
// CSV (a BOM means UTF-8; else valid UTF-8 means UTF-8; else GB18030), reads
// the header (the first non-empty row) and maps its columns to the canonical
// names. The records are then read one at a time with Orders, Payments or
// Clearances; nothing holds the whole file in memory.
//
// Two kinds of failure are kept apart:
//
//   - A structural problem (the file cannot be opened, is neither CSV nor
//     XLSX, has no header, lacks a required column, or is corrupt part-way)
//     is a plain error from Open or from File.Err. It fails a run.
//   - A row that cannot be read (a bad amount, a mangled id, a bad time,
//     undecodable text) is a *RowError yielded in place of the record.
//     Reading goes on with the next row.
//
// A row yields at most one RowError: the first problem found, checking the
// id columns first, then the amounts, then the rest in canonical column
// order. Every data row therefore yields exactly one record or one error,
// and Info().Records+Info().Errors counts the data rows read.
//
// # Cells
//
// Before a cell is used it is cleaned: surrounding spaces and tabs (and the
// full-width space U+3000 and no-break space U+00A0) are trimmed, then one
// leading backtick (WeChat bills) and the ="…" wrapper (Tmall and ERP exports)
// are removed. A used cell that holds U+FFFD, the mark of undecodable bytes,
// or bytes that are not valid UTF-8, is refused; so is a header that does.
//
// # Amounts, ids and times
//
// See ParseAmount, ParseID and ParseTime for the accepted forms. XLSX cells
// get two allowances that CSV text does not: a number with float noise from
// Excel's binary arithmetic is rounded to the fen (see ParseExcelAmount), and
// a number in a time column is an Excel date serial (see ParseExcelTime).
//
// # Variants
//
// Info.Variant names what the header looks like: "tmall" for the classic
// Tmall order export, "wechat-all", "wechat-success" and "wechat-refund" for
// the three WeChat trade bills, and "plain" for anything else that has the
// required columns.
package ingest
