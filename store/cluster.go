package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/riskwatch/riskwatch/schemas"
)

// DefaultZooKeeperPath is the ZooKeeper path of a replicated table in
// cluster mode. {shard} and {replica} are the servers' macros; {database}
// and {table} are filled in by the store. A table replicated to every node
// (not sharded) gets "all" for {shard}.
const DefaultZooKeeperPath = "/clickhouse/tables/{shard}/{database}/{table}"

// DefaultReplicaName is the replica name of a replicated table in cluster
// mode: the servers' {replica} macro, which must be unique over the cluster.
const DefaultReplicaName = "{replica}"

// LocalSuffix names the per-shard table under a sharded table: the
// Distributed table keeps the name the code reads (cases), the data lives in
// cases_local on each shard.
const LocalSuffix = "_local"

// shardedRoots are the tables ingest writes, sharded by the case key so that
// every version of a case lands on one shard and ReplacingMergeTree, FINAL
// and uniqExact per case stay correct within a shard. Every table a
// materialized view on a sharded table writes to is sharded too (the view
// runs on the node the insert lands on and writes next to it). Every other
// table (job results, reference data, warnings, API state) is small and is
// replicated whole to every node: any node answers reads of it alone, joins
// with it stay local on each shard, and a job's write lands once.
var shardedRoots = map[string]string{
	"cases": "cityHash64(toString(source), case_id)",
}

// clusterDialect turns the single-node DDL of the migrations into the
// cluster DDL. It is the only second form of the schema: the migrations are
// written once, for a single node.
type clusterDialect struct {
	cluster  string
	db       string
	zkPath   string
	replica  string
	sharding map[string]string // sharded table → sharding key ("" = none: no inserts through it)
}

func newClusterDialect(cluster, db, zkPath, replica string, migs []schemas.Migration) *clusterDialect {
	if zkPath == "" {
		zkPath = DefaultZooKeeperPath
	}
	if replica == "" {
		replica = DefaultReplicaName
	}
	d := &clusterDialect{cluster: cluster, db: db, zkPath: zkPath, replica: replica, sharding: map[string]string{}}
	for t, k := range shardedRoots {
		d.sharding[t] = k
	}
	// Views come after their tables in the migrations, but a view can be
	// added later for an earlier table: collect every view first, then
	// close the sharded set over "a view on a sharded table writes here".
	type edge struct{ from, to string }
	var views []edge
	for _, m := range migs {
		for _, st := range m.Statements {
			if v := createView.FindStringSubmatch(st.SQL); v != nil {
				if f := fromTable.FindStringSubmatch(v[3]); f != nil {
					views = append(views, edge{from: f[1], to: v[2]})
				}
			}
		}
	}
	for changed := true; changed; {
		changed = false
		for _, e := range views {
			if _, src := d.sharding[e.from]; src {
				if _, dst := d.sharding[e.to]; !dst {
					d.sharding[e.to] = ""
					changed = true
				}
			}
		}
	}
	return d
}

// Sharded reports whether table is sharded (a Distributed table over
// <table>_local) rather than replicated to every node.
func (d *clusterDialect) Sharded(table string) bool {
	_, ok := d.sharding[table]
	return ok
}

var (
	createTable = regexp.MustCompile(`(?is)^CREATE\s+TABLE\s+IF\s+NOT\s+EXISTS\s+([A-Za-z_][A-Za-z0-9_]*)\s*(\(.*\))\s*ENGINE\s*=\s*([A-Za-z]*MergeTree)\s*(\(([^()]*)\))?(.*)$`)
	createView  = regexp.MustCompile(`(?is)^CREATE\s+MATERIALIZED\s+VIEW\s+IF\s+NOT\s+EXISTS\s+([A-Za-z_][A-Za-z0-9_]*)\s+TO\s+([A-Za-z_][A-Za-z0-9_]*)\s+AS\s+(SELECT\b.*)$`)
	fromTable   = regexp.MustCompile(`(?is)\bFROM\s+([A-Za-z_][A-Za-z0-9_]*)\b`)
	dropTable   = regexp.MustCompile(`(?is)^DROP\s+TABLE\s+IF\s+EXISTS\s+([A-Za-z_][A-Za-z0-9_]*)\s*$`)
	alterTable  = regexp.MustCompile(`(?is)^ALTER\s+TABLE\s+([A-Za-z_][A-Za-z0-9_]*)(\s+(?:ADD|DROP|MODIFY|COMMENT)\s+COLUMN\b.*)$`)
	insertFrom  = regexp.MustCompile(`(?is)^INSERT\s+INTO\s+([A-Za-z_][A-Za-z0-9_]*)\s+(SELECT\b.*)$`)
)

// Statements returns the cluster form of one single-node migration
// statement. It knows the statement shapes the migrations use (CREATE TABLE
// IF NOT EXISTS … ENGINE = *MergeTree, CREATE MATERIALIZED VIEW IF NOT
// EXISTS … TO … AS SELECT … FROM one table, ALTER TABLE … ADD/DROP/MODIFY
// COLUMN, DROP TABLE IF EXISTS, INSERT INTO … SELECT … FROM one table); any other statement is an error, so that a new shape is noticed by
// the cluster tests instead of running on one node only.
func (d *clusterDialect) Statements(sql string) ([]string, error) {
	sql = strings.TrimSpace(sql)
	on := " ON CLUSTER " + d.cluster
	if m := createTable.FindStringSubmatch(sql); m != nil {
		name, columns, engine, args, rest := m[1], m[2], m[3], strings.TrimSpace(m[5]), m[6]
		key, sharded := d.sharding[name]
		shard := "{shard}"
		local := name
		if !sharded {
			shard = "all"
		} else {
			local = name + LocalSuffix
		}
		path := strings.NewReplacer("{shard}", shard, "{database}", d.db, "{table}", name).Replace(d.zkPath)
		rargs := quote(path) + ", " + quote(d.replica)
		if args != "" {
			rargs += ", " + args
		}
		out := []string{fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s.%s%s\n%s\nENGINE = Replicated%s(%s)\n%s",
			d.db, local, on, columns, engine, rargs, strings.TrimSpace(rest))}
		if sharded {
			dist := fmt.Sprintf("Distributed(%s, %s, %s", d.cluster, d.db, local)
			if key != "" {
				dist += ", " + key
			}
			out = append(out, fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s.%s%s AS %s.%s ENGINE = %s)", d.db, name, on, d.db, local, dist))
		}
		return out, nil
	}
	if m := createView.FindStringSubmatch(sql); m != nil {
		name, to, sel := m[1], m[2], m[3]
		f := fromTable.FindStringSubmatchIndex(sel)
		if f == nil {
			return nil, fmt.Errorf("cannot translate view %s for a cluster: no FROM table", name)
		}
		src := sel[f[2]:f[3]]
		if d.Sharded(src) != d.Sharded(to) {
			return nil, fmt.Errorf("cannot translate view %s for a cluster: it reads %s and writes %s, one sharded and one not", name, src, to)
		}
		if d.Sharded(src) {
			src += LocalSuffix
			to += LocalSuffix
		}
		sel = sel[:f[2]] + d.db + "." + src + sel[f[3]:]
		return []string{fmt.Sprintf("CREATE MATERIALIZED VIEW IF NOT EXISTS %s.%s%s TO %s.%s AS %s", d.db, name, on, d.db, to, sel)}, nil
	}
	if m := alterTable.FindStringSubmatch(sql); m != nil {
		name, rest := m[1], m[2]
		if !d.Sharded(name) {
			// A replicated table spreads an ALTER to its replicas itself.
			return []string{fmt.Sprintf("ALTER TABLE %s.%s%s", d.db, name, rest)}, nil
		}
		// The local tables first, on one replica of each shard (replication
		// carries it to the other), then the Distributed table on every
		// node. Neither goes ON CLUSTER: ClickHouse refuses an ON CLUSTER
		// ALTER of a non-replicated table on a cluster whose shards
		// replicate internally, and for a replicated table 18.16's DDL
		// worker races between the two replicas of a shard (both run it;
		// the second fails to mark it executed and its DDL worker thread
		// stops for good, so every later ON CLUSTER statement waits for
		// that node until its timeout). The store runs both itself (see
		// execDDL).
		return []string{
			everyShard + fmt.Sprintf("ALTER TABLE %s.%s%s%s", d.db, name, LocalSuffix, rest),
			everyNode + fmt.Sprintf("ALTER TABLE %s.%s%s", d.db, name, rest),
		}, nil
	}
	if m := insertFrom.FindStringSubmatch(sql); m != nil {
		// A copy between two sharded tables runs on the local tables of
		// every node (a shard's replicas may both copy: only tables where
		// duplicates are harmless are filled this way); otherwise once.
		to, sel := m[1], m[2]
		f := fromTable.FindStringSubmatchIndex(sel)
		if f == nil {
			return nil, fmt.Errorf("cannot translate the insert into %s for a cluster: no FROM table", to)
		}
		src := sel[f[2]:f[3]]
		if d.Sharded(src) != d.Sharded(to) {
			return nil, fmt.Errorf("cannot translate the insert into %s for a cluster: it reads %s, one sharded and one not", to, src)
		}
		prefix := ""
		if d.Sharded(src) {
			src += LocalSuffix
			to += LocalSuffix
			prefix = everyNode
		}
		sel = sel[:f[2]] + d.db + "." + src + sel[f[3]:]
		return []string{prefix + fmt.Sprintf("INSERT INTO %s.%s %s", d.db, to, sel)}, nil
	}
	if m := dropTable.FindStringSubmatch(sql); m != nil {
		// A view (or a table) dropped to be created again: ON CLUSTER, and
		// a sharded table's local tables with it.
		name := m[1]
		out := []string{fmt.Sprintf("DROP TABLE IF EXISTS %s.%s%s", d.db, name, on)}
		if d.Sharded(name) {
			out = append(out, fmt.Sprintf("DROP TABLE IF EXISTS %s.%s%s%s", d.db, name, LocalSuffix, on))
		}
		return out, nil
	}
	return nil, fmt.Errorf("cannot translate statement for a cluster (only CREATE TABLE IF NOT EXISTS … MergeTree, CREATE MATERIALIZED VIEW IF NOT EXISTS … TO, ALTER TABLE … COLUMN and DROP TABLE IF EXISTS are known): %q", firstLine(sql))
}

// everyNode prefixes a statement of Statements that the store runs on each
// node of the cluster, one by one, instead of once ON CLUSTER.
const everyNode = "-- every node\n"

// everyShard prefixes a statement of Statements that the store runs once
// on each shard (on the first of its replicas that answers).
const everyShard = "-- every shard\n"

// quote returns s as a ClickHouse string literal.
func quote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// clusterOptions are the cluster settings of a store; name is empty on a
// single node.
type clusterOptions struct {
	name, zkPath, replica string
	insert                string  // ClusterInsertDistributed, ClusterInsertLocal or ""
	opts                  Options // how to reach the other nodes
}

// Cluster returns the name of the cluster the store runs on, or "".
func (s *Store) Cluster() string { return s.cl.name }

// onCluster returns " ON CLUSTER name", or "" without a cluster.
func onCluster(name string) string {
	if name == "" {
		return ""
	}
	return " ON CLUSTER " + name
}

// clusterSettings are the session settings of every connection in cluster
// mode.
//   - insert_distributed_sync: an insert into a Distributed table returns only
//     once every shard has written its part, so that a batch acknowledged to
//     Kafka is stored, and a retried batch reaches the same shards as the same
//     blocks, which the replicated tables then drop as duplicates
//     (insert_deduplicate, on by default).
//
// ClickHouse 18.16 takes only numeric settings over the native protocol, so
// string settings (distributed_product_mode) cannot be set here; no query
// of the store has an IN or JOIN over a sharded table inside a query over a
// sharded table, which is what would need it.
func clusterSettings() map[string]any {
	return map[string]any{"insert_distributed_sync": 1}
}

// dialect returns the cluster dialect for migs, or nil on a single node.
func (s *Store) dialect(migs []schemas.Migration) *clusterDialect {
	if s.cl.name == "" {
		return nil
	}
	return newClusterDialect(s.cl.name, s.db, s.cl.zkPath, s.cl.replica, migs)
}

// execDDL runs one single-node DDL statement, translated for the cluster
// when d is not nil.
func (s *Store) execDDL(ctx context.Context, d *clusterDialect, sql string) error {
	if d == nil {
		return s.conn.Exec(ctx, sql)
	}
	stmts, err := d.Statements(sql)
	if err != nil {
		return err
	}
	for _, st := range stmts {
		if sql, ok := strings.CutPrefix(st, everyNode); ok {
			if err := s.execOnEveryNode(ctx, sql); err != nil {
				return err
			}
			continue
		}
		if sql, ok := strings.CutPrefix(st, everyShard); ok {
			if err := s.execOnEveryShard(ctx, sql); err != nil {
				return err
			}
			continue
		}
		if err := s.conn.Exec(ctx, st); err != nil {
			return fmt.Errorf("%w (cluster form: %q)", err, firstLine(st))
		}
	}
	return nil
}

// execOnEveryNode runs sql on every node system.clusters lists for the
// store's cluster, connecting to each with the store's options.
func (s *Store) execOnEveryNode(ctx context.Context, sql string) error {
	rows, err := s.conn.Query(ctx, "SELECT host_address, port FROM system.clusters WHERE cluster = ? ORDER BY shard_num, replica_num", s.cl.name)
	if err != nil {
		return fmt.Errorf("cannot list the nodes of cluster %s: %w", s.cl.name, err)
	}
	var addrs []string
	for rows.Next() {
		var (
			host string
			port uint16
		)
		if err := rows.Scan(&host, &port); err != nil {
			rows.Close()
			return fmt.Errorf("cannot list the nodes of cluster %s: %w", s.cl.name, err)
		}
		addrs = append(addrs, net.JoinHostPort(host, strconv.Itoa(int(port))))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("cannot list the nodes of cluster %s: %w", s.cl.name, err)
	}
	if len(addrs) == 0 {
		return fmt.Errorf("cluster %s is not in system.clusters of the server", s.cl.name)
	}
	for _, a := range addrs {
		o := s.cl.opts
		o.Addrs = []string{a}
		conn, err := connect(o, s.db)
		if err != nil {
			return err
		}
		err = conn.Exec(ctx, sql)
		conn.Close()
		if err != nil {
			return fmt.Errorf("cannot run %q on %s: %w", firstLine(sql), a, err)
		}
	}
	return nil
}

// execOnEveryShard runs sql once on each shard of the store's cluster, over
// a connection that lists that shard's replicas (the first that answers
// runs it).
func (s *Store) execOnEveryShard(ctx context.Context, sql string) error {
	rows, err := s.conn.Query(ctx, "SELECT shard_num, host_address, port FROM system.clusters WHERE cluster = ? ORDER BY shard_num, replica_num", s.cl.name)
	if err != nil {
		return fmt.Errorf("cannot list the shards of cluster %s: %w", s.cl.name, err)
	}
	var shards [][]string
	last := uint32(0)
	for rows.Next() {
		var (
			num  uint32
			host string
			port uint16
		)
		if err := rows.Scan(&num, &host, &port); err != nil {
			rows.Close()
			return fmt.Errorf("cannot list the shards of cluster %s: %w", s.cl.name, err)
		}
		if len(shards) == 0 || num != last {
			shards = append(shards, nil)
			last = num
		}
		shards[len(shards)-1] = append(shards[len(shards)-1], net.JoinHostPort(host, strconv.Itoa(int(port))))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("cannot list the shards of cluster %s: %w", s.cl.name, err)
	}
	if len(shards) == 0 {
		return fmt.Errorf("cluster %s is not in system.clusters of the server", s.cl.name)
	}
	for i, addrs := range shards {
		o := s.cl.opts
		o.Addrs = addrs
		conn, err := connect(o, s.db)
		if err != nil {
			return err
		}
		err = conn.Exec(ctx, sql)
		conn.Close()
		if err != nil {
			return fmt.Errorf("cannot run %q on shard %d (%s): %w", firstLine(sql), i+1, strings.Join(addrs, ", "), err)
		}
	}
	return nil
}

// migrateLockWait bounds how long Migrate waits for another migrate run to
// finish before it gives up.
var migrateLockWait = 5 * time.Minute

// replicaExists is ClickHouse's REPLICA_IS_ALREADY_EXIST.
const replicaExists = 253

// lockMigrations takes the cluster-wide migration lock and returns the
// function that releases it. The lock is a replica named "holder" of a
// replicated table at one ZooKeeper path: ZooKeeper creates a replica's node
// atomically, so of two runs creating that replica at once (on any nodes)
// exactly one succeeds; the other waits until the holder drops its table.
// A run that dies holding the lock leaves its migrate_lock_* table behind:
// the next run waits migrateLockWait and then names it in its error.
func (s *Store) lockMigrations(ctx context.Context, d *clusterDialect) (func() error, error) {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("cannot take the migration lock: %w", err)
	}
	table := s.db + ".migrate_lock_" + hex.EncodeToString(b[:])
	path := strings.NewReplacer("{shard}", "all", "{database}", s.db, "{table}", "riskwatch_migrate_lock").Replace(d.zkPath)
	create := fmt.Sprintf("CREATE TABLE %s (at DateTime) ENGINE = ReplicatedMergeTree(%s, 'holder') ORDER BY at", table, quote(path))
	deadline := time.Now().Add(migrateLockWait)
	logged := false
	for {
		err := s.conn.Exec(ctx, create)
		if err == nil {
			break
		}
		var ex *clickhouse.Exception
		if !errors.As(err, &ex) || ex.Code != replicaExists {
			return nil, fmt.Errorf("cannot take the migration lock at %s: %w", path, err)
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("cannot take the migration lock at %s: another migrate has held it for %s; "+
				"if none is running, drop the table %s.migrate_lock_* on the server that has one", path, migrateLockWait, s.db)
		}
		if !logged {
			s.log.Info("waiting for another migrate run to finish", "lock", path)
			logged = true
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("cannot take the migration lock at %s: %w", path, ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
	return func() error {
		// The lock must go even when ctx was cancelled.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if err := s.conn.Exec(ctx, "DROP TABLE IF EXISTS "+table); err != nil {
			return fmt.Errorf("cannot release the migration lock (drop %s by hand): %w", table, err)
		}
		return nil
	}, nil
}

// syncMigrations waits until this node's replica of schema_migrations has
// every row another node wrote, so that a run connected to another node
// than the previous one sees what that one applied.
func (s *Store) syncMigrations(ctx context.Context) error {
	if s.cl.name == "" {
		return nil
	}
	if err := s.conn.Exec(ctx, "SYSTEM SYNC REPLICA "+s.db+".schema_migrations"); err != nil {
		return fmt.Errorf("cannot sync schema_migrations with the other replicas: %w", err)
	}
	return nil
}

// ErrUnknownCluster is returned, wrapped, by DescribeCluster when the server
// does not list the cluster in system.clusters.
var ErrUnknownCluster = errors.New("cluster not in system.clusters")

// ClusterInfo is what a server's system.clusters says about a cluster.
type ClusterInfo struct {
	Server   string // the server asked, host:port
	Shards   int
	Replicas int // the most replicas of any shard
	Nodes    int
}

// DescribeCluster connects to o.Addrs without creating or using o.Database
// and reads what system.clusters says about o.Cluster. A connection failure
// is returned as is; a cluster the server does not know wraps
// ErrUnknownCluster and names the clusters it knows.
func DescribeCluster(ctx context.Context, o Options) (ClusterInfo, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	want := o.Cluster
	o.Cluster = "" // no cluster settings needed to read system tables
	conn, err := connect(o, "default")
	if err != nil {
		return ClusterInfo{}, err
	}
	defer conn.Close()
	if err := conn.Ping(ctx); err != nil {
		return ClusterInfo{}, fmt.Errorf("cannot reach ClickHouse at %v: %w", o.Addrs, err)
	}
	var (
		name             string
		shards, replicas uint64
		nodes            uint64
	)
	rows, err := conn.Query(ctx, "SELECT cluster, uniqExact(shard_num), max(replica_num), count() FROM system.clusters GROUP BY cluster ORDER BY cluster")
	if err != nil {
		return ClusterInfo{}, fmt.Errorf("cannot read system.clusters: %w", err)
	}
	defer rows.Close()
	var known []string
	info := ClusterInfo{Server: strings.Join(o.Addrs, ",")}
	found := false
	for rows.Next() {
		var maxReplica uint32
		if err := rows.Scan(&name, &shards, &maxReplica, &nodes); err != nil {
			return ClusterInfo{}, fmt.Errorf("cannot read system.clusters: %w", err)
		}
		replicas = uint64(maxReplica)
		known = append(known, name)
		if name == want {
			info.Shards, info.Replicas, info.Nodes = int(shards), int(replicas), int(nodes)
			found = true
		}
	}
	if err := rows.Err(); err != nil {
		return ClusterInfo{}, fmt.Errorf("cannot read system.clusters: %w", err)
	}
	if !found {
		return info, fmt.Errorf("%w: %q (the server knows: %s)", ErrUnknownCluster, want, strings.Join(known, ", "))
	}
	return info, nil
}

// ClusterHealth reports, in cluster mode, whether the node the store talks
// to has a working ZooKeeper session and no read-only replica of the store's
// tables (a replicated table turns read-only while ZooKeeper is away, and
// inserts into it fail until it is back). On a single node it returns "".
func (s *Store) ClusterHealth(ctx context.Context) (string, error) {
	if s.cl.name == "" {
		return "", nil
	}
	var n uint64
	if err := s.conn.QueryRow(ctx, "SELECT count() FROM system.zookeeper WHERE path = '/'").Scan(&n); err != nil {
		return "", fmt.Errorf("cannot reach ZooKeeper through ClickHouse: %w", err)
	}
	var replicas, readonly uint64
	if err := s.conn.QueryRow(ctx, "SELECT count(), countIf(is_readonly OR is_session_expired) FROM system.replicas WHERE database = ?", s.db).Scan(&replicas, &readonly); err != nil {
		return "", fmt.Errorf("cannot read system.replicas: %w", err)
	}
	if readonly > 0 {
		return "", fmt.Errorf("%d of %d replicated tables are read-only (no ZooKeeper session)", readonly, replicas)
	}
	return fmt.Sprintf("cluster %s: ZooKeeper answers, %d replicated tables writable", s.cl.name, replicas), nil
}
