package warnings

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

var (
	bucketWarnings = []byte("warnings")
	bucketGroups   = []byte("groups")
	bucketMeta     = []byte("meta")
	bucketQueue    = []byte("queue")
	bucketDead     = []byte("dead")
	bucketOnce     = []byte("once")
	keyWatermark   = []byte("watermark")
)

// Outbox is the durable store of the engine's state and of every queued
// notification (a bbolt file). A notification stays in it until a channel
// accepted it, across restarts. The file is locked by one process at a time.
type Outbox struct {
	db *bolt.DB

	mu    sync.Mutex
	wakes map[string]chan struct{}

	// settleHook replaces settle in tests (nil: settle).
	settleHook func(e Entry, status string) error
}

// OpenOutbox opens (or creates) the outbox file. It fails after timeout
// when another process holds the file.
func OpenOutbox(path string, timeout time.Duration) (*Outbox, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("cannot create the outbox directory: %w", err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout})
	if err != nil {
		return nil, fmt.Errorf("cannot open the outbox %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketWarnings, bucketGroups, bucketMeta, bucketQueue, bucketDead, bucketOnce} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("cannot prepare the outbox %s: %w", path, err)
	}
	return &Outbox{db: db, wakes: map[string]chan struct{}{}}, nil
}

// Close closes the file. It is safe to call twice.
func (o *Outbox) Close() error {
	if o == nil || o.db == nil {
		return nil
	}
	err := o.db.Close()
	if errors.Is(err, bolterrors.ErrDatabaseNotOpen) {
		return nil
	}
	return err
}

// Load implements State.
func (o *Outbox) Load() (Saved, error) {
	var s Saved
	err := o.db.View(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketWarnings).ForEach(func(_, v []byte) error {
			var w Warning
			if err := json.Unmarshal(v, &w); err != nil {
				return err
			}
			s.Warnings = append(s.Warnings, w)
			return nil
		}); err != nil {
			return err
		}
		if err := tx.Bucket(bucketGroups).ForEach(func(_, v []byte) error {
			var g GroupState
			if err := json.Unmarshal(v, &g); err != nil {
				return err
			}
			s.Groups = append(s.Groups, g)
			return nil
		}); err != nil {
			return err
		}
		if v := tx.Bucket(bucketMeta).Get(keyWatermark); v != nil {
			return s.Watermark.UnmarshalText(v)
		}
		return nil
	})
	if err != nil {
		return Saved{}, fmt.Errorf("cannot load the outbox: %w", err)
	}
	return s, nil
}

func queueKey(channel string, seq uint64) []byte {
	k := make([]byte, 0, len(channel)+9)
	k = append(k, channel...)
	k = append(k, 0)
	return binary.BigEndian.AppendUint64(k, seq)
}

// Commit implements State: one transaction for the state and the queue.
func (o *Outbox) Commit(c Change) error {
	err := o.db.Update(func(tx *bolt.Tx) error {
		wb, gb, qb := tx.Bucket(bucketWarnings), tx.Bucket(bucketGroups), tx.Bucket(bucketQueue)
		for _, w := range c.Warnings {
			v, err := json.Marshal(w)
			if err != nil {
				return err
			}
			if err := wb.Put([]byte(w.ID), v); err != nil {
				return err
			}
		}
		for _, id := range c.DropWarnings {
			if err := wb.Delete([]byte(id)); err != nil {
				return err
			}
		}
		for _, g := range c.Groups {
			v, err := json.Marshal(g)
			if err != nil {
				return err
			}
			if err := gb.Put([]byte(g.Key), v); err != nil {
				return err
			}
		}
		for _, k := range c.DropGroups {
			if err := gb.Delete([]byte(k)); err != nil {
				return err
			}
		}
		if !c.Watermark.IsZero() {
			v, _ := c.Watermark.MarshalText()
			if err := tx.Bucket(bucketMeta).Put(keyWatermark, v); err != nil {
				return err
			}
		}
		for _, e := range c.Enqueue {
			seq, err := qb.NextSequence()
			if err != nil {
				return err
			}
			e.Seq = seq
			v, err := json.Marshal(e)
			if err != nil {
				return err
			}
			if err := qb.Put(queueKey(e.Channel, seq), v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("cannot write the outbox: %w", err)
	}
	for _, e := range c.Enqueue {
		o.wake(e.Channel)
	}
	return nil
}

// EnqueueOnce queues the entries unless entries were queued under key
// before, in this process or an earlier one: the key and the entries are
// written in one transaction, so that a message is queued exactly once per
// key however often the caller retries or restarts. It reports whether it
// queued them.
func (o *Outbox) EnqueueOnce(key string, es []Entry, now time.Time) (bool, error) {
	queued := false
	err := o.db.Update(func(tx *bolt.Tx) error {
		ob, qb := tx.Bucket(bucketOnce), tx.Bucket(bucketQueue)
		if ob.Get([]byte(key)) != nil {
			return nil
		}
		v, _ := now.MarshalText()
		if err := ob.Put([]byte(key), v); err != nil {
			return err
		}
		for _, e := range es {
			seq, err := qb.NextSequence()
			if err != nil {
				return err
			}
			e.Seq = seq
			v, err := json.Marshal(e)
			if err != nil {
				return err
			}
			if err := qb.Put(queueKey(e.Channel, seq), v); err != nil {
				return err
			}
		}
		queued = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("cannot write the outbox: %w", err)
	}
	if queued {
		for _, e := range es {
			o.wake(e.Channel)
		}
	}
	return queued, nil
}

// Enqueued reports whether EnqueueOnce queued under key.
func (o *Outbox) Enqueued(key string) (bool, error) {
	found := false
	err := o.db.View(func(tx *bolt.Tx) error {
		found = tx.Bucket(bucketOnce).Get([]byte(key)) != nil
		return nil
	})
	return found, err
}

func (o *Outbox) wakeChan(channel string) chan struct{} {
	o.mu.Lock()
	defer o.mu.Unlock()
	w := o.wakes[channel]
	if w == nil {
		w = make(chan struct{}, 1)
		o.wakes[channel] = w
	}
	return w
}

func (o *Outbox) wake(channel string) {
	select {
	case o.wakeChan(channel) <- struct{}{}:
	default:
	}
}

// head returns the oldest queued entry of a channel.
func (o *Outbox) head(channel string) (Entry, bool, error) {
	var e Entry
	found := false
	prefix := append([]byte(channel), 0)
	err := o.db.View(func(tx *bolt.Tx) error {
		k, v := tx.Bucket(bucketQueue).Cursor().Seek(prefix)
		if k == nil || !bytes.HasPrefix(k, prefix) {
			return nil
		}
		found = true
		return json.Unmarshal(v, &e)
	})
	return e, found, err
}

// Counts returns how many messages are queued and how many were given up
// on.
func (o *Outbox) Counts() (pending, dead int, err error) {
	err = o.db.View(func(tx *bolt.Tx) error {
		pending = tx.Bucket(bucketQueue).Stats().KeyN
		dead = tx.Bucket(bucketDead).Stats().KeyN
		return nil
	})
	return pending, dead, err
}

// Pending returns the queued entries, oldest first per channel.
func (o *Outbox) Pending() ([]Entry, error) { return o.entries(bucketQueue) }

// Dead returns the entries given up on.
func (o *Outbox) Dead() ([]Entry, error) { return o.entries(bucketDead) }

// entries decodes every entry of one bucket, in key order.
func (o *Outbox) entries(bucket []byte) ([]Entry, error) {
	var out []Entry
	err := o.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucket).ForEach(func(_, v []byte) error {
			var e Entry
			if err := json.Unmarshal(v, &e); err != nil {
				return err
			}
			out = append(out, e)
			return nil
		})
	})
	return out, err
}

// ErrUnknownDelivery is returned by Requeue for an id that is not among
// the dead letters.
var ErrUnknownDelivery = errors.New("no dead letter with this delivery id")

// Requeue moves a dead letter back to the end of its channel's queue, with
// its attempts reset, to be sent at once. deliveryID is its idempotency
// key (Entry.DeliveryID), which it keeps: a receiver that did take it
// before deduplicates it.
func (o *Outbox) Requeue(deliveryID string, now time.Time) (Entry, error) {
	var e Entry
	err := o.db.Update(func(tx *bolt.Tx) error {
		db, qb := tx.Bucket(bucketDead), tx.Bucket(bucketQueue)
		var key []byte
		c := db.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			var d Entry
			if err := json.Unmarshal(v, &d); err != nil {
				return err
			}
			if d.DeliveryID == deliveryID {
				key, e = append([]byte(nil), k...), d
				break
			}
		}
		if key == nil {
			return fmt.Errorf("%w %q", ErrUnknownDelivery, deliveryID)
		}
		seq, err := qb.NextSequence()
		if err != nil {
			return err
		}
		e.Seq, e.Attempts, e.PermanentFailures, e.NextAt = seq, 0, 0, now
		v, err := json.Marshal(e)
		if err != nil {
			return err
		}
		if err := qb.Put(queueKey(e.Channel, seq), v); err != nil {
			return err
		}
		return db.Delete(key)
	})
	if err != nil {
		return Entry{}, err
	}
	o.wake(e.Channel)
	return e, nil
}

// settle removes a delivered entry, reschedules a failed one or moves it
// to the dead letters.
func (o *Outbox) settle(e Entry, outcome string) error {
	return o.db.Update(func(tx *bolt.Tx) error {
		key := queueKey(e.Channel, e.Seq)
		qb := tx.Bucket(bucketQueue)
		switch outcome {
		case StatusDelivered:
			return qb.Delete(key)
		case StatusFailed:
			v, err := json.Marshal(e)
			if err != nil {
				return err
			}
			if err := tx.Bucket(bucketDead).Put(key, v); err != nil {
				return err
			}
			return qb.Delete(key)
		default:
			v, err := json.Marshal(e)
			if err != nil {
				return err
			}
			return qb.Put(key, v)
		}
	})
}

// Delivery statuses in the delivery log.
const (
	StatusDelivered = "delivered"
	StatusRetry     = "retry"
	StatusFailed    = "failed"
)

// Result is what a channel saw when it sent one message.
type Result struct {
	StatusCode int
	// Response is the start of the response body.
	Response string
	// Err is nil only when the service accepted the message (for robots:
	// HTTP 200 and errcode 0).
	Err error
	// Permanent marks an error that a retry of the same message will not
	// cure (HTTP 4xx other than 408 and 429, a robot's invalid key, bad
	// signature, keyword miss or malformed body). Such a message goes to
	// the dead letters after SenderOptions.MaxPermanentAttempts, so that
	// the messages behind it on the channel flow.
	Permanent bool
}

// Channel delivers a notification. deliveryID is the idempotency key.
type Channel interface {
	Send(ctx context.Context, n *Notification, deliveryID string) Result
}

// Delivery is one attempt, for the delivery log.
type Delivery struct {
	NotificationID string
	GroupKey       string
	Receiver       string
	Channel        string
	ChannelType    string
	Reason         string
	WarningIDs     []string
	Attempt        int
	Status         string
	StatusCode     int
	Response       string
	Error          string
	Latency        time.Duration
	CreatedAt      time.Time
	AttemptedAt    time.Time
}

// DeliveryLog stores delivery attempts.
type DeliveryLog interface {
	WriteDeliveries(ctx context.Context, ds []Delivery) error
}

// ChannelSpec is one configured channel for the senders.
type ChannelSpec struct {
	Name    string
	Type    string
	Channel Channel
	// PerMinute limits the messages per minute (0: no limit); messages over
	// the limit wait in the queue.
	PerMinute int
	// Timeout bounds one attempt on this channel (SenderOptions.Timeout
	// when 0).
	Timeout time.Duration
}

// SenderOptions configure the delivery loops.
type SenderOptions struct {
	Channels []ChannelSpec
	// Backoff doubles from BaseBackoff up to MaxBackoff, with jitter.
	BaseBackoff time.Duration
	MaxBackoff  time.Duration
	// GiveUpAfter moves a message that was not delivered this long after it
	// was queued to the dead letters (0: never).
	GiveUpAfter time.Duration
	// MaxPermanentAttempts moves a message to the dead letters after this
	// many attempts that failed permanently (Result.Permanent), however
	// young it is (default 3).
	MaxPermanentAttempts int
	// Timeout bounds one attempt on a channel without a timeout of its own
	// (default 10 s).
	Timeout time.Duration
	Log     *slog.Logger
	// DeliveryLog receives every attempt (nil: none).
	DeliveryLog DeliveryLog
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Backoff is the wait after the n-th failed attempt: BaseBackoff·2^(n-1)
// capped at MaxBackoff, of which a random half is jitter.
func (o SenderOptions) Backoff(n int, r *rand.Rand) time.Duration {
	d := o.BaseBackoff
	for i := 1; i < n && d < o.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, o.MaxBackoff)
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + time.Duration(r.Int64N(int64(half)+1))
}

// RunSenders delivers the queue, one loop per channel (in order within a
// channel), until ctx ends. An attempt in flight at shutdown is finished
// and settled. After a crash, a message may be sent again at the next
// start; the idempotency key makes that harmless.
func (o *Outbox) RunSenders(ctx context.Context, opts SenderOptions) error {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.BaseBackoff <= 0 {
		opts.BaseBackoff = time.Second
	}
	if opts.MaxBackoff < opts.BaseBackoff {
		opts.MaxBackoff = max(opts.BaseBackoff, 5*time.Minute)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	if opts.MaxPermanentAttempts <= 0 {
		opts.MaxPermanentAttempts = 3
	}
	logs := make(chan Delivery, 4096)
	var logWG sync.WaitGroup
	if opts.DeliveryLog != nil {
		logWG.Add(1)
		go func() {
			defer logWG.Done()
			writeLog(opts, logs)
		}()
	}
	var wg sync.WaitGroup
	for _, spec := range opts.Channels {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o.sendLoop(ctx, opts, spec, logs)
		}()
	}
	wg.Wait()
	close(logs)
	logWG.Wait()
	return nil
}

// logFlushEvery bounds the delivery-log inserts to about one per second
// (ClickHouse prefers few large inserts).
const logFlushEvery = time.Second

// writeLog stores delivery rows in batches of up to 1000 rows or one
// second; it uses its own context so that the rows of the last attempts
// before shutdown are kept.
func writeLog(opts SenderOptions, logs <-chan Delivery) {
	for d := range logs {
		batch := []Delivery{d}
		timer := time.NewTimer(logFlushEvery)
	collect:
		for len(batch) < 1000 {
			select {
			case d, ok := <-logs:
				if !ok {
					break collect
				}
				batch = append(batch, d)
			case <-timer.C:
				break collect
			}
		}
		timer.Stop()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := opts.DeliveryLog.WriteDeliveries(ctx, batch); err != nil {
			opts.Log.Warn("cannot store the delivery log", "rows", len(batch), "err", err)
		}
		cancel()
	}
}

// limiter allows n events per minute (a sliding window).
type limiter struct {
	n     int
	times []time.Time
}

// wait returns how long to wait before the next event at now.
func (l *limiter) wait(now time.Time) time.Duration {
	if l.n <= 0 || len(l.times) < l.n {
		return 0
	}
	return l.times[len(l.times)-l.n].Add(time.Minute).Sub(now)
}

func (l *limiter) record(now time.Time) {
	if l.n <= 0 {
		return
	}
	l.times = append(l.times, now)
	if len(l.times) > l.n {
		l.times = append(l.times[:0], l.times[len(l.times)-l.n:]...)
	}
}

func sleep(ctx context.Context, d time.Duration, wake <-chan struct{}) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
	case <-wake:
	}
	return true
}

func (o *Outbox) sendLoop(ctx context.Context, opts SenderOptions, spec ChannelSpec, logs chan<- Delivery) {
	wake := o.wakeChan(spec.Name)
	lim := &limiter{n: spec.PerMinute}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	log := opts.Log.With("channel", spec.Name)
	for ctx.Err() == nil {
		e, ok, err := o.head(spec.Name)
		if err != nil {
			log.Error("cannot read the outbox", "err", err)
			sleep(ctx, time.Second, nil)
			continue
		}
		if !ok {
			sleep(ctx, 5*time.Second, wake)
			continue
		}
		now := opts.Now()
		if d := e.NextAt.Sub(now); d > 0 {
			sleep(ctx, d, nil)
			continue
		}
		if d := lim.wait(now); d > 0 {
			sleep(ctx, d, nil) // queued, not dropped
			continue
		}
		lim.record(now)
		// An attempt in flight at shutdown finishes (within Timeout) and is
		// settled, so that a message the receiver took is not sent again.
		timeout := opts.Timeout
		if spec.Timeout > 0 {
			timeout = spec.Timeout
		}
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
		start := time.Now()
		res := spec.Channel.Send(actx, &e.Notification, e.DeliveryID)
		latency := time.Since(start)
		cancel()
		e.Attempts++
		d := Delivery{
			NotificationID: e.DeliveryID, GroupKey: e.Notification.GroupKey, Receiver: e.Notification.Receiver,
			Channel: spec.Name, ChannelType: spec.Type, Reason: e.Notification.Reason, WarningIDs: e.Notification.WarningIDs(),
			Attempt: e.Attempts, StatusCode: res.StatusCode, Response: res.Response, Latency: latency,
			CreatedAt: e.CreatedAt, AttemptedAt: opts.Now(),
		}
		if res.Err != nil && res.Permanent {
			e.PermanentFailures++
		}
		switch {
		case res.Err == nil:
			d.Status = StatusDelivered
		case res.Permanent && e.PermanentFailures >= opts.MaxPermanentAttempts:
			d.Status, d.Error = StatusFailed, res.Err.Error()
			log.Error("giving up on a notification: permanent error", "delivery", e.DeliveryID, "attempts", e.Attempts, "err", res.Err)
		case opts.GiveUpAfter > 0 && opts.Now().Sub(e.CreatedAt) >= opts.GiveUpAfter:
			d.Status, d.Error = StatusFailed, res.Err.Error()
			log.Error("giving up on a notification", "delivery", e.DeliveryID, "attempts", e.Attempts, "err", res.Err)
		default:
			d.Status, d.Error = StatusRetry, res.Err.Error()
			e.NextAt = opts.Now().Add(opts.Backoff(e.Attempts, rng))
			log.Warn("delivery failed; will retry", "delivery", e.DeliveryID, "attempt", e.Attempts, "next", e.NextAt, "err", res.Err)
		}
		if opts.DeliveryLog != nil {
			select {
			case logs <- d:
			default:
				log.Warn("delivery log full; attempt not logged", "delivery", e.DeliveryID)
			}
		}
		// The outcome is settled before the next read of the queue: the
		// send is never repeated because the bbolt update failed; only the
		// update is retried, with a pause.
		o.settleRetrying(ctx, e, d.Status, log)
	}
}

// settlePause is the first pause between two tries of a failed settle (a
// variable for tests); it doubles up to settlePauseMax.
var (
	settlePause    = time.Second
	settlePauseMax = 30 * time.Second
)

// settleRetrying records the outcome of an attempt in the outbox, trying
// again after a growing pause while the update fails. After ctx ends it
// tries once more and gives up: the message may then be sent again at the
// next start, with the same idempotency key.
func (o *Outbox) settleRetrying(ctx context.Context, e Entry, status string, log *slog.Logger) {
	pause := settlePause
	for {
		err := o.settleFn(e, status)
		if err == nil {
			return
		}
		log.Error("cannot update the outbox; retrying the update, not the send", "delivery", e.DeliveryID, "status", status,
			"retry_in", pause, "err", err)
		if ctx.Err() != nil || !sleep(ctx, pause, nil) {
			if err := o.settleFn(e, status); err != nil {
				log.Error("cannot update the outbox at shutdown; the message may be sent again at the next start",
					"delivery", e.DeliveryID, "err", err)
			}
			return
		}
		pause = min(2*pause, settlePauseMax)
	}
}

// settleFn is settle unless a test replaced it.
func (o *Outbox) settleFn(e Entry, status string) error {
	if o.settleHook != nil {
		return o.settleHook(e, status)
	}
	return o.settle(e, status)
}
