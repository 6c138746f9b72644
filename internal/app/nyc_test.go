package app_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/internal/app"
	"github.com/riskwatch/riskwatch/internal/testenv"
	"github.com/riskwatch/riskwatch/store"
)

// sharedData returns a path under ../shared/data, skipping (or failing
// under CI) when the shared data is not beside the repository.
func sharedData(t *testing.T, rel string) string {
	t.Helper()
	p := filepath.Join("..", "..", "..", "shared", "data", rel)
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("shared data missing: %v", err)
		}
		t.Skipf("shared data missing: %v", err)
	}
	return p
}

// TestNYC311ThroughThePipeline imports the real NYC 311 sample with the
// shipped mapping, produces it to a real Apache Kafka broker and ingests it
// with the NYC region hierarchy: every accepted row becomes a case, nothing
// goes to the dead letters.
func TestNYC311ThroughThePipeline(t *testing.T) {
	file := sharedData(t, "complaints/nyc311_2024-09-01/nyc311_service_requests_2024-09-01.csv")
	k := testenv.Kafka(t)
	ch := testenv.ClickHouse(t)
	db := testenv.FreshDatabase(t, "nyc")
	regions, _ := filepath.Abs(filepath.Join("..", "..", "sources", "mappings", "nyc_regions.csv"))
	cfg := writeConfig(t, fmt.Sprintf(`
clickhouse:
  local: {enabled: false}
  addrs: [%s]
  database: %s
kafka:
  embedded: false
  brokers: [%s]
  topic: nyc_%s
  group: g_%s
regions:
  file: %s
http:
  listen: 127.0.0.1:0
metrics:
  listen: 127.0.0.1:0
log:
  level: warn
`, ch.Addr, db, k.Addr, db, db, regions))

	var out, errb bytes.Buffer
	if code := app.MainContext(context.Background(), []string{"import", "--mapping", "nyc311", "--config", cfg, file}, &out, &errb); code != 0 {
		t.Fatalf("import exited %d: %s", code, errb.String())
	}
	// Counts from the importer's own test: 9,240 rows, 6 rejected, 18,105 records.
	if !strings.Contains(out.String(), "9240 rows, 18105 records, 6 rejected") {
		t.Errorf("import summary %q", out.String())
	}

	ctx, cancel := context.WithCancel(context.Background())
	var iout, ierr syncBuffer
	done := make(chan int, 1)
	go func() { done <- app.MainContext(ctx, []string{"ingest", "--config", cfg}, &iout, &ierr) }()
	defer func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("ingest exited %d: %s", code, ierr.String())
		}
	}()
	st, err := store.Open(context.Background(), store.Options{Addrs: []string{ch.Addr}, Database: db, Username: "default",
		DialTimeout: 5 * time.Second, ReadTimeout: time.Minute, MaxOpenConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	defer st.DropDatabase(context.Background())
	deadline := time.Now().Add(90 * time.Second)
	var s store.CaseStats
	for {
		s, _ = st.CaseStats(context.Background())
		if s.Events >= 18105 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if s.Rows != 9234 || s.Events != 18105 {
		t.Errorf("stored %+v, want 9234 cases and 18105 versions", s)
	}
	errs, _ := st.IngestErrorCounts(context.Background())
	if len(errs) != 0 {
		t.Errorf("dead letters %v, want none", errs)
	}
	// The hierarchy is NYC's: every case has a borough.
	got, err := ch.Query(context.Background(), "SELECT countIf(county_code = '') FROM "+db+".cases FINAL")
	if err != nil || strings.TrimSpace(got) != "0" {
		t.Errorf("cases without a borough: %q (%v)", got, err)
	}
}
