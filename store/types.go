package store

import (
	"context"
	"fmt"
	"time"
)

// TypeWindows are the windows one high-frequency-type row compares, each
// [start, end): the window itself, the four windows before it (newest first)
// whose mean is the baseline, and the same window a year earlier.
type TypeWindows struct {
	Start, End         time.Time
	PrevStart, PrevEnd [4]time.Time
	YoYStart, YoYEnd   time.Time
}

// TypeCell holds the case counts of one category in one (county, town,
// village) cell. Cases recorded at a coarser level have the finer codes
// empty.
type TypeCell struct {
	County, Town, Village string
	Category              string // the taxonomy code as stored in cases.category
	// Cases were reported in the window; Prev[i] in the i-th window before
	// it (Prev[0] is the one just before); YoY in the same window a year
	// earlier.
	Cases uint64
	Prev  [4]uint64
	YoY   uint64
}

// typeQuery counts, per cell and category, the cases of the window, of each
// of the four previous windows and of the year-ago window in one scan of
// the cases' state at the window end. Windows are bound client-side; no
// value is formatted into the SQL.
var typeQuery = `SELECT county_code, town_code, village_code, category,
    countIf(reported_at >= ? AND reported_at < ?) AS cur,
    countIf(reported_at >= ? AND reported_at < ?) AS prev1,
    countIf(reported_at >= ? AND reported_at < ?) AS prev2,
    countIf(reported_at >= ? AND reported_at < ?) AS prev3,
    countIf(reported_at >= ? AND reported_at < ?) AS prev4,
    countIf(reported_at >= ? AND reported_at < ?) AS yoy
FROM ` + stateAtSQL("county_code", "town_code", "village_code", "category", "reported_at") + `
WHERE (reported_at >= ? AND reported_at < ?) OR (reported_at >= ? AND reported_at < ?)
GROUP BY county_code, town_code, village_code, category`

// TypeCells counts cases per cell and category for the windows. Cells
// without a case in any of the windows are not returned.
func (s *Store) TypeCells(ctx context.Context, w TypeWindows) ([]TypeCell, error) {
	u := func(t time.Time) time.Time { return t.UTC() }
	args := []any{u(w.Start), u(w.End)}
	earliest := w.Start
	for i := range w.PrevStart {
		args = append(args, u(w.PrevStart[i]), u(w.PrevEnd[i]))
		if w.PrevStart[i].Before(earliest) {
			earliest = w.PrevStart[i]
		}
	}
	from := earliest
	if w.YoYStart.Before(from) {
		from = w.YoYStart
	}
	args = append(args, u(w.YoYStart), u(w.YoYEnd))
	sa, err := s.stateArgs(ctx, from, w.End)
	if err != nil {
		return nil, err
	}
	args = append(args, sa...)
	args = append(args, u(earliest), u(w.End), u(w.YoYStart), u(w.YoYEnd))
	rows, err := s.conn.Query(ctx, typeQuery, args...)
	if err != nil {
		return nil, fmt.Errorf("cannot count case types: %w", err)
	}
	defer rows.Close()
	var out []TypeCell
	for rows.Next() {
		var c TypeCell
		if err := rows.Scan(&c.County, &c.Town, &c.Village, &c.Category, &c.Cases,
			&c.Prev[0], &c.Prev[1], &c.Prev[2], &c.Prev[3], &c.YoY); err != nil {
			return nil, fmt.Errorf("cannot read case type counts: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// TypeRank is one row of type_ranks: one category of one region and window.
type TypeRank struct {
	Window         string // day, week, month
	WindowEnd      time.Time
	Level          uint8
	RegionCode     string
	Category       string
	CategoryNameZH string
	Rank           uint16 // 1 = most cases in the region and window
	Cases          uint64
	Share          float64 // of the region's cases in the window; 0 when it has none
	Baseline       float64 // mean of the previous 4 windows
	// YoYCases is the count of the same window a year earlier; HasYoY is
	// false (stored as NULL) when that window is not covered.
	YoYCases uint64
	HasYoY   bool
	// Growth, Z and P are NaN when undefined (stored as NULL).
	Growth, Z, P         float64
	Significant, Surging bool
	ComputedAt           time.Time
}

// WriteTypeRanks stores type rows; rows of a window computed again replace
// the earlier ones.
func (s *Store) WriteTypeRanks(ctx context.Context, rows []TypeRank) error {
	if len(rows) == 0 {
		return nil
	}
	n := len(rows)
	win := make([]int8, n)
	we, ca := make([]time.Time, n), make([]time.Time, n)
	lv, sig, sur := make([]uint8, n), make([]uint8, n), make([]uint8, n)
	rc, cat, name := make([]string, n), make([]string, n), make([]string, n)
	rank := make([]uint16, n)
	cases := make([]uint64, n)
	yoy := make([]*uint64, n)
	share, base := make([]float64, n), make([]float64, n)
	growth, z, p := make([]*float64, n), make([]*float64, n), make([]*float64, n)
	b01 := func(b bool) uint8 {
		if b {
			return 1
		}
		return 0
	}
	for i, r := range rows {
		c, ok := windowCodes[r.Window]
		if !ok {
			return fmt.Errorf("type rank: unknown window %q", r.Window)
		}
		win[i], we[i], ca[i], lv[i] = c, r.WindowEnd, r.ComputedAt, r.Level
		rc[i], cat[i], name[i], rank[i], cases[i] = r.RegionCode, r.Category, r.CategoryNameZH, r.Rank, r.Cases
		share[i], base[i] = r.Share, r.Baseline
		if r.HasYoY {
			v := r.YoYCases
			yoy[i] = &v
		}
		growth[i], z[i], p[i] = nullableFloat(r.Growth), nullableFloat(r.Z), nullableFloat(r.P)
		sig[i], sur[i] = b01(r.Significant), b01(r.Surging)
	}
	return s.insertColumns(ctx, "type_ranks",
		"window, window_end, level, region_code, category, category_name_zh, rank, cases, share, baseline, "+
			"yoy_cases, growth, z, p, significant, surging, computed_at",
		[]any{win, we, lv, rc, cat, name, rank, cases, share, base, yoy, growth, z, p, sig, sur, ca})
}
