package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/internal/testenv"
	"github.com/riskwatch/riskwatch/schemas"
)

// TestClusterRollupsLeft: on the cluster (cases a Distributed table, the
// rollups replicated to every node), the store finds the rollups' oldest
// computation and the report days they miss.
func TestClusterRollupsLeft(t *testing.T) {
	c := testenv.NewCluster(t)
	ctx := context.Background()
	migs, err := schemas.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	st := openCluster(t, c.Nodes[0][0], testenv.FreshDatabase(t, "cl"))
	if _, err := st.Migrate(ctx, migs); err != nil {
		t.Fatal(err)
	}
	const kzz, kzzTown = "150521000000", "150521100000"
	if err := st.InsertCases(ctx, []schemas.CaseRow{
		apiCase("a", kzz, kzzTown, 2, "labor", schemas.StatusResolved, schemas.SeveritySimple),
		apiCase("b", kzz, kzzTown, 3, "labor", schemas.StatusAccepted, schemas.SeveritySimple),
	}); err != nil {
		t.Fatal(err)
	}
	mar2 := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	stamp := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	if err := st.APIRefreshDaily(ctx, []time.Time{mar2}, stamp); err != nil {
		t.Fatal(err)
	}
	left, err := st.APIRollupsLeft(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !left.Oldest.Equal(stamp) || !left.Newest.Equal(stamp) || fmt.Sprint(left.Missing) != fmt.Sprint([]time.Time{mar2.AddDate(0, 0, 1)}) {
		t.Errorf("rollups left %+v, want computed at %v and 2026-03-03 missing", left, stamp)
	}
}
