package api_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/api"
	"github.com/riskwatch/riskwatch/internal/servers"
	"github.com/riskwatch/riskwatch/internal/testenv"
	"github.com/riskwatch/riskwatch/jobs"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/sources/demo"
	"github.com/riskwatch/riskwatch/store"
	"github.com/riskwatch/riskwatch/transform"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// Personal data seeded into the raw fields of some cases; none of it may
// appear in any answer.
const (
	piiName  = "王建国"
	piiPhone = "13912345678"
	piiID    = "15052119800101123X"
	piiID2   = "150521198001011236"
)

// Scopes of the fixture's tokens.
const (
	kzz     = "150521" // 科左中旗
	kzzCode = "150521000000"
	kerqin  = "150502000000" // 科尔沁区, outside kzz
)

// fixture is the seeded database and server shared by the tests.
type fixture struct {
	ch     *servers.ClickHouse
	st     *store.Store
	reg    *schemas.Registry
	srv    *api.Server
	http   *httptest.Server
	tokens map[string]string // label → token
	ids    map[string]string // label → token id
	town   string            // a town of 科左中旗 with cases (the town-scoped token's scope)
	now    time.Time
}

var (
	fixOnce sync.Once
	fix     *fixture
	fixErr  error
)

// setup seeds a fresh database once per test binary: ~3 months of the demo
// stream through the real transform, cases carrying personal data, one
// run of every index job, tokens of different roles and scopes; and starts
// the API on a loopback test server.
func setup(t *testing.T) *fixture {
	t.Helper()
	ch := testenv.ClickHouse(t) // skips (or fails under CI) without a server
	fixOnce.Do(func() { fix, fixErr = build(ch) })
	if fixErr != nil {
		t.Fatal(fixErr)
	}
	return fix
}

func build(ch *servers.ClickHouse) (*fixture, error) {
	ctx := context.Background()
	db := fmt.Sprintf("api_test_%d", time.Now().UnixNano())
	_ = db
	st, err := store.Open(ctx, store.Options{Addrs: []string{ch.Addr}, Database: db, Username: "default",
		DialTimeout: 5 * time.Second, ReadTimeout: time.Minute, MaxOpenConns: 4})
	if err != nil {
		return nil, err
	}
	// The database lives on the test binary's own server, whose directory
	// testenv removes when the tests end.
	migs, _ := schemas.Migrations()
	if _, err := st.Migrate(ctx, migs); err != nil {
		return nil, err
	}
	reg, err := schemas.LoadTongliao()
	if err != nil {
		return nil, err
	}
	if _, err := st.SyncRegions(ctx, reg); err != nil {
		return nil, err
	}
	from, to := time.Date(2026, 6, 1, 0, 0, 0, 0, schemas.Shanghai), time.Date(2026, 8, 31, 0, 0, 0, 0, schemas.Shanghai)
	now := time.Date(2026, 9, 1, 10, 0, 0, 0, schemas.Shanghai)
	gen, err := demo.New(demo.Options{Seed: 3, Registry: reg, From: from, To: to})
	if err != nil {
		return nil, err
	}
	var msgs [][]byte
	for r, ok := gen.Next(); ok; r, ok = gen.Next() {
		b, err := schemas.MarshalRecord(r)
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, b)
	}
	var recs []schemas.Record
	town := reg.Children(kzzCode)[0].Code
	village := reg.Children(town)[0].Code
	for i := 0; i < 3; i++ {
		at := time.Date(2026, 8, 10+i, 9, 0, 0, 0, schemas.Shanghai)
		due := at.Add(24 * time.Hour)
		recs = append(recs, schemas.Record{
			CaseID: fmt.Sprintf("pii-%d", i), Version: 1, Source: schemas.SourceHotline, Channel: schemas.ChannelPhone,
			ReportedAt: at, RegionCode: village, Category: "labor.wage_arrears",
			CategoryText: "欠薪 " + piiName + " " + piiPhone,
			Summary:      piiName + "（身份证 " + piiID + "，电话 " + piiPhone + "）反映被拖欠工资，" + piiName + "情绪激动",
			PartyNames:   []string{piiName}, Parties: 1, Severity: schemas.SeverityGeneral, Status: schemas.StatusHandling,
			AssignedUnit: "舍伯吐镇司法所", DueAt: &due,
		})
	}
	tr, err := transform.New(transform.Options{Registry: reg})
	if err != nil {
		return nil, err
	}
	for _, r := range recs {
		b, err := schemas.MarshalRecord(r)
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, b)
	}
	rows := make([]schemas.CaseRow, 0, len(msgs))
	for i, b := range msgs {
		row, err := tr.Transform(b, transform.Meta{Topic: "t", Offset: int64(i)}, now)
		if err != nil {
			return nil, fmt.Errorf("record %d: %w", i, err)
		}
		rows = append(rows, row)
	}
	// The first demo case as if the learned classifier had decided it with
	// little confidence: the review list (/api/cases?review=1) holds it
	// alone. Counts are unchanged.
	for i := range rows {
		if rows[i].CaseID == rows[0].CaseID { // every version of the case
			rows[i].CategoryRule, rows[i].CategoryConfidence = "model:fixture", 0.3
		}
	}
	// A row written by another path with an unmasked ID and phone number:
	// the API masks free text again on the way out.
	raw := rows[len(rows)-1]
	raw.CaseID, raw.Summary, raw.CategoryText = "pii-raw", "身份证"+piiID2+" 手机 "+piiPhone, "电话"+piiPhone
	rows = append(rows, raw)
	if err := st.InsertCases(ctx, rows); err != nil {
		return nil, err
	}
	if err := st.InsertRuleAlarms(ctx, []store.RuleAlarm{
		{Rule: "extreme_words", Source: "hotline", CaseID: "pii-0", CaseVersion: 1, Level: "red", CountyCode: kzzCode, TownCode: town,
			RegionCode: village, Category: "labor.wage_arrears", Detail: "含极端风险言辞：" + piiPhone, ReportedAt: now.Add(-24 * time.Hour), DetectedAt: now},
		{Rule: "large_amount", Source: "platform", CaseID: "k-1", CaseVersion: 1, Level: "orange", CountyCode: kerqin, TownCode: kerqin[:9] + "000",
			RegionCode: kerqin, Category: "finance", Detail: "涉及金额较大", ReportedAt: now.Add(-24 * time.Hour), DetectedAt: now},
	}); err != nil {
		return nil, err
	}
	// Warnings and their delivery log (migration 0009), one inside and one
	// outside 科左中旗, the inside one with personal data in its body.
	for _, ins := range []string{
		"INSERT INTO " + db + ".warnings (id, state, level, kind, rule, subject, region_code, region_level, county_code, town_code, category, title, body, link, labels, starts_at, resolved_at, updated_at, version) VALUES " +
			"('w-kzz', 'firing', 'red', 'rule', 'extreme_words', 'pii-0', '" + village + "', 5, '" + kzzCode + "', '" + town + "', 'labor', '科左中旗 极端言辞预警', '当事人电话 " + piiPhone + "', '/reports/x', ['county=150521'], toDateTime('2026-08-31 10:00:00', 'Asia/Shanghai'), toDateTime(0), toDateTime('2026-08-31 10:00:00', 'Asia/Shanghai'), 1), " +
			"('w-kerqin', 'resolved', 'orange', 'rule', 'large_amount', 'k-1', '" + kerqin + "', 3, '" + kerqin + "', '', 'finance', '科尔沁区 涉及金额较大', '金额较大', '', ['county=150502'], toDateTime('2026-08-30 10:00:00', 'Asia/Shanghai'), toDateTime('2026-08-31 10:00:00', 'Asia/Shanghai'), toDateTime('2026-08-31 10:00:00', 'Asia/Shanghai'), 1)",
		"INSERT INTO " + db + ".warning_deliveries (notification_id, group_key, receiver, channel, channel_type, reason, warning_ids, attempt, status, status_code, response, error, latency_ms, created_at, attempted_at) VALUES " +
			"('n-kzz', 'g1', 'kzz-center', 'wecom', 'webhook', 'new', ['w-kzz'], 1, 'retry', 500, 'busy', '', 30, toDateTime('2026-08-31 10:00:00', 'Asia/Shanghai'), toDateTime('2026-08-31 10:00:01', 'Asia/Shanghai')), " +
			"('n-kzz', 'g1', 'kzz-center', 'wecom', 'webhook', 'new', ['w-kzz'], 2, 'delivered', 200, 'ok', '', 25, toDateTime('2026-08-31 10:00:00', 'Asia/Shanghai'), toDateTime('2026-08-31 10:01:00', 'Asia/Shanghai')), " +
			"('n-kerqin', 'g2', 'kerqin-center', 'dingtalk', 'webhook', 'new', ['w-kerqin'], 1, 'delivered', 200, 'ok', '', 20, toDateTime('2026-08-30 10:00:00', 'Asia/Shanghai'), toDateTime('2026-08-30 10:00:01', 'Asia/Shanghai'))",
		"INSERT INTO " + db + ".warning_acks (warning_id, acked_by, comment, acked_at) VALUES ('w-kerqin', 'admin', '', toDateTime('2026-08-31 11:00:00', 'Asia/Shanghai'))",
	} {
		if _, err := ch.Query(ctx, ins); err != nil {
			return nil, err
		}
	}
	at := time.Date(2026, 9, 1, 0, 0, 0, 0, schemas.Shanghai)
	for _, j := range jobs.All(st, reg, func() time.Time { return now }, jobs.Options{}) {
		for _, end := range []time.Time{j.Window.Align(at), j.Window.Start(j.Window.Align(at))} {
			if _, err := j.Run(ctx, end); err != nil {
				return nil, fmt.Errorf("job %s: %w", j.Name, err)
			}
		}
	}
	// The fixture's tokens make hundreds of requests: no request budget
	// here (tokenlimit_internal_test.go tests it). The server's clock starts
	// at now and runs, so that audit entries are ordered by when they
	// happened (with a stopped clock every entry has the same time and
	// "the newest 1000" is an arbitrary 1000 of them).
	started := time.Now()
	srv, err := api.New(api.Options{Store: st, Regions: reg, MaxRows: 5000, MaxRangeDays: 400, MaxPageSize: 200, Audit: true,
		Now: func() time.Time { return now.Add(time.Since(started)) }, TokenRate: 1e6, TokenBurst: 1e6})
	if err != nil {
		return nil, err
	}
	if err := srv.RefreshDaily(ctx); err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	srv.Mount(mux)
	hs := httptest.NewServer(mux)
	f := &fixture{ch: ch, st: st, reg: reg, srv: srv, http: hs, tokens: map[string]string{}, ids: map[string]string{}, town: town, now: now}
	for _, tk := range []struct{ label, role, scope string }{
		{"admin", api.RoleAdmin, ""},
		{"admin-kzz", api.RoleAdmin, kzz},
		{"analyst-kzz", api.RoleAnalyst, kzz},
		{"leader-kzz", api.RoleLeader, kzz},
		{"operator-town", api.RoleCenterOperator, town[:9]},
		{"analyst-kerqin", api.RoleAnalyst, kerqin[:6]},
		{"revoked", api.RoleAdmin, ""},
	} {
		tok, id, err := api.NewToken()
		if err != nil {
			return nil, err
		}
		if err := st.APIInsertToken(ctx, store.APIToken{ID: id, Hash: api.HashToken(tok), Name: tk.label, Role: tk.role,
			Scope: tk.scope, Created: now, Version: 1}); err != nil {
			return nil, err
		}
		f.tokens[tk.label], f.ids[tk.label] = tok, id
	}
	if _, err := st.APIRevokeToken(ctx, f.ids["revoked"], now); err != nil {
		return nil, err
	}
	return f, nil
}

// get requests path as the token label and returns status and body.
func (f *fixture) get(t *testing.T, label, path string, hdr ...string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", f.http.URL+path, nil)
	if label != "" {
		req.Header.Set("Authorization", "Bearer "+f.tokens[label])
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := f.http.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

type table struct {
	Columns   []string         `json:"columns"`
	Rows      []map[string]any `json:"rows"`
	Truncated bool             `json:"truncated"`
	Total     int              `json:"total"`
}

type trend struct {
	Source string `json:"source"`
	Series []struct {
		Key    string `json:"key"`
		Name   string `json:"name"`
		Points []struct {
			Period string   `json:"period"`
			Value  *float64 `json:"value"`
			Cases  uint64   `json:"cases"`
		} `json:"points"`
	} `json:"series"`
}

// endpoints are one request per endpoint, with parameters that return rows
// for the fixture's data.
var endpoints = []string{
	"/api/me",
	"/api/regions",
	"/api/regions?level=town",
	"/api/categories",
	"/api/trends?granularity=month&from=2026-06-01&to=2026-08-31",
	"/api/trends?granularity=week&group=region&from=2026-06-01&to=2026-08-31",
	"/api/trends?metric=satisfaction&granularity=month&group=level&level=village&from=2026-06-01&to=2026-08-31&status=resolved,closed",
	"/api/trends?metric=risk&granularity=week&from=2026-06-01&to=2026-09-01",
	"/api/kpis?window=month&latest=1&from=2026-06-01&to=2026-09-01", // every level, newest month: within max_rows, so the CSV is whole
	"/api/hotspots?window=week&level=town&from=2026-06-01&to=2026-09-01",
	"/api/risk?window=week&from=2026-06-01&to=2026-09-01",
	"/api/types?window=month&from=2026-06-01&to=2026-09-01",
	"/api/alarms/stat?window=week&from=2026-06-01&to=2026-09-01",
	"/api/alarms/rule?from=2026-08-01&to=2026-09-01",
	"/api/supervision/units?from=2026-06-01&to=2026-09-01",
	"/api/supervision/cases?from=2026-06-01&to=2026-09-01",
	"/api/cases?from=2026-06-01&to=2026-08-31&page_size=200",
	"/api/warnings?from=2026-08-01&to=2026-09-01",
	"/api/warnings/deliveries?from=2026-08-01&to=2026-09-01",
}

// codesOf returns every region code in an answer: every code-like column
// of a table (code, region_code, parent_code, county_code, town_code,
// village_code, any other *_code but the HTTP status_code), the series keys
// of a region-grouped trend.
func codesOf(t *testing.T, path string, body []byte) (codes []string, rows int) {
	t.Helper()
	if strings.HasPrefix(path, "/api/trends") {
		var tr trend
		if err := json.Unmarshal(body, &tr); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for _, s := range tr.Series {
			rows += len(s.Points)
			if (strings.Contains(path, "group=level") || strings.Contains(path, "group=region") || strings.Contains(path, "metric=risk")) && s.Key != "" {
				codes = append(codes, s.Key)
			}
		}
		return codes, rows
	}
	var tb table
	if err := json.Unmarshal(body, &tb); err != nil {
		t.Fatalf("%s: %v: %.200s", path, err, body)
	}
	if strings.HasPrefix(path, "/api/categories") {
		return nil, len(tb.Rows) // category codes, not regions
	}
	for _, r := range tb.Rows {
		for _, c := range tb.Columns {
			if c != "code" && (!strings.HasSuffix(c, "_code") || c == "status_code") {
				continue
			}
			if v, ok := r[c].(string); ok && v != "" {
				codes = append(codes, v)
			}
		}
	}
	return codes, len(tb.Rows)
}

// inScope says whether a region code may appear in an answer to a token of
// scope: it lies within the scope, or it is one of the scope's ancestors (a
// town's county_code, a county's parent_code: context, not data).
func (f *fixture) inScope(t *testing.T, code, scope string) bool {
	t.Helper()
	if strings.HasPrefix(code, scope) {
		return true
	}
	_, r, err := api.ParseScope(f.reg, scope)
	if err != nil {
		t.Fatal(err)
	}
	for r.Parent != "" {
		if r.Parent == code {
			return true
		}
		if r, _ = f.reg.Lookup(r.Parent); r.Code == "" {
			break
		}
	}
	return false
}

// TestScopeEveryEndpoint: for every endpoint and every token, no answer
// holds a region outside the token's scope in any code column, while the
// unscoped token sees rows outside 科左中旗 on the same requests (so the
// check can fail).
func TestScopeEveryEndpoint(t *testing.T) {
	f := setup(t)
	scopes := map[string]string{"admin": "", "analyst-kzz": kzz, "leader-kzz": kzz, "operator-town": f.town[:9], "analyst-kerqin": kerqin[:6]}
	for _, ep := range endpoints {
		adminCodes, adminRows := []string(nil), 0
		for _, label := range []string{"admin", "analyst-kzz", "leader-kzz", "operator-town", "analyst-kerqin"} {
			status, body := f.get(t, label, ep)
			caseList := strings.HasPrefix(ep, "/api/cases") || strings.HasPrefix(ep, "/api/supervision/cases")
			if label == "leader-kzz" && caseList {
				if status != http.StatusForbidden {
					t.Errorf("%s as leader: status %d, want 403", ep, status)
				}
				continue
			}
			if status != http.StatusOK {
				t.Errorf("%s as %s: status %d: %s", ep, label, status, body)
				continue
			}
			codes, rows := codesOf(t, ep, body)
			if label == "admin" {
				adminCodes, adminRows = codes, rows
			}
			for _, c := range codes {
				if !f.inScope(t, c, scopes[label]) {
					t.Errorf("%s as %s (scope %s): region %s outside the scope", ep, label, scopes[label], c)
					break
				}
			}
			if rows > adminRows && label != "admin" && ep != "/api/me" && ep != "/api/regions" && !strings.Contains(ep, "group=region") {
				t.Errorf("%s: %s sees %d rows, more than the unscoped token's %d", ep, label, rows, adminRows)
			}
		}
		if ep == "/api/me" || ep == "/api/categories" {
			continue
		}
		if adminRows == 0 {
			t.Errorf("%s: no rows for the unscoped token; the fixture does not exercise the endpoint", ep)
		}
		outside := slices.ContainsFunc(adminCodes, func(c string) bool { return !f.inScope(t, c, kzz) })
		if len(adminCodes) > 0 && !outside {
			t.Errorf("%s: the unscoped token sees nothing outside 科左中旗; the scope check could not fail", ep)
		}
	}
}

// TestScopedTotalsMatchSQL: for every token, the supervision board's
// counts and a one-series trend add up to what plain SQL counts within the
// token's scope, and the scopes' totals differ (so a missing scope
// condition shows).
func TestScopedTotalsMatchSQL(t *testing.T) {
	f := setup(t)
	db := f.st.Database()
	count := func(sql string) float64 {
		out, err := f.ch.Query(context.Background(), strings.ReplaceAll(sql, "DB.", db+"."))
		if err != nil {
			t.Fatal(err)
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(out), 64)
		if err != nil {
			t.Fatalf("%s: %q", sql, out)
		}
		return v
	}
	sum := func(label, path, col string) float64 {
		status, body := f.get(t, label, path)
		var tb table
		if err := json.Unmarshal(body, &tb); status != 200 || err != nil || tb.Truncated {
			t.Fatalf("%s as %s: %d %v %.300s", path, label, status, err, body)
		}
		n := 0.0
		for _, r := range tb.Rows {
			n += r[col].(float64)
		}
		return n
	}
	totals := map[string][2]float64{}
	for _, c := range []struct{ label, scope string }{
		{"admin", ""}, {"analyst-kzz", kzz}, {"leader-kzz", kzz}, {"operator-town", f.town[:9]}, {"analyst-kerqin", kerqin[:6]},
	} {
		like := "'" + c.scope + "%'"
		wantUnits := count("SELECT countIf(status NOT IN ('resolved', 'failed', 'closed')) FROM DB.supervision_cases FINAL WHERE region_code LIKE " + like +
			" AND window_end = (SELECT max(window_end) FROM DB.supervision_cases WHERE region_code LIKE " + like +
			" AND toDate(window_end) BETWEEN toDate('2026-06-01') AND toDate('2026-09-01'))")
		gotUnits := sum(c.label, "/api/supervision/units?from=2026-06-01&to=2026-09-01", "open")
		if gotUnits != wantUnits {
			t.Errorf("/api/supervision/units as %s: %v open cases, SQL within %q says %v", c.label, gotUnits, c.scope, wantUnits)
		}
		wantTrend := count("SELECT count() FROM DB.cases FINAL WHERE region_code LIKE " + like +
			" AND reported_date BETWEEN toDate('2026-06-01') AND toDate('2026-08-31')")
		gotTrend := f.sumTrend(t, c.label, "granularity=month&group=none&from=2026-06-01&to=2026-08-31")
		if gotTrend != wantTrend {
			t.Errorf("/api/trends?group=none as %s: %v cases, SQL within %q says %v", c.label, gotTrend, c.scope, wantTrend)
		}
		totals[c.label] = [2]float64{wantUnits, wantTrend}
	}
	for _, l := range []string{"analyst-kzz", "analyst-kerqin"} {
		if a, s := totals["admin"], totals[l]; s[0] == 0 || s[1] == 0 || s[0] >= a[0] || s[1] >= a[1] {
			t.Errorf("totals of %s %v against the whole registry's %v: the fixture cannot tell a scoped answer from an unscoped one", l, s, a)
		}
	}
}

// TestRollUpAboveScopeRefused: a scoped token asking for its parent or a
// sibling gets 403 naming region.
func TestRollUpAboveScopeRefused(t *testing.T) {
	f := setup(t)
	for _, p := range []string{
		"/api/trends?region=150500000000", "/api/trends?region=" + kerqin, "/api/kpis?region=1505",
		"/api/cases?region=" + kerqin, "/api/regions?parent=150500000000", "/api/risk?region=" + kerqin,
	} {
		status, body := f.get(t, "analyst-kzz", p)
		var e struct{ Error, Param string }
		_ = json.Unmarshal(body, &e)
		if status != http.StatusForbidden || e.Param != "region" && e.Param != "parent" {
			t.Errorf("%s: status %d param %q, want 403 naming the region", p, status, e.Param)
		}
	}
}

// TestInjectionRejected: SQL and LIKE injection attempts in every parameter
// of every endpoint get 400 naming the parameter; free-text ones are
// harmless (no rows, no error).
func TestInjectionRejected(t *testing.T) {
	f := setup(t)
	attacks := []string{"' OR 1=1 --", "150521' OR '1'='1", "%", "1505%", "labor') OR ('1'='1", "week; DROP TABLE cases", "1 UNION SELECT 1"}
	var doc struct {
		Paths map[string]map[string]struct {
			Parameters []struct{ Name string } `json:"parameters"`
		} `json:"paths"`
	}
	_, b := f.get(t, "", "/api/openapi.json")
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	checked := 0
	for path, ops := range doc.Paths {
		for _, p := range ops["get"].Parameters {
			for _, a := range attacks {
				status, body := f.get(t, "admin", path+"?"+p.Name+"="+url.QueryEscape(a))
				checked++
				if p.Name == "unit" {
					codes, rows := codesOf(t, path, body)
					if status != http.StatusOK || rows != 0 || len(codes) != 0 {
						t.Errorf("%s?%s=%q: status %d, %d rows; want 200 and no rows", path, p.Name, a, status, rows)
					}
					continue
				}
				var e struct{ Error, Param string }
				_ = json.Unmarshal(body, &e)
				if status != http.StatusBadRequest || e.Param != p.Name {
					t.Errorf("%s?%s=%q: status %d param %q, want 400 naming %s (%s)", path, p.Name, a, status, e.Param, p.Name, body)
				}
			}
		}
	}
	if checked < 300 {
		t.Errorf("only %d injection requests; the document lists too few parameters", checked)
	}
	// The tables are still there.
	if n, err := f.st.CountRows(context.Background(), "cases"); err != nil || n == 0 {
		t.Errorf("cases after the attempts: %d rows, %v", n, err)
	}
}

// TestNoPersonalData: the seeded name, phone and ID numbers appear in no
// answer of any endpoint, as JSON or CSV, while the seeded cases are there.
func TestNoPersonalData(t *testing.T) {
	f := setup(t)
	found := false
	for _, ep := range append(endpoints, "/api/cases?from=2026-08-01&to=2026-08-31&category=labor&page_size=200",
		"/api/alarms/rule?from=2026-08-01&to=2026-09-01&rule=extreme_words") {
		for _, format := range []string{"json", "csv"} {
			sep := "?"
			if strings.Contains(ep, "?") {
				sep = "&"
			}
			status, body := f.get(t, "admin", ep+sep+"format="+format)
			if status != http.StatusOK {
				t.Errorf("%s as %s: %d %s", ep, format, status, body)
			}
			for _, pii := range []string{piiName, piiPhone, piiID, piiID2, piiID[6:14]} {
				if strings.Contains(string(body), pii) {
					t.Errorf("%s (%s) contains personal data %q", ep, format, pii)
				}
			}
			if strings.Contains(string(body), "pii-0") && strings.Contains(string(body), "[手机号]") {
				found = true
			}
		}
	}
	if !found {
		t.Error("the seeded cases with personal data were not returned at all (masked); the check proves nothing")
	}
}

// TestTrendNumbersMatchSQL: the trend answers equal counts computed by
// plain SQL on cases FINAL, from api_daily and from api_county, and the
// CSV holds the same numbers as the JSON.
func TestTrendNumbersMatchSQL(t *testing.T) {
	f := setup(t)
	q := func(sql string) map[string]float64 {
		out, err := f.ch.Query(context.Background(), sql)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]float64{}
		for _, ln := range strings.Split(strings.TrimSpace(out), "\n") {
			p := strings.Split(ln, "\t")
			if len(p) == 2 {
				v, _ := strconv.ParseFloat(p[1], 64)
				m[p[0]] = v
			}
		}
		return m
	}
	db := f.st.Database()
	want := q("SELECT toString(toStartOfMonth(reported_date)) AS m, count() FROM " + db + ".cases FINAL WHERE region_code LIKE '150521%' AND reported_date BETWEEN toDate('2026-06-01') AND toDate('2026-08-31') GROUP BY m")
	wantDiff := q("SELECT toString(toStartOfMonth(reported_date)) AS m, count() FROM " + db + ".cases FINAL WHERE region_code LIKE '150521%' AND severity = 'difficult' AND reported_date BETWEEN toDate('2026-06-01') AND toDate('2026-08-31') GROUP BY m")
	wantTwo := q("SELECT toString(toStartOfMonth(reported_date)) AS m, count() FROM " + db + ".cases FINAL WHERE region_code LIKE '150521%' AND severity = 'difficult' AND status IN ('resolved', 'closed') AND reported_date BETWEEN toDate('2026-06-01') AND toDate('2026-08-31') GROUP BY m")
	if len(want) != 3 {
		t.Fatalf("SQL gives %v; want three months", want)
	}
	for _, c := range []struct {
		path, source string
		want         map[string]float64
	}{
		{"/api/trends?region=150521&granularity=month&from=2026-06-01&to=2026-08-31", "api_daily", want},
		{"/api/trends?granularity=month&from=2026-06-01&to=2026-08-31", "api_daily", want}, // the token's scope is the default region
		{"/api/trends?granularity=month&from=2026-06-01&to=2026-08-31&severity=difficult", "api_county", wantDiff},
		{"/api/trends?granularity=month&from=2026-06-01&to=2026-08-31&severity=difficult&status=resolved,closed", "api_county", wantTwo},
	} {
		status, body := f.get(t, "analyst-kzz", c.path)
		var tr trend
		if err := json.Unmarshal(body, &tr); status != 200 || err != nil || len(tr.Series) != 1 {
			t.Fatalf("%s: %d %v %s", c.path, status, err, body)
		}
		if tr.Source != c.source {
			t.Errorf("%s answered from %s, want %s", c.path, tr.Source, c.source)
		}
		got := map[string]float64{}
		for _, p := range tr.Series[0].Points {
			got[p.Period] = *p.Value
		}
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s: %v, SQL says %v", c.path, got, c.want)
		}
		_, csvBody := f.get(t, "analyst-kzz", c.path, "Accept", "text/csv")
		recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(csvBody), "\uFEFF"))).ReadAll()
		if err != nil || len(recs) != len(c.want)+1 || strings.Join(recs[0], ",") != "key,name,period,value,cases" {
			t.Fatalf("%s CSV: %v %q", c.path, err, csvBody)
		}
		for _, r := range recs[1:] {
			if v, _ := strconv.ParseFloat(r[3], 64); v != c.want[r[2]] || r[1] != "科左中旗" {
				t.Errorf("%s CSV row %v, want %v for %s", c.path, r, c.want[r[2]], r[2])
			}
		}
	}
}

// TestParametersValidated: a bad value of each kind gets 400 naming the
// parameter.
func TestParametersValidated(t *testing.T) {
	f := setup(t)
	for _, c := range []struct{ path, param string }{
		{"/api/trends?metric=bogus", "metric"},
		{"/api/trends?granularity=hour", "granularity"},
		{"/api/trends?from=2026-13-01", "from"},
		{"/api/trends?from=2020-01-01&to=2026-01-01", "from"},
		{"/api/trends?from=2026-03-01&to=2026-02-01", "to"},
		{"/api/trends?group=level", "level"},
		{"/api/trends?metric=risk&granularity=day", "granularity"},
		{"/api/trends?category=labor,nope", "category"},
		{"/api/trends?status=open", "status"},
		{"/api/trends?region=999999", "region"},
		{"/api/trends?bogus=1", "bogus"},
		{"/api/trends?metric=cases&metric=rate", "metric"},
		{"/api/cases?page_size=100000", "page_size"},
		{"/api/cases?page=0", "page"},
		{"/api/cases?sort=summary", "sort"},
		{"/api/kpis?window=year", "window"},
		{"/api/risk?window=day", "window"},
		{"/api/regions?level=planet", "level"},
		{"/api/hotspots?format=xml", "format"},
		{"/api/alarms/rule?color=purple", "color"},
		{"/api/supervision/cases?light=blue", "light"},
		{"/api/audit?limit=-1", "limit"},
	} {
		status, body := f.get(t, "admin", c.path)
		var e struct{ Error, Param string }
		_ = json.Unmarshal(body, &e)
		if status != http.StatusBadRequest || e.Param != c.param || e.Error == "" {
			t.Errorf("%s: %d %s, want 400 naming %s", c.path, status, body, c.param)
		}
	}
	// A trend with more rows than api.max_rows is refused, not cut.
	small, err := api.New(api.Options{Store: f.st, Regions: f.reg, MaxRows: 10, Now: func() time.Time { return f.now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(small.Close)
	mux := http.NewServeMux()
	small.Mount(mux)
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	// Without a refresh of api_daily, trends read cases, with the same
	// numbers.
	req, _ := http.NewRequest("GET", hs.URL+"/api/trends?granularity=month&region=150521&from=2026-06-01&to=2026-08-31", nil)
	req.Header.Set("Authorization", "Bearer "+f.tokens["admin"])
	resp, err := hs.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var tr trend
	_ = json.NewDecoder(resp.Body).Decode(&tr)
	resp.Body.Close()
	sum := 0.0
	for _, p := range tr.Series[0].Points {
		sum += *p.Value
	}
	if want := f.sumTrend(t, "admin", "granularity=month&region=150521&from=2026-06-01&to=2026-08-31"); tr.Source != "cases" || sum != want {
		t.Errorf("before any refresh: %v cases from %s, want %v from cases", sum, tr.Source, want)
	}
	req, _ = http.NewRequest("GET", hs.URL+"/api/trends?granularity=day&from=2026-06-01&to=2026-08-31", nil)
	req.Header.Set("Authorization", "Bearer "+f.tokens["admin"])
	resp, err = hs.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var e struct{ Error, Param string }
	_ = json.NewDecoder(resp.Body).Decode(&e)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || e.Param != "granularity" {
		t.Errorf("92 daily rows with max_rows 10: %d %+v, want 400 naming granularity", resp.StatusCode, e)
	}
}

// TestTokensRolesAndAudit: no token, an unknown or revoked one get 401; a
// role without the case list gets 403; every request is audited with the
// token, path and status.
func TestTokensRolesAndAudit(t *testing.T) {
	f := setup(t)
	if s, _ := f.get(t, "", "/api/trends"); s != http.StatusUnauthorized {
		t.Errorf("no token: %d", s)
	}
	if s, _ := f.get(t, "revoked", "/api/trends"); s != http.StatusUnauthorized {
		t.Errorf("revoked token: %d", s)
	}
	f.tokens["forged"] = "rwk_" + strings.Repeat("A", 43)
	if s, _ := f.get(t, "forged", "/api/trends"); s != http.StatusUnauthorized {
		t.Errorf("unknown token: %d", s)
	}
	if s, _ := f.get(t, "leader-kzz", "/api/audit"); s != http.StatusForbidden {
		t.Errorf("leader on /api/audit: %d", s)
	}
	// The console's cookie works like the header.
	req, _ := http.NewRequest("GET", f.http.URL+"/api/me", nil)
	req.AddCookie(&http.Cookie{Name: "rw_token", Value: f.tokens["leader-kzz"]})
	resp, err := f.http.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var me table
	_ = json.NewDecoder(resp.Body).Decode(&me)
	resp.Body.Close()
	if resp.StatusCode != 200 || len(me.Rows) != 1 || me.Rows[0]["region_name"] != "科左中旗" || me.Rows[0]["role"] != "leader" {
		t.Errorf("/api/me with the cookie: %d %+v", resp.StatusCode, me.Rows)
	}
	marker := "2026-07-0" + strconv.Itoa(int(time.Now().UnixNano()%9)+1)
	if s, _ := f.get(t, "analyst-kzz", "/api/kpis?to="+marker); s != 200 {
		t.Fatalf("kpis: %d", s)
	}
	if s, _ := f.get(t, "analyst-kerqin", "/api/kpis?to="+marker); s != 200 {
		t.Fatalf("kpis: %d", s)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		es, err := f.st.APIAudit(context.Background(), "", 1000)
		if err != nil {
			t.Fatal(err)
		}
		var hit, other, denied bool
		for _, e := range es {
			hit = hit || e.TokenID == f.ids["analyst-kzz"] && e.Path == "/api/kpis" && e.Query == "to="+marker && e.Status == 200 && e.Scope == kzz
			other = other || e.TokenID == f.ids["analyst-kerqin"] && e.Path == "/api/kpis" && e.Query == "to="+marker
			denied = denied || e.TokenID == f.ids["leader-kzz"] && e.Path == "/api/audit" && e.Status == 403
		}
		if hit && other && denied {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("audit log lacks the request (found %v), the other county's (found %v) or the refusal (found %v)", hit, other, denied)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// The unscoped admin sees both counties' entries; an admin scoped to 科左中旗
	// sees only the entries of tokens within it.
	audit := func(label string) (scopes, ids map[string]bool) {
		status, body := f.get(t, label, "/api/audit?limit=1000")
		var tb table
		if err := json.Unmarshal(body, &tb); status != 200 || err != nil || len(tb.Rows) == 0 {
			t.Fatalf("/api/audit as %s: %d %v %.300s", label, status, err, body)
		}
		scopes, ids = map[string]bool{}, map[string]bool{}
		for _, r := range tb.Rows {
			scopes[fmt.Sprint(r["scope"])], ids[fmt.Sprint(r["token_id"])] = true, true
			// Each row says how many requests it stands for (refused
			// authentication is coalesced per address).
			if n, ok := r["requests"].(float64); !ok || n < 1 {
				t.Fatalf("/api/audit as %s: row without a request count: %v", label, r)
			}
		}
		return scopes, ids
	}
	_, all := audit("admin")
	if !all[f.ids["analyst-kzz"]] || !all[f.ids["analyst-kerqin"]] {
		t.Errorf("/api/audit as the unscoped admin lacks a county's entries: %v", all)
	}
	scopes, ids := audit("admin-kzz")
	for sc := range scopes {
		if !strings.HasPrefix(sc, kzz) {
			t.Errorf("/api/audit as the 科左中旗 admin shows an entry of scope %q", sc)
		}
	}
	if !ids[f.ids["analyst-kzz"]] || ids[f.ids["analyst-kerqin"]] || ids[f.ids["admin"]] {
		t.Errorf("/api/audit as the 科左中旗 admin: tokens %v; want analyst-kzz's, not analyst-kerqin's or the unscoped admin's", ids)
	}
}

// TestOpenAPIDocumentsEveryRoute: the document lists exactly the routes the
// server registers, with exactly the parameters each accepts.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	f := setup(t)
	_, b := f.get(t, "", "/api/openapi.json")
	var doc struct {
		OpenAPI string `json:"openapi"`
		Paths   map[string]map[string]struct {
			Parameters []struct{ Name, In string } `json:"parameters"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(b, &doc); err != nil || !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("not an OpenAPI 3 document: %v", err)
	}
	var documented []string
	for p, ops := range doc.Paths {
		for m := range ops {
			documented = append(documented, strings.ToUpper(m)+" "+p)
		}
	}
	slices.Sort(documented)
	if got := f.srv.Paths(); !slices.Equal(got, documented) {
		t.Errorf("routes %v\ndocumented %v", got, documented)
	}
	// Each documented parameter is accepted (not "unknown parameter"), and
	// an undocumented one is refused.
	for p, ops := range doc.Paths {
		if p == "/api/openapi.json" {
			continue
		}
		for _, prm := range ops["get"].Parameters {
			_, body := f.get(t, "admin", p+"?"+prm.Name+"=x")
			if strings.Contains(string(body), "unknown parameter") {
				t.Errorf("%s: documented parameter %s is refused as unknown", p, prm.Name)
			}
		}
		if s, _ := f.get(t, "admin", p+"?undocumented=1"); s != http.StatusBadRequest {
			t.Errorf("%s accepts an undocumented parameter (%d)", p, s)
		}
	}
}

// TestDrillDown: group=region gives the children of the region, each
// within it, and their sum is the region's total.
func TestDrillDown(t *testing.T) {
	f := setup(t)
	total := func(path string) (map[string]float64, float64) {
		_, body := f.get(t, "analyst-kzz", path)
		var tr trend
		if err := json.Unmarshal(body, &tr); err != nil {
			t.Fatal(err)
		}
		by, sum := map[string]float64{}, 0.0
		for _, s := range tr.Series {
			for _, p := range s.Points {
				by[s.Key] += *p.Value
				sum += *p.Value
			}
		}
		return by, sum
	}
	_, all := total("/api/trends?granularity=month&from=2026-06-01&to=2026-08-31")
	towns, sum := total("/api/trends?granularity=month&group=region&from=2026-06-01&to=2026-08-31")
	if all == 0 || sum != all || len(towns) < 2 {
		t.Errorf("towns of 科左中旗 sum to %v over %d towns, the banner has %v", sum, len(towns), all)
	}
	for code := range towns {
		if r, ok := f.reg.Lookup(code); code != "" && (!ok || r.Parent != kzzCode) {
			t.Errorf("drill-down series %s is not a town of 科左中旗", code)
		}
	}
	villages, vsum := total("/api/trends?granularity=month&group=region&region=" + f.town + "&from=2026-06-01&to=2026-08-31")
	if vsum != towns[f.town] || len(villages) == 0 {
		t.Errorf("villages of %s sum to %v, the town has %v", f.town, vsum, towns[f.town])
	}
	// One village on its own, and the same through the cases table (a
	// filter on every status sends it there), against plain SQL.
	var village string
	for code, n := range villages {
		if code != "" && n > 0 {
			village = code
		}
	}
	out, err := f.ch.Query(context.Background(), "SELECT count() FROM "+f.st.Database()+".cases FINAL WHERE region_code LIKE '"+village+
		"%' AND reported_date BETWEEN toDate('2026-06-01') AND toDate('2026-08-31')")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := strconv.ParseFloat(strings.TrimSpace(out), 64)
	_, one := total("/api/trends?granularity=month&region=" + village + "&from=2026-06-01&to=2026-08-31")
	_, viaCases := total("/api/trends?granularity=month&region=" + village + "&from=2026-06-01&to=2026-08-31&status=accepted,routed,handling,resolved,failed,closed")
	if want == 0 || one != want || viaCases != want || villages[village] != want {
		t.Errorf("village %s: %v alone, %v through cases, %v in the drill-down; SQL says %v", village, one, viaCases, villages[village], want)
	}
}

// TestWarningsAndDeliveriesScoped: each county's token sees its own
// warnings and only the notifications of its own warnings; the
// acknowledgement and the resolved time come through.
func TestWarningsAndDeliveriesScoped(t *testing.T) {
	f := setup(t)
	ids := func(label, path, col string) []string {
		status, body := f.get(t, label, path)
		var tb table
		if err := json.Unmarshal(body, &tb); status != 200 || err != nil {
			t.Fatalf("%s as %s: %d %v %s", path, label, status, err, body)
		}
		var out []string
		for _, r := range tb.Rows {
			out = append(out, fmt.Sprint(r[col]))
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	const w, d = "/api/warnings?from=2026-08-01&to=2026-09-01", "/api/warnings/deliveries?from=2026-08-01&to=2026-09-01"
	for _, c := range []struct {
		label      string
		warn, noti []string
	}{
		{"admin", []string{"w-kerqin", "w-kzz"}, []string{"n-kerqin", "n-kzz"}},
		{"analyst-kzz", []string{"w-kzz"}, []string{"n-kzz"}},
		{"operator-town", []string{"w-kzz"}, []string{"n-kzz"}},
		{"analyst-kerqin", []string{"w-kerqin"}, []string{"n-kerqin"}},
	} {
		if got := ids(c.label, w, "id"); !slices.Equal(got, c.warn) {
			t.Errorf("warnings as %s: %v, want %v", c.label, got, c.warn)
		}
		if got := ids(c.label, d, "notification_id"); !slices.Equal(got, c.noti) {
			t.Errorf("deliveries as %s: %v, want %v", c.label, got, c.noti)
		}
	}
	if got := ids("admin", d+"&warning=w-kzz&status=delivered", "attempt"); !slices.Equal(got, []string{"2"}) {
		t.Errorf("delivered attempts of w-kzz: %v, want [2]", got)
	}
	_, body := f.get(t, "admin", w+"&state=resolved")
	var tb table
	_ = json.Unmarshal(body, &tb)
	if len(tb.Rows) != 1 || tb.Rows[0]["acked"] != float64(1) || tb.Rows[0]["resolved_at"] != "2026-08-31 10:00:00" {
		t.Errorf("resolved warnings: %+v", tb.Rows)
	}
	_, body = f.get(t, "admin", w+"&state=firing")
	tb = table{}
	_ = json.Unmarshal(body, &tb)
	if len(tb.Rows) != 1 || tb.Rows[0]["resolved_at"] != nil || tb.Rows[0]["acked"] != float64(0) {
		t.Errorf("firing warnings: %+v", tb.Rows)
	}
}

// exec runs statements on the fixture's database ("DB." in them is its
// name).
func (f *fixture) exec(t *testing.T, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := f.ch.Query(context.Background(), strings.ReplaceAll(s, "DB.", f.st.Database()+".")); err != nil {
			t.Fatal(err)
		}
	}
}

// TestDeliveryTextAdminOnly: a failed post whose error and response quote
// the robot's URL with its key: only an admin token sees error and
// response, and with the URL cut to scheme://host/…; no answer, JSON or
// CSV, holds the key.
func TestDeliveryTextAdminOnly(t *testing.T) {
	f := setup(t)
	const hook = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=SECRET"
	f.exec(t, "INSERT INTO DB.warning_deliveries (notification_id, group_key, receiver, channel, channel_type, reason, warning_ids, attempt, status, status_code, response, error, latency_ms, created_at, attempted_at) VALUES "+
		"('n-secret', 'g-secret', 'kzz-center', 'wecom', 'webhook', 'new', ['w-kzz'], 1, 'failed', 400, "+
		"'{\"errcode\":93000,\"errmsg\":\"invalid webhook url "+hook+"\"}', 'Post \""+hook+"\": status 400', 10, "+
		"toDateTime('2026-07-15 10:00:00', 'Asia/Shanghai'), toDateTime('2026-07-15 10:00:01', 'Asia/Shanghai'))")
	const p = "/api/warnings/deliveries?from=2026-07-15&to=2026-07-15"
	for _, label := range []string{"admin", "analyst-kzz", "leader-kzz", "operator-town"} {
		status, body := f.get(t, label, p)
		var tb table
		if err := json.Unmarshal(body, &tb); status != 200 || err != nil || len(tb.Rows) != 1 {
			t.Fatalf("%s as %s: %d %v %s", p, label, status, err, body)
		}
		if strings.Contains(string(body), "SECRET") {
			t.Errorf("%s as %s holds the robot's key: %s", p, label, body)
		}
		_, csvBody := f.get(t, label, p+"&format=csv")
		if strings.Contains(string(csvBody), "SECRET") {
			t.Errorf("%s as %s (CSV) holds the robot's key: %s", p, label, csvBody)
		}
		e, r := tb.Rows[0]["error"], tb.Rows[0]["response"]
		if label == "admin" {
			if e != `Post "https://qyapi.weixin.qq.com/…": status 400` || !strings.Contains(fmt.Sprint(r), "invalid webhook url https://qyapi.weixin.qq.com/…") {
				t.Errorf("as admin: error %q, response %q; want them with the URL cut to scheme://host/…", e, r)
			}
		} else if e != "" || r != "" {
			t.Errorf("as %s: error %q, response %q; want both empty (admin only)", label, e, r)
		}
	}
}

// TestDeliveryOfMixedWarningsScoped: a notification that carried a warning
// of 科左中旗 and one of 科尔沁区 is listed for both counties' tokens, each
// seeing only its own warning id and no group key; the unscoped token sees
// both ids and the key.
func TestDeliveryOfMixedWarningsScoped(t *testing.T) {
	f := setup(t)
	f.exec(t, "INSERT INTO DB.warning_deliveries (notification_id, group_key, receiver, channel, channel_type, reason, warning_ids, attempt, status, status_code, response, error, latency_ms, created_at, attempted_at) VALUES "+
		"('n-mixed', 'county=150521|county=150502', 'city-center', 'wecom', 'webhook', 'new', ['w-kzz', 'w-kerqin'], 1, 'delivered', 200, 'ok', '', 10, "+
		"toDateTime('2026-07-20 10:00:00', 'Asia/Shanghai'), toDateTime('2026-07-20 10:00:01', 'Asia/Shanghai'))")
	const p = "/api/warnings/deliveries?from=2026-07-20&to=2026-07-20"
	for _, c := range []struct {
		label, query, ids, key string
	}{
		{"admin", "", "w-kzz w-kerqin", "county=150521|county=150502"},
		{"admin", "&warning=w-kzz", "w-kzz w-kerqin", "county=150521|county=150502"},
		{"analyst-kzz", "", "w-kzz", ""},
		{"leader-kzz", "", "w-kzz", ""},
		{"operator-town", "", "w-kzz", ""},
		{"analyst-kzz", "&warning=w-kzz", "w-kzz", ""},
		{"analyst-kerqin", "", "w-kerqin", ""},
	} {
		status, body := f.get(t, c.label, p+c.query)
		var tb table
		if err := json.Unmarshal(body, &tb); status != 200 || err != nil || len(tb.Rows) != 1 {
			t.Fatalf("%s%s as %s: %d %v %s", p, c.query, c.label, status, err, body)
		}
		ids := []string{}
		for _, id := range tb.Rows[0]["warning_ids"].([]any) {
			ids = append(ids, fmt.Sprint(id))
		}
		if got := strings.Join(ids, " "); got != c.ids || tb.Rows[0]["group_key"] != c.key {
			t.Errorf("%s%s as %s: warning_ids %q, group_key %q; want %q, %q", p, c.query, c.label, got, tb.Rows[0]["group_key"], c.ids, c.key)
		}
		_, csvBody := f.get(t, c.label, p+c.query+"&format=csv")
		other := map[string]string{"analyst-kzz": "w-kerqin", "leader-kzz": "w-kerqin", "operator-town": "w-kerqin", "analyst-kerqin": "w-kzz"}[c.label]
		if other != "" && (strings.Contains(string(csvBody), other) || strings.Contains(string(csvBody), "county=")) {
			t.Errorf("%s%s as %s (CSV) names a warning or group outside the scope: %s", p, c.query, c.label, csvBody)
		}
	}
}

// TestTruncatedCSVRefused: with more rows than api.max_rows, the JSON
// answer is cut and says so (truncated, X-Truncated) while the CSV is
// refused with 400 naming from and max_rows; whole answers carry
// X-Total-Count (the case list its total).
func TestTruncatedCSVRefused(t *testing.T) {
	f := setup(t)
	small, err := api.New(api.Options{Store: f.st, Regions: f.reg, MaxRows: 10, Now: func() time.Time { return f.now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(small.Close)
	mux := http.NewServeMux()
	small.Mount(mux)
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	get := func(path string) (*http.Response, []byte) {
		req, _ := http.NewRequest("GET", hs.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+f.tokens["admin"])
		resp, err := hs.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	const p = "/api/hotspots?window=week&level=town&from=2026-06-01&to=2026-09-01"
	resp, body := get(p)
	var tb table
	if err := json.Unmarshal(body, &tb); resp.StatusCode != 200 || err != nil || !tb.Truncated || len(tb.Rows) != 10 ||
		resp.Header.Get("X-Truncated") != "true" || resp.Header.Get("X-Total-Count") != "" {
		t.Errorf("%s (JSON, max_rows 10): %d, %d rows, truncated %v, X-Truncated %q, X-Total-Count %q",
			p, resp.StatusCode, len(tb.Rows), tb.Truncated, resp.Header.Get("X-Truncated"), resp.Header.Get("X-Total-Count"))
	}
	resp, body = get(p + "&format=csv")
	var e struct{ Error, Param string }
	_ = json.Unmarshal(body, &e)
	if resp.StatusCode != http.StatusBadRequest || e.Param != "from" || !strings.Contains(e.Error, "max_rows") {
		t.Errorf("%s (CSV, max_rows 10): %d %s; want 400 naming from and max_rows", p, resp.StatusCode, body)
	}
	// Whole answers: the count of rows, or the case list's total.
	resp, body = get("/api/alarms/rule?from=2026-08-01&to=2026-09-01&format=csv")
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(body), "\uFEFF"))).ReadAll()
	if resp.StatusCode != 200 || err != nil || resp.Header.Get("X-Truncated") != "" || resp.Header.Get("X-Total-Count") != strconv.Itoa(len(recs)-1) {
		t.Errorf("rule alarms CSV: %d %v, X-Truncated %q, X-Total-Count %q for %d rows", resp.StatusCode, err,
			resp.Header.Get("X-Truncated"), resp.Header.Get("X-Total-Count"), len(recs)-1)
	}
	resp, body = get("/api/cases?from=2026-06-01&to=2026-08-31&page_size=5")
	tb = table{}
	_ = json.Unmarshal(body, &tb)
	if resp.StatusCode != 200 || tb.Total <= 5 || resp.Header.Get("X-Total-Count") != strconv.Itoa(tb.Total) {
		t.Errorf("cases: %d, total %d, X-Total-Count %q", resp.StatusCode, tb.Total, resp.Header.Get("X-Total-Count"))
	}
}

// TestLeaderSeesNoCaseIDs: a leader token, shut out of the case lists, gets
// no case ids from the rule alarms or the warnings (subject, title, body)
// either; an analyst of the same scope does, and aggregate warnings keep
// their subject.
func TestLeaderSeesNoCaseIDs(t *testing.T) {
	f := setup(t)
	const caseID = "case-7788"
	f.exec(t, "INSERT INTO DB.warnings (id, state, level, kind, rule, subject, region_code, region_level, county_code, town_code, category, title, body, link, labels, starts_at, resolved_at, updated_at, version) VALUES "+
		"('w-case', 'firing', 'red', 'rule_alarm', 'extreme_words', 'hotline:"+caseID+"', '"+kzzCode+"', 3, '"+kzzCode+"', '', 'labor', '科左中旗 极端言辞预警 "+caseID+"', '案件 "+caseID+"，2026-07-25 09:00受理。', '', [], toDateTime('2026-07-25 10:00:00', 'Asia/Shanghai'), toDateTime(0), toDateTime('2026-07-25 10:00:00', 'Asia/Shanghai'), 1), "+
		"('w-sup', 'firing', 'yellow', 'supervision', 'light', 'platform:"+caseID+"', '"+kzzCode+"', 3, '"+kzzCode+"', '', 'labor', '科左中旗督办黄灯：劳动案件 "+caseID+"', '', '', [], toDateTime('2026-07-25 11:00:00', 'Asia/Shanghai'), toDateTime(0), toDateTime('2026-07-25 11:00:00', 'Asia/Shanghai'), 1), "+
		"('w-band', 'firing', 'orange', 'risk_band', 'week', 'week', '"+kzzCode+"', 3, '"+kzzCode+"', '', '', '科左中旗 风险橙色', '', '', [], toDateTime('2026-07-25 12:00:00', 'Asia/Shanghai'), toDateTime(0), toDateTime('2026-07-25 12:00:00', 'Asia/Shanghai'), 1)")
	for _, c := range []struct {
		path, id string
	}{
		{"/api/warnings?from=2026-07-25&to=2026-07-25", caseID},
		{"/api/alarms/rule?from=2026-08-01&to=2026-09-01&rule=extreme_words", "pii-0"},
	} {
		for _, label := range []string{"leader-kzz", "analyst-kzz"} {
			status, body := f.get(t, label, c.path)
			var tb table
			if err := json.Unmarshal(body, &tb); status != 200 || err != nil || len(tb.Rows) == 0 {
				t.Fatalf("%s as %s: %d %v %.300s", c.path, label, status, err, body)
			}
			_, csvBody := f.get(t, label, c.path+"&format=csv")
			has := strings.Contains(string(body), c.id) || strings.Contains(string(csvBody), c.id)
			if label == "leader-kzz" && has {
				t.Errorf("%s as leader holds the case id %s: %s", c.path, c.id, body)
			}
			if label == "analyst-kzz" && !has {
				t.Errorf("%s as analyst lacks the case id %s; the check proves nothing", c.path, c.id)
			}
			for _, r := range tb.Rows {
				if r["kind"] == "risk_band" && r["subject"] != "week" {
					t.Errorf("%s as %s: the band warning's subject %q, want week", c.path, label, r["subject"])
				}
			}
		}
	}
}
