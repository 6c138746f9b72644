package store

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Options says how to reach ClickHouse.
type Options struct {
	Addrs        []string
	Database     string
	Username     string
	Password     string
	DialTimeout  time.Duration
	ReadTimeout  time.Duration
	MaxOpenConns int
	// Compression enables LZ4 on the native protocol.
	Compression bool
	// InsertBlockRows is how many rows of a cases insert go to the server
	// in one data block; 0 means DefaultInsertBlockRows.
	InsertBlockRows int
	Logger          *slog.Logger
	// TLS, when not nil, speaks the native protocol over TLS (the server's
	// tcp_port_secure).
	TLS *tls.Config
	// Existing opens a database that must exist, without CREATE DATABASE:
	// for users whose profile forbids DDL (readonly, or a writer when a
	// separate user runs the migrations).
	Existing bool
	// Cluster, when set, is the name of the ClickHouse cluster (in the
	// servers' remote_servers) the store runs on: see cluster.go.
	Cluster string
	// ZooKeeperPath and ReplicaName are the replicated tables' ZooKeeper
	// path and replica name in cluster mode; empty means
	// DefaultZooKeeperPath and DefaultReplicaName.
	ZooKeeperPath string
	ReplicaName   string
	// ClusterInsert is how ingest writes the case tables in cluster mode:
	// ClusterInsertDistributed (also when empty) or ClusterInsertLocal.
	ClusterInsert string
}

// Store is a connection pool bound to one database. It is safe for
// concurrent use. Close is safe to call twice.
type Store struct {
	conn   driver.Conn
	db     string
	block  int // rows per data block of a cases insert
	log    *slog.Logger
	cl     clusterOptions // zero on a single node
	state  stateCache
	router *shardRouter // the shards' connections, for ClusterInsertLocal
}

var plainIdent = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Open connects, creates the database when it does not exist, and returns a
// store bound to it. The database name must be a plain identifier: it is the
// one name that goes into SQL text, since DDL cannot bind it.
func Open(ctx context.Context, o Options) (*Store, error) {
	if !plainIdent.MatchString(o.Database) {
		return nil, fmt.Errorf("cannot open store: database name %q is not a plain identifier", o.Database)
	}
	if o.Cluster != "" && !plainIdent.MatchString(o.Cluster) {
		return nil, fmt.Errorf("cannot open store: cluster name %q is not a plain identifier", o.Cluster)
	}
	switch o.ClusterInsert {
	case "", ClusterInsertDistributed, ClusterInsertLocal:
	default:
		return nil, fmt.Errorf("cannot open store: cluster insert mode %q is not %s or %s", o.ClusterInsert, ClusterInsertDistributed, ClusterInsertLocal)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if !o.Existing {
		boot, err := connect(o, "default")
		if err != nil {
			return nil, err
		}
		exists := false
		if o.Cluster != "" {
			// On a cluster the CREATE is distributed DDL, which waits for
			// every node: a command opening an existing database (backfill,
			// report, token) does not need it.
			var n uint64
			if err := boot.QueryRow(ctx, "SELECT count() FROM system.databases WHERE name = ?", o.Database).Scan(&n); err == nil && n > 0 {
				exists = true
			}
		}
		if !exists {
			err = boot.Exec(ctx, "CREATE DATABASE IF NOT EXISTS "+o.Database+onCluster(o.Cluster))
		}
		boot.Close()
		if err != nil {
			return nil, fmt.Errorf("cannot create database %s: %w", o.Database, err)
		}
	}
	conn, err := connect(o, o.Database)
	if err != nil {
		return nil, err
	}
	if err := conn.Ping(ctx); err != nil {
		conn.Close()
		return nil, fmt.Errorf("cannot reach ClickHouse at %v: %w", o.Addrs, err)
	}
	block := o.InsertBlockRows
	if block <= 0 {
		block = DefaultInsertBlockRows
	}
	return &Store{conn: withRecording(conn, o.Database), db: o.Database, log: o.Logger, block: block,
		cl:     clusterOptions{name: o.Cluster, zkPath: o.ZooKeeperPath, replica: o.ReplicaName, insert: o.ClusterInsert, opts: o},
		router: &shardRouter{}}, nil
}

func connect(o Options, db string) (driver.Conn, error) {
	opts := &clickhouse.Options{
		Addr:         o.Addrs,
		Auth:         clickhouse.Auth{Database: db, Username: o.Username, Password: o.Password},
		DialTimeout:  o.DialTimeout,
		ReadTimeout:  o.ReadTimeout,
		MaxOpenConns: o.MaxOpenConns,
		MaxIdleConns: o.MaxOpenConns,
		Logger:       o.Logger.With("component", "clickhouse-go"),
		ClientInfo:   clickhouse.ClientInfo{Products: []struct{ Name, Version string }{{Name: "riskwatch", Version: "1"}}},
		TLS:          o.TLS,
	}
	if o.Cluster != "" {
		opts.Settings = clusterSettings()
	}
	if o.Compression {
		opts.Compression = &clickhouse.Compression{Method: clickhouse.CompressionLZ4}
	}
	conn, err := clickhouse.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("cannot open ClickHouse connection to %v: %w", o.Addrs, err)
	}
	return conn, nil
}

// Close releases the pool. It is safe to call more than once.
func (s *Store) Close() error {
	if s == nil || s.conn == nil {
		return nil
	}
	err := s.conn.Close()
	if errors.Is(err, clickhouse.ErrConnectionClosed) {
		err = nil
	}
	if s.router != nil {
		if rerr := s.router.close(); rerr != nil && !errors.Is(rerr, clickhouse.ErrConnectionClosed) {
			err = errors.Join(err, rerr)
		}
	}
	return err
}

// Database returns the database the store is bound to.
func (s *Store) Database() string { return s.db }

// Ping checks that the server answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.conn.Ping(ctx); err != nil {
		return fmt.Errorf("cannot ping ClickHouse: %w", err)
	}
	return nil
}

// ServerVersion returns the server's version string, e.g. "18.16.1".
func (s *Store) ServerVersion(ctx context.Context) (string, error) {
	var v string
	if err := s.conn.QueryRow(ctx, "SELECT version()").Scan(&v); err != nil {
		return "", fmt.Errorf("cannot read server version: %w", err)
	}
	return v, nil
}

// DropDatabase removes the store's database; tests use it to clean up.
func (s *Store) DropDatabase(ctx context.Context) error {
	return s.conn.Exec(ctx, "DROP DATABASE IF EXISTS "+s.db+onCluster(s.cl.name))
}
