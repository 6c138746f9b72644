// Command warnbudget measures the warning budget on the demo: it raises the
// stream rule alarms of the default demo stream as ingest does, runs the
// warning engine over the two years with the default configuration and a
// simulated clock, and prints the pushes (messages) per center per ISO week,
// once with yellow rule alarms sent at once (the routing before the daily
// digest) and once with the default routing (yellow rule alarms in a daily
// digest at 08:00 per center).
//
//	go run ./internal/tools/warnbudget [-seed 1] [-step 5m]
//
// Only rule-alarm warnings are simulated: the digest route concerns them
// alone, and the index warnings need the jobs' tables.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"slices"
	"sort"
	"sync/atomic"
	"time"

	"github.com/riskwatch/riskwatch/internal/config"
	"github.com/riskwatch/riskwatch/internal/rules"
	"github.com/riskwatch/riskwatch/internal/warnwire"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/sources/demo"
	"github.com/riskwatch/riskwatch/transform"
	"github.com/riskwatch/riskwatch/warnings"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "warnbudget:", err)
		os.Exit(1)
	}
}

// source serves the alarms detected up to the simulated now, sorted by
// detection time, as the store would.
type source struct {
	rows []warnings.RuleAlarmRow
	now  time.Time
}

func (s *source) RuleAlarmsSince(_ context.Context, since time.Time, offset, limit int) ([]warnings.RuleAlarmRow, error) {
	end := sort.Search(len(s.rows), func(i int) bool { return s.rows[i].DetectedAt.After(s.now) })
	i := sort.Search(len(s.rows), func(i int) bool { return !s.rows[i].DetectedAt.Before(since) }) + offset
	i = min(i, end)
	return s.rows[i:min(i+limit, end)], nil
}

// stop ends the simulation early (SIGINT), so that a profile is written.
var stop atomic.Bool

// nopSink takes the warnings' states and drops them.
type nopSink struct{}

func (nopSink) WriteWarnings(context.Context, []warnings.Warning) error { return nil }

func run() error {
	seed := flag.Int64("seed", 1, "demo seed (1: the stream of make run and make bench-reports)")
	step := flag.Duration("step", 5*time.Minute, "engine tick of the simulated clock")
	profile := flag.String("cpuprofile", "", "write a CPU profile to this file")
	flag.Parse()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	go func() { <-sig; stop.Store(true) }()
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	reg, err := schemas.LoadTongliao()
	if err != nil {
		return err
	}
	alarms, levels, err := demoAlarms(reg, *seed)
	if err != nil {
		return err
	}
	fmt.Printf("demo seed %d: %d rule alarms (red %d, orange %d, yellow %d), %s … %s\n", *seed, len(alarms),
		levels["red"], levels["orange"], levels["yellow"], alarms[0].DetectedAt.Format(time.DateOnly), alarms[len(alarms)-1].DetectedAt.Format(time.DateOnly))

	for _, c := range []struct {
		name   string
		routes []*warnings.Route
	}{
		{"before (yellow rule alarms at once)", []*warnings.Route{warnings.DefaultRoutes()[0]}},
		{"after (yellow rule alarms in a daily digest at 08:00)", warnings.DefaultRoutes()},
	} {
		counts, err := simulate(reg, alarms, c.routes, *step)
		if err != nil {
			return err
		}
		report(c.name, counts)
	}
	return nil
}

// demoAlarms transforms the demo stream and evaluates the stream rules on
// every version, detected when the case was reported (as the reports'
// benchmark loads them).
func demoAlarms(reg *schemas.Registry, seed int64) ([]warnings.RuleAlarmRow, map[string]int, error) {
	gen, err := demo.New(demo.Options{Seed: seed, Registry: reg})
	if err != nil {
		return nil, nil, err
	}
	tr, err := transform.New(transform.Options{Registry: reg})
	if err != nil {
		return nil, nil, err
	}
	rcfg := rules.Config{ExtremeWords: rules.DefaultExtremeWords}
	var out []warnings.RuleAlarmRow
	seen := map[string]bool{}
	levels := map[string]int{}
	for i := 0; ; i++ {
		r, ok := gen.Next()
		if !ok {
			break
		}
		b, err := schemas.MarshalRecord(r)
		if err != nil {
			return nil, nil, err
		}
		row, err := tr.Transform(b, transform.Meta{Topic: "demo", Offset: int64(i)}, r.ReportedAt)
		if err != nil {
			continue
		}
		for _, a := range rules.Evaluate(&row, rcfg, row.ReportedAt) {
			k := a.Rule + "|" + string(row.Source) + "|" + row.CaseID
			if !seen[k] {
				seen[k] = true
				levels[a.Level]++
			}
			out = append(out, warnings.RuleAlarmRow{Rule: a.Rule, Source: string(row.Source), CaseID: row.CaseID, Level: a.Level,
				CountyCode: row.CountyCode, TownCode: row.TownCode, RegionCode: row.RegionCode, Category: row.Category,
				Detail: a.Detail, ReportedAt: row.ReportedAt, DetectedAt: a.DetectedAt})
		}
	}
	if len(out) == 0 {
		return nil, nil, fmt.Errorf("the demo stream raised no rule alarm")
	}
	slices.SortStableFunc(out, func(a, b warnings.RuleAlarmRow) int { return a.DetectedAt.Compare(b.DetectedAt) })
	return out, levels, nil
}

// simulate runs the engine with the default configuration and the given
// children of the root route, and counts the messages per center and ISO
// week ("2026-W09").
func simulate(reg *schemas.Registry, alarms []warnings.RuleAlarmRow, routes []*warnings.Route, step time.Duration) (map[string]map[string]int, error) {
	wc := config.Default().Warnings
	wc.Centers = map[string]config.StringList{"*": {"hook"}}
	cfg, err := warnwire.EngineConfig(wc, reg, "http://demo", nil)
	if err != nil {
		return nil, err
	}
	root := cfg.Route
	root.Routes = nil
	for _, r := range routes {
		c := *r
		c.Routes = nil
		root.Routes = append(root.Routes, &c)
	}
	// Finish again: the children inherit the root's values.
	fresh := &warnings.Route{Targets: root.Targets, GroupBy: root.GroupBy, Timing: root.Timing, SendResolved: root.SendResolved, Routes: root.Routes}
	fresh.Finish()
	cfg.Route = fresh
	// No outbox: the messages are counted, not delivered. The sink takes
	// the warnings' states, so that resolved ones can be forgotten.
	src := &source{rows: alarms}
	e, err := warnings.NewEngine(cfg, src, nil, nil, nopSink{}, nil)
	if err != nil {
		return nil, err
	}
	counts := map[string]map[string]int{}
	end := alarms[len(alarms)-1].DetectedAt.Add(48 * time.Hour)
	for now := alarms[0].DetectedAt.Truncate(step); !now.After(end); now = now.Add(step) {
		if stop.Load() {
			break
		}
		src.now = now
		ns, err := e.Tick(context.Background(), now)
		if err != nil {
			return nil, err
		}
		for _, n := range ns {
			y, w := n.CreatedAt.In(schemas.Zone()).ISOWeek()
			wk := fmt.Sprintf("%d-W%02d", y, w)
			if counts[n.Receiver] == nil {
				counts[n.Receiver] = map[string]int{}
			}
			counts[n.Receiver][wk]++
		}
	}
	return counts, nil
}

// report prints the pushes per center per week: over every center and every
// week of the period the centers received anything in, the mean, the 95th
// percentile and the maximum, and the totals.
func report(name string, counts map[string]map[string]int) {
	weeks := map[string]bool{}
	total := 0
	for _, byWeek := range counts {
		for w, n := range byWeek {
			weeks[w] = true
			total += n
		}
	}
	var cells []int
	busiest, busiestN := "", 0
	for c, byWeek := range counts {
		sum := 0
		for w := range weeks {
			cells = append(cells, byWeek[w])
			sum += byWeek[w]
		}
		if sum > busiestN {
			busiest, busiestN = c, sum
		}
	}
	if len(cells) == 0 {
		fmt.Printf("%s: no pushes\n", name)
		return
	}
	sort.Ints(cells)
	mean := float64(total) / float64(len(cells))
	p95 := cells[int(0.95*float64(len(cells)-1))]
	fmt.Printf("%s:\n  %d pushes to %d centers over %d weeks; per center per week: mean %.2f, p95 %d, max %d; busiest center %s: %.1f a week\n",
		name, total, len(counts), len(weeks), mean, p95, cells[len(cells)-1], busiest, float64(busiestN)/float64(len(weeks)))
}
