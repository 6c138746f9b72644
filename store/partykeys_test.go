package store_test

import (
	"context"
	"testing"

	"github.com/riskwatch/riskwatch/internal/testenv"
	"github.com/riskwatch/riskwatch/schemas"
)

// TestPartyKeysStored: the party key columns of migration 0023 take the
// row's keys, kinds and labels, and a row without parties stores empty
// arrays.
func TestPartyKeysStored(t *testing.T) {
	st := openFresh(t)
	ctx := context.Background()
	migs, _ := schemas.Migrations()
	if _, err := st.Migrate(ctx, migs); err != nil {
		t.Fatal(err)
	}
	rows := benchRows(2, 2)
	rows[0].PartyKeys = []string{"k1:aa", "k1:bb"}
	rows[0].PartyKeyKinds = []string{schemas.PartyKeyID, schemas.PartyKeyOrg}
	rows[0].PartyLabels = []string{"王*", "萧山城投"}
	if err := st.InsertCases(ctx, rows); err != nil {
		t.Fatal(err)
	}
	ch := testenv.ClickHouse(t)
	got, err := ch.Query(ctx, "SELECT party_keys, party_key_kinds, party_labels FROM "+st.Database()+".cases FINAL ORDER BY case_id")
	if err != nil {
		t.Fatal(err)
	}
	if want := "['k1:aa','k1:bb']\t['id','org']\t['王*','萧山城投']\n[]\t[]\t[]\n"; got != want {
		t.Errorf("stored %q, want %q", got, want)
	}
}
