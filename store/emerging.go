package store

import (
	"context"
	"fmt"
	"time"
)

// EmergingCase is one case as the emerging-issue job reads it.
type EmergingCase struct {
	CaseID, CountyCode, TownCode, VillageCode, Category string
	// Summary is the masked summary.
	Summary    string
	ReportedAt time.Time
}

// EmergingCases returns the cases reported in [from, to) that are placed in
// a town, with their latest category and masked summary.
func (s *Store) EmergingCases(ctx context.Context, from, to time.Time) ([]EmergingCase, error) {
	rows, err := s.conn.Query(ctx, `SELECT case_id, county_code, town_code, village_code, category, summary, reported_at
FROM cases FINAL
PREWHERE `+reportedDays+`
WHERE reported_at >= ? AND reported_at < ? AND town_code != ''`, append(reportedDaysArgs(from, to), from.UTC(), to.UTC())...)
	if err != nil {
		return nil, fmt.Errorf("cannot read cases for emerging issues: %w", err)
	}
	defer rows.Close()
	var out []EmergingCase
	for rows.Next() {
		var c EmergingCase
		if err := rows.Scan(&c.CaseID, &c.CountyCode, &c.TownCode, &c.VillageCode, &c.Category, &c.Summary, &c.ReportedAt); err != nil {
			return nil, fmt.Errorf("cannot read case for emerging issues: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// EmergingIssue is one row of emerging_issues.
type EmergingIssue struct {
	WindowEnd                 time.Time
	CountyCode, TownCode, Key string
	Representative            string
	Size                      uint32
	Villages, Categories      []string
	FirstAt, LastAt           time.Time
	Members                   []string
	Expected, P               float64
}

// WriteEmerging stores the clusters found at window end at. A
// computation without clusters writes one marker row (empty key, size 0)
// so that it still replaces an earlier computation of the window end.
func (s *Store) WriteEmerging(ctx context.Context, at, computedAt time.Time, issues []EmergingIssue) error {
	if len(issues) == 0 {
		issues = []EmergingIssue{{FirstAt: at, LastAt: at}}
	}
	n := len(issues)
	we, ca, first, last := make([]time.Time, n), make([]time.Time, n), make([]time.Time, n), make([]time.Time, n)
	county, town, key, rep := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	size := make([]uint32, n)
	vil, cats, mem := make([][]string, n), make([][]string, n), make([][]string, n)
	exp, p := make([]float64, n), make([]float64, n)
	nonNil := func(s []string) []string {
		if s == nil {
			return []string{}
		}
		return s
	}
	for i, e := range issues {
		we[i], ca[i], first[i], last[i] = at, computedAt, e.FirstAt, e.LastAt
		county[i], town[i], key[i], rep[i] = e.CountyCode, e.TownCode, e.Key, e.Representative
		size[i], exp[i], p[i] = e.Size, e.Expected, e.P
		vil[i], cats[i], mem[i] = nonNil(e.Villages), nonNil(e.Categories), nonNil(e.Members)
	}
	return s.insertColumns(ctx, "emerging_issues",
		"window_end, county_code, town_code, cluster_key, representative, size, villages, categories, first_at, last_at, members, expected, p, computed_at",
		[]any{we, county, town, key, rep, size, vil, cats, first, last, mem, exp, p, ca})
}

// EmergingIssues returns the clusters of the window ends in (from, to], of
// each window end's newest computation, in window and town order (the
// markers of computations without clusters left out).
func (s *Store) EmergingIssues(ctx context.Context, from, to time.Time) ([]EmergingIssue, error) {
	rows, err := s.conn.Query(ctx, `SELECT window_end, county_code, town_code, cluster_key, representative, size, villages, categories,
    first_at, last_at, members, expected, p
FROM emerging_issues FINAL
WHERE window_end > ? AND window_end <= ? AND size > 0
  AND (window_end, computed_at) IN (SELECT window_end, max(computed_at) FROM emerging_issues WHERE window_end > ? AND window_end <= ? GROUP BY window_end)
ORDER BY window_end, town_code, cluster_key`, from.UTC(), to.UTC(), from.UTC(), to.UTC())
	if err != nil {
		return nil, fmt.Errorf("cannot read emerging issues: %w", err)
	}
	defer rows.Close()
	var out []EmergingIssue
	for rows.Next() {
		var e EmergingIssue
		if err := rows.Scan(&e.WindowEnd, &e.CountyCode, &e.TownCode, &e.Key, &e.Representative, &e.Size, &e.Villages, &e.Categories,
			&e.FirstAt, &e.LastAt, &e.Members, &e.Expected, &e.P); err != nil {
			return nil, fmt.Errorf("cannot read emerging issue: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// WarningEmergingIssues returns the clusters of the latest computed
// window end (none before the first computation).
func (s *Store) WarningEmergingIssues(ctx context.Context) ([]EmergingIssue, error) {
	var latest time.Time
	var n uint64
	if err := s.conn.QueryRow(ctx, "SELECT max(window_end), count() FROM emerging_issues").Scan(&latest, &n); err != nil {
		return nil, fmt.Errorf("cannot read the latest emerging-issue window: %w", err)
	}
	if n == 0 {
		return nil, nil
	}
	return s.EmergingIssues(ctx, latest.Add(-time.Second), latest)
}
