package api

var linkKindNames = map[string]string{"id": "身份证号", "phone": "联系电话", "name": "姓名+村社区", "org": "单位名称"}

var linkReasonNames = map[string]string{"repeat_party": "90天内≥3件", "cross_town": "跨乡镇", "org_villages": "单位涉及多个村社区"}

var linkColumns = []string{"window_end", "link_key", "label", "kinds", "kind_names", "reasons", "reason_names",
	"case_count", "town_count", "village_count", "region_code", "region_name", "towns", "villages", "first_reported", "last_reported", "case_ids"}

// links lists the linked cases of the latest links_day computation whose
// cases all lie in region (default: the token's scope): a party found by
// its pseudonymous key in ≥ 3 cases within 90 days, in ≥ 2 towns, or an
// organisation in ≥ 2 villages. Labels are masked (surname and *, or the
// organisation's normalised name); a leader gets no case ids.
func (s *Server) links(q *request) (*result, error) {
	r, err := q.region("region")
	if err != nil {
		return nil, err
	}
	root := s.reg.Root()
	ls, truncated, err := s.st.APILinks(q.r.Context(), ScopePrefix(r), root.Code, s.o.MaxRows)
	if err != nil {
		return nil, err
	}
	names := func(codes []string) []any {
		out := make([]any, 0, len(codes))
		for _, c := range codes {
			n := c
			if reg, ok := s.reg.Lookup(c); ok {
				n = reg.Name
			}
			out = append(out, n)
		}
		return out
	}
	mapped := func(vs []string, m map[string]string) []any {
		out := make([]any, 0, len(vs))
		for _, v := range vs {
			if n, ok := m[v]; ok {
				v = n
			}
			out = append(out, v)
		}
		return out
	}
	strs := func(vs []string) []any {
		out := make([]any, 0, len(vs))
		for _, v := range vs {
			out = append(out, v)
		}
		return out
	}
	res := &result{columns: linkColumns, rows: make([][]any, 0, len(ls)), truncated: truncated}
	for _, l := range ls {
		scope := l.ScopeCode
		if scope == "" {
			scope = root.Code
		}
		var scopeName string
		if reg, ok := s.reg.Lookup(scope); ok {
			scopeName = reg.Name
		}
		ids := strs(l.CaseIDs)
		if q.p.Role == RoleLeader {
			ids = []any{}
		}
		res.rows = append(res.rows, []any{plain(l.WindowEnd), l.Key, l.Label, strs(l.Kinds), mapped(l.Kinds, linkKindNames),
			strs(l.Reasons), mapped(l.Reasons, linkReasonNames), l.CaseCount, l.TownCount, l.VillageCount, scope, scopeName,
			names(l.Towns), names(l.Villages), plain(l.FirstReported), plain(l.LastReported), ids})
	}
	return res, nil
}
