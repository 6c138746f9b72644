package reports

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// EmergingIssue is one burst of similar complaints in a town within a few
// days, across categories (the emerging_day job), as the report reads it:
// the largest computation of the burst in the period.
type EmergingIssue struct {
	Town string
	// Villages are the names of the villages the cases came from.
	Villages       []string
	Categories     []string
	Size           int
	First, Last    time.Time
	Representative string // masked
}

// EmergingPart is the section 新出现问题.
type EmergingPart struct {
	Note string        `json:"note"`
	Rows []EmergingRow `json:"rows"`
}

// EmergingRow is one line of the section's table.
type EmergingRow struct {
	Place          string `json:"place"`
	Count          int    `json:"count"`
	Types          string `json:"types"`
	When           string `json:"when"`
	Representative string `json:"representative"`
}

// maxEmergingRows caps the table; the note gives the total.
const maxEmergingRows = 10

// emerging builds the section 新出现问题 from Input.Emerging; nil input
// (a store without the job) leaves the section out.
func (b *builder) emerging() {
	if b.in.Emerging == nil {
		return
	}
	issues := append([]EmergingIssue(nil), b.in.Emerging...)
	sort.SliceStable(issues, func(i, j int) bool {
		if issues[i].Size != issues[j].Size {
			return issues[i].Size > issues[j].Size
		}
		return issues[i].First.Before(issues[j].First)
	})
	p := &EmergingPart{}
	if len(issues) == 0 {
		p.Note = "本期未发现新出现问题（同一乡镇短期内集中出现、分属多个类型的相似诉求）。"
		b.m.Emerging = p
		return
	}
	p.Note = fmt.Sprintf("本期发现新出现问题 %d 起：同一乡镇 3 天内集中出现内容相似的诉求，登记时分属多个类型，按类型统计不易察觉，建议统筹研判处置。", len(issues))
	if len(issues) > maxEmergingRows {
		p.Note += fmt.Sprintf("下表列出件数最多的 %d 起。", maxEmergingRows)
		issues = issues[:maxEmergingRows]
	}
	z := zone()
	for _, is := range issues {
		place := b.place(is.Town)
		if len(is.Villages) > 0 {
			place += "（" + strings.Join(is.Villages, "、") + "）"
		}
		var ts []string
		for _, c := range is.Categories {
			ts = append(ts, b.category(c))
		}
		p.Rows = append(p.Rows, EmergingRow{
			Place: place, Count: is.Size, Types: strings.Join(ts, "、"),
			When:           is.First.In(z).Format("01-02 15:04") + "—" + is.Last.In(z).Format("01-02 15:04"),
			Representative: is.Representative,
		})
	}
	b.m.Emerging = p
}
