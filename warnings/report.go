package warnings

import (
	"fmt"
	"strings"
)

// ReasonReport is the reason of a subscribed report's message;
// ReasonReportFailed of the message to the admins about a report that
// could not be rendered (its subscribers get nothing).
const (
	ReasonReport       = "report"
	ReasonReportFailed = "report_failed"
)

// ReportCard is a subscribed report as a robot, webhook or e-mail message
// shows it: a card in Chinese with the headline figures and a signed link.
type ReportCard struct {
	// Subscription is the id of the subscription it is sent for.
	Subscription string `json:"subscription"`
	// Report names the report: <last day>/<kind>/<region code>.
	Report string `json:"report"`
	Title  string `json:"title"`
	Period string `json:"period"`
	// Accepted, ResolveRate and Overdue are the headline figures as
	// printed in the report (受理, 化解率, 超期).
	Accepted    string `json:"accepted"`
	ResolveRate string `json:"resolve_rate"`
	Overdue     string `json:"overdue"`
	// Judgement is the report's 研判结论.
	Judgement string `json:"judgement"`
	// Red and Orange name the sub-units in the red and orange bands.
	Red    []string `json:"red,omitempty"`
	Orange []string `json:"orange,omitempty"`
	// Link opens the report without a login (signed, expiring).
	Link string `json:"link,omitempty"`
	// PDF is the path of the report's PDF, attached to e-mail.
	PDF string `json:"pdf,omitempty"`
	// Error says why the report could not be rendered (ReasonReportFailed).
	Error string `json:"error,omitempty"`
}

// reportTitle is the title line of a report message.
func (n *Notification) reportTitle() string {
	if n.Reason == ReasonReportFailed {
		return "【报告生成失败】" + n.Report.Title
	}
	return "【订阅报告】" + n.Report.Title
}

// reportMarkdown renders a report card as the robots' markdown.
func (n *Notification) reportMarkdown() string {
	c := n.Report
	var b strings.Builder
	b.WriteString("### " + n.reportTitle() + "\n")
	fmt.Fprintf(&b, "> 统计周期：%s　　接收：%s\n", c.Period, n.ReceiverName)
	if n.Reason == ReasonReportFailed {
		fmt.Fprintf(&b, "\n报告未能生成，未向订阅人发送。原因：%s\n", c.Error)
		return b.String()
	}
	fmt.Fprintf(&b, "\n**受理 %s 件　化解率 %s　超期 %s 件**\n", c.Accepted, c.ResolveRate, c.Overdue)
	fmt.Fprintf(&b, "\n研判结论：%s\n", c.Judgement)
	unit := func(label string, names []string) {
		if len(names) == 0 {
			fmt.Fprintf(&b, "\n%s：无\n", label)
			return
		}
		fmt.Fprintf(&b, "\n%s（%d）：%s\n", label, len(names), strings.Join(names, "、"))
	}
	unit("红色风险单位", c.Red)
	unit("橙色风险单位", c.Orange)
	if c.Link != "" {
		fmt.Fprintf(&b, "\n[查看报告](%s)\n", c.Link)
	}
	return b.String()
}
