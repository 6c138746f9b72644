package main

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/riskwatch/riskwatch/indices/forecast"
	"github.com/riskwatch/riskwatch/jobs"
	"github.com/riskwatch/riskwatch/schemas"
)

// forwardWeights are the weights of the forward-looking indicator tried in
// the blended index (1−w)·index + w·10·(its percentile among the level's
// units that week); 0.1 is about the weight one indicator of the index has.
var forwardWeights = []float64{0.1, 0.25}

// forwardLooking scores whether a forward-looking indicator, the unit's
// forecast of its cases in t+1…t+4 (forecast.Rolling on its weekly case
// counts, horizons 1–4, as forecast_week makes them), improves the index's
// agreement with what follows. Two forms of the indicator: the expected
// growth (forecast over the last four weeks' cases, minus 1: size-free,
// like A2) and the expected cases per 10,000 residents (like A1). The
// agreement measures, on the unit-weeks where both the index and a
// forecast exist:
//   - cross: per week the Spearman rho across units between the score at t
//     and the cases per 10,000 residents in t+1…t+4 (size-free), mean over
//     weeks;
//   - raw: the same against the raw cases, overdue and escalations in
//     t+1…t+4 (the measure of predictive above), mean of the three;
//   - within: per unit the Spearman rho over time between the score at t
//     and its cases in t+1…t+4, mean over units.
func forwardLooking(prefix string, reg *schemas.Registry, units []series, counts map[int64]map[string]jobs.RiskCounts, weeks []int64) {
	type uw struct {
		unit                     int
		week                     int64
		index, growth, per10k    float64
		cases, overdue, esc, rel float64
	}
	pos := map[int64]int{}
	for i, w := range weeks {
		pos[w] = i
	}
	var obs []uw
	for ui, u := range units {
		pop := 0.0
		if r, ok := reg.Lookup(u.code); ok {
			pop = float64(r.Population)
		}
		y := make([]float64, len(weeks))
		for i, w := range weeks {
			y[i] = float64(counts[w][u.code].Accepted)
		}
		fs := forecast.Rolling(y, forecast.BacktestOptions{Options: forecast.Options{Period: 52, Horizon: 4}, First: 26, Last: len(y) - 5, MinNonZero: 3})
		at := map[int]forecast.Forecast{}
		for _, f := range fs {
			at[f.Origin] = f.Forecast
		}
		for _, r := range u.rows {
			i, ok := pos[r.WindowEnd.Unix()]
			if !ok || math.IsNaN(r.Index) || i+4 >= len(weeks) {
				continue
			}
			// The origin after week i is i+1 (history y[:i+1]).
			f, ok := at[i+1]
			if !ok {
				continue
			}
			sum := f.Point[0] + f.Point[1] + f.Point[2] + f.Point[3]
			last := y[i] + y[max(i-1, 0)] + y[max(i-2, 0)] + y[max(i-3, 0)]
			o := uw{unit: ui, week: weeks[i], index: r.Index, growth: sum/math.Max(last, 1) - 1, per10k: math.NaN()}
			if pop > 0 {
				o.per10k = sum / pop * 1e4
			}
			for k := 1; k <= 4; k++ {
				c := counts[weeks[i+k]][u.code]
				o.cases += float64(c.Accepted)
				o.overdue += float64(c.Overdue)
				o.esc += float64(c.Escalated)
			}
			o.rel = math.NaN()
			if pop > 0 {
				o.rel = o.cases / pop * 1e4
			}
			obs = append(obs, o)
		}
	}
	if len(obs) == 0 {
		fmt.Printf("%s: forward-looking indicator: no unit-week with an index and a forecast\n", prefix)
		return
	}
	// Percentile of the indicator among the week's units.
	pct := func(get func(uw) float64) map[int]float64 {
		out := map[int]float64{}
		byWeek := map[int64][]int{}
		for i, o := range obs {
			if !math.IsNaN(get(o)) {
				byWeek[o.week] = append(byWeek[o.week], i)
			}
		}
		for _, idx := range byWeek {
			x := make([]float64, len(idx))
			for k, i := range idx {
				x[k] = get(obs[i])
			}
			r := ranks(x)
			for k, i := range idx {
				if len(idx) > 1 {
					out[i] = (r[k] - 1) / float64(len(idx)-1)
				} else {
					out[i] = 0.5
				}
			}
		}
		return out
	}
	score := func(p map[int]float64, w float64) func(int) float64 {
		return func(i int) float64 {
			v, ok := p[i]
			if !ok {
				return obs[i].index
			}
			return (1-w)*obs[i].index + w*10*v
		}
	}
	agree := func(s func(int) float64) (cross, raw, within float64) {
		byWeek := map[int64][]int{}
		byUnit := map[int][]int{}
		for i, o := range obs {
			byWeek[o.week] = append(byWeek[o.week], i)
			byUnit[o.unit] = append(byUnit[o.unit], i)
		}
		var cs, rs []float64
		for _, idx := range byWeek {
			if len(idx) < 3 {
				continue
			}
			var x, xr, rel, c, ov, e []float64
			for _, i := range idx {
				x, c, ov, e = append(x, s(i)), append(c, obs[i].cases), append(ov, obs[i].overdue), append(e, obs[i].esc)
				if !math.IsNaN(obs[i].rel) && !math.IsNaN(s(i)) {
					xr, rel = append(xr, s(i)), append(rel, obs[i].rel)
				}
			}
			// Units without a population (NYC boards) have no rate.
			if len(rel) >= 3 {
				if v := spearman(xr, rel); !math.IsNaN(v) {
					cs = append(cs, v)
				}
			}
			var parts []float64
			for _, y := range [][]float64{c, ov, e} {
				if v := spearman(x, y); !math.IsNaN(v) {
					parts = append(parts, v)
				}
			}
			if len(parts) > 0 {
				rs = append(rs, mean(parts))
			}
		}
		var ws []float64
		for _, idx := range byUnit {
			if len(idx) < 10 {
				continue
			}
			sort.Slice(idx, func(a, b int) bool { return obs[idx[a]].week < obs[idx[b]].week })
			var x, y []float64
			for _, i := range idx {
				x, y = append(x, s(i)), append(y, obs[i].cases)
			}
			if v := spearman(x, y); !math.IsNaN(v) {
				ws = append(ws, v)
			}
		}
		return mean(cs), mean(rs), mean(ws)
	}
	c0, r0, w0 := agree(func(i int) float64 { return obs[i].index })
	var lines []string
	lines = append(lines, fmt.Sprintf("index alone %.3f / %.3f / %.3f", c0, r0, w0))
	for _, ind := range []struct {
		name string
		get  func(uw) float64
	}{{"expected growth", func(o uw) float64 { return o.growth }}, {"expected cases per 10k", func(o uw) float64 { return o.per10k }}} {
		p := pct(ind.get)
		c, r, w := agree(func(i int) float64 {
			if v, ok := p[i]; ok {
				return v
			}
			return math.NaN()
		})
		lines = append(lines, fmt.Sprintf("%s alone %.3f / %.3f / %.3f", ind.name, c, r, w))
		for _, wt := range forwardWeights {
			c, r, w := agree(score(p, wt))
			lines = append(lines, fmt.Sprintf("index + %s (w=%.2f) %.3f / %.3f / %.3f", ind.name, wt, c, r, w))
		}
	}
	fmt.Printf("%s: forward-looking indicator, Spearman rho cross (cases per 10k in t+1…t+4) / raw (cases, overdue, escalations) / within units, on %d unit-weeks: %s\n",
		prefix, len(obs), strings.Join(lines, "; "))
}
