// Package toolenv starts what the benchmark and evaluation tools (make
// bench-indices, bench-api, bench-reports, eval-alarms, nyc-run) measure
// against: a throwaway ClickHouse server of the machine's own binary on
// loopback, a store on a migrated database and the region registry loaded
// into it. Close stops the server and removes its directory. It also holds
// the small helpers several tools share (ProcCPU, FreeAddr, EnvOr).
package toolenv

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/riskwatch/riskwatch/internal/servers"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

// Options configure Start; zero values take the defaults.
type Options struct {
	Database     string        // default "bench"
	MaxOpenConns int           // default 4
	ReadTimeout  time.Duration // default 30 min
	// Registry is synced into the regions table; nil loads the built-in
	// Tongliao registry.
	Registry *schemas.Registry
}

// Env is a running server with a migrated database.
type Env struct {
	CH       *servers.ClickHouse
	Store    *store.Store
	Registry *schemas.Registry
}

// Start starts ClickHouse, opens and migrates the database, loads the
// registry and prints the server's version and address.
func Start(ctx context.Context, o Options) (*Env, error) {
	if o.Database == "" {
		o.Database = "bench"
	}
	if o.MaxOpenConns == 0 {
		o.MaxOpenConns = 4
	}
	if o.ReadTimeout == 0 {
		o.ReadTimeout = 30 * time.Minute
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ch, err := servers.StartClickHouse(ctx, servers.ClickHouseOptions{Logger: log})
	if err != nil {
		return nil, err
	}
	e := &Env{CH: ch, Registry: o.Registry}
	fmt.Printf("ClickHouse %s at %s\n", ch.Version, ch.Addr)
	if err := e.open(ctx, o); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

func (e *Env) open(ctx context.Context, o Options) error {
	st, err := store.Open(ctx, store.Options{Addrs: []string{e.CH.Addr}, Database: o.Database, Username: "default",
		DialTimeout: 10 * time.Second, ReadTimeout: o.ReadTimeout, MaxOpenConns: o.MaxOpenConns})
	if err != nil {
		return err
	}
	e.Store = st
	migs, err := schemas.Migrations()
	if err != nil {
		return err
	}
	if _, err := st.Migrate(ctx, migs); err != nil {
		return err
	}
	if e.Registry == nil {
		if e.Registry, err = schemas.LoadTongliao(); err != nil {
			return err
		}
	}
	_, err = st.SyncRegions(ctx, e.Registry)
	return err
}

// Close closes the store and stops the server.
func (e *Env) Close() {
	if e.Store != nil {
		e.Store.Close()
	}
	e.CH.Stop()
}
