package ingest

import (
	"context"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"
)

// lagTimeout bounds the Kafka requests of one scrape.
const lagTimeout = 3 * time.Second

// LagCollector exports the consumer group's lag per partition of the topic
// on every scrape: the partition's end offset minus the group's committed
// offset (the whole partition when the group has committed nothing), as
// riskwatch_ingest_group_lag{topic, partition}. With several ingesters in one
// group every one of them exports the lag of the whole group, so any one
// scrape shows the partitions that fall behind, whoever owns them. A scrape
// while Kafka does not answer exports nothing and counts a scrape error.
type LagCollector struct {
	// Conn reaches the brokers (TLS and SASL as the consumer's).
	Conn  Conn
	Topic string
	Group string

	lag    *prometheus.Desc
	errors prometheus.Counter
}

// NewLagCollector returns the collector for group on topic.
func NewLagCollector(conn Conn, topic, group string) *LagCollector {
	return &LagCollector{
		Conn: conn, Topic: topic, Group: group,
		lag: prometheus.NewDesc("riskwatch_ingest_group_lag",
			"Messages of the partition not yet committed by the consumer group (end offset minus committed offset).",
			[]string{"topic", "partition"}, nil),
		errors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "riskwatch_ingest_group_lag_errors_total",
			Help: "Scrapes of the consumer-group lag that Kafka did not answer.",
		}),
	}
}

// Describe implements prometheus.Collector.
func (l *LagCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- l.lag
	l.errors.Describe(ch)
}

// Collect implements prometheus.Collector.
func (l *LagCollector) Collect(ch chan<- prometheus.Metric) {
	lags, err := l.Lags(context.Background())
	if err != nil {
		l.errors.Inc()
	}
	for p, n := range lags {
		ch <- prometheus.MustNewConstMetric(l.lag, prometheus.GaugeValue, float64(n), l.Topic, strconv.Itoa(p))
	}
	l.errors.Collect(ch)
}

// Lags returns the group's lag per partition of the topic.
func (l *LagCollector) Lags(ctx context.Context) (map[int]int64, error) {
	ends, done, err := l.offsets(ctx)
	if err != nil {
		return nil, err
	}
	out := map[int]int64{}
	for p, end := range ends {
		out[p] = max(end-done[p], 0)
	}
	return out, nil
}

// Ends returns the end offset of every partition of the topic: the offset
// the next message produced to it will get. Nil when the topic has no
// partitions (it does not exist yet).
func (l *LagCollector) Ends(ctx context.Context) (map[int]int64, error) {
	ends, _, err := l.offsets(ctx)
	return ends, err
}

// Behind returns how many messages before the marks (end offsets per
// partition, from Ends) the group has not committed yet: 0 once every
// message produced before the marks were taken is stored, whatever was
// produced since.
func (l *LagCollector) Behind(ctx context.Context, marks map[int]int64) (int64, error) {
	_, done, err := l.offsets(ctx)
	if err != nil {
		return 0, err
	}
	var n int64
	for p, end := range marks {
		n += max(end-done[p], 0)
	}
	return n, nil
}

// offsets returns the end offset and the group's committed offset (absent
// when it has committed nothing) of every partition of the topic.
func (l *LagCollector) offsets(ctx context.Context) (ends, committed map[int]int64, _ error) {
	ctx, cancel := context.WithTimeout(ctx, lagTimeout)
	defer cancel()
	c, closeIdle := l.Conn.client(lagTimeout)
	defer closeIdle()
	md, err := c.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{l.Topic}})
	if err != nil {
		return nil, nil, err
	}
	var parts []int
	for _, t := range md.Topics {
		if t.Name == l.Topic && t.Error == nil {
			for _, p := range t.Partitions {
				parts = append(parts, p.ID)
			}
		}
	}
	if len(parts) == 0 {
		return nil, nil, nil
	}
	req := &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{}}
	for _, p := range parts {
		req.Topics[l.Topic] = append(req.Topics[l.Topic], kafka.LastOffsetOf(p))
	}
	endsResp, err := c.ListOffsets(ctx, req)
	if err != nil {
		return nil, nil, err
	}
	fetched, err := c.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: l.Group, Topics: map[string][]int{l.Topic: parts}})
	if err != nil {
		return nil, nil, err
	}
	if fetched.Error != nil {
		return nil, nil, fetched.Error
	}
	committed = map[int]int64{}
	for _, p := range fetched.Topics[l.Topic] {
		if p.Error == nil && p.CommittedOffset >= 0 {
			committed[p.Partition] = p.CommittedOffset
		}
	}
	ends = map[int]int64{}
	for _, p := range endsResp.Topics[l.Topic] {
		if p.Error != nil {
			continue
		}
		ends[p.Partition] = p.LastOffset
	}
	return ends, committed, nil
}
