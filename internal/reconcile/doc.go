// Package reconcile is the reconciliation itself, pure of any platform:
// the exception codes and Exception, the Result of a run and its Counts,
// the Ledger of what the exports hold, the checks, and the one order of
// exceptions. It reads files (through package ingest) but calls no API,
// opens no journal and limits no rate: given the same exports and window,
// it gives the same result.
//
// Load reads the exports into a Ledger: a million orders and their
// payments as compact, pointer-free records (ids packed into two words,
// sorted by a radix sort rather than hashed), with an INPUT_INVALID
// exception for every row that could not be read. Check runs the checks of
// the design on it and returns the Plan: the candidates to declare, the
// pending callbacks, the exceptions and the counts. Every paid order in the
// window ends as a candidate or as exactly one exception, its first failing
// check; Result.CheckAccounting proves the counts add up.
//
// CompareExceptions is the one order of exceptions, used by the result and
// the workbook alike; Result.Tally sorts and counts them.
package reconcile
