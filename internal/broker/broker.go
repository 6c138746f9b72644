// Package broker runs the in-process Kafka-protocol broker (franz-go's kfake)
// that a first run on a fresh machine uses instead of a Kafka cluster.
//
// It sits beside the flow: the wiring starts it before ingest and hands its
// address to the Kafka clients, which cannot tell it from a real broker. Tests
// of what talks to Kafka use the real Apache Kafka broker instead (see
// internal/servers); this one is for `make run` and fast unit tests.
package broker

import (
	"fmt"
	"os"

	"github.com/twmb/franz-go/pkg/kfake"
)

// Options configures the embedded broker.
type Options struct {
	// Port is the loopback port to listen on; 0 picks a free one.
	Port int
	// Dir keeps the log and committed offsets across restarts; "" keeps
	// everything in memory.
	Dir string
	// Topics are created at start with Partitions partitions each.
	Topics     []string
	Partitions int
}

// Embedded is a running in-process broker.
type Embedded struct {
	c *kfake.Cluster
}

// Start starts the broker on 127.0.0.1.
func Start(o Options) (*Embedded, error) {
	if o.Partitions < 1 {
		o.Partitions = 1
	}
	opts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.Ports(o.Port),
		kfake.AllowAutoTopicCreation(),
		kfake.DefaultNumPartitions(o.Partitions),
	}
	if len(o.Topics) > 0 {
		opts = append(opts, kfake.SeedTopics(int32(o.Partitions), o.Topics...))
	}
	if o.Dir != "" {
		if err := os.MkdirAll(o.Dir, 0o755); err != nil {
			return nil, fmt.Errorf("cannot create broker dir: %w", err)
		}
		opts = append(opts, kfake.DataDir(o.Dir))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("cannot start embedded broker: %w", err)
	}
	return &Embedded{c: c}, nil
}

// Addrs returns the host:port the broker listens on.
func (e *Embedded) Addrs() []string { return e.c.ListenAddrs() }

// Close stops the broker. It is safe to call twice.
func (e *Embedded) Close() {
	if e != nil && e.c != nil {
		e.c.Close()
		e.c = nil
	}
}
