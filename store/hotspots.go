package store

import (
	"context"
	"fmt"
	"math"
	"time"
)

// HotspotCell is the number of cases reported in a window in one (county,
// town, village) cell. Cases recorded at a coarser level have the finer
// codes empty.
type HotspotCell struct {
	County, Town, Village string
	Cases                 uint64
}

// hotspotCellsQuery counts the cases reported in [start, end) per cell, in
// their state at end (stateAtSQL). The window is bound client-side; no
// value is formatted into the SQL.
var hotspotCellsQuery = `SELECT county_code, town_code, village_code, count() AS cases
FROM ` + stateAtSQL("county_code", "town_code", "village_code") + `
GROUP BY county_code, town_code, village_code`

// HotspotCells counts the cases reported in [start, end) per cell.
func (s *Store) HotspotCells(ctx context.Context, start, end time.Time) ([]HotspotCell, error) {
	sa, err := s.stateArgs(ctx, start, end)
	if err != nil {
		return nil, err
	}
	rows, err := s.conn.Query(ctx, hotspotCellsQuery, sa...)
	if err != nil {
		return nil, fmt.Errorf("cannot count cases for hot spots: %w", err)
	}
	defer rows.Close()
	var out []HotspotCell
	for rows.Next() {
		var c HotspotCell
		if err := rows.Scan(&c.County, &c.Town, &c.Village, &c.Cases); err != nil {
			return nil, fmt.Errorf("cannot read hot-spot counts: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Hotspot is one row of the hotspots table: one region of one level in one
// window.
type Hotspot struct {
	Window                 string // day, week, month
	WindowStart, WindowEnd time.Time
	Level                  uint8
	RegionCode, ParentCode string
	Cases, Population      uint64
	PopulationSource       string
	// RatePer10k and EBRatePer10k are the crude and the empirical-Bayes
	// rates per 10,000 residents; GiZ, GiP and GiQ are the Gi* z-score, its
	// p-value and the Benjamini–Hochberg q-value within the level. NaN
	// means undefined and is stored as NULL.
	RatePer10k, EBRatePer10k float64
	GiZ, GiP, GiQ            float64
	// Hot is 1 for a hot spot, -1 for a cold spot and 0 otherwise.
	Hot int8
	// NeighboursSource is "geojson" or "siblings".
	NeighboursSource string
	// EHSACategory is the emerging hot spot category, "" when the region has
	// fewer than two windows of z-scores.
	EHSACategory string
	// FunnelFlag is the unit's position on the funnel plot of its level
	// (observed against the level's rate × population, Spiegelhalter limits
	// with overdispersion): none, alert_95 or alarm_99.8; "" when undefined.
	FunnelFlag string
	ComputedAt time.Time
}

// windowCodes are the Enum8 codes of the window column of every result
// table (region_kpis, hotspots, risk_index, …).
var windowCodes = map[string]int8{"day": 1, "week": 2, "month": 3}

// WriteHotspots stores hot-spot rows; rows of a window computed again
// replace the earlier ones (ReplacingMergeTree on computed_at).
func (s *Store) WriteHotspots(ctx context.Context, rows []Hotspot) error {
	if len(rows) == 0 {
		return nil
	}
	n := len(rows)
	win, hot := make([]int8, n), make([]int8, n)
	ws, we, ca := make([]time.Time, n), make([]time.Time, n), make([]time.Time, n)
	lv := make([]uint8, n)
	rc, pc, ps, ns, ec, ff := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	cs, pop := make([]uint64, n), make([]uint64, n)
	var f [5][]*float64
	for i := range f {
		f[i] = make([]*float64, n)
	}
	for i, r := range rows {
		c, ok := windowCodes[r.Window]
		if !ok {
			return fmt.Errorf("hot spot: unknown window %q", r.Window)
		}
		win[i], ws[i], we[i], ca[i] = c, r.WindowStart, r.WindowEnd, r.ComputedAt
		lv[i], rc[i], pc[i] = r.Level, r.RegionCode, r.ParentCode
		cs[i], pop[i], ps[i] = r.Cases, r.Population, r.PopulationSource
		for j, v := range []float64{r.RatePer10k, r.EBRatePer10k, r.GiZ, r.GiP, r.GiQ} {
			f[j][i] = nullableFloat(v)
		}
		hot[i], ns[i], ec[i], ff[i] = r.Hot, r.NeighboursSource, r.EHSACategory, r.FunnelFlag
	}
	return s.insertColumns(ctx, "hotspots",
		"window, window_start, window_end, level, region_code, parent_code, cases, population, population_source, "+
			"rate_per_10k, eb_rate_per_10k, gi_z, gi_p, gi_q, hot, neighbours_source, ehsa_category, funnel_flag, computed_at",
		[]any{win, ws, we, lv, rc, pc, cs, pop, ps, f[0], f[1], f[2], f[3], f[4], hot, ns, ec, ff, ca})
}

// nullableFloat maps NaN and ±Inf to NULL.
func nullableFloat(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// HotspotZ is one stored Gi* z-score of a region in one window; Z is NaN
// where the stored value is NULL.
type HotspotZ struct {
	WindowEnd  time.Time
	Level      uint8
	RegionCode string
	Z          float64
}

// hotspotZQuery reads the z-scores of the last n stored window ends of a
// window kind before a time. The window kind, the time and n are bound
// client-side.
const hotspotZQuery = "SELECT window_end, level, region_code, gi_z\n" +
	"FROM hotspots FINAL\n" +
	"WHERE `window` = ? AND window_end IN (\n" +
	"    SELECT DISTINCT window_end FROM hotspots WHERE `window` = ? AND window_end < ? ORDER BY window_end DESC LIMIT ?)\n" +
	"ORDER BY level, region_code, window_end"

// HotspotZHistory returns the stored Gi* z-scores of the last n window ends
// of kind window ("day", "week", "month") strictly before `before`, ordered
// by level, region and window end (oldest first). Windows never computed
// are absent, so the n ends are the n latest stored ones, not necessarily n
// consecutive windows.
func (s *Store) HotspotZHistory(ctx context.Context, window string, before time.Time, n int) ([]HotspotZ, error) {
	if _, ok := windowCodes[window]; !ok {
		return nil, fmt.Errorf("hot spot history: unknown window %q", window)
	}
	if n <= 0 {
		return nil, nil
	}
	rows, err := s.conn.Query(ctx, hotspotZQuery, window, window, before.UTC(), n)
	if err != nil {
		return nil, fmt.Errorf("cannot read hot-spot history: %w", err)
	}
	defer rows.Close()
	var out []HotspotZ
	for rows.Next() {
		var h HotspotZ
		var z *float64
		if err := rows.Scan(&h.WindowEnd, &h.Level, &h.RegionCode, &z); err != nil {
			return nil, fmt.Errorf("cannot read hot-spot history: %w", err)
		}
		h.Z = math.NaN()
		if z != nil {
			h.Z = *z
		}
		out = append(out, h)
	}
	return out, rows.Err()
}
