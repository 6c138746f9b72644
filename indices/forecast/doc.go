// Package forecast makes point forecasts with 80 % and 95 % prediction
// intervals for regular count series (weekly or daily cases per region and
// category), chooses a model per series by rolling-origin validation on the
// series' own history, scores forecasts (MASE, sMAPE, interval coverage,
// pinball loss) and reconciles forecasts across a hierarchy of units
// (bottom-up and MinT with a shrinkage covariance).
//
// Models:
//   - seasonal naive, the baseline (R forecast::snaive intervals);
//   - additive ETS (Holt-Winters): ANN, AAN, AAdN, ANA, AAA, AAdA, fitted by
//     maximum likelihood (n·log SSE, as R's forecast::ets with
//     opt.crit = "lik") with Nelder-Mead over the smoothing parameters and the
//     initial states, intervals from the analytic variance of the class-1
//     state space model;
//   - a negative binomial GLM (log link; trend, Fourier terms of the year,
//     day-of-week for daily series and the Chinese public holiday calendar
//     shipped with the package), fitted like MASS::glm.nb; intervals are
//     quantiles of the NB predictive distribution mixed over the normal
//     uncertainty of the linear predictor;
//   - Croston, its SBA correction and TSB for intermittent series, with
//     negative binomial intervals whose dispersion is estimated from the
//     in-sample one-step errors.
//
// The package is pure: series and options in, numbers out. No I/O, no clock
// and no global state; the holiday calendar is embedded data. Functions are
// safe for concurrent use.
//
// Conventions: y[i] is the count of period i (oldest first); a Forecast has
// one entry per horizon 1..H; lower bounds are clipped at 0 because counts
// cannot be negative.
package forecast
