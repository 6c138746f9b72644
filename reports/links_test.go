package reports

import (
	"strings"
	"testing"
	"time"
)

func TestLinksSection(t *testing.T) {
	in := cityWeek(t)
	at := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 9, 0, 0, 0, Shanghai) }
	in.Links = []LinkedParty{
		{Label: "王*", Reasons: []string{"repeat_party"}, Cases: 3, Towns: []string{"保康镇"}, Villages: []string{"保康西村村委会"},
			First: at(1, 5), Last: at(3, 1)},
		{Label: "萧山城投", Org: true, Reasons: []string{"cross_town", "org_villages"}, Cases: 4, Towns: []string{"保康镇", "宝龙山镇"},
			Villages: []string{"保康西村村委会", "宝龙山村"}, First: at(2, 10), Last: at(3, 6)},
	}
	m, err := Build(in)
	if err != nil {
		t.Fatal(err)
	}
	if m.Links == nil || len(m.Links.Rows) != 2 || m.Links.Rows[0].Party != "单位：萧山城投" {
		t.Fatalf("section %+v, want two rows, the organisation first", m.Links)
	}
	html, err := RenderHTML(m)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"<h3>（二）关联案件</h3>",
		"近90天发现关联案件 2 组（其中涉及单位 1 组）",
		"<tr><td>单位：萧山城投</td><td>跨乡镇涉案、在多个村社区涉及纠纷</td><td class=\"num\">4</td><td>保康镇、宝龙山镇（保康西村村委会、宝龙山村）</td><td>02-10—03-06</td></tr>",
		"<tr><td>当事人王*</td><td>90天内反复涉案</td><td class=\"num\">3</td><td>保康镇（保康西村村委会）</td><td>01-05—03-01</td></tr>",
	} {
		if !strings.Contains(string(html), want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	in.Links = []LinkedParty{}
	if m, err = Build(in); err != nil {
		t.Fatal(err)
	}
	if m.Links == nil || len(m.Links.Rows) != 0 || !strings.HasPrefix(m.Links.Note, "近90天未发现关联案件") {
		t.Errorf("section without links: %+v", m.Links)
	}
	in.Links = nil
	if m, err = Build(in); err != nil {
		t.Fatal(err)
	}
	html, _ = RenderHTML(m)
	if m.Links != nil || strings.Contains(string(html), "关联案件") {
		t.Error("section 关联案件 without input")
	}
}
