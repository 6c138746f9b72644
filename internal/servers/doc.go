// Package servers starts real, throwaway server processes on the loopback
// interface: a ClickHouse server (the Debian 18.16 clickhouse-server or a
// modern single-binary clickhouse), a single-node Apache Kafka broker in
// KRaft mode, run from the official jars on the machine's Java, and for the
// cluster tests a standalone Apache ZooKeeper (jars from Maven Central, see
// scripts/zookeeper-jars.sh) with a ClickHouse cluster of shards × replicas
// around it (cluster.go: generated remote_servers, macros, zookeeper and
// interserver settings in each server's config.d/cluster.xml).
//
// It sits below both the test helpers in internal/testenv and the
// `riskwatch run` command, which uses it to start a local ClickHouse under
// .run/. It owns everything about those processes: finding the binaries,
// generating their configuration, picking free loopback ports, waiting until
// they answer, reading their versions, and stopping or killing them. It does
// not talk to the servers beyond what readiness needs (plain HTTP for
// ClickHouse, a metadata request for Kafka); schema and data belong to the
// store and ingest packages.
//
// Every process runs in its own process group with a parent-death signal of
// SIGKILL, so a killed test binary does not leave servers behind. Every
// server listens on 127.0.0.1 only.
package servers
