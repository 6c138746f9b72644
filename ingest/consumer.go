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
	// InsertCases writes the rows of every slice as one insert.
	InsertCases(ctx context.Context, rows ...[]schemas.CaseRow) error
	InsertIngestErrors(ctx context.Context, rows []schemas.IngestErrorRow) error
}

// Config configures a Consumer. Zero values take the defaults noted.
type Config struct {
	Brokers []string
	// Conn carries the TLS and SASL settings of every connection the
	// consumer makes (group, partition readers, dead-letter writer); its
	// Brokers default to Brokers.
	Conn     Conn
	Topic    string
	DLQTopic string
	Group    string

	BatchRows  int // flush at this many rows; default 100,000
	BatchBytes int // … or this many message bytes; default 64 MiB
	// … or when the oldest row is this old and the inserter has room for
	// the batch (else it grows on); default 1 s
	BatchAge time.Duration
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
	// IsDataError reports a Sink error caused by the rows themselves (the
	// batch is then bisected down to the refused rows). Any other permanent
	// error stops the consumer instead of dead-lettering good rows. Nil
	// treats every permanent error as a data error.
	IsDataError func(error) bool
	Now         func() time.Time // for ingest_errors; default time.Now
	Logger      *slog.Logger
	Metrics     *Metrics // may be nil
}

func (c *Config) defaults() error {
	if len(c.Conn.Brokers) == 0 {
		c.Conn.Brokers = c.Brokers
	}
	c.Brokers = c.Conn.Brokers
	if len(c.Brokers) == 0 || c.Topic == "" || c.Group == "" {
		return errors.New("cannot start the consumer: brokers, topic and group are required")
	}
	if c.Handler == nil || c.Sink == nil || c.IsTransient == nil {
		return errors.New("cannot start the consumer: handler, sink and IsTransient are required")
	}
	if c.DLQTopic == "" {
		c.DLQTopic = c.Topic + ".dlq"
	}
	setDefault(&c.BatchRows, 100_000)
	setDefault(&c.BatchBytes, 64<<20)
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
	dlqT   *kafka.Transport // owned by the dead-letter writer
	budget *budget

	in     chan *chunk // partition loops → batcher
	chunks sync.Pool   // recycled chunks

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
	halted    atomic.Bool // a batch failed: no later batch is written or committed
	cancelRun context.CancelFunc
}

// NewConsumer checks the configuration.
func NewConsumer(cfg Config) (*Consumer, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	c := &Consumer{
		cfg: cfg, log: cfg.Logger, m: cfg.Metrics,
		budget:   newBudget(cfg.BufferBytes),
		in:       make(chan *chunk, 64),
		drainReq: make(chan chan uint64),
	}
	c.cond = sync.NewCond(&c.mu)
	c.dlqT = cfg.Conn.transport()
	c.dlq = &kafka.Writer{
		Addr: kafka.TCP(cfg.Brokers...), Topic: cfg.DLQTopic, Transport: c.dlqT,
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
	// Credentials and certificates are checked once before anything
	// starts: a refusal is permanent, so the consumer stops at once with an
	// error naming what to check instead of retrying forever. A broker that
	// does not answer yet is transient and left to the retries below.
	if err := c.cfg.Conn.Check(parent, c.cfg.Topic, checkTimeout); err != nil {
		if IsRefused(err) {
			c.dlq.Close()
			c.dlqT.CloseIdleConnections()
			return err
		}
		c.log.Warn("Kafka does not answer yet; retrying", "err", err)
	}
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
	if err := EnsureTopics(ctx, c.cfg.Conn, TopicSpec{Name: c.cfg.DLQTopic, Partitions: -1, MaxMessageBytes: 64 << 20}); err != nil {
		c.log.Warn("cannot ensure the dead-letter topic; relying on auto-creation", "topic", c.cfg.DLQTopic, "err", err)
	}

	group, err := kafka.NewConsumerGroup(kafka.ConsumerGroupConfig{
		ID: c.cfg.Group, Brokers: c.cfg.Brokers, Topics: []string{c.cfg.Topic}, Dialer: c.cfg.Conn.dialer(),
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
				if IsRefused(err) {
					// The credentials or certificates stopped being
					// accepted: permanent, stop with the reason.
					err = fmt.Errorf("cannot join consumer group %s: %w", c.cfg.Group, c.cfg.Conn.explain(err))
					c.fatal.CompareAndSwap(nil, &err)
					c.cancelRun()
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
	if p := c.fatal.Load(); p != nil && runErr == nil {
		runErr = *p // a permanent failure during the final flush
	}
	if err := c.dlq.Close(); err != nil && runErr == nil {
		runErr = fmt.Errorf("cannot close dead-letter writer: %w", err)
	}
	c.dlqT.CloseIdleConnections()
	return runErr
}

// checkTimeout bounds the connection check at the start of Run.
const checkTimeout = 15 * time.Second

// chunkRows is how many consecutive messages of a partition travel
// together from its loop to the batcher: one channel operation and one
// budget entry per chunk instead of per message.
const chunkRows = 512

// chunkLinger is how long a partly filled chunk waits for more messages
// before it is handed over, so a quiet stream is not held back.
const chunkLinger = 50 * time.Millisecond

// rowOverhead estimates the memory of a transformed row beyond its raw
// message bytes (the CaseRow struct and its strings), for the byte budget.
const rowOverhead = 768

// lingerContext is the deadline of a chunk's wait for more messages; its
// cancel function runs when the chunk is handed over.
func lingerContext(parent context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(parent, chunkLinger)
}

// chunk is a run of consecutive messages of one partition.
type chunk struct {
	gen       *kafka.Generation
	partition int
	last      int64 // offset of the last message in the chunk
	rows      []schemas.CaseRow
	rejects   []item
	bytes     int64 // budgeted bytes (memory estimate)
	raw       int64 // message bytes, for the batch size limit
	// behind is how many messages the partition held after the chunk's
	// last one when it was fetched (its high-water mark), a lower bound of
	// what is ready to be read next.
	behind int64
}

func (ch *chunk) len() int { return len(ch.rows) + len(ch.rejects) }

// item is one rejected message on its way to the dead letters.
type item struct {
	partition int
	offset    int64
	reject    *Reject
	msg       *kafka.Message // the raw message for the DLQ
}

func (c *Consumer) newChunk(gen *kafka.Generation, partition int) *chunk {
	ch, _ := c.chunks.Get().(*chunk)
	if ch == nil {
		ch = &chunk{rows: make([]schemas.CaseRow, 0, chunkRows)}
	}
	ch.gen, ch.partition = gen, partition
	return ch
}

// recycle returns a finished chunk's memory for reuse.
func (c *Consumer) recycle(ch *chunk) {
	clear(ch.rows) // drop the strings the rows point to
	ch.rows, ch.rejects, ch.bytes, ch.raw, ch.gen, ch.behind = ch.rows[:0], nil, 0, 0, nil, 0
	c.chunks.Put(ch)
}

// partitionLoop reads one assigned partition until the generation ends,
// then drains: it waits until everything it handed over is committed.
func (c *Consumer) partitionLoop(gctx context.Context, gen *kafka.Generation, partition int, offset int64) {
	log := c.log.With("partition", partition)
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers: c.cfg.Brokers, Topic: c.cfg.Topic, Partition: partition, Dialer: c.cfg.Conn.dialer(),
		MinBytes: 1, MaxBytes: c.cfg.FetchBytes, MaxWait: c.cfg.MaxWait,
		ReadBackoffMin: 50 * time.Millisecond, ReadBackoffMax: time.Second,
	})
	defer r.Close()
	if err := r.SetOffset(offset); err != nil {
		log.Error("cannot set offset", "offset", offset, "err", err)
		return
	}
	log.Debug("partition assigned", "offset", offset)
	seen := newVersionCache(versionCacheEntries)
	var (
		cur        *chunk
		lingerCtx  context.Context
		stopLinger context.CancelFunc = func() {}
	)
	defer func() { stopLinger() }()
	send := func() {
		stopLinger()
		if cur != nil && cur.len() > 0 {
			c.in <- cur
		}
		cur = nil
	}
	for {
		fetchCtx := gctx
		if cur != nil {
			fetchCtx = lingerCtx
		}
		m, err := r.FetchMessage(fetchCtx)
		if err != nil {
			if gctx.Err() != nil {
				break
			}
			if cur != nil && lingerCtx.Err() != nil {
				send() // nothing more arrived within the linger time
				continue
			}
			log.Warn("fetch failed", "err", err)
			c.m.fetchErrors.Inc()
			continue
		}
		size := int64(2*len(m.Value) + len(m.Key) + rowOverhead)
		if !c.budget.tryAcquire(size) {
			// Hand over what this loop holds before waiting, so that the
			// budget can only be full of chunks that are on their way.
			send()
			if !c.budget.acquire(gctx, size) {
				// The generation ended while waiting: this message was not
				// handed over and will be redelivered.
				break
			}
		}
		if cur == nil {
			cur = c.newChunk(gen, partition)
			lingerCtx, stopLinger = lingerContext(gctx)
		}
		c.m.consumed.Inc()
		cur.last = m.Offset
		cur.behind = max(0, m.HighWaterMark-m.Offset-1)
		cur.bytes += size
		cur.raw += int64(len(m.Value) + len(m.Key))
		row, rej := c.cfg.Handler(Message{Topic: m.Topic, Partition: m.Partition, Offset: m.Offset, Key: m.Key, Value: m.Value, Time: m.Time})
		if rej == nil {
			if first := seen.check(&row, m.Value, m.Offset); first >= 0 {
				rej = &Reject{Reason: "duplicate_version",
					Detail: fmt.Sprintf("case %s version %d was already received at offset %d with different content; the first stands", row.CaseID, row.Version, first),
					Masked: row.Summary}
			}
		}
		if rej != nil {
			mm := m
			cur.rejects = append(cur.rejects, item{partition: partition, offset: m.Offset, reject: rej, msg: &mm})
		} else {
			cur.rows = append(cur.rows, row)
		}
		if cur.len() >= chunkRows {
			send()
		}
	}
	send()
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

// batch is a sealed set of chunks, inserted as one.
type batch struct {
	seq    uint64
	chunks []*chunk
	rows   int
	bytes  int64 // budgeted bytes, released when the batch is finished
	raw    int64 // message bytes, for BatchBytes
	start  time.Time
	why    string
	// behind holds, per partition, the messages its latest chunk left
	// ready in Kafka (chunk.behind).
	behind map[int]int64
}

func (b *batch) add(ch *chunk) {
	b.chunks = append(b.chunks, ch)
	b.rows += ch.len()
	b.bytes += ch.bytes
	b.raw += ch.raw
	if b.behind == nil {
		b.behind = make(map[int]int64, 4)
	}
	b.behind[ch.partition] = ch.behind
}

// ready is how many messages the partitions of the batch had ready in
// Kafka beyond what the batch holds, as of their latest chunks.
func (b *batch) ready() int64 {
	var n int64
	for _, v := range b.behind {
		n += v
	}
	return n
}

// backlogAgeFactor bounds how long a batch may wait past BatchAge for a
// backlog to fill it: at most this many times BatchAge in all.
const backlogAgeFactor = 5

// batcher collects chunks into batches and seals them on rows, bytes, age
// or a drain request. It is the only writer of the open batch. A batch of
// age is sealed only when out has room for it: while the inserter is busy
// with one batch and another waits, the open batch keeps growing (up to
// BatchRows and BatchBytes), so that a server that cannot keep up gets
// fewer, larger inserts (fewer parts, less work per row) instead of a
// queue of small ones. Nor is a batch sealed by age while Kafka already
// holds the records to fill it up to BatchRows (catching up on a backlog):
// waiting for them delays no record (they are read as fast as they come)
// and gives one full insert instead of several small ones; it waits at
// most backlogAgeFactor × BatchAge in all.
func (c *Consumer) batcher(ctx context.Context, out chan<- *batch) {
	defer close(out)
	tick := time.NewTicker(c.cfg.BatchAge / 4)
	defer tick.Stop()
	var cur *batch
	add := func(ch *chunk) {
		if cur == nil {
			cur = &batch{start: time.Now()}
		}
		cur.add(ch)
	}
	seal := func(why string) {
		if cur == nil || len(cur.chunks) == 0 {
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
		case ch, ok := <-c.in:
			if !ok {
				seal("shutdown")
				return
			}
			add(ch)
			if cur.rows >= c.cfg.BatchRows {
				seal("rows")
			} else if cur.raw >= int64(c.cfg.BatchBytes) {
				seal("bytes")
			}
		case reply := <-c.drainReq:
			// A partition loop sent its last chunk before asking; it may
			// still sit in the channel, so take everything queued now.
			for n := len(c.in); n > 0; n-- {
				add(<-c.in)
			}
			seal("drain")
			c.mu.Lock()
			reply <- c.sealed
			c.mu.Unlock()
		case <-tick.C:
			if cur != nil && time.Since(cur.start) >= c.cfg.BatchAge && len(out) < cap(out) && !c.fillsFromBacklog(cur) {
				seal("age")
			}
		}
	}
}

// fillsFromBacklog reports whether an aged batch b should wait for the
// records Kafka holds ready: they are enough to fill it up to BatchRows,
// it is younger than backlogAgeFactor × BatchAge, and it can grow (the
// partition loops are not all stopped by the buffer budget while no other
// batch is in flight to free it).
func (c *Consumer) fillsFromBacklog(b *batch) bool {
	if time.Since(b.start) >= backlogAgeFactor*c.cfg.BatchAge {
		return false
	}
	if b.ready() < int64(c.cfg.BatchRows-b.rows) {
		return false
	}
	c.mu.Lock()
	inFlight := c.done < c.sealed
	c.mu.Unlock()
	return inFlight || !c.budget.blocked()
}

// inserter finishes batches strictly in order: dead letters, rows, commit.
func (c *Consumer) inserter(ctx context.Context, in <-chan *batch) {
	for b := range in {
		t0 := time.Now()
		committed := false
		if c.fatal.Load() == nil && !c.halted.Load() {
			var err error
			committed, err = c.finish(ctx, b)
			if err != nil {
				// Nothing after a batch that was not written may be
				// committed, at shutdown too: later batches are abandoned.
				c.halted.Store(true)
			}
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
			c.m.abandoned.Add(float64(b.rows))
		}
		c.budget.release(b.bytes)
		for _, ch := range b.chunks {
			c.recycle(ch)
		}
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
		rows    = make([][]schemas.CaseRow, 0, len(b.chunks))
		rejects []item
		n       int
	)
	for _, ch := range b.chunks {
		rejects = append(rejects, ch.rejects...)
		if len(ch.rows) > 0 {
			rows = append(rows, ch.rows)
			n += len(ch.rows)
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
	c.m.inserted.Add(float64(n - len(refused)))
	return c.commit(b), nil
}

// insertRows inserts with retries on transient errors. Rows the server
// refuses for a data reason are isolated by bisection and returned as
// rejects; the others are inserted.
func (c *Consumer) insertRows(ctx context.Context, rows [][]schemas.CaseRow) ([]item, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	err := c.retry(ctx, "insert", func() error { return c.cfg.Sink.InsertCases(ctx, rows...) })
	if err == nil || ctx.Err() != nil {
		return nil, err
	}
	if c.cfg.IsDataError != nil && !c.cfg.IsDataError(err) {
		return nil, err // not about the rows: stop rather than dead-letter good rows
	}
	// A permanent error: the server refused something in these rows.
	var flat []schemas.CaseRow
	for _, r := range rows {
		flat = append(flat, r...)
	}
	refused, berr := c.bisect(ctx, flat)
	if berr == nil && len(flat) > 1 && len(refused) == len(flat) {
		// Every row refused: the table, not the data, is at fault (schema
		// drift, a failing view, permissions). Stop instead of skipping.
		return nil, fmt.Errorf("every row of the batch was refused: %w", err)
	}
	return refused, berr
}

func (c *Consumer) bisect(ctx context.Context, rows []schemas.CaseRow) ([]item, error) {
	if len(rows) == 1 {
		err := c.retry(ctx, "insert", func() error { return c.cfg.Sink.InsertCases(ctx, rows) })
		if err == nil || ctx.Err() != nil {
			return nil, err
		}
		if c.cfg.IsDataError != nil && !c.cfg.IsDataError(err) {
			return nil, err
		}
		r := rows[0]
		c.log.Warn("row refused by ClickHouse", "topic", r.Topic, "partition", r.Partition, "offset", r.Offset, "err", err)
		return []item{{partition: int(r.Partition), offset: r.Offset, reject: &Reject{
			Reason: "clickhouse_rejected", Detail: err.Error(), Masked: rowJSON(r),
		}, msg: &kafka.Message{Topic: r.Topic, Partition: int(r.Partition), Offset: r.Offset, Key: []byte(r.CaseID), Value: []byte(rowJSON(r))}}}, nil
	}
	c.m.bisections.Inc()
	mid := len(rows) / 2
	var refused []item
	for _, half := range [][]schemas.CaseRow{rows[:mid], rows[mid:]} {
		err := c.retry(ctx, "insert", func() error { return c.cfg.Sink.InsertCases(ctx, half) })
		if err == nil {
			continue
		}
		if ctx.Err() != nil {
			return nil, err
		}
		r, err := c.bisect(ctx, half)
		if err != nil {
			return nil, err
		}
		refused = append(refused, r...)
	}
	return refused, nil
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
// message of the batch. A failed commit (the partition moved to another
// member) is not an error for the data: the new owner re-reads from the last
// commit and the tables collapse the repeat.
func (c *Consumer) commit(b *batch) bool {
	offsets := map[*kafka.Generation]map[int]int64{}
	for _, ch := range b.chunks {
		m := offsets[ch.gen]
		if m == nil {
			m = map[int]int64{}
			offsets[ch.gen] = m
		}
		if ch.last+1 > m[ch.partition] {
			m[ch.partition] = ch.last + 1
		}
	}
	ok := true
	for gen, m := range offsets {
		if err := c.commitGeneration(gen, m); err != nil {
			c.log.Warn("offset commit failed; the records will be redelivered and collapse", "generation", gen.ID, "err", err)
			c.m.commitErrors.Inc()
			ok = false
		}
	}
	return ok
}

// commitGeneration commits offsets through a generation. A coordinator that
// is loading, moving or slow answers with a temporary error: that is
// retried (a lost commit would make the next owner re-read the partition).
// An error saying the generation is over (rebalance in progress, illegal
// generation, unknown member) is final: the partitions belong to the next
// generation, whose owner re-reads from the last commit.
func (c *Consumer) commitGeneration(gen *kafka.Generation, offsets map[int]int64) error {
	backoff := c.cfg.RetryMin
	deadline := time.Now().Add(commitRetryFor)
	for {
		t0 := time.Now()
		err := gen.CommitOffsets(map[string]map[int]int64{c.cfg.Topic: offsets})
		if err == nil {
			c.m.commitSeconds.Observe(time.Since(t0).Seconds())
			return nil
		}
		if generationOver(err) || time.Now().After(deadline) {
			return err
		}
		c.m.retries.WithLabelValues("commit").Inc()
		c.log.Warn("offset commit failed, retrying", "generation", gen.ID, "backoff", backoff, "err", err)
		time.Sleep(backoff)
		backoff = min(backoff*2, 2*time.Second)
	}
}

// commitRetryFor bounds the retries of one commit; it stays well inside the
// rebalance timeout so that a drain cannot hold a rebalance up for long.
const commitRetryFor = 10 * time.Second

// generationOver reports whether a commit error means the generation ended.
func generationOver(err error) bool {
	for _, e := range []kafka.Error{kafka.RebalanceInProgress, kafka.IllegalGeneration, kafka.UnknownMemberId, kafka.FencedInstanceID} {
		if errors.Is(err, e) {
			return true
		}
	}
	var ke kafka.Error
	if errors.As(err, &ke) {
		return !ke.Temporary()
	}
	return false // network errors and timeouts: worth another try
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
	if errors.As(err, &we) {
		// WriteErrors does not unwrap: look at each message's error. A
		// message the broker refuses for good (too large) is not retried.
		for _, e := range we {
			if e == nil {
				continue
			}
			var ke kafka.Error
			if errors.As(e, &ke) && !ke.Temporary() {
				return false
			}
		}
		return true
	}
	return false
}

// budget bounds the bytes held by items not yet finished.
type budget struct {
	mu   sync.Mutex
	cond *sync.Cond
	max  int64
	used int64
	// waiting counts the acquire calls waiting for bytes.
	waiting int
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
	b.waiting++
	defer func() { b.waiting-- }()
	for b.used > 0 && b.used+n > b.max {
		if ctx.Err() != nil {
			return false
		}
		b.cond.Wait()
	}
	b.used += n
	return true
}

// tryAcquire takes n bytes if they are free now.
func (b *budget) tryAcquire(n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.used > 0 && b.used+n > b.max {
		return false
	}
	b.used += n
	return true
}

// blocked reports whether an acquire is waiting for bytes.
func (b *budget) blocked() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.waiting > 0
}

func (b *budget) release(n int64) {
	b.mu.Lock()
	b.used -= n
	b.cond.Broadcast()
	b.mu.Unlock()
}
