package app

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/riskwatch/riskwatch/schemas"
)

const categoriesUsage = `usage:
  riskwatch categories export          the built-in taxonomy as the categories CSV (code,parent,name_zh,name_en,keywords)
  riskwatch categories check FILE      check a categories CSV (codes, names, two levels, the fallback "other")
`

// categoriesCommand is `riskwatch categories export|check`.
func categoriesCommand(_ context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, categoriesUsage)
		return 2
	}
	switch {
	case args[0] == "export" && len(args) == 1:
		if err := schemas.WriteCategoriesCSV(stdout, schemas.Taxonomy); err != nil {
			fmt.Fprintf(stderr, "riskwatch categories export: cannot write: %v\n", err)
			return 1
		}
		return 0
	case args[0] == "check" && len(args) == 2:
		f, err := os.Open(args[1])
		if err != nil {
			fmt.Fprintf(stderr, "riskwatch categories check: %v\n", err)
			return 1
		}
		defer f.Close()
		cats, err := schemas.LoadCategoriesCSV(f, args[1])
		if err != nil {
			fmt.Fprintf(stderr, "riskwatch categories check: %v\n", err)
			return 1
		}
		groups := 0
		for _, c := range cats {
			if c.Parent == "" {
				groups++
			}
		}
		fmt.Fprintf(stdout, "%s: %d categories, %d groups\n", args[1], len(cats), groups)
		return 0
	case args[0] == "help" || args[0] == "-h" || args[0] == "--help":
		fmt.Fprint(stdout, categoriesUsage)
		return 0
	}
	fmt.Fprint(stderr, categoriesUsage)
	return 2
}
