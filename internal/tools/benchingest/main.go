// Command benchingest measures the ingest path end to end (make
// bench-ingest): N demo records produced to a broker (real Apache Kafka, or
// the in-process kfake with --broker kfake), then `riskwatch ingest` run as
// its own process against a throwaway ClickHouse until every record is
// stored. Its last line is
//
//	ingest rows/s: N; rows per ingester CPU-second: M; peak RSS MB: R
//
// where the time runs from the ingester's start to the moment the last row
// is visible, CPU and peak RSS are the ingester process's own (getrusage),
// and rows are records (each lands in case_events and cases).
package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/riskwatch/riskwatch/ingest"
	"github.com/riskwatch/riskwatch/internal/broker"
	"github.com/riskwatch/riskwatch/internal/servers"
	"github.com/riskwatch/riskwatch/internal/tools/toolenv"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/sources/demo"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench-ingest:", err)
		os.Exit(1)
	}
}

func run() error {
	records := flag.Int("records", 1_000_000, "demo records to ingest")
	brokerKind := flag.String("broker", "kafka", "kafka (a real Apache Kafka broker) or kfake (in-process)")
	kafkaVersion := flag.String("kafka-version", toolenv.EnvOr("RISKWATCH_KAFKA_VERSION", "4.4.0"), "Apache Kafka version (jars from make deps)")
	bin := flag.String("bin", "bin/riskwatch", "the riskwatch binary")
	partitions := flag.Int("partitions", 4, "topic partitions")
	batchRows := flag.Int("batch-rows", 100_000, "ingest.batch_rows")
	batchAge := flag.Duration("batch-age", time.Second, "ingest.batch_age")
	compression := flag.String("compression", "lz4", "clickhouse.compression (none or lz4; lz4 is the configuration default)")
	bufferBytes := flag.Int64("buffer-bytes", 0, "ingest.buffer_bytes (0 = the default)")
	fetchBytes := flag.Int("fetch-bytes", 0, "ingest.fetch_bytes (0 = the default)")
	memLimit := flag.Int64("memory-limit", 0, "ingest.memory_limit_bytes (0 = none)")
	cpuprofile := flag.String("cpuprofile", "", "ask the ingester to write a CPU profile here")
	experiment := flag.String("sql", "", "run this SQL after the migrations, before the clock starts, in every run, the sinker's too (experiments: e.g. DROP TABLE {db}.case_updates_mv; {db} is the run's database)")
	sinker := flag.String("sinker", "", "a clickhouse_sinker binary: compare riskwatch (the first variant) with it, the sinker reading the same records transformed, as flat JSON")
	sinkerBuffer := flag.Int("sinker-buffer", 100_000, "the sinker's task.bufferSize (it rounds up to a power of 2)")
	runs := flag.Int("runs", 1, "runs of each variant, in alternating order, each into a fresh database with a fresh consumer group")
	var variants variantsFlag
	flag.Var(&variants, "variant", "a configuration to compare, \"name|key=value|…\" with keys compression, batch-rows, batch-bytes, batch-age, buffer-bytes, block-rows, bin, sql, wait (repeatable; the first is the base of the ratios)")
	flag.Parse()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	binPath, err := filepath.Abs(*bin)
	if err != nil {
		return err
	}
	ch, err := servers.StartClickHouse(ctx, servers.ClickHouseOptions{Logger: log})
	if err != nil {
		return err
	}
	defer ch.Stop()
	fmt.Printf("ClickHouse %s at %s\n", ch.Version, ch.Addr)

	var brokers []string
	switch *brokerKind {
	case "kafka":
		k, err := servers.StartKafka(ctx, servers.KafkaOptions{JarsDir: servers.KafkaJarsDir(*kafkaVersion), Logger: log, Partitions: *partitions})
		if err != nil {
			return err
		}
		defer k.Stop()
		brokers = []string{k.Addr}
		fmt.Printf("Apache Kafka %s at %s\n", k.Version, k.Addr)
	case "kfake":
		b, err := broker.Start(broker.Options{Partitions: *partitions})
		if err != nil {
			return err
		}
		defer b.Close()
		brokers = b.Addrs()
		fmt.Printf("kfake (in-process) at %v\n", brokers)
	default:
		return fmt.Errorf("--broker: %q is not kafka or kfake", *brokerKind)
	}

	const topic = "disputes"
	if err := ingest.EnsureTopics(ctx, ingest.Plain(brokers...), ingest.TopicSpec{Name: topic, Partitions: *partitions, MaxMessageBytes: 16 << 20}); err != nil {
		return err
	}
	t0 := time.Now()
	gen, err := demo.NewN(demo.Options{Seed: 7}, *records)
	if err != nil {
		return err
	}
	p := ingest.NewProducer(ingest.Plain(brokers...), topic)
	var batch []ingest.Record
	var bytes int64
	produced := 0
	for {
		r, ok := gen.Next()
		if ok {
			b, err := schemas.MarshalRecord(r)
			if err != nil {
				return err
			}
			bytes += int64(len(b))
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
	fmt.Printf("produced %d records (%.0f bytes each on average) in %.1f s (not timed below)\n",
		produced, float64(bytes)/float64(produced), time.Since(t0).Seconds())

	vs, err := parseVariants(variants, variant{name: "default", compression: *compression, batchRows: *batchRows, sql: *experiment})
	if err != nil {
		return err
	}
	if *sinker != "" {
		t0 := time.Now()
		n, err := produceFlat(ctx, brokers, *partitions, *records, topic)
		if err != nil {
			return err
		}
		if n != produced {
			return fmt.Errorf("the transform rejects %d of the %d demo records: both ingesters must store the same rows", produced-n, produced)
		}
		fmt.Printf("produced %d records transformed, as flat JSON, to %s in %.1f s (not timed below)\n", produced, flatTopic, time.Since(t0).Seconds())
		// Its database is migrated as the first variant's; --sql (a schema
		// experiment) applies to it too, a variant's own sql does not.
		sv := vs[0]
		sv.name, sv.sql, sv.waitInserted = sinkerName, *experiment, false
		vs = append(vs, sv)
	}
	common := runParams{sinker: *sinker, sinkerBuffer: *sinkerBuffer, bin: binPath, ch: ch, brokers: brokers, topic: topic, partitions: *partitions, rows: produced,
		batchAge: *batchAge, bufferBytes: *bufferBytes, fetchBytes: *fetchBytes, memLimit: *memLimit, cpuprofile: *cpuprofile}
	results := make([][]result, len(vs))
	for i := 0; i < *runs; i++ {
		for j := range vs {
			// Alternate the order run by run, so that a drift of the
			// machine's speed does not favour one variant.
			k := j
			if i%2 == 1 {
				k = len(vs) - 1 - j
			}
			r, err := runOnce(ctx, common, vs[k], fmt.Sprintf("bench_%d_%d", i, k))
			if err != nil {
				return fmt.Errorf("%s run %d: %w", vs[k].name, i+1, err)
			}
			results[k] = append(results[k], r)
			fmt.Printf("run %d %s: %s\n", i+1, vs[k].name, r)
		}
	}
	if *runs == 1 && len(vs) == 1 {
		r := results[0][0]
		fmt.Printf("ingest rows/s: %.0f; rows per ingester CPU-second: %.0f; peak RSS MB: %.0f\n", r.rowsPerSec, r.rowsPerCPU, r.rssMB)
		return nil
	}
	for j, v := range vs {
		rs := results[j]
		fmt.Printf("%s: median of %d: rows/s %.0f; rows per ingester CPU-s %.0f; peak RSS MB %.0f; server CPU-s per 1M rows %.2f (less idle %.2f; with merges %.2f); parts %.0f; INSERT queries %.0f",
			v.name, len(rs), median(rs, func(r result) float64 { return r.rowsPerSec }), median(rs, func(r result) float64 { return r.rowsPerCPU }),
			median(rs, func(r result) float64 { return r.rssMB }), median(rs, func(r result) float64 { return r.serverPerM }),
			median(rs, func(r result) float64 { return r.serverBusyPerM }), median(rs, func(r result) float64 { return r.serverMergedPerM }),
			median(rs, func(r result) float64 { return float64(r.parts) }), median(rs, func(r result) float64 { return float64(r.inserts) }))
		if j > 0 {
			// Ratios pair by pair (run i of this variant against run i of
			// the first), then their median.
			ratio := func(f func(r result) float64) float64 {
				var q []float64
				for i := range rs {
					q = append(q, f(rs[i])/f(results[0][i]))
				}
				return medianOf(q)
			}
			fmt.Printf("; vs %s: rows/s ×%.3f, server CPU per row ×%.3f (less idle ×%.3f; with merges ×%.3f)", vs[0].name,
				ratio(func(r result) float64 { return r.rowsPerSec }), ratio(func(r result) float64 { return r.serverPerM }),
				ratio(func(r result) float64 { return r.serverBusyPerM }), ratio(func(r result) float64 { return r.serverMergedPerM }))
		}
		fmt.Println()
	}
	if *sinker != "" {
		// Pair by pair, riskwatch over the sinker, then the median; the
		// first variant's line last.
		s := len(vs) - 1
		for j := s - 1; j >= 0; j-- {
			ratio := func(f func(r result) float64) float64 {
				var q []float64
				for i := range results[j] {
					q = append(q, f(results[j][i])/f(results[s][i]))
				}
				return medianOf(q)
			}
			label := ""
			if j > 0 {
				label = " (" + vs[j].name + ")"
			}
			fmt.Printf("vs clickhouse_sinker%s: rows/s ratio %.2f; rows/CPU-s ratio %.2f; RSS ratio %.2f; server CPU ratio %.2f (less idle %.2f; with merges %.2f)\n", label,
				ratio(func(r result) float64 { return r.rowsPerSec }), ratio(func(r result) float64 { return r.rowsPerCPU }),
				ratio(func(r result) float64 { return r.rssMB }), ratio(func(r result) float64 { return r.serverPerM }),
				ratio(func(r result) float64 { return r.serverBusyPerM }), ratio(func(r result) float64 { return r.serverMergedPerM }))
		}
	}
	return nil
}

// variant is one configuration of a comparison run (--variant).
type variant struct {
	name        string
	compression string
	batchRows   int
	blockRows   int
	batchBytes  int
	batchAge    time.Duration // 0: --batch-age
	bufferBytes int64         // 0: --buffer-bytes
	sql         string
	bin         string // another riskwatch binary (empty: --bin)
	// waitInserted waits for riskwatch's inserted-rows count instead of
	// the rows of case_events (for runs without case_events_mv).
	waitInserted bool
}

// parseVariants reads --variant values: "name|key=value|…" with keys
// compression, batch-rows, batch-bytes, batch-age, buffer-bytes, block-rows, bin (another riskwatch
// binary), sql and wait (inserted: wait for the ingester's count of
// inserted rows instead of case_events' rows) (statements separated by ';',
// {db} standing for the run's database). Unset keys take the base's.
func parseVariants(specs []string, base variant) ([]variant, error) {
	if len(specs) == 0 {
		return []variant{base}, nil
	}
	var out []variant
	for _, s := range specs {
		f := strings.Split(s, "|")
		v := base
		v.name = strings.TrimSpace(f[0])
		for _, kv := range f[1:] {
			k, val, ok := strings.Cut(kv, "=")
			if !ok {
				return nil, fmt.Errorf("--variant %q: %q is not key=value", s, kv)
			}
			var err error
			switch strings.TrimSpace(k) {
			case "compression":
				v.compression = val
			case "batch-rows":
				v.batchRows, err = strconv.Atoi(val)
			case "block-rows":
				v.blockRows, err = strconv.Atoi(val)
			case "batch-bytes":
				v.batchBytes, err = strconv.Atoi(val)
			case "batch-age":
				v.batchAge, err = time.ParseDuration(val)
			case "buffer-bytes":
				v.bufferBytes, err = strconv.ParseInt(val, 10, 64)
			case "bin":
				v.bin, err = filepath.Abs(val)
			case "sql":
				v.sql = val
			case "wait":
				if val != "inserted" {
					return nil, fmt.Errorf("--variant %q: wait must be inserted", s)
				}
				v.waitInserted = true
			default:
				return nil, fmt.Errorf("--variant %q: unknown key %q", s, k)
			}
			if err != nil {
				return nil, fmt.Errorf("--variant %q: %w", s, err)
			}
		}
		out = append(out, v)
	}
	return out, nil
}

type variantsFlag []string

func (v *variantsFlag) String() string     { return strings.Join(*v, " ") }
func (v *variantsFlag) Set(s string) error { *v = append(*v, s); return nil }

type runParams struct {
	bin        string
	ch         *servers.ClickHouse
	brokers    []string
	topic      string
	partitions int
	rows       int // rows each run must store
	sinker     string
	// sinkerBuffer is the sinker's task.bufferSize.
	sinkerBuffer int
	batchAge     time.Duration
	bufferBytes  int64
	fetchBytes   int
	memLimit     int64
	cpuprofile   string
}

type result struct {
	rowsPerSec, rowsPerCPU, rssMB, serverPerM float64
	// serverBusyPerM is serverPerM less the server's idle CPU rate
	// (sampled before the run) times the run's wall time.
	serverBusyPerM, idleRate float64
	// serverMergedPerM is the server's CPU from the start until the
	// merges of the run's parts have settled, less idle: the whole cost of
	// the rows, which does not depend on how much of the merging happens
	// to fall inside the timed window.
	serverMergedPerM     float64
	wall, cpu, serverCPU time.Duration
	parts                int
	inserts              int // INSERT queries the server ran during the run
	batches              string
}

func (r result) String() string {
	return fmt.Sprintf("wall %.2f s, ingester CPU %.2f s, server CPU %.2f s (idle %.3f CPU-s/s); rows/s %.0f; rows per ingester CPU-s %.0f; peak RSS MB %.0f; server CPU-s per 1M rows %.2f (less idle %.2f; with merges %.2f); cases parts written %d; INSERT queries %d; batches %s",
		r.wall.Seconds(), r.cpu.Seconds(), r.serverCPU.Seconds(), r.idleRate, r.rowsPerSec, r.rowsPerCPU, r.rssMB, r.serverPerM, r.serverBusyPerM, r.serverMergedPerM, r.parts, r.inserts, r.batches)
}

func median(rs []result, f func(result) float64) float64 {
	q := make([]float64, len(rs))
	for i, r := range rs {
		q[i] = f(r)
	}
	return medianOf(q)
}

func medianOf(q []float64) float64 {
	q = append([]float64(nil), q...)
	sort.Float64s(q)
	if len(q) == 0 {
		return 0
	}
	if len(q)%2 == 1 {
		return q[len(q)/2]
	}
	return (q[len(q)/2-1] + q[len(q)/2]) / 2
}

// runOnce ingests every produced record into a fresh database db with a
// fresh consumer group, then drops the database and waits until the server
// has no merge running.
func runOnce(ctx context.Context, p runParams, v variant, db string) (result, error) {
	ch := p.ch
	dir, err := os.MkdirTemp("", "riskwatch-bench-")
	if err != nil {
		return result{}, err
	}
	defer os.RemoveAll(dir)
	defer func() {
		_, _ = ch.Query(ctx, "DROP DATABASE IF EXISTS "+db)
		waitMerges(ctx, ch)
	}()
	cfgPath := filepath.Join(dir, "bench.yaml")
	addrs, err := toolenv.FreeAddrs(2)
	if err != nil {
		return result{}, err
	}
	httpAddr, metricsAddr := addrs[0], addrs[1]
	cfg := fmt.Sprintf(`clickhouse:
  local: {enabled: false}
  addrs: [%s]
  database: %s
  compression: %s
%skafka:
  embedded: false
  brokers: [%s]
  topic: %s
  group: %s
  partitions: %d
http:
  listen: %s
metrics:
  listen: %s
ingest:
  batch_rows: %d
  batch_age: %s
%slog:
  level: warn
`, ch.Addr, db, v.compression, blockLine(v.blockRows), strings.Join(p.brokers, ", "), p.topic, db, p.partitions, httpAddr, metricsAddr,
		v.batchRows, cmp.Or(v.batchAge, p.batchAge), batchBytesLine(v.batchBytes)+bufferLine(cmp.Or(v.bufferBytes, p.bufferBytes))+fetchLine(p.fetchBytes)+memLine(p.memLimit))
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return result{}, err
	}
	// Migrations and reference data are loaded before the clock starts.
	bin := p.bin
	if v.bin != "" {
		bin = v.bin
	}
	mig := exec.Command(bin, "migrate", "--config", cfgPath)
	mig.Stderr = os.Stderr
	if out, err := mig.Output(); err != nil {
		return result{}, fmt.Errorf("migrate: %w: %s", err, out)
	}
	if v.sql != "" {
		for _, stmt := range strings.Split(strings.ReplaceAll(v.sql, "{db}", db), ";") {
			if strings.TrimSpace(stmt) == "" {
				continue
			}
			if _, err := ch.Query(ctx, stmt); err != nil {
				return result{}, err
			}
		}
	}
	waitMerges(ctx, ch)

	if v.name == sinkerName {
		return runSinker(ctx, p, cfgPath, db)
	}
	cmd := exec.Command(bin, "ingest", "--config", cfgPath)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if p.cpuprofile != "" {
		cmd.Env = append(os.Environ(), "RISKWATCH_CPUPROFILE="+p.cpuprofile)
	}
	return measure(ctx, p, db, cmd, metricsAddr, v.waitInserted)
}

// batchesByReason reads the ingester's batch counts by flush reason.
func batchesByReason(metricsAddr string) string {
	resp, err := http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		return ""
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var parts []string
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, "riskwatch_ingest_batches_total{") {
			parts = append(parts, strings.TrimPrefix(line, "riskwatch_ingest_batches_total"))
		}
	}
	return strings.Join(parts, " ")
}

// waitMerges waits (up to 5 minutes) until the server runs no merge.
func waitMerges(ctx context.Context, ch *servers.ClickHouse) {
	deadline := time.Now().Add(5 * time.Minute)
	for time.Now().Before(deadline) {
		out, err := ch.Query(ctx, "SELECT count() FROM system.merges")
		if err == nil && strings.TrimSpace(out) == "0" {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func batchBytesLine(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("  batch_bytes: %d\n", n)
}

func blockLine(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("  insert_block_rows: %d\n", n)
}

func memLine(n int64) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("  memory_limit_bytes: %d\n", n)
}

func fetchLine(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("  fetch_bytes: %d\n", n)
}

func bufferLine(n int64) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("  buffer_bytes: %d\n", n)
}
