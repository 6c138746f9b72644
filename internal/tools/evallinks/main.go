// Command evallinks scores the linked-cases job against the ground truth
// of the demo stream (make eval-links).
//
// It generates the demo stream with its linked parties on (seed 1, the
// default period), passes every record through the real transform under a
// fixed secret (so the job sees the pseudonymous keys and masked labels
// the pipeline stores, derived from the parties as the generator spelled
// them: 萧山城投 here, 杭州萧山城投集团有限公司 there, IDs with a lower-case
// x, phones with +86), keeps each case's latest row as the store's cases
// table does, and computes the links_day job's links (jobs.CaseLinks) at
// every seventh day end of the period after the first 90 days. ClickHouse
// is left out: the job's store reads and writes are tested on their own
// (jobs TestLinksJobOnClickHouse).
//
// Scoring is by case pairs, per window end: a found pair is two cases in
// one found link; a true pair is two cases of one injected link whose
// cases in the window meet its rule (repeat_party: at least 3 cases;
// cross_town: 2 towns; org_villages: 2 villages). Precision is the share of
// found pairs that are true, recall the share of true pairs found, both
// summed over the window ends. The look-alikes the generator injects (the
// same name in two cases of one village, a common name in three towns, an
// organisation twice in one village) and the parties of the baseline cases
// are in no true pair, so a link among them costs precision. It prints
// the link-level figures, then
//
//	links demo: precision P; recall R; n N
//
// with N the number of injected links that meet their rule in at least
// one window end.
package main

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"sort"
	"time"

	"github.com/riskwatch/riskwatch/indices/links"
	"github.com/riskwatch/riskwatch/internal/tools/toolenv"
	"github.com/riskwatch/riskwatch/jobs"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/sources/demo"
	"github.com/riskwatch/riskwatch/store"
	"github.com/riskwatch/riskwatch/transform"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "eval-links:", err)
		os.Exit(1)
	}
}

// evalSecret keys the evaluation's parties; any secret gives the same
// links.
const evalSecret = "evallinks-secret-0123456789"

func run() error {
	seed := flag.Int64("seed", 1, "demo stream seed")
	months := flag.Int("months", 0, "evaluate only the last MONTHS months of the default period (0: all of it)")
	step := flag.Int("step", 7, "days between evaluated window ends")
	minCases := flag.Int("min-cases", 0, "cases that make a repeat party (0: the job's default, 3)")
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
	gen, err := demo.New(demo.Options{Seed: *seed, Registry: reg, From: from, To: to, Links: true})
	if err != nil {
		return err
	}
	tr, err := transform.New(transform.Options{Registry: reg, PartyKeySecret: []byte(evalSecret), PartyKeyID: "eval"})
	if err != nil {
		return err
	}
	latest := map[string]store.PartyKeyCase{}
	records, err := toolenv.TransformAll(gen, tr, "evallinks", now, func(row *schemas.CaseRow) {
		latest[row.CaseID] = store.PartyKeyCase{CaseID: row.CaseID, CountyCode: row.CountyCode, TownCode: row.TownCode,
			VillageCode: row.VillageCode, ReportedAt: row.ReportedAt, Keys: row.PartyKeys, Kinds: row.PartyKeyKinds, Labels: row.PartyLabels}
	})
	if err != nil {
		return err
	}
	var cases []store.PartyKeyCase
	for _, c := range latest {
		if len(c.Keys) > 0 {
			cases = append(cases, c)
		}
	}
	sort.Slice(cases, func(i, j int) bool { return cases[i].ReportedAt.Before(cases[j].ReportedAt) })
	truth := gen.Links()
	fmt.Printf("generated %d records (%d cases, %d with party keys, %d injected links) of the demo stream (seed %d, %s to %s) through transform in %.0f s\n",
		records, len(latest), len(cases), len(truth), *seed, from.Format(time.DateOnly), to.Format(time.DateOnly), time.Since(t0).Seconds())

	opt := links.DefaultOptions()
	if *minCases > 0 {
		opt.MinCases = *minCases
	}
	first := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, schemas.Zone()).AddDate(0, 0, 90)
	last := time.Date(to.Year(), to.Month(), to.Day(), 0, 0, 0, 0, schemas.Zone()).AddDate(0, 0, 1)
	var tp, foundPairs, truePairs, ends, foundLinks, exact, trueLinks int
	qualified := map[int]bool{}
	for end := first; !end.After(last); end = end.AddDate(0, 0, *step) {
		ends++
		lo := sort.Search(len(cases), func(i int) bool { return !cases[i].ReportedAt.Before(end.Add(-opt.Window)) })
		hi := sort.Search(len(cases), func(i int) bool { return !cases[i].ReportedAt.Before(end) })
		found := jobs.CaseLinks(cases[lo:hi], end, opt)
		foundLinks += len(found)
		fp := map[[2]string]bool{}
		foundSets := map[string]bool{}
		for _, l := range found {
			addPairs(fp, l.CaseIDs)
			foundSets[fmt.Sprint(l.CaseIDs)] = true
		}
		tps := map[[2]string]bool{}
		for i, l := range truth {
			in := inWindow(l, end.Add(-opt.Window), end)
			if !meetsRule(l, in) {
				continue
			}
			qualified[i] = true
			trueLinks++
			var ids []string
			for _, j := range in {
				ids = append(ids, l.CaseIDs[j])
			}
			slices.Sort(ids)
			addPairs(tps, ids)
			if foundSets[fmt.Sprint(ids)] {
				exact++
			}
		}
		for p := range fp {
			if tps[p] {
				tp++
			}
		}
		foundPairs += len(fp)
		truePairs += len(tps)
	}
	precision, recall := ratio(tp, foundPairs), ratio(tp, truePairs)
	fmt.Printf("%d window ends (every %d days from %s): %d links found, %d true links, %d found with exactly their cases\n",
		ends, *step, first.Format(time.DateOnly), foundLinks, trueLinks, exact)
	fmt.Printf("case pairs: %d found, %d true, %d both\n", foundPairs, truePairs, tp)
	fmt.Printf("links demo: precision %.3f; recall %.3f; n %d\n", precision, recall, len(qualified))
	return nil
}

// inWindow returns the indices of l's cases reported in [from, to).
func inWindow(l demo.Link, from, to time.Time) []int {
	var out []int
	for i, at := range l.Reported {
		if !at.Before(from) && at.Before(to) {
			out = append(out, i)
		}
	}
	return out
}

// meetsRule reports whether the cases idx of l meet the rule l was
// injected for.
func meetsRule(l demo.Link, idx []int) bool {
	towns, villages := map[string]bool{}, map[string]bool{}
	for _, i := range idx {
		towns[l.Towns[i]], villages[l.Villages[i]] = true, true
	}
	switch l.Reason {
	case demo.LinkRepeatParty:
		return len(idx) >= 3
	case demo.LinkCrossTown:
		return len(towns) >= 2
	case demo.LinkOrgVillages:
		return len(villages) >= 2
	}
	return false
}

// addPairs adds every pair of ids (sorted) to set.
func addPairs(set map[[2]string]bool, ids []string) {
	for i := range ids {
		for j := i + 1; j < len(ids); j++ {
			a, b := ids[i], ids[j]
			if b < a {
				a, b = b, a
			}
			set[[2]string{a, b}] = true
		}
	}
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
