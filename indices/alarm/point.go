package alarm

import (
	"errors"
	"fmt"
	"math"
)

// Point is the result of a detector for one monitored time point.
//
// Fields a detector does not produce hold NaN (floats) or false.
type Point struct {
	// T is the 1-based index of the time point in the input series.
	T int
	// Observed is the count at T.
	Observed float64
	// UpperBound is the detector's threshold as R surveillance reports it
	// in the upperbound slot; NaN when it is undefined (too little history,
	// a model that cannot be fitted, the Farrington 5-in-4 rule). For
	// glr-nb with Ret "value" it is the GLR statistic, as in surveillance.
	UpperBound float64
	// Alarm is true when the detector signals at T. It is false whenever
	// surveillance reports NA.
	Alarm bool
	// Expected is the in-control mean the detector compares against: the
	// reference mean for EARS, m for CUSUM, the model prediction for
	// Farrington, μ0 for GLR; NaN when undefined.
	Expected float64
	// Statistic is the detector's test statistic: the C1/C2 statistic, the
	// textbook C3 sum (see EARS), the CUSUM sum C_t, the Farrington score
	// (y − μ̂)/(U − μ̂) and the GLR statistic; NaN when undefined.
	Statistic float64
	// Trend reports, for the Farrington detectors, whether the time trend
	// was kept in the final model.
	Trend bool
}

// HasUpperBound reports whether the upper bound is defined.
func (p Point) HasUpperBound() bool { return !math.IsNaN(p.UpperBound) }

// ErrTooShort is wrapped by the errors returned when the series has too
// little history for the requested range and parameters.
var ErrTooShort = errors.New("series too short")

// ErrInvalidParam is wrapped by the errors returned for parameters outside
// their domain.
var ErrInvalidParam = errors.New("invalid parameter")

// ErrInvalidData is wrapped by the errors returned for series values a
// count detector cannot take (negative, NaN or infinite).
var ErrInvalidData = errors.New("invalid observation")

func paramErr(method, format string, args ...any) error {
	return fmt.Errorf("%s: %w: %s", method, ErrInvalidParam, fmt.Sprintf(format, args...))
}

func shortErr(method, format string, args ...any) error {
	return fmt.Errorf("%s: %w: %s", method, ErrTooShort, fmt.Sprintf(format, args...))
}

// checkCounts rejects values that are not finite non-negative numbers.
func checkCounts(method string, observed []float64) error {
	for i, v := range observed {
		if !(v >= 0) || math.IsInf(v, 1) {
			return fmt.Errorf("%s: %w: t=%d: %v (counts must be finite and non-negative)", method, ErrInvalidData, i+1, v)
		}
	}
	return nil
}

// resolveRange turns a 1-based [start, end] with 0 meaning "default" into
// 0-based half-open indices, checking the bounds.
func resolveRange(method string, n, start, end, defaultStart int) (lo, hi int, err error) {
	if start == 0 {
		start = defaultStart
	}
	if end == 0 {
		end = n
	}
	if start < 1 {
		return 0, 0, paramErr(method, "rangeStart %d must be at least 1", start)
	}
	if end > n {
		return 0, 0, paramErr(method, "rangeEnd %d is beyond the series (%d points)", end, n)
	}
	if start > end {
		if start > n {
			return 0, 0, shortErr(method, "the first monitored t is %d but the series has only %d points", start, n)
		}
		return 0, 0, paramErr(method, "rangeStart %d is after rangeEnd %d", start, end)
	}
	return start - 1, end, nil
}

func nanPoint(t int, y float64) Point {
	return Point{T: t, Observed: y, UpperBound: math.NaN(), Expected: math.NaN(), Statistic: math.NaN()}
}
