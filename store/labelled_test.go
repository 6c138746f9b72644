package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/internal/testenv"
	"github.com/riskwatch/riskwatch/schemas"
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
