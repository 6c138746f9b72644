package forecast

import "math"

// SeasonalNaive forecasts y[n-m+((h-1) mod m)] for horizon h, with the
// intervals of R's forecast::snaive: the residual standard deviation
// sqrt(mean(e²)) of the in-sample seasonal differences, times sqrt(k+1) with
// k = floor((h-1)/m). With m ≤ 1 it is the naive forecast (sqrt(h)). It needs
// at least m+1 observations (2 for the naive method).
func SeasonalNaive(y []float64, m, h int) (Forecast, error) {
	if err := checkSeries(y, h); err != nil {
		return Forecast{}, err
	}
	if m < 1 {
		m = 1
	}
	n := len(y)
	if n < m+1 {
		return Forecast{}, ErrTooShort
	}
	var ss float64
	for t := m; t < n; t++ {
		e := y[t] - y[t-m]
		ss += e * e
	}
	sigma := math.Sqrt(ss / float64(n-m))
	name := "snaive"
	if m == 1 {
		name = "naive"
	}
	f := newForecast(name, h)
	sd := make([]float64, h)
	for i := 0; i < h; i++ {
		f.Point[i] = y[n-m+i%m]
		k := i / m
		if m == 1 {
			k = i
		}
		sd[i] = sigma * math.Sqrt(float64(k+1))
	}
	f.normalIntervals(sd)
	return f, nil
}
