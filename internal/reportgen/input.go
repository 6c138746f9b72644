package reportgen

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/riskwatch/riskwatch/reports"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

// Store is what reports read; *store.Store implements it.
type Store interface {
	ReportKPIs(ctx context.Context, window string, end time.Time, codes []string) ([]store.RegionKPI, error)
	ReportDaily(ctx context.Context, from, to time.Time, loc *time.Location, sc store.ReportScope) ([]store.ReportDayCount, error)
	ReportLatestWindowEnd(ctx context.Context, table, window string, at time.Time) (time.Time, bool, error)
	ReportLatestActiveWindowEnd(ctx context.Context, window, region string, at time.Time) (time.Time, bool, error)
	ReportHotspots(ctx context.Context, window string, end time.Time, parent string) ([]store.Hotspot, error)
	ReportTypeRanks(ctx context.Context, window string, end time.Time, region string, limit int) ([]store.TypeRank, error)
	ReportStatAlarms(ctx context.Context, window string, from, to time.Time, codes []string, limit int) ([]store.StatAlarm, uint64, error)
	ReportRuleAlarms(ctx context.Context, from, to time.Time, sc store.ReportScope, limit int) ([]store.ReportRuleAlarm, uint64, error)
	ReportSupervisionUnits(ctx context.Context, at time.Time, county, town string) ([]store.SupervisionUnit, time.Time, error)
	RiskIndexRows(ctx context.Context, window string, windowEnd time.Time) ([]store.RiskIndexRow, error)
	JobRunStatus(ctx context.Context, job string, end time.Time) (string, bool, error)
}

// jobRead is a job whose stored rows a report reads, with the job's window.
type jobRead struct {
	Job    string
	Window schemas.Window
}

// reads lists the jobs whose rows the report of a window reads (see Input):
// the KPIs, types and hot spots of the window, the risk index of its week
// (a daily report) or of the window, the statistical alarms of its last
// day or week, the supervision snapshot of its end, and for a weekly
// report the forecasts made at its end (a monthly report shows the latest
// weekly forecasts without waiting: forecast_week catches up only the
// latest week), and the emerging issues and links of its last day. The monthly
// ranking bulletin reads the monthly risk index only.
func reads(w schemas.Window, kind string) []jobRead {
	if kind == KindBulletin {
		return []jobRead{{"risk_month", schemas.Month}}
	}
	risk := jobRead{"risk_week", schemas.Week}
	alarms := jobRead{"alarms_day", schemas.Day}
	switch w {
	case schemas.Week:
		alarms = jobRead{"alarms_week", schemas.Week}
	case schemas.Month:
		risk = jobRead{"risk_month", schemas.Month}
	}
	n := w.String()
	out := []jobRead{{"kpi_" + n, w}, {"supervision_day", schemas.Day}, {"types_" + n, w}, {"hotspots_" + n, w}, risk, alarms}
	if w == schemas.Week {
		out = append(out, jobRead{"forecast_week", schemas.Week})
	}
	// The section 新出现问题 reads the emerging issues up to the last day,
	// the section 关联案件 the links of the last day.
	out = append(out, jobRead{"emerging_day", schemas.Day}, jobRead{"links_day", schemas.Day})
	return out
}

// Reads returns the names of the jobs whose runs the report of a window
// reads: its jobs wait for them (scheduler.Job.After).
func Reads(w schemas.Window) []string { return KindReads(w, "") }

// KindReads is Reads for a report kind ("" or KindBulletin).
func KindReads(w schemas.Window, kind string) []string {
	var out []string
	for _, r := range reads(w, kind) {
		out = append(out, r.Job)
	}
	return out
}

// Missing returns the runs the report of the window ending at end reads
// that are not ok in job_runs, as "job@window end"; empty when the report
// can be rendered.
func (g *Generator) Missing(ctx context.Context, w schemas.Window, end time.Time) ([]string, error) {
	return g.missing(ctx, w, "", end)
}

func (g *Generator) missing(ctx context.Context, w schemas.Window, kind string, end time.Time) ([]string, error) {
	var out []string
	for _, r := range reads(w, kind) {
		e := r.Window.Align(end)
		status, ok, err := g.st.JobRunStatus(ctx, r.Job, e)
		if err != nil {
			return nil, err
		}
		if !ok || status != "ok" {
			out = append(out, r.Job+"@"+e.Format(time.DateOnly))
		}
	}
	return out, nil
}

// Report kinds besides the regular report of a window ("").
const (
	// KindBulletin is the monthly ranking bulletin (平安指数月度通报) of
	// the city or a county: monthly windows only.
	KindBulletin = "bulletin"
)

// Spec names one report: a region, a window, and the end of the window
// (a local midnight aligned to the window), and its kind ("" for the
// regular report, KindBulletin).
type Spec struct {
	Region string
	Window schemas.Window
	End    time.Time
	Kind   string
}

// SpecAt returns the spec of the latest complete window at or before at.
func SpecAt(region string, w schemas.Window, at time.Time) Spec {
	return Spec{Region: region, Window: w, End: w.Align(at)}
}

// Limits of what one report reads; the rest is counted, not loaded.
const (
	maxRuleAlarms = 200
	maxStatAlarms = 500
	maxTypes      = 10
)

// trendStart is where the trend chart begins: 14 days for a daily report,
// 28 for a weekly, 13 weeks for a monthly one.
func trendStart(w schemas.Window, start, end time.Time) time.Time {
	switch w {
	case schemas.Day:
		return end.AddDate(0, 0, -14)
	case schemas.Week:
		return end.AddDate(0, 0, -28)
	}
	return end.AddDate(0, 0, -91)
}

// Input reads everything the report of spec needs from the store.
func (g *Generator) Input(ctx context.Context, spec Spec) (reports.Input, error) {
	reg := g.reg
	region, ok := reg.Lookup(spec.Region)
	if !ok {
		return reports.Input{}, fmt.Errorf("region %q is not in the registry", spec.Region)
	}
	if !spec.Window.Valid() {
		return reports.Input{}, fmt.Errorf("invalid window %v", spec.Window)
	}
	end := spec.Window.Align(spec.End)
	if !end.Equal(spec.End) {
		return reports.Input{}, fmt.Errorf("window end %v is not aligned to a %s", spec.End, spec.Window)
	}
	start := spec.Window.Prev(end)
	win := spec.Window.String()
	in := reports.Input{
		Region: reports.RegionOf(region), Regions: g.regions, Categories: g.categories,
		Window: win, Start: start, End: end, TrendStart: trendStart(spec.Window, start, end),
		GeneratedAt: g.now(), Issuer: g.issuer(region),
	}
	children := reg.Children(region.Code)
	codes := []string{region.Code}
	for _, c := range children {
		in.Children = append(in.Children, reports.RegionOf(c))
		codes = append(codes, c.Code)
	}
	if g.geo != nil && region.Level <= schemas.LevelCounty {
		in.GeoJSON = g.geo
	}
	var scope store.ReportScope
	county, town := "", ""
	switch region.Level {
	case schemas.LevelCounty:
		scope.County, county = region.Code, region.Code
	case schemas.LevelTown:
		scope.Town, town = region.Code, region.Code
		if c, ok := reg.AncestorAt(region.Code, schemas.LevelCounty); ok {
			county = c.Code
		}
	}

	kpis, err := g.st.ReportKPIs(ctx, win, end, codes)
	if err != nil {
		return in, err
	}
	for _, k := range kpis {
		rk := reports.KPI{Region: k.RegionCode, Accepted: k.Accepted, Resolved: k.Resolved, Concluded: k.Concluded, Evaluated: k.Evaluated,
			Satisfied: k.Satisfied, Overdue: k.Overdue, Handled: k.Handled, ResolveRate: k.ResolveRate, ConcludeRate: k.ConcludeRate,
			SatisfactionRate: k.SatisfactionRate, MeanHandlingDays: k.MeanHandlingDays, PrevAccepted: k.PrevAccepted,
			YoYAccepted: k.YoYAccepted, MoMChange: k.MoMChange, YoYChange: k.YoYChange}
		if k.RegionCode == region.Code {
			in.KPI = &rk
		} else {
			in.ChildKPIs = append(in.ChildKPIs, rk)
		}
	}

	daily, err := g.st.ReportDaily(ctx, in.TrendStart, end, schemas.Zone(), scope)
	if err != nil {
		return in, err
	}
	in.Daily = make([]reports.DayCount, len(daily))
	for i, d := range daily {
		in.Daily[i] = reports.DayCount{Day: d.Day, Category: d.Category, Cases: d.Cases}
	}

	// The risk index has weekly and monthly windows: a daily report shows
	// the latest week's.
	riskWin := "week"
	if spec.Window == schemas.Month {
		riskWin = "month"
	}
	in.RiskWindow = riskWin
	if re, ok, err := g.st.ReportLatestWindowEnd(ctx, "risk_index", riskWin, end); err != nil {
		return in, err
	} else if ok {
		// The window read, printed in the report: the latest computed,
		// which need not be the report's own.
		rw := schemas.Week
		if riskWin == "month" {
			rw = schemas.Month
		}
		in.RiskStart, in.RiskEnd = rw.Prev(re), re
		rows, err := g.st.RiskIndexRows(ctx, riskWin, re)
		if err != nil {
			return in, err
		}
		want := map[string]bool{region.Code: true}
		for _, c := range children {
			want[c.Code] = true
		}
		for _, r := range rows {
			// The banners are always kept: the map shows them all.
			if !want[r.RegionCode] && !(in.GeoJSON != nil && r.Level == uint8(schemas.LevelCounty)) {
				continue
			}
			in.Risk = append(in.Risk, reports.Risk{Region: r.RegionCode, Index: r.Index, Score: r.Score, Band: r.Band,
				BandReasons: r.BandReasons, Reliability: r.Reliability, NCases: r.NCases, Rank: r.Rank,
				DimensionNames: r.DimensionNames, DimensionScores: r.DimensionScores,
				DriversPrev: decodeDrivers(r.DriversPrev), DriversSiblings: decodeDrivers(r.DriversSiblings),
				ThresholdsVersion: r.ThresholdsVersion})
		}
		if err := g.riskThresholds(ctx, &in); err != nil {
			return in, err
		}
	}

	hs, err := g.st.ReportHotspots(ctx, win, end, region.Code)
	if err != nil {
		return in, err
	}
	for _, h := range hs {
		in.Hotspots = append(in.Hotspots, reports.Hotspot{Region: h.RegionCode, Cases: h.Cases, RatePer10k: h.RatePer10k,
			EBRatePer10k: h.EBRatePer10k, GiZ: h.GiZ, GiQ: h.GiQ, Hot: h.Hot, EHSACategory: h.EHSACategory, FunnelFlag: h.FunnelFlag})
	}

	trs, err := g.st.ReportTypeRanks(ctx, win, end, region.Code, maxTypes)
	if err != nil {
		return in, err
	}
	for _, t := range trs {
		r := reports.TypeRank{Category: t.Category, NameZH: t.CategoryNameZH, Rank: int(t.Rank), Cases: t.Cases, Share: t.Share,
			Growth: t.Growth, Significant: t.Significant, Surging: t.Surging}
		if t.HasYoY {
			v := t.YoYCases
			r.YoYCases = &v
		}
		in.Types = append(in.Types, r)
	}

	// The detection windows whose ends fall in (start, end]: the weeks of
	// a weekly report, the days of a daily and of a monthly one (weeks
	// would straddle the month's ends).
	alarmWin := "day"
	if spec.Window == schemas.Week {
		alarmWin = "week"
	}
	in.StatAlarmWindow = alarmWin
	sas, statTotal, err := g.st.ReportStatAlarms(ctx, alarmWin, start, end, g.descendants(region.Code), maxStatAlarms)
	if err != nil {
		return in, err
	}
	in.StatAlarmsTotal = int(statTotal)
	for _, a := range sas {
		in.StatAlarms = append(in.StatAlarms, reports.StatAlarm{WindowEnd: a.WindowEnd, Level: int(a.Level), Region: a.RegionCode,
			Category: a.Category, Detector: a.Detector, Observed: a.Observed, Expected: a.Expected, UpperBound: a.UpperBound})
	}

	ras, total, err := g.st.ReportRuleAlarms(ctx, start, end, scope, maxRuleAlarms)
	if err != nil {
		return in, err
	}
	in.RuleAlarmsTotal = int(total)
	for _, a := range ras {
		in.RuleAlarms = append(in.RuleAlarms, reports.RuleAlarm{Rule: a.Rule, Level: a.Level, CaseID: a.CaseID, Region: a.RegionCode,
			County: a.CountyCode, Category: a.Category, Detail: a.Detail, Summary: a.Summary, ReportedAt: a.ReportedAt})
	}

	// A town's units are counted from its own cases of the snapshot.
	units, at, err := g.st.ReportSupervisionUnits(ctx, end, county, town)
	if err != nil {
		return in, err
	}
	in.SupervisionAt = at
	for _, u := range units {
		in.Units = append(in.Units, reports.Unit{Unit: u.AssignedUnit, County: u.CountyCode, Open: u.Open, Green: u.Green,
			Yellow: u.Yellow, Red: u.Red, Rehandle: u.Rehandle})
	}
	if err := g.forecasts(ctx, &in, spec, region); err != nil { // forecast.go
		return in, err
	}
	if err := g.emerging(ctx, &in, start, end, region); err != nil { // emerging.go
		return in, err
	}
	if err := g.links(ctx, &in, end, region); err != nil { // links.go
		return in, err
	}
	return in, nil
}

// descendants returns the code and every descendant code down to towns
// (the levels the alarm jobs write).
func (g *Generator) descendants(code string) []string {
	out := []string{code}
	for i := 0; i < len(out); i++ {
		for _, c := range g.reg.Children(out[i]) {
			if c.Level <= schemas.LevelTown {
				out = append(out, c.Code)
			}
		}
	}
	return out
}

// riskThresholdSource is what a store offers that keeps versioned band
// thresholds.
type riskThresholdSource interface {
	RiskThresholdsByVersion(ctx context.Context, versions []string) ([]store.RiskThresholds, error)
}

// riskThresholds loads the calibrations the risk rows name, when the store
// keeps them.
func (g *Generator) riskThresholds(ctx context.Context, in *reports.Input) error {
	src, ok := g.st.(riskThresholdSource)
	if !ok {
		return nil
	}
	var versions []string
	for _, r := range in.Risk {
		if r.ThresholdsVersion != "" && !slices.Contains(versions, r.ThresholdsVersion) {
			versions = append(versions, r.ThresholdsVersion)
		}
	}
	ts, err := src.RiskThresholdsByVersion(ctx, versions)
	if err != nil {
		return err
	}
	for _, t := range ts {
		in.RiskThresholds = append(in.RiskThresholds, reports.RiskThresholds{Version: t.Version, Method: t.Method,
			BaselineFrom: t.BaselineFrom, BaselineTo: t.BaselineTo, BaselineShares: t.BaselineShares})
	}
	return nil
}
