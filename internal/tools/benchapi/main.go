// Command benchapi measures the analyst API and console at scale (make
// bench-api): it loads N generated records (default 10M, ~2.4M cases) into
// a throwaway ClickHouse through the real transform and store (as
// bench-indices does), copies the cases server-side to --multiply times as
// many (default 4: ~9.5M cases), runs the weekly risk index job for the
// last week, builds api_cube and api_daily, starts the API on a loopback port, and
// prints
//
//   - the latency of many varied /api/trends requests (metric, region,
//     grouping, granularity, range, category and the case filters vary at
//     random with a fixed seed): p50, p95, p99 and max per table that answered
//     (api_daily; api_cube for two filters, overdue and a case filter on
//     village series);
//   - the console dashboard's first render in headless Chromium: from
//     navigation start until every panel is drawn (window.rwFirstRender), cold
//     (first load) and warm.
//
// Targets: trends p95 ≤ 300 ms and p99 ≤ 1 s from every table, first
// render ≤ 1 s.
package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/riskwatch/riskwatch/api"
	"github.com/riskwatch/riskwatch/internal/browser"
	"github.com/riskwatch/riskwatch/internal/tools/toolenv"
	"github.com/riskwatch/riskwatch/jobs"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/sources/demo"
	"github.com/riskwatch/riskwatch/store"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench-api:", err)
		os.Exit(1)
	}
}

func run() error {
	records := flag.Int("records", 10_000_000, "generated records to load")
	requests := flag.Int("requests", 300, "trend requests of each kind (rollup-only filters; cases-only filters)")
	renders := flag.Int("renders", 5, "console dashboard loads in headless Chromium (0 = skip)")
	fairness := flag.Bool("fairness", false, "instead of the trends and render figures: another token's p95 idle and while one token floods with heavy requests (make bench-api-fairness)")
	flooders := flag.Int("flooders", 50, "fairness: parallel heavy requests of the flooding token")
	multiply := flag.Int("multiply", 4, "copy the loaded cases this many times in all, server-side with new case ids: 10M records are ~2.4M cases, ×4 ~9.5M (1 = no copies)")
	varySource := flag.Bool("vary-source", false, "give each copy another source (rotated), so that copies do not fold into the same api_cube rows as their original: api_cube is then about one row per case, as with real cases")
	distinct := flag.Bool("distinct", false, "move copy i back by i weeks (every time column), so that each copy is another case on another day: no rollup folds a copy into its original's rows, and a day holds as many cases as --multiply times the generated ones (a city with that many distinct cases)")
	keep := flag.Duration("keep", 0, "after the figures, keep the ClickHouse server (and its database bench) up this long, or until interrupted, for queries by hand (clickhouse-client --port …)")
	slowest := flag.Int("slowest", 3, "print this many slowest requests of each kind")
	flag.Parse()
	ctx := context.Background()
	env, err := toolenv.Start(ctx, toolenv.Options{Database: "bench", MaxOpenConns: 8, ReadTimeout: 30 * time.Minute})
	if err != nil {
		return err
	}
	defer env.Close()
	ch, st := env.CH, env.Store
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	reg := env.Registry
	t0 := time.Now()
	loaded, err := load(ctx, st, reg, *records)
	if err != nil {
		return err
	}
	_, _ = ch.Query(ctx, "OPTIMIZE TABLE bench.cases FINAL")
	for i := 1; i < *multiply; i++ {
		// Through the materialized views, like any insert: the rollup grows too.
		cols := caseColumns
		if *distinct {
			cols = shiftWeeks(cols, i)
		}
		cols = strings.Replace(cols, "case_id", fmt.Sprintf("concat(case_id, '~%d')", i), 1)
		if *varySource {
			cols = strings.Replace(cols, "source", fmt.Sprintf("arrayElement(['platform', 'fengqiao_board', 'hotline', 'grid', 'import'], (toUInt8(CAST(source AS Int8)) + %d) %% 5 + 1)", i), 1)
		}
		if _, err := ch.Query(ctx, fmt.Sprintf("INSERT INTO bench.cases (%s) SELECT %s FROM bench.cases WHERE position(case_id, '~') = 0",
			caseColumns, cols)); err != nil {
			return err
		}
	}
	cs, err := st.CaseStats(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("loaded %d records (%d cases) in %.0f s\n", loaded, cs.Rows, time.Since(t0).Seconds())

	// The data's span and the risk index of its last complete week.
	span, err := ch.Query(ctx, "SELECT toString(min(reported_date)), toString(max(reported_date)) FROM bench.cases")
	if err != nil {
		return err
	}
	var firstDay, lastDay time.Time
	if f := strings.Fields(span); len(f) == 2 {
		firstDay, _ = time.Parse(time.DateOnly, f[0])
		lastDay, _ = time.Parse(time.DateOnly, f[1])
	}
	if firstDay.IsZero() || lastDay.IsZero() {
		return fmt.Errorf("no data span: %q", span)
	}
	now := time.Date(lastDay.Year(), lastDay.Month(), lastDay.Day(), 23, 0, 0, 0, schemas.Zone())
	for _, j := range jobs.RiskIndexJobs(st, reg, func() time.Time { return now }) {
		if j.Window != schemas.Week {
			continue
		}
		t := time.Now()
		at := j.Window.Align(now)
		n, err := j.Run(ctx, at)
		if err != nil {
			return fmt.Errorf("job %s: %w", j.Name, err)
		}
		fmt.Printf("job %s window ending %s: %.1f s, %d rows\n", j.Name, at.Format(time.DateOnly), time.Since(t).Seconds(), n)
	}

	opts := api.Options{Store: st, Regions: reg, Log: log, Audit: true, TokenCacheTTL: 10 * time.Second,
		Now: func() time.Time { return now }}
	if !*fairness {
		// The latency figures measure the queries, not the token's request
		// budget (10 a second by default), which fast answers exhaust.
		opts.TokenRate, opts.TokenBurst = 1e6, 1e6
	}
	srv, err := api.New(opts)
	if err != nil {
		return err
	}
	defer srv.Close()
	t1 := time.Now()
	if err := srv.RefreshDaily(ctx); err != nil {
		return err
	}
	built := time.Since(t1)
	var sizes []string
	for _, t := range trendSources {
		if n, err := st.CountRows(ctx, t); err == nil {
			sizes = append(sizes, fmt.Sprintf("%s %d", t, n))
		}
	}
	fmt.Printf("rollups built from cases FINAL in %.1f s: %s rows\n", built.Seconds(), strings.Join(sizes, ", "))
	// What one refresh costs when a stream updated cases of the last
	// quarter (every report day of it changed).
	var quarter []time.Time
	for d := lastDay.AddDate(0, 0, -91); !d.After(lastDay); d = d.AddDate(0, 0, 1) {
		quarter = append(quarter, d)
	}
	t2 := time.Now()
	if err := st.APIRefreshDaily(ctx, quarter, time.Now().Add(time.Minute)); err != nil {
		return err
	}
	fmt.Printf("rollups refresh of the last 92 days: %.1f s\n", time.Since(t2).Seconds())
	// A restart: a second server's first refresh resumes the rollups left
	// (the days of the cases ingested since their oldest computation, less
	// the 10 min margin, and the days they miss). The load stamps the
	// generated stream's times as ingest times, so here no day counts as
	// changed: the time of a restart without new cases.
	restarted, err := api.New(opts)
	if err != nil {
		return err
	}
	t3 := time.Now()
	err = restarted.RefreshDaily(ctx)
	restarted.Close()
	if err != nil {
		return err
	}
	fmt.Printf("restart: first refresh on the rollups left (every day recomputed after it): %.2f s\n", time.Since(t3).Seconds())
	mux := http.NewServeMux()
	srv.Mount(mux)
	hs := httptest.NewServer(mux)
	defer hs.Close()
	token, id, err := api.NewToken()
	if err != nil {
		return err
	}
	if err := st.APIInsertToken(ctx, store.APIToken{ID: id, Hash: api.HashToken(token), Name: "bench", Role: api.RoleAdmin,
		Created: now, Version: 1}); err != nil {
		return err
	}

	rng := rand.New(rand.NewPCG(8, 8))
	var counties []schemas.Region // those with towns (市辖区 has none)
	for _, c := range reg.AtLevel(schemas.LevelCounty) {
		if len(reg.Children(c.Code)) > 0 {
			counties = append(counties, c)
		}
	}
	towns := reg.AtLevel(schemas.LevelTown)
	days := int(lastDay.Sub(firstDay).Hours()/24) + 1
	cats := []string{"labor", "land", "neighbor", "family", "labor.wage_arrears", "grassland,land", "finance"}
	// kind is the kind of the request trendURL made last (the figures
	// are printed per kind too).
	var kind string
	trendURL := func(cases bool) string {
		q := url.Values{}
		town := false
		switch rng.IntN(3) {
		case 0: // the city
		case 1:
			q.Set("region", counties[rng.IntN(len(counties))].Code)
		default:
			q.Set("region", towns[rng.IntN(len(towns))].Code)
			town = true
		}
		gran := []string{"day", "week", "month"}[rng.IntN(3)]
		span := []int{30, 90, 182, 365}[rng.IntN(4)]
		if gran == "day" {
			span = min(span, 92)
		}
		end := lastDay.AddDate(0, 0, -rng.IntN(max(1, days-span)))
		q.Set("granularity", gran)
		q.Set("from", end.AddDate(0, 0, 1-span).Format(time.DateOnly))
		q.Set("to", end.Format(time.DateOnly))
		if rng.IntN(2) == 0 {
			q.Set("category", cats[rng.IntN(len(cats))])
		}
		if g := rng.IntN(3); g == 1 && q.Get("region") != "" {
			q.Set("group", "region")
		} else if g == 2 {
			q.Set("group", "category")
		}
		if !cases {
			q.Set("metric", []string{"cases", "rate", "resolved", "resolve_rate"}[rng.IntN(4)])
			kind = kindPlain
			return "/api/trends?" + q.Encode()
		}
		switch rng.IntN(6) {
		case 0:
			q.Set("metric", "satisfaction")
			kind = kindSatisfaction
		case 1:
			q.Set("severity", "difficult")
			kind = kindOneFilter
		case 2:
			q.Set("status", "handling,accepted")
			kind = kindOneFilter
		case 3:
			q.Set("channel", "phone,online")
			kind = kindOneFilter
		case 4:
			q.Set("severity", "difficult")
			q.Set("status", "resolved,closed")
			kind = kindTwoFilters
		default:
			q.Set("metric", "overdue")
			kind = kindOverdue
		}
		if kind == kindOneFilter && town && q.Get("group") == "region" {
			kind = kindVillageFilter
		}
		return "/api/trends?" + q.Encode()
	}
	client := hs.Client()
	get := func(path string) (time.Duration, string, error) {
		req, _ := http.NewRequest("GET", hs.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		t := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return 0, "", err
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		d := time.Since(t)
		if resp.StatusCode != 200 {
			return d, "", fmt.Errorf("%s: %d %s", path, resp.StatusCode, b)
		}
		return d, string(b), nil
	}
	if *fairness {
		return measureFairness(ctx, st, hs.URL, now, *requests, *flooders, trendURL)
	}
	for i := 0; i < 10; i++ { // warm-up: caches, connections
		if _, _, err := get(trendURL(i%2 == 1)); err != nil {
			return err
		}
	}
	// Half the requests only filter by region and category, half add a
	// severity, channel or status filter, satisfaction, two filters or the
	// overdue metric; each is bucketed by the table that answered (two
	// filters, overdue and a town's drill-down to its villages with a case
	// filter are api_cube's).
	by := map[string][]time.Duration{}
	byKind := map[string][]timed{}
	var all []time.Duration
	for i := 0; i < 2**requests; i++ {
		p := trendURL(i%2 == 1)
		d, body, err := get(p)
		if err != nil {
			return err
		}
		src := "cases"
		for _, r := range trendSources {
			if strings.Contains(body, `"source":"`+r+`"`) {
				src = r
			}
		}
		by[src] = append(by[src], d)
		byKind[kind] = append(byKind[kind], timed{d, src, p})
		all = append(all, d)
	}
	for _, src := range append(trendSources, "cases") {
		if len(by[src]) == 0 {
			continue
		}
		p50, p95, p99, mx := stats(by[src])
		fmt.Printf("trends from %-12s %4d requests: p50 %4.0f ms  p95 %4.0f ms  p99 %4.0f ms  max %4.0f ms\n", src, len(by[src]), ms(p50), ms(p95), ms(p99), ms(mx))
	}
	for _, k := range kinds {
		ts := byKind[k]
		if len(ts) == 0 {
			continue
		}
		var ds []time.Duration
		srcs := map[string]int{}
		for _, t := range ts {
			ds = append(ds, t.d)
			srcs[t.source]++
		}
		p50, p95, p99, mx := stats(ds)
		fmt.Printf("trends, %-26s %4d requests: p50 %4.0f ms  p95 %4.0f ms  p99 %4.0f ms  max %4.0f ms  from %v\n", k, len(ts), ms(p50), ms(p95), ms(p99), ms(mx), srcs)
		slices.SortFunc(ts, func(a, b timed) int { return cmp.Compare(b.d, a.d) })
		for _, t := range ts[:min(*slowest, len(ts))] {
			fmt.Printf("    %5.0f ms %-10s %s\n", ms(t.d), t.source, t.path)
		}
	}
	p50, p95, p99, mx := stats(all)
	fmt.Printf("trends, all            %4d requests: p50 %4.0f ms  p95 %4.0f ms  p99 %4.0f ms  max %4.0f ms (target p95 ≤ 300 ms, p99 ≤ 1 s)\n", len(all), ms(p50), ms(p95), ms(p99), ms(mx))

	if *renders > 0 {
		if err := firstRender(ctx, hs.URL, token, lastDay, *renders); err != nil {
			return err
		}
	}
	if *keep > 0 {
		fmt.Printf("keeping ClickHouse up for %s or until interrupted: clickhouse-client --port %s --database bench (server directory %s)\n",
			*keep, ch.Addr[strings.LastIndexByte(ch.Addr, ':')+1:], ch.Dir)
		kctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
		defer stop()
		select {
		case <-kctx.Done():
		case <-time.After(*keep):
		}
	}
	return nil
}

// The request kinds of the trends, as printed.
const (
	kindPlain         = "region and category only"
	kindSatisfaction  = "satisfaction"
	kindOneFilter     = "one case filter"
	kindVillageFilter = "one case filter, villages"
	kindTwoFilters    = "two case filters"
	kindOverdue       = "overdue"
)

var kinds = []string{kindPlain, kindSatisfaction, kindOneFilter, kindVillageFilter, kindTwoFilters, kindOverdue}

// trendSources are the rollups a trend answer may name as its source
// (else it came from cases); api_cube is the cube before migration 0027,
// so that the tool measures the code before it too.
var trendSources = []string{"api_daily", "api_county", "api_cube_by_place", "api_cube"}

// timed is one request's latency, the table that answered it and its path.
type timed struct {
	d      time.Duration
	source string
	path   string
}

// measureFairness measures one token's latency over a fixed list of
// console requests (me, KPIs, warnings, trends from the rollup) with the
// server idle, then while another admin token sends heavy trends (they read
// the cases table) from flooders parallel loops, with the API's default
// limits. It prints both p95 and their ratio (goal ≤ 2).
func measureFairness(ctx context.Context, st *store.Store, base string, now time.Time, n, flooders int, trendURL func(cases bool) string) error {
	mk := func(name, role string) (string, error) {
		tok, id, err := api.NewToken()
		if err != nil {
			return "", err
		}
		return tok, st.APIInsertToken(ctx, store.APIToken{ID: id, Hash: api.HashToken(tok), Name: name, Role: role, Created: now, Version: 1})
	}
	victim, err := mk("fairness-analyst", api.RoleAnalyst)
	if err != nil {
		return err
	}
	flood, err := mk("fairness-flood", api.RoleAdmin)
	if err != nil {
		return err
	}
	var paths []string
	for i := 0; i < n; i++ {
		switch i % 4 {
		case 0:
			paths = append(paths, "/api/me")
		case 1:
			paths = append(paths, "/api/kpis?window=week&latest=true")
		default:
			paths = append(paths, trendURL(false))
		}
	}
	var heavy []string
	for len(heavy) < 200 {
		if u := trendURL(true); !strings.Contains(u, "metric=satisfaction") {
			heavy = append(heavy, u)
		}
	}
	do := func(c *http.Client, token, path string) (int, time.Duration, error) {
		req, _ := http.NewRequestWithContext(ctx, "GET", base+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		t := time.Now()
		resp, err := c.Do(req)
		if err != nil {
			return 0, 0, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, time.Since(t), nil
	}
	vc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	// The victim paces itself like a person at the console: one request
	// every 200 ms at most, inside its own request budget (api.token_rate
	// 10 a second).
	measure := func() ([]time.Duration, error) {
		var ds []time.Duration
		for _, p := range paths {
			code, d, err := do(vc, victim, p)
			if err != nil {
				return nil, err
			}
			if code != http.StatusOK {
				return nil, fmt.Errorf("victim %s: %d", p, code)
			}
			ds = append(ds, d)
			time.Sleep(max(0, 200*time.Millisecond-d))
		}
		return ds, nil
	}
	if _, err := measure(); err != nil { // warm-up
		return err
	}
	idle, err := measure()
	if err != nil {
		return err
	}
	fc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: flooders, MaxConnsPerHost: flooders}}
	fctx, stop := context.WithCancel(ctx)
	var mu sync.Mutex
	codes := map[int]int{}
	var wg sync.WaitGroup
	for i := 0; i < flooders; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := i; fctx.Err() == nil; j++ {
				code, _, err := do(fc, flood, heavy[j%len(heavy)])
				if err != nil {
					continue
				}
				mu.Lock()
				codes[code]++
				mu.Unlock()
			}
		}()
	}
	time.Sleep(2 * time.Second) // the flood reaches its steady state
	flooded, err := measure()
	stop()
	wg.Wait()
	if err != nil {
		return err
	}
	_, ip95, _, imx := stats(idle)
	_, fp95, _, fmx := stats(flooded)
	fmt.Printf("flooding token (%d parallel heavy trends): answers by status %v\n", flooders, codes)
	fmt.Printf("other token, %d requests each (me, kpis, trends from api_daily): idle max %.0f ms; flooded max %.0f ms\n", len(idle), ms(imx), ms(fmx))
	fmt.Printf("fairness: idle p95 %.0f ms; flooded p95 %.0f ms; ratio %.2f (goal ≤ 2)\n", ms(ip95), ms(fp95), float64(fp95)/float64(ip95))
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func stats(ds []time.Duration) (p50, p95, p99, mx time.Duration) {
	s := slices.Clone(ds)
	slices.Sort(s)
	at := func(q float64) time.Duration { return s[min(len(s)-1, int(q*float64(len(s))))] }
	return at(0.50), at(0.95), at(0.99), s[len(s)-1]
}

// firstRender loads the dashboard n times in fresh tabs of one headless
// Chromium: the first load is cold (ECharts and the GeoJSON not cached).
func firstRender(ctx context.Context, base, token string, lastDay time.Time, n int) error {
	b, err := browser.Start(ctx, browser.Options{})
	if err != nil {
		return err
	}
	defer b.Close()
	from := lastDay.AddDate(0, 0, -181).Format(time.DateOnly)
	u := base + "/console/?token=" + url.QueryEscape(token) + "&from=" + from + "&to=" + lastDay.Format(time.DateOnly)
	var times []float64
	for i := 0; i < n; i++ {
		tctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		tab, closeTab, err := b.OpenTab(tctx)
		if err != nil {
			cancel()
			return err
		}
		err = browser.Open(tab, browser.Page{URL: u, Ready: `document.body.dataset.ready === '1' || document.body.dataset.ready === 'error'`, Width: 1400, Height: 1000})
		var v float64
		var status string
		if err == nil {
			v, err = chromedp.Run(tab, chromedp.Evaluate[float64](`window.rwFirstRender || -1`))
		}
		if err == nil {
			status, err = chromedp.Run(tab, chromedp.Evaluate[string](`document.body.dataset.ready + ' ' + document.getElementById('status').textContent`))
		}
		closeTab()
		cancel()
		if err != nil {
			return fmt.Errorf("console load %d: %w", i+1, err)
		}
		if !strings.HasPrefix(status, "1") || v < 0 {
			return fmt.Errorf("console load %d did not render: %s", i+1, status)
		}
		times = append(times, v)
		kind := "warm"
		if i == 0 {
			kind = "cold"
		}
		fmt.Printf("console dashboard first render, load %d (%s): %.0f ms\n", i+1, kind, v)
	}
	if ext := b.External(); len(ext) > 0 {
		return fmt.Errorf("the console requested %d URLs outside localhost: %v", len(ext), ext)
	}
	s := slices.Clone(times)
	slices.Sort(s)
	fmt.Printf("console dashboard first render: cold %.0f ms, median %.0f ms, max %.0f ms over %d loads (target ≤ 1000 ms); no external requests\n",
		times[0], s[len(s)/2], s[len(s)-1], len(s))
	return nil
}

// caseColumns are the columns of cases (migration 0001), for the copies.
const caseColumns = "source, case_id, version, contract, channel, reported_at, reported_date, occurred_at, " +
	"region_code, region_level, city_code, county_code, town_code, village_code, grid_id, lat, lon, " +
	"category, category_group, category_rule, category_text, summary, severity, parties, amount_cny, " +
	"status, assigned_unit, due_at, resolved_at, feedback_at, evaluated_at, satisfaction, " +
	"repeat_of, petition, superior_assigned, escalated, group_dispute, large_amount, " +
	"ingested_at, _topic, _partition, _offset"

// shiftWeeks returns the column list cols (caseColumns) with every time
// column moved back by weeks weeks: a copy's report day, and its due,
// resolved, feedback and evaluation times with it.
func shiftWeeks(cols string, weeks int) string {
	f := strings.Split(cols, ", ")
	for i, c := range f {
		switch c {
		case "reported_at", "reported_date", "occurred_at", "due_at", "resolved_at", "feedback_at", "evaluated_at":
			f[i] = fmt.Sprintf("subtractDays(%s, %d)", c, 7*weeks)
		}
	}
	return strings.Join(f, ", ")
}

// load generates n records and stores them through the real transform.
func load(ctx context.Context, st *store.Store, reg *schemas.Registry, n int) (int, error) {
	gen, err := demo.NewN(demo.Options{Seed: 11, Registry: reg}, n)
	if err != nil {
		return 0, err
	}
	return toolenv.Load(ctx, st, reg, gen, toolenv.StreamEnd(), nil)
}
