package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/riskwatch/riskwatch/schemas"
)

// migrationsTable records applied migrations. It is created by the runner
// itself, so it is not part of any migration file.
const migrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations
(
    version UInt32,
    name String,
    checksum String,
    statements UInt32,
    applied_at DateTime
)
ENGINE = MergeTree
ORDER BY version`

// AppliedMigration is one row of schema_migrations.
type AppliedMigration struct {
	Version  int
	Name     string
	Checksum string
	At       time.Time
}

// MigrationError names the migration file and statement that failed.
type MigrationError struct {
	File      string
	Statement int // 1-based index within the file
	Line      int // line the statement starts on
	SQL       string
	Err       error
}

func (e *MigrationError) Error() string {
	return fmt.Sprintf("migration %s, statement %d (line %d) %q: %v", e.File, e.Statement, e.Line, firstLine(e.SQL), e.Err)
}

func (e *MigrationError) Unwrap() error { return e.Err }

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return s
}

// AppliedMigrations returns what schema_migrations records, in version order.
// On a cluster the CREATE of schema_migrations is distributed DDL, which
// waits for every node; it runs only when this node does not have the table.
func (s *Store) AppliedMigrations(ctx context.Context) ([]AppliedMigration, error) {
	exists, err := s.hasMigrationsTable(ctx)
	if err != nil {
		return nil, err
	}
	if !exists {
		if err := s.execDDL(ctx, s.dialect(nil), migrationsTable); err != nil {
			return nil, fmt.Errorf("cannot create schema_migrations: %w", err)
		}
	}
	return s.readMigrations(ctx)
}

// hasMigrationsTable reports whether this node has schema_migrations. On a
// single node it answers false: the CREATE … IF NOT EXISTS there is local.
func (s *Store) hasMigrationsTable(ctx context.Context) (bool, error) {
	if s.cl.name == "" {
		return false, nil
	}
	var n uint64
	if err := s.conn.QueryRow(ctx, "SELECT count() FROM system.tables WHERE database = ? AND name = 'schema_migrations'", s.db).Scan(&n); err != nil {
		return false, fmt.Errorf("cannot read system.tables: %w", err)
	}
	return n > 0, nil
}

// readMigrations reads schema_migrations, after syncing this node's replica
// of it on a cluster.
func (s *Store) readMigrations(ctx context.Context) ([]AppliedMigration, error) {
	if err := s.syncMigrations(ctx); err != nil {
		return nil, err
	}
	rows, err := s.conn.Query(ctx, "SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version")
	if err != nil {
		return nil, fmt.Errorf("cannot read schema_migrations: %w", err)
	}
	defer rows.Close()
	var out []AppliedMigration
	for rows.Next() {
		var (
			a AppliedMigration
			v uint32
		)
		if err := rows.Scan(&v, &a.Name, &a.Checksum, &a.At); err != nil {
			return nil, fmt.Errorf("cannot read schema_migrations: %w", err)
		}
		a.Version = int(v)
		out = append(out, a)
	}
	return out, rows.Err()
}

// Migrate applies, in order, every migration that schema_migrations does not
// record, and returns the names it applied (none on a second run). A
// migration whose file changed after it was applied is an error: migrations
// are append-only. A failing statement is reported as a *MigrationError; the
// statements before it stay applied and, being IF NOT EXISTS, are harmless
// when the fixed migration runs again.
func (s *Store) Migrate(ctx context.Context, migs []schemas.Migration) (_ []string, err error) {
	d := s.dialect(migs)
	if d != nil {
		// A command opening a migrated database (backfill, report, a
		// restarted ingest) runs no distributed DDL at all: it waits for
		// every node and needs each node's DDL worker to be active.
		if ok, err := s.upToDate(ctx, migs); err != nil || ok {
			return nil, err
		}
		unlock, err := s.lockMigrations(ctx, d)
		if err != nil {
			return nil, err
		}
		defer func() { err = errors.Join(err, unlock()) }()
	}
	applied, err := s.AppliedMigrations(ctx)
	if err != nil {
		return nil, err
	}
	done := map[int]AppliedMigration{}
	for _, a := range applied {
		done[a.Version] = a
	}
	var names []string
	for _, m := range migs {
		if a, ok := done[m.Version]; ok {
			if a.Checksum != m.Checksum {
				return names, fmt.Errorf("migration %s was changed after it was applied (as %s): add a new migration instead", m.Name, a.Name)
			}
			continue
		}
		for i, st := range m.Statements {
			if err := s.execDDL(ctx, d, st.SQL); err != nil {
				return names, &MigrationError{File: m.Name, Statement: i + 1, Line: st.Line, SQL: st.SQL, Err: err}
			}
		}
		if err := s.recordMigration(ctx, m); err != nil {
			return names, err
		}
		s.log.Info("migration applied", "file", m.Name, "statements", len(m.Statements))
		names = append(names, m.Name)
	}
	return names, nil
}

func (s *Store) recordMigration(ctx context.Context, m schemas.Migration) error {
	// ClickHouse 18.16 hangs on INSERT … VALUES through Exec; a one-row batch
	// with an explicit column list works on every version.
	b, err := s.conn.PrepareBatch(ctx, "INSERT INTO schema_migrations (version, name, checksum, statements, applied_at)")
	if err != nil {
		return fmt.Errorf("cannot record migration %s: %w", m.Name, err)
	}
	if err := b.Append(uint32(m.Version), m.Name, m.Checksum, uint32(len(m.Statements)), time.Now()); err != nil {
		b.Abort()
		return fmt.Errorf("cannot record migration %s: %w", m.Name, err)
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("cannot record migration %s: %w", m.Name, err)
	}
	return nil
}

// upToDate reports, on a cluster, whether schema_migrations exists on this
// node and records every migration of migs with its checksum. It runs no
// DDL; a changed migration answers false, for Migrate to report it.
func (s *Store) upToDate(ctx context.Context, migs []schemas.Migration) (bool, error) {
	exists, err := s.hasMigrationsTable(ctx)
	if err != nil || !exists {
		return false, err
	}
	applied, err := s.readMigrations(ctx)
	if err != nil {
		return false, err
	}
	done := map[int]string{}
	for _, a := range applied {
		done[a.Version] = a.Checksum
	}
	for _, m := range migs {
		if c, ok := done[m.Version]; !ok || c != m.Checksum {
			return false, nil
		}
	}
	return true, nil
}
