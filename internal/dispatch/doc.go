// Package dispatch calls one rate-limited, flaky platform on behalf of a
// batch run: the Taobao Open Platform, whose gateway limits calls per app
// key, bans an app that calls too fast, fails transiently, and refuses some
// calls for good.
//
// A Dispatcher holds what every call of a run shares:
//
//   - a rate limiter (x/time/rate, burst 1) a little under Config.QPS, and
//     behind it a strict sliding window at the moment of sending, so that no
//     second holds more than QPS calls however the calls are delayed between
//     their token and their send;
//   - a ban gate: a flow-control ban (code 7) pauses every call, not just
//     the one that was told, for the ban's length and a little jitter,
//     checked again at the moment of sending; and a budget of bans: once
//     the run's bans add up to Config.MaxBanWait, the run stops;
//   - retries of transient failures with exponential back-off and full
//     jitter, at most Config.MaxAttempts attempts per record and
//     Config.RetryBudget retries in the whole run;
//   - a circuit breaker: Config.BreakerThreshold transport failures in a
//     row stop the run, since the gateway is then unreachable;
//   - a stop: a fatal error (a bad signature, an expired session, the daily
//     quota, a ban longer than Config.MaxBan, or a *FatalError the caller
//     returns) stops every new call, and an interrupt (the run's context
//     done) does the same, while the calls in flight get
//     Config.DrainTimeout to finish.
//
// The classes of errors are the TOP client's (top.Classify): the package
// knows them, but not what the calls carry nor where their outcomes are
// recorded. The caller's function makes one call per invocation of Do's
// fn; it marks an error after which a record must not be tried again with
// Permanent, and returns ErrStopped when it did not make its call after all
// (the run stopped between its own bookkeeping and the send).
//
// The concurrency bound (Config.Concurrency) is the caller's to apply; the
// Dispatcher is safe for concurrent use by that many goroutines.
package dispatch
