package schemas

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"
)

// categoryColumns is the header of a categories CSV. keywords are separated
// by '|'.
var categoryColumns = []string{"code", "parent", "name_zh", "name_en", "keywords"}

// SetTaxonomy makes cats the deployment's taxonomy (Taxonomy), as loaded
// from a categories file. Call it once at start, before anything reads the
// taxonomy; nil restores the built-in one. It returns the previous taxonomy
// (tests restore it).
func SetTaxonomy(cats []Category) []Category {
	prev := Taxonomy
	if cats == nil {
		cats = builtinTaxonomy
	}
	Taxonomy = cats
	return prev
}

// builtinTaxonomy is the taxonomy Taxonomy starts as.
var builtinTaxonomy = Taxonomy

// WriteCategoriesCSV writes a taxonomy as the categories CSV that
// LoadCategoriesCSV reads, in taxonomy order.
func WriteCategoriesCSV(w io.Writer, cats []Category) error {
	cw := csv.NewWriter(w)
	_ = cw.Write(categoryColumns)
	for _, c := range cats {
		_ = cw.Write([]string{c.Code, c.Parent, c.NameZH, c.NameEN, strings.Join(c.Keywords, "|")})
	}
	cw.Flush()
	return cw.Error()
}

// LoadCategoriesCSV reads a categories CSV (code, parent, name_zh, name_en,
// keywords separated by '|') and checks it as CheckCategories does; errors
// name the file and line.
func LoadCategoriesCSV(r io.Reader, name string) ([]Category, error) {
	rows, err := readCSV(r, name, categoryColumns)
	if err != nil {
		return nil, err
	}
	cats := make([]Category, 0, len(rows))
	lines := make([]int, 0, len(rows))
	for _, row := range rows {
		c := Category{Code: row.get("code"), Parent: row.get("parent"), NameZH: row.get("name_zh"), NameEN: row.get("name_en")}
		for _, k := range strings.Split(row.get("keywords"), "|") {
			if k = strings.TrimSpace(k); k != "" {
				c.Keywords = append(c.Keywords, k)
			}
		}
		cats = append(cats, c)
		lines = append(lines, row.line)
	}
	if probs := checkCategories(cats); len(probs) > 0 {
		msgs := make([]string, len(probs))
		for i, p := range probs {
			msgs[i] = fmt.Sprintf("%s line %d: %s", name, lines[p.index], p.msg)
		}
		return nil, fmt.Errorf("%s", strings.Join(msgs, "; "))
	}
	return cats, nil
}

type categoryProblem struct {
	index int // into the taxonomy
	msg   string
}

// checkCategories checks a taxonomy: codes non-empty and unique, a Chinese
// name for each, parents that are groups (entries without a parent) listed
// before their leaves, and the fallback "other" present as a group.
func checkCategories(cats []Category) []categoryProblem {
	var out []categoryProblem
	at := map[string]int{}
	for i, c := range cats {
		switch {
		case c.Code == "":
			out = append(out, categoryProblem{i, "column code: empty"})
			continue
		case strings.ContainsAny(c.Code, " \t,'\""):
			out = append(out, categoryProblem{i, fmt.Sprintf("column code: %q holds a space, comma or quote", c.Code)})
		}
		if j, dup := at[c.Code]; dup {
			out = append(out, categoryProblem{i, fmt.Sprintf("column code: %s is repeated (first in row %d)", c.Code, j+1)})
			continue
		}
		at[c.Code] = i
		if c.NameZH == "" {
			out = append(out, categoryProblem{i, "column name_zh: empty"})
		}
		if c.Parent != "" {
			j, ok := at[c.Parent]
			switch {
			case !ok:
				out = append(out, categoryProblem{i, fmt.Sprintf("column parent: %s is not a group listed above", c.Parent)})
			case cats[j].Parent != "":
				out = append(out, categoryProblem{i, fmt.Sprintf("column parent: %s is itself a leaf (of %s); the taxonomy has two levels", c.Parent, cats[j].Parent)})
			}
		}
	}
	if j, ok := at[OtherCategory]; !ok && len(cats) > 0 {
		out = append(out, categoryProblem{len(cats) - 1, "no fallback category \"other\" (a group with no keywords)"})
	} else if ok && cats[j].Parent != "" {
		out = append(out, categoryProblem{j, "the fallback \"other\" must be a group (no parent)"})
	}
	return out
}
