package config

import (
	"fmt"
	"strings"
)

// Cluster mode (clickhouse.cluster: NAME) runs the store on a ClickHouse
// cluster: NAME is the cluster in the servers' remote_servers; the
// migrations create Replicated tables on every node of it (ON CLUSTER), the
// case tables sharded behind Distributed tables. clickhouse.zookeeper_path is
// the replicated tables' ZooKeeper path, with the servers' {shard} macro and
// {database} and {table}, which riskwatch fills in (default
// /clickhouse/tables/{shard}/{database}/{table}); clickhouse.replica_name is
// the replica name (default the servers' {replica} macro, which must be
// unique over the cluster). clickhouse.cluster_insert is how ingest writes
// the case tables: "distributed" (the default: synchronous inserts into the
// Distributed table) or "local" (into each shard's _local table, split by
// the sharding key in the ingester).

// validateCluster checks the cluster keys of ch.
func validateCluster(ch ClickHouse) []error {
	var errs []error
	bad := func(key, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{key}, a...)...))
	}
	if ch.Cluster == "" {
		if ch.ZooKeeperPath != "" {
			bad("clickhouse.zookeeper_path", "only used with clickhouse.cluster")
		}
		if ch.ReplicaName != "" {
			bad("clickhouse.replica_name", "only used with clickhouse.cluster")
		}
		if ch.ClusterInsert != "" {
			bad("clickhouse.cluster_insert", "only used with clickhouse.cluster")
		}
		return errs
	}
	switch ch.ClusterInsert {
	case "", "distributed", "local":
	default:
		bad("clickhouse.cluster_insert", "%q is not distributed or local", ch.ClusterInsert)
	}
	if !identifier.MatchString(ch.Cluster) {
		bad("clickhouse.cluster", "%q is not a plain identifier", ch.Cluster)
	}
	if ch.Local.Enabled {
		bad("clickhouse.cluster", "cannot be used with clickhouse.local (one local server is no cluster)")
	}
	if p := ch.ZooKeeperPath; p != "" {
		for _, m := range []string{"{shard}", "{table}", "{database}"} {
			if !strings.Contains(p, m) {
				bad("clickhouse.zookeeper_path", "%q lacks %s: every shard, table and database needs its own path", p, m)
			}
		}
		if !strings.HasPrefix(p, "/") || strings.ContainsAny(p, "'\\") {
			bad("clickhouse.zookeeper_path", "%q must start with / and hold no quote or backslash", p)
		}
	}
	if r := ch.ReplicaName; r != "" && strings.ContainsAny(r, "'\\/") {
		bad("clickhouse.replica_name", "%q must hold no quote, slash or backslash", r)
	}
	return errs
}
