package api

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/riskwatch/riskwatch/schemas"
)

// request is one API request being answered: its parameters and caller.
// Every accessor validates and returns a paramError naming the parameter.
type request struct {
	s *Server
	r *http.Request
	v url.Values
	p Principal
}

// maxParamLen bounds any one parameter value.
const maxParamLen = 512

func (q *request) raw(name string) (string, error) {
	v := q.v.Get(name)
	if len(v) > maxParamLen {
		return "", badParam(name, "过长 (longer than %d bytes)", maxParamLen)
	}
	return strings.TrimSpace(v), nil
}

// oneOf returns the parameter, def when absent, or an error when it is not
// one of allowed.
func (q *request) oneOf(name, def string, allowed ...string) (string, error) {
	v, err := q.raw(name)
	if err != nil {
		return "", err
	}
	if v == "" {
		return def, nil
	}
	if !slices.Contains(allowed, v) {
		return "", badParam(name, "取值无效 (must be one of %s, not %q)", strings.Join(allowed, ", "), v)
	}
	return v, nil
}

// flag is a 0/1 parameter.
func (q *request) flag(name string) (bool, error) {
	v, err := q.oneOf(name, "0", "0", "1", "true", "false")
	return v == "1" || v == "true", err
}

// intIn returns an integer parameter in [lo, hi], def when absent.
func (q *request) intIn(name string, def, lo, hi int) (int, error) {
	v, err := q.raw(name)
	if err != nil || v == "" {
		return def, err
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, badParam(name, "须为 %d 到 %d 之间的整数 (must be an integer from %d to %d, not %q)", lo, hi, lo, hi, v)
	}
	return n, nil
}

// list returns a comma-separated list whose items all pass valid.
func (q *request) list(name string, valid func(string) bool, what string) ([]string, error) {
	v, err := q.raw(name)
	if err != nil || v == "" {
		return nil, err
	}
	var out []string
	for _, it := range strings.Split(v, ",") {
		it = strings.TrimSpace(it)
		if !valid(it) {
			return nil, badParam(name, "取值无效 (%q is not %s)", it, what)
		}
		if !slices.Contains(out, it) {
			out = append(out, it)
		}
	}
	return out, nil
}

// enumList validates a list against the record contract's enum of field.
func (q *request) enumList(name, field string) ([]string, error) {
	e, _ := schemas.EnumFor(field)
	return q.list(name, func(s string) bool { return slices.Contains(e.Values, s) }, "one of "+strings.Join(e.Values, ", "))
}

// categories returns the category filter, a group expanded to its leaves.
func (q *request) categories() ([]string, error) {
	byCode := schemas.CategoryByCode()
	cs, err := q.list("category", func(s string) bool { _, ok := byCode[s]; return ok }, "a category code of /api/categories")
	if err != nil || cs == nil {
		return cs, err
	}
	out := slices.Clone(cs)
	for _, c := range schemas.Taxonomy {
		if c.Parent != "" && slices.Contains(cs, c.Parent) && !slices.Contains(out, c.Code) {
			out = append(out, c.Code)
		}
	}
	return out, nil
}

// scopeRegion is the region a token's scope names (the root for "").
func (s *Server) scopeRegion(scope string) schemas.Region {
	if scope == "" {
		return s.reg.Root()
	}
	if _, r, err := ParseScope(s.reg, scope); err == nil {
		return r
	}
	return s.reg.Root()
}

// inScope reports whether region r lies within the scope prefix.
func inScope(r schemas.Region, scope string) bool {
	return strings.HasPrefix(ScopePrefix(r), scope)
}

// region returns the region parameter (default: the token's scope
// region). A region above or beside the token's scope is refused with 403:
// a roll-up above the scope is not the token's to see.
func (q *request) region(name string) (schemas.Region, error) {
	v, err := q.raw(name)
	if err != nil {
		return schemas.Region{}, err
	}
	if v == "" {
		return q.s.scopeRegion(q.p.Scope), nil
	}
	code, ok := q.s.reg.Normalize(v)
	if !ok {
		return schemas.Region{}, badParam(name, "不是已知的区划代码 (%q is not a region code of the registry)", v)
	}
	r, _ := q.s.reg.Lookup(code)
	if !inScope(r, q.p.Scope) {
		sr := q.s.scopeRegion(q.p.Scope)
		return schemas.Region{}, forbiddenParam(name, "超出令牌的区域范围 %s（%s）(region %s is outside the token's scope)", sr.ShortName, q.p.Scope, code)
	}
	return r, nil
}

// levelNames are the level parameter's values.
var levelNames = map[string]schemas.Level{
	"city": schemas.LevelCity, "county": schemas.LevelCounty, "town": schemas.LevelTown, "village": schemas.LevelVillage,
}

// level returns a level parameter (0 when absent).
func (q *request) level(name string) (schemas.Level, error) {
	v, err := q.oneOf(name, "", "city", "county", "town", "village")
	if err != nil || v == "" {
		return 0, err
	}
	return levelNames[v], nil
}

// today is the current local date.
func (q *request) today() time.Time {
	t := q.s.now().In(schemas.Zone())
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

func (q *request) date(name string, def time.Time) (time.Time, error) {
	v, err := q.raw(name)
	if err != nil || v == "" {
		return def, err
	}
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return time.Time{}, badParam(name, "须为日期 YYYY-MM-DD (must be a date YYYY-MM-DD, not %q)", v)
	}
	if t.Year() < 2000 || t.Year() > 2100 {
		return time.Time{}, badParam(name, "日期超出范围 (year must be 2000–2100)")
	}
	return t, nil
}

// dates returns from and to (inclusive local dates); defaults: to = today,
// from = to − defDays + 1. The range is bounded by MaxRangeDays.
func (q *request) dates(defDays int) (from, to time.Time, err error) {
	if to, err = q.date("to", q.today()); err != nil {
		return
	}
	if from, err = q.date("from", to.AddDate(0, 0, 1-defDays)); err != nil {
		return
	}
	if to.Before(from) {
		return from, to, badParam("to", "早于 from (to is before from)")
	}
	if days := int(to.Sub(from).Hours()/24) + 1; days > q.s.o.MaxRangeDays {
		return from, to, badParam("from", "时间跨度过大 (from–to spans %d days; at most %d)", days, q.s.o.MaxRangeDays)
	}
	return from, to, nil
}

// prefixes are the SQL scope conditions: the token's scope and the region.
func (q *request) prefixes(r schemas.Region) []string {
	rp := ScopePrefix(r)
	if r.Code == q.s.reg.Root().Code {
		rp = "" // the root: every case, those located only to the city too
	}
	return []string{q.p.Scope, rp}
}

// maxEchoedName bounds a parameter name echoed back in an error.
const maxEchoedName = 64

// echoName is a parameter name as an error may repeat it: cut to
// maxEchoedName bytes on a rune boundary, so that a huge or crafted name is
// not reflected whole.
func echoName(k string) string {
	if len(k) <= maxEchoedName {
		return k
	}
	n := maxEchoedName
	for n > 0 && !utf8.RuneStart(k[n]) {
		n--
	}
	return k[:n] + "…"
}

// checkRawQuery refuses a query string that Go's URL parsing would partly
// drop: a pair with a bad percent escape or with a ';' (url.Values silently
// skips such pairs, so a malformed region=… would widen the answer to the
// token's whole scope). The error names the parameter (its raw name when the
// name itself is malformed).
func checkRawQuery(raw string) error {
	for _, pair := range strings.Split(raw, "&") {
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		name, kerr := url.QueryUnescape(k)
		if kerr != nil {
			name = k
		}
		name = echoName(name)
		if strings.Contains(pair, ";") {
			if name, _, _ = strings.Cut(name, ";"); name == "" {
				name = echoName(pair)
			}
			return badParam(name, "查询串含分号，请用 & 分隔 (the query pair %q contains ';'; separate parameters with '&' and encode ';' as %%3B)", echoName(pair))
		}
		if kerr != nil {
			return badParam(name, "参数名编码无效 (malformed percent-encoding in the parameter name)")
		}
		if _, err := url.QueryUnescape(v); err != nil {
			return badParam(name, "参数值编码无效 (malformed percent-encoding in the value of %s)", name)
		}
	}
	return nil
}
