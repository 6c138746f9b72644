package app

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/riskwatch/riskwatch/ingest"
	"github.com/riskwatch/riskwatch/internal/config"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/sources/demo"
)

// genFlags are the options of `riskwatch gen` (and of `run --demo`).
type genFlags struct {
	seed         int64
	from, to     string
	casesPerYear int
	noOutbreaks  bool
	limit        int
}

func (g *genFlags) register(fs *flag.FlagSet) {
	fs.Int64Var(&g.seed, "seed", 1, "random seed: the same seed gives the same stream")
	fs.StringVar(&g.from, "from", "", "first day YYYY-MM-DD (default: two years before --to)")
	fs.StringVar(&g.to, "to", "", "last day YYYY-MM-DD (default 2026-10-31)")
	fs.IntVar(&g.casesPerYear, "cases-per-year", 0, "baseline cases a year (default 15700, Tongliao's scale)")
	fs.BoolVar(&g.noOutbreaks, "no-outbreaks", false, "do not inject outbreaks")
	fs.IntVar(&g.limit, "limit", 0, "produce exactly this many records (for benchmarks); 0 = the whole period")
}

func (g *genFlags) options(reg *schemas.Registry) (demo.Options, error) {
	o := demo.Options{Seed: g.seed, CasesPerYear: g.casesPerYear, NoOutbreaks: g.noOutbreaks, Registry: reg}
	for _, d := range []struct {
		name, v string
		t       *time.Time
	}{{"--from", g.from, &o.From}, {"--to", g.to, &o.To}} {
		if d.v == "" {
			continue
		}
		t, err := time.Parse("2006-01-02", d.v)
		if err != nil {
			return o, fmt.Errorf("%s: %q is not a date YYYY-MM-DD", d.name, d.v)
		}
		*d.t = t
	}
	if g.limit < 0 {
		return o, errors.New("--limit: must not be negative")
	}
	return o, nil
}

func (g *genFlags) generator(o demo.Options) (*demo.Generator, error) {
	if g.limit > 0 {
		return demo.NewN(o, g.limit)
	}
	return demo.New(o)
}

// genCommand is `riskwatch gen`: the demo stream as JSON lines to a file or
// standard output, or produced to the configured Kafka topic.
func genCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("riskwatch gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var g genFlags
	g.register(fs)
	cfgPath := fs.String("config", "", "configuration file (for --produce: kafka.brokers and kafka.topic)")
	out := fs.String("out", "-", "write JSON lines here (- = standard output); ignored with --produce")
	produce := fs.Bool("produce", false, "produce to the configured Kafka topic instead of writing a file")
	truth := fs.String("ground-truth", "", "write the injected outbreaks (CSV) here")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		fmt.Fprintf(stderr, "riskwatch gen: %v\n", err)
		return 2
	}
	reg, err := loadRegions(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "riskwatch gen: %v\n", err)
		return 2
	}
	o, err := g.options(reg)
	if err != nil {
		fmt.Fprintf(stderr, "riskwatch gen: %v\n", err)
		return 2
	}
	gen, err := g.generator(o)
	if err != nil {
		fmt.Fprintf(stderr, "riskwatch gen: %v\n", err)
		return 2
	}
	prog := newProgress(stderr, "gen", "records")
	if *produce {
		if cfg.Kafka.Embedded {
			fmt.Fprintln(stderr, "riskwatch gen: --produce needs kafka.brokers (the embedded broker lives inside riskwatch run; use run --demo)")
			return 2
		}
		var conn ingest.Conn
		if conn, err = kafkaConn(cfg, cfg.Kafka.Brokers); err == nil {
			if err = ensureSourceTopic(ctx, cfg, conn); err == nil {
				err = produceDemo(ctx, gen, conn, cfg.Kafka.Topic, prog)
			}
		}
	} else {
		err = writeDemo(gen, *out, stdout, prog)
	}
	prog.done()
	if err == nil && *truth != "" {
		err = writeGroundTruth(*truth, gen.Outbreaks())
	}
	if err != nil {
		fmt.Fprintf(stderr, "riskwatch gen: %v\n", err)
		return 1
	}
	return 0
}

func writeDemo(gen *demo.Generator, path string, stdout io.Writer, prog *progress) error {
	w := stdout
	if path != "-" {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	for {
		r, ok := gen.Next()
		if !ok {
			break
		}
		b, err := schemas.MarshalRecord(r)
		if err != nil {
			return err
		}
		bw.Write(b)
		bw.WriteByte('\n')
		prog.add(1)
	}
	return bw.Flush()
}

// produceDemo sends the stream to Kafka keyed by case id, in chunks.
func produceDemo(ctx context.Context, gen *demo.Generator, conn ingest.Conn, topic string, prog *progress) error {
	p := ingest.NewProducer(conn, topic)
	defer p.Close()
	const chunk = 5000
	recs := make([]ingest.Record, 0, chunk)
	flush := func() error {
		if len(recs) == 0 {
			return nil
		}
		if err := p.Send(ctx, recs...); err != nil {
			return err
		}
		prog.add(len(recs))
		recs = recs[:0]
		return nil
	}
	for {
		r, ok := gen.Next()
		if !ok {
			break
		}
		b, err := schemas.MarshalRecord(r)
		if err != nil {
			return err
		}
		recs = append(recs, ingest.Record{Key: []byte(r.CaseID), Value: b})
		if len(recs) == chunk {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

func writeGroundTruth(path string, obs []demo.Outbreak) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := demo.WriteGroundTruth(f, obs); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// demoOptions are the options of the stream of `riskwatch run --demo`
// started at start: the two years up to start, or its last demo.days days
// (start's day included). The demo run shows emerging issues (新出现问题,
// 新发问题) and linked cases (关联案件, 关联预警) too; its parties are keyed
// under DemoPartyKeySecret unless a secret is configured.
func demoOptions(cfg config.Config, reg *schemas.Registry, start time.Time) demo.Options {
	opts := demo.UpTo(demo.Options{Seed: cfg.Demo.Seed, Registry: reg, Emerging: true, Links: true}, start)
	if cfg.Demo.Days > 0 {
		opts.From = opts.To.AddDate(0, 0, 1-cfg.Demo.Days)
	}
	return opts
}

// runDemo produces the demo stream into the running service's broker and
// writes its ground truth, for `riskwatch run --demo`: the two years up to
// the clock at start, then the trickle of new cases (demoTrickle) until ctx
// ends.
//
// produced, when not nil, is called once the history is in the broker,
// before the trickle starts (and not at all when producing it fails).
func runDemo(ctx context.Context, cfg config.Config, reg *schemas.Registry, conn ingest.Conn, out io.Writer, produced func()) error {
	start := time.Now()
	gen, err := demo.New(demoOptions(cfg, reg, start))
	if err != nil {
		return err
	}
	if cfg.Demo.GroundTruth != "" {
		if err := writeGroundTruth(cfg.Demo.GroundTruth, gen.Outbreaks()); err != nil {
			return err
		}
	}
	prog := newProgress(io.Discard, "demo", "records")
	if err := produceDemo(ctx, gen, conn, cfg.Kafka.Topic, prog); err != nil {
		return err
	}
	fmt.Fprintf(out, "演示数据 demo stream: %d records up to %s produced to %s (seed %d; injected outbreaks in %s)\n",
		prog.n, gen.Last().In(schemas.Zone()).Format("2006-01-02 15:04"), cfg.Kafka.Topic, cfg.Demo.Seed, cfg.Demo.GroundTruth)
	if produced != nil {
		produced()
	}
	if cfg.Demo.Rate <= 0 {
		return nil
	}
	p := ingest.NewProducer(conn, cfg.Kafka.Topic)
	defer p.Close()
	return demoTrickle(ctx, cfg, reg, p, start, out, time.Now, demoTick)
}
