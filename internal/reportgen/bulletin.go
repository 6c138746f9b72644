package reportgen

import (
	"context"
	"fmt"
	"time"

	"github.com/riskwatch/riskwatch/internal/browser"
	"github.com/riskwatch/riskwatch/reports"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

// BulletinInput reads what the monthly ranking bulletin of spec needs: the
// stored monthly risk index rows (with their drivers) of the month and of
// the month before.
func (g *Generator) BulletinInput(ctx context.Context, spec Spec) (reports.BulletinInput, error) {
	region, ok := g.reg.Lookup(spec.Region)
	if !ok {
		return reports.BulletinInput{}, fmt.Errorf("region %q is not in the registry", spec.Region)
	}
	if region.Level != schemas.LevelCity && region.Level != schemas.LevelCounty {
		return reports.BulletinInput{}, fmt.Errorf("the bulletin is issued by the city or a county, not %s %s", region.Code, region.Name)
	}
	end := schemas.Month.Align(spec.End)
	if spec.Window != schemas.Month || !end.Equal(spec.End) {
		return reports.BulletinInput{}, fmt.Errorf("the bulletin needs a month's end, not a %s ending %v", spec.Window, spec.End)
	}
	start := schemas.Month.Prev(end)
	in := reports.BulletinInput{Region: reports.RegionOf(region), Regions: g.regions, Start: start, End: end,
		GeneratedAt: g.now(), Issuer: g.issuer(region)}
	cur, err := g.st.RiskIndexRows(ctx, "month", end)
	if err != nil {
		return in, fmt.Errorf("cannot read the month's risk index: %w", err)
	}
	prev, err := g.st.RiskIndexRows(ctx, "month", start)
	if err != nil {
		return in, fmt.Errorf("cannot read the previous month's risk index: %w", err)
	}
	in.Rows, in.Prev = bulletinRows(cur), bulletinRows(prev)
	return in, nil
}

func bulletinRows(rows []store.RiskIndexRow) []reports.Risk {
	out := make([]reports.Risk, 0, len(rows))
	for _, r := range rows {
		out = append(out, reports.Risk{Region: r.RegionCode, Index: r.Index, Score: r.Score, Band: r.Band,
			BandReasons: r.BandReasons, Reliability: r.Reliability, NCases: r.NCases, Rank: r.Rank,
			DimensionNames: r.DimensionNames, DimensionScores: r.DimensionScores,
			DriversPrev: decodeDrivers(r.DriversPrev), DriversSiblings: decodeDrivers(r.DriversSiblings),
			ThresholdsVersion: r.ThresholdsVersion})
	}
	return out
}

// renderBulletin builds, renders and files one bulletin.
func (g *Generator) renderBulletin(ctx context.Context, s Spec, formats []string, b *browser.Browser) (Result, error) {
	t0 := time.Now()
	in, err := g.BulletinInput(ctx, s)
	if err != nil {
		return Result{}, err
	}
	m, err := reports.BuildBulletin(in)
	if err != nil {
		return Result{}, err
	}
	t1 := time.Now()
	html, err := reports.RenderBulletinHTML(m)
	if err != nil {
		return Result{}, err
	}
	res := Result{Spec: s, Title: m.Title, Files: map[string]string{}, Build: t1.Sub(t0), HTML: time.Since(t1), Size: len(html)}
	md := meta{Title: m.Title, Window: schemas.Month.String(), Level: in.Region.Level, RegionCode: in.Region.Code,
		RegionName: in.Region.Name, Start: in.Start, End: in.End, Files: map[string]string{}}
	sum := Summary{Title: m.Title, Period: m.Period, Accepted: "—", ResolveRate: "—", Overdue: "—"}
	if len(m.Summary) > 0 {
		sum.Judgement = m.Summary[0]
	}
	md.Summary = &sum
	return res, g.file(ctx, s, html, formats, b, &res, md)
}

// BulletinSpecs lists the bulletins of a month's end for the levels: the
// city (2) and each county-level unit with towns (3); level 4 has none.
func (g *Generator) BulletinSpecs(end time.Time, levels []int) []Spec {
	var ls []int
	for _, l := range levels {
		if l <= int(schemas.LevelCounty) {
			ls = append(ls, l)
		}
	}
	out := g.Specs(schemas.Month, end, ls)
	for i := range out {
		out[i].Kind = KindBulletin
	}
	return out
}
