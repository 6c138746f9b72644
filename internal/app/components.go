package app

import (
	"context"
	"io"
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/riskwatch/riskwatch/internal/config"
	"github.com/riskwatch/riskwatch/internal/reportgen"
	"github.com/riskwatch/riskwatch/internal/subscriptions"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

// serveEnv is what `riskwatch run` hands to the parts it mounts (reports,
// warnings, the analyst API and console): the store, the registry, the
// HTTP mux and the run context, which ends at shutdown.
type serveEnv struct {
	ctx context.Context
	cfg config.Config
	st  *store.Store
	// ro reads for the API and the reports: the clickhouse.readonly user,
	// or st when none is configured.
	ro      *store.Store
	regions *schemas.Registry
	log     *slog.Logger
	reg     prometheus.Registerer
	mux     *http.ServeMux
	health  *health
	out     io.Writer
	brokers []string
	// baseURL is where the HTTP server listens (http://host:port).
	baseURL string
	// rootTaken is set by a part that serves GET / itself.
	rootTaken bool
	// requireRole wraps a handler so that only requests with an API token
	// of one of the roles pass (401/403 otherwise); mountAPI, which runs
	// first, sets it. The token's region scope travels in the request's
	// context (see package api).
	requireRole func(roles ...string) func(http.Handler) http.Handler
	// reports is the report generator when reports are enabled; its
	// schedules are jobs of the scheduler.
	reports *reportgen.Generator
	// subs delivers the report subscriptions (nil without reports, jobs
	// or warnings); mountWarnings gives it the outbox.
	subs *subscriptions.Dispatcher
	// ingested runs, once the jobs' gate opens (ingest has stored the
	// topic's records), what must see them before the jobs start.
	ingested *afterIngest
	// apiMounted says requireRole checks tokens (the API is mounted).
	apiMounted bool
	// demoToken is the admin token the demo printed ("" outside the demo).
	demoToken string
}

// passthrough is requireRole until the API part installs the real one.
func passthrough(...string) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler { return h }
}
