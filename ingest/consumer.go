package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/riskwatch/riskwatch/schemas"
)

// Message is one Kafka message as the Handler sees it. Value is owned by the
// handler for the duration of the call only.
type Message struct {
	Topic     string
	Partition int
	Offset    int64
	Key       []byte
	Value     []byte
	Time      time.Time
}

// Reject says why a message cannot become a row. It is permanent: the
// message goes to the dead-letter topic and to ingest_errors, and is never
// retried.
type Reject struct {
	Reason string // stable machine code, e.g. bad_json, unknown_region
	Detail string // names the field
	// Masked is the message text with personal data masked, for
	// ingest_errors (raw bytes go only to the dead-letter topic).
	Masked string
}

// Handler turns a message into a row, or rejects it. It must be safe for
// concurrent use: partitions are handled in parallel.
type Handler func(m Message) (schemas.CaseRow, *Reject)

// Sink is where rows go (the store, injected by the wiring).
type Sink interface {
	InsertCases(ctx context.Context, rows []schemas.CaseRow) error
	InsertIngestErrors(ctx context.Context, rows []schemas.IngestErrorRow) error
}

// Config configures a Consumer. Zero values take the defaults noted.
type Config struct {
	Brokers  []string
	Topic    string
	DLQTopic string
	Group    string

	BatchRows  int           // flush at this many rows; default 100,000
	BatchBytes int           // … or this many message bytes; default 32 MiB
	BatchAge   time.Duration // … or when the oldest row is this old; default 1 s
	// BufferBytes bounds the message bytes held in batches not yet
	// committed; when it is used up, fetching stops. Default 256 MiB.
	BufferBytes int64
	MaxWait     time.Duration // fetch long-poll; default 250 ms (fast shutdown)
	FetchBytes  int           // max bytes per fetch; default 16 MiB
	RetryMin    time.Duration // first backoff after a transient error; default 100 ms
	RetryMax    time.Duration // backoff cap; default 30 s
	// ShutdownTimeout bounds the final flush after ctx ends; what is not
	// acknowledged by then is left uncommitted and redelivered later.
	ShutdownTimeout time.Duration // default 25 s

	Handler     Handler
	Sink        Sink
	IsTransient func(error) bool // classifies Sink errors; required
	Now         func() time.Time // for ingest_errors; default time.Now
	Logger      *slog.Logger
	Metrics     *Metrics // may be nil
}

func (c *Config) defaults() error {
	if len(c.Brokers) == 0 || c.Topic == "" || c.Group == "" {
		return errors.New("ingest: brokers, topic and group are required")
	}
	if c.Handler == nil || c.Sink == nil || c.IsTransient == nil {
		return errors.New("ingest: handler, sink and IsTransient are required")
	}
	if c.DLQTopic == "" {
		c.DLQTopic = c.Topic + ".dlq"
	}
	setDefault(&c.BatchRows, 100_000)
	setDefault(&c.BatchBytes, 32<<20)
	setDefault(&c.BatchAge, time.Second)
	setDefault(&c.BufferBytes, 256<<20)
	setDefault(&c.MaxWait, 250*time.Millisecond)
	setDefault(&c.FetchBytes, 16<<20)
	setDefault(&c.RetryMin, 100*time.Millisecond)
	setDefault(&c.RetryMax, 30*time.Second)
	setDefault(&c.ShutdownTimeout, 25*time.Second)
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Metrics == nil {
		c.Metrics = NewMetrics(nil)
	}
	return nil
}

func setDefault[T comparable](p *T, v T) {
	var zero T
	if *p == zero {
		*p = v
	}
}

// Consumer moves records from Kafka to the Sink, effectively once: a
// partition's offset is committed only after every row and dead letter up to
// it was acknowledged, and the tables collapse what a redelivery repeats.
//
// Shutdown order (when ctx ends): stop fetching → seal the open batch →
// insert it (with retries, bounded by ShutdownTimeout) → commit → leave the
// group → close the readers and the dead-letter writer.
type Consumer struct {
	cfg Config
	log *slog.Logger
	m   *Metrics

	dlq    *kafka.Writer
	budget *budget

	in chan item // partition loops → batcher

	mu       sync.Mutex
	cond     *sync.Cond
	sealed   uint64 // sequence number of the last sealed batch
	done     uint64 // sequence number of the last finished batch
	drainReq chan chan uint64

	retrying atomic.Bool
	lastErr  atomic.Pointer[string]

	// fatal is set when a batch could neither be written nor safely
	// skipped: nothing after it may be committed, so consumption stops.
	fatal     atomic.Pointer[error]
	cancelRun context.CancelFunc
}

// item is one consumed message on its way to a batch.
type item struct {
	gen       *kafka.Generation
	partition int
	offset    int64
	size      int
	row       schemas.CaseRow
	reject    *Reject
	msg       *kafka.Message // only for rejects: the raw message for the DLQ
}

// NewConsumer checks the configuration.
func NewConsumer(cfg Config) (*Consumer, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	c := &Consumer{
		cfg: cfg, log: cfg.Logger, m: cfg.Metrics,
		budget:   newBudget(cfg.BufferBytes),
		in:       make(chan item, 4096),
		drainReq: make(chan chan uint64),
	}
	c.cond = sync.NewCond(&c.mu)
	c.dlq = &kafka.Writer{
		Addr: kafka.TCP(cfg.Brokers...), Topic: cfg.DLQTopic,
		RequiredAcks: kafka.RequireAll, Balancer: &kafka.Hash{},
		BatchTimeout: 5 * time.Millisecond, BatchBytes: 64 << 20,
		AllowAutoTopicCreation: true,
	}
	return c, nil
}

// Healthy returns nil, or the error the consumer is retrying on.
func (c *Consumer) Healthy() error {
	if c.retrying.Load() {
		if p := c.lastErr.Load(); p != nil {
			return fmt.Errorf("retrying: %s", *p)
		}
		return errors.New("retrying")
	}
	return nil
}

// Run consumes until ctx ends, then shuts down in order.
func (c *Consumer) Run(parent context.Context) error {
	ctx, cancelRun := context.WithCancel(parent)
	defer cancelRun()
	c.cancelRun = cancelRun
	// Work that must finish after ctx ends (the final flush and commit) runs
	// under workCtx, which is cancelled only when the shutdown budget is spent.
	workCtx, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()

	batches := make(chan *batch, 1) // one batch queued while one is inserted
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); c.batcher(workCtx, batches) }()
	go func() { defer wg.Done(); c.inserter(workCtx, batches) }()

	// The dead-letter topic takes whatever the source topic took, so it is
	// created with a generous message size limit when it does not exist.
	if err := EnsureTopics(ctx, c.cfg.Brokers, TopicSpec{Name: c.cfg.DLQTopic, Partitions: -1, MaxMessageBytes: 64 << 20}); err != nil {
		c.log.Warn("cannot ensure the dead-letter topic; relying on auto-creation", "topic", c.cfg.DLQTopic, "err", err)
	}

	group, err := kafka.NewConsumerGroup(kafka.ConsumerGroupConfig{
		ID: c.cfg.Group, Brokers: c.cfg.Brokers, Topics: []string{c.cfg.Topic},
		StartOffset:       kafka.FirstOffset,
		HeartbeatInterval: time.Second, SessionTimeout: 10 * time.Second, RebalanceTimeout: 30 * time.Second,
		JoinGroupBackoff: 500 * time.Millisecond,
		Logger:           nil,
		ErrorLogger:      kafka.LoggerFunc(func(f string, a ...any) { c.log.Debug(fmt.Sprintf(f, a...), "component", "kafka-go") }),
	})
	if err != nil {
		close(c.in)
		wg.Wait()
		return fmt.Errorf("cannot join consumer group %s: %w", c.cfg.Group, err)
	}

	var runErr error
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		for {
			gen, err := group.Next(ctx)
			if err != nil {
				if ctx.Err() != nil || errors.Is(err, kafka.ErrGroupClosed) {
					return
				}
				// Coordinator not yet available, rebalance in progress …:
				// transient; kafka-go retries the join itself.
				c.log.Warn("consumer group: cannot start a generation", "err", err)
				c.m.groupErrors.Inc()
				select {
				case <-ctx.Done():
					return
				case <-time.After(500 * time.Millisecond):
				}
				continue
			}
			c.m.rebalances.Inc()
			n := 0
			for _, assigns := range gen.Assignments {
				for _, a := range assigns {
					n++
					gen.Start(func(gctx context.Context) { c.partitionLoop(gctx, gen, a.ID, a.Offset) })
				}
			}
			c.m.assigned.Set(float64(n))
			c.log.Info("consumer group generation", "generation", gen.ID, "member", gen.MemberID, "partitions", n)
		}
	}()

	<-ctx.Done()
	if p := c.fatal.Load(); p != nil {
		runErr = *p
	}
	c.log.Info("ingest: shutting down: stop fetching, flush, commit, leave group")
	timer := time.AfterFunc(c.cfg.ShutdownTimeout, func() {
		c.log.Warn("ingest: shutdown budget spent; unacknowledged records will be redelivered")
		cancelWork()
	})
	defer timer.Stop()
	// Close ends the generation: every partition loop drains and commits
	// before Close returns; then the member leaves the group.
	if err := group.Close(); err != nil && !errors.Is(err, kafka.ErrGroupClosed) && runErr == nil {
		runErr = fmt.Errorf("cannot leave consumer group: %w", err)
	}
	<-stopped
	close(c.in)
	wg.Wait()
	if err := c.dlq.Close(); err != nil && runErr == nil {
		runErr = fmt.Errorf("cannot close dead-letter writer: %w", err)
	}
	return runErr
}

// partitionLoop reads one assigned partition until the generation ends,
// then drains: it waits until everything it handed over is committed.
func (c *Consumer) partitionLoop(gctx context.Context, gen *kafka.Generation, partition int, offset int64) {
	log := c.log.With("partition", partition)
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers: c.cfg.Brokers, Topic: c.cfg.Topic, Partition: partition,
		MinBytes: 1, MaxBytes: c.cfg.FetchBytes, MaxWait: c.cfg.MaxWait,
		ReadBackoffMin: 50 * time.Millisecond, ReadBackoffMax: time.Second,
	})
	defer r.Close()
	if err := r.SetOffset(offset); err != nil {
		log.Error("cannot set offset", "offset", offset, "err", err)
		return
	}
	log.Debug("partition assigned", "offset", offset)
	seen := newVersionCache(200_000)
	for {
		m, err := r.FetchMessage(gctx)
		if err != nil {
			if gctx.Err() == nil {
				log.Warn("fetch failed", "err", err)
				c.m.fetchErrors.Inc()
				continue
			}
			break
		}
		size := len(m.Value) + len(m.Key) + 64
		if !c.budget.acquire(gctx, int64(size)) {
			// The generation ended while waiting for buffer space: this
			// message was not handed over and will be redelivered.
			break
		}
		c.m.consumed.Inc()
		it := item{gen: gen, partition: partition, offset: m.Offset, size: size}
		row, rej := c.cfg.Handler(Message{Topic: m.Topic, Partition: m.Partition, Offset: m.Offset, Key: m.Key, Value: m.Value, Time: m.Time})
		if rej == nil {
			if first := seen.check(&row, m.Value, m.Offset); first >= 0 {
				rej = &Reject{Reason: "duplicate_version",
					Detail: fmt.Sprintf("case %s version %d was already received at offset %d with different content; the first stands", row.CaseID, row.Version, first),
					Masked: row.Summary}
			}
		}
		if rej != nil {
			it.reject = rej
			mm := m
			it.msg = &mm
		} else {
			it.row = row
		}
		c.in <- it
	}
	c.drain()
	log.Debug("partition drained")
}

// drain seals the open batch and waits until every batch sealed so far is
// finished (inserted and committed, or abandoned at shutdown).
func (c *Consumer) drain() {
	reply := make(chan uint64, 1)
	c.drainReq <- reply
	seq := <-reply
	c.mu.Lock()
	for c.done < seq {
		c.cond.Wait()
	}
	c.mu.Unlock()
}

// batch is a sealed set of items, inserted as one.
type batch struct {
	seq   uint64
	items []item
	bytes int
	start time.Time
	why   string
}

// batcher collects items into batches and seals them on rows, bytes, age or
// a drain request. It is the only writer of the open batch.
func (c *Consumer) batcher(ctx context.Context, out chan<- *batch) {
	defer close(out)
	tick := time.NewTicker(c.cfg.BatchAge / 4)
	defer tick.Stop()
	var cur *batch
	seal := func(why string) {
		if cur == nil || len(cur.items) == 0 {
			return
		}
		c.mu.Lock()
		c.sealed++
		cur.seq = c.sealed
		c.mu.Unlock()
		cur.why = why
		out <- cur
		cur = nil
	}
	for {
		select {
		case it, ok := <-c.in:
			if !ok {
				seal("shutdown")
				return
			}
			if cur == nil {
				cur = &batch{start: time.Now(), items: make([]item, 0, min(c.cfg.BatchRows, 16384))}
			}
			cur.items = append(cur.items, it)
			cur.bytes += it.size
			if len(cur.items) >= c.cfg.BatchRows {
				seal("rows")
			} else if cur.bytes >= c.cfg.BatchBytes {
				seal("bytes")
			}
		case reply := <-c.drainReq:
			// Items a partition loop sent before asking are already in cur:
			// the channel delivers them first only if they were received, so
			// take everything queued now.
			for n := len(c.in); n > 0; n-- {
				it := <-c.in
				if cur == nil {
					cur = &batch{start: time.Now()}
				}
				cur.items = append(cur.items, it)
				cur.bytes += it.size
			}
			seal("drain")
			c.mu.Lock()
			reply <- c.sealed
			c.mu.Unlock()
		case <-tick.C:
			if cur != nil && time.Since(cur.start) >= c.cfg.BatchAge {
				seal("age")
			}
		}
	}
}

// inserter finishes batches strictly in order: dead letters, rows, commit.
func (c *Consumer) inserter(ctx context.Context, in <-chan *batch) {
	for b := range in {
		t0 := time.Now()
		committed := false
		if c.fatal.Load() == nil {
			var err error
			committed, err = c.finish(ctx, b)
			if err != nil && ctx.Err() == nil {
				// Neither written nor skippable: committing anything after
				// this batch would lose it. Stop; it is redelivered on restart.
				err = fmt.Errorf("ingest stopped: %w", err)
				c.fatal.Store(&err)
				c.log.Error("ingest cannot continue", "err", err)
				c.cancelRun()
			}
		}
		c.m.batchSeconds.Observe(time.Since(t0).Seconds())
		c.m.batches.WithLabelValues(b.why).Inc()
		if !committed {
			c.m.abandoned.Add(float64(len(b.items)))
		}
		var bytes int64
		for i := range b.items {
			bytes += int64(b.items[i].size)
		}
		c.budget.release(bytes)
		c.mu.Lock()
		c.done = b.seq
		c.cond.Broadcast()
		c.mu.Unlock()
	}
}

// finish writes a batch and commits its offsets. It reports whether the
// offsets were committed, and an error when the batch could not be written
// (at shutdown: the budget was spent; otherwise: a permanent failure).
func (c *Consumer) finish(ctx context.Context, b *batch) (bool, error) {
	var (
		rows    = make([]schemas.CaseRow, 0, len(b.items))
		rejects []item
	)
	for i := range b.items {
		if b.items[i].reject != nil {
			rejects = append(rejects, b.items[i])
		} else {
			rows = append(rows, b.items[i].row)
		}
	}
	// Dead letters first: a rejected record's offset may be committed only
	// after its dead letter is written.
	if err := c.deadLetter(ctx, rejects); err != nil {
		return false, err
	}
	refused, err := c.insertRows(ctx, rows)
	if err != nil {
		return false, err
	}
	if len(refused) > 0 {
		if err := c.deadLetter(ctx, refused); err != nil {
			return false, err
		}
	}
	c.m.inserted.Add(float64(len(rows) - len(refused)))
	return c.commit(b), nil
}

// insertRows inserts with retries on transient errors. Rows the server
// refuses for a data reason are isolated by bisection and returned as
// rejects; the others are inserted.
func (c *Consumer) insertRows(ctx context.Context, rows []schemas.CaseRow) ([]item, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	err := c.retry(ctx, "insert", func() error { return c.cfg.Sink.InsertCases(ctx, rows) })
	if err == nil {
		return nil, nil
	}
	if ctx.Err() != nil {
		return nil, err
	}
	// A permanent error: the server refused something in these rows.
	if len(rows) == 1 {
		r := rows[0]
		c.log.Warn("row refused by ClickHouse", "topic", r.Topic, "partition", r.Partition, "offset", r.Offset, "err", err)
		return []item{{partition: int(r.Partition), offset: r.Offset, reject: &Reject{
			Reason: "clickhouse_rejected", Detail: err.Error(), Masked: rowJSON(r),
		}, msg: &kafka.Message{Topic: r.Topic, Partition: int(r.Partition), Offset: r.Offset, Key: []byte(r.CaseID), Value: []byte(rowJSON(r))}}}, nil
	}
	c.m.bisections.Inc()
	mid := len(rows) / 2
	left, err := c.insertRows(ctx, rows[:mid])
	if err != nil {
		return nil, err
	}
	right, err := c.insertRows(ctx, rows[mid:])
	if err != nil {
		return nil, err
	}
	return append(left, right...), nil
}

// deadLetter writes rejected messages to the DLQ topic and ingest_errors.
func (c *Consumer) deadLetter(ctx context.Context, rejects []item) error {
	if len(rejects) == 0 {
		return nil
	}
	msgs := make([]kafka.Message, len(rejects))
	rows := make([]schemas.IngestErrorRow, len(rejects))
	now := c.cfg.Now()
	for i, it := range rejects {
		msgs[i], rows[i] = deadLetterOf(it, c.cfg.Topic, now)
		c.m.rejected.WithLabelValues(it.reject.Reason).Inc()
	}
	if err := c.retry(ctx, "dead-letter write", func() error { return c.dlq.WriteMessages(ctx, msgs...) }); err != nil {
		return err
	}
	return c.retry(ctx, "ingest_errors insert", func() error { return c.cfg.Sink.InsertIngestErrors(ctx, rows) })
}

// commit commits, per generation and partition, the offset after the last
// item of the batch. A failed commit (the partition moved to another member)
// is not an error for the data: the new owner re-reads from the last commit
// and the tables collapse the repeat.
func (c *Consumer) commit(b *batch) bool {
	offsets := map[*kafka.Generation]map[int]int64{}
	for i := range b.items {
		it := &b.items[i]
		if it.gen == nil { // bisect rejects carry no generation; their rows do
			continue
		}
		m := offsets[it.gen]
		if m == nil {
			m = map[int]int64{}
			offsets[it.gen] = m
		}
		if it.offset+1 > m[it.partition] {
			m[it.partition] = it.offset + 1
		}
	}
	ok := true
	for gen, m := range offsets {
		t0 := time.Now()
		if err := gen.CommitOffsets(map[string]map[int]int64{c.cfg.Topic: m}); err != nil {
			c.log.Warn("offset commit failed; the records will be redelivered and collapse", "generation", gen.ID, "err", err)
			c.m.commitErrors.Inc()
			ok = false
			continue
		}
		c.m.commitSeconds.Observe(time.Since(t0).Seconds())
	}
	return ok
}

// retry runs fn until it succeeds, fails permanently, or ctx ends. While it
// retries, the consumer reports itself unhealthy.
func (c *Consumer) retry(ctx context.Context, what string, fn func() error) error {
	backoff := c.cfg.RetryMin
	for attempt := 1; ; attempt++ {
		err := fn()
		if err == nil {
			if attempt > 1 {
				c.retrying.Store(false)
				c.log.Info(what+" succeeded after retries", "attempts", attempt)
			}
			return nil
		}
		if !c.transient(err) || ctx.Err() != nil {
			if attempt > 1 {
				c.retrying.Store(false)
			}
			return err
		}
		msg := err.Error()
		c.lastErr.Store(&msg)
		c.retrying.Store(true)
		c.m.retries.WithLabelValues(what).Inc()
		c.log.Warn(what+" failed, retrying", "attempt", attempt, "backoff", backoff, "err", err)
		// Full jitter keeps a fleet of consumers from retrying in step.
		sleep := backoff/2 + time.Duration(rand.Int64N(int64(backoff/2)+1))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(sleep):
		}
		backoff = min(backoff*2, c.cfg.RetryMax)
	}
}

func (c *Consumer) transient(err error) bool {
	if c.cfg.IsTransient(err) {
		return true
	}
	// Kafka-side trouble writing dead letters is transient too.
	var ke kafka.Error
	if errors.As(err, &ke) {
		return ke.Temporary()
	}
	var we kafka.WriteErrors
	return errors.As(err, &we)
}

// budget bounds the bytes held by items not yet finished.
type budget struct {
	mu   sync.Mutex
	cond *sync.Cond
	max  int64
	used int64
}

func newBudget(max int64) *budget {
	b := &budget{max: max}
	b.cond = sync.NewCond(&b.mu)
	return b
}

// acquire waits for n bytes; a single item larger than the whole budget is
// let through when nothing else is held. It returns false when ctx ends.
func (b *budget) acquire(ctx context.Context, n int64) bool {
	stop := context.AfterFunc(ctx, func() {
		b.mu.Lock()
		b.cond.Broadcast()
		b.mu.Unlock()
	})
	defer stop()
	b.mu.Lock()
	defer b.mu.Unlock()
	for b.used > 0 && b.used+n > b.max {
		if ctx.Err() != nil {
			return false
		}
		b.cond.Wait()
	}
	b.used += n
	return true
}

func (b *budget) release(n int64) {
	b.mu.Lock()
	b.used -= n
	b.cond.Broadcast()
	b.mu.Unlock()
}
