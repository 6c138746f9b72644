package jobs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/riskwatch/riskwatch/indices/composite"
	"github.com/riskwatch/riskwatch/indices/smallarea"
	"github.com/riskwatch/riskwatch/jobs/scheduler"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

// RiskStore is what the risk index job reads and writes.
type RiskStore interface {
	RiskCells(ctx context.Context, w store.RiskWindows, o store.RiskCountOptions) ([]store.RiskCell, error)
	RiskIndexRows(ctx context.Context, window string, windowEnd time.Time) ([]store.RiskIndexRow, error)
	WriteRiskIndex(ctx context.Context, rows []store.RiskIndexRow) error
}

// RiskConfig is the whole configuration of the risk index job: the
// composite spec (goalposts, weights, bands, sensitivity) and the counting
// rules, which are versioned together with every row.
type RiskConfig struct {
	// Spec is the composite spec (SCRI v0 by default).
	Spec composite.Spec
	// Counts are the thresholds and lists of the counts.
	Counts store.RiskCountOptions
	// CohortLagDays is the SLA of the C2 cohort: C2 looks at the cases
	// reported in the window shifted back by this many days, so that each
	// has had the full SLA by the window end (30: the longer demo SLA and
	// the usual 人民调解 time limit).
	CohortLagDays int
	// RatePeriodDays is the period A1 is expressed per: the initial
	// goalposts of RISK_INDEX.md §5.2 are per 10⁴ residents per quarter, so
	// the population is turned into person-periods (population × window
	// days / RatePeriodDays) for windows of any length.
	RatePeriodDays float64
	// CountsVersion names the counting rules; the job appends a hash of
	// Counts, CohortLagDays, RatePeriodDays and MinMedianExpected.
	CountsVersion string
	// MinMedianExpected is the §5.1 minimum data of a level: when the
	// median expected case count per window of a level's units is below it,
	// the level's rows are marked (level_gate = 0) and their reliability is
	// poor, which caps their band at yellow unless the funnel alarms (20 in
	// RISK_INDEX.md §5.1; 0 turns the gate off).
	MinMedianExpected float64
	// Thresholds are the calibrated band thresholds per level; a level
	// without an entry uses Spec.Bands (the INFORM fallback). The job loads
	// them from the store before each run unless FixedBands is set.
	Thresholds map[schemas.Level]LevelThresholds
	// FixedBands keeps Thresholds as configured instead of loading the
	// stored calibrations (tests and evaluations of a fixed configuration).
	FixedBands bool
}

// LevelThresholds are one level's calibrated band thresholds and their
// version (a risk_thresholds row).
type LevelThresholds struct {
	Bands composite.BandThresholds
	// Margin is the hysteresis margin calibrated with them (0: the spec's).
	Margin  float64
	Version string
}

// RiskThresholdSource is what a store offers when it keeps calibrated
// thresholds (risk_thresholds); the job reads the newest per level.
type RiskThresholdSource interface {
	LatestRiskThresholds(ctx context.Context, window string) (map[uint8]store.RiskThresholds, error)
}

// LoadThresholds returns the thresholds in force for window from src, by
// level.
func LoadThresholds(ctx context.Context, src RiskThresholdSource, window string) (map[schemas.Level]LevelThresholds, error) {
	rows, err := src.LatestRiskThresholds(ctx, window)
	if err != nil {
		return nil, err
	}
	out := map[schemas.Level]LevelThresholds{}
	for lv, t := range rows {
		b := composite.BandThresholds{Blue: t.Blue, Yellow: t.Yellow, Orange: t.Orange, Red: t.Red}
		if err := b.Validate(); err != nil {
			return nil, fmt.Errorf("risk thresholds %s: %w", t.Version, err)
		}
		out[schemas.Level(lv)] = LevelThresholds{Bands: b, Margin: t.HysteresisMargin, Version: t.Version}
	}
	return out, nil
}

// bandsFor returns the spec of level lv (its thresholds and hysteresis
// margin in force) and their version.
func (c RiskConfig) bandsFor(lv schemas.Level) (composite.Spec, string) {
	spec := c.Spec
	if t, ok := c.Thresholds[lv]; ok {
		spec.Bands = t.Bands
		if t.Margin > 0 {
			spec.Hysteresis.Margin = t.Margin
		}
		return spec, t.Version
	}
	return spec, c.Spec.Versions.Bands
}

// DefaultRiskConfig returns SCRI v0 with the counting rules of
// RISK_INDEX.md §5.2: group disputes from 5 parties, high amounts from
// 50,000 yuan, the sensitive types 劳资/欠薪, 征地拆迁, 房产物业, 涉众金融
// and 医疗 (婚姻家庭 only 涉暴 in the spec, which the taxonomy cannot tell,
// so it is left out), a 30-day C2 cohort lag and A1 per quarter.
func DefaultRiskConfig() RiskConfig {
	return RiskConfig{
		Spec: composite.DefaultSpec(),
		Counts: store.RiskCountOptions{GroupParties: 5, HighAmountCNY: 50000,
			SensitiveCategories: []string{"labor", "labor.wage_arrears", "expropriation", "property", "finance.mass", "medical"}},
		CohortLagDays:     30,
		RatePeriodDays:    365.25 / 4,
		CountsVersion:     "riskwatch-counts-v0",
		MinMedianExpected: 20,
	}
}

// countsVersion returns CountsVersion with a short hash of the counting
// rules, so that a changed threshold shows even without a renamed version.
func (c RiskConfig) countsVersion() string {
	h := sha256.Sum256(fmt.Appendf(nil, "%+v|%d|%v", c.Counts, c.CohortLagDays, c.RatePeriodDays))
	if c.MinMedianExpected != 0 {
		// Appended only when set, so that the default counts' version of
		// rows stored before the gate existed stays comparable.
		h = sha256.Sum256(fmt.Appendf(h[:], "|gate=%v", c.MinMedianExpected))
	}
	return c.CountsVersion + "#" + hex.EncodeToString(h[:6])
}

// specVersion returns every version of the configuration as one string.
func (c RiskConfig) specVersion() string {
	v := c.Spec.Versions
	return fmt.Sprintf("methodology=%s;goalposts=%s;weights=%s;bands=%s;sensitivity=%s;counts=%s",
		v.Methodology, v.Goalposts, v.Weights, v.Bands, v.Sensitivity, c.countsVersion())
}

// RiskWindowsFor returns the intervals of the window of kind w ending at
// `at`: itself, the four preceding windows and the C2 cohort, lagDays
// earlier.
func RiskWindowsFor(w schemas.Window, at time.Time, lagDays int) store.RiskWindows {
	end := w.Align(at)
	start := w.Prev(end)
	r := store.RiskWindows{Start: start, End: end,
		CohortStart: start.AddDate(0, 0, -lagDays), CohortEnd: end.AddDate(0, 0, -lagDays)}
	s := start
	for i := range r.PrevStarts {
		s = w.Prev(s)
		r.PrevStarts[i] = s
	}
	return r
}

// RiskLevels are the levels that get the full index. RISK_INDEX.md §5.1
// gives the full index to levels whose median expected case count per
// window is at least 20, "typically county and town"; villages get counts,
// smoothed rates and funnel flags only, which this job does not compute
// (no village rows). The city is a single unit without siblings.
var RiskLevels = []schemas.Level{schemas.LevelCounty, schemas.LevelTown}

// RiskSeed returns the seed of the sensitivity weight noise for the
// siblings under parent at level in the window ending at windowEnd: a hash
// of stable keys, never the clock, so that a window computed again gives
// the same rows.
func RiskSeed(window string, windowEnd time.Time, level schemas.Level, parent string) uint64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "risk_index|%s|%s|%d|%s", window, windowEnd.UTC().Format(time.RFC3339), int(level), parent)
	return h.Sum64()
}

// RiskIndexJob returns the job that computes the risk index of every county
// and town of reg for windows of kind w with DefaultRiskConfig. computedAt
// stamps the rows (the version that lets a recomputed window replace its
// rows, not an input of any figure).
func RiskIndexJob(st RiskStore, reg *schemas.Registry, w schemas.Window, computedAt func() time.Time) func(ctx context.Context, at time.Time) (uint64, error) {
	return RiskIndexJobWith(st, reg, DefaultRiskConfig(), w, computedAt)
}

// RiskIndexJobWith is RiskIndexJob with an explicit configuration.
func RiskIndexJobWith(st RiskStore, reg *schemas.Registry, cfg RiskConfig, w schemas.Window, computedAt func() time.Time) func(ctx context.Context, at time.Time) (uint64, error) {
	return func(ctx context.Context, at time.Time) (uint64, error) {
		win := RiskWindowsFor(w, at, cfg.CohortLagDays)
		cfg := cfg
		if src, ok := st.(RiskThresholdSource); ok && !cfg.FixedBands {
			th, err := LoadThresholds(ctx, src, w.String())
			if err != nil {
				return 0, err
			}
			cfg.Thresholds = th
		}
		cells, err := st.RiskCells(ctx, win, cfg.Counts)
		if err != nil {
			return 0, err
		}
		prev, err := st.RiskIndexRows(ctx, w.String(), win.Start)
		if err != nil {
			return 0, err
		}
		rows, err := ComputeRiskIndex(reg, cfg, cells, prev, w.String(), win, computedAt())
		if err != nil {
			return 0, err
		}
		if err := st.WriteRiskIndex(ctx, rows); err != nil {
			return 0, err
		}
		return uint64(len(rows)), nil
	}
}

// RiskIndexJobs returns the weekly and monthly risk index jobs with their
// schedules (Asia/Shanghai), after the KPI jobs of the same window. There
// is no daily job: RISK_INDEX.md §5.1 computes the index per month (weeks
// are the finest window we allow) and requires a median of at least 20
// expected cases per unit and window, which a town's day does not reach;
// A2's baseline and C2's cohort would be mostly noise.
func RiskIndexJobs(st RiskStore, reg *schemas.Registry, computedAt func() time.Time) []scheduler.Job {
	return []scheduler.Job{
		{Name: "risk_week", Window: schemas.Week, Spec: "10 1 * * 1", Run: RiskIndexJob(st, reg, schemas.Week, computedAt)},
		{Name: "risk_month", Window: schemas.Month, Spec: "20 1 1 * *", Run: RiskIndexJob(st, reg, schemas.Month, computedAt)},
	}
}

// RiskCounts are one unit's summed cell counts.
type RiskCounts struct {
	// RiskCell holds the sums (its codes and Earliest are not used).
	store.RiskCell
}

func (a *RiskCounts) add(c store.RiskCell) {
	a.Accepted += c.Accepted
	for i := range a.Prev {
		a.Prev[i] += c.Prev[i]
	}
	a.Difficult += c.Difficult
	a.Group += c.Group
	a.HighAmount += c.HighAmount
	a.Sensitive += c.Sensitive
	a.Repeat += c.Repeat
	a.Escalated += c.Escalated
	a.Due += c.Due
	a.Overdue += c.Overdue
	a.CohortAccepted += c.CohortAccepted
	a.CohortHandled += c.CohortHandled
	a.Evaluated += c.Evaluated
	a.Satisfied += c.Satisfied
	if c.Latest.After(a.Latest) {
		a.Latest = c.Latest
	}
}

// AggregateRiskCells sums the cells to every county and town of reg (a cell
// counts for each ancestor at those levels; a cell recorded at county level
// counts for its county only). It also returns the earliest report time over
// all cells (zero without cells). Units without cases get zero counts.
func AggregateRiskCells(reg *schemas.Registry, cells []store.RiskCell) (map[string]*RiskCounts, time.Time) {
	sums := map[string]*RiskCounts{}
	for _, lv := range RiskLevels {
		for _, r := range reg.AtLevel(lv) {
			sums[r.Code] = &RiskCounts{}
		}
	}
	var earliest time.Time
	for _, c := range cells {
		if earliest.IsZero() || (!c.Earliest.IsZero() && c.Earliest.Before(earliest)) {
			earliest = c.Earliest
		}
		// The root is never in sums: cells outside the registry count nowhere.
		for _, r := range cellChain(reg, c.County, c.Town, c.Village) {
			if s := sums[r.Code]; s != nil {
				s.add(c)
			}
		}
	}
	return sums, earliest
}

// RiskBaseline returns the A2 baseline B of RISK_INDEX.md §5.1: the mean
// count over those of the four preceding windows that have data (a window
// has data when it ends after the earliest case), NaN when none has (A2
// missing). §5.1's alternative, the same window a year earlier "whichever
// is available", never applies under this rule: history that reaches a
// year back covers the four preceding windows.
func RiskBaseline(c *RiskCounts, win store.RiskWindows, earliest time.Time) float64 {
	if earliest.IsZero() {
		return math.NaN()
	}
	k := 0
	for i := range win.PrevStarts {
		if win.PrevEnd(i).After(earliest) {
			k++
		}
	}
	if k > 0 {
		var sum uint64
		for i := 0; i < k; i++ {
			sum += c.Prev[i]
		}
		return float64(sum) / float64(k)
	}
	return math.NaN()
}

// TownCounts returns the composite counts of one unit: population turned
// into person-periods of cfg.RatePeriodDays (see RiskConfig), the baseline
// and every numerator and denominator.
func (c *RiskCounts) TownCounts(population float64, baseline float64, win store.RiskWindows, ratePeriodDays float64) composite.TownCounts {
	days := win.End.Sub(win.Start).Hours() / 24
	return composite.TownCounts{
		Population: population * days / ratePeriodDays,
		Accepted:   float64(c.Accepted), Baseline: baseline,
		Difficult: float64(c.Difficult), Group: float64(c.Group), HighAmount: float64(c.HighAmount),
		Sensitive: float64(c.Sensitive), Repeat: float64(c.Repeat), Escalated: float64(c.Escalated),
		Overdue: float64(c.Overdue), Due: float64(c.Due),
		CohortAccepted: float64(c.CohortAccepted), CohortHandled: float64(c.CohortHandled),
		Evaluated: float64(c.Evaluated), Satisfied: float64(c.Satisfied),
	}
}

// populationReliability is the reliability floor a unit's population gives:
// fair for an estimate, poor when unknown.
func populationReliability(r schemas.Region) composite.Reliability {
	switch {
	case r.Population <= 0 || r.PopulationSource == schemas.PopulationUnknown:
		return composite.ReliabilityPoor
	case r.PopulationSource == schemas.PopulationEstimated:
		return composite.ReliabilityFair
	}
	return composite.ReliabilityGood
}

// EncodeBandState serialises a hysteresis state as "band:below"
// ("orange:1"), or "band:below:pending:above:missing" ("blue:0:yellow:1:0")
// while a rise is pending or the band is carried through windows without
// an index.
func EncodeBandState(s composite.BandState) string {
	out := s.Band.String() + ":" + strconv.Itoa(s.Below)
	if s.Above > 0 || s.Missing > 0 {
		out += ":" + s.Pending.String() + ":" + strconv.Itoa(s.Above) + ":" + strconv.Itoa(s.Missing)
	}
	return out
}

// DecodeBandState parses EncodeBandState's forms.
func DecodeBandState(s string) (composite.BandState, error) {
	bad := fmt.Errorf("bad band state %q", s)
	parts := strings.Split(s, ":")
	if len(parts) != 2 && len(parts) != 5 {
		return composite.BandState{}, bad
	}
	band, err := composite.ParseBand(parts[0])
	if err != nil {
		return composite.BandState{}, err
	}
	below, err := strconv.Atoi(parts[1])
	if err != nil || below < 0 {
		return composite.BandState{}, bad
	}
	st := composite.BandState{Band: band, Below: below}
	if len(parts) == 5 {
		if st.Pending, err = composite.ParseBand(parts[2]); err != nil {
			return composite.BandState{}, err
		}
		var err1, err2 error
		st.Above, err1 = strconv.Atoi(parts[3])
		st.Missing, err2 = strconv.Atoi(parts[4])
		if err1 != nil || err2 != nil || st.Above < 0 || st.Missing < 0 || st.Above+st.Missing == 0 {
			return composite.BandState{}, bad
		}
	}
	return st, nil
}

// RiskPrevious builds a unit's Previous from its row of the previous
// window: the values used (only when the indicators are the spec's, in the
// same order) and the hysteresis state. It returns nil without a row.
func RiskPrevious(spec composite.Spec, row *store.RiskIndexRow) (*composite.Previous, error) {
	if row == nil {
		return nil, nil
	}
	p := &composite.Previous{}
	same := len(row.IndicatorNames) == len(spec.Indicators) && len(row.IndicatorValues) == len(spec.Indicators)
	for k := 0; same && k < len(spec.Indicators); k++ {
		same = row.IndicatorNames[k] == spec.Indicators[k].Name
	}
	if same {
		p.Values = append([]float64(nil), row.IndicatorValues...)
	}
	for f := smallarea.FlagNone; f <= smallarea.FlagAlarm998; f++ {
		if row.FunnelFlag == f.String() {
			p.Flag = f
		}
	}
	if row.State != "" {
		st, err := DecodeBandState(row.State)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", row.RegionCode, err)
		}
		p.State = &st
	}
	return p, nil
}

// RiskGroup is one call of composite.Run: the sibling units of one parent
// at one level.
type RiskGroup struct {
	// Level and Parent identify the siblings; Regions are they, in code
	// order, and Units their inputs in the same order.
	Level   schemas.Level
	Parent  string
	Regions []schemas.Region
	Units   []composite.Unit
	// Accepted is each unit's accepted count and Latest its latest report
	// time before the window end (zero without cases).
	Accepted []uint64
	Latest   []time.Time
	// MedianExpected is the median expected count per window over the
	// level's units and Gate whether it reaches cfg.MinMedianExpected
	// (RISK_INDEX.md §5.1); below it every unit of the level is poor.
	MedianExpected float64
	Gate           bool
}

// LevelGateReason is the band reason of a row whose level is below the
// §5.1 minimum data.
const LevelGateReason = "level_below_min_expected"

// LevelGates returns, per level, the median expected case count per window
// over the level's units (the A2 baseline where there is one, else the
// window's own count) and whether it reaches min (RISK_INDEX.md §5.1: "full
// index for levels where the median expected case count per window is ≥
// 20").
func LevelGates(reg *schemas.Registry, sums map[string]*RiskCounts, win store.RiskWindows, earliest time.Time, min float64) (map[schemas.Level]float64, map[schemas.Level]bool) {
	medians, gates := map[schemas.Level]float64{}, map[schemas.Level]bool{}
	for _, lv := range RiskLevels {
		var exp []float64
		for _, r := range reg.AtLevel(lv) {
			c := sums[r.Code]
			e := RiskBaseline(c, win, earliest)
			if math.IsNaN(e) {
				e = float64(c.Accepted)
			}
			exp = append(exp, e)
		}
		m := median(exp)
		medians[lv] = m
		gates[lv] = !(m < min) // NaN (no units) passes: nothing is marked
	}
	return medians, gates
}

// median returns the median of xs (NaN for none); xs is sorted in place.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	sort.Float64s(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

// RiskGroups builds the composite inputs of every parent's siblings at the
// RiskLevels, parents in code order: the units' counts from the summed
// cells, their reliability floors and their previous windows (prev: the
// previous window's rows).
func RiskGroups(reg *schemas.Registry, cfg RiskConfig, cells []store.RiskCell, prev []store.RiskIndexRow, win store.RiskWindows) ([]RiskGroup, error) {
	sums, earliest := AggregateRiskCells(reg, cells)
	medians, gates := LevelGates(reg, sums, win, earliest, cfg.MinMedianExpected)
	prevBy := map[string]*store.RiskIndexRow{}
	for i := range prev {
		prevBy[prev[i].RegionCode] = &prev[i]
	}
	var groups []RiskGroup
	for _, lv := range RiskLevels {
		byParent := map[string][]schemas.Region{}
		for _, r := range reg.AtLevel(lv) {
			byParent[r.Parent] = append(byParent[r.Parent], r)
		}
		parents := make([]string, 0, len(byParent))
		for p := range byParent {
			parents = append(parents, p)
		}
		sort.Strings(parents)
		for _, p := range parents {
			g := RiskGroup{Level: lv, Parent: p, Regions: byParent[p], MedianExpected: medians[lv], Gate: gates[lv]}
			for _, r := range g.Regions {
				c := sums[r.Code]
				tc := c.TownCounts(float64(r.Population), RiskBaseline(c, win, earliest), win, cfg.RatePeriodDays)
				pv, err := RiskPrevious(cfg.Spec, prevBy[r.Code])
				if err != nil {
					return nil, err
				}
				rel := populationReliability(r)
				if !g.Gate {
					rel = composite.ReliabilityPoor
				}
				g.Units = append(g.Units, composite.Unit{ID: r.Code, Counts: composite.SCRICounts(tc),
					Reliability: rel, Previous: pv})
				g.Accepted = append(g.Accepted, c.Accepted)
				g.Latest = append(g.Latest, c.Latest)
			}
			groups = append(groups, g)
		}
	}
	return groups, nil
}

// ComputeRiskIndex runs composite.Run once per parent's siblings at the
// RiskLevels and returns one row per unit with every component.
func ComputeRiskIndex(reg *schemas.Registry, cfg RiskConfig, cells []store.RiskCell, prev []store.RiskIndexRow, window string, win store.RiskWindows, computedAt time.Time) ([]store.RiskIndexRow, error) {
	groups, err := RiskGroups(reg, cfg, cells, prev, win)
	if err != nil {
		return nil, err
	}
	version := cfg.specVersion()
	var indNames, dimNames []string
	for _, ind := range cfg.Spec.Indicators {
		indNames = append(indNames, ind.Name)
	}
	for _, d := range cfg.Spec.Dimensions {
		dimNames = append(dimNames, d.Name)
	}
	var out []store.RiskIndexRow
	for _, g := range groups {
		seed := RiskSeed(window, win.End, g.Level, g.Parent)
		spec, thVersion := cfg.bandsFor(g.Level)
		res, err := composite.Run(spec, g.Units, seed)
		if err != nil {
			return nil, fmt.Errorf("cannot compute the risk index %s %v level %d parent %s: %w", window, win.End, int(g.Level), g.Parent, err)
		}
		for i, u := range res.Units {
			r := g.Regions[i]
			row := store.RiskIndexRow{Window: window, WindowStart: win.Start, WindowEnd: win.End,
				Level: uint8(r.Level), RegionCode: r.Code, ParentCode: r.Parent,
				Index: u.Index, Score: u.Index1dp, BandIndex: u.BandIndex.String(), Band: u.Band.String(),
				FunnelFlag: u.Funnel.Flag.String(), Reliability: u.Reliability.String(), NCases: g.Accepted[i],
				MissingShare: u.MissingShare, Rank: uint32(u.Rank),
				IndicatorNames: indNames, DimensionNames: dimNames, DimensionScores: u.Dimensions,
				DriversPrev: encodeDrivers(u.DriversVsPrevious), DriversSiblings: encodeDrivers(u.DriversVsMean),
				Agreement: u.Sensitivity.Agreement, Unstable: u.Sensitivity.Unstable,
				SpecFingerprint: res.Fingerprint, SpecVersion: version, Seed: seed,
				State: EncodeBandState(u.State), ComputedAt: computedAt,
				LevelMedianExpected: g.MedianExpected, LevelGate: g.Gate,
				PopVintageYear: uint16(reg.PopulationYear()), DataLagDays: math.NaN(), ThresholdsVersion: thVersion}
			if l := g.Latest[i]; !l.IsZero() {
				row.DataLagDays = win.End.Sub(l).Hours() / 24
			}
			for _, reason := range u.Reasons {
				row.BandReasons = append(row.BandReasons, string(reason))
			}
			if !g.Gate {
				row.BandReasons = append(row.BandReasons, LevelGateReason)
			}
			for _, iv := range u.Indicators {
				row.IndicatorRaw = append(row.IndicatorRaw, iv.Raw)
				row.IndicatorValues = append(row.IndicatorValues, iv.Value)
				row.IndicatorScores = append(row.IndicatorScores, iv.Normalised)
			}
			out = append(out, row)
		}
	}
	return out, nil
}

// encodeDrivers stores each driver as "code|attribution|value|reference
// value" (shortest float forms).
func encodeDrivers(ds []composite.Driver) []string {
	out := make([]string, 0, len(ds))
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	for _, d := range ds {
		out = append(out, d.Code+"|"+f(d.Attribution)+"|"+f(d.Value)+"|"+f(d.RefValue))
	}
	return out
}
