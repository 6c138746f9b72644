package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/riskwatch/riskwatch/ingest"
	"github.com/riskwatch/riskwatch/internal/testenv"
	"github.com/riskwatch/riskwatch/store"
)

// TestClusterKafkaBrokerKilled ingests from a three-broker KRaft Kafka
// (topic replicated 3 times, min.insync.replicas 2) into the ClickHouse
// cluster while one broker is killed with SIGKILL and later restarted:
// producing and ingesting go on, and the cluster ends with exactly the
// produced cases and versions.
func TestClusterKafkaBrokerKilled(t *testing.T) {
	kc := testenv.NewKafkaCluster(t)
	c := testenv.NewCluster(t)
	db := testenv.FreshDatabase(t, "clkafka")
	topic := "disputes_" + db
	cfg := clusterConfig(t, c.Addrs(), "riskwatch", db, strings.Join(kc.Addrs(), ", "), topic, "g_"+db)
	if err := ingest.EnsureTopics(context.Background(), ingest.Plain(kc.Addrs()...), ingest.TopicSpec{Name: topic, Partitions: 6}); err != nil {
		t.Fatal(err)
	}
	md, err := (&kafka.Client{Addr: kafka.TCP(kc.Addrs()...)}).Metadata(context.Background(), &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tp := range md.Topics {
		for _, part := range tp.Partitions {
			if len(part.Replicas) != 3 {
				t.Fatalf("partition %d of %s has %d replicas, want 3", part.ID, topic, len(part.Replicas))
			}
		}
	}
	runCmd(t, "migrate", "--config", cfg)
	st, err := store.Open(context.Background(), store.Options{Addrs: c.Addrs(), Database: db, Username: "default", Cluster: "riskwatch",
		DialTimeout: 5 * time.Second, ReadTimeout: time.Minute, MaxOpenConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	startIngester(t, cfg)
	p := ingest.NewProducer(ingest.Plain(kc.Addrs()...), topic)
	defer p.Close()

	const n = 6000
	done := make(chan struct{})
	go func() { defer close(done); produceCases(t, p, "b", 0, n, 150*time.Millisecond) }()
	for deadline := time.Now().Add(3 * time.Minute); ; time.Sleep(300 * time.Millisecond) {
		s, _ := st.CaseStats(context.Background())
		if s.Rows >= n/5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("ingest stored %+v after 3 min", s)
		}
	}
	victim := kc.Brokers[1]
	if err := victim.Kill(); err != nil {
		t.Fatal(err)
	}
	t.Logf("killed Kafka broker %d (%s) with SIGKILL", victim.ID, victim.Addr)
	time.Sleep(10 * time.Second)
	if err := victim.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	<-done
	waitStats(t, st, store.CaseStats{Rows: n, Distinct: n, Events: n + n/10}, 4*time.Minute)
}
