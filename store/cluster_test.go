package store_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/riskwatch/riskwatch/internal/servers"
	"github.com/riskwatch/riskwatch/internal/testenv"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

// openCluster opens a store in cluster mode on one node of c, on database
// db, and closes it when the test ends.
func openCluster(t *testing.T, node *servers.ClickHouse, db string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), store.Options{
		Addrs: []string{node.Addr}, Database: db, Username: "default", Cluster: "riskwatch",
		DialTimeout: 10 * time.Second, ReadTimeout: 3 * time.Minute, MaxOpenConns: 4, Compression: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// openClusterInsert is openCluster with the insert mode of the case tables.
func openClusterInsert(t *testing.T, node *servers.ClickHouse, db, mode string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), store.Options{
		Addrs: []string{node.Addr}, Database: db, Username: "default", Cluster: "riskwatch", ClusterInsert: mode,
		DialTimeout: 10 * time.Second, ReadTimeout: 3 * time.Minute, MaxOpenConns: 4, Compression: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// nodeQuery runs sql on one node and fails the test on error.
func nodeQuery(t *testing.T, n *servers.ClickHouse, sql string) string {
	t.Helper()
	out, err := n.Query(context.Background(), sql)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(out)
}

// waitNode polls sql on n until it returns want or 60 s pass, and returns
// the last answer.
func waitNode(t *testing.T, n *servers.ClickHouse, sql, want string) string {
	t.Helper()
	var got string
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(250 * time.Millisecond) {
		got = nodeQuery(t, n, sql)
		if got == want || time.Now().After(deadline) {
			return got
		}
	}
}

// TestClusterStore runs the store on the local 2 × 2 cluster.
func TestClusterStore(t *testing.T) {
	c := testenv.NewCluster(t)
	ctx := context.Background()
	migs, err := schemas.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	db := testenv.FreshDatabase(t, "cl")
	first := openCluster(t, c.Nodes[0][0], db)
	applied, err := first.Migrate(ctx, migs)
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) != len(migs) {
		t.Fatalf("the first migrate applied %v, want all %d", applied, len(migs))
	}

	t.Run("SchemaOnEveryNode", func(t *testing.T) {
		for _, n := range c.All() {
			engines := nodeQuery(t, n, "SELECT arrayStringConcat(groupArray(concat(name, ':', engine)), ' ') FROM (SELECT name, engine FROM system.tables WHERE database = '"+db+"' ORDER BY name)")
			for _, want := range []string{
				"cases:Distributed", "cases_local:ReplicatedReplacingMergeTree",
				"case_events:Distributed", "case_events_local:ReplicatedReplacingMergeTree",
				"case_updates:Distributed", "case_updates_local:ReplicatedMergeTree",
				"case_events_mv:MaterializedView", "case_updates_mv:MaterializedView",
				"risk_index:ReplicatedReplacingMergeTree", "regions:ReplicatedReplacingMergeTree",
				"schema_migrations:ReplicatedMergeTree", "warning_deliveries:ReplicatedMergeTree",
			} {
				if !strings.Contains(" "+engines+" ", " "+want+" ") {
					t.Errorf("%s: no %s among %s", n.Addr, want, engines)
				}
			}
			if strings.Contains(engines, "risk_index_local") {
				t.Errorf("%s: risk_index is sharded (%s), want it replicated to every node", n.Addr, engines)
			}
			if strings.Contains(engines, "cases_daily") {
				t.Errorf("%s: cases_daily is still there (%s), want it dropped with its view", n.Addr, engines)
			}
			if got := waitNode(t, n, "SELECT count() FROM "+db+".schema_migrations", fmt.Sprint(len(migs))); got != fmt.Sprint(len(migs)) {
				t.Errorf("%s: schema_migrations has %s rows, want %d (once per cluster)", n.Addr, got, len(migs))
			}
		}
		// A migrate connected to another node sees them applied, and
		// enqueues no distributed DDL (it would wait for every node's DDL
		// worker; a command opening a migrated database must not).
		ddlTasks := "SELECT count() FROM system.zookeeper WHERE path = '/clickhouse/task_queue/ddl'"
		before := nodeQuery(t, c.Nodes[0][0], ddlTasks)
		other := openCluster(t, c.Nodes[1][1], db)
		again, err := other.Migrate(ctx, migs)
		if err != nil {
			t.Fatal(err)
		}
		if len(again) != 0 {
			t.Errorf("a migrate on another node applied %v, want nothing", again)
		}
		if after := nodeQuery(t, c.Nodes[0][0], ddlTasks); after != before {
			t.Errorf("opening and migrating an up-to-date database enqueued distributed DDL: %s tasks before, %s after", before, after)
		}
	})

	t.Run("InsertOnceOnOneShard", func(t *testing.T) {
		checkInsertOnce(t, c, db, store.ClusterInsertDistributed)
	})

	// The local-shard insert path on a database of its own: the same rows
	// land on the same shards as through the Distributed table, a
	// redelivered batch counts once, and the views see every row once.
	t.Run("LocalInsertOnceOnItsShard", func(t *testing.T) {
		db3 := testenv.FreshDatabase(t, "cl")
		if _, err := openCluster(t, c.Nodes[0][1], db3).Migrate(ctx, migs); err != nil {
			t.Fatal(err)
		}
		// The nodes the two stores talk to lose their Distributed table:
		// the local path never writes through it.
		for _, n := range []*servers.ClickHouse{c.Nodes[0][0], c.Nodes[1][0]} {
			nodeQuery(t, n, "DETACH TABLE "+db3+".cases")
		}
		checkInsertOnce(t, c, db3, store.ClusterInsertLocal)
	})

	// An insert whose view fails after the table took the block (here:
	// the view's table detached; in production a ZooKeeper connection lost
	// in between) is retried: the view's rows must arrive with the retry.
	t.Run("RetryAfterAViewFailed", func(t *testing.T) {
		st := openCluster(t, c.Nodes[0][0], db)
		before, err := st.CaseStats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		rows := benchRows(2000, 5)
		for i := range rows {
			rows[i].CaseID = "retry-" + rows[i].CaseID
		}
		// A view that fails at write time (its table has a column it does
		// not fill) and runs before case_events_mv (views run in name
		// order) fails the insert after cases_local took the block and
		// before case_events_local got its rows. Created on each node
		// alone: no distributed DDL.
		for _, n := range c.All() {
			nodeQuery(t, n, "CREATE TABLE "+db+".retry_sink (case_id String, retry_probe UInt8) ENGINE = MergeTree ORDER BY case_id")
			nodeQuery(t, n, "CREATE MATERIALIZED VIEW "+db+".a_retry_mv TO "+db+".retry_sink AS SELECT case_id FROM "+db+".cases_local")
		}
		if err := st.InsertCases(ctx, rows); err == nil {
			t.Fatal("the insert succeeded while a view could not write")
		} else {
			t.Logf("the failing insert: %v", err)
		}
		for _, n := range c.All() {
			nodeQuery(t, n, "DROP TABLE "+db+".a_retry_mv")
			nodeQuery(t, n, "DROP TABLE "+db+".retry_sink")
		}
		for _, n := range c.All() {
			nodeQuery(t, n, "SYSTEM SYNC REPLICA "+db+".cases_local")
			nodeQuery(t, n, "SYSTEM SYNC REPLICA "+db+".case_events_local")
		}
		mid, err := st.CaseStats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if mid.Rows == before.Rows || mid.Events != before.Events {
			t.Fatalf("after the failed insert: %+v (before: %+v); want cases to hold rows of the batch and case_events none, the state the retry must repair", mid, before)
		}
		if err := st.InsertCases(ctx, rows); err != nil {
			t.Fatal(err)
		}
		for _, n := range c.All() {
			nodeQuery(t, n, "SYSTEM SYNC REPLICA "+db+".case_events_local")
		}
		after, err := st.CaseStats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if after.Rows != before.Rows+2000 || after.Events != before.Events+2000 {
			t.Errorf("after the retry: %+v, want %d cases and %d versions (2,000 more of each than %+v)", after, before.Rows+2000, before.Events+2000, before)
		}
	})

	t.Run("AddColumnReachesEveryNode", func(t *testing.T) {
		add := append(slices.Clone(migs), loadExtra(t, map[string]string{
			"9001_add_columns.sql": "ALTER TABLE cases ADD COLUMN cluster_probe UInt8 DEFAULT 7;\nALTER TABLE risk_index ADD COLUMN cluster_probe2 String DEFAULT 'x';",
		})...)
		applied, err := openCluster(t, c.Nodes[1][1], db).Migrate(ctx, add)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(applied, []string{"9001_add_columns.sql"}) {
			t.Fatalf("applied %v, want the new migration only", applied)
		}
		// No ALTER goes through the distributed DDL queue: 18.16's DDL
		// worker races on an ON CLUSTER ALTER of a replicated table (both
		// replicas of a shard run it, the second's worker thread stops).
		if got := nodeQuery(t, c.Nodes[0][0], "SELECT count() FROM system.zookeeper WHERE path = '/clickhouse/task_queue/ddl' AND value LIKE '%ALTER TABLE%'"); got != "0" {
			t.Errorf("%s ALTER statements went ON CLUSTER through the DDL queue, want none", got)
		}
		for _, n := range c.All() {
			for _, tc := range []struct{ table, col string }{{"cases", "cluster_probe"}, {"cases_local", "cluster_probe"}, {"risk_index", "cluster_probe2"}} {
				q := "SELECT count() FROM system.columns WHERE database = '" + db + "' AND table = '" + tc.table + "' AND name = '" + tc.col + "'"
				if got := waitNode(t, n, q, "1"); got != "1" {
					t.Errorf("%s: %s has no column %s", n.Addr, tc.table, tc.col)
				}
			}
			if got := nodeQuery(t, n, "SELECT DISTINCT cluster_probe FROM "+db+".cases"); got != "7" {
				t.Errorf("%s: cases.cluster_probe reads %q, want 7", n.Addr, got)
			}
		}
	})

	t.Run("ConcurrentMigrateAppliesOnce", func(t *testing.T) {
		db2 := testenv.FreshDatabase(t, "cl")
		var (
			wg   sync.WaitGroup
			got  [2][]string
			errs [2]error
		)
		for i, n := range []*servers.ClickHouse{c.Nodes[0][1], c.Nodes[1][0]} {
			st := openCluster(t, n, db2)
			wg.Add(1)
			go func() {
				defer wg.Done()
				got[i], errs[i] = st.Migrate(ctx, migs)
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("run %d: %v", i+1, err)
			}
		}
		all := append(slices.Clone(got[0]), got[1]...)
		slices.Sort(all)
		if len(all) != len(migs) || len(slices.Compact(slices.Clone(all))) != len(migs) {
			t.Errorf("two concurrent runs applied %v and %v, want every migration applied by exactly one", got[0], got[1])
		}
	})
}

// loadExtra loads migration files given as name → text.
func loadExtra(t *testing.T, files map[string]string) []schemas.Migration {
	t.Helper()
	fsys := fstest.MapFS{}
	for name, text := range files {
		fsys["m/"+name] = &fstest.MapFile{Data: []byte(text)}
	}
	migs, err := schemas.LoadMigrations(fsys, "m")
	if err != nil {
		t.Fatal(err)
	}
	return migs
}

// checkInsertOnce inserts 20,000 cases and one second version into db on
// cluster c in insert mode mode, then the same batch again through another
// node (a redelivery), and checks that every case version is stored once,
// on the shard ClickHouse's own sharding key names, on both its replicas,
// and that the views fed from cases_local saw every row once.
func checkInsertOnce(t *testing.T, c *servers.Cluster, db, mode string) {
	t.Helper()
	ctx := context.Background()
	rows := benchRows(20000, 30)
	v2 := rows[7]
	v2.Version, v2.Status, v2.Offset = 2, schemas.StatusResolved, 99999
	// The second round is a redelivery of the same batch, through
	// another node.
	for _, st := range []*store.Store{openClusterInsert(t, c.Nodes[0][0], db, mode), openClusterInsert(t, c.Nodes[1][0], db, mode)} {
		if err := st.InsertCases(ctx, rows[:10000], rows[10000:], []schemas.CaseRow{v2}); err != nil {
			t.Fatal(err)
		}
	}
	s, err := openCluster(t, c.Nodes[0][1], db).CaseStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s.Rows != 20000 || s.Distinct != 20000 || s.Events != 20001 {
		t.Errorf("stats %+v, want 20000 cases and 20001 versions", s)
	}
	// Every replica first fetches what the other replica of its shard
	// took (an insert lands on one replica per shard).
	for _, n := range c.All() {
		for _, table := range []string{"cases_local", "case_events_local", "case_updates_local"} {
			nodeQuery(t, n, "SYSTEM SYNC REPLICA "+db+"."+table)
		}
	}
	// The redelivered blocks were dropped as duplicates: no shard holds
	// a row twice before any merge (rows, not FINAL).
	total := 0
	for sh, reps := range c.Nodes {
		for r, n := range reps {
			got := waitNode(t, n, "SELECT count() = uniqExact(source, case_id, version) FROM "+db+".cases_local", "1")
			if got != "1" {
				t.Errorf("shard %d replica %d holds a case version twice", sh+1, r+1)
			}
		}
		var k int
		fmt.Sscan(nodeQuery(t, reps[0], "SELECT uniqExact(source, case_id) FROM "+db+".cases_local"), &k)
		if k == 0 || k == 20000 {
			t.Errorf("shard %d holds %d of 20000 cases, want a share", sh+1, k)
		}
		total += k
		// Each case is on the shard the Distributed table's key names.
		if got := nodeQuery(t, reps[0], fmt.Sprintf("SELECT count() FROM %s.cases_local WHERE cityHash64(toString(source), case_id) %% %d != %d", db, len(c.Nodes), sh)); got != "0" {
			t.Errorf("shard %d holds %s case versions that cityHash64(toString(source), case_id) puts on another shard", sh+1, got)
		}
		// Both replicas of a shard hold the same rows.
		want := nodeQuery(t, reps[0], "SELECT count(), sum(cityHash64(case_id, version)) FROM "+db+".cases_local")
		if got := waitNode(t, reps[1], "SELECT count(), sum(cityHash64(case_id, version)) FROM "+db+".cases_local", want); got != want {
			t.Errorf("shard %d: replica 2 has %q, replica 1 %q", sh+1, got, want)
		}
		// The view fired once per row: case_events_local matches.
		if got := nodeQuery(t, reps[0], "SELECT count() FROM "+db+".case_events_local FINAL"); got != nodeQuery(t, reps[0], "SELECT count() FROM "+db+".cases_local") {
			t.Errorf("shard %d: case_events_local has %s rows", sh+1, got)
		}
	}
	if total != 20000 {
		t.Errorf("the shards hold %d cases together, want 20000 (each case on one shard)", total)
	}
	got := nodeQuery(t, c.Nodes[0][1], "SELECT uniqExact(source, case_id) FROM "+db+".case_updates")
	if got != "20000" {
		t.Errorf("case_updates over the cluster holds %s cases, want 20000", got)
	}
}
