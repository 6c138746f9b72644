package config

import (
	"strings"
	"testing"
)

func TestConfigClusterKeys(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"clickhouse:\n  local: {enabled: false}\n  addrs: [h:9000]\n  cluster: 'a-b'\n", "clickhouse.cluster: "},
		{"clickhouse:\n  local: {enabled: true, dir: x}\n  cluster: rw\n", "clickhouse.cluster: cannot be used with clickhouse.local"},
		{"clickhouse:\n  local: {enabled: false}\n  addrs: [h:9000]\n  zookeeper_path: /a/{table}\n", "clickhouse.zookeeper_path: only used with clickhouse.cluster"},
		{"clickhouse:\n  local: {enabled: false}\n  addrs: [h:9000]\n  cluster: rw\n  zookeeper_path: /ch/{database}/{table}\n", "clickhouse.zookeeper_path: \"/ch/{database}/{table}\" lacks {shard}"},
		{"clickhouse:\n  local: {enabled: false}\n  addrs: [h:9000]\n  cluster: rw\n  replica_name: \"a'b\"\n", "clickhouse.replica_name: "},
		{"clickhouse:\n  local: {enabled: false}\n  addrs: [h:9000]\n  cluster: rw\n  cluster_insert: shard\n", "clickhouse.cluster_insert: \"shard\" is not distributed or local"},
		{"clickhouse:\n  local: {enabled: false}\n  addrs: [h:9000]\n  cluster_insert: local\n", "clickhouse.cluster_insert: only used with clickhouse.cluster"},
	} {
		_, err := Parse([]byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want it to contain %q", tc.yaml, err, tc.want)
		}
	}
	c, err := Parse([]byte("clickhouse:\n  local: {enabled: false}\n  addrs: [a:9000, b:9000]\n  cluster: riskwatch\n  zookeeper_path: /ch/{shard}/{database}/{table}\n  replica_name: '{replica}'\n  cluster_insert: local\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.ClickHouse.Cluster != "riskwatch" || c.ClickHouse.ZooKeeperPath != "/ch/{shard}/{database}/{table}" || c.ClickHouse.ReplicaName != "{replica}" || c.ClickHouse.ClusterInsert != "local" {
		t.Errorf("cluster keys parsed as %+v", c.ClickHouse)
	}
}

// TestExampleConfigsAreValid loads every configuration under examples/.
func TestExampleConfigsAreValid(t *testing.T) {
	for _, name := range []string{"city", "province", "national"} {
		c, err := Load("../../examples/" + name + ".yaml")
		if err != nil {
			t.Errorf("examples/%s.yaml: %v", name, err)
			continue
		}
		if (name == "city") != (c.ClickHouse.Cluster == "") {
			t.Errorf("examples/%s.yaml: clickhouse.cluster %q", name, c.ClickHouse.Cluster)
		}
	}
}
