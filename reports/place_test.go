package reports

import (
	"strings"
	"testing"

	"github.com/riskwatch/riskwatch/schemas"
)

// The warning tables name places, never codes: a town or village with its
// county (and town) above it, as the registry names them.
func TestAlarmRowsNamePlaces(t *testing.T) {
	reg, err := schemas.LoadTongliao()
	if err != nil {
		t.Fatal(err)
	}
	in := cityWeek(t)
	in.Regions = RegionsOf(reg, schemas.LevelVillage)
	county, _ := reg.Lookup("150502000000")
	town := reg.Children(county.Code)[0]
	village := reg.Children(town.Code)[0]
	// A village the registry lacks is named by its town.
	unknown := town.Code[:9] + "999"
	in.StatAlarms[0].Region = town.Code
	in.RuleAlarms[0].Region = village.Code
	in.RuleAlarms[1].Region = unknown
	m := build(t, in)
	want := map[string]string{
		"统计预警":       county.Name + town.Name,
		"规则预警·极端言辞":  county.Name + town.Name + village.Name,
		"规则预警·群体性纠纷": county.Name + town.Name,
	}
	seen := 0
	for _, r := range m.Alarms.Rows {
		if w, ok := want[r.Kind]; ok {
			seen++
			if r.Region != w {
				t.Errorf("%s: region %q, want %q", r.Kind, r.Region, w)
			}
		}
		if strings.ContainsAny(r.Region, "0123456789") {
			t.Errorf("%s: region printed as a code: %q", r.Kind, r.Region)
		}
	}
	if seen != len(want) {
		t.Errorf("rows %+v: want the kinds %v", m.Alarms.Rows, want)
	}
}
