package store

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/go-faster/city"

	"github.com/riskwatch/riskwatch/schemas"
)

// How ingest writes the case tables in cluster mode (Options.ClusterInsert).
const (
	// ClusterInsertDistributed inserts into the Distributed table with
	// insert_distributed_sync: the node the store talks to splits each
	// block by the sharding key and writes every part to one replica of
	// its shard before the insert returns.
	ClusterInsertDistributed = "distributed"
	// ClusterInsertLocal splits each batch by the same key in the store and
	// inserts every part into the _local table of its shard, over a
	// connection to that shard's replicas.
	ClusterInsertLocal = "local"
)

// shardRouter holds one connection pool per shard of the cluster (each
// listing that shard's replicas) and the slot table of the shard weights,
// read from system.clusters on first use.
type shardRouter struct {
	mu     sync.Mutex
	conns  []driver.Conn // by shard, in shard_num order
	slots  []int         // slot → index into conns, as the Distributed engine builds it
	failed string        // caseBatchKey of the last batch whose insert failed
}

// An insert into a replicated table with materialized views can fail after
// the table took the block and before a view's table took its output (a
// ZooKeeper connection lost in between). Retried as is, the table drops the
// block as a duplicate and ClickHouse then skips the views, so the view's
// rows would never arrive. The retry of a failed batch is therefore sent
// with insert_deduplicate=0: what arrived twice collapses in the
// Replacing/Aggregating tables as any re-delivery does.

// caseBatchKey identifies a batch of case rows for recognising its retry.
func caseBatchKey(n int, rows [][]schemas.CaseRow) string {
	var first, last *schemas.CaseRow
	for _, rs := range rows {
		if len(rs) > 0 {
			if first == nil {
				first = &rs[0]
			}
			last = &rs[len(rs)-1]
		}
	}
	if first == nil {
		return ""
	}
	return fmt.Sprintf("%d|%s|%s|%d|%d|%s|%s|%d|%d", n, first.Source, first.CaseID, first.Version, first.Offset, last.Source, last.CaseID, last.Version, last.Offset)
}

// failedBefore reports whether the last failed insert was of this batch.
func (r *shardRouter) failedBefore(key string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return key != "" && r.failed == key
}

// noteInsert records the outcome of inserting the batch key.
func (r *shardRouter) noteInsert(key string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case err != nil:
		r.failed = key
	case r.failed == key:
		r.failed = ""
	}
}

// close closes the shard connections.
func (r *shardRouter) close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var errs []error
	for _, c := range r.conns {
		errs = append(errs, c.Close())
	}
	r.conns, r.slots = nil, nil
	return errors.Join(errs...)
}

// shards returns the shard connections and the slot table, connecting on
// first use; a failed attempt is tried again on the next call.
func (s *Store) shards(ctx context.Context) ([]driver.Conn, []int, error) {
	r := s.router
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.conns != nil {
		return r.conns, r.slots, nil
	}
	rows, err := s.conn.Query(ctx, "SELECT shard_num, shard_weight, host_address, port FROM system.clusters WHERE cluster = ? ORDER BY shard_num, replica_num", s.cl.name)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot list the shards of cluster %s: %w", s.cl.name, err)
	}
	type shard struct {
		num    uint32
		weight uint32
		addrs  []string
	}
	var list []*shard
	for rows.Next() {
		var (
			num, weight uint32
			host        string
			port        uint16
		)
		if err := rows.Scan(&num, &weight, &host, &port); err != nil {
			rows.Close()
			return nil, nil, fmt.Errorf("cannot list the shards of cluster %s: %w", s.cl.name, err)
		}
		if len(list) == 0 || list[len(list)-1].num != num {
			list = append(list, &shard{num: num, weight: weight})
		}
		sh := list[len(list)-1]
		sh.addrs = append(sh.addrs, net.JoinHostPort(host, strconv.Itoa(int(port))))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("cannot list the shards of cluster %s: %w", s.cl.name, err)
	}
	if len(list) == 0 {
		return nil, nil, fmt.Errorf("cluster %s is not in system.clusters of the server", s.cl.name)
	}
	var (
		conns []driver.Conn
		slots []int
	)
	for i, sh := range list {
		o := s.cl.opts
		o.Addrs = sh.addrs
		c, err := connect(o, s.db)
		if err != nil {
			for _, c := range conns {
				c.Close()
			}
			return nil, nil, err
		}
		conns = append(conns, c)
		for range sh.weight {
			slots = append(slots, i)
		}
	}
	if len(slots) == 0 {
		for _, c := range conns {
			c.Close()
		}
		return nil, nil, fmt.Errorf("cluster %s: every shard has weight 0", s.cl.name)
	}
	r.conns, r.slots = conns, slots
	return conns, slots, nil
}

// insertCasesLocal splits rows by shard, keeping their order, and inserts
// each shard's rows into cases_local on that shard, the shards in parallel.
// A re-delivered batch splits into the same parts, which the shard's
// replicated table drops as duplicates (insert_deduplicate). The views on
// cases_local run on the node that takes the insert, as with the
// Distributed table.
func (s *Store) insertCasesLocal(ctx context.Context, n int, rows [][]schemas.CaseRow) error {
	conns, slots, err := s.shards(ctx)
	if err != nil {
		return fmt.Errorf("cannot insert into cases: %w", err)
	}
	parts := make([][]schemas.CaseRow, len(conns))
	for _, rs := range rows {
		for i := range rs {
			sh := slots[CaseShardKey(rs[i].Source, rs[i].CaseID)%uint64(len(slots))]
			parts[sh] = append(parts[sh], rs[i])
		}
	}
	errs := make([]error, len(conns))
	var wg sync.WaitGroup
	for i, part := range parts {
		if len(part) == 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = insertCaseRows(ctx, conns[i], "cases"+LocalSuffix, len(part), s.block, [][]schemas.CaseRow{part})
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// CaseShardKey is the sharding key of the case tables computed in Go:
// ClickHouse's cityHash64(toString(source), case_id), where toString of the
// source Enum8 is its name (” for an unknown one). cityHash64 of several
// strings hashes each with CityHash64 v1.0.2 and folds them left with
// Hash128to64.
func CaseShardKey(source schemas.Source, caseID string) uint64 {
	src := string(source)
	if e, _ := schemas.EnumFor("source"); e.Code(src) == 0 {
		src = ""
	}
	return hash128to64(city.CH64([]byte(src)), city.CH64([]byte(caseID)))
}

// hash128to64 is CityHash's Hash128to64 of the 128-bit value (low, high).
func hash128to64(low, high uint64) uint64 {
	const mul = 0x9ddfea08eb382d69
	a := (low ^ high) * mul
	a ^= a >> 47
	b := (high ^ a) * mul
	b ^= b >> 47
	return b * mul
}
