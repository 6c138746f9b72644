// Package reports renders warning reports (预警报告) for political-legal
// committee leaders: Chinese, self-contained offline HTML with embedded
// charts, from the rows the index jobs stored.
//
// It reads through a small interface of its own and never imports the store.
package reports
