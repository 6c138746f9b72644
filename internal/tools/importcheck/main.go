// Command importcheck fails when an import edge breaks the layering
// (make check-imports). The rules keep the flow one-way: schemas at the
// bottom, pure transform and indices, ingest that never sees the store, one
// package alone on clickhouse-go, and only the wiring knowing everything.
//
// It reads `go list` output for the module's non-test packages; each
// package's transitive dependencies are checked, so a forbidden edge cannot
// hide behind an intermediate package.
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
)

const mod = "github.com/riskwatch/riskwatch/"

// rule: packages matching Pkg (prefix of the module-relative path) may not
// depend, directly or transitively, on any import path with a Forbidden prefix.
type rule struct {
	Pkg       string
	Forbidden []string
	Why       string
}

// onlyIn: the import path may be imported directly only by these packages.
type onlyIn struct {
	Import string
	Allow  []string
	Why    string
}

// stages are the module's packages outside the wiring that a lower stage
// must not reach.
var (
	sourcesPkgs  = mod + "sources"
	jobsPkgs     = mod + "jobs"
	internalPkgs = mod + "internal"
)

var rules = []rule{
	{"schemas", []string{mod}, "schemas is the bottom of the flow"},
	{"sources", []string{mod + "ingest", mod + "store", jobsPkgs, mod + "indices", mod + "reports", mod + "warnings", mod + "api", mod + "transform", internalPkgs, "github.com/ClickHouse/", "github.com/segmentio/kafka-go"}, "sources produce schemas.Record values and see only schemas"},
	{"transform", []string{mod + "ingest", mod + "store", internalPkgs, mod + "indices", mod + "reports", sourcesPkgs, jobsPkgs, mod + "warnings", mod + "api"}, "transform is pure and sees only schemas"},
	{"indices", []string{mod + "ingest", mod + "store", internalPkgs, mod + "transform", mod + "reports", sourcesPkgs, jobsPkgs, mod + "warnings", mod + "api"}, "indices is pure and reads through its own interfaces"},
	{"ingest", []string{mod + "store", mod + "internal/app", mod + "indices", mod + "reports", jobsPkgs, "github.com/ClickHouse/"}, "ingest gets its sink injected and never imports the store"},
	{"store", []string{mod + "ingest", mod + "transform", mod + "indices", mod + "reports", internalPkgs, sourcesPkgs, jobsPkgs}, "the store depends only on schemas"},
	{"jobs/scheduler", []string{mod + "store", mod + "indices", mod + "ingest", mod + "transform", mod + "reports", mod + "warnings", mod + "api", sourcesPkgs, internalPkgs}, "the scheduler runs jobs it is given and knows only schemas"},
	{"jobs", []string{mod + "ingest", mod + "transform", mod + "reports", mod + "warnings", mod + "api", sourcesPkgs, internalPkgs, "github.com/segmentio/kafka-go"}, "jobs read and write through the store and compute with indices"},
	{"reports", []string{mod + "store", mod + "ingest", jobsPkgs, "github.com/ClickHouse/", "github.com/segmentio/kafka-go"}, "reports read through their own interface"},
	{"warnings", []string{mod + "store", mod + "ingest", mod + "internal/app", jobsPkgs, "github.com/ClickHouse/", "github.com/segmentio/kafka-go"}, "warnings read and persist through their own interfaces"},
	{"api", []string{mod + "ingest", internalPkgs, jobsPkgs, "github.com/segmentio/kafka-go"}, "the analyst API reads the store, never the stream, the jobs or the wiring"},
}

var exclusive = []onlyIn{
	{"github.com/ClickHouse/clickhouse-go/v2", []string{"store"}, "one package alone imports clickhouse-go"},
	{"github.com/segmentio/kafka-go", []string{"ingest", "internal/servers"}, "Kafka clients live in ingest (internal/servers only probes its test broker)"},
	{"github.com/twmb/franz-go/pkg/kfake", []string{"internal/broker"}, "the embedded broker is wired in one place"},
	{"github.com/robfig/cron/v3", []string{"jobs/scheduler"}, "one scheduler: cron is read in one place"},
	{mod + "internal/app", []string{"cmd/riskwatch"}, "only main knows the wiring"},
}

func main() {
	cmd := exec.Command("go", "list", "-f", "{{.ImportPath}}|{{join .Imports \" \"}}|{{join .Deps \" \"}}", "./...")
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		fmt.Fprintln(os.Stderr, "check-imports: cannot run go list:", err)
		os.Exit(1)
	}
	n, bad := check(out)
	if len(bad) > 0 {
		for _, b := range bad {
			fmt.Fprintln(os.Stderr, "check-imports: forbidden edge:", b)
		}
		os.Exit(1)
	}
	fmt.Printf("check-imports: %d packages, no forbidden edge\n", n)
}

// check reads `go list` lines "path|imports|deps" and returns the number
// of packages and the forbidden edges found.
func check(out []byte) (n int, bad []string) {
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), "|", 3)
		if len(parts) != 3 {
			continue
		}
		n++
		pkg := strings.TrimPrefix(parts[0], mod)
		imports, deps := strings.Fields(parts[1]), strings.Fields(parts[2])
		for _, r := range rules {
			if pkg != r.Pkg && !strings.HasPrefix(pkg, r.Pkg+"/") {
				continue
			}
			for _, d := range deps {
				for _, f := range r.Forbidden {
					if d == parts[0] || strings.HasPrefix(d, mod+r.Pkg+"/") || d == mod+r.Pkg {
						continue // the package itself and its own subpackages
					}
					if d == f || strings.HasPrefix(d, f+"/") || (strings.HasSuffix(f, "/") && strings.HasPrefix(d, f)) || (f == mod && strings.HasPrefix(d, mod)) {
						bad = append(bad, fmt.Sprintf("%s depends on %s: %s", pkg, d, r.Why))
					}
				}
			}
		}
		for _, x := range exclusive {
			for _, imp := range imports {
				if imp != x.Import && !strings.HasPrefix(imp, x.Import+"/") {
					continue
				}
				if !slices.Contains(x.Allow, pkg) {
					bad = append(bad, fmt.Sprintf("%s imports %s: %s", pkg, imp, x.Why))
				}
			}
		}
	}
	return n, bad
}
