package api

import (
	"sort"
	"strings"
	"time"

	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

var emergingColumns = []string{"date", "window_end", "cluster_key", "county_code", "county_name", "town_code", "town_name",
	"village_codes", "villages", "count", "category_codes", "categories", "first_at", "last_at", "representative", "case_ids"}

// emerging lists the emerging issues (新发问题: bursts of similar
// complaints in one town across categories, found by the emerging_day job)
// whose town lies in region (default: the token's scope). Without from and
// to it lists the latest computed window; with them, the windows whose
// last day (date) lies in [from, to], one row per window and cluster, so
// that a burst lasting several days appears on each. The representative
// text is the stored masked summary; a leader gets no case ids (and the
// members' ids are cut from its representative text).
func (s *Server) emerging(q *request) (*result, error) {
	r, err := q.region("region")
	if err != nil {
		return nil, err
	}
	var rows []store.EmergingIssue
	if q.v.Get("from") == "" && q.v.Get("to") == "" {
		rows, err = s.st.WarningEmergingIssues(q.r.Context())
	} else {
		var from, to time.Time
		if from, to, err = q.dates(1); err != nil {
			return nil, err
		}
		// A window ending at local midnight of day D+1 covers day D.
		local := func(d time.Time) time.Time {
			return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, schemas.Zone())
		}
		rows, err = s.st.EmergingIssues(q.r.Context(), local(from), local(to.AddDate(0, 0, 1)))
	}
	if err != nil {
		return nil, err
	}
	prefix := ScopePrefix(r)
	kept := rows[:0]
	for _, e := range rows {
		if strings.HasPrefix(e.TownCode, q.p.Scope) && strings.HasPrefix(e.TownCode, prefix) {
			kept = append(kept, e)
		}
	}
	// Latest window first, then the largest bursts.
	sort.SliceStable(kept, func(i, j int) bool {
		a, b := kept[i], kept[j]
		if !a.WindowEnd.Equal(b.WindowEnd) {
			return a.WindowEnd.After(b.WindowEnd)
		}
		if a.Size != b.Size {
			return a.Size > b.Size
		}
		if a.TownCode != b.TownCode {
			return a.TownCode < b.TownCode
		}
		return a.Key < b.Key
	})
	truncated := false
	if s.o.MaxRows > 0 && len(kept) > s.o.MaxRows {
		kept, truncated = kept[:s.o.MaxRows], true
	}
	name := func(code string) string {
		if reg, ok := s.reg.Lookup(code); ok {
			return reg.Name
		}
		return code
	}
	byCode := schemas.CategoryByCode()
	res := &result{columns: emergingColumns, rows: make([][]any, 0, len(kept)), truncated: truncated}
	for _, e := range kept {
		codes, villages, cats, catNames := []any{}, []any{}, []any{}, []any{}
		for _, v := range e.Villages {
			codes, villages = append(codes, v), append(villages, name(v))
		}
		for _, c := range e.Categories {
			n := c
			if cat, ok := byCode[c]; ok {
				n = cat.NameZH
			}
			cats, catNames = append(cats, c), append(catNames, n)
		}
		ids, rep := []any{}, e.Representative
		for _, id := range e.Members {
			if q.p.Role != RoleLeader {
				ids = append(ids, id)
			} else if len(id) >= minHiddenIDLen {
				rep = strings.ReplaceAll(rep, id, hiddenCaseID)
			}
		}
		day := e.WindowEnd.In(schemas.Zone()).AddDate(0, 0, -1).Format(time.DateOnly)
		res.rows = append(res.rows, []any{day, plain(e.WindowEnd), e.Key, e.CountyCode, name(e.CountyCode), e.TownCode, name(e.TownCode),
			codes, villages, e.Size, cats, catNames, plain(e.FirstAt), plain(e.LastAt), rep, ids})
	}
	return res, nil
}
