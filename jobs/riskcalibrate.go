package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/riskwatch/riskwatch/indices/composite"
	"github.com/riskwatch/riskwatch/indices/smallarea"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

// RiskCalibrationStore is what calibration reads and writes.
type RiskCalibrationStore interface {
	RiskBaselineRows(ctx context.Context, window string, level uint8, from, to time.Time) ([]store.RiskBaselineRow, error)
	WriteRiskThresholds(ctx context.Context, t store.RiskThresholds) error
}

// MinBaselineWindows is the shortest baseline calibration accepts per
// window kind: half a year of weeks, six months. A shorter baseline keeps
// the INFORM thresholds (method "inform").
var MinBaselineWindows = map[schemas.Window]int{schemas.Week: 26, schemas.Month: 6}

// CalibrateRisk derives the band thresholds of level lv for windows of
// kind w from the stored risk_index rows whose window ends in (from, to]
// (composite.CalibrateBands with the target shares of RISK_INDEX.md §5.5
// and cfg.Spec's escalation, hysteresis and cap), stores them as a new
// version and returns the stored row. The risk jobs use it from their next
// run; windows already computed keep their bands until computed again
// (riskwatch backfill).
func CalibrateRisk(ctx context.Context, st RiskCalibrationStore, cfg RiskConfig, w schemas.Window, lv schemas.Level, from, to, now time.Time, note string) (store.RiskThresholds, error) {
	if !(to.After(from)) {
		return store.RiskThresholds{}, fmt.Errorf("cannot calibrate: baseline end %s is not after its start %s", to.Format(time.DateOnly), from.Format(time.DateOnly))
	}
	rows, err := st.RiskBaselineRows(ctx, w.String(), uint8(lv), from, to)
	if err != nil {
		return store.RiskThresholds{}, err
	}
	obs := make([]composite.CalibrationObs, 0, len(rows))
	for _, r := range rows {
		o := composite.CalibrationObs{Unit: r.RegionCode, Order: r.WindowEnd.Unix(), Score: r.Score}
		for f := smallarea.FlagNone; f <= smallarea.FlagAlarm998; f++ {
			if r.FunnelFlag == f.String() {
				o.Flag = f
			}
		}
		for rel := composite.ReliabilityGood; rel <= composite.ReliabilityPoor; rel++ {
			if r.Reliability == rel.String() {
				o.Reliability = rel
			}
		}
		obs = append(obs, o)
	}
	targets := composite.DefaultBandTargets()
	c, err := composite.CalibrateBands(cfg.Spec, obs, targets, MinBaselineWindows[w])
	if err != nil {
		return store.RiskThresholds{}, fmt.Errorf("cannot calibrate: %w", err)
	}
	t := store.RiskThresholds{
		Version: fmt.Sprintf("%s-%s-L%d-%s-%s@%s", c.Method, w, int(lv), from.In(schemas.Zone()).Format("20060102"),
			to.In(schemas.Zone()).Format("20060102"), now.UTC().Format("20060102T150405Z")),
		Window: w.String(), Level: uint8(lv), Method: c.Method, BaselineFrom: from, BaselineTo: to,
		BaselineRows: uint64(c.Rows), BaselineWindows: uint32(c.Windows),
		Blue: c.Thresholds.Blue, Yellow: c.Thresholds.Yellow, Orange: c.Thresholds.Orange, Red: c.Thresholds.Red,
		HysteresisMargin: c.Margin,
		TargetShares:     c.Targets[:], BaselineShares: c.Shares[:], Note: note, CreatedAt: now,
	}
	if err := st.WriteRiskThresholds(ctx, t); err != nil {
		return store.RiskThresholds{}, err
	}
	return t, nil
}
