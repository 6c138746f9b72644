package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/riskwatch/riskwatch/api"
	"github.com/riskwatch/riskwatch/store"
)

// demoIDStore answers with rows about a case whose id has the demo's form
// (WG-county-date-sequence), the grouped 6-8-4 shape of an ID number, and
// with risk rows carrying drivers.
type demoIDStore struct{ *fakeStore }

const demoCaseID = "WG-150521-20241103-0012"

func (demoIDStore) APIRuleAlarms(context.Context, store.APIResultQuery) (store.APITable, error) {
	return strTable([]string{"rule", "source", "case_id", "level", "region_code", "category", "detail"},
		[]any{"extreme_words", "grid", demoCaseID, "red", "150521101000", "labor",
			"案件" + demoCaseID + "当事人身份证150521199001011234，电话13812345678"}), nil
}

func (demoIDStore) APIWarnings(context.Context, store.APIResultQuery) (store.APITable, error) {
	return strTable([]string{"id", "state", "level", "kind", "rule", "subject", "region_code", "title", "body", "link"},
		[]any{"w1", "firing", "red", "rule_alarm", "extreme_words", "grid:" + demoCaseID, "150521000000",
			"科左中旗 极端言辞预警 " + demoCaseID, "案件 " + demoCaseID + "，身份证 150521-19900101-1234。", ""}), nil
}

func (demoIDStore) APIRiskIndex(context.Context, store.APIResultQuery) (store.APITable, error) {
	return store.APITable{Columns: []string{"region_code", "band", "drivers_prev", "drivers_siblings"},
		Types: []string{"String", "String", "Array(String)", "Array(String)"},
		Rows:  [][]any{{"150521000000", "orange", []string{"C1|0.4|0.112|0.08"}, []string{"B1|0.5|0.3|0.1", "B3|0.2|0.05|0.1", "bad"}}}}, nil
}

// TestCaseIDsAreNotMaskedAsIDNumbers: masking applies to the free text
// around a case id, never to the id itself; an analyst reads the demo's id
// whole while the ID numbers and phone next to it are masked, and a leader
// still gets no case id.
func TestCaseIDsAreNotMaskedAsIDNumbers(t *testing.T) {
	mux, toks := leaderAndAnalyst(t, func(fs *fakeStore) api.Store { return demoIDStore{fs} })
	get := func(role, path string) string {
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("Authorization", "Bearer "+toks[role])
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		body, _ := io.ReadAll(rec.Body)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s as %s: %d %s", path, role, rec.Code, body)
		}
		return string(body)
	}
	for _, path := range []string{"/api/alarms/rule", "/api/warnings"} {
		body := get(api.RoleAnalyst, path)
		if strings.Contains(body, "WG-[身份证号]") || strings.Count(body, demoCaseID) < 2 {
			t.Errorf("%s as analyst: the case id is masked or missing:\n%s", path, body)
		}
		if strings.Contains(body, "19900101") || strings.Contains(body, "13812345678") || !strings.Contains(body, "[身份证号]") {
			t.Errorf("%s as analyst: the personal data next to the id is not masked:\n%s", path, body)
		}
		if body := get(api.RoleLeader, path); strings.Contains(body, "20241103-0012") || strings.Contains(body, "19900101") {
			t.Errorf("%s as leader: a case id or ID number is shown:\n%s", path, body)
		}
	}

	var risk struct {
		Rows []struct {
			Prev     []string `json:"drivers_prev_text"`
			Siblings []string `json:"drivers_siblings_text"`
		} `json:"rows"`
	}
	if err := json.Unmarshal([]byte(get(api.RoleAnalyst, "/api/risk")), &risk); err != nil || len(risk.Rows) != 1 {
		t.Fatalf("risk: %v %+v", err, risk)
	}
	r := risk.Rows[0]
	if strings.Join(r.Prev, ",") != "超期办理率上升3.2个百分点" ||
		strings.Join(r.Siblings, ",") != "敏感类型纠纷占比高于同级20.0个百分点,上交升级占比低于同级5.0个百分点" {
		t.Errorf("drivers in words: prev %q, siblings %q", r.Prev, r.Siblings)
	}
}
