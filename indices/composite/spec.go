package composite

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"

	"github.com/riskwatch/riskwatch/indices/smallarea"
)

// Kind says how an indicator's raw value is formed from its counts.
type Kind int

const (
	// KindRate is Per·Num/Den: cases per Per residents (A1: Per = 10⁴).
	KindRate Kind = iota
	// KindLogRatio is ln((Num + 0.5)/(Den + 0.5)): growth of a count over
	// its baseline with the continuity correction (A2).
	KindLogRatio
	// KindShare is Num/Den, a proportion (A3–C3).
	KindShare
)

// String returns "rate", "log_ratio" or "share".
func (k Kind) String() string {
	switch k {
	case KindRate:
		return "rate"
	case KindLogRatio:
		return "log_ratio"
	case KindShare:
		return "share"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Smoothing says how an indicator is smoothed across siblings.
type Smoothing int

const (
	// SmoothNone uses the raw value.
	SmoothNone Smoothing = iota
	// SmoothPoissonEB is Marshall's global Poisson EB over the siblings
	// (rates).
	SmoothPoissonEB
	// SmoothBinomialEB is the binomial EB over the siblings with rho
	// clamped to [0, 1] (shares).
	SmoothBinomialEB
)

// String returns "none", "poisson_eb" or "binomial_eb".
func (s Smoothing) String() string {
	switch s {
	case SmoothNone:
		return "none"
	case SmoothPoissonEB:
		return "poisson_eb"
	case SmoothBinomialEB:
		return "binomial_eb"
	}
	return fmt.Sprintf("Smoothing(%d)", int(s))
}

// IndicatorSpec defines one indicator of the index.
type IndicatorSpec struct {
	// Code is the short code ("A1"); Name the stored name
	// ("A1_incidence_per10k").
	Code, Name string
	// Dimension is the code of the dimension the indicator belongs to.
	Dimension string
	// Kind says how the raw value is formed from the counts.
	Kind Kind
	// Per multiplies a KindRate value (10⁴ for rates per 10,000).
	Per float64
	// Smoothing says how the value is smoothed over the siblings.
	Smoothing Smoothing
	// Goalposts are on the value scale (rate per Per, log ratio, share).
	Goalposts Goalposts
	// Weight is the indicator's relative weight within its dimension for
	// the equal method (1 each) and the base of entropy blending.
	Weight float64
}

// DimensionSpec defines one dimension.
type DimensionSpec struct {
	// Code is the short code ("A"), Name the stored name ("A_pressure").
	Code, Name string
	// Weight is the relative dimension weight W_d (equal in SCRI v0).
	Weight float64
}

// WeightMethod names a weighting method.
type WeightMethod string

// The weighting methods of RISK_INDEX.md §5.4. WeightsEntropy (pure
// entropy) is allowed only as the alternative of the sensitivity grid,
// never as the nominal method.
const (
	WeightsEqual        WeightMethod = "equal"
	WeightsAHP          WeightMethod = "ahp"
	WeightsEntropyBlend WeightMethod = "entropy_blend"
	WeightsEntropy      WeightMethod = "entropy"
)

// WeightingSpec configures the nominal indicator weights.
type WeightingSpec struct {
	// Method is the nominal method: equal, ahp or entropy_blend.
	Method WeightMethod
	// AHP holds, per dimension code, the pairwise matrix over that
	// dimension's indicators in Spec order (method ahp).
	AHP map[string][][]float64
	// Alpha is the blend share of the base weights (entropy_blend; ≥ 0.5).
	Alpha float64
	// BoundLo and BoundHi bound blended weights to multiples of the equal
	// weight (0.5 and 2).
	BoundLo, BoundHi float64
	// Entropy is the entropy variant used on the 0–10 scores, for the
	// blend and for the entropy alternative of the sensitivity grid.
	//
	// RISK_INDEX.md §3.1 and §5.4 say variant (b) (EntropyMinMax), but the
	// golden file riskidx_scri_toy_expected_params.json (and the entropy
	// scenarios of ..._sensitivity.csv) were computed with variant (a),
	// EntropyRawProportion, on the 0–10 scores: its weights and entropies
	// are reproduced to the last bit by (a) and not at all by (b) (A1 e =
	// 0.99549 against 0.76577). Following the reference implementation,
	// DefaultSpec uses (a); set EntropyMinMax to follow the text.
	Entropy EntropyVariant
}

// SensitivitySpec configures the scenario grid and the weight noise of
// RISK_INDEX.md §5.7.
type SensitivitySpec struct {
	// Smoothing adds the raw (unsmoothed) alternative.
	Smoothing bool
	// MinMax adds in-period min–max normalisation as an alternative to the
	// goalposts.
	MinMax bool
	// Weights is the alternative weighting (WeightsEntropy or
	// WeightsEntropyBlend, recomputed on each scenario's scores); "" adds
	// none.
	Weights WeightMethod
	// Aggregation adds the arithmetic mean across dimensions.
	Aggregation bool
	// NoiseDraws is the number of Monte Carlo weight-noise draws around the
	// nominal configuration; NoiseFactor their relative amplitude (0.25).
	NoiseDraws int
	// NoiseFactor: see NoiseDraws.
	NoiseFactor float64
	// UnstableBelow marks a unit "band unstable" when its band agreement is
	// below it (0.6).
	UnstableBelow float64
}

// ReliabilitySpec configures the reliability class.
type ReliabilitySpec struct {
	// A unit is poor when more than MaxMissingShare of its indicators are
	// missing or its case count is below MinCases.
	MaxMissingShare float64
	// MinCases: see MaxMissingShare.
	MinCases float64
	// MinSiblings is the number of units below which smoothing is skipped
	// (raw values used, reliability poor).
	MinSiblings int
}

// Versions identify every versioned part of the configuration; the job
// stores them with each row and recomputes history when one changes.
type Versions struct {
	// Methodology versions the pipeline itself ("scri-v0").
	Methodology string
	// Goalposts versions the indicator goalposts.
	Goalposts string
	// Weights versions the weighting configuration.
	Weights string
	// Bands versions the band thresholds, hysteresis and cap.
	Bands string
	// Sensitivity versions the scenario grid and noise settings.
	Sensitivity string
}

// Spec is the whole, versioned configuration of one index run.
type Spec struct {
	// Versions identify the configuration's parts.
	Versions Versions
	// Indicators are the indicators in storage order.
	Indicators []IndicatorSpec
	// Dimensions are the dimensions in storage order.
	Dimensions []DimensionSpec
	// Weighting configures the nominal weights.
	Weighting WeightingSpec
	// Floor is the floor of each dimension in the geometric mean (0.1).
	Floor float64
	// MinPresentShare is the share of a dimension's indicators that must be
	// present (2/3).
	MinPresentShare float64
	// Bands are the band thresholds on the 1-dp score.
	Bands BandThresholds
	// Hysteresis is the rule against flickering bands.
	Hysteresis Hysteresis
	// Escalation is the funnel's statistical escalation policy.
	Escalation Escalation
	// CapBand is the highest band of a poor-reliability unit without a
	// funnel alarm (yellow).
	CapBand Band
	// Funnel configures the funnel guard.
	Funnel smallarea.FunnelOptions
	// FunnelIndicator is the code of the KindRate indicator whose counts
	// (cases, population) feed the funnel guard ("A1").
	FunnelIndicator string
	// Reliability configures the reliability class.
	Reliability ReliabilitySpec
	// Sensitivity configures the sensitivity analysis.
	Sensitivity SensitivitySpec
}

// The SCRI v0 indicator codes in DefaultSpec order.
const (
	A1 = iota
	A2
	A3
	A4
	A5
	B1
	B2
	B3
	C1
	C2
	C3
)

// DefaultSpec returns SCRI v0 as RISK_INDEX.md §5 recommends: 11
// indicators in 3 dimensions with the initial goalposts of §5.2, equal
// weights, the 0.1 floor, the 2/3 rule, INFORM bands (the fallback of
// calibrated thresholds), hysteresis on the index band (down after 2
// windows 0.2 below, up after 2 windows above, shown through up to 2
// windows without an index: docs/risk.md), the
// escalation of DefaultEscalation (an alert escalates in its second
// consecutive window), the yellow cap, the funnel guard on A1, and the
// sensitivity grid
// {EB, raw} × {equal, entropy} × {geometric, arithmetic} with 200
// weight-noise draws of ±25 %.
func DefaultSpec() Spec {
	share := func(code, name, dim string, hi float64) IndicatorSpec {
		return IndicatorSpec{Code: code, Name: name, Dimension: dim, Kind: KindShare, Smoothing: SmoothBinomialEB,
			Goalposts: Goalposts{Lo: 0, Hi: hi, Transform: Identity}, Weight: 1}
	}
	return Spec{
		Versions: Versions{
			Methodology: "scri-v0",
			Goalposts:   "scri-v0-goalposts-initial",
			Weights:     "scri-v0-weights-equal",
			Bands:       "scri-v1-bands-inform-alert2-up2-carry2",
			Sensitivity: "scri-v0-sensitivity-grid8-entropy-a-noise200",
		},
		Indicators: []IndicatorSpec{
			{Code: "A1", Name: "A1_incidence_per10k", Dimension: "A", Kind: KindRate, Per: 1e4, Smoothing: SmoothPoissonEB,
				Goalposts: Goalposts{Lo: 5, Hi: 60, Transform: Log}, Weight: 1},
			{Code: "A2", Name: "A2_log_growth", Dimension: "A", Kind: KindLogRatio, Smoothing: SmoothNone,
				Goalposts: Goalposts{Lo: math.Log(0.8), Hi: math.Log(2.0), Transform: Identity}, Weight: 1},
			share("A3", "A3_difficult_share", "A", 0.25),
			share("A4", "A4_group_share", "A", 0.15),
			share("A5", "A5_high_amount_share", "A", 0.25),
			share("B1", "B1_sensitive_share", "B", 0.50),
			share("B2", "B2_repeat_share", "B", 0.25),
			share("B3", "B3_escalation_share", "B", 0.15),
			share("C1", "C1_overdue_rate", "C", 0.25),
			share("C2", "C2_unresolved_rate", "C", 0.50),
			share("C3", "C3_dissatisfaction_rate", "C", 0.40),
		},
		Dimensions: []DimensionSpec{
			{Code: "A", Name: "A_pressure", Weight: 1},
			{Code: "B", Name: "B_vulnerability", Weight: 1},
			{Code: "C", Name: "C_lack_of_capacity", Weight: 1},
		},
		Weighting:       WeightingSpec{Method: WeightsEqual, Alpha: 0.5, BoundLo: 0.5, BoundHi: 2, Entropy: EntropyRawProportion},
		Floor:           0.1,
		MinPresentShare: 2.0 / 3.0,
		Bands:           DefaultBandThresholds(),
		Hysteresis:      Hysteresis{Margin: 0.2, Windows: 2, UpWindows: 2, CarryMissing: 2},
		Escalation:      DefaultEscalation(),
		CapBand:         BandYellow,
		Funnel:          smallarea.DefaultFunnelOptions(),
		FunnelIndicator: "A1",
		Reliability:     ReliabilitySpec{MaxMissingShare: 1.0 / 3.0, MinCases: 5, MinSiblings: 3},
		Sensitivity: SensitivitySpec{Smoothing: true, Weights: WeightsEntropy, Aggregation: true,
			NoiseDraws: 200, NoiseFactor: 0.25, UnstableBelow: 0.6},
	}
}

// Fingerprint returns a SHA-256 of the whole Spec (every goalpost, weight
// and threshold), so that a stored row can be matched to its exact
// configuration even if a version string was not bumped.
func (s Spec) Fingerprint() string {
	h := sha256.Sum256(fmt.Appendf(nil, "%+v", s))
	return hex.EncodeToString(h[:])
}

// dimIndex returns the dimension index of every indicator.
func (s Spec) dimIndex() ([]int, error) {
	pos := make(map[string]int, len(s.Dimensions))
	for i, d := range s.Dimensions {
		if _, dup := pos[d.Code]; dup || d.Code == "" {
			return nil, fmt.Errorf("%w: dimension code %q is empty or repeated", ErrInput, d.Code)
		}
		pos[d.Code] = i
	}
	out := make([]int, len(s.Indicators))
	for i, ind := range s.Indicators {
		d, ok := pos[ind.Dimension]
		if !ok {
			return nil, fmt.Errorf("%w: indicator %s: unknown dimension %q", ErrInput, ind.Code, ind.Dimension)
		}
		out[i] = d
	}
	return out, nil
}

// funnelIndex returns the index of the funnel indicator, or −1 when none is
// configured.
func (s Spec) funnelIndex() int {
	for i, ind := range s.Indicators {
		if ind.Code == s.FunnelIndicator {
			return i
		}
	}
	return -1
}

// Validate checks the configuration: indicator and dimension codes,
// kinds and smoothings that fit, goalposts, weights (an AHP matrix must be
// consistent, CR < 0.10), the blend's alpha ∈ [0.5, 1] and bounds, the
// floor, the 2/3 share, band thresholds, hysteresis, the funnel
// indicator, reliability and sensitivity settings.
func (s Spec) Validate() error {
	if len(s.Indicators) == 0 || len(s.Dimensions) == 0 {
		return fmt.Errorf("%w: spec has no indicators or no dimensions", ErrInput)
	}
	dimOf, err := s.dimIndex()
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, ind := range s.Indicators {
		if ind.Code == "" || seen[ind.Code] {
			return fmt.Errorf("%w: indicator code %q is empty or repeated", ErrInput, ind.Code)
		}
		seen[ind.Code] = true
		if err := ind.Goalposts.Validate(); err != nil {
			return fmt.Errorf("indicator %s: %w", ind.Code, err)
		}
		switch {
		case ind.Kind == KindRate && !(ind.Per > 0):
			return fmt.Errorf("%w: indicator %s: rate multiplier %v", ErrInput, ind.Code, ind.Per)
		case ind.Kind < KindRate || ind.Kind > KindShare:
			return fmt.Errorf("%w: indicator %s: unknown kind %d", ErrInput, ind.Code, ind.Kind)
		case ind.Smoothing == SmoothPoissonEB && ind.Kind != KindRate,
			ind.Smoothing == SmoothBinomialEB && ind.Kind != KindShare,
			ind.Smoothing < SmoothNone || ind.Smoothing > SmoothBinomialEB:
			return fmt.Errorf("%w: indicator %s: smoothing %v does not fit kind %v", ErrInput, ind.Code, ind.Smoothing, ind.Kind)
		case !(ind.Weight >= 0) || math.IsInf(ind.Weight, 0):
			return fmt.Errorf("%w: indicator %s: weight %v", ErrInput, ind.Code, ind.Weight)
		}
	}
	dw := make([]float64, len(s.Dimensions))
	for i, d := range s.Dimensions {
		dw[i] = d.Weight
	}
	iw := make([]float64, len(s.Indicators))
	for i, ind := range s.Indicators {
		iw[i] = ind.Weight
	}
	st, err := NewStructure(dimOf, iw, dw, s.Floor, s.MinPresentShare)
	if err != nil {
		return err
	}
	switch s.Weighting.Method {
	case WeightsEqual:
	case WeightsAHP:
		if _, err := s.ahpWeights(st); err != nil {
			return err
		}
	case WeightsEntropyBlend:
		if err := s.Weighting.validateBlend(); err != nil {
			return err
		}
	default:
		return fmt.Errorf("%w: nominal weighting %q (pure entropy is for the sensitivity grid only)", ErrInput, s.Weighting.Method)
	}
	if !(s.MinPresentShare > 0) {
		return fmt.Errorf("%w: minimum present share %v", ErrInput, s.MinPresentShare)
	}
	if err := s.Bands.Validate(); err != nil {
		return err
	}
	if !(s.Hysteresis.Margin >= 0) || s.Hysteresis.Windows < 1 || s.Hysteresis.UpWindows < 0 || s.Hysteresis.CarryMissing < 0 {
		return fmt.Errorf("%w: hysteresis %+v", ErrInput, s.Hysteresis)
	}
	if err := s.Escalation.Validate(); err != nil {
		return err
	}
	if s.CapBand < BandNormal || s.CapBand > BandRed {
		return fmt.Errorf("%w: cap band %v", ErrInput, s.CapBand)
	}
	if s.FunnelIndicator != "" {
		i := s.funnelIndex()
		if i < 0 || s.Indicators[i].Kind != KindRate {
			return fmt.Errorf("%w: funnel indicator %q is not a rate indicator of the spec", ErrInput, s.FunnelIndicator)
		}
	}
	r := s.Reliability
	if !(r.MaxMissingShare >= 0 && r.MaxMissingShare <= 1) || !(r.MinCases >= 0) || r.MinSiblings < 2 {
		return fmt.Errorf("%w: reliability %+v (at least 2 siblings are needed to smooth)", ErrInput, r)
	}
	se := s.Sensitivity
	switch se.Weights {
	case "":
	case WeightsEntropy:
		if err := s.Weighting.validateEntropy(); err != nil {
			return fmt.Errorf("sensitivity weights %s: %w", se.Weights, err)
		}
	case WeightsEntropyBlend:
		if err := s.Weighting.validateBlend(); err != nil {
			return fmt.Errorf("sensitivity weights %s: %w", se.Weights, err)
		}
	default:
		return fmt.Errorf("%w: sensitivity weights %q", ErrInput, se.Weights)
	}
	if se.NoiseDraws < 0 || !(se.NoiseFactor >= 0 && se.NoiseFactor < 1) || !(se.UnstableBelow >= 0 && se.UnstableBelow <= 1) {
		return fmt.Errorf("%w: sensitivity %+v", ErrInput, se)
	}
	return nil
}

func (w WeightingSpec) validateEntropy() error {
	if w.Entropy != EntropyRawProportion && w.Entropy != EntropyMinMax {
		return fmt.Errorf("%w: entropy variant %d", ErrInput, w.Entropy)
	}
	return nil
}

func (w WeightingSpec) validateBlend() error {
	if err := w.validateEntropy(); err != nil {
		return err
	}
	if !(w.Alpha >= 0.5 && w.Alpha <= 1) {
		return fmt.Errorf("%w: entropy blend alpha %v is not in [0.5, 1]", ErrInput, w.Alpha)
	}
	if !(w.BoundLo >= 0 && w.BoundLo <= 1 && w.BoundHi >= 1) {
		return fmt.Errorf("%w: entropy blend bounds [%v, %v]× equal", ErrInput, w.BoundLo, w.BoundHi)
	}
	return nil
}

// ahpWeights returns the within-dimension AHP weights of every indicator;
// each dimension with more than one indicator needs a consistent matrix.
func (s Spec) ahpWeights(st Structure) ([]float64, error) {
	w := make([]float64, len(s.Indicators))
	for d, m := range st.Members {
		code := s.Dimensions[d].Code
		if len(m) == 1 {
			w[m[0]] = 1
			continue
		}
		mat, ok := s.Weighting.AHP[code]
		if !ok {
			return nil, fmt.Errorf("%w: no AHP matrix for dimension %s", ErrInput, code)
		}
		if len(mat) != len(m) {
			return nil, fmt.Errorf("%w: AHP matrix of dimension %s is %d×%d for %d indicators", ErrInput, code, len(mat), len(mat), len(m))
		}
		r, err := AHPStrict(mat)
		if err != nil {
			return nil, fmt.Errorf("dimension %s: %w", code, err)
		}
		for k, i := range m {
			w[i] = r.Weights[k]
		}
	}
	return w, nil
}

// TownCounts are the counts of one unit and window from which SCRICounts
// forms the eleven SCRI v0 indicators (RISK_INDEX.md §5.2). C2 uses a
// cohort of cases old enough to be due (CohortAccepted, CohortHandled) to
// avoid right-censoring; C1's denominator is the cases due in the window.
type TownCounts struct {
	// Population is the resident population (A1 denominator).
	Population     float64
	Accepted       float64 // A1 numerator; denominator of A3–A5 and B1–B3
	Baseline       float64 // A2 baseline count
	Difficult      float64 // A3
	Group          float64 // A4: parties ≥ the configured threshold
	HighAmount     float64 // A5: amount ≥ the configured threshold
	Sensitive      float64 // B1: types in the configured list
	Repeat         float64 // B2
	Escalated      float64 // B3: routed upward
	Overdue        float64 // C1 numerator
	Due            float64 // C1 denominator
	CohortAccepted float64 // C2 denominator
	CohortHandled  float64 // C2: numerator is CohortAccepted − CohortHandled
	Evaluated      float64 // C3 denominator
	Satisfied      float64 // C3: numerator is Evaluated − Satisfied
}

// SCRICounts returns the Counts of the DefaultSpec indicators, in order.
// A missing input (NaN) or a zero denominator makes the indicator missing.
func SCRICounts(c TownCounts) []Count {
	return []Count{
		A1: {Num: c.Accepted, Den: c.Population},
		A2: {Num: c.Accepted, Den: c.Baseline},
		A3: {Num: c.Difficult, Den: c.Accepted},
		A4: {Num: c.Group, Den: c.Accepted},
		A5: {Num: c.HighAmount, Den: c.Accepted},
		B1: {Num: c.Sensitive, Den: c.Accepted},
		B2: {Num: c.Repeat, Den: c.Accepted},
		B3: {Num: c.Escalated, Den: c.Accepted},
		C1: {Num: c.Overdue, Den: c.Due},
		C2: {Num: c.CohortAccepted - c.CohortHandled, Den: c.CohortAccepted},
		C3: {Num: c.Evaluated - c.Satisfied, Den: c.Evaluated},
	}
}
