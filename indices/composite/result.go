package composite

import "github.com/riskwatch/riskwatch/indices/smallarea"

// Count is one indicator's numerator and denominator for one unit and
// window (for KindRate: cases and population; KindLogRatio: count and
// baseline count; KindShare: cases with the property and the cases it is a
// share of). The indicator is missing when either is NaN, and for rates and
// shares when Den ≤ 0.
type Count struct {
	// Num is the numerator and Den the denominator.
	Num, Den float64
}

// Previous is what the job kept from a unit's previous window.
type Previous struct {
	// Values holds the previous window's values used (smoothed, on the value
	// scale, Spec order; NaN = missing). They are re-normalised with the
	// current goalposts, so a goalpost change does not fake a driver. nil:
	// no attribution against the previous window.
	Values []float64
	// State is the hysteresis state returned for the previous window; nil:
	// no hysteresis (the band is taken as computed).
	State *BandState
	// Flag is the previous window's funnel flag (FlagNone when unknown),
	// for an escalation that needs consecutive alerts.
	Flag smallarea.Flag
}

// Unit is one region's input for a window.
type Unit struct {
	// ID identifies the unit (its region code); IDs must be unique.
	ID string
	// Counts has one entry per Spec indicator, in order (see SCRICounts).
	Counts []Count
	// Reliability is a floor the caller sets on the class (for example fair
	// or poor for a stale population vintage); the computed class can only
	// be worse.
	Reliability Reliability
	// Previous is nil for a unit without history.
	Previous *Previous
}

// Reason explains a difference between the index band and the final band.
type Reason string

// The reasons stored with a row.
const (
	ReasonAlertEscalation Reason = "funnel_alert_95_escalation"
	ReasonAlarmEscalation Reason = "funnel_alarm_99.8_escalation"
	ReasonHysteresisHold  Reason = "hysteresis_hold"
	ReasonReliabilityCap  Reason = "low_reliability_cap"
)

// IndicatorValue is one indicator of one unit at every stage.
type IndicatorValue struct {
	// Raw is the unsmoothed value; Value the value used (smoothed where the
	// indicator is smoothed); Normalised its 0–10 goalpost score. All are
	// NaN when the indicator is missing.
	Raw, Value, Normalised float64
	// Shrinkage is the EB weight on the unit's own raw value (rho for
	// shares, a/(a + b/n) for rates); 1 when not smoothed.
	Shrinkage float64
}

// Contribution is one indicator's share in one unit's index.
type Contribution struct {
	// EffectiveWeight is W_d·w_i.
	EffectiveWeight float64
	// Linear is EffectiveWeight·x′_i and Excess is EffectiveWeight·(x′_i −
	// mean_i), the COINr-style linear reading (approximate for a geometric
	// index).
	Linear, Excess float64
	// VsMean and VsPrevious are the exact log-mean attributions of
	// ln(R/R_ref) against the siblings' mean profile and against the
	// previous window (NaN without one).
	VsMean, VsPrevious float64
}

// Driver is one of the top indicators behind a rise of the index.
type Driver struct {
	// Indicator is the indicator's index in the Spec and Code its code.
	Indicator int
	Code      string
	// Attribution is the indicator's term in ln(R/R_ref).
	Attribution float64
	// Raw and Value are the unit's raw and used values; RefValue is the
	// reference: the parent's pooled value (Σ num/Σ den over the siblings)
	// against the mean profile, the previous value used against the previous
	// window.
	Raw, Value, RefValue float64
	// Normalised and RefNormalised are the 0–10 scores compared.
	Normalised, RefNormalised float64
}

// FunnelPoint is a unit's funnel-plot result.
type FunnelPoint struct {
	// Tested is false when the unit had no rate counts or the funnel could
	// not run (fewer than two units, no cases at all, no funnel indicator).
	Tested bool
	smallarea.FunnelUnit
}

// UnitSensitivity is a unit's stability across the sensitivity scenarios.
type UnitSensitivity struct {
	UnitStability
	// AgreementGrid and AgreementNoise split Agreement between the scenario
	// grid and the weight-noise draws (NaN when there were none).
	AgreementGrid, AgreementNoise float64
}

// UnitResult is everything computed for one unit; the job stores it with
// the Result's versions.
type UnitResult struct {
	// ID is the unit's ID.
	ID string
	// Indicators has one entry per Spec indicator.
	Indicators []IndicatorValue
	// MissingShare is the share of indicators that are missing.
	MissingShare float64
	// Cases is the funnel indicator's numerator (NaN when missing).
	Cases float64
	// Reliability is the unit's reliability class: the caller's floor,
	// made poor by missing data, few cases or skipped smoothing.
	Reliability Reliability
	// Dimensions holds D_d per Spec dimension (NaN = NA).
	Dimensions []float64
	// Index is R; Index1dp is R rounded half-up to 1 decimal, the displayed
	// score the band is taken from.
	Index, Index1dp float64
	// BandIndex is the band of Index1dp alone.
	BandIndex Band
	// Rank is 1 for the highest index among the siblings (ties: minimum
	// rank); 0 when the index is NA.
	Rank int
	// Funnel is the unit's funnel-plot result.
	Funnel FunnelPoint
	// Band is the final band after escalation, hysteresis and the cap;
	// Reasons say which of them acted, in that order.
	Band    Band
	Reasons []Reason
	// State is the hysteresis state to pass back as Previous.State next
	// window.
	State BandState
	// Contributions has one entry per Spec indicator.
	Contributions []Contribution
	// LogRatioVsMean and LogRatioVsPrevious are ln(R/R_ref) (NaN when not
	// available).
	LogRatioVsMean, LogRatioVsPrevious float64
	// DriversVsMean and DriversVsPrevious are the top three positive
	// attributions.
	DriversVsMean, DriversVsPrevious []Driver
	// Sensitivity is the unit's stability across the scenarios.
	Sensitivity UnitSensitivity
}

// EBParams are the smoothing parameters of one indicator over the
// siblings.
type EBParams struct {
	// Smoothing is the configured smoothing.
	Smoothing Smoothing
	// Skipped reports that smoothing was configured but skipped (fewer
	// siblings with the indicator present than Spec.Reliability.MinSiblings).
	Skipped bool
	// B is the prior mean (per resident for rates), A the Poisson prior
	// variance, S2 the weighted variance of the raw values.
	B, A, S2 float64
}

// WeightsUsed are the weights of the run.
type WeightsUsed struct {
	// Method is the nominal weighting method.
	Method WeightMethod
	// Indicator holds each indicator's nominal weight within its dimension,
	// Dimension the dimension weights, Effective their products.
	Indicator, Dimension, Effective []float64
	// EntropyVariant is the entropy variant of the Spec; Entropy and
	// EntropyE are the entropy weights (within each dimension) and entropies
	// on the nominal 0–10 scores, always reported; the weights are NaN for
	// a dimension in which no indicator varies.
	EntropyVariant EntropyVariant
	// Entropy and EntropyE: see EntropyVariant.
	Entropy, EntropyE []float64
}

// Params are the run-level quantities.
type Params struct {
	// Theta0 is the parent-level rate Σcases/Σpopulation of the funnel
	// indicator per resident; Theta0PerUnit is it times the indicator's Per.
	Theta0, Theta0PerUnit float64
	// EB has one entry per Spec indicator.
	EB []EBParams
	// Overdispersion is the funnel's overdispersion check (zero when the
	// funnel did not run).
	Overdispersion smallarea.Overdispersion
	// FunnelRan reports whether the funnel guard ran.
	FunnelRan bool
	// Weights are the weights used.
	Weights WeightsUsed
	// MeanProfile is the siblings' mean normalised score per indicator and
	// MeanDimensions its dimension scores (the "why is it high" reference).
	MeanProfile, MeanDimensions []float64
	// Pooled is the parent's pooled value per indicator.
	Pooled []float64
}

// Scenario is one scenario of the sensitivity grid.
type Scenario struct {
	// Name is "smoothing|weights|aggregation", with "|minmax" after the
	// smoothing for in-period min–max normalisation (for example
	// "EB|equal|geo", "raw|entropy|arith").
	Name string
	// Scores, Ranks and Bands hold one entry per unit.
	Scores []float64
	Ranks  []int
	Bands  []Band
	// MeanAbsRankShift is R̄_S against the nominal scenario.
	MeanAbsRankShift float64
}

// NoiseSummary summarises the weight-noise draws.
type NoiseSummary struct {
	// Draws is the number of draws and Factor their relative amplitude.
	Draws  int
	Factor float64
	// MeanAbsRankShift is the mean of R̄_S over the draws.
	MeanAbsRankShift float64
}

// RNGName identifies the generator of the weight noise: Go's math/rand/v2
// PCG (128-bit LCG, DXSM output) seeded with (seed, RNGStream), uniform
// draws from Float64.
const RNGName = "go-math/rand/v2.PCG(seed,0x5c41_57a7_e5c0_11d0).Float64"

// RNGStream is the fixed second PCG seed word.
const RNGStream = 0x5c4157a7e5c011d0

// Result is the output of Run.
type Result struct {
	// Spec is the configuration used (with its Versions); Fingerprint its
	// hash.
	Spec        Spec
	Fingerprint string
	// Seed is the caller's seed of the weight noise; RNG names the
	// generator.
	Seed uint64
	RNG  string
	// Params are the run-level quantities.
	Params Params
	// Units holds one result per input unit, in input order.
	Units []UnitResult
	// Scenarios is the sensitivity grid; the first is the nominal one.
	Scenarios []Scenario
	// Noise summarises the weight-noise draws.
	Noise NoiseSummary
}
