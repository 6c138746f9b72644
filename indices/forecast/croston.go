package forecast

import "math"

// IntermittentMethod names a method for intermittent series.
type IntermittentMethod int

const (
	// Croston smooths the non-zero sizes and the intervals between them;
	// the forecast is size/interval.
	Croston IntermittentMethod = iota
	// SBA is Croston with the Syntetos-Boylan bias correction (1 − α/2).
	SBA
	// TSB (Teunter, Syntetos, Babai) smooths the probability of a non-zero
	// count every period and the size when one occurs.
	TSB
)

func (m IntermittentMethod) String() string {
	return [...]string{"croston", "sba", "tsb"}[m]
}

// intermittentPath returns the one-step forecasts f[t] for periods 0..n (f[n]
// is the forecast beyond the data) with smoothing parameters a (size and
// interval) and b (TSB probability). f[0..first non-zero] are NaN for
// Croston/SBA.
func intermittentPath(y []float64, method IntermittentMethod, a, b float64) []float64 {
	n := len(y)
	f := make([]float64, n+1)
	first := -1
	for t, v := range y {
		if v > 0 {
			first = t
			break
		}
	}
	for t := range f {
		f[t] = math.NaN()
	}
	if first < 0 {
		for t := range f {
			f[t] = 0
		}
		return f
	}
	switch method {
	case TSB:
		var nz int
		for _, v := range y {
			if v > 0 {
				nz++
			}
		}
		d := float64(nz) / float64(n)
		z := y[first]
		for t, v := range y {
			f[t] = d * z
			if v > 0 {
				d += b * (1 - d)
				z += a * (v - z)
			} else {
				d += b * (0 - d)
			}
		}
		f[n] = d * z
	default:
		z, p := y[first], float64(first+1)
		q := 1.0
		corr := 1.0
		if method == SBA {
			corr = 1 - a/2
		}
		for t := first + 1; t < n; t++ {
			f[t] = corr * z / p
			if y[t] > 0 {
				z += a * (y[t] - z)
				p += a * (q - p)
				q = 1
			} else {
				q++
			}
		}
		f[n] = corr * z / p
	}
	return f
}

// Intermittent forecasts an intermittent count series with Croston, SBA or
// TSB. The smoothing parameters are chosen from {0.05, 0.1, 0.2, 0.3} (and
// the same grid for TSB's probability) by the in-sample one-step mean
// squared error. The forecast is flat over the horizons; the intervals are
// quantiles of a negative binomial with that mean whose dispersion is the
// method-of-moments estimate from the in-sample one-step errors (Poisson
// when the errors show no overdispersion).
func Intermittent(y []float64, method IntermittentMethod, h int) (Forecast, error) {
	if err := checkSeries(y, h); err != nil {
		return Forecast{}, err
	}
	if len(y) < 4 {
		return Forecast{}, ErrTooShort
	}
	grid := []float64{0.05, 0.1, 0.2, 0.3}
	bgrid := []float64{0}
	if method == TSB {
		bgrid = grid
	}
	best := math.Inf(1)
	var bestF []float64
	for _, a := range grid {
		for _, b := range bgrid {
			f := intermittentPath(y, method, a, b)
			var ss float64
			var k int
			for t := range y {
				if !math.IsNaN(f[t]) {
					e := y[t] - f[t]
					ss += e * e
					k++
				}
			}
			if k == 0 {
				continue
			}
			if mse := ss / float64(k); mse < best {
				best, bestF = mse, f
			}
		}
	}
	if bestF == nil {
		return Forecast{}, ErrTooShort
	}
	mu := bestF[len(y)]
	// dispersion from in-sample errors: var = μ̄ + μ̄²/θ.
	var mbar float64
	var k int
	for t := range y {
		if !math.IsNaN(bestF[t]) {
			mbar += bestF[t]
			k++
		}
	}
	mbar /= float64(k)
	theta := math.Inf(1)
	if best > mbar && mbar > 0 {
		theta = mbar * mbar / (best - mbar)
	}
	out := newForecast(method.String(), h)
	for i := 0; i < h; i++ {
		out.Point[i] = mu
		if mu <= 0 {
			continue
		}
		out.Lo95[i] = QNBinom(0.025, mu, theta)
		out.Lo80[i] = QNBinom(0.1, mu, theta)
		out.Hi80[i] = QNBinom(0.9, mu, theta)
		out.Hi95[i] = QNBinom(0.975, mu, theta)
	}
	return out, nil
}
