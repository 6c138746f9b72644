package channel

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/warnings"
)

// A report card reaches every robot: WeCom and DingTalk markdown with the
// headline figures, judgement, red and orange units and the link; Feishu
// as post lines with the link as a link element.
func TestReportCardOnTheRobots(t *testing.T) {
	n := &warnings.Notification{ID: "n", Receiver: "150500000000", ReceiverName: "市政法委书记", Reason: warnings.ReasonReport,
		CreatedAt: time.Date(2026, 12, 6, 23, 0, 0, 0, time.UTC),
		Report: &warnings.ReportCard{Title: "通辽市矛盾纠纷风险预警周报", Period: "2026年11月30日至12月6日", Accepted: "321",
			ResolveRate: "88.2%", Overdue: "4", Judgement: "总体平稳，局部升温", Red: []string{"科尔沁区"},
			Link: "http://127.0.0.1:8080/share/2026-12-06/week/150500000000.html?exp=1&scope=1505&sig=ab"}}
	wants := []string{"【订阅报告】通辽市矛盾纠纷风险预警周报", "统计周期：2026年11月30日至12月6日", "受理 321 件　化解率 88.2%　超期 4 件",
		"研判结论：总体平稳，局部升温", "红色风险单位（1）：科尔沁区", "橙色风险单位：无"}
	var wc struct{ Markdown struct{ Content string } }
	b, err := WeComBody(n)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &wc); err != nil {
		t.Fatal(err)
	}
	for _, w := range append(wants, "[查看报告]("+n.Report.Link+")") {
		if !strings.Contains(wc.Markdown.Content, w) {
			t.Errorf("WeCom markdown lacks %q:\n%s", w, wc.Markdown.Content)
		}
	}
	fb, err := FeishuBody(n, "", 1)
	if err != nil {
		t.Fatal(err)
	}
	var fs struct {
		Content struct {
			Post struct {
				ZhCN struct {
					Title   string
					Content [][]map[string]string
				} `json:"zh_cn"`
			}
		}
	}
	if err := json.Unmarshal(fb, &fs); err != nil {
		t.Fatal(err)
	}
	var text []string
	link := ""
	for _, line := range fs.Content.Post.ZhCN.Content {
		for _, tag := range line {
			if tag["tag"] == "a" {
				link = tag["href"]
			}
			text = append(text, tag["text"])
		}
	}
	all := fs.Content.Post.ZhCN.Title + "\n" + strings.Join(text, "\n")
	for _, w := range wants {
		if !strings.Contains(all, w) {
			t.Errorf("Feishu post lacks %q:\n%s", w, all)
		}
	}
	if link != n.Report.Link {
		t.Errorf("Feishu link %q, want %q", link, n.Report.Link)
	}
}
