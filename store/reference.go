package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/riskwatch/riskwatch/schemas"
)

// SyncRegions loads the registry into the regions table unless the same
// content is already loaded. It reports whether it loaded anything.
func (s *Store) SyncRegions(ctx context.Context, g *schemas.Registry) (bool, error) {
	var buf bytes.Buffer
	if err := g.WriteCSV(&buf); err != nil {
		return false, err
	}
	all := g.All()
	return s.syncReference(ctx, "regions", buf.Bytes(), len(all), func(now time.Time) error {
		b, err := s.conn.PrepareBatch(ctx, "INSERT INTO regions (code, name, short_name, level, parent_code, population, population_source, loaded_at)")
		if err != nil {
			return err
		}
		for _, r := range all {
			if err := b.Append(r.Code, r.Name, r.ShortName, uint8(r.Level), r.Parent, uint64(r.Population), r.PopulationSource, now); err != nil {
				b.Abort()
				return err
			}
		}
		return b.Send()
	})
}

// SyncCategories loads the taxonomy into the categories table unless the
// same content is already loaded.
func (s *Store) SyncCategories(ctx context.Context, cats []schemas.Category) (bool, error) {
	var buf bytes.Buffer
	for _, c := range cats {
		fmt.Fprintf(&buf, "%s\t%s\t%s\t%s\t%s\n", c.Code, c.Parent, c.NameZH, c.NameEN, strings.Join(c.Keywords, "|"))
	}
	return s.syncReference(ctx, "categories", buf.Bytes(), len(cats), func(now time.Time) error {
		b, err := s.conn.PrepareBatch(ctx, "INSERT INTO categories (code, parent_code, name_zh, name_en, keywords, loaded_at)")
		if err != nil {
			return err
		}
		for _, c := range cats {
			kw := c.Keywords
			if kw == nil {
				kw = []string{}
			}
			if err := b.Append(c.Code, c.Parent, c.NameZH, c.NameEN, kw, now); err != nil {
				b.Abort()
				return err
			}
		}
		return b.Send()
	})
}

// syncReference loads a reference data set when its checksum differs from
// the loaded one. Rows that disappeared from the new content are deleted.
func (s *Store) syncReference(ctx context.Context, name string, content []byte, rows int, load func(time.Time) error) (bool, error) {
	sum := sha256.Sum256(content)
	checksum := hex.EncodeToString(sum[:])
	var loaded string
	err := s.conn.QueryRow(ctx, "SELECT argMax(checksum, loaded_at) FROM reference_loads WHERE name = ?", name).Scan(&loaded)
	if err != nil {
		return false, fmt.Errorf("cannot read reference_loads: %w", err)
	}
	if loaded == checksum {
		return false, nil
	}
	// DateTime has second precision; a reload in the same second as the
	// previous one must still win, so take the next second after the last.
	now := time.Now().Truncate(time.Second)
	var last time.Time
	if err := s.conn.QueryRow(ctx, "SELECT max(loaded_at) FROM "+name).Scan(&last); err == nil && !now.After(last) {
		now = last.Add(time.Second)
	}
	if err := load(now); err != nil {
		return false, fmt.Errorf("cannot load %s: %w", name, err)
	}
	// Codes that no longer exist: the rows of earlier loads that no row of
	// this load replaces. Only then is there something to delete, by a
	// mutation; the replaced rows go at the next merge (ReplacingMergeTree
	// by loaded_at). A first load or a reload with the same codes runs no
	// mutation: ClickHouse 18.16 can crash finalizing a mutation of a
	// replicated table (ReplicatedMergeTreeQueue::tryFinalizeMutations, seen
	// on a cluster node in make test-cluster).
	var gone uint64
	if err := s.conn.QueryRow(ctx, "SELECT count() FROM "+name+" FINAL WHERE loaded_at < ?", now).Scan(&gone); err != nil {
		return false, fmt.Errorf("cannot count removed %s: %w", name, err)
	}
	if gone > 0 {
		if err := s.conn.Exec(ctx, "ALTER TABLE "+name+" DELETE WHERE loaded_at < ?", now); err != nil {
			return false, fmt.Errorf("cannot remove old %s: %w", name, err)
		}
	}
	b, err := s.conn.PrepareBatch(ctx, "INSERT INTO reference_loads (name, checksum, rows, loaded_at)")
	if err != nil {
		return false, fmt.Errorf("cannot record %s load: %w", name, err)
	}
	if err := b.Append(name, checksum, uint64(rows), now); err != nil {
		b.Abort()
		return false, err
	}
	if err := b.Send(); err != nil {
		return false, fmt.Errorf("cannot record %s load: %w", name, err)
	}
	s.log.Info("reference data loaded", "table", name, "rows", rows)
	return true, nil
}

// CountRows returns the number of rows of a table after FINAL collapsing. The
// table name must be a plain identifier.
func (s *Store) CountRows(ctx context.Context, table string) (uint64, error) {
	if !plainIdent.MatchString(table) {
		return 0, fmt.Errorf("table name %q is not a plain identifier", table)
	}
	var n uint64
	if err := s.conn.QueryRow(ctx, "SELECT count() FROM "+table+" FINAL").Scan(&n); err != nil {
		return 0, fmt.Errorf("cannot count %s: %w", table, err)
	}
	return n, nil
}

// Tables lists the tables and views of the store's database.
func (s *Store) Tables(ctx context.Context) ([]string, error) {
	rows, err := s.conn.Query(ctx, "SELECT name FROM system.tables WHERE database = ? ORDER BY name", s.db)
	if err != nil {
		return nil, fmt.Errorf("cannot list tables: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}
