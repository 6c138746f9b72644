// Package jobs holds the scheduled index jobs: each is a function of the
// window end `at` (no clock reads) that counts in ClickHouse through a small
// reader interface, computes in Go, and writes its rows keyed by window so
// that a window computed again replaces its results.
//
// It sits between the scheduler (jobs/scheduler), the store and the
// statistics core (indices/…). Only the wiring in internal/app builds the
// jobs and hands them to the scheduler.
package jobs
