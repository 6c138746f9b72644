// Package rules raises alarms on single records as they are stored: group
// disputes, large amounts, extreme-risk words in the (masked) summary,
// repeat petitions and superior-assigned cases. It is pure: rows and a
// configuration in, alarms out; the wiring writes them right after the
// insert that stored the rows, so they fire seconds after the record
// arrives, not at the next cron tick.
package rules

import (
	"fmt"
	"strings"
	"time"

	"github.com/riskwatch/riskwatch/schemas"
)

// Config lists the rules' parameters.
type Config struct {
	// ExtremeWords are matched in the summary and category text.
	ExtremeWords []string
}

// DefaultExtremeWords is the list the centers started with.
var DefaultExtremeWords = []string{"扬言", "自杀", "跳楼", "报复", "极端", "爆炸", "上访", "自焚", "堵路", "闹访"}

// Alarm is one rule that fired for a case version.
type Alarm struct {
	Rule       string // group_dispute, large_amount, extreme_words, repeat_petition, superior_assigned
	Level      string // blue, yellow, orange, red
	Row        *schemas.CaseRow
	Detail     string // Chinese, for the centers
	DetectedAt time.Time
}

// Evaluate returns the alarms of one row. Concluded cases raise none: the
// alarm is for what still needs attention.
func Evaluate(r *schemas.CaseRow, cfg Config, now time.Time) []Alarm {
	switch r.Status {
	case schemas.StatusResolved, schemas.StatusClosed, schemas.StatusFailed:
		return nil
	}
	var out []Alarm
	add := func(rule, level, detail string) {
		out = append(out, Alarm{Rule: rule, Level: level, Row: r, Detail: detail, DetectedAt: now})
	}
	if r.GroupDispute {
		level := "orange"
		if r.Parties >= 100 {
			level = "red"
		}
		add("group_dispute", level, fmt.Sprintf("群体性矛盾纠纷：涉及%d人", r.Parties))
	}
	if r.LargeAmount {
		add("large_amount", "orange", fmt.Sprintf("涉及金额较大：%s", yuan(r.AmountCNY)))
	}
	if words := matched(r.Summary+" "+r.CategoryText, cfg.ExtremeWords); len(words) > 0 {
		add("extreme_words", "red", "含极端风险言辞："+strings.Join(words, "、"))
	}
	if r.RepeatOf != "" && r.Petition {
		add("repeat_petition", "orange", "重复信访：前案 "+r.RepeatOf)
	} else if r.RepeatOf != "" {
		add("repeat_petition", "yellow", "重复来访：前案 "+r.RepeatOf)
	}
	if r.SuperiorAssigned {
		add("superior_assigned", "yellow", "上级交办案件")
	}
	return out
}

func matched(text string, words []string) []string {
	var out []string
	for _, w := range words {
		if w != "" && strings.Contains(text, w) {
			out = append(out, w)
		}
	}
	return out
}

// yuan renders an amount the way the centers write it (120万元, 3500元).
func yuan(v float64) string {
	if v >= 10000 {
		return strings.TrimSuffix(strings.TrimSuffix(fmt.Sprintf("%.2f", v/10000), "0"), ".0") + "万元"
	}
	return fmt.Sprintf("%.0f元", v)
}
