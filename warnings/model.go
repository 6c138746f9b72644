package warnings

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/riskwatch/riskwatch/schemas"
)

// Level is a warning colour. Higher is more urgent.
type Level int

// Levels, in increasing urgency.
const (
	Blue   Level = 1
	Yellow Level = 2
	Orange Level = 3
	Red    Level = 4
)

var levelNames = map[Level]string{Blue: "blue", Yellow: "yellow", Orange: "orange", Red: "red"}
var levelZH = map[Level]string{Blue: "蓝色", Yellow: "黄色", Orange: "橙色", Red: "红色"}

// String returns the English name used in labels, config and storage.
func (l Level) String() string {
	if s, ok := levelNames[l]; ok {
		return s
	}
	return fmt.Sprintf("level(%d)", int(l))
}

// ZH returns the Chinese colour name (红色 …).
func (l Level) ZH() string { return levelZH[l] }

// ParseLevel reads a level name.
func ParseLevel(s string) (Level, error) {
	for l, n := range levelNames {
		if n == s {
			return l, nil
		}
	}
	return 0, fmt.Errorf("unknown level %q (want red, orange, yellow or blue)", s)
}

// Kinds of warnings.
const (
	KindRiskBand    = "risk_band"
	KindStatAlarm   = "stat_alarm"
	KindRuleAlarm   = "rule_alarm"
	KindSupervision = "supervision"
)

// Kinds lists the valid kinds.
var Kinds = []string{KindRiskBand, KindStatAlarm, KindRuleAlarm, KindSupervision, KindForecast, KindEmerging, KindLinked}

var kindZH = map[string]string{
	KindRiskBand: "风险指数", KindStatAlarm: "统计预警", KindRuleAlarm: "规则预警", KindSupervision: "督办",
	KindForecast: "预测预警", KindEmerging: "新发问题", KindLinked: "关联预警",
}

// KindZH returns the Chinese name of a kind.
func KindZH(kind string) string {
	if s, ok := kindZH[kind]; ok {
		return s
	}
	return kind
}

// States of a warning.
const (
	Firing   = "firing"
	Resolved = "resolved"
)

// Warning is one condition that a center has to know about.
type Warning struct {
	ID    string `json:"id"`
	Kind  string `json:"kind"`
	Rule  string `json:"rule"`
	Level Level  `json:"level"`
	// Subject is the window (for bands and statistical alarms) or the case
	// (for rule alarms and supervision) the warning is about.
	Subject string `json:"subject"`
	// Region is the unit the warning concerns; RegionLevel its level. The
	// codes of its ancestors travel as labels (town, county, city).
	Region      string    `json:"region"`
	RegionName  string    `json:"region_name"`
	RegionLevel int       `json:"region_level"`
	Town        string    `json:"town,omitempty"`
	County      string    `json:"county,omitempty"`
	City        string    `json:"city,omitempty"`
	Category    string    `json:"category,omitempty"`
	Title       string    `json:"title"`
	Body        string    `json:"body"`
	Link        string    `json:"link"`
	State       string    `json:"state"`
	StartsAt    time.Time `json:"starts_at"`
	ResolvedAt  time.Time `json:"resolved_at,omitzero"`
	UpdatedAt   time.Time `json:"updated_at"`
	// Version grows with every change; storage keeps the highest.
	Version uint64 `json:"version"`
	// Engine state.
	AckedBy   string    `json:"acked_by,omitempty"`
	AckedAt   time.Time `json:"acked_at,omitzero"`
	Escalated bool      `json:"escalated,omitempty"`
	ExpiresAt time.Time `json:"expires_at,omitzero"` // events (rule alarms) resolve by themselves
	// DetectedAt is when a rule alarm was detected: a resolved one is kept
	// while the poll can still read its row, so that it is not raised again.
	DetectedAt time.Time `json:"detected_at,omitzero"`
}

// Acked reports whether the warning was acknowledged.
func (w *Warning) Acked() bool { return w.AckedBy != "" || !w.AckedAt.IsZero() }

// WarningID is the stable id of a warning: a hash of its kind, rule, region
// and window or case. The same condition seen again gets the same id.
func WarningID(kind, rule, region, subject string) string {
	h := sha256.Sum256([]byte(kind + "\x00" + rule + "\x00" + region + "\x00" + subject))
	return hex.EncodeToString(h[:10])
}

// Labels are the names a matcher, group_by, inhibition or silence can use:
// id, kind, rule, level, category, region, town, county, city.
func (w *Warning) Labels() map[string]string {
	return map[string]string{
		"id": w.ID, "kind": w.Kind, "rule": w.Rule, "level": w.Level.String(), "category": w.Category,
		"region": w.Region, "town": w.Town, "county": w.County, "city": w.City,
	}
}

// LabelNames are the valid label names.
var LabelNames = []string{"id", "kind", "rule", "level", "category", "region", "town", "county", "city"}

// IsLabel reports whether name is a valid label name.
func IsLabel(name string) bool {
	for _, n := range LabelNames {
		if n == name {
			return true
		}
	}
	return false
}

// under reports whether the warning's region is code or lies below it.
func (w *Warning) under(code string) bool {
	return code != "" && (w.Region == code || w.Town == code || w.County == code || w.City == code)
}

// Notification is one message for one center: the warnings of one group
// that fire, and those that resolved since the previous message.
type Notification struct {
	// ID is unique per notification; with the channel name it makes the
	// idempotency key a receiver sees on every retry of the same message.
	ID       string `json:"id"`
	GroupKey string `json:"group_key"`
	// Receiver is the center's region code; ReceiverName its official name.
	Receiver     string `json:"receiver"`
	ReceiverName string `json:"receiver_name"`
	// Reason is first, new, resolved, repeat or escalated.
	Reason    string    `json:"reason"`
	Firing    []Warning `json:"firing"`
	Resolved  []Warning `json:"resolved"`
	CreatedAt time.Time `json:"created_at"`
	// Report is set on a subscribed report's message (ReasonReport) and on
	// the admins' notice of a report that failed (ReasonReportFailed).
	Report *ReportCard `json:"report,omitempty"`
}

// Reasons a notification is sent, after Alertmanager's dedup stage.
const (
	ReasonFirst     = "first"
	ReasonNew       = "new"
	ReasonResolved  = "resolved"
	ReasonRepeat    = "repeat"
	ReasonEscalated = "escalated"
)

var reasonZH = map[string]string{
	ReasonFirst: "新预警", ReasonNew: "新增预警", ReasonResolved: "预警解除", ReasonRepeat: "重复提醒", ReasonEscalated: "升级提醒",
	ReasonReport: "订阅报告", ReasonReportFailed: "报告生成失败",
}

// Status is "firing" while any warning fires, "resolved" otherwise.
func (n *Notification) Status() string {
	if n.Report != nil {
		return n.Reason
	}
	if len(n.Firing) > 0 {
		return Firing
	}
	return Resolved
}

// MaxLevel is the highest level among the firing warnings (or the resolved
// ones when none fires).
func (n *Notification) MaxLevel() Level {
	var m Level
	ws := n.Firing
	if len(ws) == 0 {
		ws = n.Resolved
	}
	for _, w := range ws {
		m = max(m, w.Level)
	}
	return m
}

// Title is the one-line Chinese summary of the notification.
func (n *Notification) Title() string {
	if n.Report != nil {
		return n.reportTitle()
	}
	if n.Reason == ReasonEscalated && len(n.Firing) > 0 {
		return fmt.Sprintf("【升级提醒】%s 未确认超时：%s", n.ReceiverName, n.Firing[0].Title)
	}
	if len(n.Firing) == 0 {
		if len(n.Resolved) == 1 {
			return "【预警解除】" + n.Resolved[0].Title
		}
		return fmt.Sprintf("【预警解除】%s %d 条预警已解除", n.ReceiverName, len(n.Resolved))
	}
	lv := n.MaxLevel().ZH()
	prefix := "【" + lv + "预警】"
	if n.Reason == ReasonRepeat {
		prefix = "【" + lv + "预警·重复提醒】"
	}
	if len(n.Firing) == 1 {
		return prefix + n.Firing[0].Title
	}
	return fmt.Sprintf("%s%s %d 条预警", prefix, n.ReceiverName, len(n.Firing))
}

// ReasonZH is the Chinese name of the reason.
func (n *Notification) ReasonZH() string { return reasonZH[n.Reason] }

// WarningIDs returns the ids of the firing and resolved warnings.
func (n *Notification) WarningIDs() []string {
	var ids []string
	for _, w := range n.Firing {
		ids = append(ids, w.ID)
	}
	for _, w := range n.Resolved {
		ids = append(ids, w.ID)
	}
	return ids
}

// Markdown renders the notification as markdown lines for the robots: the
// most urgent warnings first, each with its reason and link.
func (n *Notification) Markdown() string {
	if n.Report != nil {
		return n.reportMarkdown()
	}
	var b strings.Builder
	b.WriteString("### " + n.Title() + "\n")
	fmt.Fprintf(&b, "> 接收单位：%s　　类型：%s　　时间：%s\n", n.ReceiverName, n.ReasonZH(), n.CreatedAt.In(schemas.Zone()).Format("2006-01-02 15:04"))
	firing := append([]Warning(nil), n.Firing...)
	sort.SliceStable(firing, func(i, j int) bool { return firing[i].Level > firing[j].Level })
	for _, w := range firing {
		fmt.Fprintf(&b, "\n**【%s】%s**\n%s\n[查看详情](%s)\n", w.Level.ZH(), w.Title, w.Body, w.Link)
	}
	for _, w := range n.Resolved {
		fmt.Fprintf(&b, "\n【已解除】%s（%s）\n", w.Title, w.ResolvedAt.In(schemas.Zone()).Format("01-02 15:04"))
	}
	return b.String()
}

// shanghai is Asia/Shanghai, the default deployment zone; messages print
// times in schemas.Zone().
var shanghai = schemas.Shanghai
