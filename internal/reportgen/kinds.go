package reportgen

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/riskwatch/riskwatch/reports"
	"github.com/riskwatch/riskwatch/schemas"
)

// Kind is a kind of report that can be scheduled and subscribed to: its
// name (what a subscription's `kind` names), its Chinese name, the window
// it reports on, the region levels it exists for and the report it renders
// (Spec.Kind: "" for the regular report, KindBulletin).
type Kind struct {
	Name   string
	NameZH string
	Window schemas.Window
	Levels []schemas.Level
	Report string
}

var (
	kindsMu sync.RWMutex
	kinds   = []Kind{
		{Name: "day", NameZH: "日报", Window: schemas.Day, Levels: []schemas.Level{schemas.LevelCity, schemas.LevelCounty, schemas.LevelTown}},
		{Name: "week", NameZH: "周报", Window: schemas.Week, Levels: []schemas.Level{schemas.LevelCity, schemas.LevelCounty, schemas.LevelTown}},
		{Name: "month", NameZH: "月报", Window: schemas.Month, Levels: []schemas.Level{schemas.LevelCity, schemas.LevelCounty, schemas.LevelTown}},
		{Name: KindBulletin, NameZH: "月度通报", Window: schemas.Month, Levels: []schemas.Level{schemas.LevelCity, schemas.LevelCounty}, Report: KindBulletin},
	}
)

// RegisterKind adds a report kind (a package defining one calls it from
// init); subscriptions, their configuration and their CLI accept every
// registered kind.
func RegisterKind(k Kind) {
	kindsMu.Lock()
	defer kindsMu.Unlock()
	kinds = slices.DeleteFunc(kinds, func(o Kind) bool { return o.Name == k.Name })
	kinds = append(kinds, k)
}

// Spec is the report of this kind for a region and a window end.
func (k Kind) Spec(region string, end time.Time) Spec {
	return Spec{Region: region, Window: k.Window, End: k.Window.Align(end), Kind: k.Report}
}

// Kinds returns the report kinds.
func Kinds() []Kind {
	kindsMu.RLock()
	defer kindsMu.RUnlock()
	return slices.Clone(kinds)
}

// LookupKind returns the kind of a name.
func LookupKind(name string) (Kind, bool) {
	for _, k := range Kinds() {
		if k.Name == name {
			return k, true
		}
	}
	return Kind{}, false
}

// KindNames lists the kinds' names, for messages.
func KindNames() string {
	var ns []string
	for _, k := range Kinds() {
		ns = append(ns, k.Name)
	}
	return strings.Join(ns, ", ")
}

// Summary is what a message about a rendered report shows: read from the
// report's metadata, written with the report, so it matches the report.
type Summary struct {
	Title       string   `json:"title"`
	Period      string   `json:"period"`
	Accepted    string   `json:"accepted"`
	ResolveRate string   `json:"resolve_rate"`
	Overdue     string   `json:"overdue"`
	Judgement   string   `json:"judgement"`
	Red         []string `json:"red,omitempty"`
	Orange      []string `json:"orange,omitempty"`
}

// summaryOf takes the summary from a built report: the headline figures
// as the overview cards print them, the judgement and the sub-units in
// the red and orange bands.
func summaryOf(m *reports.Model) Summary {
	s := Summary{Title: m.Title, Period: m.Period, Judgement: m.Judgement, Accepted: "—", ResolveRate: "—", Overdue: "—"}
	for _, c := range m.Overview.Cards {
		switch c.Label {
		case "受理（件）":
			s.Accepted = c.Value
		case "化解（件）":
			s.ResolveRate = strings.TrimPrefix(c.Note, "化解率")
		case "超期（件）":
			s.Overdue = c.Value
		}
	}
	for _, r := range m.Risk.Rows {
		switch r.Band {
		case "red":
			s.Red = append(s.Red, r.Name)
		case "orange":
			s.Orange = append(s.Orange, r.Name)
		}
	}
	return s
}

// Rendered returns the summary and files (format → path) of a rendered
// report; ok is false when the report was not rendered.
func (g *Generator) Rendered(s Spec) (Summary, map[string]string, bool, error) {
	raw, err := os.ReadFile(filepath.Join(g.opts.Dir, relBase(s)+".json"))
	if os.IsNotExist(err) {
		return Summary{}, nil, false, nil
	}
	if err != nil {
		return Summary{}, nil, false, fmt.Errorf("cannot read the report's metadata: %w", err)
	}
	var m meta
	if err := json.Unmarshal(raw, &m); err != nil {
		return Summary{}, nil, false, fmt.Errorf("cannot read the report's metadata: %w", err)
	}
	files := map[string]string{}
	for f, rel := range m.Files {
		files[f] = filepath.Join(g.opts.Dir, filepath.FromSlash(rel))
	}
	if m.Summary == nil {
		return Summary{Title: m.Title}, files, true, nil
	}
	return *m.Summary, files, true, nil
}

// ReportPath is the name of a report's file below the reports prefix:
// <last day>/<window>/<code>.<format>.
func ReportPath(s Spec, format string) string { return filepath.ToSlash(relBase(s)) + "." + format }
