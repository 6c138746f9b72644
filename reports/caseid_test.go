package reports

import (
	"strings"
	"testing"
)

// TestReportHidesCaseIDs: a report is a leader's document: an alarm's case
// id, even one that masking leaves alone, appears nowhere in the HTML,
// not even quoted in the alarm's reason or summary.
func TestReportHidesCaseIDs(t *testing.T) {
	in := cityWeek(t)
	in.RuleAlarms[0].CaseID = "A-1"
	in.RuleAlarms[0].Detail = "含极端风险言辞：跳楼（案件A-1）"
	in.RuleAlarms[0].Summary = "A-1 农民工讨薪称不给钱就跳楼"
	m, err := Build(in)
	if err != nil {
		t.Fatal(err)
	}
	html, err := RenderHTML(m)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(html), "A-1") {
		t.Error("the report holds the case id A-1")
	}
	if !strings.Contains(string(html), HiddenCaseID+" 农民工讨薪") {
		t.Error("the alarm's summary is missing; the check proves nothing")
	}
}
