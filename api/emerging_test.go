package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

var emergingOnce sync.Once

// emergingEnd is after the fixture's job windows, so that the latest
// computed window is the one written here; emergingOld is an earlier one.
var (
	emergingEnd = time.Date(2026, 9, 10, 0, 0, 0, 0, schemas.Shanghai)
	emergingOld = time.Date(2026, 9, 5, 0, 0, 0, 0, schemas.Shanghai)
)

// seedEmerging writes three issues at emergingEnd (in the fixture's town,
// in another town of 科左中旗, in 科尔沁区) and one at emergingOld.
func seedEmerging(t *testing.T, f *fixture) {
	t.Helper()
	var err error
	emergingOnce.Do(func() {
		e := func(key, county, town, rep string, cats []string, ids ...string) store.EmergingIssue {
			return store.EmergingIssue{CountyCode: county, TownCode: town, Key: key, Representative: rep, Size: uint32(len(ids)),
				Villages: []string{}, Categories: cats, FirstAt: time.Date(2026, 9, 7, 8, 30, 0, 0, schemas.Shanghai),
				LastAt: time.Date(2026, 9, 9, 17, 45, 0, 0, schemas.Shanghai), Members: ids, Expected: 0.5, P: 0.001}
		}
		computed := time.Date(2026, 9, 10, 1, 0, 0, 0, time.UTC)
		town := e("e:town", kzzCode, f.town, "多户反映小区连续停水无人处理", []string{"labor.wage_arrears", "finance"}, "E-1", "E-2", "E-3", "E-4", "E-5")
		town.Villages = []string{f.reg.Children(f.town)[0].Code}
		if err = f.st.WriteEmerging(context.Background(), emergingEnd, computed, []store.EmergingIssue{
			town,
			e("e:kzz2", kzzCode, "150521101000", "村民反映土地流转费未兑现（同 FX-0002）", []string{"finance"}, "FX-0001", "FX-0002", "FX-0003"),
			e("e:kerqin", kerqin, "150502001000", "商户反映噪声扰民", []string{"finance"}, "G-1", "G-2", "G-3", "G-4"),
		}); err != nil {
			return
		}
		err = f.st.WriteEmerging(context.Background(), emergingOld, computed, []store.EmergingIssue{
			e("e:old", kzzCode, f.town, "旧窗口的问题", []string{"finance"}, "H-1", "H-2", "H-3"),
		})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// GET /api/emerging lists the latest window's emerging issues whose town
// lies in the token's scope (or the region asked for), largest first; a
// leader gets them without case ids; from/to select earlier windows by
// their last day; a bad date is a 400 naming it.
func TestEmergingEndpoint(t *testing.T) {
	f := setup(t)
	seedEmerging(t, f)
	list := func(label, query string) (keys []string, rows []map[string]any) {
		t.Helper()
		s, b := f.get(t, label, "/api/emerging"+query)
		if s != http.StatusOK {
			t.Fatalf("%s %s: %d %s", label, query, s, b)
		}
		var tb table
		if err := json.Unmarshal(b, &tb); err != nil {
			t.Fatal(err)
		}
		for _, r := range tb.Rows {
			keys = append(keys, fmt.Sprint(r["cluster_key"]))
		}
		return keys, tb.Rows
	}
	for label, want := range map[string][]string{
		"admin":          {"e:town", "e:kerqin", "e:kzz2"}, // by count
		"analyst-kzz":    {"e:town", "e:kzz2"},
		"leader-kzz":     {"e:town", "e:kzz2"},
		"operator-town":  {"e:town"},
		"analyst-kerqin": {"e:kerqin"},
	} {
		if got, _ := list(label, ""); !slices.Equal(got, want) {
			t.Errorf("%s: issues %v, want %v", label, got, want)
		}
	}
	if got, _ := list("admin", "?region="+kzz); !slices.Equal(got, []string{"e:town", "e:kzz2"}) {
		t.Errorf("admin in 科左中旗: %v", got)
	}
	county, _ := f.reg.Lookup(kzzCode)
	town, _ := f.reg.Lookup(f.town)
	village, _ := f.reg.Lookup(f.reg.Children(f.town)[0].Code)
	_, rows := list("analyst-kzz", "")
	r := rows[0]
	if fmt.Sprint(r["case_ids"]) != "[E-1 E-2 E-3 E-4 E-5]" || fmt.Sprint(r["count"]) != "5" || r["representative"] != "多户反映小区连续停水无人处理" ||
		r["town_code"] != f.town || r["town_name"] != town.Name || r["county_code"] != kzzCode || r["county_name"] != county.Name || county.Name == "" ||
		fmt.Sprint(r["villages"]) != "["+village.Name+"]" || fmt.Sprint(r["categories"]) != "[拖欠农民工工资 民间借贷/涉众金融]" ||
		r["first_at"] != "2026-09-07 08:30:00" || r["last_at"] != "2026-09-09 17:45:00" || r["date"] != "2026-09-09" {
		t.Errorf("analyst's first row %+v", r)
	}
	if r := rows[1]; fmt.Sprint(r["case_ids"]) != "[FX-0001 FX-0002 FX-0003]" || r["representative"] != "村民反映土地流转费未兑现（同 FX-0002）" {
		t.Errorf("analyst's second row %+v", r)
	}
	_, rows = list("leader-kzz", "")
	for _, r := range rows {
		if fmt.Sprint(r["case_ids"]) != "[]" || strings.Contains(fmt.Sprint(r["representative"]), "FX-") {
			t.Errorf("a leader got case ids: %+v", r)
		}
	}
	if rows[1]["representative"] != "村民反映土地流转费未兑现（同 〔案件编号已隐藏〕）" {
		t.Errorf("leader's second row %+v", rows[1])
	}
	// The window ending 2026-09-05 00:00 covers 2026-09-04.
	if got, rows := list("analyst-kzz", "?from=2026-09-04&to=2026-09-04"); !slices.Equal(got, []string{"e:old"}) || rows[0]["date"] != "2026-09-04" {
		t.Errorf("from=to=2026-09-04: %v %+v", got, rows)
	}
	if got, _ := list("analyst-kerqin", "?from=2026-09-04&to=2026-09-04"); len(got) != 0 {
		t.Errorf("科尔沁区 on 2026-09-04: %v", got)
	}
	for q, param := range map[string]string{"?from=2026-13-01": "from", "?to=yesterday": "to", "?from=2026-09-05&to=2026-09-04": "to", "?region=abc": "region"} {
		s, b := f.get(t, "analyst-kzz", "/api/emerging"+q)
		var e struct{ Error, Param string }
		_ = json.Unmarshal(b, &e)
		if s != http.StatusBadRequest || e.Param != param || e.Error == "" {
			t.Errorf("%s: %d %s, want 400 naming %s", q, s, b, param)
		}
	}
	if s, b := f.get(t, "analyst-kzz", "/api/emerging?region="+kerqin); s != http.StatusForbidden {
		t.Errorf("a region outside the scope: %d %s", s, b)
	}
}
