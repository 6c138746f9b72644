package rules

import (
	"reflect"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/schemas"
)

func TestEvaluate(t *testing.T) {
	now := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	cfg := Config{ExtremeWords: DefaultExtremeWords}
	type fired struct{ rule, level, detail string }
	cases := []struct {
		name string
		row  schemas.CaseRow
		want []fired
	}{
		{"ordinary", schemas.CaseRow{Status: schemas.StatusAccepted, Parties: 2, Summary: "邻居噪音"}, nil},
		{"36 migrant workers", schemas.CaseRow{Status: schemas.StatusAccepted, Parties: 36, GroupDispute: true, Summary: "拖欠农民工工资"},
			[]fired{{"group_dispute", "orange", "群体性矛盾纠纷：涉及36人"}}},
		{"120 people", schemas.CaseRow{Status: schemas.StatusHandling, Parties: 120, GroupDispute: true},
			[]fired{{"group_dispute", "red", "群体性矛盾纠纷：涉及120人"}}},
		{"large amount", schemas.CaseRow{Status: schemas.StatusAccepted, Parties: 2, AmountCNY: 1_200_000, LargeAmount: true},
			[]fired{{"large_amount", "orange", "涉及金额较大：120万元"}}},
		{"threats", schemas.CaseRow{Status: schemas.StatusRouted, Parties: 1, Summary: "当事人扬言要跳楼"},
			[]fired{{"extreme_words", "red", "含极端风险言辞：扬言、跳楼"}}},
		{"repeat petition", schemas.CaseRow{Status: schemas.StatusAccepted, Parties: 1, RepeatOf: "PT-1", Petition: true, SuperiorAssigned: true},
			[]fired{{"repeat_petition", "orange", "重复信访：前案 PT-1"}, {"superior_assigned", "yellow", "上级交办案件"}}},
		{"concluded cases raise nothing", schemas.CaseRow{Status: schemas.StatusResolved, Parties: 50, GroupDispute: true, Summary: "扬言"}, nil},
	}
	for _, tc := range cases {
		row := tc.row
		var got []fired
		for _, a := range Evaluate(&row, cfg, now) {
			got = append(got, fired{a.Rule, a.Level, a.Detail})
			if a.Row != &row || !a.DetectedAt.Equal(now) {
				t.Errorf("%s: alarm does not point at the row or the time", tc.name)
			}
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
	if got := yuan(3500); got != "3500元" {
		t.Errorf("yuan(3500) = %s", got)
	}
	if got := yuan(1_050_000); got != "105万元" {
		t.Errorf("yuan(1050000) = %s", got)
	}
}
