package main

import (
	"strings"
	"testing"
)

// line is one `go list` line: the package, its direct imports and its
// transitive dependencies (the direct ones included).
func line(pkg string, deps ...string) string {
	return mod + pkg + "|" + strings.Join(deps, " ") + "|" + strings.Join(deps, " ")
}

// Edges that the layout forbids, each injected alone: check must report it.
func TestForbiddenEdges(t *testing.T) {
	for _, c := range []struct{ name, line string }{
		{"api imports the scheduler", line("api", mod+"jobs/scheduler")},
		{"api imports internal", line("api", mod+"internal/config")},
		{"api reads the stream", line("api", "github.com/segmentio/kafka-go")},
		{"a source imports ingest", line("sources/demo", mod+"ingest")},
		{"a source imports the store", line("sources/importer", mod+"store")},
		{"a source imports jobs", line("sources/importer", mod+"jobs")},
		{"a source imports transform", line("sources/demo", mod+"transform")},
		{"a source imports a client", line("sources/demo", "github.com/ClickHouse/clickhouse-go/v2")},
		{"jobs import reports", line("jobs", mod+"reports")},
		{"jobs import the wiring", line("jobs", mod+"internal/app")},
		{"jobs import a source", line("jobs", mod+"sources/demo")},
		{"the scheduler imports the store", line("jobs/scheduler", mod+"store")},
		{"the scheduler imports the jobs' indices", line("jobs/scheduler", mod+"indices/alarm")},
		{"transform imports jobs", line("transform", mod+"jobs")},
		{"indices import jobs", line("indices/composite", mod+"jobs")},
		{"the store imports jobs", line("store", mod+"jobs/scheduler")},
		{"reports import jobs", line("reports", mod+"jobs")},
		{"warnings import jobs", line("warnings", mod+"jobs")},
		{"ingest imports jobs", line("ingest", mod+"jobs")},
		{"schemas import anything of the module", line("schemas", mod+"transform")},
		{"cron outside the scheduler", line("internal/reportgen", "github.com/robfig/cron/v3")},
		{"clickhouse-go outside the store", line("jobs", "github.com/ClickHouse/clickhouse-go/v2")},
		{"kfake outside the broker", line("internal/app", "github.com/twmb/franz-go/pkg/kfake")},
		{"the wiring outside main", line("internal/reportgen", mod+"internal/app")},
	} {
		if _, bad := check([]byte(c.line)); len(bad) == 0 {
			t.Errorf("%s: not reported (%s)", c.name, c.line)
		}
	}
}

// Edges that the layout allows are not reported.
func TestAllowedEdges(t *testing.T) {
	for _, l := range []string{
		line("jobs", mod+"jobs/scheduler", mod+"store", mod+"schemas", mod+"indices/alarm", "gonum.org/v1/gonum/stat"),
		line("jobs/scheduler", mod+"schemas", "github.com/robfig/cron/v3", "github.com/prometheus/client_golang/prometheus"),
		line("sources/importer", mod+"schemas", "go.yaml.in/yaml/v3"),
		line("sources/demo", mod+"schemas"),
		line("api", mod+"store", mod+"schemas", mod+"transform", mod+"reports/assets"),
		line("internal/reportgen", mod+"jobs/scheduler", mod+"reports", mod+"store"),
		line("internal/app", mod+"jobs", mod+"sources/demo", mod+"api"),
		line("store", "github.com/ClickHouse/clickhouse-go/v2", mod+"schemas"),
	} {
		if _, bad := check([]byte(l)); len(bad) > 0 {
			t.Errorf("%s: reported %v", l, bad)
		}
	}
}
