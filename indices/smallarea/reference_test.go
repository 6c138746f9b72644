package smallarea_test

import "github.com/riskwatch/riskwatch/internal/testref"

// The reference-file helpers are shared with the other statistics packages.
var (
	refPath        = testref.Path
	readCSV        = testref.ReadCSV
	readJSON       = testref.ReadJSON
	num            = testref.Num
	printedHalfULP = testref.PrintedHalfULP
	newTracker     = testref.NewTracker
)
