package warnings

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// countingChannel accepts every message after delay and counts the sends.
type countingChannel struct {
	delay time.Duration
	sends atomic.Int32
}

func (c *countingChannel) Send(ctx context.Context, _ *Notification, _ string) Result {
	c.sends.Add(1)
	select {
	case <-time.After(c.delay):
		return Result{StatusCode: 200}
	case <-ctx.Done():
		return Result{Err: ctx.Err()}
	}
}

func enqueueOne(t *testing.T, ob *Outbox, channel string) {
	t.Helper()
	now := time.Now()
	n := Notification{ID: "n1", GroupKey: "g", Receiver: "r", Reason: ReasonFirst, CreatedAt: now,
		Firing: []Warning{{ID: "w1", Level: Orange, Title: "测试", State: Firing}}}
	if err := ob.Commit(Change{Enqueue: []Entry{{DeliveryID: DeliveryID(n.ID, channel), Channel: channel, Notification: n,
		NextAt: now, CreatedAt: now}}}); err != nil {
		t.Fatal(err)
	}
}

func runSenders(t *testing.T, ob *Outbox, opts SenderOptions) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = ob.RunSenders(ctx, opts) }()
	t.Cleanup(func() { cancel(); <-done })
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// When the bbolt update after a delivered send fails, only the update is
// retried (with a pause): the robot does not get the message twice.
func TestFailedSettleRetriesTheUpdateNotTheSend(t *testing.T) {
	defer func(p, m time.Duration) { settlePause, settlePauseMax = p, m }(settlePause, settlePauseMax)
	settlePause, settlePauseMax = 20*time.Millisecond, 40*time.Millisecond
	ob, err := OpenOutbox(filepath.Join(t.TempDir(), "outbox.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ob.Close() })
	var mu sync.Mutex
	var tries []time.Time
	ob.settleHook = func(e Entry, status string) error {
		mu.Lock()
		tries = append(tries, time.Now())
		n := len(tries)
		mu.Unlock()
		if n <= 3 {
			return errors.New("disk full")
		}
		return ob.settle(e, status)
	}
	enqueueOne(t, ob, "robot")
	ch := &countingChannel{}
	runSenders(t, ob, SenderOptions{Channels: []ChannelSpec{{Name: "robot", Channel: ch}},
		BaseBackoff: 10 * time.Millisecond, MaxBackoff: 20 * time.Millisecond})
	waitUntil(t, "an empty outbox", func() bool { p, _ := ob.Pending(); return len(p) == 0 })
	time.Sleep(50 * time.Millisecond)
	if n := ch.sends.Load(); n != 1 {
		t.Errorf("message sent %d times, want once", n)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(tries) != 4 {
		t.Fatalf("%d settle tries, want 4", len(tries))
	}
	for i := 1; i < len(tries); i++ {
		if d := tries[i].Sub(tries[i-1]); d < 15*time.Millisecond {
			t.Errorf("settle retry %d after %v: no pause", i, d)
		}
	}
}

// A channel's own timeout bounds its attempts, not the senders' default.
func TestChannelTimeoutOverridesDefault(t *testing.T) {
	ob, err := OpenOutbox(filepath.Join(t.TempDir(), "outbox.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ob.Close() })
	enqueueOne(t, ob, "slow")
	ch := &countingChannel{delay: 150 * time.Millisecond}
	runSenders(t, ob, SenderOptions{Channels: []ChannelSpec{{Name: "slow", Channel: ch, Timeout: 2 * time.Second}},
		Timeout: 50 * time.Millisecond, BaseBackoff: 10 * time.Millisecond, MaxBackoff: 20 * time.Millisecond})
	waitUntil(t, "an empty outbox", func() bool { p, _ := ob.Pending(); return len(p) == 0 })
	if n := ch.sends.Load(); n != 1 {
		t.Errorf("%d attempts, want 1 (the channel's 2 s timeout, not the default 50 ms)", n)
	}
}
