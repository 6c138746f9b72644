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

var rules = []rule{
	{"schemas", []string{mod}, "schemas is the bottom of the flow"},
	{"transform", []string{mod + "ingest", mod + "store", mod + "internal", mod + "indices", mod + "reports"}, "transform is pure and sees only schemas"},
	{"indices", []string{mod + "ingest", mod + "store", mod + "internal", mod + "transform", mod + "reports"}, "indices is pure and reads through its own interfaces"},
	{"ingest", []string{mod + "store", mod + "internal/app", mod + "indices", mod + "reports", "github.com/ClickHouse/"}, "ingest gets its sink injected and never imports the store"},
	{"store", []string{mod + "ingest", mod + "transform", mod + "indices", mod + "reports", mod + "internal"}, "the store depends only on schemas"},
	{"reports", []string{mod + "store", mod + "ingest", "github.com/ClickHouse/", "github.com/segmentio/kafka-go"}, "reports read through their own interface"},
	{"warnings", []string{mod + "store", mod + "ingest", mod + "internal/app", "github.com/ClickHouse/", "github.com/segmentio/kafka-go"}, "warnings read and persist through their own interfaces"},
	{"api", []string{mod + "ingest", mod + "internal/app", "github.com/segmentio/kafka-go"}, "the analyst API reads the store, never the stream"},
}

var exclusive = []onlyIn{
	{"github.com/ClickHouse/clickhouse-go/v2", []string{"store"}, "one package alone imports clickhouse-go"},
	{"github.com/segmentio/kafka-go", []string{"ingest", "internal/servers"}, "Kafka clients live in ingest (internal/servers only probes its test broker)"},
	{"github.com/twmb/franz-go/pkg/kfake", []string{"internal/broker"}, "the embedded broker is wired in one place"},
	{mod + "internal/app", []string{"cmd/riskwatch"}, "only main knows the wiring"},
}

func main() {
	cmd := exec.Command("go", "list", "-f", "{{.ImportPath}}|{{join .Imports \" \"}}|{{join .Deps \" \"}}", "./...")
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		fmt.Fprintln(os.Stderr, "check-imports: go list:", err)
		os.Exit(1)
	}
	var bad []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	n := 0
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
					if strings.HasPrefix(d, f) && d != parts[0] && !(f == mod && strings.HasPrefix(d, mod+r.Pkg)) {
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
				allowed := false
				for _, a := range x.Allow {
					if pkg == a {
						allowed = true
					}
				}
				if !allowed {
					bad = append(bad, fmt.Sprintf("%s imports %s: %s", pkg, imp, x.Why))
				}
			}
		}
	}
	if len(bad) > 0 {
		for _, b := range bad {
			fmt.Fprintln(os.Stderr, "check-imports: forbidden edge:", b)
		}
		os.Exit(1)
	}
	fmt.Printf("check-imports: %d packages, no forbidden edge\n", n)
}
