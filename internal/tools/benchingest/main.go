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
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
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
	compression := flag.String("compression", "none", "clickhouse.compression (none or lz4)")
	bufferBytes := flag.Int64("buffer-bytes", 0, "ingest.buffer_bytes (0 = the default)")
	fetchBytes := flag.Int("fetch-bytes", 0, "ingest.fetch_bytes (0 = the default)")
	memLimit := flag.Int64("memory-limit", 0, "ingest.memory_limit_bytes (0 = none)")
	cpuprofile := flag.String("cpuprofile", "", "ask the ingester to write a CPU profile here")
	experiment := flag.String("sql", "", "run this SQL after the migrations, before the clock starts (experiments: e.g. DROP TABLE bench.cases_daily_mv)")
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

	dir, err := os.MkdirTemp("", "riskwatch-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cfgPath := filepath.Join(dir, "bench.yaml")
	httpAddr, err := toolenv.FreeAddr()
	if err != nil {
		return err
	}
	metricsAddr, err := toolenv.FreeAddr()
	if err != nil {
		return err
	}
	cfg := fmt.Sprintf(`clickhouse:
  local: {enabled: false}
  addrs: [%s]
  database: bench
  compression: %s
kafka:
  embedded: false
  brokers: [%s]
  topic: %s
  group: bench
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
`, ch.Addr, *compression, strings.Join(brokers, ", "), topic, *partitions, httpAddr, metricsAddr, *batchRows, *batchAge, bufferLine(*bufferBytes)+fetchLine(*fetchBytes)+memLine(*memLimit))
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return err
	}
	// Migrations and reference data are loaded before the clock starts.
	mig := exec.Command(binPath, "migrate", "--config", cfgPath)
	mig.Stderr = os.Stderr
	if out, err := mig.Output(); err != nil {
		return fmt.Errorf("migrate: %w: %s", err, out)
	}
	if *experiment != "" {
		for _, stmt := range strings.Split(*experiment, ";") {
			if _, err := ch.Query(ctx, stmt); err != nil {
				return err
			}
		}
		fmt.Printf("experiment: %s\n", *experiment)
	}

	cmd := exec.Command(binPath, "ingest", "--config", cfgPath)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if *cpuprofile != "" {
		cmd.Env = append(os.Environ(), "RISKWATCH_CPUPROFILE="+*cpuprofile)
	}
	chCPU0 := toolenv.ProcCPU(ch.PID())
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return err
	}
	var n int64
	for {
		out, err := ch.Query(ctx, "SELECT count() FROM bench.case_events")
		if err == nil {
			n, _ = strconv.ParseInt(strings.TrimSpace(out), 10, 64)
			if n >= int64(produced) {
				break
			}
		}
		if time.Since(start) > 30*time.Minute {
			_ = cmd.Process.Kill()
			return fmt.Errorf("only %d of %d rows after 30 minutes", n, produced)
		}
		time.Sleep(50 * time.Millisecond)
	}
	elapsed := time.Since(start)
	chCPU := toolenv.ProcCPU(ch.PID()) - chCPU0
	if resp, err := http.Get("http://" + metricsAddr + "/metrics"); err == nil {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var parts []string
		for _, line := range strings.Split(string(body), "\n") {
			if strings.HasPrefix(line, "riskwatch_ingest_batches_total{") {
				parts = append(parts, strings.TrimPrefix(line, "riskwatch_ingest_batches_total"))
			}
		}
		fmt.Printf("batches by flush reason: %s\n", strings.Join(parts, " "))
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	_ = cmd.Wait()
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return fmt.Errorf("no resource usage for the ingester")
	}
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	out, _ := ch.Query(ctx, "SELECT count() FROM bench.cases FINAL")
	fmt.Printf("stored: %s cases (FINAL), %d case events\n", strings.TrimSpace(out), n)
	fmt.Printf("ingester: wall %.2f s, CPU %.2f s (user %.2f, sys %.2f); ClickHouse server CPU %.2f s\n",
		elapsed.Seconds(), cpu.Seconds(), time.Duration(ru.Utime.Nano()).Seconds(), time.Duration(ru.Stime.Nano()).Seconds(), chCPU.Seconds())
	fmt.Printf("ingest rows/s: %.0f; rows per ingester CPU-second: %.0f; peak RSS MB: %.0f\n",
		float64(produced)/elapsed.Seconds(), float64(produced)/cpu.Seconds(), float64(ru.Maxrss)/1024)
	return nil
}

// procCPU returns the CPU time (user + system) a process has used so far.

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

// freeAddr returns a free loopback host:port.
