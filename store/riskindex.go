package store

import (
	"context"
	"fmt"
	"math"
	"time"
)

// RiskWindows are the intervals one risk index window reads, each [start,
// end): the window itself, the up to four preceding windows of the A2
// baseline and the C2 cohort (the window shifted back by the SLA, so that every case in
// it has had the full SLA to be handled by the window end).
type RiskWindows struct {
	// Start and End bound the window.
	Start, End time.Time
	// PrevStarts are the starts of the four preceding windows, most recent
	// first; window i ends at Start (i = 0) or at PrevStarts[i-1].
	PrevStarts [4]time.Time
	// CohortStart and CohortEnd bound the C2 cohort.
	CohortStart, CohortEnd time.Time
}

// PrevEnd returns the end of preceding window i (0 = the most recent).
func (w RiskWindows) PrevEnd(i int) time.Time {
	if i == 0 {
		return w.Start
	}
	return w.PrevStarts[i-1]
}

// RiskCountOptions are the configurable thresholds and lists of the counts
// (RISK_INDEX.md §5.2); the job versions them with every row.
type RiskCountOptions struct {
	// GroupParties is the number of parties from which a case is a group
	// dispute (A4; 5).
	GroupParties uint32
	// HighAmountCNY is the amount from which a case is a high-amount
	// dispute (A5; 50,000 yuan).
	HighAmountCNY float64
	// SensitiveCategories are the category or category-group codes of the
	// sensitive types (B1); a case matches on either its category or its
	// group.
	SensitiveCategories []string
}

// RiskCell holds the counts of one (county, town, village) cell for one
// window: every numerator and denominator the eleven SCRI v0 indicators
// need (RISK_INDEX.md §5.2, composite.TownCounts). Cases recorded at a
// coarser level have the finer codes empty.
type RiskCell struct {
	// County, Town and Village are the cell's codes.
	County, Town, Village string
	// Accepted counts the cases reported in the window (A1 numerator, the
	// denominator of A3–A5 and B1–B3).
	Accepted uint64
	// Prev counts the cases reported in each of the four preceding windows
	// (most recent first): the A2 baseline.
	Prev [4]uint64
	// Difficult (A3: severity difficult), Group (A4: parties ≥
	// GroupParties), HighAmount (A5: amount ≥ HighAmountCNY), Sensitive
	// (B1: a sensitive category), Repeat (B2: repeat_of set) and Escalated
	// (B3: routed up) count among the accepted cases.
	Difficult, Group, HighAmount, Sensitive, Repeat, Escalated uint64
	// Due counts the cases due in the window (C1 denominator); Overdue
	// those among them not handled by their due time (C1 numerator).
	Due, Overdue uint64
	// CohortAccepted counts the cases reported in the C2 cohort and
	// CohortHandled those among them handled before the window end.
	CohortAccepted, CohortHandled uint64
	// Evaluated counts the cases evaluated in the window (C3 denominator)
	// and Satisfied those evaluated satisfied or basically satisfied.
	Evaluated, Satisfied uint64
	// Earliest is the earliest report time of the cell's cases before the
	// window end: it tells the job which baseline windows have data.
	Earliest time.Time
	// Latest is the latest report time of the cell's cases before the
	// window end: how current the data are (data_lag_days).
	Latest time.Time
}

// riskQuery counts, per cell, everything the risk index needs in one scan
// of the cases' state at the window end (stateAtSQL). Windows and options are bound client-side; no value is
// formatted into the SQL. "Handled" is resolved_at before the limit, or a
// failed or closed case without a resolution time (concluded without one).
// evaluated_at falls back to reported_at when a source does not give it.
var riskQuery = `SELECT county_code, town_code, village_code,
    countIf(reported_at >= ? AND reported_at < ?) AS accepted,
    countIf(reported_at >= ? AND reported_at < ?) AS prev1,
    countIf(reported_at >= ? AND reported_at < ?) AS prev2,
    countIf(reported_at >= ? AND reported_at < ?) AS prev3,
    countIf(reported_at >= ? AND reported_at < ?) AS prev4,
    countIf(reported_at >= ? AND reported_at < ? AND severity = 'difficult') AS difficult,
    countIf(reported_at >= ? AND reported_at < ? AND parties >= ?) AS grp,
    countIf(reported_at >= ? AND reported_at < ? AND toFloat64(amount_cny) >= ?) AS high_amount,
    countIf(reported_at >= ? AND reported_at < ? AND (has(?, category) OR has(?, category_group))) AS sensitive,
    countIf(reported_at >= ? AND reported_at < ? AND repeat_of != '') AS repeats,
    countIf(reported_at >= ? AND reported_at < ? AND escalated = 1) AS escalated_up,
    countIf(due_at IS NOT NULL AND assumeNotNull(due_at) >= ? AND assumeNotNull(due_at) < ?) AS due,
    countIf(due_at IS NOT NULL AND assumeNotNull(due_at) >= ? AND assumeNotNull(due_at) < ?
        AND ((resolved_at IS NULL AND status NOT IN ('resolved', 'failed', 'closed'))
          OR (resolved_at IS NOT NULL AND assumeNotNull(resolved_at) > assumeNotNull(due_at)))) AS overdue,
    countIf(reported_at >= ? AND reported_at < ?) AS cohort_accepted,
    countIf(reported_at >= ? AND reported_at < ?
        AND ((resolved_at IS NOT NULL AND assumeNotNull(resolved_at) < ?)
          OR (resolved_at IS NULL AND status IN ('failed', 'closed')))) AS cohort_handled,
    countIf(satisfaction != '' AND ifNull(evaluated_at, reported_at) >= ? AND ifNull(evaluated_at, reported_at) < ?) AS evaluated,
    countIf(satisfaction IN ('satisfied', 'basic') AND ifNull(evaluated_at, reported_at) >= ? AND ifNull(evaluated_at, reported_at) < ?) AS satisfied,
    min(reported_at) AS earliest,
    max(reported_at) AS latest
FROM ` + stateAtSQL("county_code", "town_code", "village_code", "reported_at", "severity", "parties", "amount_cny",
	"category", "category_group", "repeat_of", "escalated", "status", "due_at", "resolved_at", "evaluated_at", "satisfaction") + `
GROUP BY county_code, town_code, village_code`

// RiskCells counts cases per cell for the risk index windows.
func (s *Store) RiskCells(ctx context.Context, w RiskWindows, o RiskCountOptions) ([]RiskCell, error) {
	u := func(t time.Time) time.Time { return t.UTC() }
	s0, e0 := u(w.Start), u(w.End)
	sens := o.SensitiveCategories
	if len(sens) == 0 {
		sens = []string{""} // has([], x) has no element type on old servers
	}
	args := []any{s0, e0}
	for i := range w.PrevStarts {
		args = append(args, u(w.PrevStarts[i]), u(w.PrevEnd(i)))
	}
	args = append(args,
		s0, e0,
		s0, e0, o.GroupParties,
		s0, e0, o.HighAmountCNY,
		s0, e0, sens, sens,
		s0, e0,
		s0, e0,
		s0, e0,
		s0, e0,
		u(w.CohortStart), u(w.CohortEnd),
		u(w.CohortStart), u(w.CohortEnd), e0,
		s0, e0,
		s0, e0)
	sa, err := s.stateArgs(ctx, time.Time{}, w.End)
	if err != nil {
		return nil, err
	}
	args = append(args, sa...)
	rows, err := s.conn.Query(ctx, riskQuery, args...)
	if err != nil {
		return nil, fmt.Errorf("cannot count risk index cases: %w", err)
	}
	defer rows.Close()
	var out []RiskCell
	for rows.Next() {
		var c RiskCell
		if err := rows.Scan(&c.County, &c.Town, &c.Village, &c.Accepted, &c.Prev[0], &c.Prev[1], &c.Prev[2], &c.Prev[3],
			&c.Difficult, &c.Group, &c.HighAmount, &c.Sensitive, &c.Repeat, &c.Escalated, &c.Due, &c.Overdue,
			&c.CohortAccepted, &c.CohortHandled, &c.Evaluated, &c.Satisfied, &c.Earliest, &c.Latest); err != nil {
			return nil, fmt.Errorf("cannot read risk index counts: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// RiskIndexRow is one row of risk_index: one unit's index for one window
// with every component (RISK_INDEX.md §5.3 step 9).
type RiskIndexRow struct {
	// Window is day, week or month; WindowStart and WindowEnd bound it.
	Window                 string
	WindowStart, WindowEnd time.Time
	// Level, RegionCode and ParentCode place the unit.
	Level                  uint8
	RegionCode, ParentCode string
	// Index is R and Score R rounded half-up to 1 decimal (NaN = NA,
	// stored as NULL).
	Index, Score float64
	// BandIndex is the band of Score alone; Band the final band after
	// escalation, hysteresis and the low-reliability cap, BandReasons why
	// they differ.
	BandIndex, Band string
	BandReasons     []string
	// FunnelFlag is none, alert_95 or alarm_99.8.
	FunnelFlag string
	// Reliability is good, fair or poor; NCases the cases accepted in the
	// window; MissingShare the share of missing indicators.
	Reliability  string
	NCases       uint64
	MissingShare float64
	// Rank is 1 for the highest index among the siblings (0 when NA).
	Rank uint32
	// IndicatorNames, IndicatorRaw, IndicatorValues (smoothed, used) and
	// IndicatorScores (0–10) are in spec order; NaN = missing.
	IndicatorNames                                 []string
	IndicatorRaw, IndicatorValues, IndicatorScores []float64
	// DimensionNames and DimensionScores are in spec order; NaN = NA.
	DimensionNames  []string
	DimensionScores []float64
	// DriversPrev and DriversSiblings are the top-3 drivers against the
	// previous window and against the siblings' mean profile, each as
	// "code|attribution|value|reference value".
	DriversPrev, DriversSiblings []string
	// Agreement is the sensitivity band agreement (NaN stored as NULL);
	// Unstable marks an agreement below the spec's threshold.
	Agreement float64
	Unstable  bool
	// SpecFingerprint is the hash of the composite spec; SpecVersion names
	// every versioned part, the counts configuration included; Seed is the
	// seed of the sensitivity weight noise.
	SpecFingerprint, SpecVersion string
	Seed                         uint64
	// State is the serialised hysteresis state the next window starts
	// from.
	State string
	// ComputedAt stamps the row: the newest wins.
	ComputedAt time.Time
	// LevelMedianExpected is the median expected case count per window of
	// the row's level (baseline, or the window's count without one) and
	// LevelGate whether it reaches the minimum of RISK_INDEX.md §5.1 (20):
	// below it the index is kept for reference but the row's reliability is
	// poor, so its band is capped at yellow unless the funnel alarms.
	LevelMedianExpected float64
	LevelGate           bool
	// PopVintageYear is the year of the population figures (0 unknown);
	// DataLagDays the days from the unit's latest case before the window
	// end to the window end (NaN without cases; stored as NULL).
	PopVintageYear uint16
	DataLagDays    float64
	// ThresholdsVersion names the band thresholds the row's bands used (a
	// risk_thresholds version, or the spec's bands version for its fixed
	// INFORM thresholds; empty on rows written before versioned thresholds).
	ThresholdsVersion string
}

const riskIndexColumns = "window, window_start, window_end, level, region_code, parent_code, `index`, score, band_index, band, band_reasons, " +
	"funnel_flag, reliability, n_cases, missing_share, rank, indicator_names, indicator_raw, indicator_values, indicator_scores, " +
	"dimension_names, dimension_scores, drivers_prev, drivers_siblings, agreement, unstable, spec_fingerprint, spec_version, seed, state, computed_at, " +
	"level_median_expected, level_gate, pop_vintage_year, data_lag_days, thresholds_version"

// WriteRiskIndex stores risk index rows; rows of a window computed again
// replace the earlier ones.
func (s *Store) WriteRiskIndex(ctx context.Context, rows []RiskIndexRow) error {
	if len(rows) == 0 {
		return nil
	}
	n := len(rows)
	win := make([]int8, n)
	ws, we, ca := make([]time.Time, n), make([]time.Time, n), make([]time.Time, n)
	lv, unstable := make([]uint8, n), make([]uint8, n)
	var str [9][]string
	for i := range str {
		str[i] = make([]string, n)
	}
	var nf [3][]*float64
	for i := range nf {
		nf[i] = make([]*float64, n)
	}
	var arrS [5][][]string
	for i := range arrS {
		arrS[i] = make([][]string, n)
	}
	var arrF [4][][]float64
	for i := range arrF {
		arrF[i] = make([][]float64, n)
	}
	ncases, seed := make([]uint64, n), make([]uint64, n)
	missing := make([]float64, n)
	rank := make([]uint32, n)
	median, lag := make([]float64, n), make([]*float64, n)
	gate, vintage := make([]uint8, n), make([]uint16, n)
	thv := make([]string, n)
	for i, r := range rows {
		c, ok := windowCodes[r.Window]
		if !ok {
			return fmt.Errorf("risk index: unknown window %q", r.Window)
		}
		win[i], ws[i], we[i], ca[i], lv[i] = c, r.WindowStart, r.WindowEnd, r.ComputedAt, r.Level
		for j, v := range []string{r.RegionCode, r.ParentCode, r.BandIndex, r.Band, r.FunnelFlag, r.Reliability, r.SpecFingerprint, r.SpecVersion, r.State} {
			str[j][i] = v
		}
		for j, v := range []float64{r.Index, r.Score, r.Agreement} {
			nf[j][i] = nullableFloat(v)
		}
		for j, v := range [][]string{r.BandReasons, r.IndicatorNames, r.DimensionNames, r.DriversPrev, r.DriversSiblings} {
			if v == nil {
				v = []string{}
			}
			arrS[j][i] = v
		}
		for j, v := range [][]float64{r.IndicatorRaw, r.IndicatorValues, r.IndicatorScores, r.DimensionScores} {
			if v == nil {
				v = []float64{}
			}
			arrF[j][i] = v
		}
		unstable[i] = b2u(r.Unstable)
		ncases[i], seed[i], missing[i], rank[i] = r.NCases, r.Seed, r.MissingShare, r.Rank
		median[i], gate[i], vintage[i], lag[i] = r.LevelMedianExpected, b2u(r.LevelGate), r.PopVintageYear, nullableFloat(r.DataLagDays)
		thv[i] = r.ThresholdsVersion
	}
	return s.insertColumns(ctx, "risk_index", riskIndexColumns, []any{
		win, ws, we, lv, str[0], str[1], nf[0], nf[1], str[2], str[3], arrS[0],
		str[4], str[5], ncases, missing, rank, arrS[1], arrF[0], arrF[1], arrF[2],
		arrS[2], arrF[3], arrS[3], arrS[4], nf[2], unstable, str[6], str[7], seed, str[8], ca,
		median, gate, vintage, lag, thv})
}

// RiskIndexRows returns the stored rows of one window (the newest
// computation of each unit), ordered by level and region code. The job
// reads the previous window's rows for hysteresis and the drivers against
// the previous window.
func (s *Store) RiskIndexRows(ctx context.Context, window string, windowEnd time.Time) ([]RiskIndexRow, error) {
	if _, ok := windowCodes[window]; !ok {
		return nil, fmt.Errorf("risk index: unknown window %q", window)
	}
	rows, err := s.conn.Query(ctx, "SELECT toString(window), "+riskIndexColumns[len("window, "):]+
		" FROM risk_index FINAL WHERE window = ? AND window_end = ? ORDER BY level, region_code", window, windowEnd.UTC())
	if err != nil {
		return nil, fmt.Errorf("cannot read risk index rows: %w", err)
	}
	defer rows.Close()
	var out []RiskIndexRow
	for rows.Next() {
		var r RiskIndexRow
		var idx, score, agree *float64
		var unstable, gate uint8
		var lag *float64
		if err := rows.Scan(&r.Window, &r.WindowStart, &r.WindowEnd, &r.Level, &r.RegionCode, &r.ParentCode, &idx, &score,
			&r.BandIndex, &r.Band, &r.BandReasons, &r.FunnelFlag, &r.Reliability, &r.NCases, &r.MissingShare, &r.Rank,
			&r.IndicatorNames, &r.IndicatorRaw, &r.IndicatorValues, &r.IndicatorScores, &r.DimensionNames, &r.DimensionScores,
			&r.DriversPrev, &r.DriversSiblings, &agree, &unstable, &r.SpecFingerprint, &r.SpecVersion, &r.Seed, &r.State,
			&r.ComputedAt, &r.LevelMedianExpected, &gate, &r.PopVintageYear, &lag, &r.ThresholdsVersion); err != nil {
			return nil, fmt.Errorf("cannot read risk index row: %w", err)
		}
		r.Index, r.Score, r.Agreement = fromNullable(idx), fromNullable(score), fromNullable(agree)
		r.Unstable = unstable == 1
		r.LevelGate, r.DataLagDays = gate == 1, fromNullable(lag)
		out = append(out, r)
	}
	return out, rows.Err()
}

func fromNullable(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}
