// Package store is the only package that imports clickhouse-go. It sits at
// the bottom of the flow: ingest hands it batches through a small interface,
// the index jobs read aggregations through theirs, and both see only this
// package's own types, never a driver.Conn.
//
// It owns the connection pool, the migrations runner (schema_migrations,
// idempotent, failures named by file and statement) and the loading of
// reference data (regions, categories). It does not decide what to store or
// when: callers do.
//
// With Options.Cluster the same migrations run on a ClickHouse cluster
// (cluster.go): the store translates each single-node statement into its
// ON CLUSTER form, with Replicated engines, the case tables sharded behind
// Distributed tables that keep the names every query uses, and a ZooKeeper
// lock so that concurrent migrate runs apply each migration once.
package store
