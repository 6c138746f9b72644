package forecast

import (
	"errors"
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// Forecast is a model's forecast for horizons 1..H.
type Forecast struct {
	Model string
	Point []float64
	// Lower and upper bounds of the 80 % and 95 % prediction intervals.
	Lo80, Hi80, Lo95, Hi95 []float64
}

// Horizon is the number of horizons in the forecast.
func (f Forecast) Horizon() int { return len(f.Point) }

func newForecast(model string, h int) Forecast {
	return Forecast{
		Model: model,
		Point: make([]float64, h), Lo80: make([]float64, h), Hi80: make([]float64, h),
		Lo95: make([]float64, h), Hi95: make([]float64, h),
	}
}

// Quantile returns the forecast's quantile at level p for horizon index i
// (0-based) for p in {0.025, 0.1, 0.5, 0.9, 0.975}; other levels are
// interpolated linearly between those.
func (f Forecast) Quantile(i int, p float64) float64 {
	ps := [...]float64{0.025, 0.1, 0.5, 0.9, 0.975}
	qs := [...]float64{f.Lo95[i], f.Lo80[i], f.Point[i], f.Hi80[i], f.Hi95[i]}
	if p <= ps[0] {
		return qs[0]
	}
	for k := 1; k < len(ps); k++ {
		if p <= ps[k] {
			w := (p - ps[k-1]) / (ps[k] - ps[k-1])
			return qs[k-1] + w*(qs[k]-qs[k-1])
		}
	}
	return qs[len(qs)-1]
}

var (
	// ErrTooShort is returned when the history is too short for the model.
	ErrTooShort = errors.New("history too short for the model")
	// ErrBadInput is returned for negative or non-finite counts or a bad
	// horizon.
	ErrBadInput = errors.New("invalid series or horizon")
)

var (
	z80 = distuv.UnitNormal.Quantile(0.9)
	z95 = distuv.UnitNormal.Quantile(0.975)
)

// normalIntervals fills the intervals from the point and the forecast
// standard deviation per horizon, clipping lower bounds at 0.
func (f *Forecast) normalIntervals(sd []float64) {
	for i, m := range f.Point {
		f.Lo80[i] = math.Max(0, m-z80*sd[i])
		f.Hi80[i] = m + z80*sd[i]
		f.Lo95[i] = math.Max(0, m-z95*sd[i])
		f.Hi95[i] = m + z95*sd[i]
	}
}

func checkSeries(y []float64, h int) error {
	if h < 1 {
		return ErrBadInput
	}
	for _, v := range y {
		if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
			return ErrBadInput
		}
	}
	return nil
}

// finite reports whether every value of the forecast is a finite number.
func (f Forecast) finite() bool {
	for _, s := range [][]float64{f.Point, f.Lo80, f.Hi80, f.Lo95, f.Hi95} {
		for _, v := range s {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return false
			}
		}
	}
	return true
}
