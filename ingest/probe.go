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
// Conn.Controller, whose protocol versions Kafka 4 removed.
func Probe(ctx context.Context, brokers []string, topic string) (BrokerInfo, error) {
	if len(brokers) == 0 {
		return BrokerInfo{}, fmt.Errorf("cannot probe Kafka: no brokers")
	}
	c := &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 5 * time.Second}
	md, err := c.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return BrokerInfo{}, fmt.Errorf("cannot probe Kafka at %v: %w", brokers, err)
	}
	info := BrokerInfo{Brokers: len(md.Brokers), Topic: topic}
	for _, t := range md.Topics {
		if t.Name == topic && t.Error == nil {
			info.Partitions = len(t.Partitions)
		}
	}
	return info, nil
}
