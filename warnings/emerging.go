package warnings

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/riskwatch/riskwatch/schemas"
)

// KindEmerging is a burst of similar complaints in one town within a few
// days, filed under several categories (indices/emerging).
const KindEmerging = "emerging"

// EmergingRow is one cluster of the latest emerging-issue window.
type EmergingRow struct {
	WindowEnd      time.Time
	Town, Key      string
	Representative string // masked
	Size           int
	Villages       []string
	Categories     []string
	First, Last    time.Time
	Expected       float64
}

// EmergingSource returns the clusters of the latest emerging-issue
// window. A SnapshotSource that also implements it feeds the 新发问题
// warnings.
type EmergingSource interface {
	EmergingIssues(ctx context.Context) ([]EmergingRow, error)
}

// FromEmerging returns the warning of a cluster, addressed to its town.
// Its id is the cluster's key (the town and its earliest case), so the
// cluster keeps one warning while it grows; it resolves when the latest
// window no longer holds it.
func (b *Builder) FromEmerging(r EmergingRow) Warning {
	w := Warning{Kind: KindEmerging, Rule: "day", Level: Yellow, Subject: r.Key}
	b.place(&w, r.Town)
	w.ID = WarningID(w.Kind, w.Rule, w.Region, w.Subject)
	w.Title = fmt.Sprintf("%s出现新发问题：%d件相似诉求", b.fullName(&w), r.Size)
	z := schemas.Zone()
	var places []string
	for _, v := range r.Villages {
		name := v
		if reg, ok := b.Regions.Lookup(v); ok {
			name = reg.Name
		}
		places = append(places, name)
	}
	var cats []string
	for _, c := range r.Categories {
		cats = append(cats, b.catName(c))
	}
	var body strings.Builder
	fmt.Fprintf(&body, "%s—%s", r.First.In(z).Format("01-02 15:04"), r.Last.In(z).Format("01-02 15:04"))
	if len(places) > 0 {
		fmt.Fprintf(&body, "，%s", strings.Join(places, "、"))
	}
	fmt.Fprintf(&body, "受理相似诉求 %d 件，分属%s等类型（基线预期 %.1f 件）。代表性诉求：“%s”。建议及时研判、统筹处置。",
		r.Size, strings.Join(cats, "、"), r.Expected, r.Representative)
	w.Body = body.String()
	w.Link = b.reportLink()
	return w
}

// emergingSnapshot reads the clusters when the source offers them; ok is
// false when the source does not.
func (e *Engine) emergingSnapshot(ctx context.Context) (map[string]Warning, bool, error) {
	src, ok := e.snaps.(EmergingSource)
	if !ok {
		return nil, false, nil
	}
	rows, err := src.EmergingIssues(ctx)
	if err != nil {
		return nil, true, fmt.Errorf("cannot read emerging issues: %w", err)
	}
	cur := map[string]Warning{}
	for _, r := range rows {
		w := e.cfg.Builder.FromEmerging(r)
		cur[w.ID] = w
	}
	return cur, true, nil
}
