// Command nycrun runs the index jobs over the real NYC Council constituent
// casework 2019–2022 (make nyc-run): the files are converted with the
// shipped mapping, transformed and stored in a throwaway ClickHouse with the
// NYC region hierarchy (the Kafka leg of the same data is covered by the
// test TestNYC311ThroughThePipeline), then the monthly KPI job and the weekly
// alarm job are backfilled over the whole period. It prints the city's
// monthly intake (the 2020 drop must show) and how many alarms fired, by
// level and year, with the regions that fired most.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/riskwatch/riskwatch/internal/tools/toolenv"
	"github.com/riskwatch/riskwatch/jobs"
	"github.com/riskwatch/riskwatch/jobs/scheduler"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/sources/importer"
	"github.com/riskwatch/riskwatch/sources/mappings"
	"github.com/riskwatch/riskwatch/transform"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "nyc-run:", err)
		os.Exit(1)
	}
}

func run() error {
	dir := flag.String("data", "../shared/data/complaints/nyc_council_constituent_services", "folder of nyc_council_constituent_services_20*.csv")
	flag.Parse()
	ctx := context.Background()
	// The NYC deployment runs in New York time: its days, weeks and months.
	ny, err := schemas.LoadZone("America/New_York")
	if err != nil {
		return err
	}
	schemas.SetZone(ny)
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	files, _ := filepath.Glob(filepath.Join(*dir, "nyc_council_constituent_services_20*.csv"))
	if len(files) == 0 {
		return fmt.Errorf("no casework files in %s", *dir)
	}
	m, reg, err := importer.Open(mappings.FS, "nyc_council.yaml")
	if err != nil {
		return err
	}
	env, err := toolenv.Start(ctx, toolenv.Options{Database: "nyc", ReadTimeout: 10 * time.Minute, Registry: reg})
	if err != nil {
		return err
	}
	defer env.Close()
	ch, st := env.CH, env.Store
	tr, err := transform.New(transform.Options{Registry: reg})
	if err != nil {
		return err
	}
	now := time.Now() // an import runs today: cases closed after 2022 are not in the future
	var rows []schemas.CaseRow
	rejected := map[string]int{}
	for _, f := range files {
		r, err := os.Open(f)
		if err != nil {
			return err
		}
		stats, err := m.Convert(r, f, reg, func(rec schemas.Record) error {
			b, err := schemas.MarshalRecord(rec)
			if err != nil {
				return err
			}
			row, err := tr.Transform(b, transform.Meta{Topic: "nyc"}, now)
			if err != nil {
				var re *transform.RejectError
				if errors.As(err, &re) {
					rejected[string(re.Reason)+" "+re.Field]++
				} else {
					rejected["other"]++
				}
				return nil
			}
			rows = append(rows, row)
			return nil
		})
		r.Close()
		if err != nil {
			return err
		}
		fmt.Printf("%s: %d rows, %d records, %d rejected by the mapping\n", filepath.Base(f), stats.Rows, stats.Records, stats.Rejected)
	}
	if err := st.InsertCases(ctx, rows); err != nil {
		return err
	}
	cs, _ := st.CaseStats(ctx)
	fmt.Printf("stored %d cases, %d versions; rejected by the transform: %v\n", cs.Rows, cs.Events, rejected)

	sched := scheduler.New(scheduler.NewMemoryRunStore(), time.Now, log, scheduler.Options{})
	for _, j := range jobs.KPIJobs(st, reg, time.Now) {
		if j.Name == "kpi_month" {
			_ = sched.Add(j)
		}
	}
	for _, j := range jobs.AlarmJobs(st, reg, jobs.DefaultAlarmConfig(schemas.Day), jobs.DefaultAlarmConfig(schemas.Week), time.Now) {
		if j.Name == "alarms_week" {
			_ = sched.Add(j)
		}
	}
	from := time.Date(2019, 2, 1, 0, 0, 0, 0, schemas.Zone())
	to := time.Date(2023, 1, 1, 0, 0, 0, 0, schemas.Zone())
	t0 := time.Now()
	if err := sched.Backfill(ctx, "", from, to, nil); err != nil {
		return err
	}
	fmt.Printf("backfilled kpi_month and alarms_week 2019–2022 in %.1f s\n", time.Since(t0).Seconds())

	// Years of New York time (the columns print in Shanghai time).
	out, err := ch.Query(ctx, `SELECT toYear(window_start, '`+schemas.Zone().String()+`') AS y, groupArray(accepted) FROM (
  SELECT window_start, accepted FROM nyc.region_kpis FINAL WHERE window = 'month' AND region_code = 'NYC' ORDER BY window_start)
GROUP BY y ORDER BY y`)
	if err != nil {
		return err
	}
	fmt.Println("NYC cases accepted per month (Jan … Dec):")
	fmt.Print(indent(out))
	out, err = ch.Query(ctx, `SELECT level, toYear(window_end, '`+schemas.Zone().String()+`') AS y, count() AS series_weeks, sum(alarm) AS alarms,
  round(sum(alarm) / count() * 52, 2) AS alarms_per_series_year
FROM nyc.stat_alarms FINAL WHERE window = 'week' GROUP BY level, y ORDER BY level, y`)
	if err != nil {
		return err
	}
	fmt.Println("weekly alarms (level, year, series-weeks, alarms, alarms per series-year):")
	fmt.Print(indent(out))
	out, err = ch.Query(ctx, `SELECT region_code, category, sum(alarm) AS alarms FROM nyc.stat_alarms FINAL
WHERE window = 'week' GROUP BY region_code, category HAVING alarms > 0 ORDER BY alarms DESC, region_code LIMIT 8`)
	if err != nil {
		return err
	}
	fmt.Println("series with the most alarms:")
	fmt.Print(indent(out))
	return nil
}

func indent(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		b.WriteString("  " + l + "\n")
	}
	return b.String()
}
