package jobs

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/riskwatch/riskwatch/indices/alarm"
	"github.com/riskwatch/riskwatch/jobs/scheduler"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

// AlarmStore is what the alarm jobs read and write.
type AlarmStore interface {
	AlarmCounts(ctx context.Context, levels []uint8, window string, from, to time.Time, leaves bool) ([]store.AlarmCount, error)
	WriteStatAlarms(ctx context.Context, rows []store.StatAlarm) error
}

// AlarmDetector is a detector of indices/alarm with its parameters.
type AlarmDetector struct {
	// Method is an alarm.Method* name; empty means no detector.
	Method string
	// Params are the detector's parameters. For farrington-flexible, B is
	// the most past years used: a series with less history uses as many
	// whole years as it has (at least one).
	Params alarm.Params
}

// AlarmLevel configures the series of one level.
type AlarmLevel struct {
	// Level is schemas.LevelCounty or schemas.LevelTown.
	Level schemas.Level
	// Short is the detector of series whose history is too short for Long
	// (EARS C1 by default).
	Short AlarmDetector
	// Long is the detector once the series has enough history for it
	// (farringtonFlexible with one year of reference values needs
	// Freq + W + 1 windows); an empty Method keeps Short for good.
	Long AlarmDetector
}

// AlarmConfig configures the alarm job of one window kind.
type AlarmConfig struct {
	// Levels are the levels whose region × category series are watched.
	Levels []AlarmLevel
	// Leaves adds one series per leaf category (labor.wage_arrears, …) to
	// the series per category group.
	Leaves bool
}

// Defaults of the alarm detectors, chosen with `make eval-alarms` on the
// demo stream (see internal/tools/evalalarms).
const (
	// DefaultEARSAlpha is the EARS C1 significance level.
	DefaultEARSAlpha = 0.001
	// DefaultEARSBaseline is the number of reference windows of EARS C1.
	DefaultEARSBaseline = 7
	// DefaultEARSMinSigma is EARS C1's floor for the reference standard
	// deviation. Without it (R's default 0) a sparse series whose
	// reference windows are all zero alarms on its first single case.
	DefaultEARSMinSigma = 1
)

// DefaultEARS returns the default short-history detector: EARS C1.
func DefaultEARS() AlarmDetector {
	p, _ := alarm.DefaultParams(alarm.MethodEARSC1)
	p.Alpha, p.Baseline, p.MinSigma = DefaultEARSAlpha, DefaultEARSBaseline, DefaultEARSMinSigma
	return AlarmDetector{Method: alarm.MethodEARSC1, Params: p}
}

// DefaultFarrington returns the default long-history detector:
// farringtonFlexible with R surveillance's defaults (b = 5, w = 3,
// alpha = 0.05, …) for weekly data.
func DefaultFarrington() AlarmDetector {
	p, _ := alarm.DefaultParams(alarm.MethodFarringtonFlexible)
	return AlarmDetector{Method: alarm.MethodFarringtonFlexible, Params: p}
}

// Detector returns the detector of a method name with the defaults this
// package uses (EARS C1 with its minimum sigma, farringtonFlexible with R's
// defaults, others with alarm.DefaultParams), and alpha when it is not 0.
func Detector(method string, alpha float64) (AlarmDetector, error) {
	var d AlarmDetector
	switch method {
	case "":
		return d, nil
	case alarm.MethodEARSC1:
		d = DefaultEARS()
	case alarm.MethodFarringtonFlexible:
		d = DefaultFarrington()
	default:
		p, err := alarm.DefaultParams(method)
		if err != nil {
			return d, err
		}
		d = AlarmDetector{Method: method, Params: p}
	}
	if alpha != 0 {
		d.Params.Alpha = alpha
	}
	return d, nil
}

// DefaultAlarmConfig returns the default configuration for windows of kind
// w: county and town series per category group; EARS C1 for short history
// and, for weeks, farringtonFlexible once a year (plus W+1 weeks) of
// history exists. Daily series keep EARS C1: daily counts per region and
// category are too sparse for a seasonal GLM.
func DefaultAlarmConfig(w schemas.Window) AlarmConfig {
	var long AlarmDetector
	if w == schemas.Week {
		long = DefaultFarrington()
	}
	return AlarmConfig{Levels: []AlarmLevel{
		// Counties stay on EARS C1: a county series is large and moves with
		// level shifts (NYC's 2022 recovery after COVID made farringtonFlexible,
		// whose baseline is years old, fire 13 times per series-year at borough
		// level; EARS's 7-week baseline follows the shift: 1.9). On the demo
		// this default scores sensitivity 0.92 (11/12) with 0.08 false alarms
		// per series-year (make eval-alarms).
		{Level: schemas.LevelCounty, Short: DefaultEARS()},
		{Level: schemas.LevelTown, Short: DefaultEARS(), Long: long},
	}}
}

// AlarmJob returns the job that evaluates the window ending at `at` on
// every region × category series of the configured levels and writes one
// stat_alarms row per series: the detector chosen by the series' history,
// its parameters, the observed count, the expected count, the upper bound
// and the alarm. Only the latest window is evaluated; the earlier windows
// are its history. The history of a level starts at its first window with
// any case, so windows before the data are not taken for quiet ones.
// computedAt stamps the rows (the version that lets a recomputed window
// replace its rows). w must be Day or Week.
func AlarmJob(st AlarmStore, reg *schemas.Registry, w schemas.Window, cfg AlarmConfig, computedAt func() time.Time) func(ctx context.Context, at time.Time) (uint64, error) {
	return func(ctx context.Context, at time.Time) (uint64, error) {
		if w != schemas.Day && w != schemas.Week {
			return 0, fmt.Errorf("window %v is not day or week", w)
		}
		end := w.Align(at)
		stamp := computedAt()
		var rows []store.StatAlarm
		// One scan for every level, over the longest history any needs.
		levels := make([]uint8, len(cfg.Levels))
		from := end
		for i, lc := range cfg.Levels {
			levels[i] = uint8(lc.Level)
			if f := w.Prev(windowEnds(w, end, historyWindows(lc))[0]); f.Before(from) {
				from = f
			}
		}
		all, err := st.AlarmCounts(ctx, levels, w.String(), from, end, cfg.Leaves)
		if err != nil {
			return 0, err
		}
		for _, lc := range cfg.Levels {
			ends := windowEnds(w, end, historyWindows(lc))
			var counts []store.AlarmCount
			for _, c := range all {
				if c.Level == uint8(lc.Level) && c.WindowEnd.After(w.Prev(ends[0])) {
					counts = append(counts, c)
				}
			}
			lr, err := EvaluateAlarms(reg, w, lc, ends, counts)
			if err != nil {
				return 0, err
			}
			for i := range lr {
				lr[i].ComputedAt = stamp
			}
			rows = append(rows, lr...)
		}
		if err := st.WriteStatAlarms(ctx, rows); err != nil {
			return 0, err
		}
		return uint64(len(rows)), nil
	}
}

// AlarmJobs returns the day and week alarm jobs with their schedules
// (Asia/Shanghai), after the KPI jobs of the same window.
func AlarmJobs(st AlarmStore, reg *schemas.Registry, day, week AlarmConfig, computedAt func() time.Time) []scheduler.Job {
	return []scheduler.Job{
		{Name: "alarms_day", Window: schemas.Day, Spec: "40 0 * * *", Run: AlarmJob(st, reg, schemas.Day, day, computedAt)},
		{Name: "alarms_week", Window: schemas.Week, Spec: "45 0 * * 1", Run: AlarmJob(st, reg, schemas.Week, week, computedAt)},
	}
}

// historyWindows is the number of windows (including the evaluated one) a
// level's detectors can use.
func historyWindows(lc AlarmLevel) int {
	h := shortNeed(lc.Short)
	if lc.Long.Method == alarm.MethodFarringtonFlexible || lc.Long.Method == alarm.MethodFarrington {
		p := lc.Long.Params
		h = max(h, freqOf(p)*max(p.B, 1)+p.W+1)
	}
	return h
}

// shortNeed is the number of windows EARS needs to evaluate its last one.
func shortNeed(d AlarmDetector) int {
	b := d.Params.Baseline
	if b == 0 {
		b = DefaultEARSBaseline
	}
	switch d.Method {
	case alarm.MethodEARSC2:
		return b + 3
	case alarm.MethodEARSC3:
		return b + 5
	}
	return b + 1
}

func freqOf(p alarm.Params) int {
	if p.Freq == 0 {
		return 52
	}
	return p.Freq
}

// windowEnds returns the h window ends up to and including end, oldest
// first.
func windowEnds(w schemas.Window, end time.Time, h int) []time.Time {
	out := make([]time.Time, h)
	e := end
	for i := h - 1; i >= 0; i-- {
		out[i] = e
		e = w.Prev(e)
	}
	return out
}

// AlarmSeries is one region × category count series, zero-filled.
type AlarmSeries struct {
	Region, Category string
	// Counts holds one count per window end of Ends.
	Counts []float64
}

// ZeroFill turns sparse counts into one series per (region, category)
// over ends (oldest first): windows without a count are 0, counts outside
// ends are dropped. Series come sorted by region and category.
func ZeroFill(ends []time.Time, counts []store.AlarmCount) []AlarmSeries {
	idx := make(map[int64]int, len(ends))
	for i, e := range ends {
		idx[e.Unix()] = i
	}
	type key struct{ region, category string }
	by := map[key][]float64{}
	for _, c := range counts {
		i, ok := idx[c.WindowEnd.Unix()]
		if !ok {
			continue
		}
		k := key{c.Region, c.Category}
		s := by[k]
		if s == nil {
			s = make([]float64, len(ends))
			by[k] = s
		}
		s[i] += float64(c.Count)
	}
	out := make([]AlarmSeries, 0, len(by))
	for k, s := range by {
		out = append(out, AlarmSeries{Region: k.region, Category: k.category, Counts: s})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Region != out[j].Region {
			return out[i].Region < out[j].Region
		}
		return out[i].Category < out[j].Category
	})
	return out
}

// EvaluateAlarms evaluates the last window of ends (oldest first) on every
// series of counts at one level and returns one row per series that has
// enough history for the short detector (ComputedAt is left zero). The
// history starts at the first window of ends in which the level has any
// case.
func EvaluateAlarms(reg *schemas.Registry, w schemas.Window, lc AlarmLevel, ends []time.Time, counts []store.AlarmCount) ([]store.StatAlarm, error) {
	series := ZeroFill(ends, counts)
	first := len(ends)
	for _, s := range series {
		for i, v := range s.Counts {
			if v > 0 && i < first {
				first = i
				break
			}
		}
	}
	n := len(ends) - first // windows of history, the evaluated one included
	det, ok := chooseDetector(lc, n)
	if !ok {
		return nil, nil
	}
	end := ends[len(ends)-1]
	out := make([]store.StatAlarm, 0, len(series))
	for _, s := range series {
		if reg != nil {
			if _, known := reg.Lookup(s.Region); !known {
				continue
			}
		}
		y := s.Counts[first:]
		p := det.Params
		p.RangeStart, p.RangeEnd = len(y), len(y)
		pts, err := alarm.Detect(det.Method, y, p)
		if err != nil {
			// A series the detector cannot evaluate (a model that cannot
			// be fitted to a history of zeros) keeps its row with no
			// expected count, no bound and no alarm; the other series of
			// the level go on.
			out = append(out, store.StatAlarm{
				Window: w.String(), WindowEnd: end, Level: uint8(lc.Level), RegionCode: s.Region, Category: s.Category,
				Detector: det.Method, Params: ParamString(det), Observed: y[len(y)-1], Expected: math.NaN(),
				UpperBound: math.NaN(),
			})
			continue
		}
		if len(pts) == 0 {
			continue
		}
		pt := pts[len(pts)-1]
		out = append(out, store.StatAlarm{
			Window: w.String(), WindowEnd: end, Level: uint8(lc.Level), RegionCode: s.Region, Category: s.Category,
			Detector: det.Method, Params: ParamString(det), Observed: pt.Observed, Expected: pt.Expected,
			UpperBound: pt.UpperBound, Alarm: pt.Alarm,
		})
	}
	return out, nil
}

// chooseDetector returns the detector for a series with n windows of
// history (the evaluated one included): Long with as many whole years as
// the history holds (up to its B) when at least one, otherwise Short when
// n is enough for it.
func chooseDetector(lc AlarmLevel, n int) (AlarmDetector, bool) {
	if lc.Long.Method != "" {
		p := lc.Long.Params
		f := freqOf(p)
		if b := min(max(p.B, 1), (n-p.W-1)/f); b >= 1 {
			d := lc.Long
			d.Params.B = b
			return d, true
		}
	}
	if lc.Short.Method == "" || n < shortNeed(lc.Short) {
		return AlarmDetector{}, false
	}
	return lc.Short, true
}

// ParamString renders the parameters of a detector that the stored row
// keeps, as "alpha=0.001,baseline=7,minsigma=1".
func ParamString(d AlarmDetector) string {
	p := d.Params
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	var kv []string
	switch d.Method {
	case alarm.MethodEARSC1, alarm.MethodEARSC2, alarm.MethodEARSC3:
		b := p.Baseline
		if b == 0 {
			b = DefaultEARSBaseline
		}
		kv = []string{"alpha=" + f(p.Alpha), "baseline=" + strconv.Itoa(b), "minsigma=" + f(p.MinSigma)}
	case alarm.MethodFarringtonFlexible, alarm.MethodFarrington:
		kv = []string{"alpha=" + f(p.Alpha), "b=" + strconv.Itoa(p.B), "w=" + strconv.Itoa(p.W), "freq=" + strconv.Itoa(freqOf(p)),
			"trend=" + strconv.FormatBool(p.Trend), "reweight=" + strconv.FormatBool(p.Reweight),
			"powertrans=" + p.PowerTrans, "threshold=" + p.ThresholdMethod,
			fmt.Sprintf("limit54=%d/%d", p.Limit54[0], p.Limit54[1]), "noperiods=" + strconv.Itoa(p.NoPeriods)}
	default:
		kv = []string{"alpha=" + f(p.Alpha)}
	}
	if math.IsNaN(p.Alpha) {
		kv[0] = "alpha=NaN"
	}
	return strings.Join(kv, ",")
}
