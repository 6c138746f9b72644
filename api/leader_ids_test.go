package api_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/riskwatch/riskwatch/api"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

// shortIDStore answers the rule alarms and the warnings with rows about
// case A-1, an id the masking of personal data leaves as it is.
type shortIDStore struct{ *fakeStore }

func strTable(cols []string, rows ...[]any) store.APITable {
	types := make([]string, len(cols))
	for i := range types {
		types[i] = "String"
	}
	return store.APITable{Columns: cols, Types: types, Rows: rows}
}

func (shortIDStore) APIRuleAlarms(context.Context, store.APIResultQuery) (store.APITable, error) {
	return strTable([]string{"rule", "source", "case_id", "level", "region_code", "category", "detail"},
		[]any{"extreme_words", "hotline", "A-1", "red", "150521101000", "labor", "案件A-1含极端风险言辞"}), nil
}

func (shortIDStore) APIWarnings(context.Context, store.APIResultQuery) (store.APITable, error) {
	return strTable([]string{"id", "state", "level", "kind", "rule", "subject", "region_code", "title", "body", "link"},
		[]any{"w1", "firing", "red", "rule_alarm", "extreme_words", "hotline:A-1", "150521000000", "科左中旗 极端言辞预警 A-1", "案件 A-1，2026-07-25 09:00受理。", "http://x/console/?case=A-1"},
		[]any{"w2", "firing", "yellow", "supervision", "light", "platform:A-1", "150521000000", "科左中旗督办黄灯：劳动案件 A-1", "", ""},
		[]any{"w3", "firing", "orange", "risk_band", "week", "week", "150521000000", "科左中旗 风险橙色", "", ""}), nil
}

// leaderAndAnalyst mounts an API over the store wrap builds around a fake
// store that knows one leader and one analyst token, both scoped to 150521,
// and returns the mux and each role's token.
func leaderAndAnalyst(t *testing.T, wrap func(*fakeStore) api.Store) (*http.ServeMux, map[string]string) {
	t.Helper()
	reg, err := schemas.LoadTongliao()
	if err != nil {
		t.Fatal(err)
	}
	fs := &fakeStore{toks: map[string]store.APIToken{}}
	toks := map[string]string{}
	for _, role := range []string{api.RoleLeader, api.RoleAnalyst} {
		tok, id, err := api.NewToken()
		if err != nil {
			t.Fatal(err)
		}
		fs.toks[api.HashToken(tok)] = store.APIToken{ID: id, Name: role, Role: role, Scope: "150521"}
		toks[role] = tok
	}
	srv, err := api.New(api.Options{Store: wrap(fs), Regions: reg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	mux := http.NewServeMux()
	srv.Mount(mux)
	return mux, toks
}

// TestLeaderNeverSeesShortCaseIDs: the rule that hides case ids from
// leaders does not lean on masking: with a case id masking leaves alone
// a leader's rule alarms and warnings, as JSON and CSV, hold it
// nowhere (case_id, subject, title, body, detail, link), an analyst's
// do, and the aggregate warning keeps its subject.
func TestLeaderNeverSeesShortCaseIDs(t *testing.T) {
	mux, toks := leaderAndAnalyst(t, func(fs *fakeStore) api.Store { return shortIDStore{fs} })
	for _, path := range []string{"/api/alarms/rule", "/api/warnings"} {
		for _, format := range []string{"json", "csv"} {
			for role, tok := range toks {
				req := httptest.NewRequest("GET", path+"?format="+format, nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				rec := httptest.NewRecorder()
				mux.ServeHTTP(rec, req)
				body, _ := io.ReadAll(rec.Body)
				if rec.Code != 200 {
					t.Fatalf("%s %s as %s: %d %s", path, format, role, rec.Code, body)
				}
				has := strings.Contains(string(body), "A-1")
				if role == api.RoleLeader && has {
					t.Errorf("%s %s as leader holds the case id A-1:\n%s", path, format, body)
				}
				if role == api.RoleAnalyst && !has {
					t.Errorf("%s %s as analyst lacks the case id A-1; the check proves nothing", path, format)
				}
				if role == api.RoleLeader && !strings.Contains(string(body), "〔案件编号已隐藏〕") {
					t.Errorf("%s %s as leader: the id is not marked as hidden:\n%s", path, format, body)
				}
				if path == "/api/warnings" && !strings.Contains(string(body), "week") {
					t.Errorf("%s %s as %s: the band warning lost its subject", path, format, role)
				}
			}
		}
	}
}
