package demo

import (
	"fmt"
	"math"
	"strings"

	"github.com/riskwatch/riskwatch/schemas"
)

// leaf is a unit cases are drawn for: a village, or a town or banner that
// has no units below it.
type leaf struct {
	code      string
	county    int32 // index into Generator.counties
	town      int32 // index into Generator.towns, -1 when the leaf is a banner
	kind      uint8
	isVillage bool    // below a town, so the town's code may stand for it
	weight    float64 // residents, with the village's propensity
	place     string  // how summaries name it, free of classification keywords
	intake    string  // the center that accepts its cases
}

// picker draws a leaf with probability proportional to a weight.
type picker struct {
	leaves []int32
	cum    []float64
}

func (p *picker) add(li int32, w float64) {
	if w <= 0 {
		return
	}
	total := 0.0
	if n := len(p.cum); n > 0 {
		total = p.cum[n-1]
	}
	p.leaves = append(p.leaves, li)
	p.cum = append(p.cum, total+w)
}

// stratum is the leaves of one kind in one banner.
type stratum struct {
	picker
	weight float64
}

// countyInfo is a banner (旗县区) and what its cases need.
type countyInfo struct {
	code, short string
	strata      [numKinds]stratum
	center      string          // 社会治理综合服务中心
	units       [numCats]string // handling units by category
	seq         int             // case number of the day
}

// townInfo is a town (苏木乡镇街道).
type townInfo struct {
	code, short string
	county      int32
	place       string // for "到{T}综治中心"
	center      string
	units       [numCats]string
	ring        [ringSize]*caseState // recent baseline cases, for repeat_of
	ringN       int
}

// ringSize is how many recent cases per town a repeat may refer to.
const ringSize = 8

// Handling units per category: true when the town's unit handles it, false
// for the banner's department.
var handlers = [numCats]struct {
	town bool
	name string
}{
	catNeighbor:      {true, "司法所"},
	catNoise:         {true, "综合行政执法队"},
	catFamily:        {true, "司法所"},
	catLabor:         {false, "人社局劳动保障监察大队"},
	catWage:          {false, "人社局劳动保障监察大队"},
	catLand:          {true, "农村经营管理站"},
	catGrassland:     {false, "林业和草原局"},
	catExpropriation: {false, "自然资源局"},
	catProperty:      {false, "住房和城乡建设局"},
	catConsumer:      {false, "市场监督管理局"},
	catMedical:       {false, "医疗纠纷人民调解委员会"},
	catTraffic:       {false, "公安局交通管理大队"},
	catFinance:       {true, "派出所"},
	catFinanceMass:   {false, "处置非法集资工作办公室"},
	catEnvironment:   {false, "生态环境分局"},
	catPetition:      {false, "人民法院诉讼服务中心"},
	catCampus:        {false, "教育体育局"},
	catOther:         {true, "司法所"},
}

// buildPlaces walks the registry: every level-3 unit with residents is a
// banner; its leaves get the banner's residents in proportion to their
// registry population times a persistent propensity (log-normal, σ = 0.3,
// fixed by the seed), so some villages are a little busier than others
// year after year while every banner's total follows its population.
func (g *Generator) buildPlaces(kw []string) error {
	r := newStream(mix(g.seed, tagLeaves, 0, 0)).r
	safe := func(s string) bool { return s != "" && !containsAny(s, kw) }
	for _, c := range g.reg.AtLevel(schemas.LevelCounty) {
		if c.Population <= 0 {
			continue
		}
		ci := int32(len(g.counties))
		g.counties = append(g.counties, countyInfo{code: c.Code, short: c.ShortName})
		ct := &g.counties[ci]
		ct.center = c.ShortName + "社会治理综合服务中心"
		for k := 0; k < numCats; k++ {
			ct.units[k] = c.ShortName + handlers[k].name
		}
		countyPlace := c.ShortName
		first := len(g.leaves)
		var raw float64
		addLeaf := func(u schemas.Region, town int32, townName, townShort string, village bool) {
			lf := leaf{code: u.Code, county: ci, town: town, isVillage: village,
				kind: uint8(placeKind(u.Name, townName))}
			lf.weight = float64(u.Population) * math.Exp(0.3*r.NormFloat64()-0.045)
			raw += float64(u.Population)
			short := shortVillage(u.Name)
			switch {
			case village && safe(townShort+short):
				lf.place = townShort + short
			case safe(short):
				lf.place = short
			case safe(townShort):
				lf.place = townShort
			default:
				lf.place = countyPlace
			}
			lf.intake = short + "综治中心"
			if !village {
				lf.intake = u.ShortName + "综治中心"
			}
			g.leaves = append(g.leaves, lf)
		}
		var walk func(u schemas.Region, town int32, townName, townShort string)
		walk = func(u schemas.Region, town int32, townName, townShort string) {
			kids := g.reg.Children(u.Code)
			if len(kids) == 0 {
				addLeaf(u, town, townName, townShort, town >= 0 && u.Code != g.towns[town].code)
				return
			}
			for _, k := range kids {
				if k.Level == schemas.LevelTown && town < 0 {
					ti := int32(len(g.towns))
					t := townInfo{code: k.Code, short: k.ShortName, county: ci, center: k.ShortName + "综治中心"}
					t.place = k.ShortName
					if !safe(t.place) {
						t.place = countyPlace
					}
					for j := 0; j < numCats; j++ {
						if handlers[j].town {
							t.units[j] = k.ShortName + handlers[j].name
						} else {
							t.units[j] = ct.units[j]
						}
					}
					g.towns = append(g.towns, t)
					walk(k, ti, k.Name, k.ShortName)
					continue
				}
				walk(k, town, townName, townShort)
			}
		}
		walk(c, -1, "", "")
		if len(g.leaves) == first {
			continue
		}
		// Give the banner's residents to its leaves: registry estimates
		// split the banner equally, the propensity moves a little.
		var w float64
		for i := first; i < len(g.leaves); i++ {
			w += g.leaves[i].weight
		}
		if w <= 0 || raw <= 0 {
			// No population below the banner: split it equally.
			for i := first; i < len(g.leaves); i++ {
				g.leaves[i].weight = float64(c.Population) / float64(len(g.leaves)-first)
			}
		} else {
			for i := first; i < len(g.leaves); i++ {
				g.leaves[i].weight *= float64(c.Population) / w
			}
		}
		for i := first; i < len(g.leaves); i++ {
			lf := &g.leaves[i]
			st := &ct.strata[lf.kind]
			st.add(int32(i), lf.weight)
			st.weight += lf.weight
		}
	}
	if len(g.leaves) == 0 {
		return fmt.Errorf("registry %s: no banner (level 3) with a population", g.reg.Root().Code)
	}
	return nil
}

// regionPath names a region the way the ground truth shows it: the short
// names below the root joined by "/", e.g. 奈曼旗/八仙筒镇.
func regionPath(reg *schemas.Registry, code string) string {
	var parts []string
	for _, r := range reg.Ancestors(code) {
		if r.Parent == "" {
			continue
		}
		parts = append(parts, r.ShortName)
	}
	if len(parts) == 0 {
		r, _ := reg.Lookup(code)
		return r.ShortName
	}
	return strings.Join(parts, "/")
}

// within reports whether leaf li lies in region code at level lv.
func (g *Generator) within(li int, code string, lv schemas.Level) bool {
	a, ok := g.reg.AncestorAt(g.leaves[li].code, lv)
	return ok && a.Code == code
}
