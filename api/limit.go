package api

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/riskwatch/riskwatch/store"
)

// tokenLimits keeps one token from crowding out the others: a token bucket
// per token (its request rate) and a few query slots per token (its share
// of the server's query slots). Entries exist only for tokens that were
// authenticated, so the map is bounded by the number of tokens; idle
// entries are dropped when it grows.
type tokenLimits struct {
	rate        float64 // requests a second
	burst       float64
	concurrency int
	now         func() time.Time

	mu     sync.Mutex
	tokens map[string]*tokenState
}

type tokenState struct {
	level float64   // requests left in the bucket
	at    time.Time // when level was computed
	slots chan struct{}
	// running counts the token's requests holding a slot (enter, leave).
	running int
}

// tokenLimitsSweep is the map size at which idle entries are dropped.
const tokenLimitsSweep = 4096

func newTokenLimits(rate float64, burst, concurrency int, now func() time.Time) *tokenLimits {
	return &tokenLimits{rate: rate, burst: float64(burst), concurrency: concurrency, now: now, tokens: map[string]*tokenState{}}
}

func (l *tokenLimits) state(id string, now time.Time) *tokenState {
	st, ok := l.tokens[id]
	if !ok {
		if len(l.tokens) >= tokenLimitsSweep {
			for k, v := range l.tokens {
				if len(v.slots) == 0 && v.running == 0 && v.level+now.Sub(v.at).Seconds()*l.rate >= l.burst {
					delete(l.tokens, k)
				}
			}
		}
		st = &tokenState{level: l.burst, at: now, slots: make(chan struct{}, l.concurrency)}
		l.tokens[id] = st
	}
	return st
}

// allow takes one request from the token's bucket; when it is empty it
// returns false and how long until the next request is allowed.
func (l *tokenLimits) allow(id string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	st := l.state(id, now)
	if el := now.Sub(st.at).Seconds(); el > 0 {
		st.level = math.Min(l.burst, st.level+el*l.rate)
	}
	st.at = now
	if st.level >= 1 {
		st.level--
		return true, 0
	}
	return false, time.Duration((1 - st.level) / l.rate * float64(time.Second))
}

// slots returns the token's own query slots.
func (l *tokenLimits) slots(id string) chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.state(id, l.now()).slots
}

// enter counts a query of the token that took one of its slots and returns
// its ClickHouse priority: 1 when it is the token's only query, 2 when the
// token has others running, so that a token running queries in parallel
// yields to the tokens that run one. leave undoes enter.
func (l *tokenLimits) enter(id string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	st := l.state(id, l.now())
	st.running++
	if st.running > 1 {
		return 2
	}
	return 1
}

func (l *tokenLimits) leave(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if st, ok := l.tokens[id]; ok && st.running > 0 {
		st.running--
	}
}

// retryAfter is d in whole seconds, at least 1, for a Retry-After header.
func retryAfter(d time.Duration) string {
	return strconv.Itoa(max(1, int(math.Ceil(d.Seconds()))))
}

// rateLimited answers 429 when the principal's token has used up its
// request budget (api.token_rate, api.token_burst).
func (s *Server) rateLimited(w http.ResponseWriter, r *http.Request, p Principal) bool {
	ok, wait := s.limits.allow(p.TokenID)
	if ok {
		return false
	}
	w.Header().Set("Retry-After", retryAfter(wait))
	writeError(w, r, http.StatusTooManyRequests, "", "请求过于频繁，请稍后重试 (too many requests from this token: api.token_rate, api.token_burst)")
	return true
}

// acquire takes one of the token's own query slots, then one of the
// server's, waiting up to ctx's end for each, and returns the queries'
// ClickHouse priority (see enter); it writes 429 (the token's own requests
// fill its slots) or 503 (the server is busy) and returns false when it
// cannot. A request waiting for its token's slot holds none
// of the server's, so one token's queue never delays another token.
func (s *Server) acquire(ctx context.Context, w http.ResponseWriter, r *http.Request, p Principal) (release func(), priority int, ok bool) {
	// A slot freed just as ctx ends may still be taken: ctx is checked
	// again after each, so that a request never runs out of time.
	own := s.limits.slots(p.TokenID)
	gotOwn := false
	select {
	case own <- struct{}{}:
		if gotOwn = ctx.Err() == nil; !gotOwn {
			<-own
		}
	case <-ctx.Done():
	}
	if !gotOwn {
		w.Header().Set("Retry-After", retryAfter(s.o.QueryTimeout/2))
		writeError(w, r, http.StatusTooManyRequests, "", "该令牌同时进行的查询过多，请稍后重试 (too many queries of this token at once: api.token_max_concurrent)")
		return nil, 0, false
	}
	select {
	case s.slots <- struct{}{}:
		if ctx.Err() == nil {
			prio := s.limits.enter(p.TokenID)
			return func() { s.limits.leave(p.TokenID); <-s.slots; <-own }, prio, true
		}
		<-s.slots
	case <-ctx.Done():
	}
	<-own
	w.Header().Set("Retry-After", "5")
	writeError(w, r, http.StatusServiceUnavailable, "", "服务繁忙，请稍后重试 (too many API queries at once: api.max_concurrent)")
	return nil, 0, false
}

// Limited applies the token's request budget (api.token_rate,
// api.token_burst) to a handler mounted behind RequireRole by another part
// (reports, warnings), and runs it under the query timeout with
// ClickHouse's max_execution_time set, like the API's own routes. It takes
// no query slot.
func (s *Server) Limited(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := PrincipalFrom(r.Context())
		if s.rateLimited(w, r, p) {
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), s.o.QueryTimeout)
		defer cancel()
		h.ServeHTTP(w, r.WithContext(store.WithQueryLimit(ctx, s.o.QueryTimeout)))
	})
}
