package api_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/api"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

// clock is a settable time for the server under test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// guarded is a server whose RequireRole wraps a handler answering 204,
// called in-process so that each request can come from any address.
type guarded struct {
	srv *api.Server
	fs  *fakeStore
	clk *clock
	h   http.Handler
}

func newGuarded(t *testing.T, o api.Options, toks map[string]store.APIToken) *guarded {
	t.Helper()
	reg, err := schemas.LoadTongliao()
	if err != nil {
		t.Fatal(err)
	}
	g := &guarded{fs: &fakeStore{toks: map[string]store.APIToken{}}, clk: &clock{t: time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)}}
	for tok, v := range toks {
		g.fs.toks[api.HashToken(tok)] = v
	}
	o.Store, o.Regions, o.Now = g.fs, reg, g.clk.now
	if g.srv, err = api.New(o); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.srv.Close)
	g.h = g.srv.RequireRole()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	return g
}

func (g *guarded) do(token, remote string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("GET", "/x", nil)
	r.RemoteAddr = remote
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	g.h.ServeHTTP(w, r)
	return w
}

func (g *guarded) lookups() int {
	g.fs.mu.Lock()
	defer g.fs.mu.Unlock()
	return g.fs.lookups
}

func randomToken(t *testing.T) string {
	t.Helper()
	tok, _, err := api.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestBadTokensThrottledPerAddress: after api.auth_fail_limit refused
// tokens within the window, an address gets 429 with Retry-After and no
// token lookup; a token already known from the cache still passes from it;
// other addresses (an IPv6 /64 counts as one) are not affected; the
// window's end lifts the block; the refusals are audited as a few rows
// with counts, not one per request.
func TestBadTokensThrottledPerAddress(t *testing.T) {
	good := randomToken(t)
	g := newGuarded(t, api.Options{TokenCacheTTL: 10 * time.Second, AuthFailLimit: 5, AuthFailWindow: time.Minute, Audit: true},
		map[string]store.APIToken{good: {ID: "g1", Name: "good", Role: api.RoleAnalyst}})
	const a = "10.1.2.3:4000"
	if w := g.do(good, a); w.Code != 204 {
		t.Fatalf("good token: %d", w.Code)
	}
	var n401, n429 int
	for i := 0; i < 100; i++ {
		w := g.do(randomToken(t), fmt.Sprintf("10.1.2.3:%d", 5000+i))
		switch w.Code {
		case 401:
			n401++
		case 429:
			n429++
			ra, err := strconv.Atoi(w.Header().Get("Retry-After"))
			if err != nil || ra < 1 || ra > 60 {
				t.Fatalf("429 with Retry-After %q, want 1–60 s", w.Header().Get("Retry-After"))
			}
		default:
			t.Fatalf("random token: %d", w.Code)
		}
	}
	if n401 != 5 || n429 != 95 {
		t.Errorf("100 random tokens from one address: %d × 401, %d × 429; want 5 and 95", n401, n429)
	}
	if got := g.lookups(); got != 6 {
		t.Errorf("%d token lookups, want 6 (the good token and the 5 refused before the block)", got)
	}
	if w := g.do(good, a); w.Code != 204 {
		t.Errorf("the cached good token from the blocked address: %d, want 204", w.Code)
	}
	if w := g.do(randomToken(t), "10.9.9.9:1"); w.Code != 401 {
		t.Errorf("another address: %d, want 401", w.Code)
	}
	// One IPv6 /64 is one address.
	for i := 0; i < 5; i++ {
		g.do(randomToken(t), fmt.Sprintf("[2001:db8:1:2::%x]:443", i+1))
	}
	if w := g.do(randomToken(t), "[2001:db8:1:2:ffff::9]:443"); w.Code != 429 {
		t.Errorf("sixth bad token from the same /64: %d, want 429", w.Code)
	}
	if w := g.do(randomToken(t), "[2001:db8:1:3::1]:443"); w.Code != 401 {
		t.Errorf("a bad token from another /64: %d, want 401", w.Code)
	}
	g.clk.add(61 * time.Second)
	before := g.lookups()
	if w := g.do(randomToken(t), a); w.Code != 401 || g.lookups() != before+1 {
		t.Errorf("after the window: %d with %d lookups, want 401 after one lookup", w.Code, g.lookups()-before)
	}
	g.srv.Close()
	g.fs.mu.Lock()
	defer g.fs.mu.Unlock()
	sum := map[string]uint32{}
	for _, e := range g.fs.audit {
		if e.TokenID == "" {
			sum[fmt.Sprintf("%s %d", e.Remote, e.Status)] += e.Requests
		}
	}
	want := map[string]uint32{"10.1.2.3 401": 6, "10.1.2.3 429": 95, "10.9.9.9 401": 1,
		"2001:db8:1:2::/64 401": 5, "2001:db8:1:2::/64 429": 1, "2001:db8:1:3::/64 401": 1}
	if fmt.Sprint(sum) != fmt.Sprint(want) {
		t.Errorf("refused requests audited per address and status: %v, want %v", sum, want)
	}
	if rows := len(g.fs.audit) - 2; rows > 8 {
		t.Errorf("%d audit rows for 110 refused requests, want one per address, status and interval", rows)
	}
}

// TestUnknownTokensCachedBriefly: a token found unknown is not looked up
// again within the cache time; after it, it is.
func TestUnknownTokensCachedBriefly(t *testing.T) {
	g := newGuarded(t, api.Options{TokenCacheTTL: 10 * time.Second, AuthFailLimit: 1000}, nil)
	bad := randomToken(t)
	for i := 0; i < 20; i++ {
		if w := g.do(bad, "10.0.0.1:1"); w.Code != 401 {
			t.Fatalf("unknown token: %d", w.Code)
		}
	}
	if got := g.lookups(); got != 1 {
		t.Errorf("%d lookups of one unknown token within the cache time, want 1", got)
	}
	g.clk.add(11 * time.Second)
	g.do(bad, "10.0.0.1:1")
	if got := g.lookups(); got != 2 {
		t.Errorf("%d lookups after the cache time, want 2", got)
	}
}

// TestTokenCacheEvictsLeastRecentlyUsed: when more tokens are in use than
// the cache holds, the least recently used one is dropped, not the whole
// cache: a token in steady use is never looked up again, and a flood of
// unknown tokens does not push known ones out.
func TestTokenCacheEvictsLeastRecentlyUsed(t *testing.T) {
	const n = 4200
	toks := map[string]store.APIToken{}
	list := make([]string, n)
	for i := range list {
		list[i] = randomToken(t)
		toks[list[i]] = store.APIToken{ID: fmt.Sprint("t", i), Name: "n", Role: api.RoleAnalyst}
	}
	hot := randomToken(t)
	toks[hot] = store.APIToken{ID: "hot", Name: "hot", Role: api.RoleAnalyst}
	g := newGuarded(t, api.Options{TokenCacheTTL: time.Hour, AuthFailLimit: 100000}, toks)
	g.do(hot, "10.0.0.1:1")
	for i, tok := range list {
		if w := g.do(tok, "10.0.0.1:1"); w.Code != 204 {
			t.Fatalf("token %d: %d", i, w.Code)
		}
		if i%1000 == 0 {
			g.do(hot, "10.0.0.1:1")
		}
	}
	// A flood of unknown tokens from many addresses.
	for i := 0; i < 5000; i++ {
		g.do(randomToken(t), fmt.Sprintf("10.2.%d.%d:1", i/250, i%250))
	}
	before := g.lookups()
	if w := g.do(hot, "10.0.0.1:1"); w.Code != 204 || g.lookups() != before {
		t.Errorf("the token in steady use: %d after %d lookups, want 204 from the cache", w.Code, g.lookups()-before)
	}
	if w := g.do(list[n-1], "10.0.0.1:1"); w.Code != 204 || g.lookups() != before {
		t.Errorf("the most recent token: %d after %d lookups, want 204 from the cache", w.Code, g.lookups()-before)
	}
	if w := g.do(list[0], "10.0.0.1:1"); w.Code != 204 || g.lookups() != before+1 {
		t.Errorf("the least recently used token: %d after %d lookups, want one lookup (evicted)", w.Code, g.lookups()-before)
	}
}

// TestRevocationSeenAtTheNextGenerationCheck: a cached token that another
// process revokes (the store's token generation changes) is refused at the
// first generation check after the revocation: at once with
// RevocationCheck 0, within RevocationCheck otherwise, long before the
// cache time ends.
func TestRevocationSeenAtTheNextGenerationCheck(t *testing.T) {
	for _, every := range []time.Duration{0, time.Second} {
		good := randomToken(t)
		g := newGuarded(t, api.Options{TokenCacheTTL: time.Minute, RevocationCheck: every},
			map[string]store.APIToken{good: {ID: "g1", Name: "good", Role: api.RoleAnalyst}})
		for i := 0; i < 3; i++ {
			if w := g.do(good, "10.0.0.1:1"); w.Code != 204 {
				t.Fatalf("check %v: good token: %d", every, w.Code)
			}
		}
		// `riskwatch token revoke` in another process.
		g.fs.mu.Lock()
		tk := g.fs.toks[api.HashToken(good)]
		tk.Revoked = true
		g.fs.toks[api.HashToken(good)] = tk
		g.fs.gen++
		g.fs.mu.Unlock()
		w := g.do(good, "10.0.0.1:1")
		if every == 0 {
			if w.Code != 401 {
				t.Errorf("check on every request: the request after the revocation got %d, want 401", w.Code)
			}
			continue
		}
		if w.Code != 204 {
			t.Errorf("check %v: within the check interval got %d, want 204 (the bound is the interval)", every, w.Code)
		}
		g.clk.add(every)
		if w := g.do(good, "10.0.0.1:1"); w.Code != 401 {
			t.Errorf("check %v: %v after the revocation got %d, want 401", every, every, w.Code)
		}
		g.fs.mu.Lock()
		checks := g.fs.genChecks
		g.fs.mu.Unlock()
		if checks > 3 {
			t.Errorf("check %v: %d generation queries for 5 requests within 1 s, want at most 3", every, checks)
		}
	}
}

// TestExpiredTokenRefused: a token works until its expiry and gets 401
// naming the expiry from then on, cached or not.
func TestExpiredTokenRefused(t *testing.T) {
	tok := randomToken(t)
	exp := time.Date(2026, 12, 7, 11, 0, 0, 0, time.UTC)
	g := newGuarded(t, api.Options{TokenCacheTTL: 2 * time.Hour, RevocationCheck: time.Hour},
		map[string]store.APIToken{tok: {ID: "e1", Name: "temp", Role: api.RoleAnalyst, Expires: &exp}})
	if w := g.do(tok, "10.0.0.1:1"); w.Code != 204 {
		t.Fatalf("before the expiry: %d", w.Code)
	}
	g.clk.add(time.Hour - time.Second)
	if w := g.do(tok, "10.0.0.1:1"); w.Code != 204 {
		t.Fatalf("a second before the expiry: %d", w.Code)
	}
	g.clk.add(time.Second)
	w := g.do(tok, "10.0.0.1:1")
	if w.Code != 401 || !strings.Contains(w.Body.String(), "expired") {
		t.Errorf("at the expiry (cached): %d %s, want 401 saying it expired", w.Code, w.Body.String())
	}
}

// TestLastUseWrittenOncePerMinute: many requests of a token within a
// minute make one last-use write, not one per request.
func TestLastUseWrittenOncePerMinute(t *testing.T) {
	tok := randomToken(t)
	g := newGuarded(t, api.Options{TokenCacheTTL: time.Hour, RevocationCheck: time.Hour},
		map[string]store.APIToken{tok: {ID: "u1", Name: "user", Role: api.RoleAnalyst}})
	start := g.clk.now()
	for i := 0; i < 60; i++ {
		if w := g.do(tok, "10.0.0.7:1234"); w.Code != 204 {
			t.Fatalf("request %d: %d", i, w.Code)
		}
		g.clk.add(time.Second - time.Millisecond)
	}
	g.srv.Close()
	g.fs.mu.Lock()
	defer g.fs.mu.Unlock()
	if len(g.fs.uses) != 1 || g.fs.uses[0].ID != "u1" || !g.fs.uses[0].LastUsed.Equal(start) || g.fs.uses[0].Remote != "10.0.0.7" {
		t.Errorf("last-use writes for 60 requests within a minute: %+v, want one of u1 at %s from 10.0.0.7", g.fs.uses, start)
	}
}
