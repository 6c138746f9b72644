package demo

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/riskwatch/riskwatch/schemas"
)

// Outbreak is a burst of extra cases of one category in one region between
// two days, on top of the baseline: the ground truth an alarm should find.
type Outbreak struct {
	// Label names the outbreak in reports of the evaluation.
	Label string
	// Region is the code of a banner, town or village of the registry; the
	// extra cases lie in it (at its code or below).
	Region string
	// RegionName is the path of short names below the city (奈曼旗/八仙筒镇);
	// New fills it.
	RegionName string
	// Category is a taxonomy code; the extra cases are of exactly this
	// category.
	Category string
	// Start and End are the first and last day (calendar dates, read like
	// Options.From) on which extra cases are reported.
	Start, End time.Time
	// ExtraCases is the number of extra cases. Generator.Outbreaks reports
	// the number actually generated, which is smaller when Now cuts the
	// outbreak short.
	ExtraCases int
}

// obState is an outbreak being generated.
type obState struct {
	Outbreak
	cat              int
	level            schemas.Level
	startIdx, endIdx int // day indices in the period
	counts           []int
	picker           picker
}

// outbreakSpec is a default outbreak. Its size follows the noise of the
// series a weekly detector watches: with μ the expected baseline count per
// week of the category in the region (in the town, for a village
// outbreak), the outbreak adds k·√μ + 1 cases a week. k between 2.5 and 4
// puts the weekly counts around and above the thresholds of EARS- and
// Farrington-type detectors: 2–5 times the expected count where the
// series is moderate, a few cases a week where it is sparse.
type outbreakSpec struct {
	label, region, category, start, end string
	k                                   float64
}

// defaultSpecs are the default outbreaks, dated for the default period
// (2024-11-01 to 2026-10-31): five in the first year, for detectors with a
// short history (EARS), seven in the second, when a year of history allows
// Farrington-type baselines. They differ in level, category, season, length
// and size.
var defaultSpecs = []outbreakSpec{
	{"land-naiman-baxiantong-2025-04", "150525101000", "land", "2025-04-07", "2025-04-27", 3},
	{"grassland-jarud-2025-05", "150526000000", "grassland", "2025-05-12", "2025-06-08", 3},
	{"wage-kailu-2025-06", "150523000000", "labor.wage_arrears", "2025-06-16", "2025-07-06", 3.5},
	{"environment-kailu-2025-08", "150523000000", "environment", "2025-08-04", "2025-08-24", 3},
	{"finance-mass-devzone-2025-09", "150571000000", "finance.mass", "2025-09-08", "2025-09-28", 3},
	{"heating-horqin-mingren-2025-11", "150502004000", "property", "2025-11-10", "2025-11-30", 3.5},
	{"wage-horqin-2026-01", "150502000000", "labor.wage_arrears", "2026-01-05", "2026-01-25", 2.5},
	{"expropriation-hure-2026-03", "150524000000", "expropriation", "2026-03-23", "2026-04-19", 3},
	{"land-houqi-village-2026-04", "", "land", "2026-04-13", "2026-04-26", 3.5},
	{"labor-huolingol-2026-05", "150581000000", "labor", "2026-05-11", "2026-05-31", 2.5},
	{"noise-horqin-keerqin-2026-07", "150502001000", "neighbor.noise", "2026-07-06", "2026-07-26", 3},
	{"consumer-horqin-2026-09", "150502000000", "consumer", "2026-09-07", "2026-09-27", 2.5},
}

// defaultVillageTown is the town whose most populous village hosts the
// village-level default outbreak (吉尔嘎朗镇, 科左后旗); the village is
// chosen by the registry, so the spec stays valid when codes change.
const defaultVillageTown = "150522101000"

// defaultFrom is the first day of the default period.
var defaultFrom = civilDays(2024, time.November, 1)

// DefaultOutbreaks returns the default outbreaks of the stream o describes
// (its period, scale and seed), with their sizes, exactly as New would
// inject them when o.Outbreaks is nil.
func DefaultOutbreaks(o Options) ([]Outbreak, error) {
	o.Outbreaks, o.NoOutbreaks = nil, false
	g, err := New(o)
	if err != nil {
		return nil, err
	}
	out := make([]Outbreak, len(g.obs))
	for i := range g.obs {
		out[i] = g.obs[i].Outbreak
	}
	return out, nil
}

// defaultOutbreaks sizes the default specs for the generator's period and
// scale. On another period the dates are moved in proportion to the
// period's length (keeping the durations); outbreaks that do not fit, or
// whose region the registry lacks, are left out.
func (g *Generator) defaultOutbreaks() []Outbreak {
	var out []Outbreak
	for _, s := range defaultSpecs {
		region := s.region
		if region == "" {
			region = g.biggestChild(defaultVillageTown)
		}
		reg, ok := g.reg.Lookup(region)
		if !ok {
			continue
		}
		start, end := parseDay(s.start), parseDay(s.end)
		if g.fromDay != defaultFrom || g.days != 730 {
			length := end - start
			start = g.fromDay + int(math.Round(float64(start-defaultFrom)*float64(g.days)/730))
			end = start + length
		}
		if start < g.fromDay || end > g.fromDay+g.days-1 {
			continue
		}
		cat := catIndex(s.category)
		series, lv := region, reg.Level
		if lv > schemas.LevelTown {
			series, lv = reg.Parent, schemas.LevelTown
		}
		weeks := float64(end-start+1) / 7
		mu := g.expected(series, lv, cat, start-g.fromDay, end-g.fromDay) / weeks
		extra := int(math.Round(weeks * (s.k*math.Sqrt(mu) + 1)))
		out = append(out, Outbreak{Label: s.label, Region: region, Category: s.category,
			Start: dayTime(start), End: dayTime(end), ExtraCases: extra})
	}
	return out
}

// biggestChild returns the most populous unit directly below code (the
// first in code order on ties), or "".
func (g *Generator) biggestChild(code string) string {
	best, pop := "", int64(-1)
	for _, k := range g.reg.Children(code) {
		if k.Population > pop {
			best, pop = k.Code, k.Population
		}
	}
	return best
}

// expected returns the expected baseline count of category cat in the
// region between two day indices (inclusive).
func (g *Generator) expected(region string, lv schemas.Level, cat, from, to int) float64 {
	var w float64
	for li := range g.leaves {
		if g.within(li, region, lv) {
			w += g.leaves[li].weight * g.share[g.leaves[li].kind][cat]
		}
	}
	var e float64
	for d := from; d <= to; d++ {
		e += g.scale * w * g.season[d][cat] * g.dayF[d]
	}
	return e
}

// prepareOutbreaks checks the outbreaks, plans where their cases fall and
// on which days, and counts the ones Now leaves out.
func (g *Generator) prepareOutbreaks(obs []Outbreak) error {
	for i, o := range obs {
		name := o.Label
		if name == "" {
			name = "#" + strconv.Itoa(i+1)
		}
		reg, ok := g.reg.Lookup(o.Region)
		if !ok {
			return fmt.Errorf("outbreak %s: unknown region %q", name, o.Region)
		}
		cat := catIndex(o.Category)
		if cat < 0 {
			return fmt.Errorf("outbreak %s: category %q is not one the generator draws (%s)", name, o.Category, strings.Join(catCodes[:], ", "))
		}
		if o.ExtraCases < 0 {
			return fmt.Errorf("outbreak %s: negative extra cases", name)
		}
		if o.Start.IsZero() || o.End.IsZero() {
			return fmt.Errorf("outbreak %s: start and end are required", name)
		}
		sy, sm, sd := o.Start.Date()
		ey, em, ed := o.End.Date()
		start, end := civilDays(sy, sm, sd), civilDays(ey, em, ed)
		if start > end {
			return fmt.Errorf("outbreak %s: starts %s after it ends %s", name, dayString(start), dayString(end))
		}
		if start < g.fromDay || end > g.fromDay+g.days-1 {
			return fmt.Errorf("outbreak %s: %s to %s is not inside the period %s to %s", name,
				dayString(start), dayString(end), dayString(g.fromDay), dayString(g.fromDay+g.days-1))
		}
		st := obState{Outbreak: o, cat: cat, level: reg.Level, startIdx: start - g.fromDay, endIdx: end - g.fromDay}
		st.Start, st.End = dayTime(start), dayTime(end)
		st.RegionName = regionPath(g.reg, o.Region)
		if err := g.planOutbreak(&st, uint64(i)); err != nil {
			return fmt.Errorf("cannot plan outbreak %s: %w", name, err)
		}
		g.obs = append(g.obs, st)
	}
	return nil
}

// planOutbreak decides where and when the outbreak's cases fall. Places:
// an outbreak starts somewhere, so one or two focus units below the region
// (towns of a banner, villages of a town) get 70 % of the cases, the rest
// spreads over the region by population. Days: a rise over the first
// quarter, a plateau, a decline over the last quarter, times the weekday
// and holiday factors; exactly ExtraCases cases are placed.
func (g *Generator) planOutbreak(o *obState, idx uint64) error {
	r := newStream(mix(g.seed, tagPlan, idx, 0)).r
	var in []int32
	for li := range g.leaves {
		if g.within(li, o.Region, o.level) {
			in = append(in, int32(li))
		}
	}
	if len(in) == 0 {
		return fmt.Errorf("region %s has no residents to draw cases for", o.Region)
	}
	// Focus: group the leaves by the unit one level below the region.
	focusOf := func(li int32) string {
		if a, ok := g.reg.AncestorAt(g.leaves[li].code, o.level+1); ok {
			return a.Code
		}
		return g.leaves[li].code
	}
	var units []string
	unitW := map[string]float64{}
	total := 0.0
	for _, li := range in {
		u := focusOf(li)
		if _, ok := unitW[u]; !ok {
			units = append(units, u)
		}
		unitW[u] += g.leaves[li].weight
		total += g.leaves[li].weight
	}
	focus := map[string]bool{}
	for k := 0; k < min(2, len(units)-1); k++ {
		var cum []float64
		s := 0.0
		for _, u := range units {
			if !focus[u] {
				s += unitW[u]
			}
			cum = append(cum, s)
		}
		focus[units[pick(r, cum)]] = true
	}
	focusW := 0.0
	for u := range focus {
		focusW += unitW[u]
	}
	for _, li := range in {
		w := 0.3 * g.leaves[li].weight / total
		if f := focusOf(li); focus[f] {
			w += 0.7 * g.leaves[li].weight / focusW
		}
		if len(focus) == 0 {
			w = g.leaves[li].weight / total
		}
		o.picker.add(li, w)
	}

	n := o.endIdx - o.startIdx + 1
	cum := make([]float64, n)
	s := 0.0
	for d := 0; d < n; d++ {
		pos := (float64(d) + 0.5) / float64(n)
		shape := 1.0
		switch {
		case pos < 0.25:
			shape = 0.3 + 0.7*pos/0.25
		case pos > 0.75:
			shape = 0.3 + 0.7*(1-pos)/0.25
		}
		s += shape * g.dayF[o.startIdx+d]
		cum[d] = s
	}
	o.counts = make([]int, n)
	for k := 0; k < o.ExtraCases; k++ {
		o.counts[pick(r, cum)]++
	}

	// Count what Now leaves: no day after Now's day, and on Now's day only
	// the cases reported by Now (their first draws decide the time).
	generated := 0
	for d := 0; d < n; d++ {
		di := o.startIdx + d
		switch {
		case di < g.lastIdx:
			generated += o.counts[d]
		case di == g.lastIdx:
			start := dayStartUnix(g.fromDay + di)
			for j := 0; j < o.counts[d]; j++ {
				seed := mix(g.seed, tagOutbreak, idx, uint64(di)<<24|uint64(j))
				if _, _, t0 := g.head(seed, start, &o.picker); t0 <= g.now {
					generated++
				}
			}
		}
	}
	o.ExtraCases = generated
	if last := g.lastIdx; o.endIdx > last {
		o.End = dayTime(g.fromDay + max(last, o.startIdx))
	}
	return nil
}

// Outbreaks returns the ground truth: the outbreaks of the stream with the
// number of extra cases actually generated (Now may cut an outbreak short;
// its End then is Now's day, and an outbreak that starts after Now is
// left out).
func (g *Generator) Outbreaks() []Outbreak {
	out := make([]Outbreak, 0, len(g.obs))
	for _, o := range g.obs {
		if o.ExtraCases == 0 && o.startIdx >= g.lastIdx {
			continue
		}
		out = append(out, o.Outbreak)
	}
	return out
}

// groundTruthHeader is the header of the ground-truth CSV.
var groundTruthHeader = []string{"label", "region_code", "region_name", "category", "start", "end", "extra_cases"}

// WriteGroundTruth writes outbreaks as CSV with the header
// label,region_code,region_name,category,start,end,extra_cases; dates are
// YYYY-MM-DD (Asia/Shanghai days, both inclusive).
func WriteGroundTruth(w io.Writer, obs []Outbreak) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(groundTruthHeader); err != nil {
		return fmt.Errorf("cannot write the ground truth: %w", err)
	}
	for _, o := range obs {
		row := []string{o.Label, o.Region, o.RegionName, o.Category,
			o.Start.Format(time.DateOnly), o.End.Format(time.DateOnly), strconv.Itoa(o.ExtraCases)}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("cannot write the ground truth: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("cannot write the ground truth: %w", err)
	}
	return nil
}

// ReadGroundTruth reads what WriteGroundTruth wrote; dates come back as
// 00:00 Asia/Shanghai.
func ReadGroundTruth(r io.Reader) ([]Outbreak, error) {
	cr := csv.NewReader(r)
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("ground truth: cannot read the header: %w", err)
	}
	if strings.Join(head, ",") != strings.Join(groundTruthHeader, ",") {
		return nil, fmt.Errorf("ground truth line 1: header %q, want %q", strings.Join(head, ","), strings.Join(groundTruthHeader, ","))
	}
	var out []Outbreak
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("ground truth: %w", err)
		}
		o := Outbreak{Label: rec[0], Region: rec[1], RegionName: rec[2], Category: rec[3]}
		if o.Start, err = time.ParseInLocation(time.DateOnly, rec[4], cst); err != nil {
			return nil, fmt.Errorf("ground truth line %d: column start: %w", line, err)
		}
		if o.End, err = time.ParseInLocation(time.DateOnly, rec[5], cst); err != nil {
			return nil, fmt.Errorf("ground truth line %d: column end: %w", line, err)
		}
		if o.ExtraCases, err = strconv.Atoi(rec[6]); err != nil {
			return nil, fmt.Errorf("ground truth line %d: column extra_cases: %w", line, err)
		}
		out = append(out, o)
	}
}
