package store_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/internal/testenv"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

// benchRows returns n realistic rows spread over days days.
func benchRows(n, days int) []schemas.CaseRow {
	rows := make([]schemas.CaseRow, n)
	base := time.Date(2025, 1, 1, 1, 0, 0, 0, time.UTC)
	due := base.Add(30 * 24 * time.Hour)
	for i := range rows {
		at := base.Add(time.Duration(i%days) * 24 * time.Hour)
		rows[i] = schemas.CaseRow{
			Source: schemas.SourcePlatform, CaseID: "PT-150502-" + strconv.Itoa(i), Version: 1, Contract: 1, Channel: schemas.ChannelVisit,
			ReportedAt: at, ReportedDate: at.Truncate(24 * time.Hour),
			RegionCode: "150502001001", RegionLevel: 5, CityCode: "150500000000", CountyCode: "150502000000",
			TownCode: "150502001000", VillageCode: fmt.Sprintf("150502001%03d", i%200), Category: "neighbor.noise", CategoryGroup: "neighbor",
			CategoryRule: "given", Summary: strings.Repeat("邻居装修噪音扰民，多次协商未果。", 4), Severity: schemas.SeverityGeneral,
			Parties: 2, AmountCNY: 1500, Status: schemas.StatusHandling, AssignedUnit: "科尔沁街道综治中心", DueAt: &due,
			IngestedAt: at, Topic: "disputes", Partition: int32(i % 4), Offset: int64(i),
		}
	}
	return rows
}

// BenchmarkInsertCases inserts 100,000 rows (one batch) per op into
// case_events and cases, and reports the ClickHouse server's CPU per row.
func BenchmarkInsertCases(b *testing.B) {
	ch := testenv.ClickHouse(b)
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{Addrs: []string{ch.Addr}, Database: testenv.FreshDatabase(b, "bench"), Username: "default",
		DialTimeout: 5 * time.Second, ReadTimeout: time.Minute, MaxOpenConns: 2, Compression: true})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	defer st.DropDatabase(ctx)
	migs, _ := schemas.Migrations()
	if _, err := st.Migrate(ctx, migs); err != nil {
		b.Fatal(err)
	}
	if q := os.Getenv("BENCH_SQL"); q != "" {
		for _, stmt := range strings.Split(q, ";") {
			if _, err := ch.Query(ctx, strings.ReplaceAll(stmt, "DB.", st.Database()+".")); err != nil {
				b.Fatal(err)
			}
		}
	}
	days := 30
	if d := os.Getenv("BENCH_DAYS"); d != "" {
		days, _ = strconv.Atoi(d)
	}
	rows := benchRows(100_000, days)
	cpu0 := serverCPU(ch.PID())
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := st.InsertCases(ctx, rows); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N*len(rows))/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(serverCPU(ch.PID())-cpu0)/float64(b.N*len(rows)), "server-ns/row")
}

func serverCPU(pid int) time.Duration {
	bs, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(bs)
	s = s[strings.LastIndexByte(s, ')')+2:]
	f := strings.Fields(s)
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	stt, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+stt) * 10 * time.Millisecond
}
