// Package batch is the job: one run over a date window, wiring the
// reconciliation (package reconcile), the dispatch of platform calls
// (package dispatch), the journal (package journal) and the workbook
// (a ReportWriter).
//
// Run takes the journal's run lock, reads and checks the exports, then,
// unless it is a dry run, checks the buyers' materials (when asked),
// declares each candidate the journal does not already hold as accepted,
// and sends each pending callback it does not hold as sent. Every call is
// journaled before it is made and after it returns (callJournaled), so that
// a crash repeats at most the calls in flight. Whatever happens, the run is
// finished: its exceptions tallied and its accounting checked, the
// workbook, the journal's record of the run and the JSON summary written.
//
// The error Run returns decides the process's exit status (ExitStatus): nil
// for a completed run, ErrInterrupted (130), ErrExceptions (3) under
// FailOnExceptions, anything else 1.
package batch
