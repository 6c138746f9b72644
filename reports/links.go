package reports

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// LinkedParty is one link of the links_day job as the report reads it: a
// party (masked) in several cases of the 90 days before the period's end.
// It holds no case id: reports are written for leaders.
type LinkedParty struct {
	// Label is masked: a surname and *, or an organisation's normalised
	// name; Org says which.
	Label string
	Org   bool
	// Reasons are repeat_party, cross_town, org_villages.
	Reasons []string
	Cases   int
	// Towns and Villages are names.
	Towns, Villages []string
	First, Last     time.Time
}

// LinksPart is the section 关联案件.
type LinksPart struct {
	Note string     `json:"note"`
	Rows []LinksRow `json:"rows"`
}

// LinksRow is one line of the section's table.
type LinksRow struct {
	Party  string `json:"party"`
	Reason string `json:"reason"`
	Count  int    `json:"count"`
	Places string `json:"places"`
	When   string `json:"when"`
}

// maxLinkRows caps the table; the note gives the total.
const maxLinkRows = 10

var linkReasonText = map[string]string{"repeat_party": "90天内反复涉案", "cross_town": "跨乡镇涉案", "org_villages": "在多个村社区涉及纠纷"}

// links builds the section 关联案件 from Input.Links; nil input (a store
// without the job) leaves the section out.
func (b *builder) links() {
	if b.in.Links == nil {
		return
	}
	ls := append([]LinkedParty(nil), b.in.Links...)
	sort.SliceStable(ls, func(i, j int) bool {
		if ls[i].Cases != ls[j].Cases {
			return ls[i].Cases > ls[j].Cases
		}
		return ls[i].First.Before(ls[j].First)
	})
	p := &LinksPart{}
	if len(ls) == 0 {
		p.Note = "近90天未发现关联案件（同一当事人或单位反复、跨乡镇或在多个村社区涉案）。"
		b.m.Links = p
		return
	}
	orgs := 0
	for _, l := range ls {
		if l.Org {
			orgs++
		}
	}
	p.Note = fmt.Sprintf("近90天发现关联案件 %d 组（其中涉及单位 %d 组）：同一当事人或单位反复、跨乡镇或在多个村社区涉案，"+
		"按单件办理不易察觉，建议核查是否为同一当事人，统筹化解、防止矛盾升级。当事人姓名已脱敏，案件编号见分析研判台。", len(ls), orgs)
	if len(ls) > maxLinkRows {
		p.Note += fmt.Sprintf("下表列出案件最多的 %d 组。", maxLinkRows)
		ls = ls[:maxLinkRows]
	}
	z := zone()
	for _, l := range ls {
		party := "当事人" + l.Label
		if l.Org {
			party = "单位：" + l.Label
		}
		var rs []string
		for _, r := range l.Reasons {
			if t, ok := linkReasonText[r]; ok {
				r = t
			}
			rs = append(rs, r)
		}
		places := strings.Join(l.Towns, "、")
		if len(l.Villages) > 0 {
			places += "（" + strings.Join(l.Villages, "、") + "）"
		}
		p.Rows = append(p.Rows, LinksRow{Party: party, Reason: strings.Join(rs, "、"), Count: l.Cases, Places: places,
			When: l.First.In(z).Format("01-02") + "—" + l.Last.In(z).Format("01-02")})
	}
	b.m.Links = p
}
