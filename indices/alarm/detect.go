package alarm

import (
	"fmt"
	"math"
	"strings"
)

// Method names accepted by Detect and DefaultParams; the first six are the
// ones of the `riskwatch stat detect --method` contract.
const (
	MethodEARSC1             = "ears-c1"
	MethodEARSC2             = "ears-c2"
	MethodEARSC3             = "ears-c3"
	MethodCUSUM              = "cusum"
	MethodFarringtonFlexible = "farrington-flexible"
	MethodGLRNB              = "glr-nb"
	MethodFarrington         = "farrington"
	MethodBayes              = "bayes"
)

// Methods lists the method names Detect accepts.
var Methods = []string{
	MethodEARSC1, MethodEARSC2, MethodEARSC3, MethodCUSUM, MethodFarringtonFlexible,
	MethodGLRNB, MethodFarrington, MethodBayes,
}

// Params holds the parameters of every detector under their R surveillance
// names, for callers that choose the method by name (the `riskwatch stat
// detect` command line). Each detector reads only its own fields.
//
// Fields are used as they are: start from DefaultParams(method) and
// override what the user set. The exceptions, where 0 means the default,
// are RangeStart and RangeEnd (the detector's default range), Freq (52),
// XMax (10000) and, for EARS only, Alpha and Baseline (earsC's defaults).
type Params struct {
	// Alpha is the significance level (EARS, Farrington, Bayes). For glr-nb
	// it is the negative binomial dispersion α, as algo.glrnb names it
	// (0: Poisson chart; NaN: estimated with μ0).
	Alpha float64
	// Baseline is the number of reference points of EARS.
	Baseline int
	// MinSigma is EARS's floor for the reference standard deviation.
	MinSigma float64
	// K and H are the CUSUM reference value and decision interval.
	K, H float64
	// M is CUSUM's in-control mean m; NaN means the mean of the points
	// before RangeStart.
	M float64
	// Trans is CUSUM's standardisation ("standard", "rossi", "anscombe", …).
	Trans string
	// B is the number of past years (Farrington, Bayes).
	B int
	// W is the half-width of the reference windows (Farrington, Bayes).
	W int
	// Freq is the number of points per year (52 for weekly data).
	Freq int
	// Reweight, WeightsThreshold, Trend, PThresholdTrend, Limit54,
	// PowerTrans, PopulationOffset, Population, NoPeriods,
	// PastWeeksNotIncluded and ThresholdMethod are the Farrington controls
	// (see FarringtonOptions).
	Reweight             bool
	WeightsThreshold     float64
	Trend                bool
	PThresholdTrend      float64
	Limit54              [2]int
	PowerTrans           string
	PopulationOffset     bool
	Population           []float64
	NoPeriods            int
	PastWeeksNotIncluded int
	ThresholdMethod      string
	// CARL is glr-nb's threshold c.ARL.
	CARL float64
	// Mu0 is glr-nb's in-control mean (nil: estimated).
	Mu0 []float64
	// Mtilde and MWindow are glr-nb's Mtilde and M (−1: no window).
	Mtilde, MWindow int
	// Dir and Ret are glr-nb's direction ("inc", "dec") and return value
	// ("value", "cases").
	Dir, Ret string
	// XMax caps glr-nb's search for Ret "cases" (xMax).
	XMax int
	// ActY is algo.bayes's actY.
	ActY bool
	// RangeStart and RangeEnd are the first and last monitored t (1-based,
	// inclusive; earlier points are history only). 0 means the detector's
	// default: the first t with enough history, and the last point.
	RangeStart, RangeEnd int
}

// DefaultParams returns R surveillance's defaults for the method, for
// weekly data (Freq 52).
func DefaultParams(method string) (Params, error) {
	ff := DefaultFarringtonFlexibleOptions()
	cu := DefaultCUSUMOptions()
	gl := DefaultGLRNBOptions()
	p := Params{
		Baseline: 7, K: cu.K, H: cu.H, M: math.NaN(), Trans: cu.Trans,
		B: ff.B, W: ff.W, Freq: 52, Reweight: true, WeightsThreshold: ff.WeightsThreshold,
		Trend: true, PThresholdTrend: ff.PThresholdTrend, Limit54: ff.Limit54, PowerTrans: ff.PowerTrans,
		NoPeriods: ff.NoPeriods, PastWeeksNotIncluded: -1, ThresholdMethod: ff.ThresholdMethod,
		CARL: gl.CARL, Mtilde: gl.Mtilde, MWindow: gl.M, Dir: gl.Dir, Ret: gl.Ret, XMax: gl.XMax, ActY: true,
	}
	switch method {
	case MethodEARSC1, MethodEARSC2:
		p.Alpha = 0.001
	case MethodEARSC3:
		p.Alpha = 0.025
	case MethodCUSUM:
		p.Alpha = cu.Alpha // dispersion of pearsonNegBin
	case MethodFarringtonFlexible, MethodFarrington:
		p.Alpha = 0.05
	case MethodGLRNB:
		p.Alpha = math.NaN()
	case MethodBayes:
		b := Bayes1Options()
		p.Alpha, p.B, p.W, p.ActY = b.Alpha, b.B, b.W, b.ActY
	default:
		return Params{}, unknownMethod(method)
	}
	return p, nil
}

func unknownMethod(method string) error {
	return fmt.Errorf("%w: unknown method %q (want one of %s)", ErrInvalidParam, method, strings.Join(Methods, ", "))
}

// Detect runs the named detector on a count series (observed[i] is t = i+1)
// and returns one Point per monitored t. Errors wrap ErrTooShort when the
// series has too little history for the range and parameters,
// ErrInvalidParam for parameters outside their domain and ErrInvalidData for
// negative or non-finite counts; the message names the reason.
//
// A command line typically does:
//
//	p, err := alarm.DefaultParams(method)
//	// … override the fields whose flags were set …
//	points, err := alarm.Detect(method, observed, p)
func Detect(method string, observed []float64, p Params) ([]Point, error) {
	switch method {
	case MethodEARSC1, MethodEARSC2, MethodEARSC3:
		m, _ := earsMethodName(method)
		return EARS(observed, EARSOptions{Method: m, Alpha: p.Alpha, Baseline: p.Baseline, MinSigma: p.MinSigma, RangeStart: p.RangeStart, RangeEnd: p.RangeEnd})
	case MethodCUSUM:
		return CUSUM(observed, CUSUMOptions{K: p.K, H: p.H, M: p.M, Freq: p.Freq, Trans: p.Trans, Alpha: p.Alpha, RangeStart: p.RangeStart, RangeEnd: p.RangeEnd})
	case MethodFarringtonFlexible:
		return FarringtonFlexible(observed, FarringtonOptions{
			B: p.B, W: p.W, Freq: p.Freq, Reweight: p.Reweight, WeightsThreshold: p.WeightsThreshold,
			Alpha: p.Alpha, Trend: p.Trend, PThresholdTrend: p.PThresholdTrend, Limit54: p.Limit54,
			PowerTrans: p.PowerTrans, PopulationOffset: p.PopulationOffset, Population: p.Population,
			NoPeriods: p.NoPeriods, PastWeeksNotIncluded: p.PastWeeksNotIncluded,
			ThresholdMethod: p.ThresholdMethod, RangeStart: p.RangeStart, RangeEnd: p.RangeEnd,
		})
	case MethodFarrington:
		return FarringtonLegacy(observed, FarringtonLegacyOptions{
			B: p.B, W: p.W, Freq: p.Freq, Reweight: p.Reweight, Alpha: p.Alpha, Trend: p.Trend,
			Limit54: p.Limit54, PowerTrans: p.PowerTrans, RangeStart: p.RangeStart, RangeEnd: p.RangeEnd,
		})
	case MethodGLRNB:
		return GLRNB(observed, GLRNBOptions{
			CARL: p.CARL, Mu0: p.Mu0, Alpha: p.Alpha, Mtilde: p.Mtilde, M: p.MWindow, Dir: p.Dir,
			Ret: p.Ret, XMax: p.XMax, S: 1, Freq: p.Freq, RangeStart: p.RangeStart, RangeEnd: p.RangeEnd,
		})
	case MethodBayes:
		return Bayes(observed, BayesOptions{B: p.B, W: p.W, ActY: p.ActY, Alpha: p.Alpha, Freq: p.Freq, RangeStart: p.RangeStart, RangeEnd: p.RangeEnd})
	}
	return nil, unknownMethod(method)
}
