package api

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/riskwatch/riskwatch/reports/assets"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

// Store is what the API reads.
type Store interface {
	TokenStore
	AuditStore
	APIAudit(ctx context.Context, scope string, limit int) ([]store.APIAuditEntry, error)
	APITrends(ctx context.Context, q store.APITrendQuery) ([]store.APITrendRow, bool, string, error)
	APIDailyChangedDays(ctx context.Context, since time.Time) ([]time.Time, error)
	APIRefreshDaily(ctx context.Context, days []time.Time, computedAt time.Time) error
	APIRollupsLeft(ctx context.Context) (store.APIRollupsLeft, error)
	APIHotspots(ctx context.Context, q store.APIResultQuery) (store.APITable, error)
	APIRiskIndex(ctx context.Context, q store.APIResultQuery) (store.APITable, error)
	APITypeRanks(ctx context.Context, q store.APIResultQuery) (store.APITable, error)
	APIKPIs(ctx context.Context, q store.APIResultQuery) (store.APITable, error)
	APIStatAlarms(ctx context.Context, q store.APIResultQuery) (store.APITable, error)
	APIRuleAlarms(ctx context.Context, q store.APIResultQuery) (store.APITable, error)
	APISupervisionCases(ctx context.Context, q store.APIResultQuery) (store.APITable, error)
	APISupervisionUnits(ctx context.Context, q store.APIResultQuery) (store.APITable, error)
	APICases(ctx context.Context, q store.APICaseQuery) (store.APITable, uint64, error)
	APIRegions(ctx context.Context, q store.APIRegionQuery) (store.APITable, error)
	APIWarnings(ctx context.Context, q store.APIResultQuery) (store.APITable, error)
	APIWarningDeliveries(ctx context.Context, q store.APIResultQuery) (store.APITable, error)
	APIForecasts(ctx context.Context, q store.APIResultQuery) (store.APITable, error)
	APIForecastsExceeding(ctx context.Context, prefixes []string, factor float64, limit int) ([]store.ForecastThreshold, error)
	APILinks(ctx context.Context, prefix, root string, limit int) ([]store.CaseLink, bool, error)
	EmergingIssues(ctx context.Context, from, to time.Time) ([]store.EmergingIssue, error)
	WarningEmergingIssues(ctx context.Context) ([]store.EmergingIssue, error)
}

// Options configure a Server.
type Options struct {
	Store   Store
	Regions *schemas.Registry
	Log     *slog.Logger
	// MaxRows bounds one answer's rows; MaxRangeDays bounds to − from;
	// MaxPageSize bounds the case list's page_size.
	MaxRows, MaxRangeDays, MaxPageSize int
	// ReviewBelow is the learned classifier's confidence under which
	// /api/cases?review=1 lists a case for review; 0 means 0.6.
	ReviewBelow float64
	// Audit writes every authenticated request to api_audit.
	Audit bool
	// TokenCacheTTL is how long a token lookup is trusted.
	TokenCacheTTL time.Duration
	// RevocationCheck, AuthFailLimit and AuthFailWindow: see
	// config.API (defaults 0 = every request, 10, 1m).
	RevocationCheck time.Duration
	AuthFailLimit   int
	AuthFailWindow  time.Duration
	// QueryTimeout bounds one request's queries.
	QueryTimeout time.Duration
	// Now is the clock (default time.Now): the default date range ends
	// today.
	Now func() time.Time
	// DailyRefresh is how often the trends' rollups (api_daily, the cube,
	// api_county) take in the days that received records; 0 = never in
	// the background (call RefreshDaily). Until a first refresh completes, trends read
	// cases.
	DailyRefresh time.Duration
	// MaxConcurrent bounds the requests that run queries at once (default
	// 4, half the store's default pool, so that ingest and the jobs keep
	// connections); a request that cannot start within QueryTimeout gets
	// 503.
	MaxConcurrent int
	// TokenMaxConcurrent bounds one token's requests that run queries at
	// once (default 2): its further requests wait for one of its own
	// slots, holding none of the server's, up to QueryTimeout, then get
	// 429.
	TokenMaxConcurrent int
	// TokenRate and TokenBurst are one token's request budget, a token
	// bucket (default 10 a second, 40 at once); beyond it 429 with
	// Retry-After.
	TokenRate  float64
	TokenBurst int
}

// Server is the analyst API and the web console.
type Server struct {
	o      Options
	st     Store
	reg    *schemas.Registry
	log    *slog.Logger
	now    func() time.Time
	auth   *authenticator
	audit  *auditor
	routes []route
	// slots holds one token per request running queries.
	slots chan struct{}
	// limits are the per-token request budget and query slots.
	limits *tokenLimits

	// The trends' rollup: ready after the first complete refresh; the
	// watermark is the start of the last refresh (wall clock, like
	// ingested_at).
	dailyMu       sync.Mutex
	dailyReady    atomic.Bool
	dailyAsOf     atomic.Int64 // unix seconds of the newest computation
	dailySince    time.Time
	dailyComputed time.Time
	dailyFull     time.Time // start of the last refresh of every day
	stopDaily     context.CancelFunc
	dailyDone     chan struct{}
	// The authentication housekeeping (coalesced failure rows, last use).
	stopAuth context.CancelFunc
	authDone chan struct{}
}

// route is one API endpoint: its method and path, the roles that may use
// it (all when empty), the query parameters it accepts and its handler.
type route struct {
	method, path string
	// noQuery marks handlers that answer from memory: they take no query
	// slot, so they answer while every slot is busy.
	noQuery bool
	roles   []string
	params  []string
	handle  func(*request) (*result, error)
}

// New builds a server. Close stops its audit writer.
func New(o Options) (*Server, error) {
	if o.Store == nil || o.Regions == nil {
		return nil, errors.New("cannot start the API: Store and Regions are required")
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxRows <= 0 {
		o.MaxRows = 20000
	}
	if o.MaxRangeDays <= 0 {
		o.MaxRangeDays = 1100
	}
	if o.MaxPageSize <= 0 {
		o.MaxPageSize = 500
	}
	if o.ReviewBelow <= 0 {
		o.ReviewBelow = 0.6
	}
	if o.QueryTimeout <= 0 {
		o.QueryTimeout = 30 * time.Second
	}
	if o.MaxConcurrent <= 0 {
		o.MaxConcurrent = 4
	}
	if o.TokenMaxConcurrent <= 0 {
		o.TokenMaxConcurrent = min(2, o.MaxConcurrent)
	}
	if o.TokenRate <= 0 {
		o.TokenRate = 10
	}
	if o.TokenBurst <= 0 {
		o.TokenBurst = 40
	}
	s := &Server{o: o, st: o.Store, reg: o.Regions, log: o.Log.With("component", "api"), now: o.Now,
		slots:  make(chan struct{}, o.MaxConcurrent),
		limits: newTokenLimits(o.TokenRate, o.TokenBurst, o.TokenMaxConcurrent, time.Now)}
	if o.AuthFailLimit <= 0 {
		o.AuthFailLimit = 10
	}
	if o.AuthFailWindow <= 0 {
		o.AuthFailWindow = time.Minute
	}
	s.auth = newAuthenticator(o.Store, o)
	if o.Audit {
		s.audit = newAuditor(o.Store, s.log, time.Second)
	}
	hkCtx, hkCancel := context.WithCancel(context.Background())
	s.stopAuth, s.authDone = hkCancel, make(chan struct{})
	go s.housekeeping(hkCtx, s.authDone)
	s.routes = s.apiRoutes()
	if o.DailyRefresh > 0 {
		ctx, cancel := context.WithCancel(context.Background())
		s.stopDaily, s.dailyDone = cancel, make(chan struct{})
		go s.refreshLoop(ctx, o.DailyRefresh)
	}
	return s, nil
}

// Close stops the rollup refresh, flushes the audit log and stops its
// writer. It is safe twice.
func (s *Server) Close() {
	if s.stopDaily != nil {
		s.stopDaily()
		<-s.dailyDone
	}
	s.stopAuth()
	<-s.authDone
	if s.audit != nil {
		s.audit.close()
	}
}

// dailyMargin is how far back of the last refresh's start a refresh looks
// for ingested cases: batches transformed before it and inserted after, and
// clocks a little apart.
const dailyMargin = 10 * time.Minute

// dailyFullEvery is how often a refresh recomputes every day, not just the
// days of recently ingested cases: a batch inserted more than dailyMargin
// after it was transformed (long insert retries, or an ingest host whose
// clock is off) is missed by the incremental refresh and would otherwise
// stay missing until a restart.
const dailyFullEvery = 24 * time.Hour

func (s *Server) refreshLoop(ctx context.Context, every time.Duration) {
	defer close(s.dailyDone)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		err := s.RefreshDaily(ctx)
		if err != nil && ctx.Err() == nil {
			s.log.Error("cannot refresh the trends' rollups (trends read cases until it works)", "err", err)
		}
		if err == nil && s.resumed() {
			// The rollups of an earlier process answer already; every
			// day is recomputed right away, not a tick later.
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RefreshDaily brings the trends' rollups (api_daily, api_cube_by_place,
// api_county) up to date: the first call recomputes every day, later ones
// the days of the cases ingested since the previous call began (less a margin), and every day again once a day.
// When the rollups hold the rows of an earlier process, the first call
// takes the days changed since the oldest of their computations and the
// days they miss, and the next recomputes every day. After the first
// success, trends read api_daily, or api_county or the cube where
// api_daily cannot answer.
func (s *Server) RefreshDaily(ctx context.Context) error {
	s.dailyMu.Lock()
	defer s.dailyMu.Unlock()
	start := time.Now()
	var since time.Time
	var missing []time.Time
	full := !s.dailyReady.Load() || start.Sub(s.dailyFull) >= dailyFullEvery
	if !full {
		since = s.dailySince.Add(-dailyMargin)
	}
	if !s.dailyReady.Load() {
		left, err := s.st.APIRollupsLeft(ctx)
		if err != nil {
			return err
		}
		// This process's computations must be newer than any before it.
		if left.Newest.After(s.dailyComputed) {
			s.dailyComputed = left.Newest
		}
		if !left.Oldest.IsZero() {
			full, since, missing = false, left.Oldest.Add(-dailyMargin), left.Missing
		}
	}
	days, err := s.st.APIDailyChangedDays(ctx, since)
	if err != nil {
		return err
	}
	days = unionDays(days, missing)
	at := start.Truncate(time.Second)
	if !at.After(s.dailyComputed) {
		at = s.dailyComputed.Add(time.Second)
	}
	if err := s.st.APIRefreshDaily(ctx, days, at); err != nil {
		return err
	}
	s.dailySince, s.dailyComputed = start, at
	if full {
		s.dailyFull = start
	}
	s.dailyAsOf.Store(start.Unix())
	if !s.dailyReady.Load() {
		s.log.Info("trends: rollups ready", "days", len(days), "every_day", full, "seconds", time.Since(start).Seconds())
	}
	s.dailyReady.Store(true)
	return nil
}

// resumed reports whether the rollups are ready but no refresh of this
// process has recomputed every day yet.
func (s *Server) resumed() bool {
	s.dailyMu.Lock()
	defer s.dailyMu.Unlock()
	return s.dailyReady.Load() && s.dailyFull.IsZero()
}

// unionDays returns the days of a and b, sorted, each once.
func unionDays(a, b []time.Time) []time.Time {
	out := append(slices.Clone(a), b...)
	slices.SortFunc(out, func(x, y time.Time) int { return x.Compare(y) })
	return slices.CompactFunc(out, func(x, y time.Time) bool { return x.Equal(y) })
}

// Paths lists "METHOD /path" of every API route, for the OpenAPI check.
func (s *Server) Paths() []string {
	var out []string
	for _, rt := range s.routes {
		out = append(out, rt.method+" "+rt.path)
	}
	out = append(out, "GET /api/openapi.json")
	slices.Sort(out)
	return out
}

//go:embed openapi.json
var openAPI []byte

//go:embed console
var consoleFS embed.FS

// Mount registers /api/…, /console/ and the console's assets on mux.
func (s *Server) Mount(mux *http.ServeMux) {
	for _, rt := range s.routes {
		rt := rt
		mux.Handle(rt.method+" "+rt.path, s.RequireRole(rt.roles...)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s.serve(w, r, rt)
		})))
	}
	mux.HandleFunc("GET /api/openapi.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		_, _ = w.Write(openAPI)
	})
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, http.StatusNotFound, "", "没有这个接口 (no such endpoint; see /api/openapi.json)")
	})
	sub, _ := fs.Sub(consoleFS, "console")
	files := http.FileServerFS(sub)
	mux.Handle("GET /console/assets/", assets.Handler())
	mux.Handle("GET /console/", securityHeaders(tokenToCookie(http.StripPrefix("/console/", files))))
	mux.Handle("POST /console/login", securityHeaders(http.HandlerFunc(consoleLogin)))
}

// ConsolePage wraps a page served under /console/ by another part (the
// demo inbox, say) like the console's own files: the same security headers,
// and a ?token= of a printed link moved into the console's cookie.
func ConsolePage(h http.Handler) http.Handler { return securityHeaders(tokenToCookie(h)) }

// securityHeaders keeps the console from loading anything from elsewhere
// and from being framed by any page (clickjacking).
func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; connect-src 'self'; "+
			"frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		h.ServeHTTP(w, r)
	})
}

// serve runs one route: it checks the token's request budget and the
// query's parameter names, takes a query slot of the token and one of the
// server (unless the handler runs no query), runs the handler under the
// query timeout, with ClickHouse's max_execution_time set to what is left
// of it (and a lower priority when the token has other queries running),
// and writes the result as JSON or CSV.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, rt route) {
	p, _ := PrincipalFrom(r.Context())
	if s.rateLimited(w, r, p) {
		return
	}
	v := r.URL.Query()
	for k, vals := range v {
		if k != "format" && !slices.Contains(rt.params, k) {
			k = echoName(k)
			writeError(w, r, http.StatusBadRequest, k, "未知参数 (unknown parameter "+k+"; accepted: "+strings.Join(append(rt.params, "format"), ", ")+")")
			return
		}
		if len(vals) > 1 {
			writeError(w, r, http.StatusBadRequest, k, "参数重复 (parameter "+k+" given more than once)")
			return
		}
	}
	format, err := wantFormat(r)
	if err != nil {
		writeErr(w, r, err, s.log)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.o.QueryTimeout)
	defer cancel()
	if !rt.noQuery {
		release, prio, ok := s.acquire(ctx, w, r, p)
		if !ok {
			return
		}
		defer release()
		deadline, _ := ctx.Deadline()
		ctx = store.WithQueryLimitPriority(ctx, time.Until(deadline), prio)
	}
	req := &request{s: s, r: r.WithContext(ctx), v: v, p: p}
	res, err := rt.handle(req)
	if err != nil {
		writeErr(w, r, err, s.log)
		return
	}
	if format == "csv" && res.truncated {
		// A spreadsheet user never sees a header or a flag: a CSV is whole
		// or refused.
		param := ""
		if slices.Contains(rt.params, "from") {
			param = "from"
		}
		writeError(w, r, http.StatusBadRequest, param, fmt.Sprintf("结果超过 api.max_rows（%d 行），CSV 不截断：请缩小 from/to 或增加筛选条件 "+
			"(more than api.max_rows = %d rows; a CSV is never cut short: narrow from/to or add filters)", s.o.MaxRows, s.o.MaxRows))
		return
	}
	setRows(r.Context(), res.n())
	res.setCountHeaders(w)
	if format == "csv" {
		res.writeCSV(w, rt.path)
		return
	}
	res.writeJSON(w)
}

// consoleCookie is the cookie the console's token travels in.
const consoleCookie = "rw_token"

// cookieToken is what may go into the cookie: a token's characters, no
// longer than a lookup accepts.
var cookieToken = regexp.MustCompile(`^[A-Za-z0-9_\-]{1,200}$`)

// setTokenCookie stores the console's token in a cookie that scripts
// cannot read (HttpOnly), that no other site's page or form sends
// (SameSite=Strict) and that travels only over TLS when the request came
// over TLS (Secure). A value that cannot be a token sets nothing.
func setTokenCookie(w http.ResponseWriter, r *http.Request, tok string) {
	if !cookieToken.MatchString(tok) {
		return
	}
	http.SetCookie(w, &http.Cookie{Name: consoleCookie, Value: tok, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
}

// tokenToCookie moves a ?token= of a console link into the cookie and
// redirects to the same page without it, so that the token leaves the
// address bar, the history and any Referer before the page runs.
func tokenToCookie(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if !q.Has("token") {
			h.ServeHTTP(w, r)
			return
		}
		setTokenCookie(w, r, q.Get("token"))
		q.Del("token")
		u := url.URL{Path: r.URL.Path, RawQuery: q.Encode()}
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, u.String(), http.StatusSeeOther)
	})
}

// consoleLogin is the console's login form (POST token=…): it sets the
// cookie and goes to the console. A form posted from another site's page
// (Origin or Sec-Fetch-Site say so) is refused.
func consoleLogin(w http.ResponseWriter, r *http.Request) {
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		if u, err := url.Parse(o); err != nil || u.Host != r.Host {
			writeError(w, r, http.StatusForbidden, "", "跨站登录被拒绝 (a login from another site is refused)")
			return
		}
	}
	if s := r.Header.Get("Sec-Fetch-Site"); s == "cross-site" || s == "same-site" {
		writeError(w, r, http.StatusForbidden, "", "跨站登录被拒绝 (a login from another site is refused)")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if err := r.ParseForm(); err != nil {
		writeError(w, r, http.StatusBadRequest, "token", "无法读取登录表单 (cannot read the login form)")
		return
	}
	setTokenCookie(w, r, strings.TrimSpace(r.PostForm.Get("token")))
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, "/console/", http.StatusSeeOther)
}
