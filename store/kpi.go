package store

import (
	"context"
	"fmt"
	"time"
)

// KPIWindows are the three windows one KPI row compares: the window itself,
// the one before it (环比) and the same window a year earlier (同比). Each is
// [start, end).
type KPIWindows struct {
	Start, End         time.Time
	PrevStart, PrevEnd time.Time
	YoYStart, YoYEnd   time.Time
}

// KPICell holds the counts of one (county, town, village) cell. Cases
// recorded at a coarser level have the finer codes empty.
type KPICell struct {
	County, Town, Village string
	// Accepted cases were reported in the window; Resolved (化解), Concluded
	// (办结: resolved, failed or closed) and Evaluated/Satisfied count among
	// them, in their state at the window end.
	Accepted, Resolved, Concluded, Evaluated, Satisfied uint64
	// Handled cases were resolved in the window; HandlingDaysSum is the sum
	// of their days from report to resolution.
	Handled         uint64
	HandlingDaysSum float64
	// Overdue cases were reported before the window end, are not concluded
	// and were due before the window end, all in their state at the window
	// end.
	Overdue                   uint64
	PrevAccepted, YoYAccepted uint64
}

// kpiQuery counts, per cell, everything a KPI row needs in one scan of
// the cases' state at the window end (stateAtSQL). Windows are bound
// client-side; no value is formatted into the SQL. The handling time is
// summed in whole seconds (exact in any order) and the cells come sorted,
// so that the job's float sums are the same bits however the server split
// the scan (threads, or the shards of a cluster).
var kpiQuery = `SELECT county_code, town_code, village_code,
    countIf(reported_at >= ? AND reported_at < ?) AS accepted,
    countIf(reported_at >= ? AND reported_at < ? AND (status = 'resolved' OR (status = 'closed' AND resolved_at IS NOT NULL))) AS resolved,
    countIf(reported_at >= ? AND reported_at < ? AND status IN ('resolved', 'failed', 'closed')) AS concluded,
    countIf(reported_at >= ? AND reported_at < ? AND satisfaction != '') AS evaluated,
    countIf(reported_at >= ? AND reported_at < ? AND satisfaction IN ('satisfied', 'basic')) AS satisfied,
    countIf(resolved_at IS NOT NULL AND assumeNotNull(resolved_at) >= ? AND assumeNotNull(resolved_at) < ?) AS handled,
    sumIf(toInt64(toUInt32(assumeNotNull(resolved_at))) - toInt64(toUInt32(reported_at)),
          resolved_at IS NOT NULL AND assumeNotNull(resolved_at) >= ? AND assumeNotNull(resolved_at) < ?) / 86400 AS handling_days,
    countIf(reported_at < ? AND due_at IS NOT NULL AND assumeNotNull(due_at) < ? AND status NOT IN ('resolved', 'failed', 'closed')) AS overdue,
    countIf(reported_at >= ? AND reported_at < ?) AS prev_accepted,
    countIf(reported_at >= ? AND reported_at < ?) AS yoy_accepted
FROM ` + stateAtSQL("county_code", "town_code", "village_code", "reported_at", "status", "resolved_at", "due_at", "satisfaction") + `
GROUP BY county_code, town_code, village_code
ORDER BY county_code, town_code, village_code`

// KPICells counts cases per cell for the windows.
func (s *Store) KPICells(ctx context.Context, w KPIWindows) ([]KPICell, error) {
	u := func(t time.Time) time.Time { return t.UTC() }
	s0, e0 := u(w.Start), u(w.End)
	args := []any{s0, e0, s0, e0, s0, e0, s0, e0, s0, e0, s0, e0, s0, e0, e0, e0,
		u(w.PrevStart), u(w.PrevEnd), u(w.YoYStart), u(w.YoYEnd)}
	sa, err := s.stateArgs(ctx, time.Time{}, w.End)
	if err != nil {
		return nil, err
	}
	args = append(args, sa...)
	rows, err := s.conn.Query(ctx, kpiQuery, args...)
	if err != nil {
		return nil, fmt.Errorf("cannot count KPIs: %w", err)
	}
	defer rows.Close()
	var out []KPICell
	for rows.Next() {
		var c KPICell
		if err := rows.Scan(&c.County, &c.Town, &c.Village, &c.Accepted, &c.Resolved, &c.Concluded, &c.Evaluated,
			&c.Satisfied, &c.Handled, &c.HandlingDaysSum, &c.Overdue, &c.PrevAccepted, &c.YoYAccepted); err != nil {
			return nil, fmt.Errorf("cannot read KPI counts: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// RegionKPI is one row of region_kpis.
type RegionKPI struct {
	Window                    string // day, week, month
	WindowStart, WindowEnd    time.Time
	Level                     uint8
	RegionCode, ParentCode    string
	Accepted, Resolved        uint64
	Concluded, Evaluated      uint64
	Satisfied, Overdue        uint64
	Handled                   uint64
	HandlingDaysSum           float64
	ResolveRate, ConcludeRate float64 // NaN when undefined (stored as NULL)
	SatisfactionRate          float64
	MeanHandlingDays          float64
	PrevAccepted, YoYAccepted uint64
	MoMChange, YoYChange      float64 // relative change; NaN when the base is 0
	ComputedAt                time.Time
}

// WriteRegionKPIs stores KPI rows; rows of a window computed again replace
// the earlier ones.
func (s *Store) WriteRegionKPIs(ctx context.Context, rows []RegionKPI) error {
	if len(rows) == 0 {
		return nil
	}
	n := len(rows)
	win := make([]int8, n)
	ws, we, ca := make([]time.Time, n), make([]time.Time, n), make([]time.Time, n)
	lv := make([]uint8, n)
	rc, pc := make([]string, n), make([]string, n)
	var u [8][]uint64
	for i := range u {
		u[i] = make([]uint64, n)
	}
	hd := make([]float64, n)
	var f [6][]*float64
	for i := range f {
		f[i] = make([]*float64, n)
	}
	for i, r := range rows {
		c, ok := windowCodes[r.Window]
		if !ok {
			return fmt.Errorf("region KPI: unknown window %q", r.Window)
		}
		win[i], ws[i], we[i], ca[i], lv[i], rc[i], pc[i] = c, r.WindowStart, r.WindowEnd, r.ComputedAt, r.Level, r.RegionCode, r.ParentCode
		for j, v := range []uint64{r.Accepted, r.Resolved, r.Concluded, r.Evaluated, r.Satisfied, r.Overdue, r.Handled, 0} {
			u[j][i] = v
		}
		hd[i] = r.HandlingDaysSum
		for j, v := range []float64{r.ResolveRate, r.ConcludeRate, r.SatisfactionRate, r.MeanHandlingDays, r.MoMChange, r.YoYChange} {
			f[j][i] = nullableFloat(v)
		}
		u[7][i] = r.PrevAccepted
	}
	yoy := make([]uint64, n)
	for i, r := range rows {
		yoy[i] = r.YoYAccepted
	}
	return s.insertColumns(ctx, "region_kpis",
		"window, window_start, window_end, level, region_code, parent_code, accepted, resolved, concluded, evaluated, satisfied, overdue, handled, "+
			"handling_days_sum, resolve_rate, conclude_rate, satisfaction_rate, mean_handling_days, prev_accepted, yoy_accepted, mom_change, yoy_change, computed_at",
		[]any{win, ws, we, lv, rc, pc, u[0], u[1], u[2], u[3], u[4], u[5], u[6], hd, f[0], f[1], f[2], f[3], u[7], yoy, f[4], f[5], ca})
}
