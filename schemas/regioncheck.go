package schemas

import (
	"fmt"
	"io"
	"sort"
	"strconv"
)

// RegionProblem is one finding of CheckCSV: a line of the regions CSV and
// what is wrong there. Warning findings do not stop the file from loading.
type RegionProblem struct {
	Line    int
	Warning bool
	Message string
}

func (p RegionProblem) String() string {
	kind := "error"
	if p.Warning {
		kind = "warning"
	}
	return fmt.Sprintf("line %d: %s: %s", p.Line, kind, p.Message)
}

// CheckCSV checks a regions CSV (the LoadCSV format) and lists every
// problem with its line, not only the first: the tree (one root, known
// parents, levels growing downwards), the codes (non-empty, unique), the
// names, the levels and populations (numbers; children whose census
// populations add up to more than their parent's are a warning). The file
// loads with LoadCSV exactly when no problem is an error.
func CheckCSV(r io.Reader, name string) ([]RegionProblem, error) {
	rows, err := readCSV(r, name, []string{"code", "name", "level", "parent_code", "population"})
	if err != nil {
		return nil, err
	}
	var out []RegionProblem
	bad := func(line int, format string, a ...any) {
		out = append(out, RegionProblem{Line: line, Message: fmt.Sprintf(format, a...)})
	}
	type unit struct {
		line, level int
		parent      string
		pop         int64
		hasPop      bool
	}
	units := map[string]*unit{}
	var order []string
	var roots []int
	for _, row := range rows {
		code := row.get("code")
		if code == "" {
			bad(row.line, "column code: empty")
			continue
		}
		if u, dup := units[code]; dup {
			bad(row.line, "column code: %s is repeated (first at line %d)", code, u.line)
			continue
		}
		u := &unit{line: row.line, parent: row.get("parent_code")}
		if row.get("name") == "" {
			bad(row.line, "column name: empty")
		}
		lv, err := strconv.Atoi(row.get("level"))
		if err != nil || lv < 1 || lv > 9 {
			bad(row.line, "column level: %q is not a level 1-9", row.get("level"))
		}
		u.level = lv
		if p := row.get("population"); p != "" {
			n, err := strconv.ParseInt(p, 10, 64)
			if err != nil || n < 0 {
				bad(row.line, "column population: %q is not a non-negative number", p)
			} else {
				u.pop, u.hasPop = n, true
			}
		}
		if u.parent == "" {
			roots = append(roots, row.line)
		}
		units[code] = u
		order = append(order, code)
	}
	switch {
	case len(rows) == 0:
		bad(1, "no regions")
	case len(roots) == 0:
		bad(rows[0].line, "no root (a row with an empty parent_code)")
	case len(roots) > 1:
		for _, l := range roots[1:] {
			bad(l, "a second root (empty parent_code; the first is at line %d)", roots[0])
		}
	}
	childPop := map[string]int64{}
	for _, code := range order {
		u := units[code]
		if u.parent == "" {
			continue
		}
		p, ok := units[u.parent]
		switch {
		case !ok:
			bad(u.line, "column parent_code: %s is not a code of the file", u.parent)
			continue
		case u.parent == code:
			bad(u.line, "column parent_code: the region is its own parent")
			continue
		case p.level >= u.level && p.level > 0 && u.level > 0:
			bad(u.line, "column level: %d is not below its parent %s (level %d, line %d)", u.level, u.parent, p.level, p.line)
		}
		if u.hasPop {
			childPop[u.parent] += u.pop
		}
	}
	for code, sum := range childPop {
		if p := units[code]; p.hasPop && sum > p.pop {
			out = append(out, RegionProblem{Line: p.line, Warning: true,
				Message: fmt.Sprintf("the children of %s have %d people together, more than its population %d", code, sum, p.pop)})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Line < out[j].Line })
	return out, nil
}
