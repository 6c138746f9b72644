package ingest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/riskwatch/riskwatch/ingest"
	"github.com/riskwatch/riskwatch/internal/testenv"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

// testRecord is the tiny wire format these tests produce; the real
// transform is exercised by the application's tests.
type testRecord struct {
	ID     string `json:"id"`
	V      uint32 `json:"v"`
	Poison bool   `json:"poison,omitempty"`
}

var day = time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)

// testHandler turns a testRecord into a row; "poison" and undecodable
// messages are rejected.
func testHandler(m ingest.Message) (schemas.CaseRow, *ingest.Reject) {
	var r testRecord
	if err := json.Unmarshal(m.Value, &r); err != nil {
		return schemas.CaseRow{}, &ingest.Reject{Reason: "bad_json", Detail: err.Error(), Masked: "[undecodable]"}
	}
	if r.Poison {
		return schemas.CaseRow{}, &ingest.Reject{Reason: "poison", Detail: "test poison", Masked: string(m.Value)}
	}
	return schemas.CaseRow{
		Source: schemas.SourcePlatform, CaseID: r.ID, Version: r.V, Contract: 1,
		ReportedAt: day, ReportedDate: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC),
		RegionCode: "150502001001", RegionLevel: 5, CityCode: "150500000000", CountyCode: "150502000000",
		TownCode: "150502001000", VillageCode: "150502001001", Category: "neighbor.noise", CategoryGroup: "neighbor",
		CategoryRule: "given", Severity: schemas.SeverityGeneral, Parties: 2, Status: schemas.StatusAccepted,
		IngestedAt: day, Topic: m.Topic, Partition: int32(m.Partition), Offset: m.Offset,
	}, nil
}

// env is one test's broker, topic, store and database.
type env struct {
	brokers []string
	topic   string
	group   string
	st      *store.Store
	chAddr  string
	db      string
}

func newEnv(t *testing.T, brokers []string, chAddr string) *env {
	t.Helper()
	ctx := context.Background()
	db := testenv.FreshDatabase(t, "ingest")
	st, err := store.Open(ctx, store.Options{Addrs: []string{chAddr}, Database: db, Username: "default",
		DialTimeout: 5 * time.Second, ReadTimeout: time.Minute, MaxOpenConns: 4, Compression: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.DropDatabase(context.Background()); _ = st.Close() })
	migs, _ := schemas.Migrations()
	if _, err := st.Migrate(ctx, migs); err != nil {
		t.Fatal(err)
	}
	e := &env{brokers: brokers, topic: "t_" + db, group: "g_" + db, st: st, chAddr: chAddr, db: db}
	if err := ingest.EnsureTopics(ctx, ingest.Plain(brokers...), ingest.TopicSpec{Name: e.topic, Partitions: 4}); err != nil {
		t.Fatal(err)
	}
	return e
}

// produce writes cases [from, to) as version 1 and, for every third case,
// a version 2, keyed by case id.
func (e *env) produce(t *testing.T, from, to int, extra ...testRecord) (versions int) {
	t.Helper()
	p := ingest.NewProducer(ingest.Plain(e.brokers...), e.topic)
	defer p.Close()
	var recs []ingest.Record
	add := func(r testRecord) {
		b, _ := json.Marshal(r)
		recs = append(recs, ingest.Record{Key: []byte(r.ID), Value: b})
	}
	for i := from; i < to; i++ {
		id := fmt.Sprintf("c%07d", i)
		add(testRecord{ID: id, V: 1})
		versions++
		if i%3 == 0 {
			add(testRecord{ID: id, V: 2})
			versions++
		}
	}
	for _, r := range extra {
		add(r)
	}
	for len(recs) > 0 {
		n := min(len(recs), 5000)
		if err := p.Send(context.Background(), recs[:n]...); err != nil {
			t.Fatal(err)
		}
		recs = recs[n:]
	}
	return versions
}

func (e *env) config(m *ingest.Metrics) ingest.Config {
	return ingest.Config{
		Brokers: e.brokers, Topic: e.topic, Group: e.group,
		BatchRows: 2000, BatchAge: 200 * time.Millisecond, RetryMax: 2 * time.Second,
		Handler: testHandler, Sink: e.st, IsTransient: store.IsTransient, Metrics: m,
		Logger: testLogger(),
	}
}

// testLogger logs to stderr when RISKWATCH_TEST_LOG is set (debugging).
func testLogger() *slog.Logger {
	if os.Getenv("RISKWATCH_TEST_LOG") == "" {
		return nil
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// waitCases waits until cases FINAL holds want rows.
func (e *env) waitCases(t *testing.T, want uint64, timeout time.Duration) store.CaseStats {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		s, err := e.st.CaseStats(context.Background())
		if err == nil && s.Rows >= want {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v: cases %+v (err %v), want %d", timeout, s, err, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// committedTotal sums the group's committed offsets over the topic.
func (e *env) committedTotal(t *testing.T) int64 {
	t.Helper()
	c := &kafka.Client{Addr: kafka.TCP(e.brokers...)}
	res, err := c.OffsetFetch(context.Background(), &kafka.OffsetFetchRequest{GroupID: e.group, Topics: map[string][]int{e.topic: {0, 1, 2, 3}}})
	if err != nil {
		t.Fatal(err)
	}
	var sum int64
	for _, p := range res.Topics[e.topic] {
		if p.CommittedOffset > 0 {
			sum += p.CommittedOffset
		}
	}
	return sum
}

func runConsumer(t *testing.T, cfg ingest.Config) (stop func() error) {
	t.Helper()
	c, err := ingest.NewConsumer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	var once sync.Once
	var res error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case res = <-done:
			case <-time.After(40 * time.Second):
				res = fmt.Errorf("consumer did not stop within 40 s")
			}
		})
		return res
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}

// TestConsumeEveryRecordOnce: every produced version is inserted once, the
// bad ones go to the dead letters, and the committed offsets reach the end.
func TestConsumeEveryRecordOnce(t *testing.T) {
	k := testenv.Kafka(t)
	e := newEnv(t, []string{k.Addr}, testenv.ClickHouse(t).Addr)
	versions := e.produce(t, 0, 6000, testRecord{ID: "p1", V: 1, Poison: true}, testRecord{ID: "p2", V: 1, Poison: true})
	m := ingest.NewMetrics(nil)
	stop := runConsumer(t, e.config(m))
	s := e.waitCases(t, 6000, 60*time.Second)
	total := int64(versions + 2)
	deadline := time.Now().Add(20 * time.Second)
	for e.committedTotal(t) < total && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	s, _ = e.st.CaseStats(context.Background())
	if s.Rows != 6000 || s.Distinct != 6000 || s.Events != uint64(versions) {
		t.Errorf("cases %+v, want 6000 cases and %d versions", s, versions)
	}
	if got := e.committedTotal(t); got != total {
		t.Errorf("committed offsets sum to %d, want %d", got, total)
	}
	errs, err := e.st.IngestErrorCounts(context.Background())
	if err != nil || errs["poison"] != 2 {
		t.Errorf("ingest_errors %v (err %v), want 2 poison", errs, err)
	}
	// Both dead letters are on the DLQ topic with their reason. The broker
	// may answer the offsets of a topic it created moments ago with an
	// error for a while: the read is repeated until both are seen.
	readDLQ := func() int {
		got := 0
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for _, p := range dlqPartitions(t, e) {
			rr := kafka.NewReader(kafka.ReaderConfig{Brokers: e.brokers, Topic: e.topic + ".dlq", Partition: p, MaxWait: 200 * time.Millisecond})
			for {
				last, err := lastOffset(e, e.topic+".dlq", p)
				if err != nil || last == 0 {
					break
				}
				m, err := rr.ReadMessage(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if h := header(m, ingest.HeaderReason); h != "poison" {
					t.Errorf("dead letter reason %q", h)
				}
				if header(m, ingest.HeaderSourceTopic) != e.topic || header(m, ingest.HeaderSourceOffset) == "" {
					t.Errorf("dead letter headers %v", m.Headers)
				}
				got++
				if m.Offset+1 >= last {
					break
				}
			}
			rr.Close()
		}
		return got
	}
	got := readDLQ()
	for deadline := time.Now().Add(30 * time.Second); got < 2 && time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		got = readDLQ()
	}
	if got != 2 {
		t.Errorf("%d dead letters on the DLQ topic, want 2", got)
	}
}

func dlqPartitions(t *testing.T, e *env) []int {
	c := &kafka.Client{Addr: kafka.TCP(e.brokers...)}
	md, err := c.Metadata(context.Background(), &kafka.MetadataRequest{Topics: []string{e.topic + ".dlq"}})
	if err != nil {
		t.Fatal(err)
	}
	var ps []int
	for _, tp := range md.Topics {
		for _, p := range tp.Partitions {
			ps = append(ps, p.ID)
		}
	}
	return ps
}

func lastOffset(e *env, topic string, p int) (int64, error) {
	c := &kafka.Client{Addr: kafka.TCP(e.brokers...)}
	res, err := c.ListOffsets(context.Background(), &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{topic: {kafka.LastOffsetOf(p)}}})
	if err != nil {
		return 0, err
	}
	for _, po := range res.Topics[topic] {
		if po.Partition == p {
			return po.LastOffset, po.Error
		}
	}
	return 0, nil
}

func header(m kafka.Message, k string) string {
	for _, h := range m.Headers {
		if h.Key == k {
			return string(h.Value)
		}
	}
	return ""
}

// TestRebalanceLosesAndDuplicatesNothing: a second consumer joins while the
// first is mid-stream; every version is inserted exactly once in total.
func TestRebalanceLosesAndDuplicatesNothing(t *testing.T) {
	k := testenv.Kafka(t)
	e := newEnv(t, []string{k.Addr}, testenv.ClickHouse(t).Addr)
	versions := e.produce(t, 0, 30000)
	m1, m2 := ingest.NewMetrics(nil), ingest.NewMetrics(nil)
	cfg1 := e.config(m1)
	cfg1.BatchRows = 500
	// A slow sink keeps the stream in flight when the second consumer joins
	// (a rebalance takes 1-5 s), however fast the machine is.
	cfg1.Sink = slowSink{e.st, 200 * time.Millisecond}
	// A small buffer keeps the first consumer from fetching the whole
	// stream ahead of its inserts: most of it must still be in Kafka when
	// the second consumer joins, or the second gets nothing to do.
	cfg1.BufferBytes = 1 << 20
	stop1 := runConsumer(t, cfg1)
	// Join when the first has inserted part of the stream.
	deadline := time.Now().Add(60 * time.Second)
	for {
		s, _ := e.st.CaseStats(context.Background())
		if s.Events > 2000 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("first consumer made no progress")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cfg2 := e.config(m2)
	cfg2.BatchRows = 500
	cfg2.Sink = slowSink{e.st, 200 * time.Millisecond}
	cfg2.BufferBytes = 1 << 20
	stop2 := runConsumer(t, cfg2)
	e.waitCases(t, 30000, 90*time.Second)
	deadline = time.Now().Add(30 * time.Second)
	for e.committedTotal(t) < int64(versions) && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if err := stop1(); err != nil {
		t.Error(err)
	}
	if err := stop2(); err != nil {
		t.Error(err)
	}
	s, _ := e.st.CaseStats(context.Background())
	if s.Rows != 30000 || s.Events != uint64(versions) {
		t.Errorf("cases %+v, want 30000 cases, %d versions (lost some)", s, versions)
	}
	ins1, ins2 := ingest.InsertedRows(m1), ingest.InsertedRows(m2)
	if ins1+ins2 != float64(versions) {
		t.Errorf("consumers inserted %v + %v = %v rows, want exactly %d (duplicates or losses)", ins1, ins2, ins1+ins2, versions)
	}
	if ins2 == 0 {
		t.Error("the second consumer got no partitions: no rebalance happened")
	}
	if got := e.committedTotal(t); got != int64(versions) {
		t.Errorf("committed %d, want %d", got, versions)
	}
}

// slowSink delays every insert, to keep a stream in flight in tests.
type slowSink struct {
	*store.Store
	delay time.Duration
}

func (s slowSink) InsertCases(ctx context.Context, rows ...[]schemas.CaseRow) error {
	time.Sleep(s.delay)
	return s.Store.InsertCases(ctx, rows...)
}

// TestClickHouseDownNothingLost: ClickHouse stops for 30 s during ingest;
// the consumer retries without committing, reports itself unhealthy, and
// inserts everything once it is back.
func TestClickHouseDownNothingLost(t *testing.T) {
	if testing.Short() {
		t.Skip("30 s outage")
	}
	k := testenv.Kafka(t)
	ch := testenv.NewClickHouse(t)
	e := newEnv(t, []string{k.Addr}, ch.Addr)
	versions := e.produce(t, 0, 4000)
	cfg := e.config(ingest.NewMetrics(nil))
	c, err := ingest.NewConsumer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	defer func() { cancel(); <-done }()
	e.waitCases(t, 4000, 60*time.Second)

	if err := ch.StopKeep(); err != nil {
		t.Fatal(err)
	}
	committedBefore := e.committedTotal(t)
	more := e.produce(t, 4000, 8000)
	unhealthy := false
	outage := time.Now().Add(30 * time.Second)
	for time.Now().Before(outage) {
		if c.Healthy() != nil {
			unhealthy = true
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !unhealthy {
		t.Error("consumer stayed healthy with ClickHouse down")
	}
	if got := e.committedTotal(t); got != committedBefore {
		t.Errorf("offsets moved from %d to %d while ClickHouse was down", committedBefore, got)
	}
	if err := ch.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	s := e.waitCases(t, 8000, 90*time.Second)
	if s.Rows != 8000 {
		t.Errorf("cases %+v after the outage, want 8000", s)
	}
	// Later versions of the last cases may still be on their way.
	for deadline := time.Now().Add(30 * time.Second); s.Events < uint64(versions+more) && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
		s, _ = e.st.CaseStats(context.Background())
	}
	deadline := time.Now().Add(30 * time.Second)
	for c.Healthy() != nil && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if err := c.Healthy(); err != nil {
		t.Errorf("still unhealthy after recovery: %v", err)
	}
	s, _ = e.st.CaseStats(context.Background())
	if s.Events != uint64(versions+more) {
		t.Errorf("versions %d, want %d", s.Events, versions+more)
	}
}

// TestKillNineMidStream: the ingest process is killed with SIGKILL while
// inserting; after a restart cases holds exactly the produced ids.
func TestKillNineMidStream(t *testing.T) {
	k := testenv.Kafka(t)
	ch := testenv.ClickHouse(t)
	e := newEnv(t, []string{k.Addr}, ch.Addr)
	const n = 60000
	versions := e.produce(t, 0, n)
	start := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestIngestChildProcess$")
		cmd.Env = append(os.Environ(), "RISKWATCH_INGEST_CHILD=1",
			"CHILD_BROKERS="+strings.Join(e.brokers, ","), "CHILD_TOPIC="+e.topic, "CHILD_GROUP="+e.group,
			"CHILD_CH="+e.chAddr, "CHILD_DB="+e.db)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	child := start()
	deadline := time.Now().Add(60 * time.Second)
	for {
		s, _ := e.st.CaseStats(context.Background())
		if s.Events >= 5000 {
			if s.Events >= uint64(versions) {
				t.Fatalf("the whole stream was in before the kill (%d); make it longer", s.Events)
			}
			break
		}
		if time.Now().After(deadline) {
			_ = child.Process.Kill()
			t.Fatal("child made no progress")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := child.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	_ = child.Wait()
	before, _ := e.st.CaseStats(context.Background())
	t.Logf("killed with %d of %d versions stored", before.Events, versions)

	child = start()
	defer func() { _ = child.Process.Kill(); _ = child.Wait() }()
	s := e.waitCases(t, n, 120*time.Second)
	deadline = time.Now().Add(30 * time.Second)
	for s.Events < uint64(versions) && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		s, _ = e.st.CaseStats(context.Background())
	}
	ids, err := e.st.CaseVersions(context.Background(), schemas.SourcePlatform)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != n {
		t.Errorf("cases FINAL holds %d ids, want %d", len(ids), n)
	}
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("c%07d", i)
		want := uint32(1)
		if i%3 == 0 {
			want = 2
		}
		if ids[id] != want {
			t.Fatalf("case %s: stored version %d, want %d", id, ids[id], want)
		}
	}
	if s.Rows != n || s.Events != uint64(versions) {
		t.Errorf("cases %+v, want %d rows and %d versions: none missing, none doubled", s, n, versions)
	}
}

// TestIngestChildProcess is the ingest process of TestKillNineMidStream.
func TestIngestChildProcess(t *testing.T) {
	if os.Getenv("RISKWATCH_INGEST_CHILD") != "1" {
		t.Skip("helper process for TestKillNineMidStream")
	}
	st, err := store.Open(context.Background(), store.Options{Addrs: []string{os.Getenv("CHILD_CH")}, Database: os.Getenv("CHILD_DB"),
		Username: "default", DialTimeout: 5 * time.Second, ReadTimeout: time.Minute, MaxOpenConns: 4, Compression: true})
	if err != nil {
		t.Fatal(err)
	}
	c, err := ingest.NewConsumer(ingest.Config{
		Brokers: strings.Split(os.Getenv("CHILD_BROKERS"), ","), Topic: os.Getenv("CHILD_TOPIC"), Group: os.Getenv("CHILD_GROUP"),
		BatchRows: 1000, BatchAge: 100 * time.Millisecond,
		Handler: testHandler, Sink: st, IsTransient: store.IsTransient,
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = c.Run(context.Background()) // runs until killed
}
