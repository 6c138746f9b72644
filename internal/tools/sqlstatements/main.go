// Command sqlstatements prints, as JSON lines, every SQL statement the
// product runs from files: the embedded migrations and the query files under
// the directories given as arguments. scripts/check_sql_modern.py feeds them
// to the current ClickHouse engine (chDB), so that the one splitter the
// product uses also decides what is checked.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/riskwatch/riskwatch/schemas"
)

type statement struct {
	File string `json:"file"`
	Line int    `json:"line"`
	SQL  string `json:"sql"`
	Kind string `json:"kind"` // migration or query
}

func main() {
	enc := json.NewEncoder(os.Stdout)
	migs, err := schemas.Migrations()
	if err != nil {
		fmt.Fprintln(os.Stderr, "sqlstatements:", err)
		os.Exit(1)
	}
	for _, m := range migs {
		for _, s := range m.Statements {
			_ = enc.Encode(statement{File: "schemas/migrations/" + m.Name, Line: s.Line, SQL: s.SQL, Kind: "migration"})
		}
	}
	for _, dir := range os.Args[1:] {
		files, _ := filepath.Glob(filepath.Join(dir, "*.sql"))
		sort.Strings(files)
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				fmt.Fprintln(os.Stderr, "sqlstatements:", err)
				os.Exit(1)
			}
			stmts, err := schemas.SplitStatements(string(b))
			if err != nil {
				fmt.Fprintf(os.Stderr, "sqlstatements: %s: %v\n", f, err)
				os.Exit(1)
			}
			for _, s := range stmts {
				_ = enc.Encode(statement{File: f, Line: s.Line, SQL: s.SQL, Kind: "query"})
			}
		}
	}
}
