// Package app is the wiring: the only package that knows every other one. It
// implements the riskwatch command line (migrate, run, ingest, gen, import,
// stat, backfill, report, warnings, token, check-config, version), builds
// the logger from the configuration, starts the local ClickHouse and the
// embedded broker for a first run, and serves /healthz and /metrics (on
// metrics.listen, or behind an admin token on the main listener). In
// `run` it mounts, in this order, the analyst API and console (which
// installs the token check), the reports (/reports/, behind that check and
// the token's region scope; internal/reportgen serves them and keeps the
// latest fresh) and the warning engine with its ack, silence and
// dead-letter endpoints (internal/warnwire serves them); `riskwatch ingest`
// mounts none of them. It holds no handler or loop of its own beyond
// /healthz and the command line. With --demo, run also prints a console link with a fresh admin
// token.
//
// Shutdown order, for every long-lived part started here: stop accepting
// (HTTP, polling) → finish in-flight work → close the broker → close the
// store → stop the local ClickHouse.
package app
