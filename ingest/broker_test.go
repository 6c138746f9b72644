package ingest_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/riskwatch/riskwatch/ingest"
	"github.com/riskwatch/riskwatch/internal/broker"
	"github.com/riskwatch/riskwatch/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// TestRealKafkaRoundTrip proves the harness and the client against a real
// Apache Kafka broker: topic creation, produce, a consumer group through the
// Generation API (JoinGroup/SyncGroup versions Kafka 4 still serves), fetch
// and offset commit.
func TestRealKafkaRoundTrip(t *testing.T) {
	k := testenv.Kafka(t)
	t.Logf("Apache Kafka %s at %s", k.Version, k.Addr)
	roundTrip(t, []string{k.Addr})
}

// TestEmbeddedBrokerRoundTrip runs the same against the in-process broker
// that `make run` uses.
func TestEmbeddedBrokerRoundTrip(t *testing.T) {
	b, err := broker.Start(broker.Options{Partitions: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	roundTrip(t, b.Addrs())
}

func roundTrip(t *testing.T, addrs []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	topic := fmt.Sprintf("rt_%d", time.Now().UnixNano())
	client := &kafka.Client{Addr: kafka.TCP(addrs...)}
	res, err := client.CreateTopics(ctx, &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{{Topic: topic, NumPartitions: 2, ReplicationFactor: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Errors[topic]; err != nil {
		t.Fatal(err)
	}
	info, err := ingest.Probe(ctx, ingest.Plain(addrs...), topic)
	if err != nil {
		t.Fatal(err)
	}
	if info.Brokers != 1 || info.Partitions != 2 {
		t.Fatalf("probe = %+v, want 1 broker and 2 partitions", info)
	}

	const n = 200
	w := &kafka.Writer{Addr: kafka.TCP(addrs...), Topic: topic, RequiredAcks: kafka.RequireAll, Balancer: &kafka.Hash{}, BatchTimeout: 10 * time.Millisecond}
	msgs := make([]kafka.Message, n)
	for i := range msgs {
		msgs[i] = kafka.Message{Key: []byte(fmt.Sprintf("case-%d", i)), Value: []byte(fmt.Sprintf(`{"i":%d}`, i))}
	}
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
	w.Close()

	group, err := kafka.NewConsumerGroup(kafka.ConsumerGroupConfig{
		ID: "rt-" + topic, Brokers: addrs, Topics: []string{topic},
		StartOffset: kafka.FirstOffset, HeartbeatInterval: time.Second, SessionTimeout: 10 * time.Second, RebalanceTimeout: 10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer group.Close()
	// A fresh broker creates __consumer_offsets on the first group request
	// and answers "coordinator not available" until then: a transient error
	// that every consumer retries.
	var gen *kafka.Generation
	for {
		gen, err = group.Next(ctx)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatal(err)
		}
		t.Logf("retrying group join: %v", err)
		time.Sleep(500 * time.Millisecond)
	}
	got := make(chan int, n)
	for _, assignments := range gen.Assignments {
		for _, a := range assignments {
			gen.Start(func(gctx context.Context) {
				r := kafka.NewReader(kafka.ReaderConfig{Brokers: addrs, Topic: topic, Partition: a.ID, MaxWait: 200 * time.Millisecond})
				defer r.Close()
				if err := r.SetOffset(a.Offset); err != nil {
					t.Error(err)
					return
				}
				for {
					m, err := r.ReadMessage(gctx)
					if err != nil {
						return
					}
					got <- 1
					if err := gen.CommitOffsets(map[string]map[int]int64{topic: {a.ID: m.Offset + 1}}); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
	}
	count := 0
	for count < n {
		select {
		case <-got:
			count++
		case <-ctx.Done():
			t.Fatalf("consumed %d of %d messages", count, n)
		}
	}
	// The commits reached the broker: the group's committed offsets sum to n.
	off, err := client.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: "rt-" + topic, Topics: map[string][]int{topic: {0, 1}}})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		var sum int64
		for _, p := range off.Topics[topic] {
			sum += p.CommittedOffset
		}
		if sum == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("committed offsets sum to %d, want %d", sum, n)
		}
		time.Sleep(100 * time.Millisecond)
		if off, err = client.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: "rt-" + topic, Topics: map[string][]int{topic: {0, 1}}}); err != nil {
			t.Fatal(err)
		}
	}
}
