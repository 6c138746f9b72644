package statcli

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Exit codes of Main.
const (
	// ExitOK is returned when the command succeeded.
	ExitOK = 0
	// ExitFailure is returned when the output could not be written.
	ExitFailure = 1
	// ExitUsage is returned for bad usage (unknown command or flag, a bad
	// flag value) and bad input (a missing column, a value that is not a
	// number, an unknown id, a series too short for the method).
	ExitUsage = 2
)

const usageHead = `Usage: riskwatch stat COMMAND [flags]

The analyst command line over the statistics core. Every command reads CSV
files with a header row (columns are found by name; other columns are
ignored) and writes CSV to standard output. Numbers are printed in the
shortest form that reads back exactly; an empty cell means undefined.
Exit status: 0 success, 2 bad usage or bad input (the message names the
file, line and column), 1 the output could not be written.

Commands:
`

const usageDetect = `  riskwatch stat detect --method METHOD [flags] FILE.csv
    Early-warning detection on one count series, with the semantics of the
    R package surveillance. FILE.csv has the columns t (1, 2, 3, … in order)
    and observed (non-negative counts). Output: t,observed,upperbound,alarm,
    one row per monitored t; upperbound is empty when undefined (too little
    history, no model fit, Farrington's 5-in-4 rule) and alarm is 0 or 1.
      --method M       ears-c1, ears-c2, ears-c3 (earsC), cusum (algo.cusum,
                       trans "standard"), farrington-flexible
                       (farringtonFlexible), glr-nb (algo.glrnb, intercept
                       chart, c.ARL 5; upperbound is the GLR statistic)
      --alpha A        ears-*: significance level (default 0.001 for C1 and
                       C2, 0.025 for C3); farrington-flexible: significance
                       level (default 0.05); glr-nb: negative binomial
                       dispersion (default: estimated; 0 = Poisson chart)
      --baseline N     ears-*: number of reference points (default 7)
      --k K            cusum: reference value (default 1.04)
      --h H            cusum: decision interval (default 2.26)
      --b B            farrington-flexible: past years used (default 5)
      --w W            farrington-flexible: half-width of the reference
                       windows (default 3)
      --freq F         cusum, farrington-flexible, glr-nb: points per year
                       (default 52)
      --range-start T  first t monitored; earlier rows are history only.
                       Default: the first t with enough history: baseline+1
                       (C1), baseline+3 (C2), baseline+5 (C3), freq+1
                       (cusum, glr-nb), freq·b+w+1 (farrington-flexible)
    A flag the method does not read is an error.
`

const usageGistar = `  riskwatch stat gistar --values FILE.csv --value-column COL --neighbors FILE.csv [flags]
    Local Getis-Ord statistic of every unit (PySAL esda G_Local). The values
    file has the columns id and COL; the neighbours file has the columns id
    and neighbors (the neighbours' ids separated by spaces; empty for an
    island), one row per unit, the same units as the values file. Output:
    id,value,z,p in the order of the values file; z and p are empty when
    undefined (constant values; an island with --no-star).
      --weights W      binary (default) or row (row-standardised)
      --no-star        Gi (the unit itself left out) instead of Gi*
      --two-sided      p = 2·P(Z > |z|), the p-value ArcGIS prints, instead
                       of the default one-sided P(Z > |z|) of esda's p_norm
    The default, Gi* with binary weights and the unit itself included, is
    ArcGIS's Gi* z-score.
`

const usageMannKendall = `  riskwatch stat mann-kendall --column COL FILE.csv
    Original Mann-Kendall trend test (pyMannKendall original_test, alpha
    0.05) on the values of column COL in row order. Empty cells, NA and NaN
    are missing values and are dropped; at least 2 values must remain.
    Output: one row s,var_s,z,p,trend with the tie-corrected score and
    variance, the continuity-corrected z, the two-sided p-value and trend
    "increasing", "decreasing" or "no trend".
`

const usageEB = `  riskwatch stat eb --cases COL --population COL [flags] FILE.csv
    Empirical Bayes smoothed Poisson rates (Marshall 1991, as R spdep). Output:
    the rows of FILE.csv with all their columns, in order, plus a column
    eb_rate. Cases must be non-negative and populations positive.
      --method M       global (default; spdep EBest) or local (spdep EBlocal:
                       each unit with its neighbours; needs --neighbors and
                       an id column in FILE.csv)
      --neighbors F    neighbours CSV (id,neighbors) for --method local, the
                       same units as FILE.csv
      --per N          multiply the rate by N (default 1: the rate per
                       resident, as spdep reports it; 10000 gives the risk
                       index's rate per 10,000 residents)
    eb_rate is empty when undefined (local: no case in the neighbourhood).
`

// usage is the whole help text of `riskwatch stat`.
const usage = usageHead + usageDetect + "\n" + usageGistar + "\n" + usageMannKendall + "\n" + usageEB

// commands maps each command to its runner and its part of the usage text.
var commands = map[string]struct {
	run   func(args []string, out *bytes.Buffer) error
	usage string
}{
	"detect":       {runDetect, usageDetect},
	"gistar":       {runGistar, usageGistar},
	"mann-kendall": {runMannKendall, usageMannKendall},
	"eb":           {runEB, usageEB},
}

// Usage returns the help text that `riskwatch stat --help` prints.
func Usage() string { return usage }

// Main runs `riskwatch stat` with args, the arguments after "stat" (args[0]
// is the command: detect, gistar, mann-kendall or eb). It writes the result
// CSV to stdout, only once the command has succeeded, and messages to
// stderr, and returns the exit code: ExitOK, ExitUsage for bad usage or
// bad input, ExitFailure when stdout cannot be written.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return ExitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return ExitOK
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "riskwatch stat: unknown command %q (want detect, gistar, mann-kendall or eb)\nRun 'riskwatch stat --help' for usage.\n", args[0])
		return ExitUsage
	}
	for _, a := range args[1:] {
		if a == "--" {
			break
		}
		if a == "-h" || a == "-help" || a == "--help" {
			fmt.Fprint(stdout, usageHead+cmd.usage)
			return ExitOK
		}
	}
	var out bytes.Buffer
	if err := cmd.run(args[1:], &out); err != nil {
		fmt.Fprintf(stderr, "riskwatch stat %s: %v\n", args[0], err)
		var ue *usageError
		if errors.As(err, &ue) {
			fmt.Fprintln(stderr, "Run 'riskwatch stat --help' for usage.")
		}
		return ExitUsage
	}
	if _, err := stdout.Write(out.Bytes()); err != nil {
		fmt.Fprintf(stderr, "riskwatch stat %s: cannot write the output: %v\n", args[0], err)
		return ExitFailure
	}
	return ExitOK
}

// usageError is a problem with the command line itself.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// inputError is a problem in an input file, located as precisely as
// possible: "FILE line L, column C: message". Line 0 and an empty column
// leave that part out.
type inputError struct {
	file   string
	line   int
	column string
	msg    string
}

func (e *inputError) Error() string {
	var b strings.Builder
	b.WriteString(e.file)
	if e.line > 0 {
		fmt.Fprintf(&b, " line %d", e.line)
	}
	if e.column != "" {
		b.WriteString(", column ")
		b.WriteString(e.column)
	}
	b.WriteString(": ")
	b.WriteString(e.msg)
	return b.String()
}

func inputf(file string, line int, column, format string, args ...any) error {
	return &inputError{file: file, line: line, column: column, msg: fmt.Sprintf(format, args...)}
}

// newFlagSet returns a flag set that reports errors to the caller only.
func newFlagSet(cmd string) *flag.FlagSet {
	fs := flag.NewFlagSet("riskwatch stat "+cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parseArgs parses flags and positional arguments in any order (Go's flag
// package stops at the first positional argument); everything after "--"
// is positional. It returns the positional arguments and the names of the
// flags that were set.
func parseArgs(fs *flag.FlagSet, args []string) (pos []string, set map[string]bool, err error) {
	for {
		if err := fs.Parse(args); err != nil {
			// The flag package names flags with one dash; the usage text
			// and docs spell them with two.
			msg := err.Error()
			for _, s := range []string{"flag -", "defined: -", "argument: -"} {
				msg = strings.Replace(msg, s, s+"-", 1)
			}
			return nil, nil, &usageError{msg: msg}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	set = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return pos, set, nil
}

// oneFile returns the single positional argument FILE.csv.
func oneFile(pos []string) (string, error) {
	switch len(pos) {
	case 0:
		return "", usagef("missing FILE.csv")
	case 1:
		return pos[0], nil
	}
	return "", usagef("one FILE.csv expected, got %d arguments: %s", len(pos), strings.Join(pos, " "))
}

// finiteFloat is a flag value that accepts finite numbers only.
type finiteFloat float64

func (f *finiteFloat) String() string { return strconv.FormatFloat(float64(*f), 'g', -1, 64) }

func (f *finiteFloat) Set(s string) error {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return errors.New("not a finite number")
	}
	*f = finiteFloat(v)
	return nil
}
