package app_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/ingest"
	"github.com/riskwatch/riskwatch/internal/servers"
	"github.com/riskwatch/riskwatch/internal/testenv"
	"github.com/riskwatch/riskwatch/store"
)

// produceCases produces cases [from, to) of prefix, version 1, and a
// version 2 (resolved) of every tenth, in batches of 100 with a pause, so
// that the stream lasts while the test breaks things.
func produceCases(t *testing.T, p *ingest.Producer, prefix string, from, to int, pause time.Duration) {
	t.Helper()
	for i := from; i < to; i += 100 {
		var recs []ingest.Record
		for j := i; j < min(i+100, to); j++ {
			id := fmt.Sprintf("%s%06d", prefix, j)
			recs = append(recs, ingest.Record{Key: []byte(id), Value: []byte(good(id, 1, "邻里噪音"))})
			if j%10 == 0 {
				recs = append(recs, ingest.Record{Key: []byte(id), Value: []byte(strings.Replace(good(id, 2, "邻里噪音"), `"accepted"`, `"resolved"`, 1))})
			}
		}
		// A send fails while a killed broker's partitions have no leader
		// yet; it is sent again (what was written twice, the tables
		// collapse), as a producing application would.
		for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(time.Second) {
			err := p.Send(context.Background(), recs...)
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("produce: %v", err)
				return
			}
		}
		time.Sleep(pause)
	}
}

// waitStats polls the cases through the Distributed tables until they are
// want, for up to d.
func waitStats(t *testing.T, st *store.Store, want store.CaseStats, d time.Duration) {
	t.Helper()
	var got store.CaseStats
	var err error
	for deadline := time.Now().Add(d); ; time.Sleep(time.Second) {
		got, err = st.CaseStats(context.Background())
		if err == nil && got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s the cluster holds %+v (err %v), want %+v", d, got, err, want)
		}
	}
}

// replicasAgree waits until both replicas of every shard hold the same case
// versions, and checks that the shards together hold want of them.
func replicasAgree(t *testing.T, c *servers.Cluster, db string, want uint64) {
	t.Helper()
	q := "SELECT count(), sum(cityHash64(case_id, version)) FROM " + db + ".case_events_local FINAL"
	var total uint64
	for s, reps := range c.Nodes {
		var a, b string
		for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(time.Second) {
			a, b = nodeAnswer(t, reps[0], q), nodeAnswer(t, reps[1], q)
			if a == b || time.Now().After(deadline) {
				break
			}
		}
		if a != b {
			t.Errorf("shard %d: replica 1 holds %q, replica 2 %q (count, hash of versions)", s+1, a, b)
		}
		var n uint64
		fmt.Sscan(a, &n)
		total += n
	}
	if total != want {
		t.Errorf("the shards hold %d case versions together, want %d", total, want)
	}
}

func nodeAnswer(t *testing.T, n *servers.ClickHouse, q string) string {
	t.Helper()
	out, err := n.Query(context.Background(), q)
	if err != nil {
		return "error: " + err.Error()
	}
	return strings.TrimSpace(out)
}

// healthz returns the status code and body of GET base/healthz.
func healthz(base string) (int, string) {
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestClusterIngestSurvivesFaults ingests a stream into the 2 × 2 cluster
// while (1) one replica of each shard is killed with SIGKILL and restarted,
// then (2) ZooKeeper is stopped for 30 s: nothing is lost or counted twice,
// both replicas of each shard end with the same rows, and /healthz is
// degraded while ZooKeeper is away and healthy after.
func TestClusterIngestSurvivesFaults(t *testing.T) {
	k := testenv.Kafka(t)
	c := testenv.NewCluster(t)
	db := testenv.FreshDatabase(t, "clfault")
	topic := "disputes_" + db
	cfg := clusterConfig(t, c.Addrs(), "riskwatch", db, k.Addr, topic, "g_"+db)
	if err := ingest.EnsureTopics(context.Background(), ingest.Plain(k.Addr), ingest.TopicSpec{Name: topic, Partitions: 4}); err != nil {
		t.Fatal(err)
	}
	runCmd(t, "migrate", "--config", cfg)
	st, err := store.Open(context.Background(), store.Options{Addrs: c.Addrs(), Database: db, Username: "default", Cluster: "riskwatch",
		DialTimeout: 5 * time.Second, ReadTimeout: time.Minute, MaxOpenConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	base := startRun(t, regexp.MustCompile(`(http://127\.0\.0\.1:\d+)/healthz`), "ingest", "--config", cfg)[1]
	p := ingest.NewProducer(ingest.Plain(k.Addr), topic)
	defer p.Close()

	// 1. One replica of each shard dies in the middle of the stream.
	const n1 = 6000
	done := make(chan struct{})
	go func() { defer close(done); produceCases(t, p, "k", 0, n1, 150*time.Millisecond) }()
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(200 * time.Millisecond) {
		s, _ := st.CaseStats(context.Background())
		if s.Rows >= n1/5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("ingest stored %+v after 2 min", s)
		}
	}
	killed := []*servers.ClickHouse{c.Nodes[0][1], c.Nodes[1][0]}
	for _, n := range killed {
		if err := n.Kill(); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("killed %s and %s with SIGKILL", killed[0].Addr, killed[1].Addr)
	time.Sleep(5 * time.Second)
	for _, n := range killed {
		if err := n.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	<-done
	want1 := store.CaseStats{Rows: n1, Distinct: n1, Events: n1 + n1/10}
	waitStats(t, st, want1, 3*time.Minute)
	replicasAgree(t, c, db, want1.Events)
	t.Logf("after the replica kills: %+v on the cluster, replicas agree", want1)

	// 2. ZooKeeper away for 30 s while the stream goes on.
	const n2 = 3000
	done = make(chan struct{})
	go func() { defer close(done); produceCases(t, p, "z", 0, n2, 300*time.Millisecond) }()
	time.Sleep(2 * time.Second)
	if err := c.ZooKeeper.StopKeep(); err != nil {
		t.Fatal(err)
	}
	stopped := time.Now()
	degraded := ""
	for time.Since(stopped) < 30*time.Second {
		if code, body := healthz(base); code == http.StatusServiceUnavailable && strings.Contains(body, "clickhouse_cluster") {
			degraded = body
		}
		time.Sleep(time.Second)
	}
	if err := c.ZooKeeper.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if degraded == "" {
		t.Error("/healthz never reported the cluster degraded while ZooKeeper was stopped for 30 s")
	} else {
		t.Logf("/healthz while ZooKeeper was away: %s", strings.Join(strings.Fields(degraded), " "))
	}
	<-done
	want2 := store.CaseStats{Rows: n1 + n2, Distinct: n1 + n2, Events: want1.Events + n2 + n2/10}
	waitStats(t, st, want2, 3*time.Minute)
	replicasAgree(t, c, db, want2.Events)
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(time.Second) {
		code, body := healthz(base)
		if code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/healthz still %d a minute after ZooKeeper came back: %s", code, body)
		}
	}
	var errs uint64
	if got, err := st.IngestErrorCounts(context.Background()); err == nil {
		for _, n := range got {
			errs += n
		}
	}
	if errs != 0 {
		t.Errorf("%d records went to the dead letters; want none (the faults are transient)", errs)
	}
}
