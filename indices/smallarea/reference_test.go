package smallarea_test

import "github.com/riskwatch/riskwatch/internal/testref"

// The reference-file helpers are shared with the other statistics packages.
var (
	readCSV    = testref.ReadCSV
	readJSON   = testref.ReadJSON
	num        = testref.Num
	newTracker = testref.NewTracker
)
