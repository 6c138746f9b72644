package reportgen

import (
	"context"
	"time"

	"github.com/riskwatch/riskwatch/reports"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

// emergingSource is what a store offers that keeps the emerging_day
// job's clusters.
type emergingSource interface {
	EmergingIssues(ctx context.Context, from, to time.Time) ([]store.EmergingIssue, error)
}

// emerging reads the section 新出现问题: the clusters of the window ends
// in (start, end] within the region. The job runs daily over a sliding
// window, so one burst appears on several days: clusters sharing a case are
// one issue, shown by its largest computation. Stores without the table
// leave the section out.
func (g *Generator) emerging(ctx context.Context, in *reports.Input, start, end time.Time, region schemas.Region) error {
	src, ok := g.st.(emergingSource)
	if !ok {
		return nil
	}
	rows, err := src.EmergingIssues(ctx, start, end)
	if err != nil {
		return err
	}
	var kept []store.EmergingIssue
	for _, r := range rows {
		switch region.Level {
		case schemas.LevelCounty:
			if r.CountyCode != region.Code {
				continue
			}
		case schemas.LevelTown:
			if r.TownCode != region.Code {
				continue
			}
		}
		kept = append(kept, r)
	}
	// Group the rows that share a case (union-find over row indices).
	parent := make([]int, len(kept))
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	owner := map[string]int{}
	for i, r := range kept {
		for _, id := range r.Members {
			if j, ok := owner[id]; ok {
				parent[find(i)] = find(j)
			} else {
				owner[id] = i
			}
		}
	}
	best := map[int]int{}
	var order []int
	for i, r := range kept {
		root := find(i)
		b, ok := best[root]
		if !ok {
			order = append(order, root)
			best[root] = i
			continue
		}
		if r.Size > kept[b].Size || (r.Size == kept[b].Size && r.WindowEnd.After(kept[b].WindowEnd)) {
			best[root] = i
		}
	}
	in.Emerging = make([]reports.EmergingIssue, 0, len(order))
	for _, root := range order {
		r := kept[best[root]]
		var villages []string
		for _, v := range r.Villages {
			if reg, ok := g.reg.Lookup(v); ok {
				villages = append(villages, reg.Name)
			}
		}
		in.Emerging = append(in.Emerging, reports.EmergingIssue{Town: r.TownCode, Villages: villages, Categories: r.Categories,
			Size: int(r.Size), First: r.FirstAt, Last: r.LastAt, Representative: r.Representative})
	}
	return nil
}
