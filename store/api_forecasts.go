package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// APIForecasts reads forecasts rows; From and To bound the origin's date,
// Latest keeps the newest origin; period is the first day of the window
// forecast (a week's Monday, as the weekly trends name it). Extra: "horizon" keeps one horizon;
// "with_city" = "1" also keeps the city's rows (region "city"), which no
// region prefix matches.
func (s *Store) APIForecasts(ctx context.Context, q APIResultQuery) (APITable, error) {
	var h int
	if v := q.Extra["horizon"]; v != "" {
		var err error
		if h, err = strconv.Atoi(v); err != nil || h < 1 || h > 255 {
			return APITable{}, fmt.Errorf("forecasts: horizon %q is not a number 1–255", v)
		}
	}
	code := "region_code LIKE ?"
	if q.Extra["with_city"] == "1" {
		code = "(region_code LIKE ? OR region_code = 'city')"
	}
	return s.resultQuery(ctx, "forecasts",
		"toString(window) AS window, origin, horizon, target_end, toString(toDate(target_end) - if(window = 'week', 7, 1)) AS period, "+
			"level, region_code, category, point, lower80, upper80, lower95, upper95, model, train_from, train_to",
		code, "origin", "origin DESC, level, region_code, category, horizon", q, func(w *where) error {
			if h > 0 {
				w.add("horizon = ?", uint8(h))
			}
			return nil
		})
}

// APIForecastsExceeding returns next week's forecasts at the latest weekly
// origin whose 80 % lower bound exceeds factor × the unit's threshold
// (see ForecastThresholds), within every prefix, largest excess first.
func (s *Store) APIForecastsExceeding(ctx context.Context, prefixes []string, factor float64, limit int) ([]ForecastThreshold, error) {
	rows, err := s.WarningForecastThresholds(ctx)
	if err != nil {
		return nil, err
	}
	var out []ForecastThreshold
	for _, r := range rows {
		in := true
		for _, p := range prefixes {
			if p != "" && !strings.HasPrefix(r.RegionCode, p) {
				in = false
			}
		}
		if in && r.Threshold > 0 && r.Lower80 > factor*r.Threshold {
			out = append(out, r)
		}
	}
	sortByExcess(out)
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func sortByExcess(rs []ForecastThreshold) {
	slices.SortStableFunc(rs, func(a, b ForecastThreshold) int {
		return cmp.Compare(b.Lower80/b.Threshold, a.Lower80/a.Threshold)
	})
}
