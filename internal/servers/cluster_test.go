package servers_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/internal/testenv"
)

// TestClusterReplicatesAndDistributes starts the 2 × 2 cluster and checks
// what the cluster mode relies on: every server lists the four nodes in
// system.clusters, an ON CLUSTER DDL reaches all of them, a row inserted on
// one replica appears on the other replica of its shard (through ZooKeeper
// and the interserver port) and not on the other shard, and a Distributed
// table sees the rows of both shards once.
func TestClusterReplicatesAndDistributes(t *testing.T) {
	c := testenv.NewCluster(t)
	ctx := testContext(t, 4*time.Minute)
	for _, n := range c.All() {
		if got := query(t, ctx, n, "SELECT count() FROM system.clusters WHERE cluster = 'riskwatch'"); got != "4" {
			t.Fatalf("%s: system.clusters lists %s nodes of riskwatch, want 4", n.Addr, got)
		}
	}
	first := c.Nodes[0][0]
	query(t, ctx, first, "CREATE DATABASE IF NOT EXISTS clt ON CLUSTER riskwatch")
	query(t, ctx, first, "CREATE TABLE clt.t_local ON CLUSTER riskwatch (k UInt32, v String) "+
		"ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/clt/t', '{replica}') ORDER BY k")
	query(t, ctx, first, "CREATE TABLE clt.t ON CLUSTER riskwatch AS clt.t_local ENGINE = Distributed(riskwatch, clt, t_local, k)")
	// One row per shard, each inserted on that shard's first replica.
	for s := range c.Nodes {
		query(t, ctx, c.Nodes[s][0], fmt.Sprintf("INSERT INTO clt.t_local (k, v) VALUES (%d, 'shard%d')", s+1, s+1))
	}
	// Replication to the second replica is asynchronous: every replica
	// must hold its shard's row before a Distributed read, which may ask
	// either replica of each shard, can see both rows.
	for s, reps := range c.Nodes {
		for r, n := range reps {
			var got string
			for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
				got = query(t, ctx, n, "SELECT groupArray(v) FROM clt.t_local")
				if got != "[]" || time.Now().After(deadline) {
					break
				}
			}
			if want := fmt.Sprintf("['shard%d']", s+1); got != want {
				t.Errorf("shard %d replica %d holds %s locally, want %s", s+1, r+1, got, want)
			}
		}
	}
	for s, reps := range c.Nodes {
		for r, n := range reps {
			if got := query(t, ctx, n, "SELECT arrayStringConcat(arraySort(groupArray(v)), ',') FROM clt.t"); got != "shard1,shard2" {
				t.Errorf("shard %d replica %d: the Distributed table reads %q, want shard1,shard2", s+1, r+1, got)
			}
		}
	}
	if !strings.Contains(c.Describe(), "ZooKeeper 3.") {
		t.Errorf("Describe does not name the ZooKeeper version: %s", c.Describe())
	}
}
