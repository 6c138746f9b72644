package warnings

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/riskwatch/riskwatch/schemas"
)

// KindLinked is one party (a person found by ID number, phone or name
// within a village, or an organisation) in several cases of the last 90
// days: a repeat party, a party in several towns, or an organisation named
// in disputes in several villages (indices/links).
const KindLinked = "linked"

// LinkRow is one link of the latest linked-cases window.
type LinkRow struct {
	WindowEnd time.Time
	Key       string
	// Label is masked: a surname and *, or an organisation's normalised
	// name.
	Label   string
	Kinds   []string // id, phone, name, org
	Reasons []string // repeat_party, cross_town, org_villages
	// Scope is the town holding every case, else their county, else ""
	// (the whole registry).
	Scope           string
	Cases           []string
	Towns, Villages []string
	First, Last     time.Time
}

// LinkSource returns the links of the latest linked-cases window. A
// SnapshotSource that also implements it feeds the 关联预警 warnings.
type LinkSource interface {
	CaseLinks(ctx context.Context) ([]LinkRow, error)
}

var linkKindZH = map[string]string{"id": "身份证号", "phone": "联系电话", "name": "姓名和村社区", "org": "单位名称"}

var linkReasonZH = map[string]string{
	"repeat_party": "90天内反复涉案", "cross_town": "跨乡镇涉案", "org_villages": "在多个村社区涉及纠纷",
}

// FromLink returns the warning of a link, addressed to the town holding
// its cases, else their county, else the registry's root. Its id is the
// link's key, so a link keeps one warning while it grows; it resolves when
// the latest window no longer holds it. It is orange from 5 cases or 3
// villages, yellow below.
func (b *Builder) FromLink(r LinkRow) Warning {
	level := Yellow
	if len(r.Cases) >= 5 || len(r.Villages) >= 3 {
		level = Orange
	}
	w := Warning{Kind: KindLinked, Rule: "day", Level: level, Subject: r.Key}
	scope := r.Scope
	if scope == "" {
		scope = b.Regions.Root().Code
	}
	b.place(&w, scope)
	w.ID = WarningID(w.Kind, w.Rule, w.Region, w.Subject)
	who := "当事人" + r.Label
	for _, k := range r.Kinds {
		if k == "org" {
			who = "单位“" + r.Label + "”"
		}
	}
	w.Title = fmt.Sprintf("%s关联预警：%s涉及%d件案件", b.fullName(&w), who, len(r.Cases))
	z := schemas.Zone()
	var places []string
	for _, v := range r.Villages {
		name := v
		if reg, ok := b.Regions.Lookup(v); ok {
			name = reg.Name
		}
		places = append(places, name)
	}
	var kinds, reasons []string
	for _, k := range r.Kinds {
		kinds = append(kinds, zhOr(linkKindZH, k))
	}
	for _, k := range r.Reasons {
		reasons = append(reasons, zhOr(linkReasonZH, k))
	}
	var body strings.Builder
	fmt.Fprintf(&body, "%s—%s，%s（%s相同）涉及案件 %d 件，分布在 %d 个乡镇、%d 个村社区",
		r.First.In(z).Format("01-02"), r.Last.In(z).Format("01-02"), who, strings.Join(kinds, "、"), len(r.Cases), len(r.Towns), len(r.Villages))
	if len(places) > 0 {
		fmt.Fprintf(&body, "（%s）", strings.Join(places, "、"))
	}
	// No case id in the text: leaders read warnings too (docs/security.md);
	// the console's 关联案件 page lists the cases for the roles that may
	// see them.
	fmt.Fprintf(&body, "：%s。关联案件见控制台“关联案件”页面。建议核查是否为同一当事人，统筹化解、防止矛盾升级。",
		strings.Join(reasons, "、"))
	w.Body = body.String()
	w.Link = strings.TrimRight(b.BaseURL, "/") + "/console/?view=links"
	return w
}

func zhOr(m map[string]string, k string) string {
	if s, ok := m[k]; ok {
		return s
	}
	return k
}

// linkSnapshot reads the links when the source offers them; ok is false
// when the source does not.
func (e *Engine) linkSnapshot(ctx context.Context) (map[string]Warning, bool, error) {
	src, ok := e.snaps.(LinkSource)
	if !ok {
		return nil, false, nil
	}
	rows, err := src.CaseLinks(ctx)
	if err != nil {
		return nil, true, fmt.Errorf("cannot read case links: %w", err)
	}
	cur := map[string]Warning{}
	for _, r := range rows {
		w := e.cfg.Builder.FromLink(r)
		cur[w.ID] = w
	}
	return cur, true, nil
}
