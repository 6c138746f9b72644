// Package statcli is the analyst command line over the statistics core:
// `riskwatch stat detect`, `riskwatch stat gistar`, `riskwatch stat
// mann-kendall` and `riskwatch stat eb`.
//
// # Where it sits
//
// The wiring package hands it the arguments after `riskwatch stat`; [Main]
// reads the CSV files named on the command line, calls the pure packages of
// indices/ (alarm for the early-warning detectors, spatial for Gi* and
// Mann-Kendall, smallarea for empirical Bayes rates) and writes CSV to
// standard output. It owns the file formats, the flag names and the error
// messages; the statistics belong to indices/. It touches no database, no
// broker and no configuration.
//
// # A stable contract
//
// Analysts script these commands, so the flag names, the column names of the
// input and output, the number format and the exit codes are a contract:
// change them only by adding. The usage text (`riskwatch stat --help`) and
// docs/stat.md describe it; the tests pin it.
//
//   - Input: CSV with a header row (a UTF-8 byte order mark is ignored);
//     columns are found by name, other columns are ignored.
//   - Output: CSV on standard output, written only when the whole command
//     succeeded, so a failed run never leaves half a table behind.
//   - Numbers are printed in the shortest form that reads back to the same
//     float64 (strconv's 'g' with precision −1, in plain decimal notation
//     for magnitudes from 1e-4 to below 1e16); an empty cell means
//     undefined (NA in R).
//   - Exit status 0 on success, 2 for bad usage or bad input (the message on
//     standard error names the file, line and column, e.g. `series.csv
//     line 7, column observed: "abc" is not a number`), 1 when writing the
//     output fails.
//
// # Choices written down
//
//   - gistar prints esda's one-sided normal p-value P(Z > |z|) by default,
//     the convention of the spatial package; --two-sided prints
//     2·P(Z > |z|), the p-value ArcGIS shows next to a Gi* z-score.
//   - eb prints the smoothed rate per resident by default, as spdep's EBest
//     and EBlocal report it; --per 10000 gives the risk index's unit.
//   - detect rejects a flag that the chosen method does not read (for
//     example --k with ears-c1) instead of ignoring it, so that a typo in a
//     script cannot silently run with the defaults.
//
// # What it does not do
//
// No reading from standard input, no other detectors or statistics than the
// four commands (the Bayes and legacy Farrington detectors, local Moran and
// funnel limits stay library functions), and no controls beyond the listed
// flags (for example glr-nb's c.ARL is fixed at surveillance's default 5 and
// farrington-flexible runs with farringtonFlexible's other defaults).
package statcli
