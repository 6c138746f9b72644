// Package smallarea holds the small-area statistics of the risk index:
// rates per 10,000 residents, empirical Bayes smoothing of rates and shares,
// and funnel-plot limits with an overdispersion correction.
//
// It sits in the statistics core (indices/): the scheduled jobs count cases
// in ClickHouse and pass the counts here; the composite index
// (indices/composite) calls it for smoothing and for the funnel guard.
// Everything is pure: numbers in, numbers out; no I/O, no clock, no
// randomness.
//
// Empirical Bayes follows spdep (R) exactly:
//   - GlobalPoisson is EBest(family = "poisson"): Marshall's (1991) global
//     method-of-moments estimator, prior variance a clamped at 0.
//   - GlobalBinomial is EBest(family = "binomial"): the Martuzzi and Elliott
//     (1996) shrinkage factor rho; spdep does not clamp rho, the SCRI spec
//     (RISK_INDEX.md §4.2) does, so clamping is an option.
//   - LocalPoisson is EBlocal: Marshall's local estimator over each unit and
//     its neighbours, in spdep's default form or in GeoDa's form.
//
// Funnel plots follow Spiegelhalter (2005) and FunnelPlotR:
//   - PoissonPredictiveLimits: exact Poisson limits with Spiegelhalter's
//     interpolation (the limits the SCRI flags use);
//   - PoissonChiSquareLimits: the exact chi-square confidence interval of a
//     Poisson mean (FunnelPlotR's unadjusted limits), kept as a cross-check;
//   - NormalLimits: 1 ± z·sqrt(1/E + τ²), the normal approximation with an
//     optional additive random effect;
//   - EstimateOverdispersion: winsorised z-scores, φ, the χ² test and the
//     additive τ² (DerSimonian–Laird form as in FunnelPlotR);
//   - SRFunnel: the whole guard for standardised ratios O/E, including the
//     alert_95 / alarm_99.8 flags of RISK_INDEX.md §5.3 step 7.
//
// What it does not do: neighbour construction (the caller converts its
// neighbour structure to [][]int), counting, persistence, and banding (see
// indices/composite).
package smallarea
