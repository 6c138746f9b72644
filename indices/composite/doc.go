// Package composite is the toolkit and the pipeline of the social
// contradiction risk index (SCRI, RISK_INDEX.md §5).
//
// It sits in the statistics core (indices/) next to indices/smallarea,
// which it uses for empirical Bayes smoothing and the funnel guard. The
// scheduled risk index job (package jobs) counts cases per region and
// window in ClickHouse, calls Run once per parent region (the siblings of one level)
// and stores every field of the Result together with the Spec's versions.
// The package is pure: numbers in, numbers out; no I/O, no clock; the only
// randomness is the sensitivity weight noise, drawn from a generator seeded
// with the caller's seed.
//
// The toolkit, each piece usable on its own:
//   - normalisation: goalposts (COINr n_goalposts, the SCRI 0–10 form with
//     versioned goalposts), min–max, z-score, distance to target, percent
//     rank;
//   - weights: equal, AHP (principal eigenvector, consistency ratio with
//     Saaty's RI table), entropy in the two variants RISK_INDEX.md §3.1
//     names — EntropyRawProportion (variant a) and EntropyMinMax (variant b,
//     极差标准化 then 熵值) — blending and bounding, COINr-style noise;
//   - aggregation: weighted arithmetic mean with the missing-data rule,
//     geometric mean (COINr: error on zero) and the INFORM geometric mean
//     with a floor, harmonic and generalised means, the inverted geometric
//     mean, outranking and Copeland scores, TOPSIS;
//   - outlier diagnosis and treatment (COINr check_SkewKurt and Treat);
//   - bands (normal / blue / yellow / orange / red on the score rounded
//     half-up to one decimal), funnel escalation, the low-reliability cap
//     and hysteresis;
//   - exact log-mean attribution of ln(R/R_ref) to indicators, top drivers;
//   - sensitivity: the scenario grid, seeded weight noise, rank statistics,
//     band agreement and the "unstable" mark; Sobol indices (COINr
//     estimators).
//
// What it does not do: counting, reading or writing anything, choosing the
// sibling set, or deciding goalposts (they are versioned configuration; see
// Spec).
package composite
