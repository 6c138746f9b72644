package forecast

// OriginForecast is the forecast made at one origin of a rolling run: from
// y[:Origin] for y[Origin … Origin+Horizon−1].
type OriginForecast struct {
	Origin   int
	Forecast Forecast
}

// Rolling makes the forecasts of one series at the origins First,
// First+Every, … ≤ Last (and < len(y)) as Backtest makes them: Auto at the
// first origin and every Reselect origins, the chosen model refitted in
// between; origins with too little history are skipped.
func Rolling(y []float64, o BacktestOptions) []OriginForecast {
	if o.Every < 1 {
		o.Every = 1
	}
	if o.Reselect < 1 {
		o.Reselect = 13
	}
	if o.MinNonZero < 1 {
		o.MinNonZero = 1
	}
	sf := &seriesForecaster{o: o, y: y}
	var out []OriginForecast
	for org := o.First; org <= o.Last && org < len(y); org += o.Every {
		if f, _, _, ok := sf.at(org); ok {
			out = append(out, OriginForecast{Origin: org, Forecast: f})
		}
	}
	return out
}
