package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/riskwatch/riskwatch/internal/config"
	"github.com/riskwatch/riskwatch/internal/servers"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

// openStore connects to ClickHouse, first starting the local server when the
// configuration asks for it. The returned cleanup closes the store and stops
// the local server, in that order.
func openStore(ctx context.Context, cfg config.Config, log *slog.Logger) (*store.Store, *servers.ClickHouse, func(), error) {
	addrs := cfg.ClickHouse.Addrs
	var local *servers.ClickHouse
	if l := cfg.ClickHouse.Local; l.Enabled {
		if err := os.MkdirAll(l.Dir, 0o755); err != nil {
			return nil, nil, nil, fmt.Errorf("cannot create clickhouse.local.dir: %w", err)
		}
		if s, ok := readLocalState(l.Dir); ok && s.answers(ctx) {
			// Another riskwatch process (typically `riskwatch run`) owns the
			// local server: use it, leave its lifetime to that process.
			log.Info("using the running local ClickHouse", "addr", s.Addr, "pid", s.PID, "since", s.StartedAt.Format(time.RFC3339),
				"state", filepath.Join(l.Dir, localStateFile))
			addrs = []string{s.Addr}
		} else {
			log.Info("no local ClickHouse running; starting one", "dir", l.Dir)
			var err error
			local, err = servers.StartClickHouse(ctx, servers.ClickHouseOptions{
				Dir: l.Dir, TCPPort: l.TCPPort, HTTPPort: l.HTTPPort, Logger: log.With("component", "local-clickhouse"),
			})
			if err != nil {
				return nil, nil, nil, fmt.Errorf("cannot start local ClickHouse: %w", err)
			}
			log.Info("local ClickHouse started", "version", local.Version, "addr", local.Addr, "dir", l.Dir)
			addrs = []string{local.Addr}
			if err := writeLocalState(l.Dir, localState{PID: os.Getpid(), Addr: local.Addr, HTTPAddr: local.HTTPAddr,
				Version: local.Version, StartedAt: time.Now().UTC()}); err != nil {
				log.Warn("cannot record the local ClickHouse for other commands", "err", err)
			}
		}
	}
	o, err := storeOptions(cfg, addrs, log)
	if err == nil && cfg.ClickHouse.Migrate.Username != "" {
		// The migrations' user creates the database; the writer may lack
		// the right to.
		err = ensureDatabase(ctx, cfg, o)
		o.Existing = true
	}
	var st *store.Store
	if err == nil {
		st, err = openWithKeys(ctx, o, "clickhouse")
	}
	if err != nil {
		if local != nil {
			removeLocalState(cfg.ClickHouse.Local.Dir)
			_ = local.Stop()
		}
		return nil, nil, nil, err
	}
	cleanup := func() {
		_ = st.Close()
		if local != nil {
			removeLocalState(cfg.ClickHouse.Local.Dir)
			if err := local.Stop(); err != nil {
				log.Warn("cannot stop local ClickHouse", "err", err)
			}
		}
	}
	return st, local, cleanup, nil
}

// loadRegions returns the configured region registry.
func loadRegions(cfg config.Config) (*schemas.Registry, error) {
	if cfg.Regions.File == "" {
		return schemas.LoadTongliao()
	}
	f, err := os.Open(cfg.Regions.File)
	if err != nil {
		return nil, fmt.Errorf("regions.file: %w", err)
	}
	defer f.Close()
	return schemas.LoadCSV(f, cfg.Regions.File)
}

// migrateAndLoad applies the migrations and loads the reference data; it
// returns the region registry in force.
func migrateAndLoad(ctx context.Context, cfg config.Config, st *store.Store, log *slog.Logger, out io.Writer) (*schemas.Registry, error) {
	migs, err := schemas.Migrations()
	if err != nil {
		return nil, err
	}
	if cfg.ClickHouse.Migrate.Username != "" {
		mst, err := openMigrateStore(ctx, cfg, st, log)
		if err != nil {
			return nil, err
		}
		defer mst.Close()
		st = mst
	}
	applied, err := st.Migrate(ctx, migs)
	if err != nil {
		return nil, err
	}
	if len(applied) == 0 {
		fmt.Fprintf(out, "migrations: database %s is up to date (%d migrations), nothing applied\n", st.Database(), len(migs))
	} else {
		for _, a := range applied {
			fmt.Fprintf(out, "migrations: applied %s\n", a)
		}
	}
	reg, err := loadRegions(cfg)
	if err != nil {
		return nil, err
	}
	if loaded, err := st.SyncRegions(ctx, reg); err != nil {
		return nil, err
	} else if loaded {
		fmt.Fprintf(out, "reference data: loaded %d regions\n", reg.Len())
	}
	if loaded, err := st.SyncCategories(ctx, schemas.Taxonomy); err != nil {
		return nil, err
	} else if loaded {
		fmt.Fprintf(out, "reference data: loaded %d categories\n", len(schemas.Taxonomy))
	}
	return reg, nil
}

// Migrate is `riskwatch migrate`.
func Migrate(ctx context.Context, cfg config.Config, log *slog.Logger, out io.Writer) error {
	st, _, cleanup, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer cleanup()
	_, err = migrateAndLoad(ctx, cfg, st, log, out)
	return err
}
