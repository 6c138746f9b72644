// Command benchreports measures the warning reports (make bench-reports):
// it loads the seeded Tongliao demo stream into a throwaway ClickHouse
// through the real transform and store, runs every index job for the last
// complete week and month of the data, renders the weekly city report and
// each banner's, and prints per report the time to read the stored rows
// and build the model, the time to render the HTML, and the HTML size,
// against the targets of ≤ 1 s per report and ≤ 2 MB. With -pdf it also
// times PNG and PDF through headless Chromium.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/riskwatch/riskwatch/internal/reportgen"
	"github.com/riskwatch/riskwatch/internal/rules"
	"github.com/riskwatch/riskwatch/internal/tools/toolenv"
	"github.com/riskwatch/riskwatch/jobs"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/sources/demo"
	"github.com/riskwatch/riskwatch/store"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench-reports:", err)
		os.Exit(1)
	}
}

func run() error {
	records := flag.Int("records", 0, "generated records to load (0: the default demo stream, two years of Tongliao)")
	pdf := flag.Bool("pdf", false, "also render PNG and PDF with headless Chromium and time them")
	window := flag.String("window", "week", "report window: day, week or month")
	outDir := flag.String("out", "", "write the reports into this directory and keep them (default: a temporary one, removed)")
	flag.Parse()
	win, err := schemas.ParseWindow(*window)
	if err != nil {
		return fmt.Errorf("-window: %w", err)
	}
	ctx := context.Background()
	env, err := toolenv.Start(ctx, toolenv.Options{Database: "bench", MaxOpenConns: 4, ReadTimeout: 30 * time.Minute})
	if err != nil {
		return err
	}
	defer env.Close()
	ch, st := env.CH, env.Store
	reg := env.Registry

	t0 := time.Now()
	var gen *demo.Generator
	if *records > 0 {
		gen, err = demo.NewN(demo.Options{Seed: 1, Registry: reg}, *records)
	} else {
		gen, err = demo.New(demo.Options{Seed: 1, Registry: reg})
	}
	if err != nil {
		return err
	}
	_, to := demo.DefaultPeriod()
	now := time.Date(to.Year(), to.Month(), to.Day(), 23, 59, 59, 0, schemas.Zone())
	loaded, err := load(ctx, st, reg, gen, now)
	if err != nil {
		return err
	}
	cs, err := st.CaseStats(ctx)
	if err != nil {
		return err
	}
	nAlarms, err := st.CountRows(ctx, "rule_alarms")
	if err != nil {
		return err
	}
	fmt.Printf("loaded %d records (%d cases, %d rule alarms) in %.1f s\n", loaded, cs.Rows, nAlarms, time.Since(t0).Seconds())

	// The jobs for the last complete week of the data (NewN can end the
	// stream before the period does), the day windows of that week, and
	// the report's window.
	last, err := ch.Query(ctx, "SELECT toUnixTimestamp(max(reported_at)) FROM bench.cases")
	if err != nil {
		return err
	}
	var lastUnix int64
	fmt.Sscan(strings.TrimSpace(last), &lastUnix)
	now = time.Unix(lastUnix, 0).In(schemas.Zone())
	week := schemas.Week.Align(now)
	t1 := time.Now()
	for _, j := range jobs.All(st, reg, func() time.Time { return now }, jobs.Options{}) {
		ends := []time.Time{j.Window.Align(week)}
		if j.Window == schemas.Day {
			ends = nil
			for d := week.AddDate(0, 0, -6); !d.After(week); d = d.AddDate(0, 0, 1) {
				ends = append(ends, d)
			}
		}
		if j.Window == win && win != schemas.Day {
			ends = append(ends, win.Align(now))
		}
		for _, e := range ends {
			if _, err := j.Run(ctx, e); err != nil {
				return fmt.Errorf("job %s: %w", j.Name, err)
			}
		}
	}
	fmt.Printf("index jobs in %.1f s\n", time.Since(t1).Seconds())

	dir := *outDir
	if dir == "" {
		dir, err = os.MkdirTemp("", "bench-reports-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	}
	g, err := reportgen.New(st, reg, reportgen.Options{Dir: dir})
	if err != nil {
		return err
	}
	end := week
	if win != schemas.Week {
		end = win.Align(week)
	}
	specs := g.Specs(win, end, []int{2, 3})
	// One untimed round first: connections, template and the GeoJSON.
	if _, err := g.Render(ctx, specs[:1], []string{reportgen.HTML}); err != nil {
		return err
	}
	res, err := g.Render(ctx, specs, []string{reportgen.HTML})
	if err != nil {
		return err
	}
	fmt.Printf("\n%s reports ending %s (%d), HTML only; target ≤ 1 s per report and ≤ 2 MB:\n", win, end.AddDate(0, 0, -1).Format(time.DateOnly), len(res))
	fmt.Printf("%-16s %s %10s %10s %10s %12s\n", "region", pad("name", 20), "read+build", "render", "total", "HTML bytes")
	var worst time.Duration
	biggest := 0
	for _, r := range res {
		region, _ := reg.Lookup(r.Spec.Region)
		total := r.Build + r.HTML
		worst, biggest = max(worst, total), max(biggest, r.Size)
		fmt.Printf("%-16s %s %8.0f ms %8.0f ms %8.0f ms %12d\n", r.Spec.Region, pad(region.Name, 20), ms(r.Build), ms(r.HTML), ms(total), r.Size)
	}
	verdict := func(ok bool) string {
		if ok {
			return "ok"
		}
		return "OVER TARGET"
	}
	fmt.Printf("slowest report %.0f ms (%s), largest HTML %.2f MB (%s)\n", ms(worst), verdict(worst <= time.Second), float64(biggest)/(1<<20), verdict(biggest <= 2<<20))

	if *pdf {
		t := time.Now()
		res, err := g.Render(ctx, specs, []string{reportgen.HTML, reportgen.PNG, reportgen.PDF})
		if err != nil {
			return err
		}
		d := time.Since(t)
		fmt.Printf("HTML+PNG+PDF of %d reports with one Chromium: %.1f s (%.0f ms per report)\n", len(res), d.Seconds(), ms(d)/float64(len(res)))
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// pad right-pads a Chinese name to n display cells (2 per Han character).
func pad(s string, n int) string {
	w := 0
	for _, r := range s {
		if r > 0x2e80 {
			w += 2
		} else {
			w++
		}
	}
	if w >= n {
		return s
	}
	return s + strings.Repeat(" ", n-w)
}

// load stores the stream through the real transform and raises the rule
// alarms of every stored batch as ingest does (internal/app alarmingSink),
// so that the reports' alarm section and its summary lookup have their real
// load.
func load(ctx context.Context, st *store.Store, reg *schemas.Registry, gen *demo.Generator, now time.Time) (int, error) {
	rcfg := rules.Config{ExtremeWords: rules.DefaultExtremeWords}
	return toolenv.Load(ctx, st, reg, gen, now, func(rows []schemas.CaseRow) error {
		var alarms []store.RuleAlarm
		for i := range rows {
			for _, a := range rules.Evaluate(&rows[i], rcfg, rows[i].ReportedAt) {
				r := a.Row
				alarms = append(alarms, store.RuleAlarm{Rule: a.Rule, Source: string(r.Source), CaseID: r.CaseID, CaseVersion: r.Version,
					Level: a.Level, CountyCode: r.CountyCode, TownCode: r.TownCode, RegionCode: r.RegionCode, Category: r.Category,
					Detail: a.Detail, ReportedAt: r.ReportedAt, DetectedAt: a.DetectedAt})
			}
		}
		return st.InsertRuleAlarms(ctx, alarms)
	})
}
