package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/internal/testenv"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

func TestStaffLabelledCasesAndConfidence(t *testing.T) {
	st := openFresh(t)
	ctx := context.Background()
	migs, _ := schemas.Migrations()
	if _, err := st.Migrate(ctx, migs); err != nil {
		t.Fatal(err)
	}
	rows := benchRows(4, 4) // reported 2025-01-01 … 2025-01-04, all "given"
	rows[0].Category, rows[0].CategoryText, rows[0].Summary = "family", "离婚", "夫妻感情不和"
	rows[1].CategoryRule, rows[1].CategoryConfidence = "model:v1", 0.625
	rows[2].CategoryRule = "keyword:噪音"
	rows[3].Category, rows[3].Summary = "labor", "老板不给工钱"
	if err := st.InsertCases(ctx, rows); err != nil {
		t.Fatal(err)
	}
	got, err := st.StaffLabelledCases(ctx, time.Date(2025, 1, 1, 0, 0, 0, 0, schemas.Zone()))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Category != "family" || got[0].CategoryText != "离婚" || got[0].Summary != "夫妻感情不和" ||
		got[1].Category != "labor" || got[1].Summary != "老板不给工钱" {
		t.Errorf("staff-labelled cases %+v, want the family and labor cases", got)
	}
	later, err := st.StaffLabelledCases(ctx, time.Date(2025, 1, 3, 0, 0, 0, 0, schemas.Zone()))
	if err != nil {
		t.Fatal(err)
	}
	if len(later) != 1 || later[0].Category != "labor" {
		t.Errorf("since 2025-01-03: %+v, want the labor case alone", later)
	}
	ch := testenv.ClickHouse(t)
	conf, err := ch.Query(ctx, "SELECT category_rule, category_confidence FROM "+st.Database()+".cases FINAL ORDER BY case_id")
	if err != nil {
		t.Fatal(err)
	}
	if want := "given\t0\nmodel:v1\t0.625\nkeyword:噪音\t0\ngiven\t0\n"; conf != want {
		t.Errorf("stored confidences %q, want %q", conf, want)
	}
}

// TestAPICasesReviewList: the review list holds the cases the model
// classified below the threshold, least sure first, with their rule and
// confidence.
func TestAPICasesReviewList(t *testing.T) {
	st := openFresh(t)
	ctx := context.Background()
	migs, _ := schemas.Migrations()
	if _, err := st.Migrate(ctx, migs); err != nil {
		t.Fatal(err)
	}
	rows := benchRows(5, 1)
	rows[1].CategoryRule, rows[1].CategoryConfidence = "model:v1", 0.625
	rows[2].CategoryRule, rows[2].CategoryConfidence = "model:v1", 0.9
	rows[3].CategoryRule, rows[3].CategoryConfidence = "model:v1", 0.25
	rows[4].CategoryRule = "default"
	if err := st.InsertCases(ctx, rows); err != nil {
		t.Fatal(err)
	}
	day := time.Date(2025, 1, 1, 0, 0, 0, 0, schemas.Zone())
	tab, total, err := st.APICases(ctx, store.APICaseQuery{Filter: store.APIFilter{From: day, To: day},
		Sort: "category_confidence", Size: 10, ReviewBelow: 0.7})
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, c := range tab.Columns {
		col[c] = i
	}
	var got []string
	for _, r := range tab.Rows {
		got = append(got, fmt.Sprintf("%v %v %.3f", r[col["case_id"]], r[col["category_rule"]], r[col["category_confidence"]]))
	}
	want := []string{"PT-150502-3 model:v1 0.250", "PT-150502-1 model:v1 0.625"}
	if total != 2 || !slices.Equal(got, want) {
		t.Errorf("review list (total %d) %q, want %q", total, got, want)
	}
}
