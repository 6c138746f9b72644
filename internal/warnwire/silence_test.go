package warnwire

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/api"
	"github.com/riskwatch/riskwatch/internal/testenv"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

// TestSilenceAuthorFromTokenAndLengthCapped: a silence created through the
// API is stored with the token's name as its author whatever the body
// claims (a different created_by is refused naming it), and one longer than
// warnings.max_silence is refused naming the parameter that set its end.
func TestSilenceAuthorFromTokenAndLengthCapped(t *testing.T) {
	ch := testenv.ClickHouse(t)
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{Addrs: []string{ch.Addr}, Database: testenv.FreshDatabase(t, "silence"), Username: "default",
		DialTimeout: 5 * time.Second, ReadTimeout: time.Minute, MaxOpenConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.DropDatabase(ctx); st.Close() })
	migs, _ := schemas.Migrations()
	if _, err := st.Migrate(ctx, migs); err != nil {
		t.Fatal(err)
	}
	reg, err := schemas.LoadTongliao()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	h := &handlers{st: st, regions: reg, now: func() time.Time { return now }, maxSilence: 30 * 24 * time.Hour}
	post := func(body string) (int, map[string]any) {
		r := httptest.NewRequest("POST", "/api/silences", bytes.NewBufferString(body))
		r = r.WithContext(api.WithPrincipal(r.Context(), api.Principal{TokenID: "t1", Name: "科左中旗中心", Role: api.RoleCenterOperator, Scope: "150521"}))
		w := httptest.NewRecorder()
		h.createSilence(w, r)
		var out map[string]any
		_ = json.Unmarshal(w.Body.Bytes(), &out)
		return w.Code, out
	}
	m := `"matchers":{"region":["150521000000"]},"comment":"检修"`
	for _, c := range []struct {
		body  string
		code  int
		param string
	}{
		{`{` + m + `,"duration":"1h","created_by":"市长"}`, http.StatusBadRequest, "created_by"},
		{`{` + m + `,"duration":"721h"}`, http.StatusBadRequest, "duration"},
		{`{` + m + `,"ends_at":"2027-01-07T10:01:00Z"}`, http.StatusBadRequest, "ends_at"},
		{`{` + m + `,"starts_at":"2026-12-20T00:00:00Z","ends_at":"2027-01-20T00:00:01Z"}`, http.StatusBadRequest, "ends_at"},
		{`{` + m + `,"duration":"720h"}`, http.StatusCreated, ""},
		{`{` + m + `,"duration":"2h","created_by":"科左中旗中心"}`, http.StatusCreated, ""},
		// Started long ago: what counts is the time still to run.
		{`{` + m + `,"starts_at":"2026-01-01T00:00:00Z","ends_at":"2027-01-01T00:00:00Z"}`, http.StatusCreated, ""},
	} {
		code, out := post(c.body)
		msg, _ := out["error"].(string)
		if code != c.code || (c.param != "" && (out["param"] != c.param || !strings.HasPrefix(msg, c.param+":"))) {
			t.Errorf("%s: %d %v, want %d naming %q", c.body, code, out, c.code, c.param)
		}
		if code == http.StatusCreated && out["created_by"] != "科左中旗中心" {
			t.Errorf("%s: created_by %v, want the token's name", c.body, out["created_by"])
		}
		if c.param == "duration" || c.param == "ends_at" {
			if !strings.Contains(msg, "warnings.max_silence") {
				t.Errorf("%s: %q does not name warnings.max_silence", c.body, msg)
			}
		}
	}
	rows, err := st.WarningSilences(ctx, now, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 {
		t.Fatalf("%d silences stored, want the 3 accepted ones", len(rows))
	}
	for _, s := range rows {
		if s.CreatedBy != "科左中旗中心" {
			t.Errorf("stored silence %s by %q, want the token's name", s.ID, s.CreatedBy)
		}
	}
}

// The endpoints answer in the API's form: JSON with nosniff and no-store,
// errors as {"error", "param"}; the paths of earlier releases redirect
// with their method kept.
func TestWarningAnswersInTheAPIForm(t *testing.T) {
	rec := httptest.NewRecorder()
	fail(rec, httptest.NewRequest("GET", "/api/silences", nil), http.StatusBadRequest, fieldErr("matchers.kind", "%q is not a kind", "x"))
	var body map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if rec.Code != 400 || body["param"] != "matchers.kind" || !strings.Contains(fmt.Sprint(body["error"]), "is not a kind") {
		t.Errorf("error answer %d %v", rec.Code, body)
	}
	for _, h := range []string{"X-Content-Type-Options", "Cache-Control"} {
		if got := rec.Header().Get(h); got != map[string]string{"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}[h] {
			t.Errorf("%s = %q", h, got)
		}
	}
	mux := http.NewServeMux()
	svc := &Service{}
	svc.Mount(mux, func(...string) func(http.Handler) http.Handler { return func(h http.Handler) http.Handler { return h } }, HTTPOptions{})
	for _, c := range []struct{ method, old, want string }{
		{"POST", "/api/v1/warnings/abc/ack", "/api/warnings/abc/ack"},
		{"POST", "/api/v1/silences", "/api/silences"},
		{"DELETE", "/api/v1/silences/s1", "/api/silences/s1"},
		{"GET", "/api/v1/silences?all=true", "/api/silences?all=true"},
		{"GET", "/api/v1/warnings/dead", "/api/warnings/dead"},
		{"POST", "/api/v1/warnings/dead/d1/requeue", "/api/warnings/dead/d1/requeue"},
	} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(c.method, c.old, nil))
		if rec.Code != http.StatusPermanentRedirect || rec.Header().Get("Location") != c.want {
			t.Errorf("%s %s: %d to %q, want 308 to %s", c.method, c.old, rec.Code, rec.Header().Get("Location"), c.want)
		}
	}
}

func TestMain(m *testing.M) { testenv.Main(m) }
