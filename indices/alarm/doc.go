// Package alarm holds the early-warning detectors for weekly (or other
// regular) count series, with the semantics of the R package surveillance:
//
//   - EARS C1, C2 and C3 (earsC), including its C3 rule;
//   - the CUSUM of Rossi et al. (algo.cusum);
//   - farringtonFlexible (Farrington 1996 with the Noufaily 2012 options) and
//     the legacy algo.farrington;
//   - the negative binomial / Poisson GLR intercept chart (algo.glrnb);
//   - the Bayes detectors 1, 2 and 3 (algo.bayes).
//
// It sits in the statistics core (indices/): the scheduled jobs count cases
// per region and week and pass each series here, and the `riskwatch stat
// detect` command line calls Detect. The package is pure: a series and
// parameters in, one Point per monitored time point out (observed count,
// upper bound, alarm and detector-specific extras). No I/O, no clock, no
// randomness, no global state; the functions are safe for concurrent use.
//
// Conventions:
//   - The series is a []float64 of non-negative counts; observed[i] is time
//     point t = i + 1, and ranges are 1-based and inclusive like R's
//     control$range.
//   - An undefined upper bound (too little history, a model that cannot be
//     fitted, the Farrington 5-in-4 rule) is NaN, and the alarm is then
//     false (surveillance reports NA for both).
//   - Every number matches surveillance 1.20.3 on the reference vectors in
//     ../shared/reference to better than 1e-6 relative. Where surveillance
//     departs from the papers (the C3 rule, the dispersion used by
//     farringtonFlexible's prediction error, the mixed-scale Noufaily score)
//     the package follows surveillance and the doc comment says so.
//   - The GLMs are fitted by an IRLS that replicates R's glm.fit, including
//     its starting values and stopping rule. Where R would drop an aliased
//     column of a singular design and carry on, the bound is left undefined.
//
// What it does not do: reading counts, choosing regions, routing or
// persisting alarms, and date arithmetic (reference weeks are t − i·freq;
// see FarringtonOptions).
package alarm
