package store_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/riskwatch/riskwatch/internal/testenv"
	"github.com/riskwatch/riskwatch/schemas"
)

// TestWindowCaseReads: the emerging-issue and linked-case jobs read the
// cases reported in [from, to) in their latest version, the edges exact
// (a case at from counts, one at to does not), and the server reads no
// row of a report year outside the range (the report-date PREWHERE prunes
// the cases table's year partitions, which a condition on reported_at
// alone does not).
func TestWindowCaseReads(t *testing.T) {
	st := openFresh(t)
	ctx := context.Background()
	migs, _ := schemas.Migrations()
	if _, err := st.Migrate(ctx, migs); err != nil {
		t.Fatal(err)
	}
	z := schemas.Zone()
	from := time.Date(2025, 3, 10, 0, 0, 0, 0, z)
	to := from.AddDate(0, 0, 7)
	tmpl := benchRows(1, 1)[0]
	row := func(id string, at time.Time, version uint32) schemas.CaseRow {
		r := tmpl
		r.CaseID, r.Version, r.ReportedAt = id, version, at
		r.ReportedDate = time.Date(at.In(z).Year(), at.In(z).Month(), at.In(z).Day(), 0, 0, 0, 0, time.UTC)
		r.IngestedAt = at
		r.Offset = int64(version)
		r.PartyKeys, r.PartyKeyKinds, r.PartyLabels = []string{"k1:" + id}, []string{schemas.PartyKeyID}, []string{"王*"}
		return r
	}
	changed := row("PT-150502-F", from.Add(36*time.Hour), 2)
	changed.Category, changed.CategoryGroup = "labor.wage_arrears", "labor"
	untowned := row("PT-150502-G", from.Add(48*time.Hour), 2)
	untowned.TownCode, untowned.VillageCode = "", ""
	rows := []schemas.CaseRow{
		row("PT-150502-A", from.Add(-time.Second), 1),
		row("PT-150502-B", from, 1),
		row("PT-150502-C", to.Add(-time.Second), 1),
		row("PT-150502-D", to, 1),
		row("PT-150502-F", from.Add(36*time.Hour), 1), changed,
		row("PT-150502-G", from.Add(48*time.Hour), 1), untowned,
	}
	// A year of other cases: none of its rows is read.
	const far = 5000
	for i := range far {
		rows = append(rows, row(fmt.Sprintf("PT-150502-X%d", i), time.Date(2024, 6, 1, 9, 0, 0, 0, z).Add(time.Duration(i)*time.Minute), 1))
	}
	if err := st.InsertCases(ctx, rows); err != nil {
		t.Fatal(err)
	}

	logged := func(name string) context.Context {
		return clickhouse.Context(ctx, clickhouse.WithQueryID(fmt.Sprintf("%s-%s-%d", t.Name(), name, time.Now().UnixNano())),
			clickhouse.WithSettings(clickhouse.Settings{"log_queries": 1}))
	}
	em, err := st.EmergingCases(logged("emerging"), from, to)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range em {
		got = append(got, c.CaseID+" "+c.Category)
	}
	slices.Sort(got)
	if want := []string{"PT-150502-B neighbor.noise", "PT-150502-C neighbor.noise", "PT-150502-F labor.wage_arrears"}; !slices.Equal(got, want) {
		t.Errorf("emerging cases %q, want %q", got, want)
	}
	pk, err := st.PartyKeyCases(logged("links"), from, to)
	if err != nil {
		t.Fatal(err)
	}
	got = got[:0]
	for _, c := range pk {
		got = append(got, c.CaseID+" "+c.TownCode)
	}
	slices.Sort(got)
	if want := []string{"PT-150502-B 150502001000", "PT-150502-C 150502001000", "PT-150502-F 150502001000", "PT-150502-G "}; !slices.Equal(got, want) {
		t.Errorf("party key cases %q, want %q", got, want)
	}

	ch := testenv.ClickHouse(t)
	for _, name := range []string{"emerging", "links"} {
		var read string
		for try := 0; try < 20 && read == ""; try++ {
			time.Sleep(200 * time.Millisecond)
			if _, err := ch.Query(ctx, "SYSTEM FLUSH LOGS"); err != nil {
				t.Fatal(err)
			}
			read, err = ch.Query(ctx, "SELECT read_rows FROM system.query_log WHERE type = 2 AND query_id LIKE '"+
				t.Name()+"-"+name+"-%' ORDER BY event_time DESC LIMIT 1")
			if err != nil {
				t.Fatal(err)
			}
			read = strings.TrimSpace(read)
		}
		var n int
		if _, err := fmt.Sscan(read, &n); err != nil {
			t.Fatalf("%s: read_rows %q: %v", name, read, err)
		}
		if n >= far {
			t.Errorf("%s read %d rows; the %d cases of 2024 lie outside the range and should not be read", name, n, far)
		}
	}
}
