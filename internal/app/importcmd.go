package app

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/riskwatch/riskwatch/ingest"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/sources/importer"
	"github.com/riskwatch/riskwatch/sources/mappings"
)

// importCommand is `riskwatch import --mapping M FILE…`: exports of other
// platforms (CSV or JSON lines) turned into records on Kafka (or, with
// --out, into a JSON-lines file). Rejected rows are listed with file, line
// and reason; a summary per file follows.
func importCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fset := flag.NewFlagSet("riskwatch import", flag.ContinueOnError)
	fset.SetOutput(stderr)
	mapping := fset.String("mapping", "", "mapping file (YAML), or the name of a shipped one: "+shippedMappings())
	cfgPath := fset.String("config", "", "configuration file (kafka.brokers and kafka.topic)")
	out := fset.String("out", "", "write records as JSON lines here instead of producing to Kafka (- = standard output)")
	maxRejects := fset.Int("show-rejects", 50, "list at most this many rejected rows per file (all are counted)")
	if err := fset.Parse(args); err != nil {
		return 2
	}
	if *mapping == "" || fset.NArg() == 0 {
		fmt.Fprintln(stderr, "usage: riskwatch import --mapping MAPPING.yaml [--config FILE | --out FILE] FILE…")
		return 2
	}
	m, reg, err := openMapping(*mapping)
	if err != nil {
		fmt.Fprintf(stderr, "riskwatch import: %v\n", err)
		return 2
	}
	var emit func(schemas.Record) error
	var finish func() error
	switch {
	case *out != "":
		w := stdout
		if *out != "-" {
			f, err := os.Create(*out)
			if err != nil {
				fmt.Fprintf(stderr, "riskwatch import: %v\n", err)
				return 1
			}
			defer f.Close()
			w = f
		}
		bw := bufio.NewWriterSize(w, 1<<20)
		emit = func(r schemas.Record) error {
			b, err := schemas.MarshalRecord(r)
			if err != nil {
				return err
			}
			bw.Write(b)
			return bw.WriteByte('\n')
		}
		finish = bw.Flush
	default:
		cfg, err := loadConfig(*cfgPath)
		if err != nil {
			fmt.Fprintf(stderr, "riskwatch import: %v\n", err)
			return 2
		}
		if cfg.Kafka.Embedded {
			fmt.Fprintln(stderr, "riskwatch import: needs kafka.brokers in --config (or --out FILE)")
			return 2
		}
		conn, err := kafkaConn(cfg, cfg.Kafka.Brokers)
		if err == nil {
			err = ensureSourceTopic(ctx, cfg, conn)
		}
		if err != nil {
			fmt.Fprintf(stderr, "riskwatch import: %v\n", err)
			return 1
		}
		p := ingest.NewProducer(conn, cfg.Kafka.Topic)
		defer p.Close()
		var buf []ingest.Record
		send := func() error {
			if len(buf) == 0 {
				return nil
			}
			err := p.Send(ctx, buf...)
			buf = buf[:0]
			return err
		}
		emit = func(r schemas.Record) error {
			b, err := schemas.MarshalRecord(r)
			if err != nil {
				return err
			}
			buf = append(buf, ingest.Record{Key: []byte(r.CaseID), Value: b})
			if len(buf) >= 5000 {
				return send()
			}
			return nil
		}
		finish = send
	}

	failed := false
	for _, path := range fset.Args() {
		f, err := os.Open(path)
		if err != nil {
			fmt.Fprintf(stderr, "riskwatch import: %v\n", err)
			failed = true
			continue
		}
		prog := newProgress(stderr, "import "+filepath.Base(path), "records")
		shown := 0
		counted := func(r schemas.Record) error {
			prog.add(1)
			return emit(r)
		}
		st, err := m.ConvertFunc(f, path, reg, counted, func(r importer.Reject) error {
			if shown < *maxRejects {
				fmt.Fprintf(stderr, "%s:%d: rejected: %s\n", r.File, r.Line, r.Reason)
			}
			shown++
			return nil
		})
		f.Close()
		if err == nil {
			err = finish()
		}
		prog.done()
		if err != nil {
			fmt.Fprintf(stderr, "riskwatch import: %s: %v\n", path, err)
			failed = true
			continue
		}
		fmt.Fprintf(stdout, "%s: %d rows, %d records, %d rejected%s\n", path, st.Rows, st.Records, st.Rejected, reasons(st.ByReason))
	}
	if failed {
		return 1
	}
	return 0
}

// openMapping opens a mapping file, or a shipped mapping by name.
func openMapping(name string) (*importer.Mapping, *schemas.Registry, error) {
	if _, err := os.Stat(name); err == nil {
		abs, err := filepath.Abs(name)
		if err != nil {
			return nil, nil, err
		}
		return importer.Open(os.DirFS(filepath.Dir(abs)), filepath.Base(abs))
	}
	n := strings.TrimSuffix(filepath.Base(name), ".yaml") + ".yaml"
	if _, err := fs.Stat(mappings.FS, n); err == nil {
		return importer.Open(mappings.FS, n)
	}
	return nil, nil, fmt.Errorf("--mapping: %s is neither a file nor a shipped mapping (%s)", name, shippedMappings())
}

func shippedMappings() string {
	ents, _ := fs.Glob(mappings.FS, "*.yaml")
	for i := range ents {
		ents[i] = strings.TrimSuffix(ents[i], ".yaml")
	}
	return strings.Join(ents, ", ")
}

func reasons(by map[string]int) string {
	if len(by) == 0 {
		return ""
	}
	keys := make([]string, 0, len(by))
	for k := range by {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(" (")
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %d", k, by[k])
	}
	b.WriteString(")")
	return b.String()
}
