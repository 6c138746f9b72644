// Package indices is the statistics core: early-warning detectors, spatial
// hot spots, trend tests, small-area smoothing, the composite risk index and
// forecasts with prediction intervals (indices/forecast).
//
// It is pure Go on gonum: series, weights and parameters in, numbers out; no
// I/O and no clock. The scheduled jobs read counts through their own small
// interface and call into it.
package indices
