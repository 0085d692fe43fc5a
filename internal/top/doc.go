// Package top is a client for the Taobao Open Platform (TOP) REST gateway,
// limited to what a Tmall Global merchant's reconciliation needs: request
// signing, the JSON envelopes, typed platform errors and the three
// Tmall Global clearance APIs.
//
// The client makes exactly one HTTP request per call. Retries, rate limits
// and flow-control pauses belong to the caller, which needs to see and
// record every attempt; Classify tells it what an error calls for.
package top
