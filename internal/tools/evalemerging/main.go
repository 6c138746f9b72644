// Command evalemerging scores the emerging-issue detector against the
// ground truth of the demo stream (make eval-emerging).
//
// It generates the demo stream with its emerging issues on (seed 1, the
// default period and outbreaks), passes every record through the real
// transform (so the detector sees the masked summaries and the categories
// the pipeline stores), keeps each case's latest row as the store's cases
// table does, and computes the emerging_day job's clusters
// (jobs.EmergingIssues) at the end of every day of the period. ClickHouse
// is left out: the job's store reads and writes are tested on their own
// (jobs TestEmergingJobOnClickHouse), and this keeps the evaluation to a
// few minutes on a loaded machine. It prints
//
//	emerging: found F of N within 2 days (share S); false clusters per city-week W
//
// An injected issue is found when a cluster of a day ending at most two
// days after the issue's first day holds at least three of its cases and
// its cases are at least half of the cluster. A false cluster is a cluster
// of which less than half are injected cases of one issue; the clusters of
// consecutive days that share a case count once. The rate is per city (the
// registry's root) and week of the period evaluated (after the first 35
// days, which only give the baseline).
package main

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"time"

	"github.com/riskwatch/riskwatch/indices/emerging"
	"github.com/riskwatch/riskwatch/internal/tools/toolenv"
	"github.com/riskwatch/riskwatch/jobs"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/sources/demo"
	"github.com/riskwatch/riskwatch/store"
	"github.com/riskwatch/riskwatch/transform"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "eval-emerging:", err)
		os.Exit(1)
	}
}

func run() error {
	seed := flag.Int64("seed", 1, "demo stream seed")
	months := flag.Int("months", 0, "evaluate only the last MONTHS months of the default period (0: all of it)")
	threshold := flag.Float64("threshold", 0, "similarity threshold (0: the detector's default)")
	alpha := flag.Float64("alpha", 0, "burst test level (0: the detector's default)")
	flag.Parse()
	reg, err := schemas.LoadTongliao()
	if err != nil {
		return err
	}
	from, to := demo.DefaultPeriod()
	if *months > 0 {
		from = to.AddDate(0, -*months, 1)
	}
	now := time.Date(to.Year(), to.Month(), to.Day(), 23, 59, 59, 0, schemas.Zone())
	t0 := time.Now()
	gen, err := demo.New(demo.Options{Seed: *seed, Registry: reg, From: from, To: to, Emerging: true})
	if err != nil {
		return err
	}
	tr, err := transform.New(transform.Options{Registry: reg})
	if err != nil {
		return err
	}
	latest := map[string]store.EmergingCase{}
	records, err := toolenv.TransformAll(gen, tr, "evalemerging", now, func(row *schemas.CaseRow) {
		latest[row.CaseID] = store.EmergingCase{CaseID: row.CaseID, CountyCode: row.CountyCode, TownCode: row.TownCode,
			VillageCode: row.VillageCode, Category: row.Category, Summary: row.Summary, ReportedAt: row.ReportedAt}
	})
	if err != nil {
		return err
	}
	var cases []store.EmergingCase
	for _, c := range latest {
		if c.TownCode != "" {
			cases = append(cases, c)
		}
	}
	sort.Slice(cases, func(i, j int) bool { return cases[i].ReportedAt.Before(cases[j].ReportedAt) })
	truth := gen.Emerging()
	fmt.Printf("generated %d records (%d cases, %d emerging issues) of the demo stream (seed %d, %s to %s) through transform in %.0f s\n",
		records, len(latest), len(truth), *seed, from.Format(time.DateOnly), to.Format(time.DateOnly), time.Since(t0).Seconds())

	opt := emerging.DefaultOptions()
	if *threshold > 0 {
		opt.Threshold = *threshold
	}
	if *alpha > 0 {
		opt.Alpha = *alpha
	}
	evalFrom := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, schemas.Zone()).AddDate(0, 0, 35)
	last := time.Date(to.Year(), to.Month(), to.Day(), 0, 0, 0, 0, schemas.Zone()).AddDate(0, 0, 1)
	sc := newScorer(truth)
	t1 := time.Now()
	clusters := 0
	for end := evalFrom.AddDate(0, 0, 1); !end.After(last); end = end.AddDate(0, 0, 1) {
		lo := sort.Search(len(cases), func(i int) bool { return !cases[i].ReportedAt.Before(end.Add(-opt.Window - opt.Baseline)) })
		hi := sort.Search(len(cases), func(i int) bool { return !cases[i].ReportedAt.Before(end) })
		found, err := jobs.EmergingIssues(cases[lo:hi], end, opt)
		if err != nil {
			return err
		}
		for _, f := range found {
			clusters++
			if sc.add(end, f.Members) {
				fmt.Printf("false cluster %s (%d cases, %v): %s\n", f.Key, f.Size, f.Categories, f.Representative)
			}
		}
	}
	n, inTime, ever, missed := sc.result(evalFrom)
	for _, m := range missed {
		fmt.Printf("missed %s (%d cases, %v)\n", m.Label, len(m.CaseIDs), m.Categories)
	}
	weeks := last.Sub(evalFrom).Hours() / 24 / 7
	share := 0.0
	if n > 0 {
		share = float64(inTime) / float64(n)
	}
	fmt.Printf("detector over %d day ends in %.0f s: %d clusters; %d of %d issues found at all\n", int(last.Sub(evalFrom).Hours()/24), time.Since(t1).Seconds(), clusters, ever, n)
	fmt.Printf("emerging: found %d of %d within 2 days (share %.2f); false clusters per city-week %.2f\n", inTime, n, share, float64(sc.falses())/weeks)
	return nil
}
