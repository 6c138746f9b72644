package ingest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"

	"github.com/riskwatch/riskwatch/ingest"
	"github.com/riskwatch/riskwatch/internal/testenv"
)

// TestLagPerPartition: before the group commits anything its lag is every
// message of each partition; after it commits offsets the lag is what is
// left; the collector exports one gauge per partition.
func TestLagPerPartition(t *testing.T) {
	k := testenv.Kafka(t)
	topic := testenv.FreshDatabase(t, "lag")
	ctx := context.Background()
	if err := ingest.EnsureTopics(ctx, ingest.Plain(k.Addr), ingest.TopicSpec{Name: topic, Partitions: 2}); err != nil {
		t.Fatal(err)
	}
	w := &kafka.Writer{Addr: kafka.TCP(k.Addr), Topic: topic, Balancer: kafka.BalancerFunc(func(m kafka.Message, _ ...int) int { return m.Partition }), RequiredAcks: kafka.RequireAll, BatchSize: 1}
	defer w.Close()
	var msgs []kafka.Message
	for i := range 5 {
		msgs = append(msgs, kafka.Message{Partition: 0, Value: []byte{byte(i)}})
	}
	for i := range 3 {
		msgs = append(msgs, kafka.Message{Partition: 1, Value: []byte{byte(i)}})
	}
	// A topic just created may be unknown to the broker's metadata for a
	// moment: the first writes are retried until it is known.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		err := w.WriteMessages(ctx, msgs...)
		if err == nil {
			break
		}
		if !errors.Is(err, kafka.UnknownTopicOrPartition) || time.Now().After(deadline) {
			t.Fatal(err)
		}
	}
	l := ingest.NewLagCollector(ingest.Plain(k.Addr), topic, "g_"+topic)
	// A fresh broker answers "not coordinator" until its offsets topic is
	// up; a scrape then exports nothing, so the test asks again.
	var lags map[int]int64
	var err error
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(500 * time.Millisecond) {
		if lags, err = l.Lags(ctx); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
	}
	if lags[0] != 5 || lags[1] != 3 || len(lags) != 2 {
		t.Errorf("lags before any commit %v, want partition 0: 5, 1: 3", lags)
	}
	c := &kafka.Client{Addr: kafka.TCP(k.Addr)}
	resp, err := c.OffsetCommit(ctx, &kafka.OffsetCommitRequest{GroupID: "g_" + topic, GenerationID: -1,
		Topics: map[string][]kafka.OffsetCommit{topic: {{Partition: 0, Offset: 4}, {Partition: 1, Offset: 3}}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, ps := range resp.Topics {
		for _, p := range ps {
			if p.Error != nil {
				t.Fatalf("commit partition %d: %v", p.Partition, p.Error)
			}
		}
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(l)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "riskwatch_ingest_group_lag" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, lp := range m.GetLabel() {
				labels[lp.GetName()] = lp.GetValue()
			}
			if labels["topic"] != topic {
				t.Errorf("gauge for topic %q", labels["topic"])
			}
			got[labels["partition"]] = m.GetGauge().GetValue()
		}
	}
	if len(got) != 2 || got["0"] != 1 || got["1"] != 0 {
		t.Errorf("riskwatch_ingest_group_lag after the commit: %v, want partition 0: 1, 1: 0", got)
	}

	// Behind counts only what was in the topic when the marks were taken:
	// messages produced since do not hold up a caller waiting for them.
	marks, err := l.Ends(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(marks) != 2 || marks[0] != 5 || marks[1] != 3 {
		t.Errorf("Ends %v, want partition 0: 5, 1: 3", marks)
	}
	if err := w.WriteMessages(ctx, kafka.Message{Partition: 1, Value: []byte{9}}, kafka.Message{Partition: 1, Value: []byte{10}}); err != nil {
		t.Fatal(err)
	}
	if n, err := l.Behind(ctx, marks); err != nil || n != 1 {
		t.Errorf("Behind the marks after two more messages: %d (%v), want 1", n, err)
	}
	if _, err := c.OffsetCommit(ctx, &kafka.OffsetCommitRequest{GroupID: "g_" + topic, GenerationID: -1,
		Topics: map[string][]kafka.OffsetCommit{topic: {{Partition: 0, Offset: 5}}}}); err != nil {
		t.Fatal(err)
	}
	if n, err := l.Behind(ctx, marks); err != nil || n != 0 {
		t.Errorf("Behind the marks once they are committed: %d (%v), want 0", n, err)
	}
	if lags, err := l.Lags(ctx); err != nil || lags[0] != 0 || lags[1] != 2 {
		t.Errorf("lags after the commit %v (%v), want partition 0: 0, 1: 2", lags, err)
	}
}
