package reports

import (
	"errors"
	"fmt"
	"time"
)

// Windows a report covers.
const (
	Day   = "day"
	Week  = "week"
	Month = "month"
)

// Region is an administrative unit as the registry names it.
type Region struct {
	Code      string
	Name      string // official name (科尔沁左翼中旗)
	ShortName string // the name leaders use (科左中旗); Name when empty
	Level     int    // 2 city, 3 banner/county, 4 town
	Parent    string
}

// Label is the name printed in tables and charts: the official name.
func (r Region) Label() string { return r.Name }

// Category is one taxonomy entry as the reports print it.
type Category struct {
	Code, NameZH string
	Group        string // the group code ("" when the entry is a group)
}

// KPI is one region_kpis row. Rates and changes are NaN when undefined.
type KPI struct {
	Region                                      string
	Accepted, Resolved, Concluded, Evaluated    uint64
	Satisfied, Overdue, Handled                 uint64
	ResolveRate, ConcludeRate, SatisfactionRate float64
	MeanHandlingDays                            float64
	PrevAccepted, YoYAccepted                   uint64
	MoMChange, YoYChange                        float64
}

// DayCount is the number of cases of one category reported on one local
// day in the report's region (cases FINAL by reported_date: each case
// once, as its newest version says).
type DayCount struct {
	Day      time.Time // local midnight, Asia/Shanghai
	Category string
	Cases    uint64
}

// Driver is one risk driver as the risk index job stores it: the
// indicator code (A1…C3), its attribution to ln(R/R_ref), the unit's value
// and the reference value.
type Driver struct {
	Code        string
	Attribution float64
	Value, Ref  float64
}

// Risk is one risk_index row. Index and Score are NaN when unavailable.
type Risk struct {
	Region          string
	Index, Score    float64 // 0–10; Score is Index rounded to one decimal
	Band            string  // normal, blue, yellow, orange, red, na
	BandReasons     []string
	Reliability     string
	NCases          uint64
	Rank            uint32
	DimensionNames  []string
	DimensionScores []float64
	DriversPrev     []Driver // against the previous window
	DriversSiblings []Driver // against the siblings' pooled values
	// ThresholdsVersion names the band thresholds the row used.
	ThresholdsVersion string
}

// RiskThresholds is one calibration of the band thresholds (a
// risk_thresholds row) that rows of the report used.
type RiskThresholds struct {
	Version, Method string
	// BaselineFrom and BaselineTo bound the baseline's window ends;
	// BaselineShares are the band shares on it (normal … red).
	BaselineFrom, BaselineTo time.Time
	BaselineShares           []float64
}

// Hotspot is one hotspots row (rates NaN when undefined).
type Hotspot struct {
	Region                   string
	Cases                    uint64
	RatePer10k, EBRatePer10k float64
	GiZ, GiQ                 float64
	Hot                      int8 // 1 hot, -1 cold, 0 neither
	EHSACategory             string
	FunnelFlag               string // none, alert_95, alarm_99.8, ""
}

// TypeRank is one type_ranks row of the report's region.
type TypeRank struct {
	Category    string
	NameZH      string
	Rank        int
	Cases       uint64
	Share       float64 // of the region's cases, 0–1
	Growth      float64 // relative change against the baseline; NaN when undefined
	YoYCases    *uint64
	Significant bool
	Surging     bool
}

// StatAlarm is one raised statistical alarm (stat_alarms with alarm = 1).
type StatAlarm struct {
	WindowEnd  time.Time
	Level      int
	Region     string
	Category   string // "" or "all" for all categories
	Detector   string
	Observed   float64
	Expected   float64 // NaN when undefined
	UpperBound float64 // NaN when undefined
}

// RuleAlarm is one rule_alarms row, with the case's summary.
type RuleAlarm struct {
	Rule, Level string // level: blue, yellow, orange, red
	CaseID      string
	Region      string // finest region code of the case
	County      string
	Category    string
	Detail      string // Chinese reason written by the rule
	Summary     string // the case summary as recorded (untrusted text)
	ReportedAt  time.Time
}

// Unit is one supervision_units row: a responsible unit's lit open cases.
type Unit struct {
	Unit, County                       string
	Open, Green, Yellow, Red, Rehandle uint64
}

// Input is everything one report is built from: the rows the index jobs
// stored for the region and window, already read. Slices are owned by the
// caller and not modified.
type Input struct {
	// Region is the report's region and Children its sub-units (the
	// banners of the city, the towns of a banner), in registry order.
	Region   Region
	Children []Region
	// Regions resolves any code that appears in the rows (counties,
	// towns, villages) to its official name.
	Regions map[string]Region
	// Categories maps taxonomy codes to their Chinese names and groups.
	Categories map[string]Category

	// Window is day, week or month; [Start, End) is the period.
	Window     string
	Start, End time.Time
	// GeneratedAt is the time printed on the report (a parameter: reruns
	// with the same data and time give the same bytes).
	GeneratedAt time.Time
	// Issuer is the issuing unit (通辽市委政法委 综治中心).
	Issuer string

	KPI       *KPI  // the region's row; nil when the job has not written one
	ChildKPIs []KPI // the children's rows

	// Daily counts cases per day and category from TrendStart to End.
	Daily      []DayCount
	TrendStart time.Time

	// Risk has the rows of the region (if the job writes its level) and
	// of its children; RiskWindow is the window they come from (week or
	// month: the index has no day window) and [RiskStart, RiskEnd) the
	// window actually read (the latest computed at or before End, which
	// need not be the report's own period). RiskEnd is zero when unknown.
	Risk               []Risk
	RiskWindow         string
	RiskStart, RiskEnd time.Time
	// RiskThresholds are the calibrations the Risk rows name (none for the
	// fixed INFORM thresholds).
	RiskThresholds []RiskThresholds

	Hotspots   []Hotspot // children's rows
	Types      []TypeRank
	StatAlarms []StatAlarm
	// StatAlarmsTotal counts the raised statistical alarms of the period,
	// which can be more than the rows read; StatAlarmWindow is the window
	// of the detection they come from (day or week; "" when unknown).
	StatAlarmsTotal int
	StatAlarmWindow string
	RuleAlarms      []RuleAlarm
	// RuleAlarmsTotal counts the rule alarms of the period, which can be
	// more than the rows read.
	RuleAlarmsTotal int
	Units           []Unit
	// SupervisionAt is the time of the supervision snapshot Units come
	// from (the latest at or before End); zero when there is none.
	SupervisionAt time.Time

	// Forecast holds the weekly forecasts of the region and its children
	// (section 形势预测); nil leaves the section out.
	Forecast *ForecastInput

	// Emerging holds the emerging issues of the period (section
	// 新出现问题); nil leaves the section out, empty says none was found.
	Emerging []EmergingIssue

	// Links holds the linked cases of the 90 days before End within the
	// region (section 关联案件); nil leaves the section out, empty says
	// none was found.
	Links []LinkedParty

	// GeoJSON has the polygons of the banners (properties.adcode = 6-digit
	// code); nil leaves out the maps.
	GeoJSON []byte
}

// Validate reports inputs a report cannot be built from.
func (in *Input) Validate() error {
	switch in.Window {
	case Day, Week, Month:
	default:
		return fmt.Errorf("window %q is not day, week or month", in.Window)
	}
	if in.Region.Code == "" || in.Region.Name == "" {
		return errors.New("the region has no code or no name")
	}
	if !in.End.After(in.Start) {
		return fmt.Errorf("the period [%v, %v) is empty", in.Start, in.End)
	}
	if in.TrendStart.IsZero() || in.TrendStart.After(in.Start) {
		return fmt.Errorf("the trend start %v is not before the period start %v", in.TrendStart, in.Start)
	}
	return nil
}
