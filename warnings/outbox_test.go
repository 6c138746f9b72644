package warnings_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/warnings"
	"github.com/riskwatch/riskwatch/warnings/channel"
)

// flakyReceiver refuses every request (503) until it is switched on, then
// accepts; it counts accepted requests per idempotency key.
type flakyReceiver struct {
	mu       sync.Mutex
	up       bool
	accepted map[string]int
	refused  int
}

func (f *flakyReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	key := r.Header.Get("Idempotency-Key")
	if !f.up {
		f.refused++
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		return
	}
	f.accepted[key]++
	w.WriteHeader(http.StatusOK)
}

func (f *flakyReceiver) setUp(up bool) { f.mu.Lock(); f.up = up; f.mu.Unlock() }

func (f *flakyReceiver) snapshot() (map[string]int, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := map[string]int{}
	for k, v := range f.accepted {
		m[k] = v
	}
	return m, f.refused
}

type memLog struct {
	mu sync.Mutex
	ds []warnings.Delivery
}

func (m *memLog) WriteDeliveries(_ context.Context, ds []warnings.Delivery) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ds = append(m.ds, ds...)
	return nil
}

func (m *memLog) all() []warnings.Delivery {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]warnings.Delivery(nil), m.ds...)
}

func enqueue(t *testing.T, ob *warnings.Outbox, n int, now time.Time) []string {
	t.Helper()
	var c warnings.Change
	var keys []string
	for i := range n {
		note := warnings.Notification{ID: fmt.Sprintf("n%03d", i), GroupKey: "g", Receiver: "150521100000", ReceiverName: "保康镇",
			Reason: warnings.ReasonFirst, CreatedAt: now, Firing: []warnings.Warning{{ID: fmt.Sprintf("w%03d", i), Level: warnings.Orange,
				Title: "测试预警", State: warnings.Firing}}}
		id := warnings.DeliveryID(note.ID, "hook")
		keys = append(keys, id)
		c.Enqueue = append(c.Enqueue, warnings.Entry{DeliveryID: id, Channel: "hook", Notification: note, NextAt: now, CreatedAt: now})
	}
	if err := ob.Commit(c); err != nil {
		t.Fatal(err)
	}
	return keys
}

func startSenders(t *testing.T, ob *warnings.Outbox, url string, log warnings.DeliveryLog) (stop func()) {
	t.Helper()
	ch, err := channel.New(channel.Options{Type: channel.TypeWebhook, URL: url, Secret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = ob.RunSenders(ctx, warnings.SenderOptions{
			Channels:    []warnings.ChannelSpec{{Name: "hook", Type: channel.TypeWebhook, Channel: ch}},
			BaseBackoff: 10 * time.Millisecond, MaxBackoff: 80 * time.Millisecond, Timeout: 5 * time.Second,
			DeliveryLog: log,
		})
	}()
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			cancel()
			<-done
		}
	}
	t.Cleanup(stop)
	return stop
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A receiver that is down for a while, then up, gets every notification
// exactly once, also across a restart of the outbox while it is down.
func TestOutboxDeliversEverythingOnceAfterOutageAndRestart(t *testing.T) {
	rcv := &flakyReceiver{accepted: map[string]int{}}
	srv := httptest.NewServer(rcv)
	t.Cleanup(srv.Close)
	path := filepath.Join(t.TempDir(), "outbox.db")
	ob, err := warnings.OpenOutbox(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ob.Close() })
	keys := enqueue(t, ob, 30, time.Now())
	log := &memLog{}
	stop := startSenders(t, ob, srv.URL, log)
	waitFor(t, "several refusals", func() bool { _, refused := rcv.snapshot(); return refused >= 3 })

	// Restart while the receiver is still down: nothing is lost.
	stop()
	if err := ob.Close(); err != nil {
		t.Fatal(err)
	}
	if err := ob.Close(); err != nil { // safe twice
		t.Fatal(err)
	}
	ob, err = warnings.OpenOutbox(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ob.Close() })
	p, err := ob.Pending()
	if err != nil || len(p) != 30 {
		t.Fatalf("after restart %d pending (%v), want 30", len(p), err)
	}
	if p[0].Attempts == 0 || p[0].DeliveryID != keys[0] {
		t.Errorf("head entry lost its attempts or order: %+v", p[0])
	}
	startSenders(t, ob, srv.URL, log)
	time.Sleep(100 * time.Millisecond)
	rcv.setUp(true)
	waitFor(t, "an empty outbox", func() bool { p, _ := ob.Pending(); return len(p) == 0 })

	got, refused := rcv.snapshot()
	if len(got) != 30 {
		t.Fatalf("receiver got %d distinct notifications, want 30", len(got))
	}
	for _, k := range keys {
		if got[k] != 1 {
			t.Errorf("notification %s accepted %d times, want once", k, got[k])
		}
	}
	// The delivery log is written in batches, about once a second.
	waitFor(t, "30 delivered rows in the log", func() bool {
		n := 0
		for _, d := range log.all() {
			if d.Status == warnings.StatusDelivered {
				n++
			}
		}
		return n >= 30
	})
	var retries, delivered int
	for _, d := range log.all() {
		switch d.Status {
		case warnings.StatusRetry:
			retries++
			if d.StatusCode != 503 || d.Response == "" || d.Error == "" {
				t.Errorf("retry row without status, response or error: %+v", d)
			}
		case warnings.StatusDelivered:
			delivered++
			if d.StatusCode != 200 || d.Attempt < 1 {
				t.Errorf("delivered row %+v", d)
			}
		}
	}
	if delivered != 30 || retries < refused-1 || retries == 0 {
		t.Errorf("delivery log: %d delivered, %d retries (receiver refused %d)", delivered, retries, refused)
	}
	if dead, _ := ob.Dead(); len(dead) != 0 {
		t.Errorf("%d dead letters", len(dead))
	}
}

func TestBackoffGrowsWithJitterAndCap(t *testing.T) {
	o := warnings.SenderOptions{BaseBackoff: time.Second, MaxBackoff: time.Minute}
	r := rand.New(rand.NewPCG(1, 2))
	for n, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 6: 32 * time.Second, 7: time.Minute, 30: time.Minute} {
		for range 50 {
			d := o.Backoff(n, r)
			if d < want/2 || d > want {
				t.Fatalf("attempt %d: backoff %v outside [%v, %v]", n, d, want/2, want)
			}
		}
	}
	// Jitter: not always the same value.
	seen := map[time.Duration]bool{}
	for range 20 {
		seen[o.Backoff(5, r)] = true
	}
	if len(seen) < 5 {
		t.Errorf("only %d distinct backoffs: no jitter", len(seen))
	}
}

// rejectingReceiver answers 400 to the idempotency keys in reject (a
// permanent failure), 200 to the others; it counts accepted keys.
type rejectingReceiver struct {
	mu       sync.Mutex
	reject   map[string]bool
	accepted map[string]int
	rejected int
}

func (f *rejectingReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	key := r.Header.Get("Idempotency-Key")
	if f.reject[key] {
		f.rejected++
		http.Error(w, "bad request: unknown receiver", http.StatusBadRequest)
		return
	}
	f.accepted[key]++
	w.WriteHeader(http.StatusOK)
}

func (f *rejectingReceiver) count(key string) (accepted, rejected int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.accepted[key], f.rejected
}

// A message the receiver rejects for good (HTTP 400) goes to the dead
// letters after three attempts, logged as failed, and the messages behind
// it on the channel are delivered long before retry.give_up_after;
// Requeue puts it back and it is delivered once the receiver takes it.
func TestPermanentFailureIsDeadLetteredAndRequeued(t *testing.T) {
	ob, err := warnings.OpenOutbox(filepath.Join(t.TempDir(), "outbox.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ob.Close() })
	keys := enqueue(t, ob, 3, time.Now())
	rcv := &rejectingReceiver{reject: map[string]bool{keys[0]: true}, accepted: map[string]int{}}
	srv := httptest.NewServer(rcv)
	t.Cleanup(srv.Close)
	log := &memLog{}
	startSenders(t, ob, srv.URL, log) // give_up_after unset: only the permanent rule can unblock
	waitFor(t, "the messages behind the rejected one", func() bool {
		a, _ := rcv.count(keys[1])
		b, _ := rcv.count(keys[2])
		return a == 1 && b == 1
	})
	if _, rejected := rcv.count(keys[0]); rejected != 3 {
		t.Errorf("rejected message tried %d times, want 3", rejected)
	}
	dead, err := ob.Dead()
	if err != nil || len(dead) != 1 || dead[0].DeliveryID != keys[0] || dead[0].Attempts != 3 {
		t.Fatalf("dead letters %+v (%v), want %s after 3 attempts", dead, err, keys[0])
	}
	waitFor(t, "the failed row in the log", func() bool {
		for _, d := range log.all() {
			if d.NotificationID == keys[0] && d.Status == warnings.StatusFailed {
				return d.StatusCode == 400 && d.Error != "" && d.Attempt == 3
			}
		}
		return false
	})

	if _, err := ob.Requeue("nope", time.Now()); err == nil {
		t.Error("Requeue of an unknown id succeeded")
	}
	rcv.mu.Lock()
	rcv.reject = nil
	rcv.mu.Unlock()
	e, err := ob.Requeue(keys[0], time.Now())
	if err != nil || e.Attempts != 0 || e.PermanentFailures != 0 {
		t.Fatalf("Requeue: %+v, %v", e, err)
	}
	waitFor(t, "the requeued message", func() bool { a, _ := rcv.count(keys[0]); return a == 1 })
	waitFor(t, "an empty outbox", func() bool { p, _ := ob.Pending(); return len(p) == 0 })
	if dead, _ := ob.Dead(); len(dead) != 0 {
		t.Errorf("dead letters after requeue: %+v", dead)
	}
}
