package forecast

import (
	"fmt"
	"math"
	"sort"
)

// Options configure Auto.
type Options struct {
	// Period is the seasonal period: 52 for weekly series (yearly season),
	// 7 for daily series (weekly season). Seasonal naive and MASE use it;
	// ETS uses a seasonal model only for periods up to 24.
	Period int
	// Horizon is the number of periods forecast.
	Horizon int
	// Calendar dates the series for the count regression; without it the
	// regression is not a candidate.
	Calendar *Calendar
	// Origins is the number of rolling validation origins (default 4),
	// Step the periods between them (default 2).
	Origins, Step int
	// MinTrain is the shortest history a candidate is fitted on during
	// validation (default 12).
	MinTrain int
	// Candidates restricts the models compared (names as in Candidates());
	// empty means all that apply to the series.
	Candidates []string
}

func (o Options) withDefaults() Options {
	if o.Origins <= 0 {
		o.Origins = 4
	}
	if o.Step <= 0 {
		o.Step = 2
	}
	if o.MinTrain <= 0 {
		o.MinTrain = 12
	}
	if o.Period < 1 {
		o.Period = 1
	}
	return o
}

// Model is a forecasting method: it fits y and forecasts h periods; cal
// is the series' calendar shifted to y[0] (nil when not given).
type Model struct {
	Name string
	Fn   func(y []float64, h int, cal *Calendar) (Forecast, error)
}

// Candidates returns the models Auto compares for a series of length n with
// the share zeros of zero counts.
func Candidates(o Options, n int, zeros float64) []Model {
	o = o.withDefaults()
	m := o.Period
	var out []Model
	out = append(out, Model{"snaive", func(y []float64, h int, _ *Calendar) (Forecast, error) {
		p := m
		if len(y) <= m {
			p = 1
		}
		return SeasonalNaive(y, p, h)
	}})
	ets := func(spec ETSSpec) func([]float64, int, *Calendar) (Forecast, error) {
		return func(y []float64, h int, _ *Calendar) (Forecast, error) {
			f, err := FitETS(y, spec)
			if err != nil {
				return Forecast{}, err
			}
			return f.Forecast(h), nil
		}
	}
	out = append(out, Model{"ets_ann", ets(ETSSpec{Trend: 'N'})})
	// A series with zero counts in half of its periods or more gets no
	// trend model and no regression, the costly fits: in the demo
	// backtest at town level, mostly such series, they were chosen for
	// 3 % (damped trend) and 0.3 % (regression) of the forecasts.
	sparse := zeros >= 0.5
	if !sparse {
		out = append(out, Model{"ets_aadn", ets(ETSSpec{Trend: 'A', Damped: true})})
	}
	if m >= 2 && m <= 24 && n >= 3*m {
		out = append(out, Model{"ets_ana", ets(ETSSpec{Trend: 'N', Seasonal: true, M: m})})
	}
	if o.Calendar != nil && !sparse {
		out = append(out, Model{"nbglm", func(y []float64, h int, cal *Calendar) (Forecast, error) {
			g, err := FitCountGLM(y, *cal, defaultGLMSpec(len(y), *cal))
			if err != nil {
				return Forecast{}, err
			}
			return g.Forecast(h), nil
		}})
	}
	if zeros >= 0.3 {
		for _, meth := range []IntermittentMethod{SBA, TSB} {
			meth := meth
			out = append(out, Model{meth.String(), func(y []float64, h int, _ *Calendar) (Forecast, error) {
				return Intermittent(y, meth, h)
			}})
		}
	}
	for i := range out {
		fn := out[i].Fn
		out[i].Fn = func(y []float64, h int, cal *Calendar) (Forecast, error) {
			f, err := fn(y, h, cal)
			if err == nil && !f.finite() {
				err = fmt.Errorf("forecast: %s gave a non-finite forecast: %w", f.Model, ErrTooShort)
			}
			return f, err
		}
	}
	if len(o.Candidates) > 0 {
		keep := out[:0]
		for _, c := range out {
			for _, name := range o.Candidates {
				if c.Name == name {
					keep = append(keep, c)
				}
			}
		}
		out = keep
	}
	return out
}

// Choice is the result of Auto: the chosen model's forecast from the whole
// history, and each candidate's mean pinball loss in validation (+Inf when
// it failed at some origin).
type Choice struct {
	Forecast
	Validation map[string]float64
}

// Auto chooses a model for y by rolling-origin validation on y's own
// history and forecasts with it. At each of o.Origins origins (the last
// ending o.Horizon periods before the end, o.Step periods apart) every
// candidate is fitted on the history up to the origin and forecasts up to
// o.Horizon periods ahead; the candidate with the lowest mean pinball loss
// (quantiles 2.5, 10, 50, 90, 97.5 %: point and intervals together) over
// all those forecasts wins, ties going to the earlier candidate. Without a
// feasible origin the choice is ETS(A,N,N), or the naive method for very
// short series.
func Auto(y []float64, o Options) (Choice, error) {
	o = o.withDefaults()
	if err := checkSeries(y, o.Horizon); err != nil {
		return Choice{}, err
	}
	n := len(y)
	if n < 2 {
		return Choice{}, ErrTooShort
	}
	var z int
	for _, v := range y {
		if v == 0 {
			z++
		}
	}
	cands := Candidates(o, n, float64(z)/float64(n))
	if len(cands) == 0 {
		return Choice{}, fmt.Errorf("forecast: no candidate model: %w", ErrBadInput)
	}
	calAt := func(off int) *Calendar {
		if o.Calendar == nil {
			return nil
		}
		c := *o.Calendar
		c.Start = c.Start.AddDate(0, 0, off*c.StepDays)
		return &c
	}
	val := map[string]float64{}
	var origins []int
	for k := 0; k < o.Origins; k++ {
		org := n - o.Horizon - k*o.Step
		if org < o.MinTrain {
			break
		}
		origins = append(origins, org)
	}
	sort.Ints(origins)
	bestName, best := "", math.Inf(1)
	if len(origins) > 0 {
		for _, c := range cands {
			var sum float64
			var cnt int
			for _, org := range origins {
				f, err := c.Fn(y[:org], o.Horizon, calAt(0))
				if err != nil {
					sum = math.Inf(1)
					break
				}
				for i := 0; i < o.Horizon && org+i < n; i++ {
					sum += MeanPinball(f, i, y[org+i])
					cnt++
				}
			}
			loss := math.Inf(1)
			if cnt > 0 && !math.IsInf(sum, 1) {
				loss = sum / float64(cnt)
			}
			val[c.Name] = loss
			if loss < best {
				best, bestName = loss, c.Name
			}
		}
	}
	order := []string{bestName, "ets_ann", "naive"}
	for _, name := range order {
		for _, c := range cands {
			if c.Name != name {
				continue
			}
			f, err := c.Fn(y, o.Horizon, calAt(0))
			if err == nil {
				f.Model = c.Name
				return Choice{Forecast: f, Validation: val}, nil
			}
		}
	}
	f, err := SeasonalNaive(y, 1, o.Horizon)
	if err != nil {
		return Choice{}, err
	}
	return Choice{Forecast: f, Validation: val}, nil
}
