package composite

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/riskwatch/riskwatch/indices/smallarea"
)

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

// Run computes SCRI v0 (RISK_INDEX.md §5.3) for the sibling units of one
// parent region in one window: raw values, smoothing over the siblings,
// goalpost normalisation, dimension scores, the geometric index, bands,
// the funnel guard with escalation, hysteresis and the low-reliability cap,
// exact attribution against the siblings' mean profile and the previous
// window with the top three drivers, and the sensitivity analysis whose
// weight noise is drawn from a generator seeded with seed. The job should
// derive seed from stable keys (region, window), so reruns agree.
func Run(spec Spec, units []Unit, seed uint64) (*Result, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	if len(units) == 0 {
		return nil, fmt.Errorf("%w: no units", ErrInput)
	}
	nInd, nU := len(spec.Indicators), len(units)
	ids := make(map[string]bool, nU)
	for _, u := range units {
		if ids[u.ID] {
			return nil, fmt.Errorf("%w: unit %q appears twice", ErrInput, u.ID)
		}
		ids[u.ID] = true
		if len(u.Counts) != nInd {
			return nil, fmt.Errorf("%w: unit %q has %d counts for %d indicators", ErrInput, u.ID, len(u.Counts), nInd)
		}
		if u.Previous != nil && u.Previous.Values != nil && len(u.Previous.Values) != nInd {
			return nil, fmt.Errorf("%w: unit %q has %d previous values for %d indicators", ErrInput, u.ID, len(u.Previous.Values), nInd)
		}
		for k, c := range u.Counts {
			if c.Num < 0 || c.Den < 0 || math.IsInf(c.Num, 0) || math.IsInf(c.Den, 0) {
				return nil, fmt.Errorf("%w: unit %q indicator %s: counts %v/%v", ErrInput, u.ID, spec.Indicators[k].Code, c.Num, c.Den)
			}
			if spec.Indicators[k].Kind == KindShare && c.Num > c.Den {
				return nil, fmt.Errorf("%w: unit %q indicator %s: %v out of %v", ErrInput, u.ID, spec.Indicators[k].Code, c.Num, c.Den)
			}
		}
	}
	res := &Result{Spec: spec, Fingerprint: spec.Fingerprint(), Seed: seed, RNG: RNGName, Units: make([]UnitResult, nU)}
	res.Params.EB = make([]EBParams, nInd)
	res.Params.Pooled = make([]float64, nInd)
	for u := range units {
		res.Units[u] = UnitResult{ID: units[u].ID, Indicators: make([]IndicatorValue, nInd), Contributions: make([]Contribution, nInd),
			LogRatioVsMean: math.NaN(), LogRatioVsPrevious: math.NaN()}
	}

	// 1–2. Raw values and smoothing over the siblings.
	skippedFor := make([]bool, nU)
	for k, ind := range spec.Indicators {
		present := presentUnits(units, k, ind.Kind)
		var sn, sd float64
		for _, u := range present {
			sn += units[u].Counts[k].Num
			sd += units[u].Counts[k].Den
		}
		res.Params.Pooled[k] = rawValue(ind, Count{Num: sn, Den: sd})
		for u := range units {
			v := math.NaN()
			if isPresent(units[u].Counts[k], ind.Kind) {
				v = rawValue(ind, units[u].Counts[k])
			}
			iv := &res.Units[u].Indicators[k]
			iv.Raw, iv.Value, iv.Shrinkage = v, v, 1
			if math.IsNaN(v) {
				iv.Shrinkage = math.NaN()
			}
		}
		eb := EBParams{Smoothing: ind.Smoothing, B: math.NaN(), A: math.NaN(), S2: math.NaN()}
		if ind.Smoothing != SmoothNone {
			if len(present) < spec.Reliability.MinSiblings {
				eb.Skipped = true
				for _, u := range present {
					skippedFor[u] = true
				}
			} else if err := smooth(ind, units, k, present, res, &eb); err != nil {
				return nil, fmt.Errorf("indicator %s: %w", ind.Code, err)
			}
		}
		res.Params.EB[k] = eb
	}

	// 3–4. Normalisation (nominal: smoothed values, goalposts).
	xEB := matrix(nU, nInd)
	xRaw := matrix(nU, nInd)
	for u := range units {
		for k, ind := range spec.Indicators {
			iv := &res.Units[u].Indicators[k]
			iv.Normalised = ind.Goalposts.Score(iv.Value)
			xEB[u][k] = iv.Normalised
			xRaw[u][k] = ind.Goalposts.Score(iv.Raw)
		}
	}

	// Weights.
	dimOf, _ := spec.dimIndex()
	baseW := make([]float64, nInd)
	for k, ind := range spec.Indicators {
		baseW[k] = ind.Weight
	}
	dimW := make([]float64, len(spec.Dimensions))
	for d, dim := range spec.Dimensions {
		dimW[d] = dim.Weight
	}
	base, err := NewStructure(dimOf, baseW, dimW, spec.Floor, spec.MinPresentShare)
	if err != nil {
		return nil, err
	}
	entW, entE := entropyWithin(base, xEB, spec.Weighting.Entropy)
	nominal := base
	switch spec.Weighting.Method {
	case WeightsAHP:
		w, err := spec.ahpWeights(base)
		if err != nil {
			return nil, err
		}
		if nominal, err = base.WithWeights(w, nil); err != nil {
			return nil, err
		}
	case WeightsEntropyBlend:
		if nominal, err = blendWithin(base, entW, spec.Weighting); err != nil {
			return nil, err
		}
	}
	res.Params.Weights = WeightsUsed{Method: spec.Weighting.Method, Indicator: nominal.IndicatorWeights, Dimension: nominal.DimensionWeights,
		Effective: nominal.EffectiveWeights(), EntropyVariant: spec.Weighting.Entropy, Entropy: entW, EntropyE: entE}

	// 5–6. Dimensions, index, bands, ranks.
	scores := make([]float64, nU)
	for u := range units {
		r := &res.Units[u]
		r.Dimensions = nominal.Dimensions(xEB[u], nil)
		r.Index = nominal.Geometric(r.Dimensions)
		r.Index1dp = RoundHalfUp1(r.Index)
		r.BandIndex = spec.Bands.Band(r.Index1dp)
		scores[u] = r.Index
	}
	ranks := Ranks(scores)
	for u := range units {
		res.Units[u].Rank = ranks[u]
	}

	// 7. Funnel guard.
	runFunnel(spec, units, res)

	// Reliability.
	for u := range units {
		r := &res.Units[u]
		missing := 0
		for k := range spec.Indicators {
			if math.IsNaN(r.Indicators[k].Value) {
				missing++
			}
		}
		r.MissingShare = float64(missing) / float64(nInd)
		r.Cases = math.NaN()
		if fi := spec.funnelIndex(); fi >= 0 && isPresent(units[u].Counts[fi], KindRate) {
			r.Cases = units[u].Counts[fi].Num
		}
		rel := units[u].Reliability
		if r.MissingShare > spec.Reliability.MaxMissingShare+1e-12 || skippedFor[u] ||
			(spec.funnelIndex() >= 0 && !(r.Cases >= spec.Reliability.MinCases)) {
			rel = ReliabilityPoor
		}
		r.Reliability = rel
	}

	// 8. Final band: escalation, hysteresis, cap.
	for u := range units {
		r := &res.Units[u]
		var prev *BandState
		prevFlag := smallarea.FlagNone
		if p := units[u].Previous; p != nil {
			prev, prevFlag = p.State, p.Flag
		}
		r.Band, r.State, r.Reasons = spec.FinalBand(r.BandIndex, r.Index1dp, r.Funnel.Flag, prevFlag, r.Reliability, prev)
	}

	// Explanation: contributions and attributions.
	explain(spec, nominal, units, xEB, res)

	// Sensitivity.
	if err := sensitivity(spec, nominal, xEB, xRaw, seed, res); err != nil {
		return nil, err
	}
	return res, nil
}

func matrix(r, c int) [][]float64 {
	m := make([][]float64, r)
	buf := make([]float64, r*c)
	for i := range m {
		m[i] = buf[i*c : (i+1)*c : (i+1)*c]
	}
	return m
}

func isPresent(c Count, kind Kind) bool {
	if math.IsNaN(c.Num) || math.IsNaN(c.Den) {
		return false
	}
	return kind == KindLogRatio || c.Den > 0
}

func presentUnits(units []Unit, k int, kind Kind) []int {
	var p []int
	for u := range units {
		if isPresent(units[u].Counts[k], kind) {
			p = append(p, u)
		}
	}
	return p
}

func rawValue(ind IndicatorSpec, c Count) float64 {
	if !isPresent(c, ind.Kind) {
		return math.NaN()
	}
	switch ind.Kind {
	case KindRate:
		return ind.Per * c.Num / c.Den
	case KindLogRatio:
		return math.Log((c.Num + 0.5) / (c.Den + 0.5))
	}
	return c.Num / c.Den
}

// smooth applies the indicator's EB over the present units.
func smooth(ind IndicatorSpec, units []Unit, k int, present []int, res *Result, eb *EBParams) error {
	num := make([]float64, len(present))
	den := make([]float64, len(present))
	for i, u := range present {
		num[i], den[i] = units[u].Counts[k].Num, units[u].Counts[k].Den
	}
	switch ind.Smoothing {
	case SmoothPoissonEB:
		p, err := smallarea.GlobalPoisson(num, den)
		if err != nil {
			return err
		}
		eb.A, eb.B, eb.S2 = p.A, p.B, p.S2
		for i, u := range present {
			iv := &res.Units[u].Indicators[k]
			iv.Value, iv.Shrinkage = ind.Per*p.Estimate[i], p.Shrinkage[i]
		}
	case SmoothBinomialEB:
		p, err := smallarea.GlobalBinomial(num, den, true)
		if err != nil {
			return err
		}
		eb.B, eb.S2 = p.B, p.S2
		for i, u := range present {
			iv := &res.Units[u].Indicators[k]
			iv.Value, iv.Shrinkage = p.Estimate[i], p.Rho[i]
		}
	}
	return nil
}

// entropyWithin returns entropy weights computed separately in each
// dimension on x (NaN for a dimension without dispersion).
func entropyWithin(s Structure, x [][]float64, variant EntropyVariant) (w, e []float64) {
	w = make([]float64, len(s.IndicatorWeights))
	e = make([]float64, len(s.IndicatorWeights))
	for _, m := range s.Members {
		sub := make([][]float64, len(x))
		for u := range x {
			sub[u] = make([]float64, len(m))
			for j, i := range m {
				sub[u][j] = x[u][i]
			}
		}
		r, err := EntropyWeights(sub, variant, nil, 0)
		for j, i := range m {
			e[i] = r.E[j]
			if err != nil {
				w[i] = math.NaN()
			} else {
				w[i] = r.Weights[j]
			}
		}
	}
	return w, e
}

// alternativeWeights returns the structure with entropy (pure or blended)
// weights computed on x; a dimension without dispersion keeps its base
// weights.
func alternativeWeights(base Structure, x [][]float64, method WeightMethod, ws WeightingSpec) (Structure, error) {
	entW, _ := entropyWithin(base, x, ws.Entropy)
	if method == WeightsEntropyBlend {
		return blendWithin(base, entW, ws)
	}
	w := append([]float64(nil), entW...)
	for _, m := range base.Members {
		if math.IsNaN(w[m[0]]) {
			for _, i := range m {
				w[i] = base.IndicatorWeights[i]
			}
		}
	}
	return base.WithWeights(w, nil)
}

// blendWithin blends base and entropy weights in each dimension (α·base +
// (1 − α)·entropy) and bounds them to [BoundLo, BoundHi]× the equal
// weight; a dimension without dispersion keeps its base weights.
func blendWithin(base Structure, entW []float64, ws WeightingSpec) (Structure, error) {
	w := make([]float64, len(base.IndicatorWeights))
	for _, m := range base.Members {
		b := make([]float64, len(m))
		e := make([]float64, len(m))
		for j, i := range m {
			b[j], e[j] = base.IndicatorWeights[i], entW[i]
		}
		out := b
		if !math.IsNaN(e[0]) {
			bl, err := Blend(b, e, ws.Alpha)
			if err != nil {
				return Structure{}, err
			}
			eq := 1 / float64(len(m))
			if out, err = Bound(bl, ws.BoundLo*eq, ws.BoundHi*eq); err != nil {
				return Structure{}, err
			}
		}
		for j, i := range m {
			w[i] = out[j]
		}
	}
	return base.WithWeights(w, nil)
}

func runFunnel(spec Spec, units []Unit, res *Result) {
	fi := spec.funnelIndex()
	if fi < 0 {
		return
	}
	present := presentUnits(units, fi, KindRate)
	if len(present) < 2 {
		return
	}
	obs := make([]float64, len(present))
	pop := make([]float64, len(present))
	for i, u := range present {
		obs[i], pop[i] = units[u].Counts[fi].Num, units[u].Counts[fi].Den
	}
	exp, theta0, err := smallarea.ExpectedCounts(obs, pop)
	if err != nil || !(theta0 > 0) {
		return
	}
	res.Params.Theta0, res.Params.Theta0PerUnit = theta0, theta0*spec.Indicators[fi].Per
	f, err := smallarea.SRFunnel(obs, exp, spec.Funnel)
	if err != nil {
		return
	}
	res.Params.FunnelRan = true
	res.Params.Overdispersion = f.Overdispersion
	for i, u := range present {
		res.Units[u].Funnel = FunnelPoint{Tested: true, FunnelUnit: f.Units[i]}
	}
}

func explain(spec Spec, st Structure, units []Unit, x [][]float64, res *Result) {
	nInd := len(spec.Indicators)
	mean := make([]float64, nInd)
	for k := range mean {
		var s float64
		n := 0
		for u := range x {
			if !math.IsNaN(x[u][k]) {
				s += x[u][k]
				n++
			}
		}
		mean[k] = math.NaN()
		if n > 0 {
			mean[k] = s / float64(n)
		}
	}
	res.Params.MeanProfile = mean
	res.Params.MeanDimensions = st.Dimensions(mean, nil)
	eff := st.EffectiveWeights()
	for u := range units {
		r := &res.Units[u]
		for k := range r.Contributions {
			c := &r.Contributions[k]
			c.EffectiveWeight = eff[k]
			c.Linear = eff[k] * x[u][k]
			c.Excess = eff[k] * (x[u][k] - mean[k])
			c.VsMean, c.VsPrevious = math.NaN(), math.NaN()
		}
		if a, err := st.Attribute(x[u], mean); err == nil {
			r.LogRatioVsMean = a.LogRatio
			for k, t := range a.Terms {
				r.Contributions[k].VsMean = t
			}
			for _, k := range TopPositive(a.Terms, 3) {
				r.DriversVsMean = append(r.DriversVsMean, Driver{Indicator: k, Code: spec.Indicators[k].Code, Attribution: a.Terms[k],
					Raw: r.Indicators[k].Raw, Value: r.Indicators[k].Value, RefValue: res.Params.Pooled[k],
					Normalised: x[u][k], RefNormalised: mean[k]})
			}
		}
		p := units[u].Previous
		if p == nil || p.Values == nil {
			continue
		}
		prev := make([]float64, nInd)
		for k, ind := range spec.Indicators {
			prev[k] = ind.Goalposts.Score(p.Values[k])
		}
		if a, err := st.Attribute(x[u], prev); err == nil {
			r.LogRatioVsPrevious = a.LogRatio
			for k, t := range a.Terms {
				r.Contributions[k].VsPrevious = t
			}
			for _, k := range TopPositive(a.Terms, 3) {
				r.DriversVsPrevious = append(r.DriversVsPrevious, Driver{Indicator: k, Code: spec.Indicators[k].Code, Attribution: a.Terms[k],
					Raw: r.Indicators[k].Raw, Value: r.Indicators[k].Value, RefValue: p.Values[k],
					Normalised: x[u][k], RefNormalised: prev[k]})
			}
		}
	}
}

// minMaxWithin normalises each indicator to 0–10 by in-period min–max on
// its transformed value (sensitivity only).
func minMaxWithin(spec Spec, values func(u, k int) float64, nU int) [][]float64 {
	x := matrix(nU, len(spec.Indicators))
	col := make([]float64, nU)
	for k, ind := range spec.Indicators {
		for u := 0; u < nU; u++ {
			col[u] = ind.Goalposts.Transform.Apply(values(u, k))
		}
		for u, v := range MinMax(col, 0, 10) {
			x[u][k] = v
		}
	}
	return x
}

func sensitivity(spec Spec, nominal Structure, xEB, xRaw [][]float64, seed uint64, res *Result) error {
	se := spec.Sensitivity
	nU := len(res.Units)
	type input struct {
		name string
		x    [][]float64
	}
	smoothings := []input{{"EB", xEB}}
	if se.Smoothing {
		smoothings = append(smoothings, input{"raw", xRaw})
	}
	var inputs []input
	for _, s := range smoothings {
		inputs = append(inputs, s)
		if se.MinMax {
			vals := func(u, k int) float64 { return res.Units[u].Indicators[k].Value }
			if s.name == "raw" {
				vals = func(u, k int) float64 { return res.Units[u].Indicators[k].Raw }
			}
			inputs = append(inputs, input{s.name + "|minmax", minMaxWithin(spec, vals, nU)})
		}
	}
	nominalBands := make([]Band, nU)
	for u := range res.Units {
		nominalBands[u] = res.Units[u].BandIndex
	}
	var allBands [][]Band
	var allRanks [][]int
	dims := make([]float64, len(nominal.Members))
	idx := make([]int, 0, nU)
	score := func(st Structure, x [][]float64, geo bool, scores []float64, bands []Band) {
		for u := range x {
			dims = st.Dimensions(x[u], dims)
			if geo {
				scores[u] = st.Geometric(dims)
			} else {
				scores[u] = st.Arithmetic(dims)
			}
			bands[u] = spec.Bands.Band(RoundHalfUp1(scores[u]))
		}
	}
	for _, in := range inputs {
		weights := []struct {
			name string
			st   Structure
		}{{string(spec.Weighting.Method), nominal}}
		if se.Weights != "" {
			alt, err := alternativeWeights(nominal, in.x, se.Weights, spec.Weighting)
			if err != nil {
				return fmt.Errorf("cannot draw the alternative weights of %s: %w", in.name, err)
			}
			weights = append(weights, struct {
				name string
				st   Structure
			}{string(se.Weights), alt})
		}
		for _, w := range weights {
			aggs := []string{"geo"}
			if se.Aggregation {
				aggs = append(aggs, "arith")
			}
			for _, agg := range aggs {
				sc := Scenario{Name: in.name + "|" + w.name + "|" + agg, Scores: make([]float64, nU), Bands: make([]Band, nU)}
				score(w.st, in.x, agg == "geo", sc.Scores, sc.Bands)
				sc.Ranks = ranksInto(sc.Scores, nil, idx)
				res.Scenarios = append(res.Scenarios, sc)
				allBands = append(allBands, sc.Bands)
				allRanks = append(allRanks, sc.Ranks)
			}
		}
	}
	nominalRanks := res.Scenarios[0].Ranks
	for i := range res.Scenarios {
		res.Scenarios[i].MeanAbsRankShift = MeanAbsRankShift(nominalRanks, res.Scenarios[i].Ranks)
	}
	nGrid := len(allBands)

	res.Noise = NoiseSummary{Draws: se.NoiseDraws, Factor: se.NoiseFactor, MeanAbsRankShift: math.NaN()}
	if se.NoiseDraws > 0 {
		rng := rand.New(rand.NewPCG(seed, RNGStream))
		dimOf := nominal.dimOf()
		iw := make([]float64, len(nominal.IndicatorWeights))
		sub := make([]float64, 0, len(iw))
		var shift float64
		for range se.NoiseDraws {
			for _, m := range nominal.Members {
				sub = sub[:0]
				for _, i := range m {
					sub = append(sub, nominal.IndicatorWeights[i])
				}
				for j, v := range Noisy(sub, se.NoiseFactor, rng) {
					iw[m[j]] = v
				}
			}
			dw := Noisy(nominal.DimensionWeights, se.NoiseFactor, rng)
			st, err := NewStructure(dimOf, iw, dw, nominal.Floor, nominal.MinShare)
			if err != nil {
				return fmt.Errorf("cannot build the structure of the noisy weights: %w", err)
			}
			scores := make([]float64, nU)
			bands := make([]Band, nU)
			score(st, xEB, true, scores, bands)
			ranks := ranksInto(scores, nil, idx)
			shift += MeanAbsRankShift(nominalRanks, ranks)
			allBands = append(allBands, bands)
			allRanks = append(allRanks, ranks)
		}
		res.Noise.MeanAbsRankShift = shift / float64(se.NoiseDraws)
	}

	all := Stability(nominalBands, allBands, allRanks, se.UnstableBelow)
	grid := Stability(nominalBands, allBands[:nGrid], allRanks[:nGrid], se.UnstableBelow)
	var noise []UnitStability
	if len(allBands) > nGrid {
		noise = Stability(nominalBands, allBands[nGrid:], allRanks[nGrid:], se.UnstableBelow)
	}
	for u := range res.Units {
		us := UnitSensitivity{UnitStability: all[u], AgreementGrid: grid[u].Agreement, AgreementNoise: math.NaN()}
		if noise != nil {
			us.AgreementNoise = noise[u].Agreement
		}
		res.Units[u].Sensitivity = us
	}
	return nil
}
