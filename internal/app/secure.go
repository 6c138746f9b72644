package app

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/riskwatch/riskwatch/ingest"
	"github.com/riskwatch/riskwatch/internal/config"
	"github.com/riskwatch/riskwatch/store"
)

// kafkaConn returns how every Kafka connection of the process is made: the
// configured TLS and SASL to brokers, or plaintext to the embedded broker.
// Errors name the config key.
func kafkaConn(cfg config.Config, brokers []string) (ingest.Conn, error) {
	if cfg.Kafka.Embedded {
		return ingest.Plain(brokers...), nil
	}
	conn := ingest.Conn{
		Brokers:  brokers,
		SASLHint: "kafka.sasl.mechanism, kafka.sasl.username and kafka.sasl.password_file",
		TLSHint:  "kafka.tls.ca_file and kafka.tls.server_name",
	}
	var err error
	if conn.TLS, err = cfg.Kafka.TLS.Client("kafka.tls"); err != nil {
		return ingest.Conn{}, err
	}
	s := cfg.Kafka.SASL
	if conn.SASL, err = ingest.NewSASL(s.Mechanism, s.Username, s.Password); err != nil {
		return ingest.Conn{}, fmt.Errorf("kafka.sasl.mechanism: %w", err)
	}
	return conn, nil
}

// storeOptions are the store options of the main (ingest, jobs) user.
func storeOptions(cfg config.Config, addrs []string, log *slog.Logger) (store.Options, error) {
	tc, err := cfg.ClickHouse.TLS.Client("clickhouse.tls")
	if err != nil {
		return store.Options{}, err
	}
	return store.Options{
		Addrs:        addrs,
		Database:     cfg.ClickHouse.Database,
		Username:     cfg.ClickHouse.Username,
		Password:     cfg.ClickHouse.Password,
		DialTimeout:  cfg.ClickHouse.DialTimeout,
		ReadTimeout:  cfg.ClickHouse.ReadTimeout,
		MaxOpenConns: cfg.ClickHouse.MaxOpenConns,
		Compression:  cfg.ClickHouse.Compression == "lz4",
		// Ingest's cases inserts.
		InsertBlockRows: cfg.ClickHouse.InsertBlockRows,
		Logger:          log.With("component", "store"),
		TLS:             tc,
		// Cluster mode (see store/cluster.go).
		Cluster:       cfg.ClickHouse.Cluster,
		ZooKeeperPath: cfg.ClickHouse.ZooKeeperPath,
		ReplicaName:   cfg.ClickHouse.ReplicaName,
		ClusterInsert: cfg.ClickHouse.ClusterInsert,
	}, nil
}

// openWithKeys opens a store; a refused certificate or password is
// reported with the config keys to check (prefix is "clickhouse",
// "clickhouse.readonly" or "clickhouse.migrate").
func openWithKeys(ctx context.Context, o store.Options, prefix string) (*store.Store, error) {
	st, err := store.Open(ctx, o)
	if err == nil {
		return st, nil
	}
	var (
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		verify   *tls.CertificateVerificationError
	)
	msg := strings.ToLower(err.Error())
	switch {
	case errors.As(err, &unknown) || errors.As(err, &hostname) || errors.As(err, &verify) || strings.Contains(msg, "tls: "):
		return nil, fmt.Errorf("clickhouse.tls.ca_file, clickhouse.tls.server_name: TLS handshake failed: %w", err)
	case strings.Contains(msg, "password") || strings.Contains(msg, "authentication failed"):
		return nil, fmt.Errorf("%s.username, %s.password_file: ClickHouse refused the user: %w", prefix, prefix, err)
	}
	return nil, err
}

// migrateOptions are o with the migrations' user.
func migrateOptions(cfg config.Config, o store.Options) store.Options {
	o.Username, o.Password = cfg.ClickHouse.MigrateUser()
	o.Existing = false
	o.MaxOpenConns = 1
	return o
}

// ensureDatabase creates the database as the migrations' user.
func ensureDatabase(ctx context.Context, cfg config.Config, o store.Options) error {
	st, err := openWithKeys(ctx, migrateOptions(cfg, o), "clickhouse.migrate")
	if err != nil {
		return err
	}
	return st.Close()
}

// openMigrateStore opens the store of the migrations' user.
func openMigrateStore(ctx context.Context, cfg config.Config, main *store.Store, log *slog.Logger) (*store.Store, error) {
	o, err := storeOptions(cfg, cfg.ClickHouse.Addrs, log)
	if err != nil {
		return nil, err
	}
	o.Database = main.Database()
	return openWithKeys(ctx, migrateOptions(cfg, o), "clickhouse.migrate")
}

// openReadStore opens the store of the API and the reports: the readonly
// user when clickhouse.readonly is set, else main itself (close is then a
// no-op).
func openReadStore(ctx context.Context, cfg config.Config, main *store.Store, log *slog.Logger) (*store.Store, func(), error) {
	if cfg.ClickHouse.ReadOnly.Username == "" {
		return main, func() {}, nil
	}
	o, err := storeOptions(cfg, cfg.ClickHouse.Addrs, log)
	if err != nil {
		return nil, nil, err
	}
	o.Database = main.Database()
	o.Username, o.Password = cfg.ClickHouse.ReadOnlyUser()
	o.Existing = true
	ro, err := openWithKeys(ctx, o, "clickhouse.readonly")
	if err != nil {
		return nil, nil, err
	}
	return ro, func() { _ = ro.Close() }, nil
}

// apiStore is the API's store: it reads as the readonly user and writes
// the two things the API writes (its audit log and the api_daily rollup)
// as the main user.
type apiStore struct {
	*store.Store // readonly user
	w            *store.Store
}

func (s apiStore) APIWriteAudit(ctx context.Context, es []store.APIAuditEntry) error {
	return s.w.APIWriteAudit(ctx, es)
}

func (s apiStore) APIRefreshDaily(ctx context.Context, days []time.Time, at time.Time) error {
	return s.w.APIRefreshDaily(ctx, days, at)
}
