// Package app is the wiring: the only package that knows every other one. It
// implements the riskwatch command line (migrate, run, check-config,
// version), builds the logger from the configuration, starts the local
// ClickHouse and the embedded broker for a first run, and serves /healthz and
// /metrics.
//
// Shutdown order, for every long-lived part started here: stop accepting
// (HTTP, polling) → finish in-flight work → close the broker → close the
// store → stop the local ClickHouse.
package app
