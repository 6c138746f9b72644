package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/riskwatch/riskwatch/internal/testenv"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// openFresh opens a store on a new database of the shared test server and
// drops it when the test ends.
func openFresh(t *testing.T) *store.Store {
	t.Helper()
	ch := testenv.ClickHouse(t)
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{
		Addrs: []string{ch.Addr}, Database: testenv.FreshDatabase(t, "store"), Username: "default",
		DialTimeout: 10 * time.Second, ReadTimeout: time.Minute, MaxOpenConns: 4, Compression: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = st.DropDatabase(context.Background())
		_ = st.Close()
		_ = st.Close() // safe twice
	})
	return st
}

func TestMigrateTwiceAppliesNothing(t *testing.T) {
	st := openFresh(t)
	ctx := context.Background()
	migs, err := schemas.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	v, err := st.ServerVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("ClickHouse %s", v)
	first, err := st.Migrate(ctx, migs)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != len(migs) || first[0] != "0001_core.sql" {
		t.Fatalf("first run applied %v, want all %d migrations", first, len(migs))
	}
	second, err := st.Migrate(ctx, migs)
	if err != nil {
		t.Fatal(err)
	}
	if len(second) != 0 {
		t.Fatalf("second run applied %v, want nothing", second)
	}
	applied, err := st.AppliedMigrations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) != len(migs) {
		t.Fatalf("schema_migrations has %d rows, want %d", len(applied), len(migs))
	}
	// Every table the foundation promises exists.
	tables, err := st.Tables(ctx)
	if err != nil {
		t.Fatal(err)
	}
	have := strings.Join(tables, ",")
	for _, table := range []string{"case_events", "cases", "case_events_mv", "case_updates", "case_updates_mv", "api_daily", "api_cube_by_place", "api_county", "categories", "ingest_errors", "job_runs", "reference_loads", "regions", "schema_migrations"} {
		if !strings.Contains(","+have+",", ","+table+",") {
			t.Errorf("table %s missing (have %s)", table, have)
		}
	}
	// Dropped by a later migration.
	for _, table := range []string{"cases_daily", "cases_daily_mv", "api_cube"} {
		if strings.Contains(","+have+",", ","+table+",") {
			t.Errorf("table %s still there (have %s)", table, have)
		}
	}
}

func TestBrokenMigrationNamesFileAndStatement(t *testing.T) {
	st := openFresh(t)
	ctx := context.Background()
	fsys := fstest.MapFS{
		"m/0001_ok.sql":     {Data: []byte("CREATE TABLE IF NOT EXISTS a (x UInt8) ENGINE = MergeTree ORDER BY x;\n")},
		"m/0002_broken.sql": {Data: []byte("-- second file\nCREATE TABLE IF NOT EXISTS b (x UInt8) ENGINE = MergeTree ORDER BY x;\n\nCREATE TABLE c (x NoSuchType) ENGINE = MergeTree ORDER BY x;\n")},
	}
	migs, err := schemas.LoadMigrations(fsys, "m")
	if err != nil {
		t.Fatal(err)
	}
	applied, err := st.Migrate(ctx, migs)
	var me *store.MigrationError
	if !errors.As(err, &me) {
		t.Fatalf("error %v is not a *MigrationError", err)
	}
	if me.File != "0002_broken.sql" || me.Statement != 2 || me.Line != 4 {
		t.Errorf("error names %s statement %d line %d, want 0002_broken.sql statement 2 line 4", me.File, me.Statement, me.Line)
	}
	if !strings.Contains(err.Error(), "0002_broken.sql, statement 2 (line 4)") || !strings.Contains(err.Error(), "NoSuchType") {
		t.Errorf("message %q does not name file, statement and cause", err)
	}
	if len(applied) != 1 || applied[0] != "0001_ok.sql" {
		t.Errorf("applied %v before the failure, want [0001_ok.sql]", applied)
	}
	// The failed migration is not recorded: fixing it and running again applies it.
	fsys["m/0002_broken.sql"] = &fstest.MapFile{Data: []byte("CREATE TABLE IF NOT EXISTS b (x UInt8) ENGINE = MergeTree ORDER BY x;\nCREATE TABLE IF NOT EXISTS c (x UInt8) ENGINE = MergeTree ORDER BY x;\n")}
	migs, _ = schemas.LoadMigrations(fsys, "m")
	applied, err = st.Migrate(ctx, migs)
	if err != nil || len(applied) != 1 || applied[0] != "0002_broken.sql" {
		t.Fatalf("after the fix: applied %v, err %v", applied, err)
	}
	// Editing an applied migration is refused.
	fsys["m/0001_ok.sql"] = &fstest.MapFile{Data: []byte("CREATE TABLE IF NOT EXISTS a2 (x UInt8) ENGINE = MergeTree ORDER BY x;\n")}
	migs, _ = schemas.LoadMigrations(fsys, "m")
	if _, err := st.Migrate(ctx, migs); err == nil || !strings.Contains(err.Error(), "changed after it was applied") {
		t.Errorf("edited migration: %v", err)
	}
}

func TestReferenceDataLoadsOnce(t *testing.T) {
	st := openFresh(t)
	ctx := context.Background()
	migs, _ := schemas.Migrations()
	if _, err := st.Migrate(ctx, migs); err != nil {
		t.Fatal(err)
	}
	reg, err := schemas.LoadTongliao()
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := st.SyncRegions(ctx, reg)
	if err != nil || !loaded {
		t.Fatalf("first sync: loaded=%v err=%v", loaded, err)
	}
	loaded, err = st.SyncRegions(ctx, reg)
	if err != nil || loaded {
		t.Fatalf("second sync of the same registry: loaded=%v err=%v", loaded, err)
	}
	n, err := st.CountRows(ctx, "regions")
	if err != nil {
		t.Fatal(err)
	}
	if n != 2715 {
		t.Errorf("regions has %d rows, want 2715", n)
	}
	// A reload that removes no code (the same codes, one name changed)
	// runs no mutation.
	renamed, err := schemas.LoadTongliao()
	if err != nil {
		t.Fatal(err)
	}
	var buf strings.Builder
	if err := renamed.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	renamedCSV := strings.Replace(buf.String(), "科尔沁区", "科尔沁区（改）", 1)
	if renamed, err = schemas.LoadCSV(strings.NewReader(renamedCSV), "renamed.csv"); err != nil {
		t.Fatal(err)
	}
	if loaded, err := st.SyncRegions(ctx, renamed); err != nil || !loaded {
		t.Fatalf("sync of a renamed unit: loaded=%v err=%v", loaded, err)
	}
	if m, err := store.Mutations(ctx, st, "regions"); err != nil || m != 0 {
		t.Errorf("loads that remove no code ran %d mutations (err %v), want 0", m, err)
	}
	// A changed hierarchy replaces the old one: units that disappeared go.
	small, err := schemas.LoadCSV(strings.NewReader("code,name,level,parent_code,population\nX,Xcity,2,,100\nY,Ycounty,3,X,60\n"), "small.csv")
	if err != nil {
		t.Fatal(err)
	}
	if loaded, err := st.SyncRegions(ctx, small); err != nil || !loaded {
		t.Fatalf("sync of a new registry: loaded=%v err=%v", loaded, err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		n, err = st.CountRows(ctx, "regions")
		if err != nil {
			t.Fatal(err)
		}
		if n == 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond) // ALTER … DELETE is an asynchronous mutation
	}
	if n != 2 {
		t.Errorf("after replacing the registry regions has %d rows, want 2", n)
	}
	if m, err := store.Mutations(ctx, st, "regions"); err != nil || m != 1 {
		t.Errorf("the load that removed codes ran %d mutations (err %v), want 1", m, err)
	}
	if loaded, err := st.SyncCategories(ctx, schemas.Taxonomy); err != nil || !loaded {
		t.Fatalf("categories: loaded=%v err=%v", loaded, err)
	}
	if n, _ := st.CountRows(ctx, "categories"); n != uint64(len(schemas.Taxonomy)) {
		t.Errorf("categories has %d rows, want %d", n, len(schemas.Taxonomy))
	}
}

func TestOpenRejectsBadDatabaseName(t *testing.T) {
	_, err := store.Open(context.Background(), store.Options{Addrs: []string{"127.0.0.1:1"}, Database: "x; DROP TABLE y"})
	if err == nil || !strings.Contains(err.Error(), "not a plain identifier") {
		t.Errorf("err = %v", err)
	}
}

// TestRollupCountsACaseOnce: the trends' daily rollup counts a case once,
// whatever versions and re-deliveries of it arrive, and the views copy every
// delivery (the same checks the chDB run makes on current ClickHouse, here
// on the test server).
func TestRollupCountsACaseOnce(t *testing.T) {
	st := openFresh(t)
	ctx := context.Background()
	migs, _ := schemas.Migrations()
	if _, err := st.Migrate(ctx, migs); err != nil {
		t.Fatal(err)
	}
	ch := testenv.ClickHouse(t)
	db := st.Database()
	cols := "source, case_id, version, reported_at, reported_date, region_code, county_code, category, status, parties, amount_cny, _topic, _partition, _offset"
	v1 := "('platform', 'c1', 1, toDateTime('2026-03-02 09:00:00', 'Asia/Shanghai'), toDate('2026-03-02'), '150502001001', '150502000000', 'labor.wage_arrears', 'accepted', 36, 120000, 'disputes', 0, 10)"
	v2 := "('platform', 'c1', 2, toDateTime('2026-03-02 09:00:00', 'Asia/Shanghai'), toDate('2026-03-02'), '150502001001', '150502000000', 'labor.wage_arrears', 'resolved', 36, 120000, 'disputes', 0, 11)"
	other := "('hotline', 'c1', 1, toDateTime('2026-03-02 10:00:00', 'Asia/Shanghai'), toDate('2026-03-02'), '150502001001', '150502000000', 'neighbor.noise', 'accepted', 2, 0, 'disputes', 1, 3)"
	for _, r := range []string{v1, v2, v1, other} { // v1 is delivered twice
		if _, err := ch.Query(ctx, "INSERT INTO "+db+".cases ("+cols+") VALUES "+r); err != nil {
			t.Fatal(err)
		}
	}
	days, err := st.APIDailyChangedDays(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.APIRefreshDaily(ctx, days, time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	got, err := ch.Query(ctx, "SELECT sum(cases), sum(resolved) FROM "+db+".api_daily WHERE dim = '' AND day = toDate('2026-03-02')")
	if err != nil {
		t.Fatal(err)
	}
	// Two cases (platform c1 and hotline c1), one of them resolved.
	if strings.TrimSpace(got) != "2\t1" {
		t.Errorf("api_daily = %q, want 2 cases, 1 resolved", got)
	}
	got, err = ch.Query(ctx, "SELECT count() FROM "+db+".case_updates")
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(got) != "4" {
		t.Errorf("case_updates has %q rows, want 4 (every delivery; builds take the newest version)", got)
	}
	got, err = ch.Query(ctx, "SELECT count() FROM "+db+".case_events FINAL")
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(got) != "3" {
		t.Errorf("case_events FINAL has %q rows, want 3 (the re-delivered version collapses)", got)
	}
	// cases keeps the latest version of each case.
	got, err = ch.Query(ctx, "SELECT source, case_id, version, status FROM "+db+".cases FINAL ORDER BY source")
	if err != nil {
		t.Fatal(err)
	}
	if want := "platform\tc1\t2\tresolved\nhotline\tc1\t1\taccepted\n"; got != want {
		t.Errorf("cases FINAL = %q, want %q", got, want)
	}
}

// TestInsertCasesRoundTrip: rows written in several blocks come back with
// their values, cases holds the latest version, and a repeated insert
// changes no count.
func TestInsertCasesRoundTrip(t *testing.T) {
	st := openFresh(t)
	ctx := context.Background()
	migs, _ := schemas.Migrations()
	if _, err := st.Migrate(ctx, migs); err != nil {
		t.Fatal(err)
	}
	rows := benchRows(20000, 30) // more than two insert blocks
	v2 := rows[7]
	v2.Version, v2.Status, v2.Offset = 2, schemas.StatusResolved, 99999
	res := time.Date(2025, 2, 1, 8, 0, 0, 0, time.UTC)
	v2.ResolvedAt = &res
	lat := 43.65
	v2.Lat = &lat
	for i := 0; i < 2; i++ { // the second round is a redelivery
		if err := st.InsertCases(ctx, rows[:10000], rows[10000:], []schemas.CaseRow{v2}); err != nil {
			t.Fatal(err)
		}
	}
	s, err := st.CaseStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s.Rows != 20000 || s.Distinct != 20000 || s.Events != 20001 {
		t.Errorf("stats %+v, want 20000 cases and 20001 versions", s)
	}
	ch := testenv.ClickHouse(t)
	got, err := ch.Query(ctx, "SELECT version, status, toString(resolved_at), lat, amount_cny, village_code, summary = '"+rows[7].Summary+"' FROM "+st.Database()+".cases FINAL WHERE case_id = '"+rows[7].CaseID+"'")
	if err != nil {
		t.Fatal(err)
	}
	if want := "2\tresolved\t2025-02-01 16:00:00\t43.65\t1500.00\t150502001007\t1\n"; got != want {
		t.Errorf("stored row %q, want %q", got, want)
	}
}
