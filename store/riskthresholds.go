package store

import (
	"context"
	"fmt"
	"time"
)

// RiskThresholds is one row of risk_thresholds: the band thresholds of one
// (window, level) from one calibration.
type RiskThresholds struct {
	// Version names the thresholds; every risk_index row using them
	// carries it.
	Version string
	// Window is week or month; Level the unit level.
	Window string
	Level  uint8
	// Method is "quantile" or "inform" (composite.Calibration*).
	Method string
	// BaselineFrom and BaselineTo bound the window ends of the baseline
	// (from exclusive, to inclusive); BaselineRows and BaselineWindows are
	// its scored rows and distinct windows.
	BaselineFrom, BaselineTo time.Time
	BaselineRows             uint64
	BaselineWindows          uint32
	// Blue, Yellow, Orange and Red are the band lower bounds on the 1-dp
	// score.
	Blue, Yellow, Orange, Red float64
	// HysteresisMargin is how far below a band's lower bound the score must
	// be (for the hysteresis windows) before the band goes down.
	HysteresisMargin float64
	// TargetShares and BaselineShares are the target shares and the shares
	// the thresholds give on the baseline (normal … red).
	TargetShares, BaselineShares []float64
	// Note is free text (the command line that made the row).
	Note string
	// CreatedAt orders calibrations: the newest of a (window, level) is
	// the one in force.
	CreatedAt time.Time
}

const riskThresholdColumns = "version, window, level, method, baseline_from, baseline_to, baseline_rows, baseline_windows, " +
	"blue, yellow, orange, red, hysteresis_margin, target_shares, baseline_shares, note, created_at"

// WriteRiskThresholds stores one calibration.
func (s *Store) WriteRiskThresholds(ctx context.Context, t RiskThresholds) error {
	c, ok := windowCodes[t.Window]
	if !ok {
		return fmt.Errorf("risk thresholds: unknown window %q", t.Window)
	}
	nz := func(v []float64) []float64 {
		if v == nil {
			return []float64{}
		}
		return v
	}
	return s.insertColumns(ctx, "risk_thresholds", riskThresholdColumns, []any{
		[]string{t.Version}, []int8{c}, []uint8{t.Level}, []string{t.Method},
		[]time.Time{t.BaselineFrom}, []time.Time{t.BaselineTo}, []uint64{t.BaselineRows}, []uint32{t.BaselineWindows},
		[]float64{t.Blue}, []float64{t.Yellow}, []float64{t.Orange}, []float64{t.Red}, []float64{t.HysteresisMargin},
		[][]float64{nz(t.TargetShares)}, [][]float64{nz(t.BaselineShares)}, []string{t.Note}, []time.Time{t.CreatedAt}})
}

// LatestRiskThresholds returns the thresholds in force for window: the
// newest calibration of each level, by level (none when never calibrated).
func (s *Store) LatestRiskThresholds(ctx context.Context, window string) (map[uint8]RiskThresholds, error) {
	if _, ok := windowCodes[window]; !ok {
		return nil, fmt.Errorf("risk thresholds: unknown window %q", window)
	}
	rows, err := s.conn.Query(ctx, "SELECT toString(window), "+riskThresholdColumns[len("version, window, "):]+", version"+
		" FROM risk_thresholds WHERE window = ? ORDER BY level, created_at, version", window)
	if err != nil {
		return nil, fmt.Errorf("cannot read risk thresholds: %w", err)
	}
	defer rows.Close()
	out := map[uint8]RiskThresholds{}
	for rows.Next() {
		var t RiskThresholds
		if err := rows.Scan(&t.Window, &t.Level, &t.Method, &t.BaselineFrom, &t.BaselineTo, &t.BaselineRows, &t.BaselineWindows,
			&t.Blue, &t.Yellow, &t.Orange, &t.Red, &t.HysteresisMargin, &t.TargetShares, &t.BaselineShares, &t.Note, &t.CreatedAt, &t.Version); err != nil {
			return nil, fmt.Errorf("cannot read risk thresholds row: %w", err)
		}
		out[t.Level] = t // rows come oldest first: the newest stays
	}
	return out, rows.Err()
}

// RiskBaselineRow is what calibration reads of one stored risk_index row.
type RiskBaselineRow struct {
	RegionCode string
	WindowEnd  time.Time
	// Score is the 1-dp score (NaN: no index).
	Score float64
	// FunnelFlag and Reliability as stored.
	FunnelFlag, Reliability string
}

// RiskBaselineRows returns the stored rows of window and level whose window
// ends in (from, to], ordered by region and window end: the baseline of a
// calibration.
func (s *Store) RiskBaselineRows(ctx context.Context, window string, level uint8, from, to time.Time) ([]RiskBaselineRow, error) {
	if _, ok := windowCodes[window]; !ok {
		return nil, fmt.Errorf("risk index: unknown window %q", window)
	}
	rows, err := s.conn.Query(ctx, "SELECT region_code, window_end, score, funnel_flag, reliability FROM risk_index FINAL"+
		" WHERE window = ? AND level = ? AND window_end > ? AND window_end <= ? ORDER BY region_code, window_end",
		window, level, from.UTC(), to.UTC())
	if err != nil {
		return nil, fmt.Errorf("cannot read risk index baseline: %w", err)
	}
	defer rows.Close()
	var out []RiskBaselineRow
	for rows.Next() {
		var r RiskBaselineRow
		var score *float64
		if err := rows.Scan(&r.RegionCode, &r.WindowEnd, &score, &r.FunnelFlag, &r.Reliability); err != nil {
			return nil, fmt.Errorf("cannot read risk index baseline row: %w", err)
		}
		r.Score = fromNullable(score)
		out = append(out, r)
	}
	return out, rows.Err()
}

// RiskThresholdsByVersion returns the calibrations named by versions (in
// any order; unknown versions are left out).
func (s *Store) RiskThresholdsByVersion(ctx context.Context, versions []string) ([]RiskThresholds, error) {
	if len(versions) == 0 {
		return nil, nil
	}
	rows, err := s.conn.Query(ctx, "SELECT toString(window), "+riskThresholdColumns[len("version, window, "):]+", version"+
		" FROM risk_thresholds WHERE has(?, version) ORDER BY created_at, version", versions)
	if err != nil {
		return nil, fmt.Errorf("cannot read risk thresholds: %w", err)
	}
	defer rows.Close()
	var out []RiskThresholds
	for rows.Next() {
		var t RiskThresholds
		if err := rows.Scan(&t.Window, &t.Level, &t.Method, &t.BaselineFrom, &t.BaselineTo, &t.BaselineRows, &t.BaselineWindows,
			&t.Blue, &t.Yellow, &t.Orange, &t.Red, &t.HysteresisMargin, &t.TargetShares, &t.BaselineShares, &t.Note, &t.CreatedAt, &t.Version); err != nil {
			return nil, fmt.Errorf("cannot read risk thresholds row: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}
