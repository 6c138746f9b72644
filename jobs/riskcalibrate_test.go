package jobs

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/indices/composite"
	"github.com/riskwatch/riskwatch/indices/smallarea"
	"github.com/riskwatch/riskwatch/internal/testenv"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

func TestRiskPreviousCarriesTheFunnelFlag(t *testing.T) {
	p, err := RiskPrevious(composite.DefaultSpec(), &store.RiskIndexRow{FunnelFlag: "alert_95", State: "yellow:0"})
	if err != nil || p.Flag != smallarea.FlagAlert95 || p.State.Band != composite.BandYellow {
		t.Fatalf("got %+v, %v; want flag alert_95 and state yellow", p, err)
	}
}

// The job uses the newest stored thresholds of each level and names them
// on every row; a level never calibrated keeps the spec's INFORM bands and
// names their version; calibration on a baseline too short for a quantile
// calibration stores the INFORM thresholds as a new version, which wins.
func TestRiskThresholdsVersionedAndUsed(t *testing.T) {
	ch := testenv.ClickHouse(t)
	ctx := context.Background()
	st := migratedStore(t, ch, "riskth")
	reg := riskRegistry(t)
	if err := st.InsertCases(ctx, riskCases()); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultRiskConfig()
	cfg.CohortLagDays = 7
	cfg.MinMedianExpected = 0
	n := 0
	clock := func() time.Time { n++; return sh(2026, 3, 9).Add(time.Duration(n) * time.Second) }
	job := RiskIndexJobWith(st, reg, cfg, schemas.Week, clock)
	ends := [2]time.Time{sh(2026, 3, 2), sh(2026, 3, 9)}
	run := func(at time.Time) map[string]store.RiskIndexRow {
		t.Helper()
		if _, err := job(ctx, at.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		rows, err := st.RiskIndexRows(ctx, "week", at)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]store.RiskIndexRow{}
		for _, r := range rows {
			m[r.RegionCode] = r
		}
		return m
	}
	run(ends[0])
	before := run(ends[1])
	for code, r := range before {
		if r.ThresholdsVersion != cfg.Spec.Versions.Bands {
			t.Errorf("%s: thresholds version %q, want the spec's %q", code, r.ThresholdsVersion, cfg.Spec.Versions.Bands)
		}
	}
	// Town thresholds that put every score from 0.1 up in orange.
	custom := store.RiskThresholds{Version: "test-town-v1", Window: "week", Level: uint8(schemas.LevelTown), Method: "quantile",
		BaselineFrom: ends[0], BaselineTo: ends[1], Blue: 0.05, Yellow: 0.08, Orange: 0.1, Red: 9.9,
		TargetShares: []float64{0.5, 0.25, 0.15, 0.07, 0.03}, CreatedAt: sh(2026, 3, 9)}
	if err := st.WriteRiskThresholds(ctx, custom); err != nil {
		t.Fatal(err)
	}
	after := run(ends[1])
	for code, r := range after {
		town := r.Level == uint8(schemas.LevelTown)
		want := cfg.Spec.Versions.Bands
		if town {
			want = custom.Version
		}
		if r.ThresholdsVersion != want {
			t.Errorf("%s: thresholds version %q, want %q", code, r.ThresholdsVersion, want)
		}
		if town && r.Score >= 0.1 && r.Score < 9.9 && r.BandIndex != "orange" {
			t.Errorf("%s: score %.1f has index band %s under the custom thresholds, want orange", code, r.Score, r.BandIndex)
		}
		if !town && r.BandIndex != before[code].BandIndex {
			t.Errorf("%s: county band changed from %s to %s", code, before[code].BandIndex, r.BandIndex)
		}
	}
	// Two weeks are too short a baseline: calibration keeps INFORM.
	th, err := CalibrateRisk(ctx, st, cfg, schemas.Week, schemas.LevelTown, ends[0].AddDate(0, 0, -1), ends[1], sh(2026, 3, 10), "test")
	if err != nil {
		t.Fatal(err)
	}
	if th.Method != composite.CalibrationINFORM || th.Blue != 2 || th.Red != 6.5 || th.BaselineWindows != 2 || th.BaselineRows == 0 ||
		!strings.HasPrefix(th.Version, "inform-week-L4-") {
		t.Errorf("calibration %+v, want inform on the 2 stored weeks", th)
	}
	latest, err := st.LatestRiskThresholds(ctx, "week")
	if err != nil {
		t.Fatal(err)
	}
	if got := latest[uint8(schemas.LevelTown)]; got.Version != th.Version || got.Note != "test" || len(got.BaselineShares) != 5 {
		t.Errorf("newest town thresholds %+v, want the calibration %s", got, th.Version)
	}
	byVersion, err := st.RiskThresholdsByVersion(ctx, []string{th.Version, custom.Version, "unknown"})
	if err != nil || len(byVersion) != 2 || byVersion[0].Version != custom.Version || byVersion[1].Version != th.Version ||
		byVersion[1].HysteresisMargin != 0.2 || byVersion[0].Orange != 0.1 {
		t.Errorf("thresholds by version: %+v, %v; want the custom row, then the calibration (margin 0.2)", byVersion, err)
	}
	if _, ok := latest[uint8(schemas.LevelCounty)]; ok {
		t.Error("county thresholds stored without a calibration")
	}
	if m, err := st.LatestRiskThresholds(ctx, "month"); err != nil || len(m) != 0 {
		t.Errorf("month thresholds %v, %v; want none", m, err)
	}
	if _, err := CalibrateRisk(ctx, st, cfg, schemas.Week, schemas.LevelTown, ends[1], ends[0], sh(2026, 3, 10), "test"); err == nil {
		t.Error("a baseline ending before it starts was accepted")
	}
}

func TestBandStatePendingRoundTrip(t *testing.T) {
	for _, s := range []composite.BandState{{Band: composite.BandBlue, Below: 0, Above: 1, Pending: composite.BandYellow},
		{Band: composite.BandOrange, Below: 1}, {Band: composite.BandYellow, Missing: 2}} {
		enc := EncodeBandState(s)
		got, err := DecodeBandState(enc)
		if err != nil || got != s {
			t.Errorf("%+v → %q → %+v, %v", s, enc, got, err)
		}
	}
	if got := EncodeBandState(composite.BandState{Band: composite.BandBlue, Above: 1, Pending: composite.BandYellow}); got != "blue:0:yellow:1:0" {
		t.Errorf("encoded %q, want blue:0:yellow:1:0", got)
	}
	for _, bad := range []string{"blue:0:yellow", "blue:0:yellow:1", "blue:0:yellow:0:0", "blue:0:purple:1:0", "blue:0:yellow:1:-1"} {
		if _, err := DecodeBandState(bad); err == nil {
			t.Errorf("%q decoded", bad)
		}
	}
}
