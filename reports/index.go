package reports

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// IndexEntry is one report in the reports directory's index.
type IndexEntry struct {
	Title string
	// Kind is "" for the regular report of its window, "bulletin" for the
	// monthly ranking bulletin.
	Kind       string
	Window     string
	Level      int
	RegionCode string
	RegionName string
	Start, End time.Time
	// Files maps a format (html, png, pdf) to the path relative to the
	// index page.
	Files map[string]string
}

type indexFile struct{ Format, Href string }

type indexRow struct {
	Title, WindowText, LevelText, RegionName, Period, HTML string
	Files                                                  []indexFile
}

type indexDay struct {
	Date    string
	Entries []indexRow
}

// RenderIndex writes the index page of a reports directory: reports
// grouped by the date their period ends (newest first), then by window,
// level and region code.
func RenderIndex(w io.Writer, title string, entries []IndexEntry) error {
	es := slices.Clone(entries)
	order := map[string]int{Month: 1, Week: 2, Day: 3}
	rank := func(e IndexEntry) int {
		if e.Kind == "bulletin" {
			return 0
		}
		return order[e.Window]
	}
	slices.SortStableFunc(es, func(a, b IndexEntry) int {
		if c := b.End.Compare(a.End); c != 0 {
			return c
		}
		if c := cmp.Compare(rank(a), rank(b)); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Level, b.Level); c != 0 {
			return c
		}
		return strings.Compare(a.RegionCode, b.RegionCode)
	})
	var days []indexDay
	for _, e := range es {
		date := dateZH(e.End.AddDate(0, 0, -1))
		if len(days) == 0 || days[len(days)-1].Date != date {
			days = append(days, indexDay{Date: date})
		}
		row := indexRow{Title: e.Title, WindowText: words[e.Window].kind, LevelText: levelZH(e.Level), RegionName: e.RegionName,
			Period: periodZH(e.Window, e.Start, e.End), HTML: e.Files["html"]}
		if e.Kind == "bulletin" {
			row.WindowText = "月度通报"
		}
		for _, f := range []string{"html", "pdf", "png"} {
			if h, ok := e.Files[f]; ok {
				row.Files = append(row.Files, indexFile{Format: strings.ToUpper(f), Href: h})
			}
		}
		days[len(days)-1].Entries = append(days[len(days)-1].Entries, row)
	}
	if err := indexTmpl.Execute(w, struct {
		Title string
		Days  []indexDay
	}{title, days}); err != nil {
		return fmt.Errorf("cannot render the index: %w", err)
	}
	return nil
}

func levelZH(l int) string {
	switch l {
	case 2:
		return "市级"
	case 3:
		return "旗县市区"
	case 4:
		return "苏木乡镇街道"
	}
	return fmt.Sprintf("L%d", l)
}
