package store

import (
	"context"
	"strings"
	"time"
)

// SetStateGrace sets how long a build of case_state stays after its last
// reader, for tests.
func SetStateGrace(s *Store, d time.Duration) { s.state.grace = d }

// StateBuilds returns how many builds of case_state s made from scratch
// and incrementally, and how many of these are deltas read over a full
// build.
func StateBuilds(s *Store) (full, incremental, overlays int) {
	s.state.mu.Lock()
	defer s.state.mu.Unlock()
	return s.state.full, s.state.incremental, s.state.overlays
}

// SetStateMinOverlay sets the fewest rows of a full build that a delta is
// read over, for tests.
func SetStateMinOverlay(s *Store, n uint64) { s.state.minOverlay = n }

// StateRows returns the rows of s's build of case_state at `at` (made as a
// reader gets it), one line per case, sorted. With scratch, s builds it as
// if it had no earlier build, and forgets that build afterwards.
func StateRows(ctx context.Context, s *Store, at time.Time, scratch bool) ([]string, error) {
	if scratch {
		s.state.mu.Lock()
		saved := s.state.builds
		s.state.builds = nil
		s.state.mu.Unlock()
		defer func() {
			s.state.mu.Lock()
			s.state.builds = saved
			s.state.mu.Unlock()
		}()
	}
	args, err := s.stateArgs(ctx, time.Time{}, at)
	if err != nil {
		return nil, err
	}
	cols := []string{"toString(key)", "toString(version)"}
	for _, c := range stateColumns {
		cols = append(cols, "ifNull(toString("+c+"), 'NULL')")
	}
	rows, err := s.conn.Query(ctx, "SELECT arrayStringConcat(["+strings.Join(cols, ", ")+"], '|') AS r FROM "+
		stateAtSQL(append([]string{"key", "version"}, stateColumns...)...)+" ORDER BY r", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Mutations returns how many mutations the server holds for table in s's
// database.
func Mutations(ctx context.Context, s *Store, table string) (uint64, error) {
	var n uint64
	err := s.conn.QueryRow(ctx, "SELECT count() FROM system.mutations WHERE database = ? AND table = ?", s.db, table).Scan(&n)
	return n, err
}
