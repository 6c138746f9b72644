package api

import (
	"container/list"
	"context"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/riskwatch/riskwatch/store"
)

// lru is a bounded map that drops its least recently used entry when full.
// It is not safe for concurrent use; its owner holds a lock.
type lru[V any] struct {
	max   int
	order *list.List // front = most recent; elements hold *lruEntry[V]
	items map[string]*list.Element
}

type lruEntry[V any] struct {
	key string
	val V
}

func newLRU[V any](max int) *lru[V] {
	return &lru[V]{max: max, order: list.New(), items: map[string]*list.Element{}}
}

func (c *lru[V]) get(k string) (V, bool) {
	if e, ok := c.items[k]; ok {
		c.order.MoveToFront(e)
		return e.Value.(*lruEntry[V]).val, true
	}
	var zero V
	return zero, false
}

func (c *lru[V]) put(k string, v V) {
	if e, ok := c.items[k]; ok {
		e.Value.(*lruEntry[V]).val = v
		c.order.MoveToFront(e)
		return
	}
	c.items[k] = c.order.PushFront(&lruEntry[V]{key: k, val: v})
	for len(c.items) > c.max {
		last := c.order.Back()
		delete(c.items, last.Value.(*lruEntry[V]).key)
		c.order.Remove(last)
	}
}

func (c *lru[V]) remove(k string) {
	if e, ok := c.items[k]; ok {
		delete(c.items, k)
		c.order.Remove(e)
	}
}

func (c *lru[V]) clear() {
	c.order.Init()
	clear(c.items)
}

// clientAddr is the address failures are counted against: the IP of the
// connection's peer, an IPv6 address cut to its /64 (one host usually holds
// a whole /64). Behind a reverse proxy this is the proxy.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return host
	}
	if ip4 := ip.To4(); ip4 != nil {
		return ip4.String()
	}
	return (&net.IPNet{IP: ip.Mask(net.CIDRMask(64, 128)), Mask: net.CIDRMask(64, 128)}).String()
}

// maxTrackedAddrs bounds the addresses whose failures are counted (the
// least recently failing one is forgotten first).
const maxTrackedAddrs = 65536

// failWindow counts one address's refused tokens in a fixed window.
type failWindow struct {
	start time.Time
	n     int
}

// failLimiter throttles authentication per client address: after limit
// refused tokens within window, further attempts are refused (429) until
// the window ends, without a token lookup.
type failLimiter struct {
	limit  int
	window time.Duration
	mu     sync.Mutex
	addrs  *lru[failWindow]
}

// fail counts a refused token from addr.
func (l *failLimiter) fail(addr string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	w, ok := l.addrs.get(addr)
	if !ok || now.Sub(w.start) >= l.window {
		w = failWindow{start: now}
	}
	w.n++
	l.addrs.put(addr, w)
}

// blocked returns how long addr must wait, 0 when it may try.
func (l *failLimiter) blocked(addr string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	w, ok := l.addrs.get(addr)
	if !ok || w.n < l.limit {
		return 0
	}
	if left := w.start.Add(l.window).Sub(now); left > 0 {
		return left
	}
	l.addrs.remove(addr)
	return 0
}

// failAuditKey is one coalesced row of refused authentication.
type failAuditKey struct {
	addr   string
	status uint16
}

// maxFailAuditRows bounds the coalesced rows waiting for their interval to
// end; the attempts of further addresses are added to one row of address
// "*".
const maxFailAuditRows = 10000

// failAudit coalesces the audit entries of refused authentication (401
// and 429 without a valid token): one entry per client address and status
// per interval, with the number of requests, instead of one per request.
type failAudit struct {
	every time.Duration
	mu    sync.Mutex
	rows  map[failAuditKey]*store.APIAuditEntry
}

func (f *failAudit) add(e store.APIAuditEntry, addr string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := failAuditKey{addr: addr, status: e.Status}
	if row, ok := f.rows[k]; ok {
		row.Requests++
		return
	}
	if len(f.rows) >= maxFailAuditRows {
		k.addr = "*"
		if row, ok := f.rows[k]; ok {
			row.Requests++
			return
		}
	}
	e.Remote, e.Requests = k.addr, 1
	f.rows[k] = &e
}

// due removes and returns the rows whose interval has ended (all of them
// when all is true).
func (f *failAudit) due(now time.Time, all bool) []store.APIAuditEntry {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []store.APIAuditEntry
	for k, row := range f.rows {
		if all || now.Sub(row.At) >= f.every {
			out = append(out, *row)
			delete(f.rows, k)
		}
	}
	return out
}

// useEvery is how often, at most, a token's last use is written.
const useEvery = time.Minute

// useTracker remembers when each token was last marked used and what
// waits to be written to api_token_use.
type useTracker struct {
	mu      sync.Mutex
	marked  map[string]time.Time // by token id
	pending map[string]store.APITokenUse
}

// used notes a request of token id; it queues a write only when the
// token's previous mark is at least useEvery old.
func (u *useTracker) used(id, addr string, now time.Time) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if last, ok := u.marked[id]; ok && now.Sub(last) < useEvery {
		return
	}
	u.marked[id] = now
	u.pending[id] = store.APITokenUse{ID: id, LastUsed: now, Remote: addr}
}

func (u *useTracker) take() []store.APITokenUse {
	u.mu.Lock()
	defer u.mu.Unlock()
	out := make([]store.APITokenUse, 0, len(u.pending))
	for _, x := range u.pending {
		out = append(out, x)
	}
	clear(u.pending)
	return out
}

// housekeeping writes the coalesced failure rows whose interval ended
// (every second) and the tokens' last use (every useFlush) until ctx ends,
// then everything left.
func (s *Server) housekeeping(ctx context.Context, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	lastUse := time.Now()
	for {
		select {
		case <-ctx.Done():
			s.flushAuth(true)
			return
		case <-t.C:
			s.flushAuth(false)
			if time.Since(lastUse) >= useFlush {
				s.flushUses()
				lastUse = time.Now()
			}
		}
	}
}

// useFlush is how often pending last-use marks are written.
const useFlush = 10 * time.Second

func (s *Server) flushAuth(all bool) {
	if s.audit != nil {
		for _, e := range s.auth.failAudit.due(s.now(), all) {
			s.audit.add(e)
		}
	}
	if all {
		s.flushUses()
	}
}

func (s *Server) flushUses() {
	us := s.auth.uses.take()
	if len(us) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.auth.st.APIMarkTokensUsed(ctx, us); err != nil {
		s.log.Error("cannot write the API tokens' last use", "tokens", len(us), "err", err)
	}
}
