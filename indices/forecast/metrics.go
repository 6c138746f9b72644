package forecast

import "math"

// MASEScale is the in-sample mean absolute error of the seasonal naive
// method with period m (naive when the history is shorter than m+2 or m ≤ 1):
// the denominator of MASE. It is NaN when the series has fewer than two
// observations.
func MASEScale(y []float64, m int) float64 {
	if m < 1 || len(y) < m+2 {
		m = 1
	}
	if len(y) < m+1 {
		return math.NaN()
	}
	var s float64
	for t := m; t < len(y); t++ {
		s += math.Abs(y[t] - y[t-m])
	}
	return s / float64(len(y)-m)
}

// SMAPE is 200·|y − f| / (|y| + |f|), 0 when both are 0.
func SMAPE(y, f float64) float64 {
	d := math.Abs(y) + math.Abs(f)
	if d == 0 {
		return 0
	}
	return 200 * math.Abs(y-f) / d
}

// Pinball is the quantile loss of quantile q at level p for outcome y.
func Pinball(y, q, p float64) float64 {
	if y >= q {
		return p * (y - q)
	}
	return (1 - p) * (q - y)
}

// PinballLevels are the levels scored by MeanPinball.
var PinballLevels = []float64{0.025, 0.1, 0.5, 0.9, 0.975}

// MeanPinball is the mean pinball loss of forecast horizon index i over
// PinballLevels (the median is the point forecast).
func MeanPinball(f Forecast, i int, y float64) float64 {
	var s float64
	for _, p := range PinballLevels {
		s += Pinball(y, f.Quantile(i, p), p)
	}
	return s / float64(len(PinballLevels))
}

// Score accumulates forecast errors of one method over many forecasts.
type Score struct {
	N                   int
	AbsErr, ScaledAbs   float64 // Σ|y−f| and Σ|y−f|/scale
	SMAPESum            float64
	SMAPEN              int
	In80, In95          int
	PinballSum          float64
	NaiveAbs, NaiveScal float64 // the same for the seasonal naive benchmark
}

// Add scores one outcome y against forecast f at horizon index i, with the
// benchmark's point forecast naive and the series' MASE scale.
func (s *Score) Add(f Forecast, i int, y, naive, scale float64) {
	s.N++
	e := math.Abs(y - f.Point[i])
	s.AbsErr += e
	s.NaiveAbs += math.Abs(y - naive)
	if scale > 0 && !math.IsNaN(scale) {
		s.ScaledAbs += e / scale
		s.NaiveScal += math.Abs(y-naive) / scale
	}
	if y != 0 || f.Point[i] != 0 {
		s.SMAPESum += SMAPE(y, f.Point[i])
		s.SMAPEN++
	}
	if y >= f.Lo80[i] && y <= f.Hi80[i] {
		s.In80++
	}
	if y >= f.Lo95[i] && y <= f.Hi95[i] {
		s.In95++
	}
	s.PinballSum += MeanPinball(f, i, y)
}

// Merge adds the counts of o.
func (s *Score) Merge(o Score) {
	s.N += o.N
	s.AbsErr += o.AbsErr
	s.ScaledAbs += o.ScaledAbs
	s.SMAPESum += o.SMAPESum
	s.SMAPEN += o.SMAPEN
	s.In80 += o.In80
	s.In95 += o.In95
	s.PinballSum += o.PinballSum
	s.NaiveAbs += o.NaiveAbs
	s.NaiveScal += o.NaiveScal
}

// MASE is the mean scaled absolute error.
func (s Score) MASE() float64 { return s.ScaledAbs / float64(s.N) }

// MASERatio is the MASE of the method over the MASE of seasonal naive on the
// same forecasts (both scaled the same way).
func (s Score) MASERatio() float64 { return s.ScaledAbs / s.NaiveScal }

// SMAPE is the mean sMAPE over the forecasts where the outcome or the
// forecast is non-zero.
func (s Score) SMAPE() float64 { return s.SMAPESum / float64(s.SMAPEN) }

// Coverage80 and Coverage95 are the shares of outcomes inside the intervals.
func (s Score) Coverage80() float64 { return float64(s.In80) / float64(s.N) }

// Coverage95 is the share of outcomes inside the 95 % interval.
func (s Score) Coverage95() float64 { return float64(s.In95) / float64(s.N) }

// Pinball is the mean pinball loss over PinballLevels.
func (s Score) Pinball() float64 { return s.PinballSum / float64(s.N) }
