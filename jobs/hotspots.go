package jobs

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"time"

	"github.com/riskwatch/riskwatch/indices/smallarea"
	"github.com/riskwatch/riskwatch/indices/spatial"
	"github.com/riskwatch/riskwatch/jobs/scheduler"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

// HotspotStore is what the hot-spot job reads and writes.
type HotspotStore interface {
	HotspotCells(ctx context.Context, start, end time.Time) ([]store.HotspotCell, error)
	HotspotZHistory(ctx context.Context, window string, before time.Time, n int) ([]store.HotspotZ, error)
	WriteHotspots(ctx context.Context, rows []store.Hotspot) error
}

// Hot-spot settings.
const (
	// HotspotEHSAWindows is the number of windows, the computed one
	// included, whose Gi* z-scores make the emerging hot spot series.
	HotspotEHSAWindows = 10
	// HotspotFDR is the false discovery rate at which a unit is flagged hot
	// or cold: its Benjamini–Hochberg q-value within the level is below it.
	HotspotFDR = 0.05
)

// Neighbour sources stored in hotspots.neighbours_source.
const (
	NeighboursGeoJSON  = "geojson"
	NeighboursSiblings = "siblings"
)

// hotspotLevels are the levels the job analyses. The city is a single unit
// and has no neighbours to compare with.
var hotspotLevels = []schemas.Level{schemas.LevelCounty, schemas.LevelTown, schemas.LevelVillage}

// CountyContiguity is the queen contiguity of the county level read from a
// GeoJSON, with the features' ids mapped onto registry codes.
type CountyContiguity struct {
	// Neighbours maps the registry code of every county with a polygon to
	// the registry codes of the counties whose polygons touch it.
	Neighbours map[string][]string
}

// ReadCountyContiguity reads the queen contiguity of the county level from a
// GeoJSON FeatureCollection whose features carry the county code in the
// "adcode" property (DataV's files; 6-digit codes are padded to the
// registry's 12 digits by Registry.Normalize). Features whose code is not a
// county of reg are ignored.
func ReadCountyContiguity(reg *schemas.Registry, geo []byte) (*CountyContiguity, error) {
	w, err := spatial.ReadGeoJSONQueen(bytes.NewReader(geo), "county GeoJSON", spatial.QueenOptions{IDProperty: "adcode"})
	if err != nil {
		return nil, err
	}
	code := func(id string) (string, bool) {
		c, ok := reg.Normalize(id)
		if !ok {
			return "", false
		}
		r, _ := reg.Lookup(c)
		return c, r.Level == schemas.LevelCounty
	}
	cc := &CountyContiguity{Neighbours: map[string][]string{}}
	for _, id := range w.IDs() {
		c, ok := code(id)
		if !ok {
			continue
		}
		nb := []string{}
		for _, n := range w.Neighbors(id) {
			if nc, ok := code(n); ok && nc != c {
				nb = append(nb, nc)
			}
		}
		cc.Neighbours[c] = nb
	}
	return cc, nil
}

// HotspotJob returns the job that computes the hot spots of windows of kind
// w at the county, town and village levels of reg. geo is the GeoJSON of the
// county level (DataV format, "adcode" property) or nil; without it every
// level uses siblings as neighbours. computedAt stamps the rows (the version
// that lets a recomputed window replace its rows, not an input of any
// figure).
func HotspotJob(st HotspotStore, reg *schemas.Registry, w schemas.Window, geo []byte, computedAt func() time.Time) func(ctx context.Context, at time.Time) (uint64, error) {
	var contiguity *CountyContiguity
	var geoErr error
	if len(geo) > 0 {
		contiguity, geoErr = ReadCountyContiguity(reg, geo)
	}
	return func(ctx context.Context, at time.Time) (uint64, error) {
		if geoErr != nil {
			return 0, fmt.Errorf("cannot read the county neighbours: %w", geoErr)
		}
		end := w.Align(at)
		start := w.Prev(end)
		cells, err := st.HotspotCells(ctx, start, end)
		if err != nil {
			return 0, err
		}
		history, err := st.HotspotZHistory(ctx, w.String(), end, HotspotEHSAWindows-1)
		if err != nil {
			return 0, err
		}
		rows, err := ComputeHotspots(reg, contiguity, cells, history, w.String(), start, end, computedAt())
		if err != nil {
			return 0, err
		}
		if err := st.WriteHotspots(ctx, rows); err != nil {
			return 0, err
		}
		return uint64(len(rows)), nil
	}
}

// HotspotJobs returns the day, week and month hot-spot jobs with their
// schedules (Asia/Shanghai), a few minutes after the KPI jobs.
func HotspotJobs(st HotspotStore, reg *schemas.Registry, geo []byte, computedAt func() time.Time) []scheduler.Job {
	return []scheduler.Job{
		{Name: "hotspots_day", Window: schemas.Day, Spec: "15 0 * * *", Run: HotspotJob(st, reg, schemas.Day, geo, computedAt)},
		{Name: "hotspots_week", Window: schemas.Week, Spec: "25 0 * * 1", Run: HotspotJob(st, reg, schemas.Week, geo, computedAt)},
		{Name: "hotspots_month", Window: schemas.Month, Spec: "35 0 1 * *", Run: HotspotJob(st, reg, schemas.Month, geo, computedAt)},
	}
}

// HotspotCounts sums the cells up the hierarchy: a case counts in the most
// precise registry unit its cell names and in every ancestor of it, so a
// case recorded at a coarser level (the finer codes empty or unknown) counts
// only there and above. Cells naming no known unit are left out.
func HotspotCounts(reg *schemas.Registry, cells []store.HotspotCell) map[string]uint64 {
	counts := map[string]uint64{}
	for _, c := range cells {
		var chain []schemas.Region
		for _, code := range []string{c.Village, c.Town, c.County} {
			if code == "" {
				continue
			}
			if chain = reg.Ancestors(code); len(chain) > 0 {
				break
			}
		}
		for _, r := range chain {
			counts[r.Code] += c.Cases
		}
	}
	return counts
}

// ComputeHotspots returns one row per unit of the county, town and village
// levels of reg (in code order within each level) for the window [start,
// end): cases, the rate per 10,000 residents, the empirical-Bayes rate, Gi*
// with its p- and q-value, the hot/cold flag and the emerging hot spot
// category. contiguity may be nil. history holds the z-scores of earlier
// windows of the same kind (HotspotStore.HotspotZHistory).
//
// Per level:
//   - rates and statistics cover the units with a positive population; the
//     others get NULL rates and statistics and hot = 0;
//   - the EB rate is Marshall's global Poisson estimate over those units
//     (smallarea.GlobalPoisson), per 10,000;
//   - Gi* (binary weights, the unit its own neighbour, two-sided normal
//     p-value) is computed on the EB rate, not the crude rate: a village of a
//     few hundred residents jumps by tens per 10,000 with a single case, and
//     Gi* on crude rates would flag such noise; the EB rate shrinks each unit
//     towards the level's overall rate by its unreliability, so a hot spot
//     needs counts that are large for the population. When the level shows
//     no extra-Poisson variation every EB rate equals the overall rate and
//     every z-score is undefined (NULL): there is no evidence of a hot spot;
//   - neighbours: counties by queen contiguity from the GeoJSON when given;
//     a county without a polygon there (the 开发区 150571 and 市辖区 150501 of
//     Tongliao's DataV file) and every county without a GeoJSON has its
//     siblings (the other counties of its city) as neighbours, which in a
//     one-city registry is the whole level, so its Gi* is undefined (NULL)
//     rather than made up. Towns and villages have their siblings (same
//     parent) as neighbours (spatial.FromHierarchy);
//   - q is the Benjamini–Hochberg adjustment of the p-values of the level;
//     hot is 1 (-1) when q < HotspotFDR and z > 0 (z < 0);
//   - the emerging hot spot category classifies the z-scores of the stored
//     earlier windows followed by this one's (spatial.EmergingHotSpot: a bin
//     is significant at two-sided p ≤ 0.05, without FDR, since only z is
//     stored per window); "" when the unit has fewer than two windows with
//     a defined z-score (the Mann-Kendall trend needs two).
func ComputeHotspots(reg *schemas.Registry, contiguity *CountyContiguity, cells []store.HotspotCell, history []store.HotspotZ,
	window string, start, end time.Time, computedAt time.Time) ([]store.Hotspot, error) {
	counts := HotspotCounts(reg, cells)
	past := map[string][]float64{}
	for _, h := range history { // ordered by level, region, window end
		past[h.RegionCode] = append(past[h.RegionCode], h.Z)
	}
	var out []store.Hotspot
	for _, lv := range hotspotLevels {
		units := reg.AtLevel(lv)
		if len(units) == 0 {
			continue
		}
		rows := make([]store.Hotspot, len(units))
		var active []int // indices of units with a positive population
		for i, r := range units {
			pop := uint64(0)
			if r.Population > 0 {
				pop = uint64(r.Population)
				active = append(active, i)
			}
			rows[i] = store.Hotspot{
				Window: window, WindowStart: start, WindowEnd: end, Level: uint8(lv),
				RegionCode: r.Code, ParentCode: r.Parent, Cases: counts[r.Code],
				Population: pop, PopulationSource: r.PopulationSource,
				RatePer10k: math.NaN(), EBRatePer10k: math.NaN(),
				GiZ: math.NaN(), GiP: math.NaN(), GiQ: math.NaN(),
				NeighboursSource: NeighboursSiblings, ComputedAt: computedAt,
			}
			if lv == schemas.LevelCounty && contiguity != nil {
				if _, ok := contiguity.Neighbours[r.Code]; ok {
					rows[i].NeighboursSource = NeighboursGeoJSON
				}
			}
		}
		if err := levelStatistics(units, rows, active, contiguity); err != nil {
			return nil, fmt.Errorf("cannot compute the hot spots at level %d: %w", lv, err)
		}
		for i := range rows {
			series := append(append([]float64(nil), past[rows[i].RegionCode]...), rows[i].GiZ)
			if defined(series) < spatial.MinMannKendall {
				continue // fewer than two windows with a z-score: no trend, no category
			}
			res, err := spatial.EmergingHotSpot(series, spatial.EHSAOptions{})
			if err != nil {
				return nil, fmt.Errorf("cannot classify the emerging hot spot of %s: %w", rows[i].RegionCode, err)
			}
			rows[i].EHSACategory = res.Category.String()
		}
		out = append(out, rows...)
	}
	return out, nil
}

// funnelFlags places every active unit of a level on the funnel plot:
// observed cases against expected = the level's overall rate × the unit's
// population, with Spiegelhalter's limits and the overdispersion check. A
// level without any case has no flags.
func funnelFlags(rows []store.Hotspot, active []int, cases, pops []float64) error {
	var total, totalPop float64
	for k := range cases {
		total += cases[k]
		totalPop += pops[k]
	}
	if total == 0 || totalPop == 0 {
		return nil
	}
	expected := make([]float64, len(cases))
	for k := range cases {
		expected[k] = total / totalPop * pops[k]
	}
	f, err := smallarea.SRFunnel(cases, expected, smallarea.DefaultFunnelOptions())
	if err != nil {
		return err // it says "cannot analyse the funnel"
	}
	for k, i := range active {
		rows[i].FunnelFlag = f.Units[k].Flag.String()
	}
	return nil
}

// levelStatistics fills the rates, Gi* and flags of rows (one per unit of a
// level) for the active units, those with a positive population.
func levelStatistics(units []schemas.Region, rows []store.Hotspot, active []int, contiguity *CountyContiguity) error {
	if len(active) == 0 {
		return nil
	}
	cases := make([]float64, len(active))
	pops := make([]float64, len(active))
	for k, i := range active {
		cases[k], pops[k] = float64(rows[i].Cases), float64(rows[i].Population)
		rows[i].RatePer10k = smallarea.RatePer10k(cases[k], pops[k])
	}
	eb, err := smallarea.GlobalPoisson(cases, pops)
	if err != nil {
		return err
	}
	if err := funnelFlags(rows, active, cases, pops); err != nil {
		return err
	}
	values := map[string]float64{}
	for k, i := range active {
		rows[i].EBRatePer10k = eb.Estimate[k] * smallarea.Per10k
		values[units[i].Code] = rows[i].EBRatePer10k
	}
	if len(active) < 2 {
		return nil // Gi* needs two units
	}
	activeUnits := make([]schemas.Region, len(active))
	for k, i := range active {
		activeUnits[k] = units[i]
	}
	w, err := levelWeights(activeUnits, contiguity)
	if err != nil {
		return err
	}
	y := make([]float64, w.Len())
	for j := range y {
		y[j] = values[w.ID(j)]
	}
	gi, err := spatial.GiStar(y, w, spatial.GiOptions{TwoSided: true})
	if err != nil {
		return err
	}
	byCode := map[string]spatial.Result{}
	for _, r := range gi {
		byCode[r.ID] = r
	}
	for _, i := range active {
		r := byCode[units[i].Code]
		rows[i].GiZ, rows[i].GiP, rows[i].GiQ = r.Z, r.P, r.Q
		if r.Q < HotspotFDR { // false for NaN
			switch {
			case r.Z > 0:
				rows[i].Hot = 1
			case r.Z < 0:
				rows[i].Hot = -1
			}
		}
	}
	return nil
}

// levelWeights returns the binary neighbour weights (without the self
// weight, which Gi* adds) over units, all of one level. Counties listed in
// contiguity take their GeoJSON neighbours among units; every other unit has
// the units with the same parent as neighbours.
func levelWeights(units []schemas.Region, contiguity *CountyContiguity) (*spatial.Weights, error) {
	in := map[string]bool{}
	parent := map[string]string{}
	for _, u := range units {
		in[u.Code] = true
		parent[u.Code] = u.Parent
	}
	if len(units) == 0 || units[0].Level != schemas.LevelCounty || contiguity == nil {
		return spatial.FromHierarchy(parent)
	}
	siblings, err := spatial.FromHierarchy(parent)
	if err != nil {
		return nil, err
	}
	ids := siblings.IDs()
	nb := map[string][]string{}
	for _, id := range ids {
		geo, ok := contiguity.Neighbours[id]
		if !ok {
			nb[id] = siblings.Neighbors(id)
			continue
		}
		for _, n := range geo {
			if in[n] {
				nb[id] = append(nb[id], n)
			}
		}
	}
	return spatial.NewWeights(ids, nb)
}

// defined counts the values that are not NaN.
func defined(v []float64) int {
	n := 0
	for _, x := range v {
		if !math.IsNaN(x) {
			n++
		}
	}
	return n
}
