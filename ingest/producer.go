package ingest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/segmentio/kafka-go"
)

// TopicSpec describes a topic this service creates when it is missing.
type TopicSpec struct {
	Name       string
	Partitions int
	// MaxMessageBytes raises the topic's message size limit (0 = broker
	// default); the dead-letter topic must take whatever the source topic took.
	MaxMessageBytes int
}

// EnsureTopics creates the topics that do not exist yet. Existing topics
// are left as they are.
func EnsureTopics(ctx context.Context, conn Conn, specs ...TopicSpec) error {
	c, closeIdle := conn.client(10 * time.Second)
	defer closeIdle()
	req := &kafka.CreateTopicsRequest{}
	for _, s := range specs {
		tc := kafka.TopicConfig{Topic: s.Name, NumPartitions: s.Partitions, ReplicationFactor: -1}
		if s.MaxMessageBytes > 0 {
			tc.ConfigEntries = append(tc.ConfigEntries, kafka.ConfigEntry{ConfigName: "max.message.bytes", ConfigValue: strconv.Itoa(s.MaxMessageBytes)})
		}
		req.Topics = append(req.Topics, tc)
	}
	res, err := c.CreateTopics(ctx, req)
	if err != nil {
		// kafka-go reports a refused controller connection as "broker not
		// available"; a plain metadata request tells the real reason.
		if cerr := conn.Check(ctx, "", 10*time.Second); IsRefused(cerr) {
			return fmt.Errorf("cannot create topics: %w", cerr)
		}
		return fmt.Errorf("cannot create topics: %w", conn.explain(err))
	}
	for name, err := range res.Errors {
		if err != nil && !errors.Is(err, kafka.TopicAlreadyExists) {
			return fmt.Errorf("cannot create topic %s: %w", name, err)
		}
	}
	return nil
}

// Producer writes records to a topic, keyed by case id so that every version
// of a case lands in the same partition, in order.
type Producer struct {
	w    *kafka.Writer
	t    *kafka.Transport // owned: Close closes its connections
	conn Conn
}

// NewProducer returns a producer that waits for all in-sync replicas; it
// dials with conn's TLS and SASL.
func NewProducer(conn Conn, topic string) *Producer {
	t := conn.transport()
	return &Producer{conn: conn, t: t, w: &kafka.Writer{
		Addr: kafka.TCP(conn.Brokers...), Topic: topic, Transport: t,
		Balancer: &kafka.Hash{}, RequiredAcks: kafka.RequireAll,
		BatchSize: 10_000, BatchBytes: 16 << 20, BatchTimeout: 20 * time.Millisecond,
		Compression: kafka.Lz4, AllowAutoTopicCreation: true,
	}}
}

// Record is one message to produce.
type Record struct {
	Key   []byte
	Value []byte
}

// Send writes records synchronously.
func (p *Producer) Send(ctx context.Context, recs ...Record) error {
	msgs := make([]kafka.Message, len(recs))
	for i, r := range recs {
		msgs[i] = kafka.Message{Key: r.Key, Value: r.Value}
	}
	if err := p.w.WriteMessages(ctx, msgs...); err != nil {
		return fmt.Errorf("cannot produce to %s: %w", p.w.Topic, p.conn.explain(err))
	}
	return nil
}

// Close flushes and releases the producer; safe to call twice.
func (p *Producer) Close() error {
	if p.w == nil {
		return nil
	}
	err := p.w.Close()
	p.t.CloseIdleConnections()
	p.w = nil
	return err
}
