package spatial

import (
	"errors"
	"math"
)

// MoranStats is global Moran's I with its moments under the normality and
// the randomisation nulls, as esda's Moran with analytic inference.
type MoranStats struct {
	I  float64
	EI float64 // −1/(n−1) under both nulls
	// VINorm and VIRand are the variances of I under normality and under
	// randomisation (Cliff and Ord).
	VINorm, VIRand float64
	ZNorm, ZRand   float64
	// PNorm and PRand are two-sided normal p-values (esda's default
	// two_tailed=True); the one-tailed values are exactly half.
	PNorm, PRand float64
}

// Moran computes global Moran's I = (n/S0) Σ_ij w_ij z_i z_j / Σ_i z_i²,
// z = y − ȳ, after applying transform t to the weights (esda's default is
// RowStandardized), with esda Moran's analytic moments:
//
//	E[I]       = −1/(n−1)
//	V_norm[I]  = (n² S1 − n S2 + 3 S0²) / ((n−1)(n+1) S0²) − E[I]²
//	V_rand[I]  = (n((n²−3n+3)S1 − nS2 + 3S0²) − k((n²−n)S1 − 2nS2 + 6S0²))
//	             / ((n−1)(n−2)(n−3) S0²) − E[I]²,   k = m4/m2²
//
// Self weights are used as given.
func Moran(y []float64, w *Weights, t Transform) (*MoranStats, error) {
	if err := checkValues(y, w); err != nil {
		return nil, err
	}
	if len(y) < 4 {
		return nil, errors.New("cannot compute Moran's I: it needs at least 4 units")
	}
	tw, err := w.Transformed(t)
	if err != nil {
		return nil, err
	}
	n := float64(len(y))
	z := centred(y)
	var z2, z4 float64
	for _, v := range z {
		z2 += v * v
		z4 += v * v * v * v
	}
	if z2 == 0 {
		return nil, errors.New("cannot compute Moran's I: it is undefined for constant values")
	}
	lag := tw.lag(z)
	var num float64
	for i := range z {
		num += z[i] * lag[i]
	}
	s0, s1, s2 := tw.sums()
	st := &MoranStats{I: n / s0 * num / z2, EI: -1 / (n - 1)}
	n2, s02 := n*n, s0*s0
	st.VINorm = (n2*s1-n*s2+3*s02)/((n-1)*(n+1)*s02) - (1/(n-1))*(1/(n-1))
	k := (z4 / n) / ((z2 / n) * (z2 / n))
	a := n * ((n2-3*n+3)*s1 - n*s2 + 3*s02)
	b := k * ((n2-n)*s1 - 2*n*s2 + 6*s02)
	st.VIRand = (a-b)/((n-1)*(n-2)*(n-3)*s02) - st.EI*st.EI
	st.ZNorm = (st.I - st.EI) / math.Sqrt(st.VINorm)
	st.ZRand = (st.I - st.EI) / math.Sqrt(st.VIRand)
	st.PNorm = normalP(st.ZNorm, true)
	st.PRand = normalP(st.ZRand, true)
	return st, nil
}

// MoranRate computes global Moran's I of event rates e_i/b_i after the
// Assunção–Reis empirical Bayes standardisation (see AssuncaoReisRate), as
// esda's Moran_Rate with adjusted=True.
func MoranRate(events, base []float64, w *Weights, t Transform) (*MoranStats, error) {
	r, err := AssuncaoReisRate(events, base)
	if err != nil {
		return nil, err
	}
	return Moran(r, w, t)
}

// AssuncaoReisRate returns the Assunção–Reis (1999) empirical Bayes
// standardised rates of events e_i over populations b_i, as esda's
// assuncao_rate:
//
//	r_i = e_i/b_i,  β = Σe/Σb,  α = Σ b_i (r_i − β)²/Σb − β/(Σb/n)
//	v_i = α + β/b_i (β/b_i when negative),  z_i = (r_i − β)/√v_i
//
// Every population must be positive.
func AssuncaoReisRate(events, base []float64) ([]float64, error) {
	if len(events) != len(base) {
		return nil, errors.New("events and populations differ in length")
	}
	if len(events) == 0 {
		return nil, errors.New("no units")
	}
	var se, sb float64
	for i := range events {
		if !finite(events[i]) || !finite(base[i]) || base[i] <= 0 {
			return nil, errors.New("events must be finite and populations positive")
		}
		se += events[i]
		sb += base[i]
	}
	n := float64(len(events))
	beta := se / sb
	var s2 float64
	for i := range events {
		d := events[i]/base[i] - beta
		s2 += base[i] * d * d
	}
	s2 /= sb
	alpha := s2 - beta/(sb/n)
	out := make([]float64, len(events))
	for i := range events {
		v := alpha + beta/base[i]
		if v < 0 {
			v = beta / base[i]
		}
		out[i] = (events[i]/base[i] - beta) / math.Sqrt(v)
	}
	return out, nil
}

// LocalMoranStats holds local Moran's I_i of every unit with its moments
// under the two nulls esda Moran_Local computes analytically: total
// randomisation (Sokal et al. 1998, A3/A4) and conditional randomisation
// (A7/A8, conditioning on z_i).
type LocalMoranStats struct {
	I []float64 // I_i (esda Is)
	// EI and VI are the expectation and variance under total randomisation.
	EI, VI []float64
	// EIc and VIc are the expectation and variance under conditional
	// randomisation.
	EIc, VIc []float64
	// Z and P are the z-score (I − EI)/√VI and its one-sided normal p-value
	// P(Z > |z|); ZC and PC use EIc and VIc.
	Z, P, ZC, PC []float64
	// Quadrant is the Moran scatter-plot quadrant in PySAL's numbering:
	// 1 high-high, 2 low-high, 3 low-low, 4 high-low (a value or lag of
	// exactly zero counts as low).
	Quadrant []int
}

// LocalMoran computes local Moran's I_i = (n−1) z_i (Wz)_i / Σ_j z_j² with
// z = (y − ȳ)/σ (σ the population standard deviation), after applying
// transform t to the weights (esda's default is RowStandardized), as esda's
// Moran_Local. With m2 = Σz²/n, m4 = Σz⁴/n, b2 = m4/m2², w_i = Σ_j w_ij
// and w_i2 = Σ_j w_ij²:
//
//	EI_i  = −w_i/(n−1)
//	VI_i  = w_i2(n−b2)/(n−1) + (w_i² − w_i2)(2b2−n)/((n−1)(n−2)) − (w_i/(n−1))²
//	EIc_i = −z_i² w_i/((n−1) m2)
//	VIc_i = (z_i/m2)² · n/(n−2) · (w_i2 − w_i²/(n−1)) · (m2 − z_i²/(n−1))
//
// esda reports no analytic z or p for local Moran (only permutation ones);
// Z, P, ZC and PC here are the normal approximations from these moments.
func LocalMoran(y []float64, w *Weights, t Transform) (*LocalMoranStats, error) {
	if err := checkValues(y, w); err != nil {
		return nil, err
	}
	if len(y) < 3 {
		return nil, errors.New("local Moran needs at least 3 units")
	}
	tw, err := w.Transformed(t)
	if err != nil {
		return nil, err
	}
	n := len(y)
	nf := float64(n)
	z := centred(y)
	var z2 float64
	for _, v := range z {
		z2 += v * v
	}
	sd := math.Sqrt(z2 / nf)
	if sd == 0 {
		return nil, errors.New("local Moran is undefined for constant values")
	}
	for i := range z {
		z[i] /= sd
	}
	lag := tw.lag(z)
	var den, m4 float64
	for _, v := range z {
		den += v * v
		m4 += v * v * v * v
	}
	m2 := den / nf
	m4 /= nf
	b2 := m4 / (m2 * m2)
	n1 := nf - 1

	st := &LocalMoranStats{
		I: make([]float64, n), EI: make([]float64, n), VI: make([]float64, n),
		EIc: make([]float64, n), VIc: make([]float64, n),
		Z: make([]float64, n), P: make([]float64, n), ZC: make([]float64, n), PC: make([]float64, n),
		Quadrant: make([]int, n),
	}
	for i := range z {
		var wi, wi2 float64
		for _, v := range tw.wt[i] {
			wi += v
			wi2 += v * v
		}
		st.I[i] = n1 * z[i] * lag[i] / den
		st.EI[i] = -wi / n1
		st.VI[i] = wi2*(nf-b2)/n1 + (wi*wi-wi2)*(2*b2-nf)/(n1*(nf-2)) - (wi/n1)*(wi/n1)
		zi2 := z[i] * z[i]
		st.EIc[i] = -zi2 * wi / (n1 * m2)
		st.VIc[i] = (z[i] / m2) * (z[i] / m2) * (nf / (nf - 2)) * (wi2 - wi*wi/n1) * (m2 - zi2/n1)
		st.Z[i] = zScore(st.I[i], st.EI[i], st.VI[i])
		st.P[i] = normalP(st.Z[i], false)
		st.ZC[i] = zScore(st.I[i], st.EIc[i], st.VIc[i])
		st.PC[i] = normalP(st.ZC[i], false)
		highZ, highLag := z[i] > 0, lag[i] > 0
		switch {
		case highZ && highLag:
			st.Quadrant[i] = 1
		case !highZ && highLag:
			st.Quadrant[i] = 2
		case !highZ && !highLag:
			st.Quadrant[i] = 3
		default:
			st.Quadrant[i] = 4
		}
	}
	return st, nil
}

// zScore returns (x − e)/√v, NaN when v is not positive.
func zScore(x, e, v float64) float64 {
	if !(v > 0) {
		return math.NaN()
	}
	return (x - e) / math.Sqrt(v)
}

// centred returns y − mean(y).
func centred(y []float64) []float64 {
	var s float64
	for _, v := range y {
		s += v
	}
	m := s / float64(len(y))
	z := make([]float64, len(y))
	for i, v := range y {
		z[i] = v - m
	}
	return z
}

// lag returns the spatial lag Wx.
func (w *Weights) lag(x []float64) []float64 {
	out := make([]float64, len(x))
	for i, row := range w.nbr {
		var s float64
		for k, j := range row {
			s += w.wt[i][k] * x[j]
		}
		out[i] = s
	}
	return out
}
