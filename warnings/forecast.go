package warnings

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/riskwatch/riskwatch/schemas"
)

// KindForecast is a warning raised before the fact: the 80 % lower bound
// of next week's forecast of a series lies above the unit's threshold.
const KindForecast = "forecast"

// ForecastRow is next week's forecast of one region × category series
// with the unit's threshold: the lowest upper bound of the statistical
// alarm detectors on the series in the week of the forecast's origin (the
// count above which they alarm).
type ForecastRow struct {
	Origin, TargetEnd time.Time // the week forecast is (TargetEnd−7d, TargetEnd]
	Region, Category  string
	Point             float64
	Lower80, Upper80  float64
	Threshold         float64
}

// ForecastSource returns next week's forecasts with their thresholds (the
// latest weekly origin). A SnapshotSource that also implements it feeds
// the forecast warnings.
type ForecastSource interface {
	ForecastThresholds(ctx context.Context) ([]ForecastRow, error)
}

// ForecastRule decides when a forecast raises a warning. The zero value
// raises none.
type ForecastRule struct {
	// Enabled turns the forecast warnings on.
	Enabled bool
	// Factor multiplies the threshold the 80 % lower bound must exceed
	// (0: 1).
	Factor float64
	// MinCases is the smallest 80 % lower bound that can warn (0: 3): a
	// threshold of one or two cases is noise.
	MinCases float64
	// Level is the warning's level (0: yellow).
	Level Level
}

// DefaultForecastMinCases is MinCases when unset.
const DefaultForecastMinCases = 3

// Fires reports whether a forecast whose 80 % lower bound is lower80 warns
// against the threshold (a threshold that is not a positive number never
// warns).
func (r ForecastRule) Fires(lower80, threshold float64) bool {
	f, m := r.Factor, r.MinCases
	if f == 0 {
		f = 1
	}
	if m == 0 {
		m = DefaultForecastMinCases
	}
	return threshold > 0 && lower80 > f*threshold && lower80 >= m
}

// FromForecast returns the warning of a forecast, or false when the rule
// is off or the forecast does not warn. Each forecast week is its own
// warning, resolved when the next origin's forecasts no longer warn.
func (b *Builder) FromForecast(r ForecastRow) (Warning, bool) {
	if !b.Forecast.Enabled || !b.Forecast.Fires(r.Lower80, r.Threshold) {
		return Warning{}, false
	}
	lv := b.Forecast.Level
	if lv == 0 {
		lv = Yellow
	}
	w := Warning{Kind: KindForecast, Rule: "week", Level: lv, Category: r.Category,
		Subject: r.Category + "@" + r.TargetEnd.UTC().Format(time.RFC3339)}
	b.place(&w, r.Region)
	w.ID = WarningID(w.Kind, w.Rule, w.Region, w.Subject)
	cat := b.catName(r.Category)
	if r.Category == "all" {
		cat = "全部类型"
	}
	z := schemas.Zone()
	w.Title = fmt.Sprintf("%s%s下周案件量预计超过预警线", b.fullName(&w), cat)
	var body strings.Builder
	fmt.Fprintf(&body, "预计下周（%s—%s）受理%s %.0f 件（80%%区间 %.0f–%.0f 件），区间下限已超过预警上限 %.1f 件",
		r.TargetEnd.AddDate(0, 0, -7).In(z).Format("01-02"), r.TargetEnd.AddDate(0, 0, -1).In(z).Format("01-02"),
		cat, r.Point, r.Lower80, r.Upper80, r.Threshold)
	if f := b.Forecast.Factor; f != 0 && f != 1 {
		fmt.Fprintf(&body, "的 %.2g 倍", f)
	}
	body.WriteString("。建议提前研判、靠前化解。")
	w.Body = body.String()
	w.Link = b.regionLink(w.Region)
	return w, true
}

// forecastSnapshot reads the forecasts when the rule is on and the source
// offers them; ok is false when forecast warnings are not evaluated.
func (e *Engine) forecastSnapshot(ctx context.Context) (map[string]Warning, bool, error) {
	b := e.cfg.Builder
	src, ok := e.snaps.(ForecastSource)
	if !ok || !b.Forecast.Enabled {
		return nil, false, nil
	}
	rows, err := src.ForecastThresholds(ctx)
	if err != nil {
		return nil, true, fmt.Errorf("cannot read forecasts: %w", err)
	}
	cur := map[string]Warning{}
	for _, r := range rows {
		if w, ok := b.FromForecast(r); ok {
			cur[w.ID] = w
		}
	}
	return cur, true, nil
}
