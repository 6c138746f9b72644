package warnings

import (
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

type fakeForecastSnaps struct {
	fakeSnaps
	forecasts []ForecastRow
}

func (f *fakeForecastSnaps) ForecastThresholds(context.Context) ([]ForecastRow, error) {
	return f.forecasts, nil
}

func TestForecastRuleFires(t *testing.T) {
	for _, c := range []struct {
		rule       ForecastRule
		lower, thr float64
		want       bool
	}{
		{ForecastRule{}, 7.2, 6.1, true},            // defaults: factor 1, at least 3
		{ForecastRule{}, 6.1, 6.1, false},           // not above
		{ForecastRule{}, 2.9, 1.2, false},           // below 3 cases
		{ForecastRule{MinCases: 2}, 2.9, 1.2, true}, // configured floor
		{ForecastRule{Factor: 1.5}, 9.0, 6.1, false},
		{ForecastRule{Factor: 1.5}, 9.2, 6.1, true},
		{ForecastRule{}, 7, math.NaN(), false},
		{ForecastRule{}, 7, 0, false},
	} {
		if got := c.rule.Fires(c.lower, c.thr); got != c.want {
			t.Errorf("%+v.Fires(%v, %v) = %v, want %v", c.rule, c.lower, c.thr, got, c.want)
		}
	}
}

// A forecast whose 80 % lower bound exceeds the unit's threshold raises a
// 预测预警 routed like the other kinds; it resolves when the next origin's
// forecast no longer does; with the rule off nothing is raised.
func TestForecastWarningsFireAndResolve(t *testing.T) {
	reg := registry(t)
	snaps := &fakeForecastSnaps{}
	origin := time.Date(2026, 3, 2, 0, 0, 0, 0, shanghai)
	snaps.forecasts = []ForecastRow{
		{Origin: origin, TargetEnd: origin.AddDate(0, 0, 7), Region: baokang, Category: "labor", Point: 9.4, Lower80: 7.2, Upper80: 12.1, Threshold: 6.1},
		{Origin: origin, TargetEnd: origin.AddDate(0, 0, 7), Region: baolong, Category: "labor", Point: 6, Lower80: 4, Upper80: 8, Threshold: 6.1},
	}
	newEngine := func(rule ForecastRule) *Engine {
		ob, err := OpenOutbox(filepath.Join(t.TempDir(), "o.db"), time.Second)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ob.Close() })
		route := &Route{Targets: []string{TargetSelf}, GroupBy: []string{"..."}, Timing: Timing{GroupWait: -1, GroupInterval: time.Minute}}
		route.Finish()
		e, err := NewEngine(Config{Regions: reg, Builder: &Builder{Regions: reg, BaseURL: "http://rw.test/", Forecast: rule}, Route: route,
			SnapshotEvery: time.Minute, Centers: map[string][]string{"*": {"hook"}}}, nil, snaps, nil, nil, ob)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	off := newEngine(ForecastRule{})
	if ns, err := off.Tick(context.Background(), at(0)); err != nil || len(ns) != 0 {
		t.Fatalf("rule off: %d notifications, %v", len(ns), err)
	}
	e := newEngine(ForecastRule{Enabled: true})
	ns, err := e.Tick(context.Background(), at(0))
	if err != nil {
		t.Fatal(err)
	}
	if len(ns) != 1 || len(ns[0].Firing) != 1 {
		t.Fatalf("want one notification of one warning, got %+v", ns)
	}
	w := ns[0].Firing[0]
	if w.Kind != KindForecast || KindZH(w.Kind) != "预测预警" || w.Level != Yellow || w.Region != baokang || ns[0].Receiver != baokang {
		t.Errorf("warning %+v to %s", w, ns[0].Receiver)
	}
	if w.Title != "科尔沁左翼中旗保康镇劳资纠纷下周案件量预计超过预警线" ||
		!strings.Contains(w.Body, "预计下周（03-02—03-08）受理劳资纠纷 9 件（80%区间 7–12 件），区间下限已超过预警上限 6.1 件。") {
		t.Errorf("title %q body %q", w.Title, w.Body)
	}
	// The next origin's forecast stays below the threshold: resolved.
	snaps.forecasts = []ForecastRow{{Origin: origin.AddDate(0, 0, 7), TargetEnd: origin.AddDate(0, 0, 14), Region: baokang, Category: "labor",
		Point: 6, Lower80: 5, Upper80: 8, Threshold: 6.1}}
	ns, err = e.Tick(context.Background(), at(2*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if len(ns) != 1 || len(ns[0].Resolved) != 1 || ns[0].Resolved[0].ID != w.ID {
		t.Errorf("want the warning resolved, got %+v", ns)
	}
}
