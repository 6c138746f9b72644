package reports

import "github.com/riskwatch/riskwatch/schemas"

// RegionOf converts a registry region.
func RegionOf(r schemas.Region) Region {
	short := r.ShortName
	if short == "" {
		short = r.Name
	}
	return Region{Code: r.Code, Name: r.Name, ShortName: short, Level: int(r.Level), Parent: r.Parent}
}

// RegionsOf maps the codes of the registry's regions down to the given
// level to their report form (the names the tables print).
func RegionsOf(g *schemas.Registry, deepest schemas.Level) map[string]Region {
	out := map[string]Region{}
	for _, r := range g.All() {
		if r.Level <= deepest {
			out[r.Code] = RegionOf(r)
		}
	}
	return out
}

// CategoriesOf maps taxonomy codes to their Chinese names and groups.
func CategoriesOf(cats []schemas.Category) map[string]Category {
	out := make(map[string]Category, len(cats))
	for _, c := range cats {
		out[c.Code] = Category{Code: c.Code, NameZH: c.NameZH, Group: c.Parent}
	}
	return out
}
