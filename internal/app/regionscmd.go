package app

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/riskwatch/riskwatch/schemas"
)

const regionsUsage = `usage:
  riskwatch regions export [--config FILE] [--out FILE]   the registry in force (built-in Tongliao, or regions.file) as the regions CSV
  riskwatch regions check FILE                            check a regions CSV: tree, codes, levels, population (problems with line numbers)
  riskwatch regions build --geojson F --code-field C --name-field N [--parent-field P] [--root-code R --root-name NAME]
                          [--population P.csv --join-on name|code] [--out FILE]   a regions CSV from a boundary file
`

// regionsCommand is `riskwatch regions export|check`.
func regionsCommand(_ context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, regionsUsage)
		return 2
	}
	switch args[0] {
	case "export":
		return regionsExport(args[1:], stdout, stderr)
	case "check":
		return regionsCheck(args[1:], stdout, stderr)
	case "build":
		return regionsBuild(args[1:], stdout, stderr) // regionsbuild.go
	case "help", "-h", "--help":
		fmt.Fprint(stdout, regionsUsage)
		return 0
	}
	fmt.Fprintf(stderr, "riskwatch regions: unknown command %q\n%s", args[0], regionsUsage)
	return 2
}

func regionsExport(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("riskwatch regions export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "configuration file (regions.file); empty = the built-in Tongliao registry")
	out := fs.String("out", "-", "write the CSV here (- = standard output)")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		fmt.Fprint(stderr, regionsUsage)
		return 2
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		fmt.Fprintf(stderr, "riskwatch regions export: %v\n", err)
		return 2
	}
	reg, err := loadRegions(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "riskwatch regions export: %v\n", err)
		return 1
	}
	w := stdout
	var f *os.File
	if *out != "-" {
		if f, err = os.Create(*out); err != nil {
			fmt.Fprintf(stderr, "riskwatch regions export: %v\n", err)
			return 1
		}
		w = f
	}
	bw := bufio.NewWriter(w)
	err = reg.WriteCSV(bw)
	if err == nil {
		err = bw.Flush()
	}
	if f != nil {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "riskwatch regions export: cannot write: %v\n", err)
		return 1
	}
	if *out != "-" {
		fmt.Fprintf(stderr, "%d regions written to %s\n", reg.Len(), *out)
	}
	return 0
}

func regionsCheck(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprint(stderr, regionsUsage)
		return 2
	}
	path := args[0]
	f, err := os.Open(path)
	if err != nil {
		fmt.Fprintf(stderr, "riskwatch regions check: %v\n", err)
		return 1
	}
	defer f.Close()
	probs, err := schemas.CheckCSV(f, path)
	if err != nil {
		fmt.Fprintf(stderr, "riskwatch regions check: %v\n", err)
		return 1
	}
	errs := 0
	for _, p := range probs {
		kind := "warning"
		if !p.Warning {
			kind = "error"
			errs++
		}
		fmt.Fprintf(stdout, "%s:%d: %s: %s\n", path, p.Line, kind, p.Message)
	}
	if errs > 0 {
		fmt.Fprintf(stderr, "riskwatch regions check: %s: %d errors, %d warnings\n", path, errs, len(probs)-errs)
		return 1
	}
	if _, err := f.Seek(0, io.SeekStart); err == nil {
		if reg, err := schemas.LoadCSV(f, path); err == nil {
			fmt.Fprintf(stdout, "%s: %d regions, root %s, %d warnings\n", path, reg.Len(), reg.Root().Code, len(probs))
		} else {
			fmt.Fprintf(stderr, "riskwatch regions check: %v\n", err)
			return 1
		}
	}
	return 0
}
