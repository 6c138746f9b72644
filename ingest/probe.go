package ingest

import (
	"context"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"
)

// BrokerInfo is what a reachability probe learned.
type BrokerInfo struct {
	Brokers int    // brokers in the cluster metadata
	Topic   string // the probed topic
	// Partitions of Topic; 0 when the topic does not exist yet.
	Partitions int
}

// Probe asks the cluster for its metadata, the cheapest request that proves
// a broker answers the Kafka protocol. It avoids kafka-go's Conn.Brokers and
// Conn.Controller, whose protocol versions Kafka 4 removed. It dials with
// conn's TLS and SASL, like every other connection.
func Probe(ctx context.Context, conn Conn, topic string) (BrokerInfo, error) {
	if len(conn.Brokers) == 0 {
		return BrokerInfo{}, fmt.Errorf("cannot probe Kafka: no brokers")
	}
	c, closeIdle := conn.client(5 * time.Second)
	defer closeIdle()
	md, err := c.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return BrokerInfo{}, fmt.Errorf("cannot probe Kafka at %v: %w", conn.Brokers, conn.explain(err))
	}
	info := BrokerInfo{Brokers: len(md.Brokers), Topic: topic}
	for _, t := range md.Topics {
		if t.Name == topic && t.Error == nil {
			info.Partitions = len(t.Partitions)
		}
	}
	return info, nil
}
