package store

import (
	"context"
	"fmt"
	"time"
)

// AlarmCount is the number of cases of one (region, category) series in one
// window, as AlarmCounts returns it. Windows without cases are absent: the
// caller zero-fills them.
type AlarmCount struct {
	Level            uint8 // 3 county, 4 town
	Region, Category string
	// WindowEnd is the end of the window at local midnight in
	// Asia/Shanghai: the Monday after the ISO week for weeks, the day after
	// the date for days.
	WindowEnd time.Time
	Count     uint64
}

// alarmBuckets are the expressions giving the first day of a case's window,
// by window kind. Only these constant expressions are put into the SQL.
var alarmBuckets = map[string]string{"week": "toMonday(reported_date)", "day": "reported_date"}

// alarmState is the cases' state the alarm series count (stateAtSQL).
var alarmState = stateAtSQL("county_code", "town_code", "category", "category_group", "reported_date")

// AlarmCounts counts the cases (in their state at to, by reported_date) per region of each
// level (3: 旗县区 by county_code, 4: 苏木乡镇街道 by town_code), category
// and window, for the windows of kind window ("day" or "week") ending after
// from and at or before to (both window ends, local midnights). Categories
// are the category groups; with leaves, the cases of a leaf category
// (labor.wage_arrears) are also counted under their own code. Cases
// without a code at a level are left out of that level. One scan serves
// every level: it counts per (county, town) and sums the towns' rows into
// their county here.
func (s *Store) AlarmCounts(ctx context.Context, levels []uint8, window string, from, to time.Time, leaves bool) ([]AlarmCount, error) {
	for _, lv := range levels {
		if lv != 3 && lv != 4 {
			return nil, fmt.Errorf("alarm counts: level %d is not county (3) or town (4)", lv)
		}
	}
	bucket, ok := alarmBuckets[window]
	if !ok {
		return nil, fmt.Errorf("alarm counts: window %q is not day or week", window)
	}
	step := 1
	if window == "week" {
		step = 7
	}
	// The windows ending in (from, to] cover the dates [from, to). A
	// leaf's cases count under its group and, with leaves, under its own
	// code too (arrayJoin makes one row per series the case belongs to).
	q := "SELECT county_code, town_code, category, bucket, count() FROM (SELECT county_code, town_code, " +
		"arrayJoin(if(? = 1 AND category != category_group, [category_group, category], [category_group])) AS category, " +
		bucket + " AS bucket FROM " + alarmState + " " +
		"WHERE reported_date >= toDate(?) AND reported_date < toDate(?) AND (county_code != '' OR town_code != '')) " +
		"GROUP BY county_code, town_code, category, bucket"
	day := func(t time.Time) string { return t.Format(time.DateOnly) }
	sa, err := s.stateArgs(ctx, from, to)
	if err != nil {
		return nil, err
	}
	args := append([]any{b2u(leaves)}, sa...)
	rows, err := s.conn.Query(ctx, q, append(args, day(from), day(to))...)
	if err != nil {
		return nil, fmt.Errorf("cannot count alarm series: %w", err)
	}
	defer rows.Close()
	// Keyed by the window's first day as a number (hashing a time.Time
	// with its location cost most of this loop); the end is made once per
	// series window.
	type key struct {
		level            uint8
		region, category string
		start            int64
	}
	index := map[key]int{}
	var out []AlarmCount
	loc := from.Location()
	for rows.Next() {
		var county, town, category string
		var start time.Time
		var n uint64
		if err := rows.Scan(&county, &town, &category, &start, &n); err != nil {
			return nil, fmt.Errorf("cannot read alarm series counts: %w", err)
		}
		for _, lv := range levels {
			region := county
			if lv == 4 {
				region = town
			}
			if region == "" {
				continue
			}
			k := key{lv, region, category, start.Unix()}
			if i, ok := index[k]; ok {
				out[i].Count += n
				continue
			}
			// A Date comes back as UTC midnight; the window end is the
			// local midnight step days later.
			y, m, d := start.Date()
			index[k] = len(out)
			out = append(out, AlarmCount{Level: lv, Region: region, Category: category,
				WindowEnd: time.Date(y, m, d+step, 0, 0, 0, 0, loc), Count: n})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// StatAlarm is one row of stat_alarms: the verdict of one detector on one
// (region, category) series for the window ending at WindowEnd.
type StatAlarm struct {
	Window     string // day or week
	WindowEnd  time.Time
	Level      uint8
	RegionCode string
	Category   string
	Detector   string
	Params     string
	Observed   float64
	Expected   float64 // NaN when undefined (stored as NULL)
	UpperBound float64 // NaN when undefined (stored as NULL)
	Alarm      bool
	ComputedAt time.Time
}

var statAlarmWindows = map[string]int8{"day": 1, "week": 2}

// WriteStatAlarms stores alarm rows; the rows of a window computed again
// replace the earlier ones (same window, level, region, category and
// detector).
func (s *Store) WriteStatAlarms(ctx context.Context, rows []StatAlarm) error {
	if len(rows) == 0 {
		return nil
	}
	n := len(rows)
	win := make([]int8, n)
	we, ca := make([]time.Time, n), make([]time.Time, n)
	lv, al := make([]uint8, n), make([]uint8, n)
	rc, cat, det, par := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	obs := make([]float64, n)
	exp, ub := make([]*float64, n), make([]*float64, n)
	for i, r := range rows {
		c, ok := statAlarmWindows[r.Window]
		if !ok {
			return fmt.Errorf("stat alarm: unknown window %q", r.Window)
		}
		win[i], we[i], ca[i], lv[i], al[i] = c, r.WindowEnd, r.ComputedAt, r.Level, b2u(r.Alarm)
		rc[i], cat[i], det[i], par[i] = r.RegionCode, r.Category, r.Detector, r.Params
		obs[i], exp[i], ub[i] = r.Observed, nullableFloat(r.Expected), nullableFloat(r.UpperBound)
	}
	return s.insertColumns(ctx, "stat_alarms",
		"window, window_end, level, region_code, category, detector, params, observed, expected, upperbound, alarm, computed_at",
		[]any{win, we, lv, rc, cat, det, par, obs, exp, ub, al, ca})
}

// StatAlarms reads the stored alarm rows (FINAL) of the windows of kind
// window ending in [from, to], ordered by window end, level, region,
// category and detector.
func (s *Store) StatAlarms(ctx context.Context, window string, from, to time.Time) ([]StatAlarm, error) {
	if _, ok := statAlarmWindows[window]; !ok {
		return nil, fmt.Errorf("stat alarms: unknown window %q", window)
	}
	rows, err := s.conn.Query(ctx, `SELECT toString(window), window_end, level, region_code, category, detector, params,
    observed, ifNull(expected, nan), ifNull(upperbound, nan), alarm, computed_at
FROM stat_alarms FINAL
WHERE window = ? AND window_end >= ? AND window_end <= ?
ORDER BY window_end, level, region_code, category, detector`, window, from.UTC(), to.UTC())
	if err != nil {
		return nil, fmt.Errorf("cannot read stat alarms: %w", err)
	}
	defer rows.Close()
	var out []StatAlarm
	for rows.Next() {
		var a StatAlarm
		var alarm uint8
		if err := rows.Scan(&a.Window, &a.WindowEnd, &a.Level, &a.RegionCode, &a.Category, &a.Detector, &a.Params,
			&a.Observed, &a.Expected, &a.UpperBound, &alarm, &a.ComputedAt); err != nil {
			return nil, fmt.Errorf("cannot read stat alarms: %w", err)
		}
		a.Alarm = alarm == 1
		out = append(out, a)
	}
	return out, rows.Err()
}
