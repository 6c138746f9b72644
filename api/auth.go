package api

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

// Roles a token can have.
const (
	// RoleLeader sees the aggregates (trends, indices, alarms, warnings)
	// but not the case list.
	RoleLeader = "leader"
	// RoleAnalyst sees everything in its scope.
	RoleAnalyst = "analyst"
	// RoleCenterOperator runs a center: everything in its scope, the case
	// list and supervision included.
	RoleCenterOperator = "center_operator"
	// RoleAdmin sees everything in its scope and may read the audit log.
	RoleAdmin = "admin"
)

// Roles are the valid roles.
var Roles = []string{RoleLeader, RoleAnalyst, RoleCenterOperator, RoleAdmin}

// RoleNames are the roles' Chinese names.
var RoleNames = map[string]string{RoleLeader: "领导", RoleAnalyst: "分析员", RoleCenterOperator: "中心操作员", RoleAdmin: "管理员"}

// tokenPrefix starts every token, so that a leaked one is recognisable.
const tokenPrefix = "rwk_"

// NewToken returns a fresh random token (32 bytes of crypto/rand) and its id
// (8 random bytes in hex), to be shown once; only HashToken(token) is
// stored.
func NewToken() (token, id string, err error) {
	b := make([]byte, 40)
	if _, err := rand.Read(b); err != nil {
		return "", "", fmt.Errorf("cannot make a token: %w", err)
	}
	return tokenPrefix + base64.RawURLEncoding.EncodeToString(b[:32]), hex.EncodeToString(b[32:]), nil
}

// HashToken is the stored form of a token: the hex SHA-256.
func HashToken(token string) string {
	s := sha256.Sum256([]byte(token))
	return hex.EncodeToString(s[:])
}

// ScopePrefix returns the division-code prefix of a region: the digits
// that every code below it shares (通辽市 150500000000 → "1505", 科左中旗
// 150521000000 → "150521", a town → 9 digits, a village → all 12). Codes that
// are not 12-digit statistical codes are their own prefix.
func ScopePrefix(r schemas.Region) string {
	if len(r.Code) != 12 || strings.Trim(r.Code, "0123456789") != "" {
		return r.Code
	}
	n := map[schemas.Level]int{schemas.LevelProvince: 2, schemas.LevelCity: 4, schemas.LevelCounty: 6, schemas.LevelTown: 9}[r.Level]
	if n == 0 {
		return r.Code
	}
	return r.Code[:n]
}

// ParseScope checks a scope given at token creation: a region code (6-, 9-
// or 12-digit, or the prefix form) of the registry, or "" for everything.
// It returns the stored prefix and the region.
func ParseScope(reg *schemas.Registry, scope string) (string, schemas.Region, error) {
	if scope == "" {
		return "", reg.Root(), nil
	}
	code, ok := reg.Normalize(scope)
	if !ok && len(scope) < 12 && strings.Trim(scope, "0123456789") == "" {
		code, ok = reg.Normalize(scope + strings.Repeat("0", 12-len(scope)))
	}
	if !ok {
		return "", schemas.Region{}, fmt.Errorf("scope: %q is not a region code of the registry", scope)
	}
	r, _ := reg.Lookup(code)
	return ScopePrefix(r), r, nil
}

// Principal is the authenticated caller of a request.
type Principal struct {
	TokenID, Name, Role string
	// Scope is the division-code prefix the caller may see ("" = all).
	Scope string
}

type principalKey struct{}

// ScopeFrom returns the region scope (a division-code prefix, "" = the
// whole registry) and the role of the request's token; ok is false when
// the request was not authenticated by this package. Other parts mounted
// behind RequireRole use it to restrict their own queries.
func ScopeFrom(ctx context.Context) (prefix, role string, ok bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p.Scope, p.Role, ok
}

// PrincipalFrom returns the request's authenticated caller.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// WithPrincipal returns ctx carrying p (for tests of other parts).
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// TokenStore is what authentication needs from the store.
type TokenStore interface {
	APITokenByHash(ctx context.Context, hash string) (store.APIToken, bool, error)
	// APITokenGeneration changes whenever a token is revoked.
	APITokenGeneration(ctx context.Context) (uint64, error)
	APIMarkTokensUsed(ctx context.Context, us []store.APITokenUse) error
}

// authenticator resolves tokens. Known tokens and unknown ones are cached
// for ttl in two bounded LRU maps (a flood of bad tokens cannot push out
// the good ones); both are dropped when the store's token generation
// changes, which is checked at most every revocationCheck, so a revocation
// made by another process bites within that time.
type authenticator struct {
	st              TokenStore
	ttl             time.Duration
	revocationCheck time.Duration
	now             func() time.Time

	mu  sync.Mutex
	pos *lru[cachedToken] // by hash: tokens found (revoked ones go to neg)
	neg *lru[time.Time]   // by hash: when the token was found unknown

	genMu      sync.Mutex
	gen        uint64
	genChecked time.Time // start of the last generation check

	fails     *failLimiter
	failAudit *failAudit
	uses      *useTracker
}

type cachedToken struct {
	tok     store.APIToken
	fetched time.Time
}

// maxCachedTokens bounds each of the two caches.
const maxCachedTokens = 4096

func newAuthenticator(st TokenStore, o Options) *authenticator {
	return &authenticator{st: st, ttl: o.TokenCacheTTL, revocationCheck: o.RevocationCheck, now: o.Now,
		pos: newLRU[cachedToken](maxCachedTokens), neg: newLRU[time.Time](maxCachedTokens),
		fails:     &failLimiter{limit: o.AuthFailLimit, window: o.AuthFailWindow, addrs: newLRU[failWindow](maxTrackedAddrs)},
		failAudit: &failAudit{every: o.AuthFailWindow, rows: map[failAuditKey]*store.APIAuditEntry{}},
		uses:      &useTracker{marked: map[string]time.Time{}, pending: map[string]store.APITokenUse{}}}
}

// tokenOf returns the token a request presents: the Authorization Bearer
// header, or, for GET and HEAD only, the rw_token cookie the console sets
// (a request that changes something must carry the header, so a forged
// cross-site form can never ride on the cookie).
func tokenOf(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		if t, ok := strings.CutPrefix(h, "Bearer "); ok {
			return strings.TrimSpace(t)
		}
		return ""
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return ""
	}
	if c, err := r.Cookie("rw_token"); err == nil {
		return c.Value
	}
	return ""
}

// authResult is the outcome of authentication.
type authResult int

const (
	authOK authResult = iota
	authMissing
	authInvalid // unknown or revoked
	authExpired
	authThrottled
)

// syncGeneration drops both caches when the token generation changed
// since the last check; it asks the store at most every revocationCheck.
func (a *authenticator) syncGeneration(ctx context.Context) error {
	a.genMu.Lock()
	defer a.genMu.Unlock()
	start := a.now()
	if !a.genChecked.IsZero() && start.Sub(a.genChecked) < a.revocationCheck {
		return nil
	}
	g, err := a.st.APITokenGeneration(ctx)
	if err != nil {
		return err
	}
	if g != a.gen {
		a.mu.Lock()
		a.pos.clear()
		a.neg.clear()
		a.mu.Unlock()
		a.gen = g
	}
	a.genChecked = start
	return nil
}

// authenticate resolves the token a request from addr presents. A token
// known from the cache passes even while addr is throttled (a shared
// address is not locked out by someone else's guessing); any other token
// from a throttled address is refused without a lookup (retry says how
// long). Refused tokens count against addr.
func (a *authenticator) authenticate(ctx context.Context, token, addr string) (p Principal, res authResult, retry time.Duration, err error) {
	if token == "" {
		return Principal{}, authMissing, 0, nil
	}
	now := a.now()
	h := HashToken(token)
	var c cachedToken
	hit := false
	if a.ttl > 0 {
		a.mu.Lock()
		c, hit = a.pos.get(h)
		a.mu.Unlock()
		if hit && now.Sub(c.fetched) >= a.ttl {
			hit = false
		}
		if hit {
			if err := a.syncGeneration(ctx); err != nil {
				return Principal{}, 0, 0, err
			}
			a.mu.Lock()
			c, hit = a.pos.get(h) // gone when the generation changed
			a.mu.Unlock()
		}
	}
	if !hit {
		if d := a.fails.blocked(addr, now); d > 0 {
			return Principal{}, authThrottled, d, nil
		}
		if len(token) > 200 {
			a.fails.fail(addr, now)
			return Principal{}, authInvalid, 0, nil
		}
		if a.ttl > 0 {
			a.mu.Lock()
			at, neg := a.neg.get(h)
			a.mu.Unlock()
			if neg && now.Sub(at) < a.ttl {
				a.fails.fail(addr, now)
				return Principal{}, authInvalid, 0, nil
			}
		}
		t, ok, err := a.st.APITokenByHash(ctx, h)
		if err != nil {
			return Principal{}, 0, 0, err
		}
		ok = ok && !t.Revoked
		if a.ttl > 0 {
			a.mu.Lock()
			if ok {
				a.pos.put(h, cachedToken{tok: t, fetched: now})
				a.neg.remove(h)
			} else {
				a.neg.put(h, now)
				a.pos.remove(h)
			}
			a.mu.Unlock()
		}
		if !ok {
			a.fails.fail(addr, now)
			return Principal{}, authInvalid, 0, nil
		}
		c = cachedToken{tok: t, fetched: now}
	}
	if c.tok.Expires != nil && !now.Before(*c.tok.Expires) {
		a.fails.fail(addr, now)
		return Principal{}, authExpired, 0, nil
	}
	a.uses.used(c.tok.ID, addr, now)
	return Principal{TokenID: c.tok.ID, Name: c.tok.Name, Role: c.tok.Role, Scope: c.tok.Scope}, authOK, 0, nil
}

// RequireRole returns a middleware that lets a request through only with a
// valid token of one of the roles (any role when none is given): 401
// without a valid token, 403 with a token of another role. The handler sees
// the token's scope through ScopeFrom. Requests are written to the audit
// log.
func (s *Server) RequireRole(roles ...string) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s.serveAuthenticated(w, r, roles, h)
		})
	}
}

// RequireRole is the package-level form for handlers mounted behind a
// Server's authentication: it checks the role of the principal already in
// the request's context (401 when there is none).
func RequireRole(roles ...string) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p, ok := PrincipalFrom(r.Context())
			if !ok {
				writeError(w, r, http.StatusUnauthorized, "token", "需要有效的访问令牌 (a valid API token is required)")
				return
			}
			if len(roles) > 0 && !slices.Contains(roles, p.Role) {
				writeError(w, r, http.StatusForbidden, "token", "该令牌的角色无权访问 (role "+p.Role+" may not use this endpoint)")
				return
			}
			h.ServeHTTP(w, r)
		})
	}
}

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// rowCount carries the number of rows a handler returned, for the audit log.
type rowCount struct{ n uint64 }

type rowCountKey struct{}

// setRows records the rows a response holds.
func setRows(ctx context.Context, n int) {
	if rc, ok := ctx.Value(rowCountKey{}).(*rowCount); ok {
		rc.n = uint64(n)
	}
}

func (s *Server) serveAuthenticated(w http.ResponseWriter, r *http.Request, roles []string, h http.Handler) {
	start := s.now()
	sw := &statusWriter{ResponseWriter: w}
	rc := &rowCount{}
	addr := clientAddr(r)
	p, res, wait, err := s.auth.authenticate(r.Context(), tokenOf(r), addr)
	switch {
	case err != nil:
		s.log.Error("cannot look up an API token", "err", err)
		writeError(sw, r, http.StatusServiceUnavailable, "", "暂时无法校验令牌 (cannot check the token now)")
	case res == authThrottled:
		sw.Header().Set("Retry-After", retryAfter(wait))
		writeError(sw, r, http.StatusTooManyRequests, "token", "无效令牌尝试过多，请稍后再试 (too many refused tokens from this address; retry after "+retryAfter(wait)+" s)")
	case res == authExpired:
		writeError(sw, r, http.StatusUnauthorized, "token", "令牌已过期 (the API token has expired)")
	case res != authOK:
		writeError(sw, r, http.StatusUnauthorized, "token", "需要有效的访问令牌 (a valid, unrevoked API token is required)")
	case len(roles) > 0 && !slices.Contains(roles, p.Role):
		writeError(sw, r, http.StatusForbidden, "token", "该令牌的角色无权访问 (role "+p.Role+" may not use this endpoint)")
	default:
		if err := checkRawQuery(r.URL.RawQuery); err != nil {
			writeErr(sw, r, err, s.log)
			break
		}
		ctx := context.WithValue(WithPrincipal(r.Context(), p), rowCountKey{}, rc)
		h.ServeHTTP(sw, r.WithContext(ctx))
	}
	if s.audit != nil {
		e := store.APIAuditEntry{
			At: start, TokenID: p.TokenID, TokenName: p.Name, Role: p.Role, Scope: p.Scope,
			Method: r.Method, Path: r.URL.Path, Query: truncate(auditQuery(r.URL.RawQuery), 2000), Status: uint16(sw.status),
			Rows: rc.n, DurationMS: uint32(s.now().Sub(start).Milliseconds()), Remote: r.RemoteAddr,
		}
		if res == authOK || err != nil {
			s.audit.add(e)
		} else {
			// Refused authentication: one row per address, status and
			// interval, with the count.
			s.auth.failAudit.add(e, addr)
		}
	}
}

// tokenLike is a token of this service anywhere in a string.
var tokenLike = regexp.MustCompile(tokenPrefix + `[A-Za-z0-9_\-%]+`)

// auditQuery is the query string as the audit log keeps it: without any
// parameter named token in any case or spelling (token, TOKEN, %74oken,
// access_token, rw_token…), and with anything else that looks like a token
// cut to its prefix, so that the log never holds a credential.
func auditQuery(raw string) string {
	if raw == "" {
		return ""
	}
	parts := strings.FieldsFunc(raw, func(r rune) bool { return r == '&' || r == ';' })
	kept := parts[:0]
	for _, p := range parts {
		k, _, _ := strings.Cut(p, "=")
		if u, err := url.QueryUnescape(k); err == nil {
			k = u
		}
		if strings.HasSuffix(strings.ToLower(strings.TrimSpace(k)), "token") {
			continue
		}
		kept = append(kept, p)
	}
	return tokenLike.ReplaceAllString(strings.Join(kept, "&"), tokenPrefix+"…")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
