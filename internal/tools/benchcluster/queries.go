package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/riskwatch/riskwatch/api"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

// measureQueries measures, on the data measure ingested into t, what the
// jobs and the API cost there:
//
//	<target>: backfill of every job over one month: S s, server CPU C s (X s per million cases), riskwatch CPU R s
//	<target>: api_daily refresh: S s, server CPU C s
//	<target>: API trends N requests: p50 A ms, p95 B ms, server CPU-s per 1000 requests X
//
// The backfill is `riskwatch backfill` of the last complete month of the
// data (every day, week and month window ending in it); the trends are the
// same N varied /api/trends requests (region, granularity, span, category,
// the rollup and the cases table) on every target, through an in-process
// API server on a store of the target's database.
func measureQueries(ctx context.Context, t *target, bin string, requests int, log *slog.Logger) error {
	var pids []int
	addrs := make([]string, len(t.nodes))
	for i, n := range t.nodes {
		pids = append(pids, n.PID())
		addrs[i] = n.Addr
	}
	pids = append(pids, t.extra...)
	reader := t.nodes[0]
	span, err := reader.Query(ctx, "SELECT toString(min(reported_date)), toString(max(reported_date)), count() FROM "+t.db+".cases FINAL")
	if err != nil {
		return err
	}
	f := strings.Fields(span)
	if len(f) != 3 {
		return fmt.Errorf("no data span: %q", span)
	}
	firstDay, err1 := time.Parse(time.DateOnly, f[0])
	lastDay, err2 := time.Parse(time.DateOnly, f[1])
	cases, _ := strconv.ParseFloat(f[2], 64)
	if err1 != nil || err2 != nil || cases == 0 {
		return fmt.Errorf("no data span: %q", span)
	}
	monthEnd := time.Date(lastDay.Year(), lastDay.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -1)
	monthStart := time.Date(monthEnd.Year(), monthEnd.Month(), 1, 0, 0, 0, 0, time.UTC)

	cpu0 := sumCPU(pids)
	start := time.Now()
	cmd := exec.Command(bin, "backfill", "--config", t.cfg, "--from", monthStart.Format(time.DateOnly), "--to", monthEnd.Format(time.DateOnly))
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("backfill: %w: %s", err, out)
	}
	elapsed, serverCPU := time.Since(start), sumCPU(pids)-cpu0
	var own time.Duration
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		own = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	fmt.Printf("%s: backfill of every job over %s (%d days): %.1f s, server CPU %.1f s (%.1f s per million cases), riskwatch CPU %.1f s\n",
		t.name, monthStart.Format("2006-01"), monthEnd.Day(), elapsed.Seconds(), serverCPU.Seconds(), serverCPU.Seconds()/cases*1e6, own.Seconds())

	st, err := store.Open(ctx, store.Options{Addrs: addrs, Database: t.db, Username: "default", Cluster: t.cluster, ClusterInsert: t.insert,
		DialTimeout: 10 * time.Second, ReadTimeout: 5 * time.Minute, MaxOpenConns: 8, Logger: log})
	if err != nil {
		return err
	}
	defer st.Close()
	reg, err := schemas.LoadTongliao()
	if err != nil {
		return err
	}
	now := time.Date(lastDay.Year(), lastDay.Month(), lastDay.Day(), 23, 0, 0, 0, schemas.Zone())
	// One token sends every request: no request budget.
	srv, err := api.New(api.Options{Store: st, Regions: reg, Log: log, TokenCacheTTL: time.Minute, TokenRate: 1e6, TokenBurst: 1 << 20,
		Now: func() time.Time { return now }})
	if err != nil {
		return err
	}
	defer srv.Close()
	cpu0, start = sumCPU(pids), time.Now()
	if err := srv.RefreshDaily(ctx); err != nil {
		return err
	}
	fmt.Printf("%s: api_daily refresh of every day: %.1f s, server CPU %.1f s\n", t.name, time.Since(start).Seconds(), (sumCPU(pids) - cpu0).Seconds())
	mux := http.NewServeMux()
	srv.Mount(mux)
	hs := httptest.NewServer(mux)
	defer hs.Close()
	token, id, err := api.NewToken()
	if err != nil {
		return err
	}
	if err := st.APIInsertToken(ctx, store.APIToken{ID: id, Hash: api.HashToken(token), Name: "bench", Role: api.RoleAdmin, Created: now, Version: 1}); err != nil {
		return err
	}
	get := func(path string) (time.Duration, error) {
		req, _ := http.NewRequest("GET", hs.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		t0 := time.Now()
		resp, err := hs.Client().Do(req)
		if err != nil {
			return 0, err
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return 0, fmt.Errorf("%s: %d %s", path, resp.StatusCode, b)
		}
		return time.Since(t0), nil
	}
	urls := trendURLs(reg, firstDay, lastDay, requests)
	for _, u := range urls[:min(10, len(urls))] { // warm the token cache and the servers
		if _, err := get(u); err != nil {
			return err
		}
	}
	cpu0 = sumCPU(pids)
	var lat []time.Duration
	for _, u := range urls {
		d, err := get(u)
		if err != nil {
			return err
		}
		lat = append(lat, d)
	}
	serverCPU = sumCPU(pids) - cpu0
	slices.Sort(lat)
	q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	fmt.Printf("%s: API trends %d requests: p50 %.0f ms, p95 %.0f ms, max %.0f ms; server CPU-s per 1000 requests %.1f\n",
		t.name, len(lat), q(0.5), q(0.95), q(1), serverCPU.Seconds()/float64(len(lat))*1000)
	return nil
}

// trendURLs returns n varied /api/trends paths over the data's span, the
// same for the same arguments: the city, a county or a town; day, week or
// month over 30 to 365 days; a category or none; by region, category or
// none; every other one with a filter only the cases table answers.
func trendURLs(reg *schemas.Registry, firstDay, lastDay time.Time, n int) []string {
	rng := rand.New(rand.NewPCG(8, 8))
	var counties []schemas.Region // those with towns (市辖区 has none: no group=region)
	for _, c := range reg.AtLevel(schemas.LevelCounty) {
		if len(reg.Children(c.Code)) > 0 {
			counties = append(counties, c)
		}
	}
	towns := reg.AtLevel(schemas.LevelTown)
	days := int(lastDay.Sub(firstDay).Hours()/24) + 1
	cats := []string{"labor", "land", "neighbor", "family", "labor.wage_arrears"}
	var out []string
	for i := range n {
		q := url.Values{}
		switch rng.IntN(3) {
		case 1:
			q.Set("region", counties[rng.IntN(len(counties))].Code)
		case 2:
			q.Set("region", towns[rng.IntN(len(towns))].Code)
		}
		gran := []string{"day", "week", "month"}[rng.IntN(3)]
		span := []int{30, 90, 182, 365}[rng.IntN(4)]
		if gran == "day" {
			span = min(span, 92)
		}
		span = min(span, days)
		end := lastDay.AddDate(0, 0, -rng.IntN(max(1, days-span)))
		q.Set("granularity", gran)
		q.Set("from", end.AddDate(0, 0, 1-span).Format(time.DateOnly))
		q.Set("to", end.Format(time.DateOnly))
		if rng.IntN(2) == 0 {
			q.Set("category", cats[rng.IntN(len(cats))])
		}
		if g := rng.IntN(3); g == 1 && q.Get("region") != "" && len(reg.Children(q.Get("region"))) > 0 {
			q.Set("group", "region")
		} else if g == 2 {
			q.Set("group", "category")
		}
		if i%2 == 0 {
			q.Set("metric", []string{"cases", "rate", "resolved", "resolve_rate"}[rng.IntN(4)])
		} else {
			q.Set("severity", "difficult")
			q.Set("status", "resolved,closed")
		}
		out = append(out, "/api/trends?"+q.Encode())
	}
	return out
}
