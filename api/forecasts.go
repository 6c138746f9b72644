package api

import (
	"slices"
	"strconv"
	"strings"

	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

// forecastTotal is the category of a region's forecast of all its cases.
const forecastTotal = "all"

// coversCity says whether the request's region and the token's scope take
// in the whole city, whose forecasts are stored under the region "city".
func (q *request) coversCity(regionCode string) bool {
	root := q.s.reg.Root()
	return regionCode == root.Code && (q.p.Scope == "" || strings.HasPrefix(ScopePrefix(root), q.p.Scope))
}

// forecastCategory takes category out of the parameters when it is the
// total ("all", not a taxonomy code) and returns it; other values are left
// to the usual category parsing.
func (q *request) forecastCategory() bool {
	if q.v.Get("category") == forecastTotal {
		q.v.Del("category")
		return true
	}
	return false
}

// forecasts lists the stored forecasts within the scope: window week
// (default) or day, level, category (a code or all), origin dates from–to,
// latest (newest origin only) and horizon. The city's rows carry the city's
// code.
func (s *Server) forecasts(q *request) (*result, error) {
	total := q.forecastCategory()
	rq, err := q.resultQuery("forecasts", []string{"horizon"})
	if err != nil {
		return nil, err
	}
	r, err := q.region("region")
	if err != nil {
		return nil, err
	}
	if total {
		rq.Filter.Categories = []string{forecastTotal}
	}
	if q.coversCity(r.Code) {
		rq.Extra["with_city"] = "1"
	}
	t, err := s.st.APIForecasts(q.r.Context(), rq)
	if err != nil {
		return nil, err
	}
	s.cityRows(t)
	res := s.fromTable(t)
	totalNames(res)
	return res, nil
}

// cityRows gives the city's rows the city's code.
func (s *Server) cityRows(t store.APITable) {
	for i, c := range t.Columns {
		if c != "region_code" {
			continue
		}
		for _, row := range t.Rows {
			if row[i] == "city" {
				row[i] = s.reg.Root().Code
			}
		}
	}
}

// totalNames names the category "all" 全部类型.
func totalNames(res *result) {
	for i, c := range res.columns {
		if c != "category" || i+1 >= len(res.columns) || res.columns[i+1] != "category_name" {
			continue
		}
		for _, row := range res.rows {
			if row[i] == forecastTotal {
				row[i+1] = "全部类型"
			}
		}
	}
}

// forecastsExceeding lists the units whose forecast for next week (the
// latest weekly origin) has its 80 % lower bound above their threshold, the
// detectors' upper bound of the origin's week, times factor (default 1),
// within the scope and region; category keeps one code.
func (s *Server) forecastsExceeding(q *request) (*result, error) {
	r, err := q.region("region")
	if err != nil {
		return nil, err
	}
	factor, err := q.floatIn("factor", 1, 0.1, 10)
	if err != nil {
		return nil, err
	}
	var cats []string
	if q.has("category") {
		if cats, err = q.categories(); err != nil {
			return nil, err
		}
	}
	rows, err := s.st.APIForecastsExceeding(q.r.Context(), q.prefixes(r), factor, s.o.MaxRows)
	if err != nil {
		return nil, err
	}
	res := &result{columns: []string{"origin", "target_end", "level", "level_name", "region_code", "region_name", "category", "category_name",
		"point", "lower80", "upper80", "lower95", "upper95", "threshold"}}
	byCode := schemas.CategoryByCode()
	for _, f := range rows {
		if len(cats) > 0 && !slices.Contains(cats, f.Category) {
			continue
		}
		res.rows = append(res.rows, []any{f.Origin, f.TargetEnd, f.Level, levelName(f.Level), f.RegionCode, s.regionName(f.RegionCode),
			f.Category, byCode[f.Category].NameZH, f.Point, f.Lower80, f.Upper80, f.Lower95, f.Upper95, f.Threshold})
	}
	return res, nil
}

// floatIn returns a number parameter in [lo, hi], def when absent.
func (q *request) floatIn(name string, def, lo, hi float64) (float64, error) {
	v, err := q.raw(name)
	if err != nil || v == "" {
		return def, err
	}
	x, err := strconv.ParseFloat(v, 64)
	if err != nil || !(x >= lo && x <= hi) {
		return 0, badParam(name, "须为 %g 到 %g 之间的数 (must be a number from %g to %g, not %q)", lo, hi, lo, hi, v)
	}
	return x, nil
}
