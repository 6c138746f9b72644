package forecast

import (
	"fmt"
	"math"
)

// ETSSpec names an additive-error ETS model: the trend (none, additive or
// additive damped) and the season (none or additive with period M).
type ETSSpec struct {
	Trend    byte // 'N' or 'A'
	Damped   bool // with Trend 'A'
	Seasonal bool
	M        int // period of the season, 2..24 when Seasonal
}

// String is the model's name in R's notation: ETS(A,Ad,A) and so on.
func (s ETSSpec) String() string {
	tr := "N"
	if s.Trend == 'A' {
		tr = "A"
		if s.Damped {
			tr = "Ad"
		}
	}
	se := "N"
	if s.Seasonal {
		se = "A"
	}
	return "ETS(A," + tr + "," + se + ")"
}

// ETSParams are the smoothing parameters and the initial states of a fitted
// model. Season holds the m initial seasonal states, most recent first
// (R's s1 … sm of fit$states[1, ]: the first forecast uses Season[m-1]).
type ETSParams struct {
	Alpha, Beta, Gamma, Phi float64
	Level, Slope            float64
	Season                  []float64
}

// ETSFit is a fitted ETS model.
type ETSFit struct {
	Spec   ETSSpec
	Params ETSParams
	// Fitted are the one-step-ahead in-sample forecasts, Resid = y − Fitted.
	Fitted, Resid []float64
	// Sigma2 is SSE / (n − k) with k the number of estimated parameters
	// (smoothing parameters and free initial states), as R's ets reports it.
	Sigma2 float64
	// LogLik is −½·n·log(SSE/n) − n/2·(1+log 2π), AIC = −2 LogLik + 2(k+1).
	LogLik, AIC float64
	// Last state after the last observation.
	level, slope float64
	season       []float64
}

// Bounds of the parameters (R's ets defaults, bounds = "usual").
const (
	etsLower    = 1e-4
	etsUpper    = 0.9999
	etsPhiLower = 0.8
	etsPhiUpper = 0.98
)

func (s ETSSpec) validate(n int) error {
	if s.Trend != 'N' && s.Trend != 'A' {
		return fmt.Errorf("ets: trend %q is not N or A: %w", s.Trend, ErrBadInput)
	}
	if s.Damped && s.Trend != 'A' {
		return fmt.Errorf("ets: damping without a trend: %w", ErrBadInput)
	}
	if s.Seasonal {
		if s.M < 2 || s.M > 24 {
			return fmt.Errorf("ets: seasonal period %d outside 2..24: %w", s.M, ErrBadInput)
		}
		if n < 2*s.M {
			return ErrTooShort
		}
	}
	if n < s.nParams()+2 || n < 4 {
		return ErrTooShort
	}
	return nil
}

// nParams is the number of estimated parameters (smoothing parameters and
// free initial states).
func (s ETSSpec) nParams() int {
	k := 2 // alpha, l0
	if s.Trend == 'A' {
		k += 2 // beta, b0
	}
	if s.Damped {
		k++
	}
	if s.Seasonal {
		k += s.M // gamma and m−1 free seasonal states
	}
	return k
}

// filter runs the recursions over y from params p and returns SSE; when
// fitted is non-nil it records the one-step forecasts. It leaves the final
// state in the returned values.
func (s ETSSpec) filter(y []float64, p *ETSParams, fitted []float64, seas []float64) (sse, l, b float64) {
	l, b = p.Level, p.Slope
	m := 1
	if s.Seasonal {
		m = s.M
		copy(seas, p.Season)
	}
	phi := 1.0
	if s.Damped {
		phi = p.Phi
	}
	if s.Trend == 'N' {
		b, phi = 0, 0
	}
	for t, v := range y {
		f := l + phi*b
		var st float64
		if s.Seasonal {
			st = seas[m-1]
			f += st
		}
		e := v - f
		if fitted != nil {
			fitted[t] = f
		}
		sse += e * e
		nl := l + phi*b + p.Alpha*e
		if s.Trend == 'A' {
			b = phi*b + p.Beta*e
		}
		l = nl
		if s.Seasonal {
			copy(seas[1:], seas[:m-1])
			seas[0] = st + p.Gamma*e
		}
	}
	return sse, l, b
}

// ETSWithParams evaluates the model with given parameters (no fitting): the
// fitted values, residuals and Sigma2 as if these were the estimates.
func ETSWithParams(y []float64, spec ETSSpec, p ETSParams) (*ETSFit, error) {
	if err := checkSeries(y, 1); err != nil {
		return nil, err
	}
	if err := spec.validate(len(y)); err != nil {
		return nil, err
	}
	if spec.Seasonal && len(p.Season) != spec.M {
		return nil, fmt.Errorf("ets: %d seasonal states for period %d: %w", len(p.Season), spec.M, ErrBadInput)
	}
	return spec.result(y, p), nil
}

func (s ETSSpec) result(y []float64, p ETSParams) *ETSFit {
	n := len(y)
	fit := &ETSFit{Spec: s, Params: p, Fitted: make([]float64, n), Resid: make([]float64, n)}
	if s.Seasonal {
		fit.season = make([]float64, s.M)
		p.Season = append([]float64(nil), p.Season...)
		fit.Params.Season = p.Season
	}
	sse, l, b := s.filter(y, &p, fit.Fitted, fit.season)
	fit.level, fit.slope = l, b
	for t := range y {
		fit.Resid[t] = y[t] - fit.Fitted[t]
	}
	k := s.nParams() + 1
	fit.Sigma2 = sse / float64(n-s.nParams())
	nf := float64(n)
	fit.LogLik = -0.5*nf*math.Log(sse/nf) - 0.5*nf*(1+math.Log(2*math.Pi))
	fit.AIC = -2*fit.LogLik + 2*float64(k)
	return fit
}

// initStates are the heuristic starting states: for a seasonal model the
// season is the mean deviation of each position of the first two cycles
// from their centred moving average; level and slope come from a least
// squares line through the first max(10, 2m) deseasonalised values.
func (s ETSSpec) initStates(y []float64) (l0, b0 float64, season []float64) {
	m := 1
	ysa := append([]float64(nil), y...)
	if s.Seasonal {
		m = s.M
		season = make([]float64, m)
		cnt := make([]float64, m)
		// centred moving average of order m (2×m for even m).
		for t := m / 2; t+m/2 < len(y) && t < 2*m+m/2; t++ {
			var ma float64
			if m%2 == 0 {
				if t-m/2 < 0 || t+m/2 >= len(y) {
					continue
				}
				ma = 0.5*y[t-m/2] + 0.5*y[t+m/2]
				for j := t - m/2 + 1; j < t+m/2; j++ {
					ma += y[j]
				}
			} else {
				for j := t - m/2; j <= t+m/2; j++ {
					ma += y[j]
				}
			}
			ma /= float64(m)
			season[t%m] += y[t] - ma
			cnt[t%m]++
		}
		var mean float64
		for j := range season {
			if cnt[j] > 0 {
				season[j] /= cnt[j]
			}
			mean += season[j]
		}
		mean /= float64(m)
		for j := range season {
			season[j] -= mean
		}
		for t := range ysa {
			ysa[t] -= season[t%m]
		}
		// States are most recent first at time 0: s1 is the season of
		// period −1 ≡ m−1, sm the season of period 0 (used first).
		st := make([]float64, m)
		for j := 0; j < m; j++ {
			st[j] = season[(m-1-j)%m]
		}
		season = st
	}
	maxn := min(max(10, 2*m), len(ysa))
	if s.Trend == 'N' {
		for _, v := range ysa[:maxn] {
			l0 += v
		}
		l0 /= float64(maxn)
		return l0, 0, season
	}
	var sx, sy, sxx, sxy float64
	for i, v := range ysa[:maxn] {
		x := float64(i + 1)
		sx += x
		sy += v
		sxx += x * x
		sxy += x * v
	}
	nf := float64(maxn)
	b0 = (nf*sxy - sx*sy) / (nf*sxx - sx*sx)
	l0 = (sy - b0*sx) / nf
	return l0, b0, season
}

// FitETS fits an additive-error ETS model by maximum likelihood: it
// minimises n·log(SSE) over the smoothing parameters (R's usual bounds:
// 1e-4 ≤ α ≤ 0.9999, 1e-4 ≤ β ≤ α, 1e-4 ≤ γ ≤ 1 − α, 0.8 ≤ φ ≤ 0.98) and
// the initial states (the seasonal states summing to zero) with
// Nelder-Mead (see nelderMead), restarted from its optimum while that
// improves the likelihood. The starting point follows
// R's initparam.
func FitETS(y []float64, spec ETSSpec) (*ETSFit, error) {
	if err := checkSeries(y, 1); err != nil {
		return nil, err
	}
	if err := spec.validate(len(y)); err != nil {
		return nil, err
	}
	l0, b0, season := spec.initStates(y)
	scale := 0.0
	for _, v := range y {
		scale += math.Abs(v)
	}
	scale = math.Max(scale/float64(len(y)), 1)
	m := 1
	if spec.Seasonal {
		m = spec.M
	}
	// Vector: alpha, [beta], [gamma], [phi], l0/scale, [b0/scale], s1..s(m-1)/scale.
	alpha := etsLower + 0.2*(etsUpper-etsLower)/float64(m)
	x0 := []float64{alpha}
	if spec.Trend == 'A' {
		x0 = append(x0, etsLower+0.1*(math.Min(etsUpper, alpha)-etsLower))
	}
	if spec.Seasonal {
		x0 = append(x0, etsLower+0.05*(math.Min(etsUpper, 1-alpha)-etsLower))
	}
	if spec.Damped {
		x0 = append(x0, etsPhiLower+0.99*(etsPhiUpper-etsPhiLower))
	}
	x0 = append(x0, l0/scale)
	if spec.Trend == 'A' {
		x0 = append(x0, b0/scale)
	}
	if spec.Seasonal {
		for j := 0; j < m-1; j++ {
			x0 = append(x0, season[j]/scale)
		}
	}
	seas := make([]float64, m)
	var p ETSParams
	decode := func(x []float64) bool {
		i := 0
		p.Alpha = x[i]
		i++
		if p.Alpha < etsLower || p.Alpha > etsUpper {
			return false
		}
		p.Beta, p.Gamma, p.Phi, p.Slope = 0, 0, 1, 0
		if spec.Trend == 'A' {
			p.Beta = x[i]
			i++
			if p.Beta < etsLower || p.Beta > math.Min(etsUpper, p.Alpha) {
				return false
			}
		}
		if spec.Seasonal {
			p.Gamma = x[i]
			i++
			if p.Gamma < etsLower || p.Gamma > math.Min(etsUpper, 1-p.Alpha) {
				return false
			}
		}
		if spec.Damped {
			p.Phi = x[i]
			i++
			if p.Phi < etsPhiLower || p.Phi > etsPhiUpper {
				return false
			}
		}
		p.Level = x[i] * scale
		i++
		if spec.Trend == 'A' {
			p.Slope = x[i] * scale
			i++
		}
		if spec.Seasonal {
			if p.Season == nil {
				p.Season = make([]float64, m)
			}
			var sum float64
			for j := 0; j < m-1; j++ {
				p.Season[j] = x[i] * scale
				sum += p.Season[j]
				i++
			}
			p.Season[m-1] = -sum
		}
		return true
	}
	n := float64(len(y))
	obj := func(x []float64) float64 {
		if !decode(x) {
			return math.Inf(1)
		}
		sse, _, _ := spec.filter(y, &p, nil, seas)
		if !(sse > 0) {
			return -1e10
		}
		return n * math.Log(sse)
	}
	// Nelder-Mead as R's ets runs it (reltol √ε, at most 2000 iterations),
	// restarted from its end point while that still improves the
	// likelihood (at most 6 runs): a restart resets a simplex that has
	// collapsed along the flat directions of the likelihood.
	const reltol = 1.4901161193847656e-08
	best, fbest := nelderMead(obj, x0, reltol, 2000)
	for run := 1; run < 6; run++ {
		x, fx := nelderMead(obj, best, reltol, 2000)
		improved := fbest-fx > 1e-7*math.Abs(fbest)
		if fx <= fbest {
			best, fbest = x, fx
		}
		if !improved {
			break
		}
	}
	if !decode(best) {
		return nil, fmt.Errorf("cannot fit %v: no admissible parameters", spec)
	}
	return spec.result(y, p), nil
}

// Forecast returns the point forecasts for horizons 1..h (clipped at 0)
// with intervals from the analytic variance of the additive model (see
// ForecastSD).
func (f *ETSFit) Forecast(h int) Forecast {
	out := newForecast(f.Spec.String(), h)
	for i, v := range f.PointUnclipped(h) {
		out.Point[i] = math.Max(v, 0)
	}
	out.normalIntervals(f.ForecastSD(h))
	return out
}

// PointUnclipped returns the point forecast before clipping at 0 (for the
// comparisons with R).
func (f *ETSFit) PointUnclipped(h int) []float64 {
	s := f.Spec
	phi := 1.0
	if s.Damped {
		phi = f.Params.Phi
	}
	m := max(s.M, 1)
	out := make([]float64, h)
	var phiSum float64
	for i := range out {
		hh := i + 1
		phiSum += math.Pow(phi, float64(hh))
		pt := f.level
		if s.Trend == 'A' {
			pt += phiSum * f.slope
		}
		if s.Seasonal {
			pt += f.season[m-1-(hh-1)%m]
		}
		out[i] = pt
	}
	return out
}

// ForecastSD returns the forecast standard deviations for horizons 1..h:
// sqrt(σ²·(1 + Σ_{j<h} c_j²)) with c_j = α + β·φ_j + γ·[j mod m = 0] and
// φ_j = φ + … + φ^j (j without damping).
func (f *ETSFit) ForecastSD(h int) []float64 {
	s, p := f.Spec, f.Params
	phi := 1.0
	if s.Damped {
		phi = p.Phi
	}
	m := max(s.M, 1)
	sd := make([]float64, h)
	var phiSum, cum float64
	for i := range sd {
		hh := i + 1
		phiSum += math.Pow(phi, float64(hh))
		sd[i] = math.Sqrt(f.Sigma2 * (1 + cum))
		c := p.Alpha
		if s.Trend == 'A' {
			c += p.Beta * phiSum
		}
		if s.Seasonal && hh%m == 0 {
			c += p.Gamma
		}
		cum += c * c
	}
	return sd
}
