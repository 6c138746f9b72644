package store

import (
	"strings"
	"testing"

	"github.com/riskwatch/riskwatch/schemas"
)

// TestDialectForCluster checks the cluster form of the statement shapes the
// migrations use, and that every embedded migration has one.
func TestDialectForCluster(t *testing.T) {
	migs, err := schemas.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	d := newClusterDialect("rw", "db", "", "", migs)
	for _, tc := range []struct {
		sql  string
		want []string
	}{
		{"CREATE TABLE IF NOT EXISTS cases (source String, case_id String, version UInt32) ENGINE = ReplacingMergeTree(version) PARTITION BY toYear(d) ORDER BY (source, case_id)", []string{
			"CREATE TABLE IF NOT EXISTS db.cases_local ON CLUSTER rw\n(source String, case_id String, version UInt32)\nENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/db/cases', '{replica}', version)\nPARTITION BY toYear(d) ORDER BY (source, case_id)",
			"CREATE TABLE IF NOT EXISTS db.cases ON CLUSTER rw AS db.cases_local ENGINE = Distributed(rw, db, cases_local, cityHash64(toString(source), case_id))",
		}},
		{"CREATE TABLE IF NOT EXISTS job_runs (job String) ENGINE = MergeTree ORDER BY job", []string{
			"CREATE TABLE IF NOT EXISTS db.job_runs ON CLUSTER rw\n(job String)\nENGINE = ReplicatedMergeTree('/clickhouse/tables/all/db/job_runs', '{replica}')\nORDER BY job",
		}},
		{"CREATE MATERIALIZED VIEW IF NOT EXISTS cases_daily_mv TO cases_daily AS SELECT day FROM cases GROUP BY day", []string{
			"CREATE MATERIALIZED VIEW IF NOT EXISTS db.cases_daily_mv ON CLUSTER rw TO db.cases_daily_local AS SELECT day FROM db.cases_local GROUP BY day",
		}},
		{"ALTER TABLE risk_index ADD COLUMN x UInt8", []string{"ALTER TABLE db.risk_index ADD COLUMN x UInt8"}},
		{"DROP TABLE IF EXISTS case_events_mv", []string{"DROP TABLE IF EXISTS db.case_events_mv ON CLUSTER rw"}},
		{"DROP TABLE IF EXISTS cases", []string{"DROP TABLE IF EXISTS db.cases ON CLUSTER rw", "DROP TABLE IF EXISTS db.cases_local ON CLUSTER rw"}},
		{"INSERT INTO case_updates SELECT source, case_id FROM case_events", []string{
			everyNode + "INSERT INTO db.case_updates_local SELECT source, case_id FROM db.case_events_local",
		}},
		{"ALTER TABLE cases ADD COLUMN x UInt8", []string{
			everyShard + "ALTER TABLE db.cases_local ADD COLUMN x UInt8",
			everyNode + "ALTER TABLE db.cases ADD COLUMN x UInt8",
		}},
	} {
		got, err := d.Statements(tc.sql)
		if err != nil {
			t.Errorf("%s: %v", tc.sql, err)
			continue
		}
		if strings.Join(got, "\n;\n") != strings.Join(tc.want, "\n;\n") {
			t.Errorf("%s:\n got %q\nwant %q", tc.sql, got, tc.want)
		}
	}
	// The daily rollup is fed by a view on cases, so it is sharded with it.
	for table, want := range map[string]bool{"cases": true, "case_events": true, "cases_daily": true, "case_updates": true, "risk_index": false, "regions": false, "rule_alarms": false} {
		if d.Sharded(table) != want {
			t.Errorf("Sharded(%s) = %v, want %v", table, !want, want)
		}
	}
	for _, m := range migs {
		for _, st := range m.Statements {
			if _, err := d.Statements(st.SQL); err != nil {
				t.Errorf("%s line %d: %v", m.Name, st.Line, err)
			}
		}
	}
	if _, err := d.Statements("DROP TABLE cases"); err == nil {
		t.Error("an unknown statement shape was translated; want an error")
	}
}
