// Command testsummary reads `go test -json` on stdin and prints what a person
// running `make test` needs: the real servers the tests started (lines
// beginning "testenv:"), each package's result, the whole output of every
// failed or skipped-under-CI test, and a closing line
// "go test: N passed, N failed, N skipped". It exits 1 when anything failed,
// including a package that did not build.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
)

type event struct {
	Action     string
	ImportPath string // build-output and build-fail events
	Package    string
	Test       string
	Output     string
	Elapsed    float64
}

func main() {
	var (
		passed, failed, skipped int
		pkgFailed               bool
		out                     = map[string][]string{} // package/test → output lines
		skips                   []string
		seenEnv                 = map[string]bool{}
	)
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if err := json.Unmarshal(line, &e); err != nil {
			// Not JSON: build errors and the like. Show them as they are.
			fmt.Println(string(line))
			continue
		}
		key := e.Package + " " + e.Test
		switch e.Action {
		case "build-output":
			fmt.Print(e.Output)
			continue
		case "build-fail":
			pkgFailed = true
			fmt.Printf("FAIL %s [build failed]\n", e.ImportPath)
			continue
		case "output":
			out[key] = append(out[key], e.Output)
			if s := strings.TrimSpace(e.Output); strings.HasPrefix(s, "testenv:") && !seenEnv[s] {
				seenEnv[s] = true
				fmt.Println(s)
			}
		case "pass":
			if e.Test != "" {
				passed++
			} else {
				fmt.Printf("ok   %s %.1fs\n", e.Package, e.Elapsed)
			}
			delete(out, key)
		case "skip":
			if e.Test != "" {
				skipped++
				reason := lastMeaningful(out[key])
				skips = append(skips, fmt.Sprintf("SKIP %s %s: %s", e.Package, e.Test, reason))
			} else {
				fmt.Printf("---  %s (no tests)\n", e.Package)
			}
			delete(out, key)
		case "fail":
			if e.Test != "" {
				failed++
				fmt.Printf("--- FAIL: %s %s (%.1fs)\n", e.Package, e.Test, e.Elapsed)
				for _, l := range out[key] {
					fmt.Print("    " + l)
				}
			} else {
				pkgFailed = true
				fmt.Printf("FAIL %s %.1fs\n", e.Package, e.Elapsed)
				for _, l := range out[key] {
					if !strings.HasPrefix(l, "=== ") && !strings.HasPrefix(l, "--- ") {
						fmt.Print("    " + l)
					}
				}
			}
			delete(out, key)
		}
	}
	sort.Strings(skips)
	for _, s := range skips {
		fmt.Println(s)
	}
	fmt.Printf("go test: %d passed, %d failed, %d skipped\n", passed, failed, skipped)
	if failed > 0 || pkgFailed {
		os.Exit(1)
	}
}

func lastMeaningful(lines []string) string {
	for i := len(lines) - 1; i >= 0; i-- {
		s := strings.TrimSpace(lines[i])
		if s != "" && !strings.HasPrefix(s, "---") && !strings.HasPrefix(s, "===") {
			return s
		}
	}
	return ""
}
