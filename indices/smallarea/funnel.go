package smallarea

import (
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/gonum/mathext"
	"gonum.org/v1/gonum/stat/distuv"
)

// Limits is a two-sided control limit pair on the standardised-ratio scale
// (O/E; multiply by the target rate for limits on the rate scale).
type Limits struct {
	// Lower is the lower limit.
	Lower float64
	// Upper is the upper limit.
	Upper float64
}

// The two funnel levels of RISK_INDEX.md §4.3: 95 % limits ("alert") and
// 99.8 % limits ("alarm"), both two-sided.
const (
	Level95  = 0.95
	Level998 = 0.998
)

func checkLevel(level float64) error {
	if !(level > 0 && level < 1) {
		return fmt.Errorf("%w: coverage level %v is not in (0, 1)", ErrInput, level)
	}
	return nil
}

// PoissonPredictiveLimits returns Spiegelhalter's (2005) exact Poisson
// limits with interpolation for a unit with expected count e at the given
// two-sided coverage level (0.95 or 0.998):
//
//	r_p = the smallest r with P(R ≤ r) ≥ p, R ~ Poisson(e),
//	α = (P(R ≤ r_p) − p)/(P(R ≤ r_p) − P(R ≤ r_p − 1)),
//	limit = (r_p − α)/e,
//
// with p = (1 − level)/2 for the lower and 1 − (1 − level)/2 for the upper
// limit. These are the limits the SCRI flags use (RISK_INDEX.md §5.3).
func PoissonPredictiveLimits(e, level float64) (Limits, error) {
	if err := checkLevel(level); err != nil {
		return Limits{}, err
	}
	if !(e > 0) || math.IsInf(e, 0) {
		return Limits{}, fmt.Errorf("%w: expected count %v is not positive", ErrInput, e)
	}
	tail := (1 - level) / 2
	return Limits{Lower: interpolatedPoissonQuantile(e, tail) / e, Upper: interpolatedPoissonQuantile(e, 1-tail) / e}, nil
}

// poissonCDF returns P(R ≤ r) for R ~ Poisson(mu); r < 0 gives 0.
func poissonCDF(r, mu float64) float64 {
	if r < 0 {
		return 0
	}
	return mathext.GammaIncRegComp(r+1, mu)
}

// interpolatedPoissonQuantile returns r_p − α of Spiegelhalter's rule.
func interpolatedPoissonQuantile(mu, p float64) float64 {
	// Start near the normal approximation and walk to the smallest r with
	// F(r) ≥ p.
	z := distuv.UnitNormal.Quantile(p)
	r := math.Max(0, math.Floor(mu+z*math.Sqrt(mu)))
	for r > 0 && poissonCDF(r-1, mu) >= p {
		r--
	}
	for poissonCDF(r, mu) < p {
		r++
	}
	fr, fr1 := poissonCDF(r, mu), poissonCDF(r-1, mu)
	alpha := (fr - p) / (fr - fr1)
	return r - alpha
}

// PoissonChiSquareLimits returns the exact chi-square confidence interval of
// a Poisson mean, expressed on the ratio scale, as FunnelPlotR draws its
// unadjusted limits for standardised ratios:
//
//	lower = χ²((1−level)/2; 2e)/(2e),  upper = χ²(1−(1−level)/2; 2e + 2)/(2e).
//
// RISK_INDEX.md §4.3 keeps this variant as a cross-check of the gamma code;
// the SCRI flags use PoissonPredictiveLimits. Do not mix the two.
func PoissonChiSquareLimits(e, level float64) (Limits, error) {
	if err := checkLevel(level); err != nil {
		return Limits{}, err
	}
	if !(e > 0) || math.IsInf(e, 0) {
		return Limits{}, fmt.Errorf("%w: expected count %v is not positive", ErrInput, e)
	}
	tail := (1 - level) / 2
	return Limits{
		Lower: ChiSquareQuantile(tail, 2*e) / (2 * e),
		Upper: ChiSquareQuantile(1-tail, 2*e+2) / (2 * e),
	}, nil
}

// NormalLimits returns the normal-approximation limits on the ratio scale,
// 1 ± z·sqrt(1/e + tau2), with z the two-sided standard normal quantile of
// the level. tau2 = 0 gives the plain Poisson approximation; a positive tau2
// gives the additive random-effects limits of Spiegelhalter (2005).
func NormalLimits(e, level, tau2 float64) (Limits, error) {
	if err := checkLevel(level); err != nil {
		return Limits{}, err
	}
	if !(e > 0) || math.IsInf(e, 0) {
		return Limits{}, fmt.Errorf("%w: expected count %v is not positive", ErrInput, e)
	}
	if !(tau2 >= 0) {
		return Limits{}, fmt.Errorf("%w: tau2 %v is negative or NaN", ErrInput, tau2)
	}
	z := TwoSidedZ(level)
	h := z * math.Sqrt(1/e+tau2)
	return Limits{Lower: 1 - h, Upper: 1 + h}, nil
}

// TwoSidedZ returns the standard normal quantile Φ⁻¹(1 − (1 − level)/2):
// 1.959964 for 0.95 and 3.090232 for 0.998.
func TwoSidedZ(level float64) float64 {
	return distuv.UnitNormal.Quantile(1 - (1-level)/2)
}

// ChiSquareQuantile returns the p-quantile of the chi-square distribution
// with df degrees of freedom (df need not be an integer). It starts from
// gonum's inverse regularised gamma function and polishes the root with
// Newton steps, so that the result is accurate to about 1e-12 relative
// (gonum's inverse stops at 1e-6 relative in the lower tail).
func ChiSquareQuantile(p, df float64) float64 {
	switch {
	case math.IsNaN(p) || math.IsNaN(df) || df <= 0 || p < 0 || p > 1:
		return math.NaN()
	case p == 0:
		return 0
	case p == 1:
		return math.Inf(1)
	}
	a := df / 2
	x := mathext.GammaIncRegInv(a, p)
	if math.IsNaN(x) || x <= 0 {
		return 2 * x
	}
	lg, _ := math.Lgamma(a)
	for range 8 {
		var f float64
		if p < 0.5 {
			f = mathext.GammaIncReg(a, x) - p
		} else {
			f = (1 - p) - mathext.GammaIncRegComp(a, x)
		}
		dens := math.Exp((a-1)*math.Log(x) - x - lg)
		if dens == 0 || math.IsInf(dens, 0) {
			break
		}
		step := f / dens
		nx := x - step
		if nx <= 0 {
			nx = x / 2
		}
		if math.Abs(nx-x) <= 1e-15*x {
			x = nx
			break
		}
		x = nx
	}
	return 2 * x
}

// QuantileType7 returns the p-quantile of x by linear interpolation between
// order statistics, R's default quantile type 7: h = (n − 1)p, then
// x_(⌊h⌋) + (h − ⌊h⌋)(x_(⌊h⌋+1) − x_(⌊h⌋)) on the sorted values. NaN values
// are not allowed; an empty x gives NaN.
func QuantileType7(x []float64, p float64) float64 {
	if len(x) == 0 || math.IsNaN(p) {
		return math.NaN()
	}
	s := append([]float64(nil), x...)
	sort.Float64s(s)
	return quantileSorted7(s, p)
}

func quantileSorted7(s []float64, p float64) float64 {
	h := float64(len(s)-1) * p
	lo := math.Floor(h)
	i := int(lo)
	if i >= len(s)-1 {
		return s[len(s)-1]
	}
	if i < 0 {
		return s[0]
	}
	return s[i] + (h-lo)*(s[i+1]-s[i])
}

// Overdispersion is the result of Spiegelhalter's (2005) overdispersion
// check and the additive random-effects variance.
type Overdispersion struct {
	// N is the number of units used (I).
	N int
	// WinsorLower and WinsorUpper are the winsorisation bounds: the type-7
	// quantiles of z at the trim share and at 1 − trim.
	WinsorLower, WinsorUpper float64
	// Phi is the mean of the squared winsorised z-scores.
	Phi float64
	// IPhi is N·Phi, the test statistic.
	IPhi float64
	// ChiSquareCritical is the χ² quantile at the test level with N − 1
	// degrees of freedom.
	ChiSquareCritical float64
	// Overdispersed reports IPhi > ChiSquareCritical.
	Overdispersed bool
	// Tau2 is the additive random-effects variance estimate,
	// max(0, (IPhi − (N − 1)) / (Σw − Σw²/Σw)). It is reported whether or
	// not the data are overdispersed.
	Tau2 float64
	// Tau2Applied is Tau2 when Overdispersed and 0 otherwise: the variance
	// the adjusted limits and z-scores use.
	Tau2Applied float64
}

// EstimateOverdispersion runs the overdispersion check of RISK_INDEX.md §4.3
// on z-scores z_i = (y_i − θ0)/s_i with precision weights w_i = 1/s_i²:
// winsorise z at the trim and 1 − trim quantiles (R type 7), φ = mean of the
// squared winsorised z, overdispersed when N·φ > χ²_testLevel(N − 1), and
// τ² = max(0, (N·φ − (N − 1))/(Σw − Σw²/Σw)) (FunnelPlotR's tau_func). For
// standardised ratios s_i² = 1/E_i, so w_i = E_i. trim = 0.1 and testLevel =
// 0.95 are the SCRI defaults. At least two units are needed.
func EstimateOverdispersion(z, w []float64, trim, testLevel float64) (Overdispersion, error) {
	if len(z) != len(w) {
		return Overdispersion{}, fmt.Errorf("%w: %d z-scores but %d weights", ErrInput, len(z), len(w))
	}
	if len(z) < 2 {
		return Overdispersion{}, fmt.Errorf("%w: overdispersion needs at least 2 units, got %d", ErrInput, len(z))
	}
	if !(trim >= 0 && trim < 0.5) {
		return Overdispersion{}, fmt.Errorf("%w: trim %v is not in [0, 0.5)", ErrInput, trim)
	}
	if err := checkLevel(testLevel); err != nil {
		return Overdispersion{}, err
	}
	for i := range z {
		if math.IsNaN(z[i]) || math.IsInf(z[i], 0) || !(w[i] > 0) || math.IsInf(w[i], 0) {
			return Overdispersion{}, fmt.Errorf("%w: unit %d: z %v, weight %v", ErrInput, i, z[i], w[i])
		}
	}
	s := append([]float64(nil), z...)
	sort.Float64s(s)
	lo, hi := quantileSorted7(s, trim), quantileSorted7(s, 1-trim)
	var sumZ2, sw, sw2 float64
	for i := range z {
		v := math.Min(math.Max(z[i], lo), hi)
		sumZ2 += v * v
		sw += w[i]
		sw2 += w[i] * w[i]
	}
	n := float64(len(z))
	o := Overdispersion{N: len(z), WinsorLower: lo, WinsorUpper: hi}
	o.Phi = sumZ2 / n
	o.IPhi = sumZ2
	o.ChiSquareCritical = ChiSquareQuantile(testLevel, n-1)
	o.Overdispersed = o.IPhi > o.ChiSquareCritical
	if den := sw - sw2/sw; o.IPhi > n-1 && den > 0 {
		o.Tau2 = (o.IPhi - (n - 1)) / den
	}
	if o.Overdispersed {
		o.Tau2Applied = o.Tau2
	}
	return o, nil
}

// Flag is the funnel-plot flag of a unit, ordered by severity.
type Flag int

const (
	// FlagNone means the unit is inside the 95 % limits (or was not tested).
	FlagNone Flag = iota
	// FlagAlert95 means the unit is above the upper 95 % limit.
	FlagAlert95
	// FlagAlarm998 means the unit is above the upper 99.8 % limit.
	FlagAlarm998
)

// String returns the flag's stored name: "none", "alert_95" or
// "alarm_99.8".
func (f Flag) String() string {
	switch f {
	case FlagNone:
		return "none"
	case FlagAlert95:
		return "alert_95"
	case FlagAlarm998:
		return "alarm_99.8"
	}
	return fmt.Sprintf("Flag(%d)", int(f))
}

// FunnelOptions configures SRFunnel.
type FunnelOptions struct {
	// Trim is the winsorisation share at each end for the overdispersion
	// check (SCRI: 0.1).
	Trim float64
	// TestLevel is the χ² test level of the overdispersion check (0.95).
	TestLevel float64
	// AlertLevel and AlarmLevel are the two-sided coverages of the alert and
	// alarm limits (0.95 and 0.998).
	AlertLevel, AlarmLevel float64
}

// DefaultFunnelOptions returns the SCRI v0 settings of RISK_INDEX.md §5.3
// step 7: 10 % winsorisation, χ² test at 0.95, 95 % and 99.8 % limits.
func DefaultFunnelOptions() FunnelOptions {
	return FunnelOptions{Trim: 0.1, TestLevel: 0.95, AlertLevel: Level95, AlarmLevel: Level998}
}

// FunnelUnit is one unit's position on the funnel plot.
type FunnelUnit struct {
	// Observed is the observed count O and Expected the expected count E.
	Observed, Expected float64
	// SR is Observed/Expected.
	SR float64
	// Z is the Poisson z-score (O − E)/√E = (SR − 1)/√(1/E).
	Z float64
	// ZAdj is (SR − 1)/√(1/E + τ²) with the applied τ² (equal to Z when the
	// data are not overdispersed).
	ZAdj float64
	// Alert and Alarm are the exact Poisson predictive limits
	// (PoissonPredictiveLimits) at the alert and alarm levels.
	Alert, Alarm Limits
	// AdjAlert and AdjAlarm are the normal limits with the applied τ²
	// (NormalLimits), the ones to draw when the data are overdispersed.
	AdjAlert, AdjAlarm Limits
	// Flag is the unit's flag; see SRFunnel.
	Flag Flag
}

// Funnel is the funnel-plot analysis of a set of sibling units.
type Funnel struct {
	// Units holds one entry per input unit, in input order.
	Units []FunnelUnit
	// Overdispersion is the check run on the units' z-scores.
	Overdispersion Overdispersion
}

// SRFunnel analyses standardised ratios SR_i = O_i/E_i of sibling units
// against the target 1, as RISK_INDEX.md §5.3 step 7 specifies. The
// overdispersion check runs on the Poisson z-scores with weights E_i. The
// flag of a unit above the target is then:
//   - overdispersed: alarm_99.8 if ZAdj > TwoSidedZ(AlarmLevel), else
//     alert_95 if ZAdj > TwoSidedZ(AlertLevel);
//   - not overdispersed: alarm_99.8 if SR > the exact Poisson upper alarm
//     limit, else alert_95 if SR > the upper alert limit.
//
// Only high units are flagged (the guard raises risk bands; low outliers
// are visible in Z). Every expected count must be positive.
func SRFunnel(observed, expected []float64, opt FunnelOptions) (Funnel, error) {
	if err := checkCounts(observed, expected, "expected count"); err != nil {
		return Funnel{}, fmt.Errorf("cannot analyse the funnel: %w", err)
	}
	if err := checkLevel(opt.AlertLevel); err != nil {
		return Funnel{}, fmt.Errorf("cannot analyse the funnel: alert level: %w", err)
	}
	if err := checkLevel(opt.AlarmLevel); err != nil {
		return Funnel{}, fmt.Errorf("cannot analyse the funnel: alarm level: %w", err)
	}
	n := len(observed)
	units := make([]FunnelUnit, n)
	z := make([]float64, n)
	for i := range observed {
		e := expected[i]
		u := FunnelUnit{Observed: observed[i], Expected: e, SR: observed[i] / e}
		u.Z = (observed[i] - e) / math.Sqrt(e)
		z[i] = u.Z
		var err error
		if u.Alert, err = PoissonPredictiveLimits(e, opt.AlertLevel); err != nil {
			return Funnel{}, fmt.Errorf("cannot analyse the funnel: alert limits of unit %d: %w", i, err)
		}
		if u.Alarm, err = PoissonPredictiveLimits(e, opt.AlarmLevel); err != nil {
			return Funnel{}, fmt.Errorf("cannot analyse the funnel: alarm limits of unit %d: %w", i, err)
		}
		units[i] = u
	}
	od, err := EstimateOverdispersion(z, expected, opt.Trim, opt.TestLevel)
	if err != nil {
		return Funnel{}, fmt.Errorf("cannot analyse the funnel: overdispersion: %w", err)
	}
	zAlert, zAlarm := TwoSidedZ(opt.AlertLevel), TwoSidedZ(opt.AlarmLevel)
	for i := range units {
		u := &units[i]
		u.ZAdj = (u.SR - 1) / math.Sqrt(1/u.Expected+od.Tau2Applied)
		u.AdjAlert, _ = NormalLimits(u.Expected, opt.AlertLevel, od.Tau2Applied)
		u.AdjAlarm, _ = NormalLimits(u.Expected, opt.AlarmLevel, od.Tau2Applied)
		u.Flag = FlagAbove(u.SR, u.ZAdj, u.Alert.Upper, u.Alarm.Upper, zAlert, zAlarm, od.Overdispersed)
	}
	return Funnel{Units: units, Overdispersion: od}, nil
}

// FlagAbove returns the flag of one unit: with overdispersion the adjusted
// z-score is compared with the alert and alarm z thresholds, otherwise the
// ratio is compared with the exact upper limits. Exceeding means strictly
// greater.
func FlagAbove(sr, zAdj, upperAlert, upperAlarm, zAlert, zAlarm float64, overdispersed bool) Flag {
	if overdispersed {
		switch {
		case zAdj > zAlarm:
			return FlagAlarm998
		case zAdj > zAlert:
			return FlagAlert95
		}
		return FlagNone
	}
	switch {
	case sr > upperAlarm:
		return FlagAlarm998
	case sr > upperAlert:
		return FlagAlert95
	}
	return FlagNone
}
