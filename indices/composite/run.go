package composite

import (
	"fmt"
	"math"

	"github.com/riskwatch/riskwatch/indices/smallarea"
)

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
