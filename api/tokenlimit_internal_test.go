package api

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

// limitStore knows two admin tokens; its KPI query blocks the requests of
// the token named "flood" until release is closed (even past their
// deadline) and answers the others at once.
type limitStore struct {
	nopStore
	tokens  map[string]store.APIToken // by hash
	release chan struct{}
	inside  atomic.Int32 // flood requests inside the store
	mu      sync.Mutex
	limits  []time.Duration  // QueryLimitFrom of every KPI query
	prios   map[string][]int // QueryPriorityFrom of every KPI query by token name
}

func (l *limitStore) APITokenByHash(_ context.Context, hash string) (store.APIToken, bool, error) {
	t, ok := l.tokens[hash]
	return t, ok, nil
}

func (l *limitStore) APIKPIs(ctx context.Context, _ store.APIResultQuery) (store.APITable, error) {
	d, _ := store.QueryLimitFrom(ctx)
	l.mu.Lock()
	l.limits = append(l.limits, d)
	p, _ := PrincipalFrom(ctx)
	l.prios[p.Name] = append(l.prios[p.Name], store.QueryPriorityFrom(ctx))
	l.mu.Unlock()
	if p.Name == "flood" {
		l.inside.Add(1)
		defer l.inside.Add(-1)
		<-l.release // a slow query that ignores the deadline

	}
	return store.APITable{Columns: []string{"region_code"}}, nil
}

// limitServer starts the API over HTTP with o and returns its URL and the
// tokens of "flood" and "other".
func limitServer(t *testing.T, o Options) (st *limitStore, base, flood, other string) {
	st, _, base, flood, other = limitServerOf(t, o)
	return
}

func limitServerOf(t *testing.T, o Options) (st *limitStore, s *Server, base, flood, other string) {
	t.Helper()
	reg, err := schemas.LoadTongliao()
	if err != nil {
		t.Fatal(err)
	}
	st = &limitStore{tokens: map[string]store.APIToken{}, release: make(chan struct{}), prios: map[string][]int{}}
	toks := map[string]string{}
	for _, name := range []string{"flood", "other"} {
		tok, id, err := NewToken()
		if err != nil {
			t.Fatal(err)
		}
		st.tokens[HashToken(tok)] = store.APIToken{ID: id, Hash: HashToken(tok), Name: name, Role: RoleAdmin, Created: time.Now(), Version: 1}
		toks[name] = tok
	}
	o.Store, o.Regions = st, reg
	s, err = New(o)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	s.Mount(mux)
	hs := httptest.NewServer(mux)
	t.Cleanup(func() {
		select {
		case <-st.release:
		default:
			close(st.release)
		}
		hs.Close()
		s.Close()
	})
	return st, s, hs.URL, toks["flood"], toks["other"]
}

func limitGet(t *testing.T, url, token string) (int, http.Header, time.Duration) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return 0, nil, 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Header, time.Since(start)
}

// TestFloodingTokenGetsTooManyRequests: a token past its burst gets 429
// with a Retry-After of at least a second, while another token's requests
// are served.
func TestFloodingTokenGetsTooManyRequests(t *testing.T) {
	st, base, flood, other := limitServer(t, Options{TokenRate: 0.5, TokenBurst: 5})
	close(st.release) // flood's queries answer at once here
	codes := map[int]int{}
	var retry string
	for i := 0; i < 20; i++ {
		code, h, _ := limitGet(t, base+"/api/kpis", flood)
		codes[code]++
		if code == http.StatusTooManyRequests {
			retry = h.Get("Retry-After")
		}
	}
	if codes[http.StatusOK] != 5 || codes[http.StatusTooManyRequests] != 15 {
		t.Errorf("flooding token: %v; want 5 × 200 (the burst) and 15 × 429", codes)
	}
	if n, err := strconv.Atoi(retry); err != nil || n < 1 {
		t.Errorf("Retry-After %q, want whole seconds ≥ 1", retry)
	}
	for _, path := range []string{"/api/kpis", "/api/me", "/api/kpis"} {
		if code, _, _ := limitGet(t, base+path, other); code != http.StatusOK {
			t.Errorf("other token %s: %d, want 200 while the first token is limited", path, code)
		}
	}
}

// TestTokenConcurrencyLeavesSlotsToOthers: one token's parallel queries
// hold at most api.token_max_concurrent of the server's slots; its other
// requests wait for its own slots (429 after the query timeout) and
// another token's query is answered at once.
func TestTokenConcurrencyLeavesSlotsToOthers(t *testing.T) {
	st, base, flood, other := limitServer(t, Options{MaxConcurrent: 4, TokenMaxConcurrent: 2, QueryTimeout: 1500 * time.Millisecond})
	var wg sync.WaitGroup
	codes := make([]int, 8)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], _, _ = limitGet(t, base+"/api/kpis", flood)
		}()
	}
	deadline := time.Now().Add(5 * time.Second)
	for st.inside.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	if n := st.inside.Load(); n != 2 {
		t.Errorf("%d flooding requests inside the store, want api.token_max_concurrent = 2", n)
	}
	code, _, took := limitGet(t, base+"/api/kpis", other)
	if code != http.StatusOK || took > 500*time.Millisecond {
		t.Errorf("other token while flooded: %d after %v, want 200 at once", code, took)
	}
	// The flooding token's second query yields to the others (priority 2);
	// the other token's single query has priority 1.
	st.mu.Lock()
	fp, op := slices.Clone(st.prios["flood"]), slices.Clone(st.prios["other"])
	st.mu.Unlock()
	slices.Sort(fp)
	if !slices.Equal(fp, []int{1, 2}) || !slices.Equal(op, []int{1}) {
		t.Errorf("ClickHouse priorities: flood %v, other %v; want [1 2] and [1]", fp, op)
	}
	// The six waiting for the token's own slots give up after the query
	// timeout with 429; then the two in the store are let go.
	time.Sleep(1800 * time.Millisecond)
	if n := st.inside.Load(); n != 2 {
		t.Errorf("%d flooding requests inside the store after the timeout, want 2", n)
	}
	close(st.release)
	wg.Wait()
	n429 := 0
	for _, c := range codes {
		if c == http.StatusTooManyRequests {
			n429++
		}
	}
	if n429 != 6 {
		t.Errorf("flooding token's answers %v, want 6 × 429 (the requests that waited for its own slots)", codes)
	}
}

// TestMeAnswersWhileEverySlotIsHeld: /api/me runs no query and takes no
// slot.
func TestMeAnswersWhileEverySlotIsHeld(t *testing.T) {
	_, s, base, _, other := limitServerOf(t, Options{MaxConcurrent: 4, QueryTimeout: 2 * time.Second})
	for i := 0; i < cap(s.slots); i++ { // four queries of other users run
		s.slots <- struct{}{}
	}
	for _, path := range []string{"/api/me", "/api/categories"} {
		code, _, took := limitGet(t, base+path, other)
		if code != http.StatusOK || took > time.Second {
			t.Errorf("%s with every slot held: %d after %v, want 200 at once", path, code, took)
		}
	}
	if code, _, _ := limitGet(t, base+"/api/kpis", other); code != http.StatusServiceUnavailable {
		t.Errorf("/api/kpis with every slot held: %d, want 503", code)
	}
}

// TestQueriesCarryMaxExecutionTime: every query of a request runs with
// ClickHouse's max_execution_time set to what is left of the query
// timeout.
func TestQueriesCarryMaxExecutionTime(t *testing.T) {
	st, base, _, other := limitServer(t, Options{QueryTimeout: 20 * time.Second})
	if code, _, _ := limitGet(t, base+"/api/kpis", other); code != http.StatusOK {
		t.Fatalf("/api/kpis: %d", code)
	}
	if len(st.limits) != 1 || st.limits[0] < 19*time.Second || st.limits[0] > 20*time.Second {
		t.Errorf("max_execution_time of the query: %v, want 19–20 s (api.query_timeout 20 s)", st.limits)
	}
}

// TestLimitedAppliesTheBudgetAndQueryLimit: a handler of another part
// mounted with RequireRole and Limited (reports, warnings) counts against
// the token's request budget and runs with max_execution_time set.
func TestLimitedAppliesTheBudgetAndQueryLimit(t *testing.T) {
	_, s, base, _, other := limitServerOf(t, Options{TokenRate: 0.01, TokenBurst: 3, QueryTimeout: 10 * time.Second})
	var limits []time.Duration
	mux := http.NewServeMux()
	mux.Handle("GET /part", s.RequireRole()(s.Limited(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d, _ := store.QueryLimitFrom(r.Context())
		limits = append(limits, d)
	}))))
	hs := httptest.NewServer(mux)
	defer hs.Close()
	// One request of the budget goes to the API, two to the part; the next
	// to the part is refused.
	if code, _, _ := limitGet(t, base+"/api/me", other); code != http.StatusOK {
		t.Fatalf("/api/me: %d", code)
	}
	var codes []int
	for i := 0; i < 3; i++ {
		code, _, _ := limitGet(t, hs.URL+"/part", other)
		codes = append(codes, code)
	}
	if codes[0] != 200 || codes[1] != 200 || codes[2] != http.StatusTooManyRequests {
		t.Errorf("the part's answers %v, want 200 200 429 (budget of 3, one used by /api/me)", codes)
	}
	if len(limits) != 2 || limits[0] != 10*time.Second {
		t.Errorf("max_execution_time in the part's handler: %v, want 10s twice", limits)
	}
}
