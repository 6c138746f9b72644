package forecast

import (
	"math"
	"time"
)

// Calendar describes the dates of a series for the count regression: the
// first day of period 0 and the period length in days (7 weekly, 1 daily).
// Holidays, when non-nil, adds the holiday design columns.
type Calendar struct {
	Start    time.Time
	StepDays int
	Holidays []Holiday
}

func (c Calendar) periodsPerYear() float64 { return 365.25 / float64(c.StepDays) }

// GLMSpec chooses the terms of the count regression.
type GLMSpec struct {
	Trend   bool
	Fourier int  // pairs of yearly Fourier terms
	Weekday bool // day-of-week dummies (daily series)
}

// defaultGLMSpec picks the terms the history supports: a trend from 26
// periods, yearly Fourier pairs (1 from one year, 2 from two years), and
// day of week for daily series.
func defaultGLMSpec(n int, c Calendar) GLMSpec {
	ppy := c.periodsPerYear()
	s := GLMSpec{Trend: n >= 26, Weekday: c.StepDays == 1 && n >= 28}
	switch {
	case float64(n) >= 2*ppy:
		s.Fourier = 2
	case float64(n) >= ppy:
		s.Fourier = 1
	}
	return s
}

// designRow is the design row of period t (0-based) for a model trained on
// n periods: intercept, trend (years since the end of training), Fourier
// terms of the day of year at the period's middle, weekday dummies and
// holiday shares.
func designRow(spec GLMSpec, c Calendar, t, n int) []float64 {
	row := []float64{1}
	start := c.Start.AddDate(0, 0, t*c.StepDays)
	if spec.Trend {
		row = append(row, float64(t-n)/c.periodsPerYear())
	}
	if spec.Fourier > 0 {
		mid := start.Add(time.Duration(c.StepDays) * 12 * time.Hour)
		frac := float64(mid.YearDay()-1) / 365.25
		for k := 1; k <= spec.Fourier; k++ {
			a := 2 * math.Pi * float64(k) * frac
			row = append(row, math.Sin(a), math.Cos(a))
		}
	}
	if spec.Weekday {
		wd := int(start.Weekday())
		for d := 1; d < 7; d++ {
			row = append(row, float64(b2i(wd == d)))
		}
	}
	if c.Holidays != nil {
		row = append(row, holidayShares(c.Holidays, start, c.StepDays)...)
	}
	return row
}

// GLMForecaster is a fitted count regression on a series.
type GLMForecaster struct {
	Spec  GLMSpec
	Cal   Calendar
	Fit   *NBGLM
	n     int
	keep  []int // design columns kept (non-constant in training)
	Label string
}

// FitCountGLM fits the negative binomial regression of y with the terms
// spec on the calendar c. Design columns that are all zero in the training
// periods (a holiday that never occurred in the history) are dropped.
func FitCountGLM(y []float64, c Calendar, spec GLMSpec) (*GLMForecaster, error) {
	if err := checkSeries(y, 1); err != nil {
		return nil, err
	}
	n := len(y)
	rows := make([][]float64, n)
	for t := range y {
		rows[t] = designRow(spec, c, t, n)
	}
	p := len(rows[0])
	var keep []int
	for j := 0; j < p; j++ {
		if j == 0 {
			keep = append(keep, j)
			continue
		}
		var nz int
		for t := range rows {
			if rows[t][j] != 0 {
				nz++
			}
		}
		if nz >= 2 {
			keep = append(keep, j)
		}
	}
	x := make([][]float64, n)
	for t := range rows {
		x[t] = pick(rows[t], keep)
	}
	if n < len(keep)+8 {
		return nil, ErrTooShort
	}
	fit, err := FitNBGLM(x, y)
	if err != nil {
		return nil, err
	}
	return &GLMForecaster{Spec: spec, Cal: c, Fit: fit, n: n, keep: keep, Label: "nbglm"}, nil
}

func pick(r []float64, idx []int) []float64 {
	out := make([]float64, len(idx))
	for i, j := range idx {
		out[i] = r[j]
	}
	return out
}

// maxSEEta is the largest standard error of the linear predictor at which
// the regression still forecasts: beyond it (a term the history barely
// identifies, extrapolated) the interval spans orders of magnitude.
const maxSEEta = 2.0

// Forecast returns the mean exp(xᵀβ) for horizons 1..h and the quantiles
// of the NB predictive distribution mixed over the uncertainty of xᵀβ
// (moment-matched, see nbMixQuantile). A
// horizon whose mean is not finite or whose linear predictor has a standard
// error above maxSEEta gets NaN everywhere (Auto then drops the model).
func (g *GLMForecaster) Forecast(h int) Forecast {
	out := newForecast(g.Label, h)
	for i := 0; i < h; i++ {
		x := pick(designRow(g.Spec, g.Cal, g.n+i, g.n), g.keep)
		mu, se := g.Fit.Mean(x)
		if !(se <= maxSEEta) || math.IsInf(mu, 0) || math.IsNaN(mu) {
			out.Point[i], out.Lo80[i], out.Hi80[i], out.Lo95[i], out.Hi95[i] = math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN()
			continue
		}
		eta := math.Log(mu)
		out.Point[i] = mu
		out.Lo95[i] = nbMixQuantile(0.025, eta, se, g.Fit.Theta)
		out.Lo80[i] = nbMixQuantile(0.1, eta, se, g.Fit.Theta)
		out.Hi80[i] = nbMixQuantile(0.9, eta, se, g.Fit.Theta)
		out.Hi95[i] = nbMixQuantile(0.975, eta, se, g.Fit.Theta)
	}
	return out
}
