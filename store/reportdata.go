package store

import (
	"context"
	"fmt"
	"time"
)

// Read queries of the warning reports (internal/reportgen): the rows the
// index jobs stored, for one region and window. Every query reads FINAL
// (the newest computation of a row) and binds its values client-side.

// ReportScope selects the cases of a report's region by the codes the
// case and alarm tables carry: the whole store when both are empty, one
// county, or one town.
type ReportScope struct {
	County, Town string
}

func (sc ReportScope) cond(countyCol, townCol string) (string, []any) {
	switch {
	case sc.Town != "":
		return " AND " + townCol + " = ?", []any{sc.Town}
	case sc.County != "":
		return " AND " + countyCol + " = ?", []any{sc.County}
	}
	return "", nil
}

// ReportKPIs returns the region_kpis rows of the window ending at end for
// the given region codes, in code order.
func (s *Store) ReportKPIs(ctx context.Context, window string, end time.Time, codes []string) ([]RegionKPI, error) {
	if _, ok := windowCodes[window]; !ok {
		return nil, fmt.Errorf("report KPIs: unknown window %q", window)
	}
	rows, err := s.conn.Query(ctx, `SELECT toString(window), window_start, window_end, level, region_code, parent_code,
    accepted, resolved, concluded, evaluated, satisfied, overdue, handled, handling_days_sum,
    ifNull(resolve_rate, nan), ifNull(conclude_rate, nan), ifNull(satisfaction_rate, nan), ifNull(mean_handling_days, nan),
    prev_accepted, yoy_accepted, ifNull(mom_change, nan), ifNull(yoy_change, nan), computed_at
FROM region_kpis FINAL
WHERE window = ? AND window_end = ? AND has(?, region_code)
ORDER BY region_code`, window, end.UTC(), codes)
	if err != nil {
		return nil, fmt.Errorf("cannot read report KPIs: %w", err)
	}
	defer rows.Close()
	var out []RegionKPI
	for rows.Next() {
		var k RegionKPI
		if err := rows.Scan(&k.Window, &k.WindowStart, &k.WindowEnd, &k.Level, &k.RegionCode, &k.ParentCode,
			&k.Accepted, &k.Resolved, &k.Concluded, &k.Evaluated, &k.Satisfied, &k.Overdue, &k.Handled, &k.HandlingDaysSum,
			&k.ResolveRate, &k.ConcludeRate, &k.SatisfactionRate, &k.MeanHandlingDays,
			&k.PrevAccepted, &k.YoYAccepted, &k.MoMChange, &k.YoYChange, &k.ComputedAt); err != nil {
			return nil, fmt.Errorf("cannot read report KPI row: %w", err)
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// ReportDayCount is the number of distinct cases of one category reported
// on one local day.
type ReportDayCount struct {
	Day      time.Time // local midnight in loc
	Category string
	Cases    uint64
}

// ReportDaily counts the cases per local day and category for the days
// from the day of from to the day before to (both read in loc), from
// cases FINAL: each case once, as its newest version says, the rows the
// KPI job counts.
// The filter is a WHERE, applied after FINAL, so a case moved out of the
// range by a later version is not counted by its old version. The result
// has at most days × categories rows.
func (s *Store) ReportDaily(ctx context.Context, from, to time.Time, loc *time.Location, sc ReportScope) ([]ReportDayCount, error) {
	cond, args := sc.cond("county_code", "town_code")
	q := `SELECT toString(reported_date), category, count()
FROM cases FINAL
WHERE reported_date >= toDate(?) AND reported_date < toDate(?)` + cond + `
GROUP BY reported_date, category
ORDER BY reported_date, category`
	rows, err := s.conn.Query(ctx, q, append([]any{from.In(loc).Format(time.DateOnly), to.In(loc).Format(time.DateOnly)}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("cannot read daily case counts: %w", err)
	}
	defer rows.Close()
	var out []ReportDayCount
	for rows.Next() {
		var d ReportDayCount
		var day string
		if err := rows.Scan(&day, &d.Category, &d.Cases); err != nil {
			return nil, fmt.Errorf("cannot read daily case count: %w", err)
		}
		t, err := time.ParseInLocation(time.DateOnly, day, loc)
		if err != nil {
			return nil, fmt.Errorf("daily case count: bad day %q: %w", day, err)
		}
		d.Day = t
		out = append(out, d)
	}
	return out, rows.Err()
}

// ReportLatestWindowEnd returns the newest window end ≤ at that the table
// (region_kpis, risk_index, hotspots or type_ranks) has rows for, and false
// when it has none.
func (s *Store) ReportLatestWindowEnd(ctx context.Context, table, window string, at time.Time) (time.Time, bool, error) {
	switch table {
	case "region_kpis", "risk_index", "hotspots", "type_ranks":
	default:
		return time.Time{}, false, fmt.Errorf("cannot find report windows: no window ends in table %q", table)
	}
	if _, ok := windowCodes[window]; !ok {
		return time.Time{}, false, fmt.Errorf("cannot find report windows: unknown window %q", window)
	}
	var n uint64
	var end time.Time
	// The table name comes from the list above, never from input.
	if err := s.conn.QueryRow(ctx, "SELECT count(), max(window_end) FROM "+table+" WHERE window = ? AND window_end <= ?",
		window, at.UTC()).Scan(&n, &end); err != nil {
		return time.Time{}, false, fmt.Errorf("cannot read the latest %s window of %s: %w", window, table, err)
	}
	return end, n > 0, nil
}

// ReportHotspots returns the hotspots rows of the window ending at end
// whose parent is parent, in code order.
func (s *Store) ReportHotspots(ctx context.Context, window string, end time.Time, parent string) ([]Hotspot, error) {
	if _, ok := windowCodes[window]; !ok {
		return nil, fmt.Errorf("report hotspots: unknown window %q", window)
	}
	rows, err := s.conn.Query(ctx, `SELECT toString(window), window_start, window_end, level, region_code, parent_code, cases, population,
    population_source, ifNull(rate_per_10k, nan), ifNull(eb_rate_per_10k, nan), ifNull(gi_z, nan), ifNull(gi_p, nan), ifNull(gi_q, nan),
    hot, neighbours_source, ehsa_category, funnel_flag, computed_at
FROM hotspots FINAL
WHERE window = ? AND window_end = ? AND parent_code = ?
ORDER BY region_code`, window, end.UTC(), parent)
	if err != nil {
		return nil, fmt.Errorf("cannot read report hotspots: %w", err)
	}
	defer rows.Close()
	var out []Hotspot
	for rows.Next() {
		var h Hotspot
		if err := rows.Scan(&h.Window, &h.WindowStart, &h.WindowEnd, &h.Level, &h.RegionCode, &h.ParentCode, &h.Cases, &h.Population,
			&h.PopulationSource, &h.RatePer10k, &h.EBRatePer10k, &h.GiZ, &h.GiP, &h.GiQ, &h.Hot, &h.NeighboursSource,
			&h.EHSACategory, &h.FunnelFlag, &h.ComputedAt); err != nil {
			return nil, fmt.Errorf("cannot read report hotspot: %w", err)
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// ReportTypeRanks returns the type_ranks rows of one region and window,
// by rank, at most limit.
func (s *Store) ReportTypeRanks(ctx context.Context, window string, end time.Time, region string, limit int) ([]TypeRank, error) {
	if _, ok := windowCodes[window]; !ok {
		return nil, fmt.Errorf("report types: unknown window %q", window)
	}
	rows, err := s.conn.Query(ctx, `SELECT toString(window), window_end, level, region_code, category, category_name_zh, rank, cases,
    share, baseline, ifNull(yoy_cases, 0), isNotNull(yoy_cases), ifNull(growth, nan), ifNull(z, nan), ifNull(p, nan),
    significant, surging, computed_at
FROM type_ranks FINAL
WHERE window = ? AND window_end = ? AND region_code = ?
ORDER BY rank, category
LIMIT ?`, window, end.UTC(), region, limit)
	if err != nil {
		return nil, fmt.Errorf("cannot read report types: %w", err)
	}
	defer rows.Close()
	var out []TypeRank
	for rows.Next() {
		var r TypeRank
		var hasYoY, sig, surg uint8
		if err := rows.Scan(&r.Window, &r.WindowEnd, &r.Level, &r.RegionCode, &r.Category, &r.CategoryNameZH, &r.Rank, &r.Cases,
			&r.Share, &r.Baseline, &r.YoYCases, &hasYoY, &r.Growth, &r.Z, &r.P, &sig, &surg, &r.ComputedAt); err != nil {
			return nil, fmt.Errorf("cannot read report type row: %w", err)
		}
		r.HasYoY, r.Significant, r.Surging = hasYoY == 1, sig == 1, surg == 1
		out = append(out, r)
	}
	return out, rows.Err()
}

// ReportStatAlarms returns the raised statistical alarms (alarm = 1) of the
// windows of kind window ending in (from, to] for the given region codes,
// newest first, at most limit, and how many there are in all. A series
// (window, window end, level, region, category) counts once: FINAL keeps a
// row per detector (detector is in the sorting key), so after a switch of
// detector only the newest computation of the series is kept.
func (s *Store) ReportStatAlarms(ctx context.Context, window string, from, to time.Time, codes []string, limit int) ([]StatAlarm, uint64, error) {
	if _, ok := statAlarmWindows[window]; !ok {
		return nil, 0, fmt.Errorf("report stat alarms: unknown window %q", window)
	}
	// The newest computation per series, then only the raised ones: a
	// series whose newest detector did not alarm is not an alarm.
	const latest = `SELECT toString(window) AS w, window_end AS we, level AS lv, region_code AS rc, category AS cat,
    argMax(detector, computed_at) AS det, argMax(params, computed_at) AS par, argMax(observed, computed_at) AS obs,
    argMax(ifNull(expected, nan), computed_at) AS ex, argMax(ifNull(upperbound, nan), computed_at) AS ub,
    argMax(alarm, computed_at) AS al, max(computed_at) AS ca
FROM stat_alarms FINAL
WHERE window = ? AND window_end > ? AND window_end <= ? AND has(?, region_code)
GROUP BY window, window_end, level, region_code, category`
	args := []any{window, from.UTC(), to.UTC(), codes}
	var total uint64
	if err := s.conn.QueryRow(ctx, `SELECT count() FROM (`+latest+`) WHERE al = 1`, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("cannot count report stat alarms: %w", err)
	}
	rows, err := s.conn.Query(ctx, `SELECT w, we, lv, rc, cat, det, par, obs, ex, ub, al, ca FROM (`+latest+`)
WHERE al = 1
ORDER BY we DESC, lv, rc, cat
LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, 0, fmt.Errorf("cannot read report stat alarms: %w", err)
	}
	defer rows.Close()
	var out []StatAlarm
	for rows.Next() {
		var a StatAlarm
		var alarm uint8
		if err := rows.Scan(&a.Window, &a.WindowEnd, &a.Level, &a.RegionCode, &a.Category, &a.Detector, &a.Params,
			&a.Observed, &a.Expected, &a.UpperBound, &alarm, &a.ComputedAt); err != nil {
			return nil, 0, fmt.Errorf("cannot read report stat alarm: %w", err)
		}
		a.Alarm = alarm == 1
		out = append(out, a)
	}
	return out, total, rows.Err()
}

// ReportRuleAlarm is a rule alarm with the summary of its case.
type ReportRuleAlarm struct {
	RuleAlarm
	Summary string
}

// ReportRuleAlarms returns the rule alarms of the cases reported in
// [from, to) in the scope, most severe and newest first, at most limit,
// each with its case's summary, and the number of alarms in the scope and
// period. The period is on reported_at, not detected_at: on a live stream
// they are minutes apart, and an imported or replayed history still gets
// its alarms in the reports of its own periods.
func (s *Store) ReportRuleAlarms(ctx context.Context, from, to time.Time, sc ReportScope, limit int) ([]ReportRuleAlarm, uint64, error) {
	cond, args := sc.cond("county_code", "town_code")
	base := append([]any{from.UTC(), to.UTC()}, args...)
	var total uint64
	if err := s.conn.QueryRow(ctx, `SELECT count() FROM rule_alarms FINAL WHERE reported_at >= ? AND reported_at < ?`+cond, base...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("cannot count report rule alarms: %w", err)
	}
	rows, err := s.conn.Query(ctx, `SELECT rule, source, case_id, case_version, toString(level), county_code, town_code, region_code,
    category, detail, reported_at, detected_at
FROM rule_alarms FINAL
WHERE reported_at >= ? AND reported_at < ?`+cond+`
ORDER BY level DESC, reported_at DESC, rule, case_id
LIMIT ?`, append(base, limit)...)
	if err != nil {
		return nil, 0, fmt.Errorf("cannot read report rule alarms: %w", err)
	}
	defer rows.Close()
	var out []ReportRuleAlarm
	var ids []string
	for rows.Next() {
		var a ReportRuleAlarm
		if err := rows.Scan(&a.Rule, &a.Source, &a.CaseID, &a.CaseVersion, &a.Level, &a.CountyCode, &a.TownCode, &a.RegionCode,
			&a.Category, &a.Detail, &a.ReportedAt, &a.DetectedAt); err != nil {
			return nil, 0, fmt.Errorf("cannot read report rule alarm: %w", err)
		}
		out = append(out, a)
		ids = append(ids, a.CaseID)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	if len(ids) == 0 {
		return out, total, nil
	}
	// The set subquery lets the primary key (source, case_id) pick the
	// granules, and the report dates prune the partitions: the lookup reads
	// the alarmed cases, not the table.
	lo, hi := out[0].ReportedAt, out[0].ReportedAt
	for _, a := range out {
		if a.ReportedAt.Before(lo) {
			lo = a.ReportedAt
		}
		if a.ReportedAt.After(hi) {
			hi = a.ReportedAt
		}
	}
	srows, err := s.conn.Query(ctx, `SELECT toString(source), case_id, summary FROM cases FINAL
WHERE case_id IN (SELECT arrayJoin(?)) AND reported_date >= toDate(?) AND reported_date <= toDate(?)`,
		ids, lo.AddDate(0, 0, -1).Format(time.DateOnly), hi.AddDate(0, 0, 1).Format(time.DateOnly))
	if err != nil {
		return nil, 0, fmt.Errorf("cannot read the summaries of alarmed cases: %w", err)
	}
	defer srows.Close()
	summaries := map[[2]string]string{}
	for srows.Next() {
		var src, id, sum string
		if err := srows.Scan(&src, &id, &sum); err != nil {
			return nil, 0, fmt.Errorf("cannot read a case summary: %w", err)
		}
		summaries[[2]string{src, id}] = sum
	}
	if err := srows.Err(); err != nil {
		return nil, 0, err
	}
	for i := range out {
		out[i].Summary = summaries[[2]string{out[i].Source, out[i].CaseID}]
	}
	return out, total, nil
}

// ReportSupervisionUnits returns the responsible units of the newest
// supervision snapshot taken at or before at, in the county (all when
// county is ""), with the snapshot time; the zero time when there is none.
// With a town, the units are counted from supervision_cases (which has the
// town of each case; supervision_units has none), the way the supervision
// job counts them: open, green, yellow and red over the cases not
// concluded, rehandle over all.
func (s *Store) ReportSupervisionUnits(ctx context.Context, at time.Time, county, town string) ([]SupervisionUnit, time.Time, error) {
	table := "supervision_units"
	if town != "" {
		table = "supervision_cases"
	}
	var n uint64
	var snap time.Time
	// The table name is one of the two above, never input.
	if err := s.conn.QueryRow(ctx, `SELECT count(), max(window_end) FROM `+table+` WHERE window_end <= ?`, at.UTC()).Scan(&n, &snap); err != nil {
		return nil, time.Time{}, fmt.Errorf("cannot find the supervision snapshot: %w", err)
	}
	if n == 0 {
		return nil, time.Time{}, nil
	}
	q := `SELECT assigned_unit, county_code, open, green, yellow, red, rehandle
FROM supervision_units FINAL
WHERE window_end = ?`
	args := []any{snap}
	if town != "" {
		q = `SELECT assigned_unit, county_code, countIf(status NOT IN ('resolved', 'failed', 'closed')) AS open,
    countIf(status NOT IN ('resolved', 'failed', 'closed') AND light = 'green') AS green,
    countIf(status NOT IN ('resolved', 'failed', 'closed') AND light = 'yellow') AS yellow,
    countIf(status NOT IN ('resolved', 'failed', 'closed') AND light = 'red') AS red, toUInt64(sum(rehandle)) AS rehandle
FROM supervision_cases FINAL
WHERE window_end = ? AND town_code = ?
GROUP BY assigned_unit, county_code`
		args = append(args, town)
	} else if county != "" {
		q += " AND county_code = ?"
		args = append(args, county)
	}
	rows, err := s.conn.Query(ctx, q+" ORDER BY red DESC, yellow DESC, assigned_unit, county_code", args...)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("cannot read supervision units: %w", err)
	}
	defer rows.Close()
	var out []SupervisionUnit
	for rows.Next() {
		var u SupervisionUnit
		if err := rows.Scan(&u.AssignedUnit, &u.CountyCode, &u.Open, &u.Green, &u.Yellow, &u.Red, &u.Rehandle); err != nil {
			return nil, time.Time{}, fmt.Errorf("cannot read supervision unit: %w", err)
		}
		out = append(out, u)
	}
	return out, snap, rows.Err()
}

// ReportLatestActiveWindowEnd returns the newest window end ≤ at whose
// region_kpis row of the region has accepted cases, and false when there
// is none: the latest period a report has something to say about.
func (s *Store) ReportLatestActiveWindowEnd(ctx context.Context, window, region string, at time.Time) (time.Time, bool, error) {
	if _, ok := windowCodes[window]; !ok {
		return time.Time{}, false, fmt.Errorf("cannot find report windows: unknown window %q", window)
	}
	var n uint64
	var end time.Time
	// accepted is filtered after FINAL (in the subquery's outer WHERE): a
	// window recomputed to zero cases is not active because an older
	// computation had some.
	if err := s.conn.QueryRow(ctx, `SELECT count(), max(window_end) FROM (
    SELECT window_end, accepted FROM region_kpis FINAL
    WHERE window = ? AND region_code = ? AND window_end <= ?)
WHERE accepted > 0`, window, region, at.UTC()).Scan(&n, &end); err != nil {
		return time.Time{}, false, fmt.Errorf("cannot read the latest active %s window: %w", window, err)
	}
	return end, n > 0, nil
}
