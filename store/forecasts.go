package store

import (
	"context"
	"fmt"
	"time"
)

// ForecastRow is one row of forecasts: the forecast of one (region,
// category) series made at Origin (the end of the last window seen) for
// the window Horizon windows later, ending at TargetEnd.
type ForecastRow struct {
	Window     string // day or week
	Origin     time.Time
	Horizon    uint8
	TargetEnd  time.Time
	Level      uint8 // 2 city, 3 county, 4 town, 5 village (shares of the town)
	RegionCode string
	Category   string
	Point      float64
	Lower80    float64
	Upper80    float64
	Lower95    float64
	Upper95    float64
	Model      string
	// TrainFrom and TrainTo are the first and last window ends of the
	// training history.
	TrainFrom, TrainTo time.Time
	FittedAt           time.Time
}

// WriteForecasts stores forecast rows; the rows of an origin computed
// again replace the old ones once read with FINAL (newest fitted_at wins).
func (s *Store) WriteForecasts(ctx context.Context, rows []ForecastRow) error {
	if len(rows) == 0 {
		return nil
	}
	n := len(rows)
	win := make([]int8, n)
	org, tgt, tf, tt, fa := make([]time.Time, n), make([]time.Time, n), make([]time.Time, n), make([]time.Time, n), make([]time.Time, n)
	hz, lv := make([]uint8, n), make([]uint8, n)
	rc, cat, mod := make([]string, n), make([]string, n), make([]string, n)
	pt, l80, u80, l95, u95 := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	for i, r := range rows {
		c, ok := statAlarmWindows[r.Window]
		if !ok {
			return fmt.Errorf("cannot write forecasts: unknown window %q", r.Window)
		}
		win[i], org[i], hz[i], tgt[i], lv[i] = c, r.Origin, r.Horizon, r.TargetEnd, r.Level
		rc[i], cat[i], mod[i] = r.RegionCode, r.Category, r.Model
		pt[i], l80[i], u80[i], l95[i], u95[i] = r.Point, r.Lower80, r.Upper80, r.Lower95, r.Upper95
		tf[i], tt[i], fa[i] = r.TrainFrom, r.TrainTo, r.FittedAt
	}
	return s.insertColumns(ctx, "forecasts",
		"window, origin, horizon, target_end, level, region_code, category, point, lower80, upper80, lower95, upper95, model, train_from, train_to, fitted_at",
		[]any{win, org, hz, tgt, lv, rc, cat, pt, l80, u80, l95, u95, mod, tf, tt, fa})
}

// Forecasts reads the stored forecasts (FINAL) made at the origin of kind
// window, ordered by level, region, category and horizon.
func (s *Store) Forecasts(ctx context.Context, window string, origin time.Time) ([]ForecastRow, error) {
	return s.forecastsWhere(ctx, window, origin, "")
}

func (s *Store) forecastsWhere(ctx context.Context, window string, origin time.Time, cond string, args ...any) ([]ForecastRow, error) {
	if _, ok := statAlarmWindows[window]; !ok {
		return nil, fmt.Errorf("cannot read forecasts: unknown window %q", window)
	}
	rows, err := s.conn.Query(ctx, `SELECT toString(window), origin, horizon, target_end, level, region_code, category,
    point, lower80, upper80, lower95, upper95, model, train_from, train_to, fitted_at
FROM forecasts FINAL
WHERE window = ? AND origin = ? `+cond+`
ORDER BY level, region_code, category, horizon`, append([]any{window, origin.UTC()}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("cannot read forecasts: %w", err)
	}
	defer rows.Close()
	var out []ForecastRow
	for rows.Next() {
		var r ForecastRow
		if err := rows.Scan(&r.Window, &r.Origin, &r.Horizon, &r.TargetEnd, &r.Level, &r.RegionCode, &r.Category,
			&r.Point, &r.Lower80, &r.Upper80, &r.Lower95, &r.Upper95, &r.Model, &r.TrainFrom, &r.TrainTo, &r.FittedAt); err != nil {
			return nil, fmt.Errorf("cannot read forecasts: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ForecastLatestOrigin returns the latest origin at or before at of the
// stored forecasts of kind window; false when there is none.
func (s *Store) ForecastLatestOrigin(ctx context.Context, window string, at time.Time) (time.Time, bool, error) {
	if _, ok := statAlarmWindows[window]; !ok {
		return time.Time{}, false, fmt.Errorf("cannot read forecast origins: unknown window %q", window)
	}
	var n uint64
	var o time.Time
	if err := s.conn.QueryRow(ctx, `SELECT count(), max(origin) FROM forecasts WHERE window = ? AND origin <= ?`,
		window, at.UTC()).Scan(&n, &o); err != nil {
		return time.Time{}, false, fmt.Errorf("cannot read forecast origins: %w", err)
	}
	if n == 0 {
		return time.Time{}, false, nil
	}
	return o, true, nil
}

// ForecastsOf reads the stored forecasts (FINAL) made at the origin of kind
// window for the given region codes ("city" for the city), ordered as
// Forecasts orders them.
func (s *Store) ForecastsOf(ctx context.Context, window string, origin time.Time, codes []string) ([]ForecastRow, error) {
	if len(codes) == 0 {
		return nil, nil
	}
	return s.forecastsWhere(ctx, window, origin, "AND has(?, region_code)", codes)
}

// ForecastThreshold is next week's forecast of one region × category
// series with its unit's threshold: the lowest upper bound of the weekly
// statistical alarm detectors on the series in the week ending at Origin.
type ForecastThreshold struct {
	Origin, TargetEnd time.Time
	Level             uint8
	RegionCode        string
	Category          string
	Point             float64
	Lower80, Upper80  float64
	Lower95, Upper95  float64
	Threshold         float64
}

// ForecastThresholds returns the weekly forecasts one week ahead made at
// origin of every series that has a detector threshold in the week ending
// at origin, ordered by level, region and category.
func (s *Store) ForecastThresholds(ctx context.Context, origin time.Time) ([]ForecastThreshold, error) {
	rows, err := s.conn.Query(ctx, `SELECT origin, target_end, level, region_code, category, point, lower80, upper80, lower95, upper95, thr
FROM (SELECT origin, target_end, level, region_code, category, point, lower80, upper80, lower95, upper95
      FROM forecasts FINAL WHERE window = 'week' AND horizon = 1 AND origin = ?) AS f
ANY INNER JOIN (SELECT region_code, category, min(assumeNotNull(upperbound)) AS thr FROM stat_alarms FINAL
      WHERE window = 'week' AND window_end = ? AND isNotNull(upperbound) GROUP BY region_code, category) AS t
USING (region_code, category)
ORDER BY level, region_code, category`, origin.UTC(), origin.UTC())
	if err != nil {
		return nil, fmt.Errorf("cannot read forecast thresholds: %w", err)
	}
	defer rows.Close()
	var out []ForecastThreshold
	for rows.Next() {
		var r ForecastThreshold
		if err := rows.Scan(&r.Origin, &r.TargetEnd, &r.Level, &r.RegionCode, &r.Category, &r.Point, &r.Lower80, &r.Upper80,
			&r.Lower95, &r.Upper95, &r.Threshold); err != nil {
			return nil, fmt.Errorf("cannot read forecast thresholds: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// WarningForecastThresholds is ForecastThresholds at the latest weekly
// origin (none without forecasts).
func (s *Store) WarningForecastThresholds(ctx context.Context) ([]ForecastThreshold, error) {
	o, ok, err := s.ForecastLatestOrigin(ctx, "week", time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil || !ok {
		return nil, err
	}
	return s.ForecastThresholds(ctx, o)
}

// VillageCount is the number of cases of one village and category group
// in a period, with the village's town.
type VillageCount struct {
	Town, Village, Category string
	Count                   uint64
}

var villageState = stateAtSQL("town_code", "village_code", "category_group", "reported_date")

// VillageCounts counts the cases reported on the local dates [from, to)
// (in their state at to) per village and category group; cases without a
// village or a town are left out.
func (s *Store) VillageCounts(ctx context.Context, from, to time.Time) ([]VillageCount, error) {
	sa, err := s.stateArgs(ctx, from, to)
	if err != nil {
		return nil, err
	}
	q := "SELECT town_code, village_code, category_group, count() FROM " + villageState + " " +
		"WHERE reported_date >= toDate(?) AND reported_date < toDate(?) AND village_code != '' AND town_code != '' " +
		"GROUP BY town_code, village_code, category_group ORDER BY town_code, village_code, category_group"
	rows, err := s.conn.Query(ctx, q, append(sa, from.Format(time.DateOnly), to.Format(time.DateOnly))...)
	if err != nil {
		return nil, fmt.Errorf("cannot count village cases: %w", err)
	}
	defer rows.Close()
	var out []VillageCount
	for rows.Next() {
		var c VillageCount
		if err := rows.Scan(&c.Town, &c.Village, &c.Category, &c.Count); err != nil {
			return nil, fmt.Errorf("cannot count village cases: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
