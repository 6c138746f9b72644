// Package spatial holds the spatial and trend statistics of the statistics
// core: spatial weights, local Getis-Ord G and G* (Gi*), local and global
// Moran's I, Benjamini–Hochberg false discovery rate, the Mann-Kendall trend
// test and ESRI's emerging hot spot categories.
//
// # Where it sits
//
// The package is pure: values and weights in, numbers out. It reads no files
// and has no clock; the only I/O is parsing readers the caller hands in
// (a neighbour CSV, a GeoJSON document). The scheduled jobs and the analyst
// command line (`riskwatch stat gistar`, `riskwatch stat mann-kendall`) call
// it; it imports nothing from the rest of the module.
//
// # Reference implementations
//
// Every statistic follows a named reference implementation, and the tests
// compare against vectors produced by it (../shared/reference, never numbers
// produced by this code):
//
//   - [LocalG], [GiStar] and [GlobalG] follow PySAL esda G_Local and G
//     (esda/getisord.py). With binary weights and the unit itself included
//     (the default), the z-score is ArcGIS's Gi*.
//   - [LocalMoran], [Moran] and [MoranRate] follow esda Moran_Local, Moran
//     and Moran_Rate (esda/moran.py).
//   - [MannKendall] follows pyMannKendall's original_test.
//   - [EmergingHotSpot] follows ESRI's Emerging Hot Spot Analysis category
//     definitions; where those are ambiguous the choice is written next to
//     the code.
//
// # p-values
//
// The p-values follow the reference implementations, which are not uniform:
//
//   - local statistics (G, G*, local Moran) report the one-sided normal tail
//     P(Z > |z|), as esda's p_norm does; [GiOptions.TwoSided] doubles it,
//     which is the p-value ArcGIS prints next to a Gi* z-score;
//   - global Moran reports two-sided p-values (esda's default two_tailed);
//     the one-tailed value is exactly half;
//   - Mann-Kendall reports the two-sided p-value of pyMannKendall.
//
// # What it does not do
//
// No permutation inference (esda's p_sim and z_sim depend on numpy's random
// stream and cannot be carried over), no distance-band or k-nearest weights,
// no space-time Gi* neighbourhood (ESRI's time-step neighbours): the caller
// computes the z-scores of each time step and hands the series to
// [EmergingHotSpot].
package spatial
