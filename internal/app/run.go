package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/riskwatch/riskwatch/api"
	"github.com/riskwatch/riskwatch/ingest"
	"github.com/riskwatch/riskwatch/internal/broker"
	"github.com/riskwatch/riskwatch/internal/config"
	"github.com/riskwatch/riskwatch/internal/reportgen"
	"github.com/riskwatch/riskwatch/internal/subscriptions"
	"github.com/riskwatch/riskwatch/jobs/scheduler"
	"github.com/riskwatch/riskwatch/schemas"
)

// sourceTopicMaxMessageBytes is the message size limit of a source topic
// this service creates: larger than any valid record, so that an oversized
// one still arrives and is dead-lettered with its reason instead of being
// refused to the producer without a trace.
const sourceTopicMaxMessageBytes = 16 << 20

// ensureSourceTopic creates the configured source topic when it is missing.
func ensureSourceTopic(ctx context.Context, cfg config.Config, conn ingest.Conn) error {
	return ingest.EnsureTopics(ctx, conn, ingest.TopicSpec{
		Name: cfg.Kafka.Topic, Partitions: cfg.Kafka.Partitions, MaxMessageBytes: sourceTopicMaxMessageBytes,
	})
}

// Run is `riskwatch run`: it brings up storage, the broker connection and
// the HTTP endpoints, then waits for ctx to end and shuts down in order.
func Run(ctx context.Context, cfg config.Config, log *slog.Logger, out io.Writer) error {
	return serve(ctx, cfg, log, out, cfg.Ingest.Enabled, true)
}

// Ingest is `riskwatch ingest`: only the Kafka → ClickHouse path (with
// /healthz, and /metrics on metrics.listen), for deployments that scale
// ingest on its own.
func Ingest(ctx context.Context, cfg config.Config, log *slog.Logger, out io.Writer) error {
	return serve(ctx, cfg, log, out, true, false)
}

func serve(ctx context.Context, cfg config.Config, log *slog.Logger, out io.Writer, withIngest, withJobs bool) error {
	if n := cfg.Ingest.MemoryLimitBytes; n > 0 && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(n)
	}
	st, local, cleanup, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer cleanup()
	regions, err := migrateAndLoad(ctx, cfg, st, log, out)
	if err != nil {
		return err
	}
	ro, closeRO, err := openReadStore(ctx, cfg, st, log)
	if err != nil {
		return err
	}
	defer closeRO()

	brokers := cfg.Kafka.Brokers
	conn, err := kafkaConn(cfg, brokers)
	if err != nil {
		return err
	}
	if cfg.Kafka.Embedded {
		b, err := broker.Start(broker.Options{
			Dir: cfg.Kafka.EmbeddedDir, Topics: []string{cfg.Kafka.Topic, cfg.Kafka.DLQ()}, Partitions: cfg.Kafka.Partitions,
		})
		if err != nil {
			return err
		}
		defer b.Close()
		brokers = b.Addrs()
		conn = ingest.Plain(brokers...)
		log.Info("embedded Kafka-protocol broker started", "addrs", brokers)
	} else if err := ensureSourceTopic(ctx, cfg, conn); err != nil {
		log.Warn("cannot ensure the source topic exists", "topic", cfg.Kafka.Topic, "err", err)
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	buildInfo := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "riskwatch_build_info", Help: "Build information; always 1.",
	}, []string{"version", "clickhouse_version"})
	reg.MustRegister(buildInfo)
	chVersion, _ := st.ServerVersion(ctx)
	buildInfo.WithLabelValues(Version, chVersion).Set(1)

	h := newHealth(reg)
	h.add("clickhouse", func(ctx context.Context) (string, error) {
		if err := st.Ping(ctx); err != nil {
			return "", err
		}
		return "ClickHouse " + chVersion, nil
	})
	addClusterHealth(h, st) // cluster.go
	h.add("kafka", func(ctx context.Context) (string, error) {
		info, err := ingest.Probe(ctx, conn, cfg.Kafka.Topic)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%d broker(s), topic %s with %d partitions", info.Brokers, info.Topic, info.Partitions), nil
	})

	// Long-lived parts run under runCtx; the deferred stops run in reverse
	// order of start, so ingest drains before the broker and the store close.
	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	var ingestDone <-chan error
	var late *lateWatch
	if withIngest {
		// Versions stored for windows already complete are watched once
		// the jobs run (armed by their gate below, at once without jobs
		// here).
		late = newLateWatch(log.With("component", "ingest"), reg)
		if !cfg.Jobs.Enabled || !withJobs {
			late.armed.Store(true)
		}
		c, done, err := startIngest(runCtx, cfg, st, regions, conn, log, reg, late)
		if err != nil {
			return err
		}
		ingestDone = done
		defer func() {
			stopRun()
			if ingestDone == nil {
				return // already received below
			}
			if err := <-ingestDone; err != nil {
				log.Error("ingest stopped with an error", "err", err)
			}
		}()
		h.add("ingest", func(context.Context) (string, error) {
			if err := c.Healthy(); err != nil {
				return "", err
			}
			return "consuming " + cfg.Kafka.Topic, nil
		})
	}

	// demoProduced is closed once the demo's history is in the broker (or
	// producing it stopped); nil without the demo.
	var demoProduced chan struct{}
	if cfg.Demo.Enabled {
		demoProduced = make(chan struct{})
	}
	ingested := &afterIngest{}
	var reportGen *reportgen.Generator
	if cfg.Reports.Enabled && withJobs {
		g, err := newReportGen(cfg, ro, regions, log)
		if err != nil {
			return fmt.Errorf("cannot set up the reports: %w", err)
		}
		reportGen = g
	}
	var subs *subscriptions.Dispatcher
	if cfg.Jobs.Enabled && withJobs {
		var extra []scheduler.Job
		if reportGen != nil {
			rj, err := reportGen.Jobs(reportSchedules(cfg.Reports))
			if err != nil {
				return fmt.Errorf("reports.schedules: %w", err)
			}
			extra = rj
			if cfg.Warnings.Enabled { // subscriptions.go
				if subs, err = newDispatcher(cfg, st, regions, reportGen, log); err != nil {
					return err
				}
				// The subscriptions' jobs first: a catch-up runs the jobs in
				// order, and they render only the reports subscribed to.
				extra = append(subs.Jobs(), extra...)
			}
		}
		sched, err := newScheduler(cfg, st, regions, log, reg, extra...)
		if err != nil {
			return err
		}
		// With ingest in this process, the scheduler (its catch-up first)
		// starts once ingest has stored what is in the topic now and, with
		// the demo, the demo's history: a window computed before its cases
		// are stored would be marked ok with too few cases, and the
		// reports that wait for it would print them.
		var gate func(context.Context) error
		if withIngest {
			gate = func(ctx context.Context) error {
				return waitIngested(ctx, ingest.NewLagCollector(conn, cfg.Kafka.Topic, cfg.Kafka.Group), demoProduced, log)
			}
		}
		schedDone := make(chan error, 1)
		go func() {
			if gate != nil {
				if err := gate(runCtx); err != nil {
					schedDone <- nil // stopped while waiting
					return
				}
			}
			if late != nil {
				late.armed.Store(true)
			}
			ingested.run(runCtx)
			schedDone <- sched.Run(runCtx)
		}()
		// Deferred after ingest's: it runs first, so jobs stop before the
		// consumer drains and the store closes.
		defer func() {
			stopRun()
			if err := <-schedDone; err != nil && runCtx.Err() == nil {
				log.Error("scheduler stopped with an error", "err", err)
			}
		}()
		h.add("scheduler", func(context.Context) (string, error) {
			return fmt.Sprintf("%d jobs scheduled (%s)", len(sched.Jobs()), schemas.Zone()), nil
		})
	}

	if subs == nil && len(cfg.Subscriptions.List) > 0 {
		log.Warn("subscriptions are configured but not delivered here: they need reports.enabled, jobs.enabled and warnings.enabled")
	}
	if cfg.Demo.Enabled {
		go func() {
			var once sync.Once
			produced := func() { once.Do(func() { close(demoProduced) }) }
			defer produced()
			if err := runDemo(runCtx, cfg, regions, conn, out, produced); err != nil && runCtx.Err() == nil {
				log.Error("demo stream failed", "err", err)
			}
		}()
	}

	ln, err := net.Listen("tcp", cfg.HTTP.Listen)
	if err != nil {
		return fmt.Errorf("http.listen: cannot listen on %s: %w", cfg.HTTP.Listen, err)
	}
	base := "http://" + ln.Addr().String()
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", h)
	metrics := promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
	env := &serveEnv{
		ctx: runCtx, cfg: cfg, st: st, ro: ro, regions: regions, log: log, reg: reg, mux: mux,
		health: h, out: out, brokers: brokers, baseURL: base, requireRole: passthrough,
		reports: reportGen, subs: subs, ingested: ingested,
	}
	// The API mounts first (it installs requireRole); the reports, the warnings and the demo inbox mount their handlers and background work
	// here; each returns a stop function that runs before the store closes.
	mounts := []func(*serveEnv) (func(), error){mountAPI, mountReports, mountDemoInbox, mountWarnings}
	if !withJobs {
		// `riskwatch ingest` scales on its own: no API, reports or warning
		// engine (several would fight over the outbox and push twice).
		mounts = nil
	}
	for _, mount := range mounts {
		stop, err := mount(env)
		if err != nil {
			ln.Close()
			return err
		}
		if stop != nil {
			defer stop()
		}
	}
	// The metrics hold city-wide counts: on their own listener (loopback by
	// default), or on the main one behind an admin token, never public.
	var metricsURLs []string
	if cfg.Metrics.MainListener {
		if env.apiMounted {
			mux.Handle("GET /metrics", env.requireRole(api.RoleAdmin)(metrics))
			metricsURLs = append(metricsURLs, base+"/metrics (管理员令牌 admin token)")
		} else {
			log.Warn("metrics.main_listener needs the API's token check; /metrics is not served on http.listen here")
		}
	}
	if cfg.Metrics.Listen != "" {
		mln, err := net.Listen("tcp", cfg.Metrics.Listen)
		if err != nil {
			ln.Close()
			return fmt.Errorf("metrics.listen: cannot listen on %s: %w", cfg.Metrics.Listen, err)
		}
		mmux := http.NewServeMux()
		mmux.Handle("GET /metrics", metrics)
		msrv := newHTTPServer(cfg.HTTP, mmux)
		go func() {
			if err := msrv.Serve(mln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("metrics listener stopped", "err", err)
			}
		}()
		defer msrv.Close()
		metricsURLs = append(metricsURLs, "http://"+mln.Addr().String()+"/metrics")
	}
	if !env.rootTaken {
		mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			fmt.Fprintf(w, "riskwatch %s\n/healthz  health of ClickHouse and the broker\n", Version)
		})
	}
	srv := newHTTPServer(cfg.HTTP, mux)
	srvErr := make(chan error, 1)
	go func() { srvErr <- srv.Serve(ln) }()

	fmt.Fprintf(out, "riskwatch 已启动 (running)\n")
	fmt.Fprintf(out, "  健康检查 health:   %s/healthz\n", base)
	for _, u := range metricsURLs {
		fmt.Fprintf(out, "  监控指标 metrics:  %s\n", u)
	}
	if local != nil {
		fmt.Fprintf(out, "  ClickHouse %s:  %s (native), http://%s (data in %s)\n", local.Version, local.Addr, local.HTTPAddr, cfg.ClickHouse.Local.Dir)
	}
	fmt.Fprintf(out, "  Kafka brokers:     %v (topic %s, dead letters %s)\n", brokers, cfg.Kafka.Topic, cfg.Kafka.DLQ())
	fmt.Fprintf(out, "按 Ctrl+C 停止 (press Ctrl+C to stop)\n")
	log.Info("riskwatch running", "http", base)

	var runErr error
	select {
	case <-ctx.Done():
	case err := <-srvErr:
		runErr = fmt.Errorf("http server: %w", err)
	case err := <-ingestDone:
		// The consumer stopped by itself: a permanent failure.
		runErr = fmt.Errorf("ingest stopped: %w", err)
		ingestDone = nil
	}
	log.Info("shutting down")
	// Stop accepting requests first; the broker, the store and the local
	// ClickHouse close in the deferred order after it.
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("http shutdown", "err", err)
	}
	return runErr
}

// health runs named checks for /healthz and exports their state as metrics.
type health struct {
	mu     sync.Mutex
	checks []check
	up     *prometheus.GaugeVec
}

type check struct {
	name string
	fn   func(context.Context) (string, error)
}

func newHealth(reg prometheus.Registerer) *health {
	h := &health{up: prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "riskwatch_health_check_up", Help: "1 when the dependency answered the last health check, else 0.",
	}, []string{"check"})}
	reg.MustRegister(h.up)
	return h
}

func (h *health) add(name string, fn func(context.Context) (string, error)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.checks = append(h.checks, check{name, fn})
	h.up.WithLabelValues(name).Set(0)
}

// CheckResult is one dependency's state in the /healthz answer.
type CheckResult struct {
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"`
	Error  string `json:"error,omitempty"`
}

// HealthReport is the /healthz answer: status "ok" (HTTP 200) or "degraded"
// (HTTP 503) with every check's result.
type HealthReport struct {
	Status string                 `json:"status"`
	Checks map[string]CheckResult `json:"checks"`
}

func (h *health) run(ctx context.Context) HealthReport {
	h.mu.Lock()
	checks := append([]check(nil), h.checks...)
	h.mu.Unlock()
	rep := HealthReport{Status: "ok", Checks: map[string]CheckResult{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, c := range checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			detail, err := c.fn(cctx)
			res := CheckResult{OK: err == nil, Detail: detail}
			v := 1.0
			if err != nil {
				res.Error = err.Error()
				v = 0
			}
			h.up.WithLabelValues(c.name).Set(v)
			mu.Lock()
			rep.Checks[c.name] = res
			if err != nil {
				rep.Status = "degraded"
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	return rep
}

func (h *health) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rep := h.run(r.Context())
	w.Header().Set("Content-Type", "application/json")
	if rep.Status != "ok" {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil && !errors.Is(err, http.ErrHandlerTimeout) {
		return
	}
}

// newHTTPServer is a server for h with the timeouts of the http section: a
// client that sends its request slowly, or keeps an idle connection open,
// loses it; an answer (a CSV export included) has http.write_timeout.
func newHTTPServer(c config.HTTP, h http.Handler) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: c.ReadHeaderTimeout, ReadTimeout: c.ReadTimeout,
		WriteTimeout: c.WriteTimeout, IdleTimeout: c.IdleTimeout}
}
