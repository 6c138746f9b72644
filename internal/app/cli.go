package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/riskwatch/riskwatch/internal/config"
	"github.com/riskwatch/riskwatch/internal/statcli"
	"github.com/riskwatch/riskwatch/schemas"
)

// Version is set at build time with -ldflags "-X …/internal/app.Version=…".
var Version = "dev"

const usage = `riskwatch: early-warning analytics for social-governance centers (综治中心矛盾纠纷风险预警)

Usage:
  riskwatch migrate      [--config FILE]   apply ClickHouse migrations and load reference data
  riskwatch run          [--config FILE]   run the service (ingest, jobs, HTTP)
  riskwatch ingest       [--config FILE]   run only the Kafka → ClickHouse ingest (with /healthz; /metrics on metrics.listen)
  riskwatch gen          [flags]           the demo stream (JSON lines, or --produce to Kafka)
  riskwatch import --mapping M FILE…       exports of other platforms (CSV/JSONL) to records on Kafka
  riskwatch regions export|check …        the region registry as the regions CSV; check a regions CSV
  riskwatch categories export|check …     the built-in taxonomy as the categories CSV; check a categories CSV
  riskwatch classify train|eval|predict …  the learned text classifier: train, evaluate (K-fold), predict (classify --help)
  riskwatch stat COMMAND …                 analyst statistics: detect, gistar, mann-kendall, eb (stat --help)
  riskwatch backfill --from D --to D [--job NAME]   compute the index jobs' windows for past dates
  riskwatch risk calibrate --level L --baseline-from D --baseline-to D   version the risk bands' thresholds (risk --help)
  riskwatch forecast backtest --from D --to D [--level L] [--horizon H]   backtest the forecasts on stored history
  riskwatch report       [flags]           render one warning report (预警报告) on demand (report --help)
  riskwatch warnings     COMMAND …         list, acknowledge and silence warnings (warnings --help)
  riskwatch token        COMMAND …         create, list and revoke API tokens (token --help)
  riskwatch subscriptions list|add|remove  who receives which report through which channel (subscriptions --help)
  riskwatch check-config [--config FILE]   validate a configuration and print it with defaults
  riskwatch version                        print the version

Without --config the embedded first-run setup is used: a local ClickHouse
under .run/ and the in-process Kafka-protocol broker.
`

// Main runs the command line with args (without the program name) and
// returns the exit code: 0 success, 1 failure, 2 bad usage or configuration.
// SIGINT/SIGTERM cancel the work; a second signal exits at once.
func Main(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // restore default handling: a second signal kills the process
	}()
	return MainContext(ctx, args, stdout, stderr)
}

// MainContext is Main with the caller's context, so the whole command line
// can run inside a test.
func MainContext(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	// RISKWATCH_CPUPROFILE=file writes a CPU profile of the whole command,
	// for measuring before optimising (make bench-ingest uses it).
	if path := os.Getenv("RISKWATCH_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil {
			if err := pprof.StartCPUProfile(f); err == nil {
				defer func() { pprof.StopCPUProfile(); f.Close() }()
			}
		}
	}
	// RISKWATCH_MEMPROFILE=file writes a heap profile every 2 s (the last
	// one before exit stays), to see what a steady state holds.
	if path := os.Getenv("RISKWATCH_MEMPROFILE"); path != "" {
		stopHeap := make(chan struct{})
		defer close(stopHeap)
		go func() {
			t := time.NewTicker(2 * time.Second)
			defer t.Stop()
			for {
				select {
				case <-stopHeap:
					return
				case <-t.C:
					if f, err := os.Create(path); err == nil {
						_ = pprof.WriteHeapProfile(f)
						f.Close()
					}
				}
			}
		}()
	}
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	fs := flag.NewFlagSet("riskwatch "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "configuration file (YAML); empty = embedded first-run defaults")
	demoFlag := fs.Bool("demo", false, "run: produce the seeded Tongliao demo stream into the broker at start")
	switch cmd {
	case "version", "--version", "-v":
		fmt.Fprintf(stdout, "riskwatch %s (%s, %s/%s)\n", Version, goVersion(), runtime.GOOS, runtime.GOARCH)
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	case "gen":
		return genCommand(ctx, rest, stdout, stderr)
	case "import":
		return importCommand(ctx, rest, stdout, stderr)
	case "regions":
		return regionsCommand(ctx, rest, stdout, stderr) // regionscmd.go
	case "categories":
		return categoriesCommand(ctx, rest, stdout, stderr) // categoriescmd.go
	case "classify":
		return classifyCommand(ctx, rest, stdout, stderr) // classifycmd.go
	case "stat":
		return statcli.Main(rest, stdout, stderr)
	case "backfill":
		return backfillCommand(ctx, rest, stdout, stderr)
	case "risk":
		return riskCommand(ctx, rest, stdout, stderr) // risk.go
	case "forecast":
		return forecastCommand(ctx, rest, stdout, stderr) // forecast.go
	case "report":
		return reportCommand(ctx, rest, stdout, stderr) // reports.go
	case "warnings":
		return warningsCommand(ctx, rest, stdout, stderr) // warnings.go
	case "token":
		return tokenCommand(ctx, rest, stdout, stderr) // api.go
	case "subscriptions":
		return subscriptionsCommand(ctx, rest, stdout, stderr) // subscriptions.go
	case "migrate", "run", "ingest", "check-config":
	default:
		fmt.Fprintf(stderr, "riskwatch: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	if err := fs.Parse(rest); err != nil {
		return 2
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		fmt.Fprintf(stderr, "riskwatch: %v\n", err)
		return 2
	}
	if *demoFlag {
		cfg.Demo.Enabled = true
	}
	if cmd == "check-config" {
		out, err := cfg.Redacted().YAML()
		if err != nil {
			fmt.Fprintf(stderr, "riskwatch: %v\n", err)
			return 1
		}
		if err := checkCluster(ctx, cfg, stdout); err != nil {
			fmt.Fprintf(stderr, "riskwatch: %v\n", err)
			return 2
		}
		fmt.Fprintf(stdout, "# configuration OK (defaults filled in)\n%s", out)
		return 0
	}
	log := NewLogger(cfg.Log, stderr)
	switch cmd {
	case "migrate":
		err = Migrate(ctx, cfg, log, stdout)
	case "run":
		err = Run(ctx, cfg, log, stdout)
	case "ingest":
		err = Ingest(ctx, cfg, log, stdout)
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		log.Error("riskwatch "+cmd+" failed", "err", err)
		fmt.Fprintf(stderr, "riskwatch %s: %v\n", cmd, err)
		return 1
	}
	return 0
}

func loadConfig(path string) (config.Config, error) {
	var c config.Config
	var err error
	if path == "" {
		c = config.Default()
		// The defaults still take secrets and addresses from the environment.
		b, _ := c.YAML()
		c, err = config.Parse(b)
	} else {
		c, err = config.Load(path)
	}
	if err != nil {
		return c, err
	}
	// The deployment time zone is set once, before anything computes a
	// window or builds a schedule.
	loc, err := c.Location()
	if err != nil {
		return c, fmt.Errorf("timezone: %w", err)
	}
	schemas.SetZone(loc)
	// So is the taxonomy, before anything classifies or names a category.
	if c.Regions.Categories != "" {
		f, err := os.Open(c.Regions.Categories)
		if err != nil {
			return c, fmt.Errorf("regions.categories: %w", err)
		}
		cats, err := schemas.LoadCategoriesCSV(f, c.Regions.Categories)
		f.Close()
		if err != nil {
			return c, fmt.Errorf("regions.categories: %w", err)
		}
		schemas.SetTaxonomy(cats)
	}
	return c, nil
}

// NewLogger builds the slog logger the configuration asks for.
func NewLogger(c config.Log, w io.Writer) *slog.Logger {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(c.Level))
	opts := &slog.HandlerOptions{Level: lv}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func goVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		return bi.GoVersion
	}
	return runtime.Version()
}

// parseInterleaved parses args with fs where flags and positional
// arguments may come in any order, and returns the positional ones.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos, rest = append(pos, fs.Arg(0)), fs.Args()[1:]
	}
}
