// Package ingest reads the exports the job works from: Tmall order exports,
// WeChat Pay trade bills (or plain payments exports) and clearance results,
// as CSV or XLSX, as described in docs/formats.md.
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
// # Rows
//
// Blank rows (nothing but spaces, tabs and backticks: Excel writes ,,,,, and
// WeChat `,`,`) are skipped. A CSV row must have as many fields as the
// header (empty header cells at its end excepted): more or fewer is a
// RowError, because a comma inside a field that is not quoted shifts every
// column after it and the amounts would be read from the wrong ones. The
// line of a CSV record is the physical line where it starts; the line of
// an XLSX row is its row number in its sheet. In a WeChat bill the summary header
// (总交易单数,…) ends the data; its totals go to Info.Summary.
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
// See ParseAmount, CheckID and ParseTime for the accepted forms. XLSX
// cells are treated for what their type says they are: an amount in a
// numeric cell with float noise from Excel's binary arithmetic is rounded
// to the fen (see ParseExcelAmount; a text cell keeps the strict rule), an
// id stored as a number of 2^53 or more has lost digits and is refused
// like one in scientific notation, and a number in a time column is an
// Excel date serial in the workbook's date system (see ParseExcelTime).
// A TRUE/FALSE cell or an error value (#N/A) in an id, amount or time
// column, and a date cell (a number with a date format) in an id or amount
// column, are refused rather than read as 1 or as a serial.
//
// # XLSX
//
// An XLSX is read as a stream, without excelize: the zip's parts are
// inflated with archive/zip and tokenized by a scanner of this package
// (see xmlscan.go for why not encoding/xml or a library), the shared
// strings are held once, and each worksheet is read one row at a time, so
// memory grows with the shared strings, not the rows. The sizes the zip
// declares, the inflate ratio, every tag, text, row and the nesting are
// limited (see xlsx.go); malformed XML, a bad CRC or a truncated part
// anywhere is a structural error that names the part.
//
// Open reads the header of every worksheet, or only the one WithSheet
// names. The sheets whose header has the kind's required columns are read
// one after the other; the others are skipped, and Info.Sheets says why
// (the columns they lack, no data, a chart sheet). No sheet with such a
// header is a structural error naming each sheet. When records come from
// more than one sheet, Source.Sheet names theirs and Source prints as
// file[sheet]:line.
//
// # Encodings
//
// A CSV file with a UTF-8 byte-order mark is UTF-8 ("utf-8-bom"). Without
// one, the first 64 KiB decide: valid UTF-8 (a character cut at the edge
// does not count against it) means UTF-8, anything else GB18030, the
// superset of GBK, unless the header row is valid UTF-8 with non-ASCII
// text, which outweighs a stray byte. A file that is pure ASCII for its
// first 64 KiB reads as UTF-8 until its first non-ASCII row decides; Info
// then tells the encoding found. The CSV structure (commas, quotes, line
// breaks, backticks) is scanned on the raw bytes, which both encodings
// allow, and only the fields the job uses are decoded.
//
// # Variants
//
// Info.Variant names what the header looks like: "tmall" for the classic
// Tmall order export (the 千牛 XLSX included), "wechat-all",
// "wechat-success" and "wechat-refund" for the three WeChat trade bills,
// "wechat-global" for a WeChat Pay Global statement (用户支付金额 and
// 结算币种), and "plain" for anything else that has the required columns.
package ingest
