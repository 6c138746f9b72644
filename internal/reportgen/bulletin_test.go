package reportgen

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/jobs"
	"github.com/riskwatch/riskwatch/schemas"
)

// bandColors are the band colours of REPORTS_ALERTS.md, as the bulletin
// must print them.
var bandColors = map[string]string{"red": "#E02020", "orange": "#FF7F00", "yellow": "#FFD700", "blue": "#1E6FFF", "normal": "#9BBF85"}

// The monthly ranking bulletin of the demo store: every banner's rank,
// band colour and change in rank are the stored monthly risk_index rows'
// (read here with SQL), the files land under <day>/bulletin/, the index
// lists it as 月度通报, and /reports/ serves it only within a token's
// scope.
func testBulletinFromDemo(t *testing.T, d demoData) {
	ctx := context.Background()
	month := schemas.Month.Align(d.week) // 2026-10-01: September
	prevEnd := schemas.Month.Prev(month) // 2026-09-01: August
	// The demo store has the risk index of September; compute August's,
	// then September's again, as the scheduler would in order (its
	// drivers against the previous month need August).
	// A later clock, so the new rows replace the stored ones.
	clock := d.week.Add(time.Hour)
	for _, j := range jobs.All(d.st, d.reg, func() time.Time { clock = clock.Add(time.Minute); return clock }, jobs.Options{}) {
		if j.Name == "risk_month" {
			for _, end := range []time.Time{prevEnd, month} {
				if _, err := j.Run(ctx, end); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	dir := t.TempDir()
	g, err := New(d.st, d.reg, Options{Dir: dir, Now: func() time.Time { return month.Add(9 * time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	js, err := g.Jobs([]Schedule{{Spec: "30 9 1 * *", Window: schemas.Month, Kind: KindBulletin, Levels: []int{2, 3, 4}, Formats: []string{HTML}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(js) != 1 || js[0].Name != "reports_bulletin" || strings.Join(js[0].After, ",") != "risk_month" || js[0].Window != schemas.Month {
		t.Fatalf("bulletin job %+v", js)
	}
	if _, err := g.Jobs([]Schedule{{Spec: "30 9 * * 1", Window: schemas.Week, Kind: KindBulletin}}); err == nil {
		t.Error("a weekly bulletin schedule was accepted")
	}
	files, err := js[0].Run(ctx, month)
	if err != nil {
		t.Fatal(err)
	}
	// The city and the nine county-level units with towns (the eight
	// banners and the development zone); no town bulletins.
	if files != 10 {
		t.Errorf("the bulletin job wrote %d files, want 10 (city + 9 county-level units, HTML)", files)
	}
	cityPath := filepath.Join(dir, "2026-09-30", "bulletin", "150500000000.html")
	html, err := os.ReadFile(cityPath)
	if err != nil {
		t.Fatal(err)
	}
	if a := os.Getenv("RISKWATCH_ARTIFACTS"); a != "" {
		if err := os.WriteFile(filepath.Join(a, "bulletin_demo_city_2026-09.html"), html, 0o644); err != nil {
			t.Error(err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "2026-09-30", "bulletin", "150521001000.html")); err == nil {
		t.Error("a town got a bulletin")
	}

	q := func(end time.Time) map[string]string {
		return d.sqlMap(t, fmt.Sprintf(`SELECT region_code, concat(toString(rank), '|', band, '|', toString(n_cases)) FROM DB.risk_index FINAL
WHERE window = 'month' AND window_end = toDateTime('%s', 'Asia/Shanghai') AND level = 3 AND parent_code = '150500000000' FORMAT TabSeparated`,
			end.In(schemas.Zone()).Format(time.DateTime)))
	}
	cur, prev := q(month), q(prevEnd)
	if len(cur) < 8 || len(prev) < 8 {
		t.Fatalf("stored monthly rows: %d this month, %d the month before", len(cur), len(prev))
	}
	moved := 0
	for code, v := range cur {
		p := strings.Split(v, "|")
		rank, _ := strconv.Atoi(p[0])
		band, cases := p[1], p[2]
		r, _ := d.reg.Lookup(code)
		wantRank, wantPrev, wantChange := strconv.Itoa(rank), "—", "新列入"
		if rank == 0 {
			wantRank, wantChange = "—", "—"
		}
		color, ok := bandColors[band]
		if !ok {
			color = "#C8C8C8"
		}
		if pv, ok := prev[code]; ok {
			pr, _ := strconv.Atoi(strings.Split(pv, "|")[0])
			if pr > 0 {
				wantPrev = strconv.Itoa(pr)
				if rank > 0 {
					switch mv := pr - rank; {
					case mv > 0:
						wantChange, moved = fmt.Sprintf("上升%d位", mv), moved+1
					case mv < 0:
						wantChange, moved = fmt.Sprintf("下降%d位", -mv), moved+1
					default:
						wantChange = "持平"
					}
				}
			}
		}
		row := regexp.MustCompile(`<tr data-code="` + code + `"><td class="num">([^<]*)</td><td>([^<]*)</td><td class="num">[^<]*</td><td class="band" data-band="([a-z]*)"><i class="chip" style="background:(#[0-9A-F]{6})"></i>[^<]*</td><td class="num">([^<]*)</td><td class="move">([^<]*)</td><td class="num">([0-9]*)</td>`).FindSubmatch(html)
		if row == nil {
			t.Errorf("no ranking row for %s %s in the city bulletin", code, r.Name)
			continue
		}
		got := fmt.Sprintf("%s|%s|%s|%s|%s|%s", row[1], row[2], row[4], row[5], row[6], row[7])
		if want := fmt.Sprintf("%s|%s|%s|%s|%s|%s", wantRank, r.Name, color, wantPrev, wantChange, cases); got != want {
			t.Errorf("%s: printed rank|name|colour|last month|change|cases %s, stored %s", code, got, want)
		}
	}
	if moved == 0 {
		t.Log("no banner changed rank between August and September in the demo")
	}
	for _, s := range []string{"通辽市平安指数月度通报", "（2026年9月）", "三、排名变动分析", "各苏木乡镇（街道）风险指数排名"} {
		if !strings.Contains(string(html), s) {
			t.Errorf("the city bulletin lacks %q", s)
		}
	}

	// Served with the scope rules of the reports.
	mux := http.NewServeMux()
	mux.Handle("GET /reports/", g.ScopedHandler("/reports/", func(*http.Request) (string, bool) { return "150521", true }))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	get := func(p string) (int, string) {
		resp, err := http.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if s, _ := get("/reports/2026-09-30/bulletin/150500000000.html"); s != http.StatusForbidden {
		t.Errorf("a 150521 token got the city bulletin: %d, want 403", s)
	}
	if s, body := get("/reports/2026-09-30/bulletin/150521000000.html"); s != http.StatusOK || !strings.Contains(body, "平安指数月度通报") {
		t.Errorf("a 150521 token's own bulletin: %d", s)
	}
	s, index := get("/reports/")
	if s != http.StatusOK || !strings.Contains(index, "月度通报") || !strings.Contains(index, "2026-09-30/bulletin/150521000000.html") ||
		strings.Contains(index, "bulletin/150500000000") {
		t.Errorf("index for a 150521 token (%d) does not list exactly its bulletin:\n%s", s, index)
	}
}
