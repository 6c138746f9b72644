package schemas

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Migration is one ordered DDL file.
type Migration struct {
	Version    int    // from the file name: 0001_core.sql → 1
	Name       string // file name
	Checksum   string // sha256 of the file, to notice a file changed after it was applied
	Statements []Statement
}

// Statement is one SQL statement of a migration with the line it starts on.
type Statement struct {
	Line int
	SQL  string
}

var migrationName = regexp.MustCompile(`^(\d{4})_[a-z0-9_]+\.sql$`)

// Migrations returns the embedded migrations in version order.
func Migrations() ([]Migration, error) { return LoadMigrations(migrationFS, "migrations") }

// LoadMigrations reads NNNN_name.sql files from dir of fsys in version order.
// Versions must be unique; a file that does not follow the naming rule is an
// error, not something silently skipped.
func LoadMigrations(fsys fs.FS, dir string) ([]Migration, error) {
	ents, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("cannot list migrations: %w", err)
	}
	var out []Migration
	seen := map[int]string{}
	for _, e := range ents {
		if e.IsDir() {
			continue
		}
		m := migrationName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("migration %s: name must look like 0001_name.sql", e.Name())
		}
		v, _ := strconv.Atoi(m[1])
		if prev, dup := seen[v]; dup {
			return nil, fmt.Errorf("migrations %s and %s: same version %d", prev, e.Name(), v)
		}
		seen[v] = e.Name()
		b, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("cannot read migration %s: %w", e.Name(), err)
		}
		stmts, err := SplitStatements(string(b))
		if err != nil {
			return nil, fmt.Errorf("migration %s: %w", e.Name(), err)
		}
		if len(stmts) == 0 {
			return nil, fmt.Errorf("migration %s: no statements", e.Name())
		}
		sum := sha256.Sum256(b)
		out = append(out, Migration{Version: v, Name: e.Name(), Checksum: hex.EncodeToString(sum[:]), Statements: stmts})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// SplitStatements splits a SQL script on semicolons outside string literals,
// quoted identifiers and comments. Comments are removed; each statement keeps
// the line number it starts on. A script whose last statement lacks its
// semicolon still yields that statement.
func SplitStatements(script string) ([]Statement, error) {
	var (
		out       []Statement
		cur       strings.Builder
		line      = 1
		startLine = 0
		quote     byte // ', ", ` or 0
	)
	flush := func() {
		s := strings.TrimSpace(cur.String())
		if s != "" {
			out = append(out, Statement{Line: startLine, SQL: s})
		}
		cur.Reset()
		startLine = 0
	}
	for i := 0; i < len(script); i++ {
		c := script[i]
		if quote != 0 {
			cur.WriteByte(c)
			switch {
			case c == '\\' && i+1 < len(script):
				i++
				cur.WriteByte(script[i])
				if script[i] == '\n' {
					line++
				}
			case c == quote:
				quote = 0
			case c == '\n':
				line++
			}
			continue
		}
		switch {
		case c == '-' && i+1 < len(script) && script[i+1] == '-':
			for i < len(script) && script[i] != '\n' {
				i++
			}
			if i < len(script) {
				line++
				cur.WriteByte('\n')
			}
			continue
		case c == '/' && i+1 < len(script) && script[i+1] == '*':
			end := strings.Index(script[i+2:], "*/")
			if end < 0 {
				return nil, fmt.Errorf("line %d: unterminated comment", line)
			}
			line += strings.Count(script[i:i+2+end+2], "\n")
			i += 2 + end + 1
			cur.WriteByte(' ')
			continue
		case c == ';':
			flush()
			continue
		case c == '\'' || c == '"' || c == '`':
			quote = c
		case c == '\n':
			line++
		}
		if startLine == 0 && c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			startLine = line
		}
		cur.WriteByte(c)
	}
	if quote != 0 {
		return nil, fmt.Errorf("line %d: unterminated quote %c", line, quote)
	}
	flush()
	return out, nil
}
