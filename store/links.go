package store

import (
	"context"
	"fmt"
	"time"
)

// PartyKeyCase is one case with party keys, as the links job reads it.
type PartyKeyCase struct {
	CaseID                            string
	CountyCode, TownCode, VillageCode string
	ReportedAt                        time.Time
	// Keys, Kinds and Labels are the case's party_keys, party_key_kinds
	// and party_labels (same length).
	Keys, Kinds, Labels []string
}

// PartyKeyCases returns the cases reported in [from, to) that have party
// keys, each in its latest version.
func (s *Store) PartyKeyCases(ctx context.Context, from, to time.Time) ([]PartyKeyCase, error) {
	rows, err := s.conn.Query(ctx, `SELECT case_id, county_code, town_code, village_code, reported_at, party_keys, party_key_kinds, party_labels
FROM cases FINAL
PREWHERE `+reportedDays+`
WHERE reported_at >= ? AND reported_at < ? AND length(party_keys) > 0`, append(reportedDaysArgs(from, to), from.UTC(), to.UTC())...)
	if err != nil {
		return nil, fmt.Errorf("cannot read party keys of cases: %w", err)
	}
	defer rows.Close()
	var out []PartyKeyCase
	for rows.Next() {
		var c PartyKeyCase
		if err := rows.Scan(&c.CaseID, &c.CountyCode, &c.TownCode, &c.VillageCode, &c.ReportedAt, &c.Keys, &c.Kinds, &c.Labels); err != nil {
			return nil, fmt.Errorf("cannot read party keys of a case: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// CaseLink is one row of case_links.
type CaseLink struct {
	WindowEnd                          time.Time
	Key                                string
	Keys, Kinds                        []string
	Label                              string
	Reasons                            []string
	CaseCount, TownCount, VillageCount uint32
	ScopeCode                          string
	Counties, Towns, Villages          []string
	CaseIDs                            []string
	FirstReported, LastReported        time.Time
}

// WriteLinks stores the links found at window end at. A computation
// without links writes one marker row (empty key) so that it still
// replaces an earlier computation of the window end.
func (s *Store) WriteLinks(ctx context.Context, at, computedAt time.Time, links []CaseLink) error {
	if len(links) == 0 {
		links = []CaseLink{{FirstReported: at, LastReported: at}}
	}
	n := len(links)
	we, ca, first, last := make([]time.Time, n), make([]time.Time, n), make([]time.Time, n), make([]time.Time, n)
	key, label, scope := make([]string, n), make([]string, n), make([]string, n)
	keys, kinds, reasons, counties, towns, villages, ids := make([][]string, n), make([][]string, n), make([][]string, n),
		make([][]string, n), make([][]string, n), make([][]string, n), make([][]string, n)
	nc, nt, nv := make([]uint32, n), make([]uint32, n), make([]uint32, n)
	for i, l := range links {
		we[i], ca[i], first[i], last[i] = at, computedAt, l.FirstReported, l.LastReported
		key[i], label[i], scope[i] = l.Key, l.Label, l.ScopeCode
		keys[i], kinds[i], reasons[i] = nonNilStrings(l.Keys), nonNilStrings(l.Kinds), nonNilStrings(l.Reasons)
		counties[i], towns[i], villages[i], ids[i] = nonNilStrings(l.Counties), nonNilStrings(l.Towns), nonNilStrings(l.Villages), nonNilStrings(l.CaseIDs)
		nc[i], nt[i], nv[i] = l.CaseCount, l.TownCount, l.VillageCount
	}
	return s.insertColumns(ctx, "case_links",
		"window_end, link_key, party_keys, kinds, label, reasons, case_count, town_count, village_count, scope_code, "+
			"county_codes, town_codes, village_codes, case_ids, first_reported, last_reported, computed_at",
		[]any{we, key, keys, kinds, label, reasons, nc, nt, nv, scope, counties, towns, villages, ids, first, last, ca})
}

const caseLinkColumns = `window_end, link_key, party_keys, kinds, label, reasons, case_count, town_count, village_count, scope_code,
    county_codes, town_codes, village_codes, case_ids, first_reported, last_reported`

func scanCaseLink(sc interface{ Scan(...any) error }) (CaseLink, error) {
	var l CaseLink
	err := sc.Scan(&l.WindowEnd, &l.Key, &l.Keys, &l.Kinds, &l.Label, &l.Reasons, &l.CaseCount, &l.TownCount, &l.VillageCount, &l.ScopeCode,
		&l.Counties, &l.Towns, &l.Villages, &l.CaseIDs, &l.FirstReported, &l.LastReported)
	return l, err
}

// CaseLinks returns the links of the window ends in (from, to], of each
// window end's newest computation, in window, size (largest first) and
// key order (the markers of computations without links left out).
func (s *Store) CaseLinks(ctx context.Context, from, to time.Time) ([]CaseLink, error) {
	rows, err := s.conn.Query(ctx, `SELECT `+caseLinkColumns+`
FROM case_links FINAL
WHERE window_end > ? AND window_end <= ? AND link_key != ''
  AND (window_end, computed_at) IN (SELECT window_end, max(computed_at) FROM case_links WHERE window_end > ? AND window_end <= ? GROUP BY window_end)
ORDER BY window_end, case_count DESC, link_key`, from.UTC(), to.UTC(), from.UTC(), to.UTC())
	if err != nil {
		return nil, fmt.Errorf("cannot read case links: %w", err)
	}
	defer rows.Close()
	var out []CaseLink
	for rows.Next() {
		l, err := scanCaseLink(rows)
		if err != nil {
			return nil, fmt.Errorf("cannot read case link: %w", err)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// WarningCaseLinks returns the links of the latest computed window end
// (none before the first computation).
func (s *Store) WarningCaseLinks(ctx context.Context) ([]CaseLink, error) {
	var latest time.Time
	var n uint64
	if err := s.conn.QueryRow(ctx, "SELECT max(window_end), count() FROM case_links").Scan(&latest, &n); err != nil {
		return nil, fmt.Errorf("cannot read the latest case-link window: %w", err)
	}
	if n == 0 {
		return nil, nil
	}
	return s.CaseLinks(ctx, latest.Add(-time.Second), latest)
}

// LatestCaseLinks returns the links of the latest computed window end at
// or before `to` (none before the first computation).
func (s *Store) LatestCaseLinks(ctx context.Context, to time.Time) ([]CaseLink, error) {
	var latest time.Time
	var n uint64
	if err := s.conn.QueryRow(ctx, "SELECT max(window_end), count() FROM case_links WHERE window_end <= ?", to.UTC()).Scan(&latest, &n); err != nil {
		return nil, fmt.Errorf("cannot read the latest case-link window: %w", err)
	}
	if n == 0 {
		return nil, nil
	}
	return s.CaseLinks(ctx, latest.Add(-time.Second), latest)
}

// APILinks returns the links of the latest computed window end whose
// cases all lie within prefix (a region code prefix: the link's scope,
// its town or county, starts with it; a link spanning counties has the
// scope root, the registry's root code), largest first, at most limit
// (truncated says more matched).
func (s *Store) APILinks(ctx context.Context, prefix, root string, limit int) (links []CaseLink, truncated bool, err error) {
	rows, err := s.conn.Query(ctx, `SELECT `+caseLinkColumns+`
FROM case_links FINAL
WHERE link_key != '' AND if(scope_code = '', ?, scope_code) LIKE ?
  AND (window_end, computed_at) IN (
    SELECT window_end, max(computed_at) FROM case_links
    WHERE window_end = (SELECT max(window_end) FROM case_links) GROUP BY window_end)
ORDER BY case_count DESC, link_key
LIMIT ?`, root, likePrefix(prefix), limit+1)
	if err != nil {
		return nil, false, fmt.Errorf("cannot read case links: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		l, err := scanCaseLink(rows)
		if err != nil {
			return nil, false, fmt.Errorf("cannot read case link: %w", err)
		}
		links = append(links, l)
	}
	if len(links) > limit {
		links, truncated = links[:limit], true
	}
	return links, truncated, rows.Err()
}
