// Package reportgen produces the warning reports: it reads the result
// tables of the index jobs through the store (Report… queries), fills a
// reports.Input for one (region, window, window end), renders it with
// package reports to HTML, and to PNG and PDF with headless Chromium
// (internal/browser); it keeps the reports directory and its index page
// (by date, level and region), turns the schedules (daily 08:00, weekly
// Monday 08:30, monthly on the 1st 09:00 by default, in the deployment time
// zone) into jobs of the one scheduler (jobs/scheduler: recorded in
// job_runs, caught up on start), and serves the directory over HTTP.
//
// Time is a parameter: every entry point takes the instant it reports for;
// it never reads the clock for a window.
package reportgen
