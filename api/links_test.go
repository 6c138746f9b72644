package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

var linksOnce sync.Once

// linksEnd is after the fixture's job windows, so that the latest links
// are the ones written here.
var linksEnd = time.Date(2026, 9, 9, 0, 0, 0, 0, schemas.Shanghai)

// seedLinks writes four links at linksEnd: one in the fixture's town, one
// across two towns of 科左中旗, one across two banners, one in 科尔沁区.
func seedLinks(t *testing.T, f *fixture) {
	t.Helper()
	var err error
	linksOnce.Do(func() {
		l := func(key, label, scope string, towns []string, ids ...string) store.CaseLink {
			return store.CaseLink{Key: key, Keys: []string{key}, Kinds: []string{"id"}, Label: label, Reasons: []string{"repeat_party"},
				CaseCount: uint32(len(ids)), TownCount: uint32(len(towns)), VillageCount: 1, ScopeCode: scope, Towns: towns,
				Villages: []string{}, CaseIDs: ids, FirstReported: linksEnd.AddDate(0, 0, -30), LastReported: linksEnd.AddDate(0, 0, -1)}
		}
		err = f.st.WriteLinks(context.Background(), linksEnd, time.Date(2026, 9, 9, 1, 0, 0, 0, time.UTC), []store.CaseLink{
			l("k:town", "王*", f.town, []string{f.town}, "T-1", "T-2", "T-3", "T-4"),
			l("k:kzz", "李*", kzzCode, []string{f.town, "150521101000"}, "K-1", "K-2", "K-3"),
			l("k:city", "萧山城投", "", []string{f.town, "150502001000"}, "C-1", "C-2"),
			l("k:kerqin", "赵*", "150502001000", []string{"150502001000"}, "Q-1", "Q-2", "Q-3"),
		})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// GET /api/links lists the latest links whose cases all lie in the
// token's scope (or the region asked for), largest first; a leader gets
// them without case ids.
func TestLinksEndpoint(t *testing.T) {
	f := setup(t)
	seedLinks(t, f)
	list := func(label, query string) (keys []string, rows []map[string]any) {
		t.Helper()
		s, b := f.get(t, label, "/api/links"+query)
		if s != http.StatusOK {
			t.Fatalf("%s %s: %d %s", label, query, s, b)
		}
		var tb table
		if err := json.Unmarshal(b, &tb); err != nil {
			t.Fatal(err)
		}
		for _, r := range tb.Rows {
			keys = append(keys, fmt.Sprint(r["link_key"]))
		}
		return keys, tb.Rows
	}
	for label, want := range map[string][]string{
		"admin":          {"k:town", "k:kerqin", "k:kzz", "k:city"}, // by case count, then key
		"analyst-kzz":    {"k:town", "k:kzz"},
		"leader-kzz":     {"k:town", "k:kzz"},
		"operator-town":  {"k:town"},
		"analyst-kerqin": {"k:kerqin"},
	} {
		if got, _ := list(label, ""); !slices.Equal(got, want) {
			t.Errorf("%s: links %v, want %v", label, got, want)
		}
	}
	if got, _ := list("admin", "?region="+kzz); !slices.Equal(got, []string{"k:town", "k:kzz"}) {
		t.Errorf("admin in 科左中旗: %v", got)
	}
	_, rows := list("analyst-kzz", "")
	if ids := fmt.Sprint(rows[0]["case_ids"]); ids != "[T-1 T-2 T-3 T-4]" || rows[0]["label"] != "王*" || fmt.Sprint(rows[0]["case_count"]) != "4" ||
		rows[0]["region_code"] != f.town || fmt.Sprint(rows[1]["towns"]) == "[]" || fmt.Sprint(rows[0]["reason_names"]) != "[90天内≥3件]" {
		t.Errorf("analyst's first rows %+v", rows[:2])
	}
	_, rows = list("leader-kzz", "")
	for _, r := range rows {
		if fmt.Sprint(r["case_ids"]) != "[]" {
			t.Errorf("a leader got case ids: %+v", r)
		}
	}
	if s, b := f.get(t, "analyst-kzz", "/api/links?region="+kerqin); s != http.StatusForbidden {
		t.Errorf("a region outside the scope: %d %s", s, b)
	}
}
