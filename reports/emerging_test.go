package reports

import (
	"strings"
	"testing"
	"time"
)

func TestEmergingSection(t *testing.T) {
	in := cityWeek(t)
	at := func(d, h int) time.Time { return time.Date(2026, 3, d, h, 0, 0, 0, Shanghai) }
	in.Emerging = []EmergingIssue{
		{Town: "150521100000", Villages: []string{"保康西村村委会"}, Categories: []string{"property", "consumer", "other"}, Size: 12,
			First: at(3, 10), Last: at(5, 18), Representative: "保康西村突然停水，老人孩子没水用，要求尽快恢复供水。"},
		{Town: "150521101000", Categories: []string{"environment", "other"}, Size: 20,
			First: at(6, 8), Last: at(8, 21), Representative: "附近工厂有刺鼻异味，晚上不敢开窗，请尽快处理。"},
	}
	m, err := Build(in)
	if err != nil {
		t.Fatal(err)
	}
	if m.Emerging == nil || len(m.Emerging.Rows) != 2 {
		t.Fatalf("section %+v, want two rows", m.Emerging)
	}
	if r := m.Emerging.Rows[0]; r.Count != 20 || r.Place != "科尔沁左翼中旗宝龙山镇" {
		t.Errorf("first row %+v, want the larger issue of 宝龙山镇", r)
	}
	html, err := RenderHTML(m)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"<h3>（一）新出现问题</h3>",
		"本期发现新出现问题 2 起",
		"<tr><td>科尔沁左翼中旗保康镇（保康西村村委会）</td><td class=\"num\">12</td><td>物业/房产、消费纠纷、其他</td><td>03-03 10:00—03-05 18:00</td><td><span class=\"summary\">保康西村突然停水，老人孩子没水用，要求尽快恢复供水。</span></td></tr>",
	} {
		if !strings.Contains(string(html), want) {
			t.Errorf("HTML lacks %q", want)
		}
	}

	// None found: the section says so.
	in.Emerging = []EmergingIssue{}
	if m, err = Build(in); err != nil {
		t.Fatal(err)
	}
	if m.Emerging == nil || len(m.Emerging.Rows) != 0 || !strings.HasPrefix(m.Emerging.Note, "本期未发现新出现问题") {
		t.Errorf("section without issues: %+v", m.Emerging)
	}
	// No input (a store without the job): no section.
	in.Emerging = nil
	if m, err = Build(in); err != nil {
		t.Fatal(err)
	}
	html, _ = RenderHTML(m)
	if m.Emerging != nil || strings.Contains(string(html), "新出现问题") {
		t.Error("section 新出现问题 without input")
	}
}
