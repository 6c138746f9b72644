package jobs

import (
	"math"
	"sort"
	"strings"

	"github.com/riskwatch/riskwatch/indices/forecast"
	"github.com/riskwatch/riskwatch/store"
	"gonum.org/v1/gonum/mat"
)

// coherenceErrors is how many of the latest one-step errors estimate the
// covariance for MinT.
const coherenceErrors = 52

// reconcileRows makes the city, county and town rows of each category group
// coherent at every horizon: towns add up to their county and counties to
// the city. Per category the nodes are the regions with rows (a town's
// parent is its county by countyOf, else the city) plus,
// under each node with children, a leaf for the rest (its series minus
// its children's: cases of towns without a forecast or without a town),
// forecast with forecast.Auto like the others (zero when too sparse), not
// stored. The points are reconciled with MinT and the shrinkage covariance
// of the nodes' one-step naive errors over the last 52 windows (bottom-up
// when that covariance cannot be inverted). Each interval is the hull of
// the base interval and the base interval moved by the change of the point,
// so it holds the reconciled point and never less than the base interval;
// lower bounds stay ≥ 0 unless the reconciled point is negative.
func reconcileRows(rows []store.ForecastRow, series []forecast.Series, opts forecast.Options, cfg ForecastConfig) {
	type rkey struct {
		level    int
		region   string
		category string
	}
	ys := map[rkey][]float64{}
	for _, s := range series {
		parts := strings.SplitN(s.Key, "|", 3)
		if len(parts) == 3 {
			ys[rkey{s.Level, parts[1], parts[2]}] = s.Y
		}
	}
	byCat := map[string]map[rkey][]int{} // category → node → row indices
	for i, r := range rows {
		if r.Level < ForecastCity || r.Level > ForecastTown {
			continue
		}
		k := rkey{int(r.Level), r.RegionCode, r.Category}
		if byCat[r.Category] == nil {
			byCat[r.Category] = map[rkey][]int{}
		}
		byCat[r.Category][k] = append(byCat[r.Category][k], i)
	}
	cats := make([]string, 0, len(byCat))
	for c := range byCat {
		cats = append(cats, c)
	}
	sort.Strings(cats)
	for _, cat := range cats {
		nodes := make([]rkey, 0, len(byCat[cat]))
		for k := range byCat[cat] {
			if ys[k] != nil {
				nodes = append(nodes, k)
			}
		}
		sort.Slice(nodes, func(i, j int) bool {
			if nodes[i].level != nodes[j].level {
				return nodes[i].level < nodes[j].level
			}
			return nodes[i].region < nodes[j].region
		})
		idx := map[rkey]int{}
		for i, k := range nodes {
			idx[k] = i
		}
		parent := make([]int, len(nodes))
		for i, k := range nodes {
			parent[i] = -1
			switch k.level {
			case ForecastCounty:
				if p, ok := idx[rkey{ForecastCity, "city", cat}]; ok {
					parent[i] = p
				}
			case ForecastTown:
				for _, c := range nodes {
					if c.level == ForecastCounty && countyOf(k.region, c.region) {
						parent[i] = idx[c]
					}
				}
				if parent[i] < 0 {
					if p, ok := idx[rkey{ForecastCity, "city", cat}]; ok {
						parent[i] = p
					}
				}
			}
		}
		n := len(nodes)
		if n < 2 {
			continue
		}
		y := make([][]float64, n)
		base := make([]forecast.Forecast, n)
		for i, k := range nodes {
			y[i] = ys[k]
			base[i] = forecast.Forecast{Point: make([]float64, opts.Horizon)}
			for _, ri := range byCat[cat][k] {
				h := int(rows[ri].Horizon) - 1
				if h >= 0 && h < opts.Horizon {
					base[i].Point[h] = rows[ri].Point
				}
			}
		}
		// The rest under each node with children.
		rest := map[int][]float64{}
		for i, p := range parent {
			if p < 0 {
				continue
			}
			r := rest[p]
			if r == nil {
				r = append([]float64(nil), y[p]...)
				rest[p] = r
			}
			for t, v := range y[i] {
				r[t] -= v
			}
		}
		for p := 0; p < n; p++ {
			r, ok := rest[p]
			if !ok {
				continue
			}
			nz := 0
			for t := range r {
				r[t] = math.Max(0, math.Round(r[t]*1e6)/1e6)
				if r[t] > 0 {
					nz++
				}
			}
			if nz == 0 {
				continue
			}
			f := forecast.Forecast{Point: make([]float64, opts.Horizon)}
			if nz >= cfg.MinNonZero {
				if c, err := forecast.Auto(r, opts); err == nil {
					f = c.Forecast
				}
			}
			parent = append(parent, p)
			y = append(y, r)
			base = append(base, f)
		}
		hier, err := forecast.NewHierarchy(parent)
		if err != nil {
			continue
		}
		sp := mintProjection(hier, y)
		for h := 0; h < opts.Horizon; h++ {
			b := make([]float64, len(base))
			for i := range base {
				b[i] = base[i].Point[h]
			}
			var rec []float64
			if sp != nil {
				rec = forecast.Apply(sp, b)
			} else {
				rec = hier.BottomUp(b)
			}
			for i, k := range nodes {
				for _, ri := range byCat[cat][k] {
					if int(rows[ri].Horizon)-1 == h {
						recentre(&rows[ri], rec[i])
					}
				}
			}
		}
	}
}

// mintProjection is MinT(shrink)'s S·P from the one-step naive errors
// (y_t − y_{t−1}) of the latest coherenceErrors windows of every node, with
// a small ridge on the diagonal; nil when it cannot be computed.
func mintProjection(hier *forecast.Hierarchy, y [][]float64) *mat.Dense {
	n := len(y)
	length := len(y[0])
	rows := min(coherenceErrors, length-1)
	if rows < 3 {
		return nil
	}
	e := mat.NewDense(rows, n, nil)
	for i := range y {
		for r := 0; r < rows; r++ {
			t := length - rows + r
			e.Set(r, i, y[i][t]-y[i][t-1])
		}
	}
	sp, err := forecast.MinTShrinkWeights(hier, e)
	if err != nil {
		return nil
	}
	return sp
}

// recentre sets a row's point to the reconciled value p and its intervals
// to the hull of the base interval and the base interval moved by p − point.
func recentre(r *store.ForecastRow, p float64) {
	r.Lower80, r.Upper80 = forecast.HullBounds(r.Lower80, r.Upper80, r.Point, p)
	r.Lower95, r.Upper95 = forecast.HullBounds(r.Lower95, r.Upper95, r.Point, p)
	r.Point = p
}

// countyOf tells whether a town lies in a county: 12-digit division codes
// share their first six digits (the county's code is those and six zeros);
// other codes when the county's code prefixes the town's.
func countyOf(town, county string) bool {
	if len(town) == 12 && len(county) == 12 {
		return town[:6] == county[:6] && county[6:] == "000000"
	}
	return strings.HasPrefix(town, county)
}
