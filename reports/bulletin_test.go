package reports

import (
	"bytes"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"
)

// bulletinFixture is a small hand-made month: a city with four counties
// (one without an index) and two towns under the first, and the month
// before. The expectations of the tests are derived by hand from it.
func bulletinFixture() BulletinInput {
	const city, k1, k2, k3, k4 = "159900000000", "159901000000", "159902000000", "159903000000", "159904000000"
	const t1, t2 = "159901001000", "159901002000"
	regions := map[string]Region{
		city: {Code: city, Name: "示范市", ShortName: "示范市", Level: 2},
		k1:   {Code: k1, Name: "甲旗", Level: 3, Parent: city},
		k2:   {Code: k2, Name: "乙县", Level: 3, Parent: city},
		k3:   {Code: k3, Name: "丙区", Level: 3, Parent: city},
		k4:   {Code: k4, Name: "丁县", Level: 3, Parent: city},
		t1:   {Code: t1, Name: "一号镇", Level: 4, Parent: k1},
		t2:   {Code: t2, Name: "二号苏木", Level: 4, Parent: k1},
	}
	dims := []string{"A_pressure", "B_vulnerability", "C_lack_of_capacity"}
	start := time.Date(2026, 5, 1, 0, 0, 0, 0, Shanghai)
	return BulletinInput{
		Region: regions[city], Regions: regions, Start: start, End: start.AddDate(0, 1, 0),
		GeneratedAt: time.Date(2026, 6, 1, 9, 0, 0, 0, Shanghai), Issuer: "示范市委政法委　示范市综治中心",
		Rows: []Risk{
			{Region: city, Score: 4.0, Band: "yellow", Rank: 1},
			{Region: k1, Score: 6.8, Band: "red", Rank: 1, NCases: 80, DimensionNames: dims, DimensionScores: []float64{7.2, 6.1, 5.0},
				DriversPrev: []Driver{{Code: "C1", Attribution: 0.3, Value: 0.2, Ref: 0.08}}},
			{Region: k2, Score: 3.6, Band: "yellow", Rank: 2, NCases: 40, DimensionNames: dims, DimensionScores: []float64{3.0, 4.0, 3.5},
				DriversSiblings: []Driver{{Code: "A4", Attribution: 0.2, Value: 0.09, Ref: 0.03}}},
			{Region: k3, Score: 2.1, Band: "blue", Rank: 3, NCases: 30, DimensionNames: dims, DimensionScores: []float64{2.0, 2.5, math.NaN()}},
			{Region: k4, Score: math.NaN(), Band: "na", Rank: 0, NCases: 2},
			{Region: t1, Score: 5.5, Band: "orange", Rank: 2, NCases: 30},
			{Region: t2, Score: 6.6, Band: "red", Rank: 1, NCases: 50},
		},
		Prev: []Risk{
			{Region: k1, Score: 3.0, Band: "blue", Rank: 3},
			{Region: k2, Score: 5.2, Band: "orange", Rank: 1},
			{Region: k3, Score: 4.0, Band: "yellow", Rank: 2},
			{Region: t1, Score: 4.1, Band: "yellow", Rank: 1},
		},
	}
}

// The ranks, the changes in rank and the band colours of every ranking,
// the top movers, and the words, against values worked out by hand.
func TestBulletinRanks(t *testing.T) {
	m, err := BuildBulletin(bulletinFixture())
	if err != nil {
		t.Fatal(err)
	}
	type row struct{ Rank, Name, Score, Color, PrevRank, Change string }
	want := []struct {
		title string
		rows  []row
	}{
		{"各旗县市区风险指数排名", []row{
			{"1", "甲旗", "6.8", "#E02020", "3", "上升2位"},
			{"2", "乙县", "3.6", "#FFD700", "1", "下降1位"},
			{"3", "丙区", "2.1", "#1E6FFF", "2", "下降1位"},
			{"—", "丁县", "—", "#C8C8C8", "—", "—"},
		}},
		{"甲旗各苏木乡镇（街道）风险指数排名", []row{
			{"1", "二号苏木", "6.6", "#E02020", "—", "新列入"},
			{"2", "一号镇", "5.5", "#FF7F00", "1", "下降1位"},
		}},
	}
	if len(m.Tables) != len(want) {
		t.Fatalf("%d rankings, want %d: %+v", len(m.Tables), len(want), m.Tables)
	}
	for i, w := range want {
		tb := m.Tables[i]
		if tb.Title != w.title {
			t.Errorf("ranking %d is %q, want %q", i, tb.Title, w.title)
		}
		if len(tb.Rows) != len(w.rows) {
			t.Fatalf("ranking %q has %d rows, want %d", tb.Title, len(tb.Rows), len(w.rows))
		}
		for j, wr := range w.rows {
			r := tb.Rows[j]
			if got := (row{r.Rank, r.Name, r.Score, r.Color, r.PrevRank, r.Change}); got != wr {
				t.Errorf("%s row %d: %+v, want %+v", tb.Title, j+1, got, wr)
			}
		}
	}
	// Movers: 甲旗 moved 2 places; 乙县 and 丙区 one each, 丙区 first for
	// its larger change of the index (1.9 against 1.6).
	var movers []string
	for _, mv := range m.Mover {
		movers = append(movers, mv.Name)
	}
	if strings.Join(movers, ",") != "甲旗,丙区,乙县" {
		t.Errorf("top movers %v, want 甲旗, 丙区, 乙县", movers)
	}
	if len(m.Movers) != 3 || m.Movers[0] != "甲旗：风险指数由上月3.0升至6.8（红色预警），排名上升2位（第3位→第1位）。主要变化：超期办理率上升12.0个百分点（20.0%，上期8.0%）。" {
		t.Errorf("first mover paragraph %q", m.Movers)
	}
	if m.Movers[1] != "丙区：风险指数由上月4.0降至2.1（蓝色预警），排名下降1位（第2位→第3位）。未记录主要驱动因素。" {
		t.Errorf("second mover paragraph %q", m.Movers[1])
	}
	// Without drivers against the previous month, those against the
	// siblings.
	if m.Movers[2] != "乙县：风险指数由上月5.2降至3.6（黄色预警），排名下降1位（第1位→第2位）。未记录与上月相比的驱动因素；与同级相比，群体性纠纷占比高于同级6.0个百分点（9.0%，同级3.0%）。" {
		t.Errorf("third mover paragraph %q", m.Movers[2])
	}
	wantSummary := "2026年5月，全市3个旗县市区参与社会矛盾风险指数排名，其中红色1个、黄色1个、蓝色1个。风险指数最高的是甲旗（6.8，红色预警）。" +
		"排名上升最多的是甲旗（由第3位升至第1位），排名下降最多的是乙县（由第1位降至第2位）。"
	if len(m.Summary) == 0 || m.Summary[0] != wantSummary {
		t.Errorf("summary %q\nwant     %q", m.Summary, wantSummary)
	}
	if m.Title != "示范市平安指数月度通报" || m.IssueNo != "2026年第5期" || m.Period != "2026年5月" {
		t.Errorf("title %q, issue %q, period %q", m.Title, m.IssueNo, m.Period)
	}
	// The radar shows the three movers' dimensions (NaN drawn as 0).
	if m.Radar == nil || !bytes.Contains(m.Radar.Option, []byte(`[7.2,6.1,5]`)) || !bytes.Contains(m.Radar.Option, []byte(`[2,2.5,0]`)) {
		t.Errorf("radar option lacks the movers' dimensions: %s", m.Radar.Option)
	}
	if len(m.Charts) != 2 {
		t.Errorf("%d charts, want the ranking and the radar", len(m.Charts))
	}

	html, err := RenderBulletinHTML(m)
	if err != nil {
		t.Fatal(err)
	}
	// The table's first row as printed.
	if !regexp.MustCompile(`<tr data-code="159901000000"><td class="num">1</td><td>甲旗</td><td class="num">6.8</td><td class="band" data-band="red"><i class="chip" style="background:#E02020"></i>红色</td><td class="num">3</td><td class="move">上升2位</td>`).Match(html) {
		t.Errorf("the HTML lacks 甲旗's ranking row")
	}
	for _, s := range []string{"（一）各旗县市区风险指数排名", "（二）甲旗各苏木乡镇（街道）风险指数排名", "三、排名变动分析"} {
		if !bytes.Contains(html, []byte(s)) {
			t.Errorf("the HTML lacks %q", s)
		}
	}
}

// A county's bulletin ranks its towns and says where the county stands
// among the counties.
func TestBulletinOfACounty(t *testing.T) {
	in := bulletinFixture()
	in.Region = in.Regions["159901000000"]
	in.Rows[1].Rank = 1
	m, err := BuildBulletin(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Tables) != 1 || len(m.Tables[0].Rows) != 2 || m.Tables[0].Rows[0].Name != "二号苏木" {
		t.Fatalf("county rankings %+v", m.Tables)
	}
	if m.Title != "甲旗平安指数月度通报" {
		t.Errorf("title %q", m.Title)
	}
	if len(m.Summary) != 2 || m.Summary[1] != "甲旗风险指数6.8（红色预警），在全市旗县市区中排第1位，上月第3位。" {
		t.Errorf("summary %q", m.Summary)
	}
	// 一号镇 fell one place; 二号苏木 has no previous rank, so is no mover.
	if len(m.Mover) != 1 || m.Mover[0].Name != "一号镇" || m.Mover[0].Move != -1 {
		t.Errorf("movers %+v", m.Mover)
	}
}
