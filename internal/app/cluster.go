package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/riskwatch/riskwatch/internal/config"
	"github.com/riskwatch/riskwatch/store"
)

// clusterCheckTimeout bounds check-config's look at system.clusters.
const clusterCheckTimeout = 10 * time.Second

// checkCluster is check-config's test of clickhouse.cluster: when the
// servers can be reached, the cluster must be in their system.clusters; when
// they cannot, it says it did not check. Without clickhouse.cluster it does
// nothing.
func checkCluster(ctx context.Context, cfg config.Config, stdout io.Writer) error {
	ch := cfg.ClickHouse
	if ch.Cluster == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, clusterCheckTimeout)
	defer cancel()
	info, err := store.DescribeCluster(ctx, store.Options{
		Addrs: ch.Addrs, Username: ch.Username, Password: ch.Password,
		DialTimeout: min(ch.DialTimeout, clusterCheckTimeout), ReadTimeout: clusterCheckTimeout, MaxOpenConns: 1,
		Cluster: ch.Cluster,
	})
	switch {
	case errors.Is(err, store.ErrUnknownCluster):
		return fmt.Errorf("clickhouse.cluster: %w", err)
	case err != nil:
		fmt.Fprintf(stdout, "# clickhouse.cluster %s not checked: %v\n", ch.Cluster, err)
		return nil
	}
	fmt.Fprintf(stdout, "# clickhouse.cluster %s: %d shards, %d replicas, %d nodes in system.clusters of %s\n",
		ch.Cluster, info.Shards, info.Replicas, info.Nodes, info.Server)
	return nil
}

// addClusterHealth adds the "clickhouse_cluster" check to /healthz in
// cluster mode: degraded while the node the store talks to has no ZooKeeper
// session or a read-only replica, since inserts then fail and are retried.
func addClusterHealth(h *health, st *store.Store) {
	if st.Cluster() == "" {
		return
	}
	h.add("clickhouse_cluster", st.ClusterHealth)
}
