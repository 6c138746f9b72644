package jobs

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/indices/alarm"
	"github.com/riskwatch/riskwatch/internal/testenv"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

func TestAlarmZeroFill(t *testing.T) {
	ends := windowEnds(schemas.Week, sh(2026, 3, 2), 4)
	if !ends[0].Equal(sh(2026, 2, 9)) || !ends[3].Equal(sh(2026, 3, 2)) {
		t.Fatalf("ends %v", ends)
	}
	got := ZeroFill(ends, []store.AlarmCount{
		{Region: "T1", Category: "land", WindowEnd: sh(2026, 2, 9), Count: 2},
		{Region: "T1", Category: "land", WindowEnd: sh(2026, 3, 2), Count: 5},
		{Region: "K1", Category: "land", WindowEnd: sh(2026, 2, 23), Count: 1},
		{Region: "K1", Category: "land", WindowEnd: sh(2026, 2, 2), Count: 9}, // before the first end: dropped
	})
	want := "K1/land [0 0 1 0]; T1/land [2 0 0 5]; "
	var b strings.Builder
	for _, s := range got {
		fmt.Fprintf(&b, "%s/%s %v; ", s.Region, s.Category, s.Counts)
	}
	if b.String() != want {
		t.Errorf("ZeroFill: %s, want %s", b.String(), want)
	}
}

func TestAlarmChooseDetector(t *testing.T) {
	week := DefaultAlarmConfig(schemas.Week)
	// Counties stay on EARS C1 whatever their history (see DefaultAlarmConfig).
	if county := week.Levels[0]; county.Level != schemas.LevelCounty || county.Long.Method != "" {
		t.Errorf("weekly county default %+v, want EARS only", county)
	}
	if d, ok := chooseDetector(week.Levels[0], 400); !ok || d.Method != alarm.MethodEARSC1 {
		t.Errorf("county with 400 weeks: %q %v, want ears-c1", d.Method, ok)
	}
	lc := week.Levels[1] // towns switch to farringtonFlexible
	for _, c := range []struct {
		n      int
		method string
		b      int
	}{{7, "", 0}, {8, alarm.MethodEARSC1, 0}, {55, alarm.MethodEARSC1, 0}, {56, alarm.MethodFarringtonFlexible, 1},
		{108, alarm.MethodFarringtonFlexible, 2}, {400, alarm.MethodFarringtonFlexible, 5}} {
		d, ok := chooseDetector(lc, c.n)
		if d.Method != c.method || ok != (c.method != "") || (c.b > 0 && d.Params.B != c.b) {
			t.Errorf("n=%d: %q b=%d ok=%v, want %q b=%d", c.n, d.Method, d.Params.B, ok, c.method, c.b)
		}
	}
	if lc := DefaultAlarmConfig(schemas.Day).Levels[1]; lc.Long.Method != "" || lc.Level != schemas.LevelTown {
		t.Errorf("daily default %+v", lc)
	}
}

// TestAlarmJobOnClickHouse: ten quiet weeks (one without any case) then a
// spike give, at the spike week, one row per level with alarm = 1 from EARS
// C1; the week without cases is evaluated as a zero; computing a window
// twice leaves one set of rows.
func TestAlarmJobOnClickHouse(t *testing.T) {
	ch := testenv.ClickHouse(t)
	ctx := context.Background()
	st := migratedStore(t, ch, "alarms")
	reg := smallRegistry(t)
	at := sh(2026, 3, 2) // the spike week is Mon 02-23 … Sun 03-01
	ends := windowEnds(schemas.Week, at, 11)
	weekly := []int{2, 3, 2, 3, 2, 3, 2, 0, 3, 2, 15}
	var rows []schemas.CaseRow
	for w, n := range weekly {
		start := ends[w].AddDate(0, 0, -7)
		for i := 0; i < n; i++ {
			rep := start.AddDate(0, 0, i%7).Add(10 * time.Hour)
			rows = append(rows, schemas.CaseRow{Source: schemas.SourcePlatform, CaseID: fmt.Sprintf("w%d-%d", w, i), Version: 1, Contract: 1,
				ReportedAt: rep, ReportedDate: time.Date(rep.Year(), rep.Month(), rep.Day(), 0, 0, 0, 0, time.UTC),
				RegionCode: "V1", RegionLevel: 5, CityCode: "C", CountyCode: "K1", TownCode: "T1", VillageCode: "V1",
				Category: "land", CategoryGroup: "land", Parties: 1, Status: schemas.StatusAccepted})
		}
	}
	if err := st.InsertCases(ctx, rows); err != nil {
		t.Fatal(err)
	}
	n := 0
	clock := func() time.Time { n++; return at.Add(time.Duration(n) * time.Second) }
	job := AlarmJob(st, reg, schemas.Week, DefaultAlarmConfig(schemas.Week), clock)
	for i := 0; i < 2; i++ {
		if got, err := job(ctx, at); err != nil || got != 2 {
			t.Fatalf("run %d: %d rows, %v", i, got, err)
		}
	}
	got, err := st.StatAlarms(ctx, "week", at, at)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("%d rows after computing the window twice, want 2: %+v", len(got), got)
	}
	for _, r := range got {
		if !r.Alarm || r.Observed != 15 || r.Detector != alarm.MethodEARSC1 || r.Params != "alpha=0.001,baseline=7,minsigma=1" ||
			!(r.UpperBound > 3 && r.UpperBound < 15) || !(r.Expected > 2 && r.Expected < 2.2) {
			t.Errorf("spike row %+v", r)
		}
	}
	if got[0].RegionCode != "K1" || got[0].Level != 3 || got[1].RegionCode != "T1" || got[1].Level != 4 || got[0].Category != "land" {
		t.Errorf("rows %+v", got)
	}
	cnt, _ := ch.Query(ctx, "SELECT count() FROM "+st.Database()+".stat_alarms FINAL")
	if strings.TrimSpace(cnt) != "2" {
		t.Errorf("stat_alarms FINAL has %s rows, want 2", cnt)
	}

	// The week without cases (ends[7]) is a zero, not a missing point: its
	// row exists and its reference mean is that of the 7 weeks before it.
	if _, err := job(ctx, ends[7]); err != nil {
		t.Fatal(err)
	}
	zero, err := st.StatAlarms(ctx, "week", ends[7], ends[7])
	if err != nil || len(zero) != 2 {
		t.Fatalf("zero week: %+v, %v", zero, err)
	}
	if z := zero[1]; z.Observed != 0 || z.Alarm || z.Expected != 17.0/7 {
		t.Errorf("zero week row %+v", z)
	}
	// Before 8 weeks of history EARS C1 has no reference: no row.
	if got, err := job(ctx, ends[6]); err != nil || got != 0 {
		t.Errorf("7 weeks of history: %d rows, %v", got, err)
	}
}

func TestDetectorFromConfig(t *testing.T) {
	d, err := Detector(alarm.MethodEARSC1, 0)
	if err != nil || d.Method != alarm.MethodEARSC1 || d.Params.Alpha != DefaultEARSAlpha || d.Params.MinSigma != DefaultEARSMinSigma {
		t.Errorf("ears-c1 default: %+v %v", d, err)
	}
	d, err = Detector(alarm.MethodFarringtonFlexible, 0.01)
	if err != nil || d.Params.Alpha != 0.01 || d.Params.B != DefaultFarrington().Params.B {
		t.Errorf("farrington with alpha 0.01: %+v %v", d, err)
	}
	if d, err := Detector("", 0.2); err != nil || d.Method != "" {
		t.Errorf("no detector: %+v %v", d, err)
	}
	if _, err := Detector("nonsense", 0); err == nil {
		t.Error("unknown method accepted")
	}
}

// One series whose detector has nothing to standardise with (CUSUM over a
// history of zeros) neither fails the level nor drops the other series:
// both get their row, and the good series' outbreak alarms.
func TestEvaluateAlarmsOneQuietSeriesKeepsTheOthers(t *testing.T) {
	ends := windowEnds(schemas.Week, sh(2026, 3, 2), 12)
	var counts []store.AlarmCount
	good := []uint64{4, 6, 5, 3, 5, 4, 6, 5, 4, 5, 6, 30}
	for i, e := range ends {
		counts = append(counts, store.AlarmCount{Level: 4, Region: "T-good", Category: "land", WindowEnd: e, Count: good[i]})
	}
	// The quiet series has a single case, in the evaluated window.
	counts = append(counts, store.AlarmCount{Level: 4, Region: "T-quiet", Category: "land", WindowEnd: ends[11], Count: 0})
	cusum, err := Detector(alarm.MethodCUSUM, 0)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := EvaluateAlarms(nil, schemas.Week, AlarmLevel{Level: schemas.LevelTown, Short: cusum}, ends, counts)
	if err != nil {
		t.Fatalf("a quiet series failed the level: %v", err)
	}
	got := map[string]store.StatAlarm{}
	for _, r := range rows {
		got[r.RegionCode] = r
	}
	if len(rows) != 2 {
		t.Fatalf("rows %+v, want one per series", rows)
	}
	if r := got["T-good"]; !r.Alarm || r.Observed != 30 {
		t.Errorf("good series: %+v, want an alarm on 30", r)
	}
	if r := got["T-quiet"]; r.Alarm || r.Expected != 0 {
		t.Errorf("quiet series: %+v, want no alarm with expected 0", r)
	}
}

// A detector that cannot fit one series (GLR-NB's negative binomial model
// on a history of zeros) leaves that series a row without expected count
// or bound and evaluates the others.
func TestEvaluateAlarmsAFailingSeriesKeepsTheOthers(t *testing.T) {
	const n = 120
	ends := windowEnds(schemas.Week, sh(2026, 3, 2), n)
	var counts []store.AlarmCount
	for i, e := range ends {
		c := uint64(3 + (i*7)%5) // 3..7, no trend
		counts = append(counts, store.AlarmCount{Level: 4, Region: "T-good", Category: "land", WindowEnd: e, Count: c})
	}
	counts = append(counts, store.AlarmCount{Level: 4, Region: "T-quiet", Category: "land", WindowEnd: ends[0], Count: 0})
	glr, err := Detector(alarm.MethodGLRNB, 0)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := EvaluateAlarms(nil, schemas.Week, AlarmLevel{Level: schemas.LevelTown, Short: glr}, ends, counts)
	if err != nil {
		t.Fatalf("a failing series failed the level: %v", err)
	}
	got := map[string]store.StatAlarm{}
	for _, r := range rows {
		got[r.RegionCode] = r
	}
	if len(rows) != 2 {
		t.Fatalf("rows %+v, want one per series", rows)
	}
	if r := got["T-good"]; math.IsNaN(r.UpperBound) || math.IsNaN(r.Expected) || r.Detector != alarm.MethodGLRNB {
		t.Errorf("good series: %+v, want an expected count and a bound", r)
	}
	if r := got["T-quiet"]; r.Alarm || !math.IsNaN(r.Expected) || !math.IsNaN(r.UpperBound) || r.Observed != 0 {
		t.Errorf("quiet series: %+v, want no alarm and NaN expected and bound", r)
	}
}
