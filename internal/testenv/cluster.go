package testenv

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/internal/servers"
)

// clusterStartTimeout bounds the start of ZooKeeper and four ClickHouse
// servers on a busy two-core machine.
const clusterStartTimeout = 5 * time.Minute

// ZooKeeperVersion returns the ZooKeeper version the cluster tests run:
// $RISKWATCH_ZOOKEEPER_VERSION, or servers.DefaultZooKeeperVersion.
func ZooKeeperVersion() string {
	if v := strings.TrimSpace(os.Getenv("RISKWATCH_ZOOKEEPER_VERSION")); v != "" {
		return v
	}
	return servers.DefaultZooKeeperVersion
}

// NewCluster starts a private ClickHouse cluster of 2 shards × 2 replicas
// with its ZooKeeper, named "riskwatch", on loopback ports in a temporary
// directory, and stops it and removes the directory when the test ends. It
// skips, or fails under CI=true, when ClickHouse, java or the ZooKeeper jars
// are missing. It prints the cluster it started (servers and versions).
func NewCluster(t testing.TB) *servers.Cluster {
	t.Helper()
	if _, err := servers.FindClickHouse(); err != nil {
		missing(t, clickHouseMissingMsg)
	}
	if _, err := servers.FindJava(); err != nil {
		missing(t, "no java on PATH to run ZooKeeper (run make deps)")
	}
	version := ZooKeeperVersion()
	jars := servers.ZooKeeperJarsDir(version)
	if _, err := servers.ZooKeeperJarsVersion(jars); err != nil {
		missing(t, fmt.Sprintf("no Apache ZooKeeper %s jars in %s (run make deps, or scripts/zookeeper-jars.sh %s): %v", version, jars, version, err))
	}
	ctx, cancel := context.WithTimeout(context.Background(), clusterStartTimeout)
	defer cancel()
	c, err := servers.StartCluster(ctx, servers.ClusterOptions{ZooKeeperJarsDir: jars})
	if err != nil {
		t.Fatalf("testenv: start a ClickHouse cluster: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			// What the servers said about ZooKeeper and the distributed
			// DDL, before the directory goes.
			for _, n := range c.All() {
				t.Logf("testenv: %s (%s) log, ZooKeeper and DDL lines:\n%s", n.Addr, n.Dir, grepTail(filepath.Join(n.Dir, "log", "clickhouse-server.err.log"), clusterLogLines, 40))
			}
		}
		if err := c.Stop(); err != nil {
			t.Errorf("testenv: stop the ClickHouse cluster: %v", err)
		}
	})
	t.Logf("testenv: %s", c.Describe())
	fmt.Printf("testenv: %s\n", c.Describe())
	return c
}

// NewKafkaCluster starts a private three-broker Apache Kafka (KRaft) cluster
// with replication factor 3 and min.insync.replicas 2 for topics, of the
// version Kafka would use, and stops it when the test ends. It skips, or
// fails under CI=true, when the jars or java are missing.
func NewKafkaCluster(t testing.TB) *servers.KafkaCluster {
	t.Helper()
	o, msg := kafkaOptions()
	if msg != "" {
		missing(t, msg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), clusterStartTimeout)
	defer cancel()
	k, err := servers.StartKafkaCluster(ctx, servers.KafkaClusterOptions{JarsDir: o.JarsDir})
	if err != nil {
		t.Fatalf("testenv: start a Kafka cluster: %v", err)
	}
	t.Cleanup(func() {
		if err := k.Stop(); err != nil {
			t.Errorf("testenv: stop the Kafka cluster: %v", err)
		}
	})
	t.Logf("testenv: %s", k.Describe())
	fmt.Printf("testenv: %s\n", k.Describe())
	return k
}

// clusterLogLines are the lines of a cluster node's error log that explain a
// hanging ON CLUSTER query or a read-only replica.
var clusterLogLines = regexp.MustCompile(`DDLWorker|ZooKeeper|Coordination|[Ss]ession`)

// grepTail returns the last n lines of file that match re.
func grepTail(file string, re *regexp.Regexp, n int) string {
	b, err := os.ReadFile(file)
	if err != nil {
		return err.Error()
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if re.MatchString(line) {
			out = append(out, line)
		}
	}
	if len(out) > n {
		out = out[len(out)-n:]
	}
	return strings.Join(out, "\n")
}
