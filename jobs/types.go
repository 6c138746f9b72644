package jobs

import (
	"context"
	"math"
	"sort"
	"time"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/riskwatch/riskwatch/jobs/scheduler"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

// TypeStore is what the high-frequency-type job reads and writes.
type TypeStore interface {
	TypeCells(ctx context.Context, w store.TypeWindows) ([]store.TypeCell, error)
	WriteTypeRanks(ctx context.Context, rows []store.TypeRank) error
}

// The rules of the growth test. A category's count in a window is compared
// with its baseline, the mean count of the four previous windows, by a
// one-sided Poisson test: p = P(X >= cases) for X ~ Poisson(λ) with
// λ = max(baseline, TypeMinLambda), the floor keeping a category that had
// no cases before from turning significant on a single case. The increase
// is significant when p < TypeAlpha and cases >= TypeMinCases. A category
// is surging when its increase is significant and its growth (cases /
// baseline - 1) is at least TypeSurgeGrowth; with a baseline of 0 the
// growth is infinite (stored as NULL) and counts as surging.
const (
	TypeMinLambda   = 0.5
	TypeAlpha       = 0.05
	TypeMinCases    = 3
	TypeSurgeGrowth = 0.5
)

// TypeSignal is the outcome of the growth test of one category.
type TypeSignal struct {
	Baseline float64 // mean of the previous 4 windows
	Growth   float64 // cases / baseline - 1; NaN when the baseline is 0
	// Z is the standardised excess (cases - λ) / sqrt(λ) and P the one-sided
	// Poisson tail P(X >= cases | λ), with λ = max(baseline, TypeMinLambda).
	Z, P                 float64
	Significant, Surging bool
}

// TypeSignalOf tests the count of a window against the counts of the four
// previous windows with the rules documented at TypeMinLambda.
func TypeSignalOf(cases uint64, prev [4]uint64) TypeSignal {
	var sum uint64
	for _, v := range prev {
		sum += v
	}
	s := TypeSignal{Baseline: float64(sum) / float64(len(prev)), Growth: math.NaN()}
	if s.Baseline > 0 {
		s.Growth = float64(cases)/s.Baseline - 1
	}
	lambda := math.Max(s.Baseline, TypeMinLambda)
	s.Z = (float64(cases) - lambda) / math.Sqrt(lambda)
	s.P = PoissonUpperTail(cases, lambda)
	s.Significant = s.P < TypeAlpha && cases >= TypeMinCases
	s.Surging = s.Significant && (s.Baseline == 0 || s.Growth >= TypeSurgeGrowth)
	return s
}

// PoissonUpperTail returns P(X >= k) for X ~ Poisson(lambda), from gonum's
// survival function: P(X >= k) = P(X > k-1). It is 1 for k = 0.
func PoissonUpperTail(k uint64, lambda float64) float64 {
	if k == 0 {
		return 1
	}
	p := distuv.Poisson{Lambda: lambda}.Survival(float64(k - 1))
	return math.Min(1, math.Max(0, p))
}

// TypeWindowsFor returns the windows of the window ending at `at`: itself,
// the four windows before it (newest first) and the same window a year
// earlier (52 weeks earlier for ISO weeks, the same dates a year earlier
// otherwise, as for the KPIs).
func TypeWindowsFor(w schemas.Window, at time.Time) store.TypeWindows {
	k := KPIWindowsFor(w, at)
	t := store.TypeWindows{Start: k.Start, End: k.End, YoYStart: k.YoYStart, YoYEnd: k.YoYEnd}
	end := k.Start
	for i := range t.PrevStart {
		start := w.Prev(end)
		t.PrevStart[i], t.PrevEnd[i] = start, end
		end = start
	}
	return t
}

// typeCounts are the summed counts of one category in one region.
type typeCounts struct {
	cases uint64
	prev  [4]uint64
	yoy   uint64
}

// AggregateTypes sums the cells up the hierarchy and returns, for every
// region of the city, county and town levels (parents first), one row per
// category that had cases in the window or in one of the four previous
// windows, ranked by cases (ties by code). Villages get no rows: their
// counts per category are too small for a ranking or a growth test to mean
// anything. The year-ago count is present only when the region had at least
// one case (of any category) in the year-ago window; otherwise the data are
// taken not to reach back that far. A category code missing from the
// taxonomy keeps its code as its name.
func AggregateTypes(reg *schemas.Registry, cells []store.TypeCell, window string, win store.TypeWindows, computedAt time.Time) []store.TypeRank {
	sums := map[string]map[string]*typeCounts{} // region → category → counts
	yoyTotal := map[string]uint64{}
	for _, c := range cells {
		for _, r := range cellChain(reg, c.County, c.Town, c.Village) {
			if r.Level > schemas.LevelTown {
				continue
			}
			m := sums[r.Code]
			if m == nil {
				m = map[string]*typeCounts{}
				sums[r.Code] = m
			}
			t := m[c.Category]
			if t == nil {
				t = &typeCounts{}
				m[c.Category] = t
			}
			t.cases += c.Cases
			for i, v := range c.Prev {
				t.prev[i] += v
			}
			t.yoy += c.YoY
			yoyTotal[r.Code] += c.YoY
		}
	}
	names := schemas.CategoryByCode()
	var out []store.TypeRank
	for _, r := range reg.All() {
		m := sums[r.Code]
		if len(m) == 0 {
			continue
		}
		var total uint64
		cats := make([]string, 0, len(m))
		for code, t := range m {
			total += t.cases
			if t.cases > 0 || t.prev != [4]uint64{} {
				cats = append(cats, code)
			}
		}
		sort.Slice(cats, func(i, j int) bool {
			a, b := m[cats[i]], m[cats[j]]
			if a.cases != b.cases {
				return a.cases > b.cases
			}
			return cats[i] < cats[j]
		})
		for i, code := range cats {
			t := m[code]
			sig := TypeSignalOf(t.cases, t.prev)
			name := code
			if c, ok := names[code]; ok {
				name = c.NameZH
			}
			row := store.TypeRank{Window: window, WindowEnd: win.End, Level: uint8(r.Level), RegionCode: r.Code,
				Category: code, CategoryNameZH: name, Rank: uint16(min(i+1, math.MaxUint16)), Cases: t.cases,
				Baseline: sig.Baseline, Growth: sig.Growth, Z: sig.Z, P: sig.P,
				Significant: sig.Significant, Surging: sig.Surging, ComputedAt: computedAt}
			if total > 0 {
				row.Share = float64(t.cases) / float64(total)
			}
			if yoyTotal[r.Code] > 0 {
				row.YoYCases, row.HasYoY = t.yoy, true
			}
			out = append(out, row)
		}
	}
	return out
}

// TypeJob returns the job that ranks the case types of every city, county
// and town region of reg for windows of kind w. computedAt stamps the rows
// (the caller's clock: it is the version that lets a recomputed window
// replace the earlier rows, not an input of any figure).
func TypeJob(st TypeStore, reg *schemas.Registry, w schemas.Window, computedAt func() time.Time) func(ctx context.Context, at time.Time) (uint64, error) {
	return func(ctx context.Context, at time.Time) (uint64, error) {
		win := TypeWindowsFor(w, at)
		cells, err := st.TypeCells(ctx, win)
		if err != nil {
			return 0, err
		}
		rows := AggregateTypes(reg, cells, w.String(), win, computedAt())
		if err := st.WriteTypeRanks(ctx, rows); err != nil {
			return 0, err
		}
		return uint64(len(rows)), nil
	}
}

// TypeJobs returns the day, week and month high-frequency-type jobs with
// their schedules (Asia/Shanghai): shortly after the KPI jobs of the same
// window.
func TypeJobs(st TypeStore, reg *schemas.Registry, computedAt func() time.Time) []scheduler.Job {
	return []scheduler.Job{
		{Name: "types_day", Window: schemas.Day, Spec: "20 0 * * *", Run: TypeJob(st, reg, schemas.Day, computedAt)},
		{Name: "types_week", Window: schemas.Week, Spec: "30 0 * * 1", Run: TypeJob(st, reg, schemas.Week, computedAt)},
		{Name: "types_month", Window: schemas.Month, Spec: "40 0 1 * *", Run: TypeJob(st, reg, schemas.Month, computedAt)},
	}
}
