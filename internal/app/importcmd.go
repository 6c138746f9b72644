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
	"strconv"
	"strings"

	"github.com/riskwatch/riskwatch/ingest"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/sources/importer"
	"github.com/riskwatch/riskwatch/sources/mappings"
)

// importCommand is `riskwatch import --mapping M FILE…`: exports of other
// platforms (CSV or JSON lines) turned into records on Kafka (or, with
// --out, into a JSON-lines file). Rejected rows are listed with file, line
// and reason (which names the column); a summary per file follows, then the
// totals by reason and the values the mapping's maps did not know. It exits
// 1 when the rejected share of all rows exceeds --max-reject-rate.
func importCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fset := flag.NewFlagSet("riskwatch import", flag.ContinueOnError)
	fset.SetOutput(stderr)
	mapping := fset.String("mapping", "", "mapping file (YAML), or the name of a shipped one: "+shippedMappings())
	cfgPath := fset.String("config", "", "configuration file (kafka.brokers and kafka.topic)")
	out := fset.String("out", "", "write records as JSON lines here instead of producing to Kafka (- = standard output)")
	maxRejects := fset.Int("show-rejects", 50, "list at most this many rejected rows per file (all are counted)")
	maxRateText := fset.String("max-reject-rate", "1%", "exit 1 when more than this share of the rows is rejected (percent; 0 = any reject fails)")
	if err := fset.Parse(args); err != nil {
		return 2
	}
	maxRate, err := parsePercent(*maxRateText)
	if err != nil {
		fmt.Fprintf(stderr, "riskwatch import: --max-reject-rate: %v\n", err)
		return 2
	}
	if *mapping == "" || fset.NArg() == 0 {
		fmt.Fprintln(stderr, "usage: riskwatch import --mapping MAPPING.yaml [--config FILE | --out FILE] FILE…")
		return 2
	}
	if *cfgPath != "" {
		// The configuration's time zone and taxonomy apply to --out too.
		if _, err := loadConfig(*cfgPath); err != nil {
			fmt.Fprintf(stderr, "riskwatch import: %v\n", err)
			return 2
		}
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
	var total importer.Stats
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
				fmt.Fprintln(stderr, rejectLine(r))
			}
			shown++
			return nil
		})
		f.Close()
		if err == nil {
			err = finish()
		}
		prog.done()
		total.Add(st)
		if err != nil {
			// Errors of the conversion name the file already.
			fmt.Fprintf(stderr, "riskwatch import: %v\n", err)
			failed = true
			continue
		}
		if shown > *maxRejects {
			fmt.Fprintf(stderr, "%s: %d more rejected rows not listed (--show-rejects)\n", path, shown-*maxRejects)
		}
		fmt.Fprintf(stdout, "%s: %d rows, %d records, %d rejected%s\n", path, st.Rows, st.Records, st.Rejected, reasons(st.ByReason))
	}
	if fset.NArg() > 1 {
		fmt.Fprintf(stdout, "total: %d rows, %d records, %d rejected\n", total.Rows, total.Records, total.Rejected)
	}
	for _, l := range reasonSummary(total) {
		fmt.Fprintln(stdout, l)
	}
	unmapped := total.UnmappedReport()
	for i, l := range unmapped {
		if i == maxUnmappedLines && len(unmapped) > maxUnmappedLines+1 {
			fmt.Fprintf(stdout, "unmapped: %d more values not listed\n", len(unmapped)-i)
			break
		}
		fmt.Fprintln(stdout, "unmapped: "+l)
	}
	if failed {
		return 1
	}
	if rate := rejectRate(total); total.Rejected > 0 && rate > maxRate {
		fmt.Fprintf(stderr, "riskwatch import: %d of %d rows rejected (%.2f %%), more than --max-reject-rate %s\n",
			total.Rejected, total.Rows, rate, *maxRateText)
		return 1
	}
	return 0
}

// maxUnmappedLines bounds the unmapped values listed, most rows first.
const maxUnmappedLines = 20

// rejectLine is one rejected row as import lists it: file, line (and the
// byte in the line when the fault has one), then the reason, which names
// the column.
func rejectLine(r importer.Reject) string {
	if r.Pos > 0 {
		return fmt.Sprintf("%s:%d:%d: rejected: %s", r.File, r.Line, r.Pos, r.Reason)
	}
	return fmt.Sprintf("%s:%d: rejected: %s", r.File, r.Line, r.Reason)
}

// rejectRate is the rejected share of the rows in percent.
func rejectRate(st importer.Stats) float64 {
	if st.Rows == 0 {
		return 0
	}
	return 100 * float64(st.Rejected) / float64(st.Rows)
}

// parsePercent reads "1", "1%" or "0.5 %" as a percentage from 0 to 100.
func parsePercent(s string) (float64, error) {
	t := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "%"))
	x, err := strconv.ParseFloat(t, 64)
	if err != nil || x < 0 || x > 100 || x != x {
		return 0, fmt.Errorf("%q is not a percentage from 0 to 100", s)
	}
	return x, nil
}

// reasonSummary lists the rejected rows by reason, most first, with their
// share of all rows.
func reasonSummary(st importer.Stats) []string {
	if st.Rejected == 0 {
		return nil
	}
	keys := make([]string, 0, len(st.ByReason))
	for k := range st.ByReason {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if st.ByReason[keys[i]] != st.ByReason[keys[j]] {
			return st.ByReason[keys[i]] > st.ByReason[keys[j]]
		}
		return keys[i] < keys[j]
	})
	out := []string{fmt.Sprintf("rejected: %d of %d rows (%.2f %%)", st.Rejected, st.Rows, rejectRate(st))}
	for _, k := range keys {
		out = append(out, fmt.Sprintf("  %-40s %7d", k, st.ByReason[k]))
	}
	return out
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
