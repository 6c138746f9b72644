// Command benchwarnings measures how fast a warning reaches a center (make
// bench-warnings): records with 40 parties (群体性矛盾纠纷, a rule alarm)
// are mixed into the seeded demo stream and produced to a real Apache Kafka
// broker; `riskwatch run` (its own process, against a throwaway ClickHouse)
// ingests them, the warning engine picks up the rule alarms and pushes the
// warnings to a local signed webhook. For each such record the latency is
// the time from just before it was produced to the moment the webhook
// received the warning for the record's town center. The last line is
//
//	warnings produce→receive: p50 X s, p99 Y s, max Z s over N records (target p99 ≤ 5 s)
//
// The warning routing uses group_wait 0 and one group per warning (the
// pipeline's own latency; a production group_wait of 30 s adds that much on
// purpose). The index jobs are off so that they do not compete for the CPU.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/riskwatch/riskwatch/ingest"
	"github.com/riskwatch/riskwatch/internal/broker"
	"github.com/riskwatch/riskwatch/internal/servers"
	"github.com/riskwatch/riskwatch/internal/tools/toolenv"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/sources/demo"
	"github.com/riskwatch/riskwatch/warnings/channel"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench-warnings:", err)
		os.Exit(1)
	}
}

const benchSecret = "bench-secret"

// receiver is the local webhook: it verifies each signature and records the
// first arrival of each record's warning at its town center.
type receiver struct {
	mu      sync.Mutex
	arrived map[string]time.Time // case id → first arrival at the town center
	posts   int
	badSig  int
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	now := time.Now()
	b, err := io.ReadAll(req.Body)
	if err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	var p channel.WebhookPayload
	if err := json.Unmarshal(b, &p); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	var ts int64
	fmt.Sscan(req.Header.Get("X-Riskwatch-Timestamp"), &ts)
	ok := req.Header.Get("X-Riskwatch-Signature") == channel.WebhookSignature(benchSecret, ts, b)
	r.mu.Lock()
	r.posts++
	if !ok {
		r.badSig++
	}
	for _, x := range p.Warnings {
		if _, caseID, found := strings.Cut(x.Subject, ":"); found && strings.HasPrefix(caseID, "BENCH-") && x.Status == "firing" &&
			p.Receiver == x.Region {
			if _, seen := r.arrived[caseID]; !seen {
				r.arrived[caseID] = now
			}
		}
	}
	r.mu.Unlock()
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, "ok")
}

func (r *receiver) count() int { r.mu.Lock(); defer r.mu.Unlock(); return len(r.arrived) }

func run() error {
	records := flag.Int("records", 1000, "records with 40 parties, each expecting a warning")
	demoRecords := flag.Int("demo", 50_000, "demo records mixed in around them")
	rate := flag.Int("rate", 20, "records with 40 parties produced per second")
	brokerKind := flag.String("broker", "kafka", "kafka (a real Apache Kafka broker) or kfake (in-process)")
	kafkaVersion := flag.String("kafka-version", toolenv.EnvOr("RISKWATCH_KAFKA_VERSION", "4.4.0"), "Apache Kafka version (jars from make deps)")
	bin := flag.String("bin", "", "the riskwatch binary (empty: build one into a temporary directory)")
	tick := flag.Duration("tick", 500*time.Millisecond, "warnings.tick")
	batchAge := flag.Duration("batch-age", time.Second, "ingest.batch_age")
	timeout := flag.Duration("timeout", 3*time.Minute, "give up waiting for the warnings after this long")
	flag.Parse()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	dir, err := os.MkdirTemp("", "riskwatch-benchwarn-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	binPath := *bin
	if binPath == "" {
		binPath = filepath.Join(dir, "riskwatch")
		b := exec.Command("go", "build", "-o", binPath, "./cmd/riskwatch")
		b.Stdout, b.Stderr = os.Stderr, os.Stderr
		if err := b.Run(); err != nil {
			return fmt.Errorf("cannot build riskwatch: %w", err)
		}
	} else if binPath, err = filepath.Abs(binPath); err != nil {
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
		k, err := servers.StartKafka(ctx, servers.KafkaOptions{JarsDir: servers.KafkaJarsDir(*kafkaVersion), Logger: log, Partitions: 4})
		if err != nil {
			return err
		}
		defer k.Stop()
		brokers = []string{k.Addr}
		fmt.Printf("Apache Kafka %s at %s\n", k.Version, k.Addr)
	case "kfake":
		b, err := broker.Start(broker.Options{Partitions: 4})
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
	if err := ingest.EnsureTopics(ctx, ingest.Plain(brokers...), ingest.TopicSpec{Name: topic, Partitions: 4, MaxMessageBytes: 16 << 20}); err != nil {
		return err
	}

	rcv := &receiver{arrived: map[string]time.Time{}}
	hookLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hook := &http.Server{Handler: rcv, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = hook.Serve(hookLn) }()
	defer hook.Close()

	httpAddr, err := toolenv.FreeAddr()
	if err != nil {
		return err
	}
	cfgPath := filepath.Join(dir, "bench.yaml")
	cfg := fmt.Sprintf(`clickhouse:
  local: {enabled: false}
  addrs: [%s]
  database: benchwarn
kafka:
  embedded: false
  brokers: [%s]
  topic: %s
  group: benchwarn
  partitions: 4
http:
  listen: %s
metrics:
  listen: "" # not read here
ingest:
  batch_age: %s
jobs:
  enabled: false
log:
  level: warn
warnings:
  outbox: %s
  tick: %s
  group_by: ["..."]
  group_wait: 0s
  group_interval: 1m
  channels:
    hook: {type: webhook, url: "http://%s/hook", secret_env: RW_BENCH_HOOK_SECRET}
  centers:
    "*": [hook]
`, ch.Addr, strings.Join(brokers, ", "), topic, httpAddr, *batchAge, filepath.Join(dir, "outbox.db"), *tick, hookLn.Addr())
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return err
	}
	mig := exec.Command(binPath, "migrate", "--config", cfgPath)
	mig.Stderr = os.Stderr
	if out, err := mig.Output(); err != nil {
		return fmt.Errorf("migrate: %w: %s", err, out)
	}
	cmd := exec.Command(binPath, "run", "--config", cfgPath)
	cmd.Env = append(os.Environ(), "RW_BENCH_HOOK_SECRET="+benchSecret)
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	if err := waitHealthy(ctx, "http://"+httpAddr+"/healthz", time.Minute); err != nil {
		return err
	}

	// The towns the records come from, and the demo stream around them.
	reg, err := schemas.LoadTongliao()
	if err != nil {
		return err
	}
	towns := reg.AtLevel(schemas.LevelTown)
	gen, err := demo.NewN(demo.Options{Seed: 11}, *demoRecords)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(7, 40))
	p := ingest.NewProducer(ingest.Plain(brokers...), topic)
	defer p.Close()
	produced := map[string]time.Time{}
	perTick := max(1, *rate/10) // records with 40 parties every 100 ms
	demoPer := max(0, *demoRecords / *records * perTick)
	interval := 100 * time.Millisecond
	next := time.Now()
	fmt.Printf("producing %d records with 40 parties (%d/s) among %d demo records\n", *records, *rate, *demoRecords)
	for i := 0; i < *records; {
		var batch []ingest.Record
		for range demoPer {
			r, ok := gen.Next()
			if !ok {
				break
			}
			b, err := schemas.MarshalRecord(r)
			if err != nil {
				return err
			}
			batch = append(batch, ingest.Record{Key: []byte(r.CaseID), Value: b})
		}
		var ids []string
		for j := 0; j < perTick && i < *records; j, i = j+1, i+1 {
			town := towns[rng.IntN(len(towns))]
			id := fmt.Sprintf("BENCH-%05d", i)
			r := schemas.Record{CaseID: id, Version: 1, Source: schemas.SourcePlatform, Channel: schemas.ChannelVisit,
				ReportedAt: time.Now().Truncate(time.Second), RegionCode: town.Code, Category: "labor.wage_arrears",
				Summary: "某公司拖欠四十名工人工资，工人集体来访", Severity: schemas.SeverityDifficult, Parties: 40,
				Status: schemas.StatusAccepted}
			b, err := schemas.MarshalRecord(r)
			if err != nil {
				return err
			}
			batch = append(batch, ingest.Record{Key: []byte(id), Value: b})
			ids = append(ids, id)
		}
		rng.Shuffle(len(batch), func(a, b int) { batch[a], batch[b] = batch[b], batch[a] })
		t := time.Now()
		for _, id := range ids {
			produced[id] = t
		}
		if err := p.Send(ctx, batch...); err != nil {
			return err
		}
		next = next.Add(interval)
		time.Sleep(time.Until(next))
	}
	fmt.Printf("produced; waiting for the warnings\n")
	deadline := time.Now().Add(*timeout)
	for rcv.count() < len(produced) && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	var lat []float64
	for id, t := range produced {
		if a, ok := rcv.arrived[id]; ok {
			lat = append(lat, a.Sub(t).Seconds())
		}
	}
	sort.Float64s(lat)
	fmt.Printf("webhook posts: %d (town and banner centers; bad signatures: %d); warnings received for %d of %d records\n",
		rcv.posts, rcv.badSig, len(lat), len(produced))
	if len(lat) == 0 {
		return fmt.Errorf("no warning arrived")
	}
	q := func(p float64) float64 {
		i := int(p*float64(len(lat))+0.5) - 1
		return lat[min(max(i, 0), len(lat)-1)]
	}
	fmt.Printf("warnings produce→receive: p50 %.2f s, p99 %.2f s, max %.2f s over %d records (target p99 ≤ 5 s)\n",
		q(0.50), q(0.99), lat[len(lat)-1], len(lat))
	if len(lat) < len(produced) {
		return fmt.Errorf("%d warnings missing after %v", len(produced)-len(lat), *timeout)
	}
	return nil
}

func waitHealthy(ctx context.Context, url string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("riskwatch run did not become healthy at %s within %v", url, d)
}
