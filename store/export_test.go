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
// and incrementally.
func StateBuilds(s *Store) (full, incremental int) {
	s.state.mu.Lock()
	defer s.state.mu.Unlock()
	return s.state.full, s.state.incremental
}

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
	id, err := s.stateAt(ctx, at)
	if err != nil {
		return nil, err
	}
	cols := []string{"toString(key)", "toString(version)", "toString(at)"}
	for _, c := range stateColumns {
		cols = append(cols, "ifNull(toString("+c+"), 'NULL')")
	}
	rows, err := s.conn.Query(ctx, "SELECT arrayStringConcat(["+strings.Join(cols, ", ")+"], '|') AS r FROM case_state WHERE build = ? ORDER BY r", id)
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
