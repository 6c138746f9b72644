package forecast

import (
	"sort"
	"sync"
)

// Series is one count series of a backtest: its level (e.g. 2 city, 3
// county, 4 town) and counts on the common period grid (y[0] is the period
// starting at the backtest's Calendar.Start).
type Series struct {
	Key   string
	Level int
	Y     []float64
}

// BacktestOptions configure Backtest. Options.Horizon is the largest
// horizon scored; Options.Calendar.Start is the start of period 0.
type BacktestOptions struct {
	Options
	// Forecasts are made at origins First, First+Every, … ≤ Last: the
	// model sees y[:origin] and forecasts y[origin … origin+Horizon−1].
	First, Last, Every int
	// Reselect: the model is chosen by Auto at the first origin and again
	// every Reselect origins (default 13); in between the chosen model is
	// refitted on the longer history.
	Reselect int
	// MinNonZero: a series is forecast at an origin only when its history
	// has at least this many non-zero periods (default 1).
	MinNonZero int
	// Workers run series in parallel (default 1).
	Workers int
}

// LevelScore is the score of one level at one horizon.
type LevelScore struct {
	Level, H int
	Score    Score
	// Models counts the forecasts per chosen model.
	Models map[string]int
}

// Backtest runs a rolling-origin backtest of Auto on every series and
// scores each forecast against the outcome: MASE (scaled by the in-sample
// seasonal naive MAE of the history at the origin), its ratio to seasonal
// naive's MASE on the same forecasts, sMAPE, 80/95 % interval coverage and
// pinball loss, per level and horizon (sorted by level, then horizon).
func Backtest(series []Series, o BacktestOptions) []LevelScore {
	if o.Every < 1 {
		o.Every = 1
	}
	if o.Reselect < 1 {
		o.Reselect = 13
	}
	if o.MinNonZero < 1 {
		o.MinNonZero = 1
	}
	if o.Workers < 1 {
		o.Workers = 1
	}
	o.Options = o.Options.withDefaults()
	type key struct{ level, h int }
	var mu sync.Mutex
	total := map[key]*LevelScore{}
	jobs := make(chan Series)
	var wg sync.WaitGroup
	for w := 0; w < o.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := range jobs {
				part := backtestSeries(s, o)
				mu.Lock()
				for h, sc := range part.scores {
					k := key{s.Level, h + 1}
					ls := total[k]
					if ls == nil {
						ls = &LevelScore{Level: s.Level, H: h + 1, Models: map[string]int{}}
						total[k] = ls
					}
					ls.Score.Merge(sc)
					for m, c := range part.models[h] {
						ls.Models[m] += c
					}
				}
				mu.Unlock()
			}
		}()
	}
	for _, s := range series {
		jobs <- s
	}
	close(jobs)
	wg.Wait()
	out := make([]LevelScore, 0, len(total))
	for _, ls := range total {
		out = append(out, *ls)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Level != out[j].Level {
			return out[i].Level < out[j].Level
		}
		return out[i].H < out[j].H
	})
	return out
}

type seriesScores struct {
	scores []Score
	models []map[string]int
}

func backtestSeries(s Series, o BacktestOptions) seriesScores {
	H := o.Horizon
	res := seriesScores{scores: make([]Score, H), models: make([]map[string]int, H)}
	for h := range res.models {
		res.models[h] = map[string]int{}
	}
	sf := &seriesForecaster{o: o, y: s.Y}
	for org := o.First; org <= o.Last && org < len(s.Y); org += o.Every {
		f, naive, scale, ok := sf.at(org)
		if !ok {
			continue
		}
		for h := 0; h < H && org+h < len(s.Y); h++ {
			res.scores[h].Add(f, h, s.Y[org+h], naive.Point[h], scale)
			res.models[h][f.Model]++
		}
	}
	return res
}

// seriesForecaster makes the backtest forecasts of one series at
// increasing origins: Auto at the first origin and every Reselect origins,
// the chosen model refitted in between.
type seriesForecaster struct {
	o      BacktestOptions
	y      []float64
	chosen string
	k      int
}

// at forecasts from y[:org] and returns the forecast, the seasonal naive
// benchmark and the MASE scale; ok is false when the series is not
// forecast at this origin (too little history).
func (sf *seriesForecaster) at(org int) (f Forecast, naive Forecast, scale float64, ok bool) {
	o, H := sf.o, sf.o.Horizon
	hist := sf.y[:org]
	nz := 0
	for _, v := range hist {
		if v > 0 {
			nz++
		}
	}
	if nz < o.MinNonZero || org < 2 {
		return Forecast{}, Forecast{}, 0, false
	}
	if sf.chosen != "" && sf.k%o.Reselect != 0 {
		zeros := len(hist) - nz
		for _, c := range Candidates(o.Options, len(hist), float64(zeros)/float64(len(hist))) {
			if c.Name == sf.chosen {
				if fc, err := c.Fn(hist, H, o.Calendar); err == nil {
					f, ok = fc, true
					f.Model = sf.chosen
				}
			}
		}
	}
	if !ok {
		c, err := Auto(hist, o.Options)
		if err != nil {
			return Forecast{}, Forecast{}, 0, false
		}
		f, sf.chosen = c.Forecast, c.Model
	}
	sf.k++
	m := o.Period
	if len(hist) <= m {
		m = 1
	}
	naive, err := SeasonalNaive(hist, m, H)
	if err != nil {
		return Forecast{}, Forecast{}, 0, false
	}
	scale = MASEScale(hist, o.Period)
	if !(scale > 0) {
		// A constant history: scale by the mean instead (at least 1).
		var mean float64
		for _, v := range hist {
			mean += v
		}
		scale = max(mean/float64(len(hist)), 1)
	}
	return f, naive, scale, true
}
