package api

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

// Parameters shared by the result-table endpoints.
var (
	resultParams = []string{"window", "level", "region", "from", "to", "latest"}
	caseFilters  = []string{"category", "severity", "channel", "status", "source"}
	caseRoles    = []string{RoleAnalyst, RoleCenterOperator, RoleAdmin}
)

func (s *Server) apiRoutes() []route {
	return []route{
		{method: "GET", path: "/api/me", noQuery: true, handle: s.me},
		{method: "GET", path: "/api/regions", params: []string{"parent", "level"}, handle: s.regions},
		{method: "GET", path: "/api/categories", noQuery: true, handle: s.categories},
		{method: "GET", path: "/api/geo/counties", noQuery: true, handle: s.geo},
		{method: "GET", path: "/api/trends", params: append([]string{"metric", "group", "level", "granularity", "from", "to", "region"}, caseFilters...), handle: s.trends},
		{method: "GET", path: "/api/kpis", params: resultParams, handle: s.table("kpi", Store.APIKPIs, nil)},
		{method: "GET", path: "/api/hotspots", params: append(resultParams, "hot"), handle: s.table("hotspots", Store.APIHotspots, []string{"hot"})},
		{method: "GET", path: "/api/risk", params: append(resultParams, "band"), handle: s.table("risk", Store.APIRiskIndex, []string{"band"})},
		{method: "GET", path: "/api/types", params: append(resultParams, "category", "surging"), handle: s.table("types", Store.APITypeRanks, []string{"surging"})},
		{method: "GET", path: "/api/alarms/stat", params: append(resultParams, "category", "alarm"), handle: s.table("stat", Store.APIStatAlarms, []string{"alarm"})},
		{method: "GET", path: "/api/alarms/rule", params: []string{"region", "from", "to", "latest", "category", "rule", "color"}, handle: s.noCaseIDsForLeader(s.table("rule", Store.APIRuleAlarms, []string{"rule", "color"}))},
		{method: "GET", path: "/api/supervision/units", params: []string{"region", "from", "to"}, handle: s.table("units", Store.APISupervisionUnits, nil)},
		{method: "GET", path: "/api/supervision/cases", roles: caseRoles, params: []string{"region", "from", "to", "latest", "light", "unit"}, handle: s.table("supervision", Store.APISupervisionCases, []string{"light", "unit"})},
		{method: "GET", path: "/api/cases", roles: caseRoles, params: append([]string{"region", "from", "to", "sort", "page", "page_size", "review"}, caseFilters...), handle: s.cases},
		{method: "GET", path: "/api/warnings", params: []string{"region", "from", "to", "category", "state", "color", "kind"}, handle: s.noCaseIDsForLeader(s.table("warnings", Store.APIWarnings, []string{"state", "color", "kind"}))},
		{method: "GET", path: "/api/warnings/deliveries", params: []string{"region", "from", "to", "warning", "status"}, handle: s.deliveries},
		{method: "GET", path: "/api/audit", roles: []string{RoleAdmin}, params: []string{"limit"}, handle: s.auditLog},
		{method: "GET", path: "/api/forecasts", params: append(resultParams, "category", "horizon"), handle: s.forecasts},                 // forecasts.go
		{method: "GET", path: "/api/links", params: []string{"region"}, handle: s.links},                                                  // links.go
		{method: "GET", path: "/api/emerging", params: []string{"region", "from", "to"}, handle: s.emerging},                              // emerging.go
		{method: "GET", path: "/api/forecasts/exceeding", params: []string{"region", "category", "factor"}, handle: s.forecastsExceeding}, // forecasts.go
	}
}

func (s *Server) me(q *request) (*result, error) {
	r := s.scopeRegion(q.p.Scope)
	return &result{columns: []string{"token_id", "name", "role", "role_name", "scope", "region_code", "region_name", "region_level"},
		rows: [][]any{{q.p.TokenID, q.p.Name, q.p.Role, RoleNames[q.p.Role], q.p.Scope, r.Code, r.ShortName, int(r.Level)}}}, nil
}

var regionColumns = []string{"code", "name", "short_name", "level", "level_name", "parent_code", "population", "population_source", "children"}

// regions lists the token's scope region and its children, the children of
// parent, or every unit of a level, read from the regions table within the
// scope.
func (s *Server) regions(q *request) (*result, error) {
	lv, err := q.level("level")
	if err != nil {
		return nil, err
	}
	rq := store.APIRegionQuery{Prefixes: []string{q.p.Scope}, Level: uint8(lv), Limit: s.o.MaxRows}
	if lv != 0 {
		if q.v.Get("parent") != "" {
			return nil, badParam("parent", "不能与 level 同时使用 (give parent or level, not both)")
		}
	} else {
		parent, err := q.region("parent")
		if err != nil {
			return nil, err
		}
		rq.Parents = []string{parent.Code}
		if q.v.Get("parent") == "" {
			rq.Codes = []string{parent.Code}
		}
	}
	t, err := s.st.APIRegions(q.r.Context(), rq)
	if err != nil {
		return nil, err
	}
	if t.Truncated {
		return nil, badParam("level", "结果超过 %d 行 (more than %d rows)", s.o.MaxRows, s.o.MaxRows)
	}
	res := &result{columns: regionColumns}
	for _, row := range t.Rows {
		code := fmt.Sprint(row[0])
		lvl, _ := strconv.Atoi(fmt.Sprint(row[3]))
		res.rows = append(res.rows, []any{code, row[1], row[2], lvl, schemas.Level(lvl).String(), row[4], row[5], row[6], len(s.reg.Children(code))})
	}
	return res, nil
}

func (s *Server) categories(*request) (*result, error) {
	res := &result{columns: []string{"code", "parent_code", "name_zh", "name_en"}}
	for _, c := range schemas.Taxonomy {
		res.rows = append(res.rows, []any{c.Code, c.Parent, c.NameZH, c.NameEN})
	}
	return res, nil
}

// geo is the GeoJSON of the banners for the console's map (boundaries are
// not case data; the scope applies to the figures drawn on it).
func (s *Server) geo(*request) (*result, error) {
	return &result{columns: []string{"geojson"}, rows: [][]any{{"(GeoJSON; JSON form only)"}}, body: rawJSON(schemas.TongliaoCountyGeoJSON())}, nil
}

type rawJSON []byte

func (r rawJSON) MarshalJSON() ([]byte, error) { return r, nil }

// table builds the handler of a result-table endpoint; extra names the
// table-specific parameters passed to the store.
func (s *Server) table(kind string, read func(Store, context.Context, store.APIResultQuery) (store.APITable, error), extra []string) func(*request) (*result, error) {
	return func(q *request) (*result, error) {
		rq, err := q.resultQuery(kind, extra)
		if err != nil {
			return nil, err
		}
		t, err := read(s.st, q.r.Context(), rq)
		if err != nil {
			return nil, err
		}
		return s.fromTable(t), nil
	}
}

// deliveries is the delivery log: error and response only for admin
// tokens, with the robots' URLs redacted (see redactDeliveries).
func (s *Server) deliveries(q *request) (*result, error) {
	res, err := s.table("deliveries", Store.APIWarningDeliveries, []string{"warning", "status"})(q)
	if err != nil {
		return nil, err
	}
	redactDeliveries(res, q.p.Role)
	return res, nil
}

// aggregateWarningKinds are the warning kinds whose subject is a window or
// a category, not a case.
var aggregateWarningKinds = map[string]bool{"risk_band": true, "stat_alarm": true}

// hiddenCaseID replaces a case id in a leader's answer.
const hiddenCaseID = "〔案件编号已隐藏〕"

// leaderTextColumns are the free-text columns of the alarm and warning
// lists from which a leader's answer cuts the row's case id.
var leaderTextColumns = []string{"title", "body", "detail", "summary", "link", "category_text", "reason"}

// minHiddenIDLen is the shortest case id cut from free text: a one-letter
// id would cut digits out of dates and counts.
const minHiddenIDLen = 2

// noCaseIDsForLeader applies the case lists' role rule to the alarm and
// warning lists, which the leader's dashboard needs: a leader token (shut
// out of /api/cases and /api/supervision/cases) gets no case ids. The rule
// is its own, whatever the masking of free text did: the rule alarms'
// case_id is emptied, a warning about a case (any kind but risk_band and
// stat_alarm) gets an empty subject (source:case_id), and the row's case
// id is cut from every free-text column (title, body, detail, link …).
func (s *Server) noCaseIDsForLeader(h func(*request) (*result, error)) func(*request) (*result, error) {
	return func(q *request) (*result, error) {
		res, err := h(q)
		if err != nil || q.p.Role != RoleLeader {
			return res, err
		}
		hideCaseIDs(res)
		return res, nil
	}
}

// hideCaseIDs removes the case ids from every row of res.
func hideCaseIDs(res *result) {
	col := map[string]int{}
	for i, c := range res.columns {
		col[c] = i
	}
	for _, row := range res.rows {
		var ids []string
		if i, ok := col["case_id"]; ok {
			if id, _ := row[i].(string); id != "" {
				ids = append(ids, id)
			}
			row[i] = ""
		}
		if si, ok := col["subject"]; ok {
			if ki, ok := col["kind"]; !ok || !aggregateWarningKinds[fmt.Sprint(row[ki])] {
				subject, _ := row[si].(string)
				row[si] = ""
				_, id, found := strings.Cut(subject, ":")
				if !found {
					id = subject
				}
				if id != "" {
					ids = append(ids, id)
				}
			}
		}
		for _, c := range leaderTextColumns {
			i, ok := col[c]
			if !ok {
				continue
			}
			t, ok := row[i].(string)
			if !ok {
				continue
			}
			for _, id := range ids {
				if len(id) >= minHiddenIDLen {
					t = strings.ReplaceAll(t, id, hiddenCaseID)
				}
			}
			row[i] = t
		}
	}
}

var (
	windowsByKind = map[string][]string{
		"kpi": {"day", "week", "month"}, "hotspots": {"day", "week", "month"}, "risk": {"week", "month"},
		"types": {"day", "week", "month"}, "stat": {"day", "week"}, "forecasts": {"week", "day"},
	}
	extraValues = map[string][]string{
		"band":    {"green", "blue", "yellow", "orange", "red"},
		"horizon": {"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14"},
		"color":   {"blue", "yellow", "orange", "red"},
		"light":   {"green", "yellow", "red"},
		"rule":    {"group_dispute", "large_amount", "extreme_words", "repeat_petition", "superior_assigned"},
		"state":   {"firing", "resolved"},
		"status":  {"delivered", "retry", "failed"},
	}
	// identParam are the free identifiers a parameter may hold.
	identParam = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)
)

func (q *request) resultQuery(kind string, extra []string) (store.APIResultQuery, error) {
	var rq store.APIResultQuery
	if ws, ok := windowsByKind[kind]; ok {
		def := "week"
		w, err := q.oneOf("window", def, ws...)
		if err != nil {
			return rq, err
		}
		rq.Window = w
		lv, err := q.level("level")
		if err != nil {
			return rq, err
		}
		rq.Level = uint8(lv)
	}
	r, err := q.region("region")
	if err != nil {
		return rq, err
	}
	from, to, err := q.dates(92)
	if err != nil {
		return rq, err
	}
	rq.Filter = store.APIFilter{Prefixes: q.prefixes(r), From: from, To: to}
	if q.has("latest") {
		if rq.Latest, err = q.flag("latest"); err != nil {
			return rq, err
		}
	}
	if q.has("category") {
		if rq.Filter.Categories, err = q.categories(); err != nil {
			return rq, err
		}
	}
	rq.Extra = map[string]string{}
	for _, e := range extra {
		var v string
		switch e {
		case "hot", "surging", "alarm":
			b, err := q.flag(e)
			if err != nil {
				return rq, err
			}
			if b {
				v = "1"
			}
		case "unit":
			if v, err = q.raw(e); err != nil {
				return rq, err
			}
		case "kind", "warning":
			if v, err = q.raw(e); err != nil {
				return rq, err
			}
			if v != "" && !identParam.MatchString(v) {
				return rq, badParam(e, "取值无效 (%q is not an identifier: letters, digits, _ . -)", v)
			}
		default:
			if v, err = q.oneOf(e, "", extraValues[e]...); err != nil {
				return rq, err
			}
		}
		rq.Extra[e] = v
	}
	rq.Limit = q.s.o.MaxRows
	return rq, nil
}

func (q *request) has(name string) bool { _, ok := q.v[name]; return ok }

// cases is the case list: masked text only, paginated, sortable by a
// whitelist.
func (s *Server) cases(q *request) (*result, error) {
	r, err := q.region("region")
	if err != nil {
		return nil, err
	}
	from, to, err := q.dates(31)
	if err != nil {
		return nil, err
	}
	f, err := q.caseFilter(r, from, to)
	if err != nil {
		return nil, err
	}
	sorts := make([]string, 0, len(store.APICaseSorts))
	for k := range store.APICaseSorts {
		sorts = append(sorts, k)
	}
	sort.Strings(sorts)
	review, err := q.flag("review")
	if err != nil {
		return nil, err
	}
	defSort, reviewBelow := "-reported_at", 0.0
	if review {
		// The review list: the learned classifier's least sure first.
		defSort, reviewBelow = "category_confidence", s.o.ReviewBelow
	}
	so, err := q.oneOf("sort", defSort, sorts...)
	if err != nil {
		return nil, err
	}
	size, err := q.intIn("page_size", 50, 1, s.o.MaxPageSize)
	if err != nil {
		return nil, err
	}
	page, err := q.intIn("page", 1, 1, 1_000_000)
	if err != nil {
		return nil, err
	}
	if (page-1)*size >= s.o.MaxRows*10 {
		return nil, badParam("page", "翻页过深 (page × page_size beyond %d; narrow the filters)", s.o.MaxRows*10)
	}
	t, total, err := s.st.APICases(q.r.Context(), store.APICaseQuery{Filter: f, Sort: so, Offset: (page - 1) * size, Size: size, ReviewBelow: reviewBelow})
	if err != nil {
		return nil, err
	}
	res := s.fromTable(t)
	res.meta = map[string]any{"total": total, "page": page, "page_size": size, "sort": so}
	if review {
		res.meta["review_below"] = reviewBelow
	}
	return res, nil
}

func (q *request) caseFilter(r schemas.Region, from, to time.Time) (store.APIFilter, error) {
	f := store.APIFilter{Prefixes: q.prefixes(r), From: from, To: to}
	var err error
	if f.Categories, err = q.categories(); err != nil {
		return f, err
	}
	for _, l := range []struct {
		name, field string
		dst         *[]string
	}{{"severity", "severity", &f.Severities}, {"channel", "channel", &f.Channels}, {"status", "status", &f.Statuses}, {"source", "source", &f.Sources}} {
		if *l.dst, err = q.enumList(l.name, l.field); err != nil {
			return f, err
		}
	}
	return f, nil
}

func (s *Server) auditLog(q *request) (*result, error) {
	n, err := q.intIn("limit", 200, 1, s.o.MaxRows)
	if err != nil {
		return nil, err
	}
	es, err := s.st.APIAudit(q.r.Context(), q.p.Scope, n)
	if err != nil {
		return nil, err
	}
	res := &result{columns: []string{"at", "token_id", "token_name", "role", "scope", "method", "path", "query", "status", "rows", "duration_ms", "remote", "requests"}}
	for _, e := range es {
		res.rows = append(res.rows, []any{plain(e.At), e.TokenID, e.TokenName, e.Role, e.Scope, e.Method, e.Path, e.Query, e.Status, e.Rows, e.DurationMS, e.Remote, e.Requests})
	}
	return res, nil
}

// Trend metrics.
var metrics = []string{"cases", "rate", "resolved", "resolve_rate", "satisfaction", "overdue", "risk"}

// MetricNames are the metrics' Chinese names.
var MetricNames = map[string]string{
	"cases": "受理件数", "rate": "每万人受理数", "resolved": "化解件数", "resolve_rate": "化解率",
	"satisfaction": "满意率", "overdue": "超期件数", "risk": "风险指数",
}

// trendPoint is one period of a series.
type trendPoint struct {
	Period string   `json:"period"`
	Value  *float64 `json:"value"`
	Cases  uint64   `json:"cases"`
}

type trendSeries struct {
	Key    string       `json:"key"`
	Name   string       `json:"name"`
	Points []trendPoint `json:"points"`
}

type trendBody struct {
	Metric      string `json:"metric"`
	MetricName  string `json:"metric_name"`
	Granularity string `json:"granularity"`
	Group       string `json:"group"`
	Region      string `json:"region"`
	RegionName  string `json:"region_name"`
	From        string `json:"from"`
	To          string `json:"to"`
	Source      string `json:"source"`
	// AsOf is when api_daily last took in new records (source api_daily).
	AsOf   string        `json:"as_of,omitempty"`
	Series []trendSeries `json:"series"`
}

// trends answers a metric per period, grouped by region (the children of
// region: drill-down), by level (every unit of level below region), by
// category, or as one series.
func (s *Server) trends(q *request) (*result, error) {
	metric, err := q.oneOf("metric", "cases", metrics...)
	if err != nil {
		return nil, err
	}
	group, err := q.oneOf("group", "none", "none", "region", "level", "category")
	if err != nil {
		return nil, err
	}
	gran, err := q.oneOf("granularity", "week", "day", "week", "month")
	if err != nil {
		return nil, err
	}
	r, err := q.region("region")
	if err != nil {
		return nil, err
	}
	from, to, err := q.dates(182)
	if err != nil {
		return nil, err
	}
	lv, err := q.level("level")
	if err != nil {
		return nil, err
	}
	var keyLevel schemas.Level
	switch group {
	case "region":
		if lv != 0 {
			return nil, badParam("level", "仅用于 group=level (only with group=level)")
		}
		keyLevel = r.Level + 1
		if len(s.reg.Children(r.Code)) == 0 {
			return nil, badParam("group", "%s 没有下级区划 (region %s has no lower level to drill into)", r.ShortName, r.Code)
		}
	case "level":
		if lv == 0 {
			return nil, badParam("level", "group=level 需要 level (group=level needs level)")
		}
		if lv <= r.Level {
			return nil, badParam("level", "须低于所选区域的层级 (must be below the region's level %s)", r.Level)
		}
		keyLevel = lv
	default:
		if lv != 0 {
			return nil, badParam("level", "仅用于 group=level (only with group=level)")
		}
	}
	f, err := q.caseFilter(r, from, to)
	if err != nil {
		return nil, err
	}
	body := trendBody{Metric: metric, MetricName: MetricNames[metric], Granularity: gran, Group: group, Region: r.Code,
		RegionName: r.ShortName, From: from.Format(time.DateOnly), To: to.Format(time.DateOnly)}
	if metric == "risk" {
		return s.riskTrend(q, body, r, keyLevel, f)
	}
	groupCol := map[schemas.Level]string{schemas.LevelCounty: "county", schemas.LevelTown: "town", schemas.LevelVillage: "village"}
	sq := store.APITrendQuery{Filter: f, Granularity: gran, AsOf: q.s.now(), Limit: s.o.MaxRows,
		NoResolved: metric != "resolved" && metric != "resolve_rate", Satisfaction: metric == "satisfaction",
		Overdue: metric == "overdue", UseDaily: s.dailyReady.Load(),
		Villages: keyLevel == schemas.LevelVillage || r.Level >= schemas.LevelVillage || s.scopeRegion(q.p.Scope).Level >= schemas.LevelVillage}
	// r lies within the scope (a region beside or above it was refused):
	// every case of the trend lies in r's county and town, when r has them.
	if c, ok := s.reg.AncestorAt(r.Code, schemas.LevelCounty); ok {
		sq.County = c.Code
	}
	if t, ok := s.reg.AncestorAt(r.Code, schemas.LevelTown); ok {
		sq.Town = t.Code
	}
	switch group {
	case "category":
		sq.Group = "category"
	case "region", "level":
		col, ok := groupCol[keyLevel]
		if !ok {
			return nil, badParam("level", "无法按该层级分组 (cannot group by level %s)", keyLevel)
		}
		sq.Group = col
	}
	rows, trunc, source, err := s.st.APITrends(q.r.Context(), sq)
	if err != nil {
		return nil, err
	}
	if trunc {
		return nil, badParam("granularity", "结果超过 %d 行，请缩短时间范围或改用更粗的粒度 (more than %d rows: narrow from/to or use a coarser granularity)", s.o.MaxRows, s.o.MaxRows)
	}
	body.Source = source
	if source == store.APISourceDaily {
		body.AsOf, _ = plain(time.Unix(s.dailyAsOf.Load(), 0)).(string)
	}
	cats := schemas.CategoryByCode()
	res := &result{columns: []string{"key", "name", "period", "value", "cases"}}
	idx := map[string]int{}
	for _, row := range rows {
		i, ok := idx[row.Key]
		if !ok {
			name := ""
			switch group {
			case "category":
				name = cats[row.Key].NameZH
			case "none":
				name = r.ShortName
			default:
				name = s.regionName(row.Key)
				if row.Key == "" {
					name = "未定位到该层级"
				}
			}
			i = len(body.Series)
			idx[row.Key] = i
			body.Series = append(body.Series, trendSeries{Key: row.Key, Name: name})
		}
		v := s.metricValue(metric, row, group, r)
		p := trendPoint{Period: row.Period.Format(time.DateOnly), Value: v, Cases: row.Cases}
		body.Series[i].Points = append(body.Series[i].Points, p)
		res.rows = append(res.rows, []any{row.Key, body.Series[i].Name, p.Period, plainPtr(v), row.Cases})
	}
	if body.Series == nil {
		body.Series = []trendSeries{}
	}
	res.body = body
	return res, nil
}

func plainPtr(v *float64) any {
	if v == nil {
		return nil
	}
	return *v
}

// metricValue computes a metric from a trend row; nil when undefined (a
// rate without population, a share of nothing).
func (s *Server) metricValue(metric string, row store.APITrendRow, group string, r schemas.Region) *float64 {
	ratio := func(a, b uint64) *float64 {
		if b == 0 {
			return nil
		}
		v := math.Round(float64(a)/float64(b)*10000) / 10000
		return &v
	}
	f := func(v uint64) *float64 { x := float64(v); return &x }
	switch metric {
	case "cases":
		return f(row.Cases)
	case "resolved":
		return f(row.Resolved)
	case "overdue":
		return f(row.Overdue)
	case "resolve_rate":
		return ratio(row.Resolved, row.Cases)
	case "satisfaction":
		return ratio(row.Satisfied, row.Evaluated)
	case "rate":
		pop := r.Population
		if group == "region" || group == "level" {
			reg, ok := s.reg.Lookup(row.Key)
			if !ok {
				return nil
			}
			pop = reg.Population
		}
		if pop <= 0 {
			return nil
		}
		v := math.Round(float64(row.Cases)/float64(pop)*10000*1000) / 1000
		return &v
	}
	return nil
}

// riskTrend is the risk index score over time from risk_index (weekly or
// monthly; county and town units).
func (s *Server) riskTrend(q *request, body trendBody, r schemas.Region, keyLevel schemas.Level, f store.APIFilter) (*result, error) {
	if body.Granularity == "day" {
		return nil, badParam("granularity", "风险指数按周或按月计算 (the risk index is weekly or monthly)")
	}
	if body.Group == "category" {
		return nil, badParam("group", "风险指数不按类别分组 (the risk index has no category breakdown)")
	}
	if len(f.Categories)+len(f.Severities)+len(f.Channels)+len(f.Statuses)+len(f.Sources) > 0 {
		return nil, badParam("category", "风险指数不支持案件筛选 (case filters do not apply to the risk index)")
	}
	if keyLevel == 0 {
		keyLevel = r.Level
		if keyLevel < schemas.LevelCounty {
			keyLevel = schemas.LevelCounty // the city has no index of its own: its counties
		}
	}
	if keyLevel != schemas.LevelCounty && keyLevel != schemas.LevelTown {
		return nil, badParam("region", "风险指数只计算到旗县区和苏木乡镇 (the risk index exists for counties and towns only)")
	}
	rq := store.APIResultQuery{Filter: store.APIFilter{Prefixes: f.Prefixes, From: f.From, To: f.To}, Window: body.Granularity,
		Level: uint8(keyLevel), Limit: s.o.MaxRows}
	t, err := s.st.APIRiskIndex(q.r.Context(), rq)
	if err != nil {
		return nil, err
	}
	if t.Truncated {
		return nil, badParam("from", "结果超过 %d 行 (more than %d rows: narrow from/to)", s.o.MaxRows, s.o.MaxRows)
	}
	col := map[string]int{}
	for i, c := range t.Columns {
		col[c] = i
	}
	type pt struct {
		key, period string
		score       *float64
		n           uint64
	}
	var pts []pt
	for _, row := range t.Rows {
		var sc *float64
		if v, ok := row[col["score"]].(*float64); ok && v != nil {
			sc = v
		} else if v, ok := row[col["score"]].(float64); ok && !math.IsNaN(v) {
			sc = &v
		}
		n, _ := strconv.ParseUint(fmt.Sprint(row[col["n_cases"]]), 10, 64)
		pts = append(pts, pt{key: fmt.Sprint(row[col["region_code"]]), period: plain(row[col["window_start"]]).(string), score: sc, n: n})
	}
	sort.Slice(pts, func(i, j int) bool {
		if pts[i].key != pts[j].key {
			return pts[i].key < pts[j].key
		}
		return pts[i].period < pts[j].period
	})
	body.Source = "risk_index"
	res := &result{columns: []string{"key", "name", "period", "value", "cases"}}
	idx := map[string]int{}
	for _, p := range pts {
		i, ok := idx[p.key]
		if !ok {
			i = len(body.Series)
			idx[p.key] = i
			body.Series = append(body.Series, trendSeries{Key: p.key, Name: s.regionName(p.key)})
		}
		body.Series[i].Points = append(body.Series[i].Points, trendPoint{Period: p.period, Value: p.score, Cases: p.n})
		res.rows = append(res.rows, []any{p.key, body.Series[i].Name, p.period, plainPtr(p.score), p.n})
	}
	if body.Series == nil {
		body.Series = []trendSeries{}
	}
	res.body = body
	return res, nil
}
