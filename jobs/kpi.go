package jobs

import (
	"context"
	"math"
	"time"

	"github.com/riskwatch/riskwatch/jobs/scheduler"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

// KPIStore is what the KPI job reads and writes.
type KPIStore interface {
	KPICells(ctx context.Context, w store.KPIWindows) ([]store.KPICell, error)
	WriteRegionKPIs(ctx context.Context, rows []store.RegionKPI) error
}

// KPIWindowsFor returns the windows of the window ending at `at`: itself,
// the previous window (环比) and the same window a year earlier (同比: 52
// weeks earlier for ISO weeks, the same dates a year earlier otherwise).
func KPIWindowsFor(w schemas.Window, at time.Time) store.KPIWindows {
	end := w.Align(at)
	start := w.Prev(end)
	k := store.KPIWindows{Start: start, End: end, PrevStart: w.Prev(start), PrevEnd: start}
	if w == schemas.Week {
		k.YoYStart, k.YoYEnd = start.AddDate(0, 0, -364), end.AddDate(0, 0, -364)
	} else {
		k.YoYStart, k.YoYEnd = start.AddDate(-1, 0, 0), end.AddDate(-1, 0, 0)
	}
	return k
}

// KPIJob returns the job that computes the KPIs of every region of reg for
// windows of kind w. computedAt stamps the rows (the caller's clock: it is
// the version that lets a recomputed window replace the earlier rows, not an
// input of any figure).
func KPIJob(st KPIStore, reg *schemas.Registry, w schemas.Window, computedAt func() time.Time) func(ctx context.Context, at time.Time) (uint64, error) {
	return func(ctx context.Context, at time.Time) (uint64, error) {
		win := KPIWindowsFor(w, at)
		cells, err := st.KPICells(ctx, win)
		if err != nil {
			return 0, err
		}
		rows := AggregateKPIs(reg, cells, w.String(), win, computedAt())
		if err := st.WriteRegionKPIs(ctx, rows); err != nil {
			return 0, err
		}
		return uint64(len(rows)), nil
	}
}

// AggregateKPIs sums the cells up the hierarchy and returns one row per
// region (every unit of the registry, in parents-first order) with its rates
// and changes. Rates are NaN where their base is 0.
func AggregateKPIs(reg *schemas.Registry, cells []store.KPICell, window string, win store.KPIWindows, computedAt time.Time) []store.RegionKPI {
	sums := map[string]*store.RegionKPI{}
	get := func(code string) *store.RegionKPI {
		r := sums[code]
		if r == nil {
			r = &store.RegionKPI{}
			sums[code] = r
		}
		return r
	}
	for _, c := range cells {
		for _, r := range cellChain(reg, c.County, c.Town, c.Village) {
			s := get(r.Code)
			s.Accepted += c.Accepted
			s.Resolved += c.Resolved
			s.Concluded += c.Concluded
			s.Evaluated += c.Evaluated
			s.Satisfied += c.Satisfied
			s.Overdue += c.Overdue
			s.Handled += c.Handled
			s.HandlingDaysSum += c.HandlingDaysSum
			s.PrevAccepted += c.PrevAccepted
			s.YoYAccepted += c.YoYAccepted
		}
	}
	all := reg.All()
	out := make([]store.RegionKPI, 0, len(all))
	for _, r := range all {
		k := store.RegionKPI{}
		if s := sums[r.Code]; s != nil {
			k = *s
		}
		k.Window, k.WindowStart, k.WindowEnd, k.ComputedAt = window, win.Start, win.End, computedAt
		k.Level, k.RegionCode, k.ParentCode = uint8(r.Level), r.Code, r.Parent
		k.ResolveRate = ratio(k.Resolved, k.Accepted)
		k.ConcludeRate = ratio(k.Concluded, k.Accepted)
		k.SatisfactionRate = ratio(k.Satisfied, k.Evaluated)
		k.MeanHandlingDays = math.NaN()
		if k.Handled > 0 {
			k.MeanHandlingDays = k.HandlingDaysSum / float64(k.Handled)
		}
		k.MoMChange = change(k.Accepted, k.PrevAccepted)
		k.YoYChange = change(k.Accepted, k.YoYAccepted)
		out = append(out, k)
	}
	return out
}

// cellChain returns the regions a cell of counts adds up to: the most
// precise code the cases carry and its ancestors, root first; a code the
// registry does not know (or none) counts for the root only.
func cellChain(reg *schemas.Registry, county, town, village string) []schemas.Region {
	leaf := village
	if leaf == "" {
		leaf = town
	}
	if leaf == "" {
		leaf = county
	}
	if chain := reg.Ancestors(leaf); len(chain) > 0 {
		return chain
	}
	return []schemas.Region{reg.Root()}
}

func ratio(n, d uint64) float64 {
	if d == 0 {
		return math.NaN()
	}
	return float64(n) / float64(d)
}

// change is the relative change from base to now (0.182 = +18.2 %).
func change(now, base uint64) float64 {
	if base == 0 {
		return math.NaN()
	}
	return float64(now)/float64(base) - 1
}

// KPIJobs returns the day, week and month KPI jobs with their schedules
// (Asia/Shanghai): shortly after each window closes.
func KPIJobs(st KPIStore, reg *schemas.Registry, computedAt func() time.Time) []scheduler.Job {
	return []scheduler.Job{
		{Name: "kpi_day", Window: schemas.Day, Spec: "10 0 * * *", Run: KPIJob(st, reg, schemas.Day, computedAt)},
		{Name: "kpi_week", Window: schemas.Week, Spec: "20 0 * * 1", Run: KPIJob(st, reg, schemas.Week, computedAt)},
		{Name: "kpi_month", Window: schemas.Month, Spec: "30 0 1 * *", Run: KPIJob(st, reg, schemas.Month, computedAt)},
	}
}
