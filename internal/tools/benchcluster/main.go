// Command benchcluster measures the cost per row of replication and
// distribution (make bench-cluster): N demo records are produced once to a
// real Apache Kafka topic, then `riskwatch ingest` runs as its own process,
// with its own consumer group and database each time: into a single
// ClickHouse node, and into the local 2 × 2 cluster (cluster mode,
// replicated tables) once per insert path of --insert: "distributed"
// (synchronous inserts into the Distributed table) and "local" (each
// shard's part into its _local table). For each it prints
//
//	<target>: rows/s N; rows per ingester CPU-second M; server CPU-s per million rows S; bytes on disk per case B
//
// where the time runs from the ingester's start to the moment the last row
// is visible, ingester CPU is the process's own (getrusage), server CPU is
// the sum over the ClickHouse servers (and ZooKeeper for the cluster) from
// /proc, and bytes on disk are the active parts of every table of the
// database on every server, divided by the cases. All runs share the
// machine, so only their ratios mean anything. Then, with --requests > 0,
// it measures the jobs (a backfill of one month) and the API (trend
// requests) on the single node and on the cluster (see measureQueries).
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/riskwatch/riskwatch/ingest"
	"github.com/riskwatch/riskwatch/internal/servers"
	"github.com/riskwatch/riskwatch/internal/tools/toolenv"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/sources/demo"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench-cluster:", err)
		os.Exit(1)
	}
}

type target struct {
	name    string
	db      string
	nodes   []*servers.ClickHouse
	extra   []int // other server PIDs whose CPU counts (ZooKeeper)
	cluster string
	insert  string // clickhouse.cluster_insert
	queries bool   // measure the jobs and the API on it too
	cfg     string // written by measure
}

func run() error {
	records := flag.Int("records", 200_000, "demo records to ingest")
	kafkaVersion := flag.String("kafka-version", toolenv.EnvOr("RISKWATCH_KAFKA_VERSION", "4.4.0"), "Apache Kafka version (jars from make deps)")
	zkVersion := flag.String("zookeeper-version", toolenv.EnvOr("RISKWATCH_ZOOKEEPER_VERSION", servers.DefaultZooKeeperVersion), "ZooKeeper version (jars from make deps)")
	bin := flag.String("bin", "bin/riskwatch", "the riskwatch binary")
	partitions := flag.Int("partitions", 4, "topic partitions")
	insert := flag.String("insert", "both", "cluster insert path(s) to measure: distributed, local or both")
	requests := flag.Int("requests", 100, "API trend requests per target (0: no job and API figures)")
	flag.Parse()
	if *insert != "both" && *insert != "distributed" && *insert != "local" {
		return fmt.Errorf("--insert: %q is not distributed, local or both", *insert)
	}
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	binPath, err := filepath.Abs(*bin)
	if err != nil {
		return err
	}

	single, err := servers.StartClickHouse(ctx, servers.ClickHouseOptions{Logger: log})
	if err != nil {
		return err
	}
	defer single.Stop()
	c, err := servers.StartCluster(ctx, servers.ClusterOptions{ZooKeeperJarsDir: servers.ZooKeeperJarsDir(*zkVersion), Logger: log})
	if err != nil {
		return err
	}
	defer c.Stop()
	k, err := servers.StartKafka(ctx, servers.KafkaOptions{JarsDir: servers.KafkaJarsDir(*kafkaVersion), Logger: log, Partitions: *partitions})
	if err != nil {
		return err
	}
	defer k.Stop()
	fmt.Printf("single node: ClickHouse %s at %s\n%s\nApache Kafka %s at %s\n", single.Version, single.Addr, c.Describe(), k.Version, k.Addr)

	const topic = "disputes"
	brokers := []string{k.Addr}
	if err := ingest.EnsureTopics(ctx, ingest.Plain(brokers...), ingest.TopicSpec{Name: topic, Partitions: *partitions, MaxMessageBytes: 16 << 20}); err != nil {
		return err
	}
	gen, err := demo.NewN(demo.Options{Seed: 7}, *records)
	if err != nil {
		return err
	}
	p := ingest.NewProducer(ingest.Plain(brokers...), topic)
	var batch []ingest.Record
	produced := 0
	for {
		r, ok := gen.Next()
		if ok {
			b, err := schemas.MarshalRecord(r)
			if err != nil {
				return err
			}
			batch = append(batch, ingest.Record{Key: []byte(r.CaseID), Value: b})
		}
		if len(batch) == 10_000 || (!ok && len(batch) > 0) {
			if err := p.Send(ctx, batch...); err != nil {
				return err
			}
			produced += len(batch)
			batch = batch[:0]
		}
		if !ok {
			break
		}
	}
	p.Close()
	fmt.Printf("produced %d records (not timed)\n", produced)

	dir, err := os.MkdirTemp("", "riskwatch-bench-cluster-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	zkPID := c.ZooKeeper.PID()
	targets := []*target{{name: "single node", db: "bench_single", nodes: []*servers.ClickHouse{single}, queries: true}}
	if *insert != "local" {
		targets = append(targets, &target{name: "cluster 2x2 distributed", db: "bench_cluster", nodes: c.All(), extra: []int{zkPID}, cluster: c.Name, insert: "distributed", queries: true})
	}
	if *insert != "distributed" {
		targets = append(targets, &target{name: "cluster 2x2 local", db: "bench_cluster_local", nodes: c.All(), extra: []int{zkPID}, cluster: c.Name, insert: "local", queries: *insert == "local"})
	}
	for _, t := range targets {
		if err := measure(ctx, t, binPath, dir, brokers, topic, produced); err != nil {
			return fmt.Errorf("%s: %w", t.name, err)
		}
	}
	if *requests > 0 {
		for _, t := range targets {
			if !t.queries {
				continue
			}
			if err := measureQueries(ctx, t, binPath, *requests, log); err != nil {
				return fmt.Errorf("%s: %w", t.name, err)
			}
		}
	}
	return nil
}

func measure(ctx context.Context, t *target, bin, dir string, brokers []string, topic string, produced int) error {
	addrs := make([]string, len(t.nodes))
	for i, n := range t.nodes {
		addrs[i] = n.Addr
	}
	db := t.db
	httpAddr, err := toolenv.FreeAddr()
	if err != nil {
		return err
	}
	cl := ""
	if t.cluster != "" {
		cl = "  cluster: " + t.cluster + "\n  cluster_insert: " + t.insert + "\n"
	}
	cfgPath := filepath.Join(dir, db+".yaml")
	cfg := fmt.Sprintf(`clickhouse:
  local: {enabled: false}
  addrs: [%s]
  database: %s
%skafka:
  embedded: false
  brokers: [%s]
  topic: %s
  group: %s
http:
  listen: %s
ingest:
  batch_rows: 100000
  batch_age: 1s
log:
  level: warn
`, strings.Join(addrs, ", "), db, cl, strings.Join(brokers, ", "), topic, db, httpAddr)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return err
	}
	t.cfg = cfgPath
	mig := exec.Command(bin, "migrate", "--config", cfgPath)
	mig.Stderr = os.Stderr
	if out, err := mig.Output(); err != nil {
		return fmt.Errorf("migrate: %w: %s", err, out)
	}
	var pids []int
	for _, n := range t.nodes {
		pids = append(pids, n.PID())
	}
	pids = append(pids, t.extra...)
	cpu0 := sumCPU(pids)
	cmd := exec.Command(bin, "ingest", "--config", cfgPath)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return err
	}
	reader := t.nodes[0]
	for {
		out, err := reader.Query(ctx, "SELECT count() FROM "+db+".case_events")
		if err == nil {
			if n, _ := strconv.Atoi(strings.TrimSpace(out)); n >= produced {
				break
			}
		}
		if time.Since(start) > 30*time.Minute {
			_ = cmd.Process.Kill()
			return fmt.Errorf("not all %d rows after 30 minutes", produced)
		}
		time.Sleep(50 * time.Millisecond)
	}
	elapsed := time.Since(start)
	serverCPU := sumCPU(pids) - cpu0
	_ = cmd.Process.Signal(syscall.SIGTERM)
	_ = cmd.Wait()
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return fmt.Errorf("no resource usage for the ingester")
	}
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	cases, err := reader.Query(ctx, "SELECT count() FROM "+db+".cases FINAL")
	if err != nil {
		return err
	}
	nCases, _ := strconv.ParseFloat(strings.TrimSpace(cases), 64)
	var bytes float64
	for _, n := range t.nodes {
		out, err := n.Query(ctx, "SELECT sum(bytes_on_disk) FROM system.parts WHERE active AND database = '"+db+"'")
		if err != nil {
			return err
		}
		b, _ := strconv.ParseFloat(strings.TrimSpace(out), 64)
		bytes += b
	}
	fmt.Printf("%s: %d rows in %.1f s, ingester CPU %.1f s, server CPU %.1f s, %.0f cases\n",
		t.name, produced, elapsed.Seconds(), cpu.Seconds(), serverCPU.Seconds(), nCases)
	fmt.Printf("%s: rows/s %.0f; rows per ingester CPU-second %.0f; server CPU-s per million rows %.1f; bytes on disk per case %.0f\n",
		t.name, float64(produced)/elapsed.Seconds(), float64(produced)/cpu.Seconds(),
		serverCPU.Seconds()/float64(produced)*1e6, bytes/nCases)
	return nil
}

// sumCPU returns the CPU time (user + system) the processes have used.
func sumCPU(pids []int) time.Duration {
	var d time.Duration
	for _, pid := range pids {
		d += toolenv.ProcCPU(pid)
	}
	return d
}
