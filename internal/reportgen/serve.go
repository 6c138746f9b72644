package reportgen

import (
	"context"
	"fmt"
	"net/http"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/riskwatch/riskwatch/jobs/scheduler"
	"github.com/riskwatch/riskwatch/schemas"
)

// Specs lists the reports of one window end for the levels: the city
// (2), each county-level unit that has towns (3), each town (4).
func (g *Generator) Specs(w schemas.Window, end time.Time, levels []int) []Spec {
	var out []Spec
	want := map[schemas.Level]bool{}
	for _, l := range levels {
		want[schemas.Level(l)] = true
	}
	var walk func(r schemas.Region)
	walk = func(r schemas.Region) {
		kids := g.reg.Children(r.Code)
		if want[r.Level] && (r.Level >= schemas.LevelTown || len(kids) > 0 || r.Code == g.reg.Root().Code) {
			out = append(out, Spec{Region: r.Code, Window: w, End: end})
		}
		if r.Level >= schemas.LevelTown {
			return
		}
		for _, c := range kids {
			walk(c)
		}
	}
	walk(g.reg.Root())
	return out
}

// Handler serves the reports directory: GET prefix shows the index page,
// the files under it the reports. Pages may load nothing from anywhere
// (Content-Security-Policy): a report is self-contained.
func (g *Generator) Handler(prefix string) http.Handler {
	fs := http.StripPrefix(strings.TrimSuffix(prefix, "/"), http.FileServer(http.Dir(g.opts.Dir)))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := path.Clean("/" + strings.TrimPrefix(r.URL.Path, strings.TrimSuffix(prefix, "/")))
		if strings.HasSuffix(p, ".json") || strings.Contains(p, ".tmp") {
			http.NotFound(w, r)
			return
		}
		if p == "/" {
			if !g.indexExists() {
				if err := g.writeIndexLocked(); err != nil {
					http.Error(w, "报告索引不可用", http.StatusInternalServerError)
					return
				}
			}
		}
		w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data: 'self'; frame-ancestors 'self'")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Cache-Control", "no-cache")
		fs.ServeHTTP(w, r)
	})
}

func (g *Generator) indexExists() bool {
	return fileExists(filepath.Join(g.opts.Dir, "index.html"))
}

func (g *Generator) writeIndexLocked() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.writeIndex()
}

// Schedule is one report schedule: render the reports of a window at the
// levels in the formats, at the ticks of a cron spec.
type Schedule struct {
	Spec    string // 5-field cron in the deployment time zone, e.g. "30 8 * * 1"
	Window  schemas.Window
	Levels  []int
	Formats []string
}

// Next returns the first time after after at which the schedule fires, in
// the deployment time zone.
func (s Schedule) Next(after time.Time) (time.Time, error) {
	return scheduler.NextTick(s.Spec, after)
}

// Jobs returns the schedules as jobs of the one scheduler, named
// reports_day, reports_week and reports_month: each tick renders the
// reports of the window that ended before it, the run is recorded in
// job_runs like the index jobs, and on start only the latest missed window
// is caught up (older reports are rendered on demand with `riskwatch
// report`). A run's row count is the number of files written.
func (g *Generator) Jobs(ss []Schedule) ([]scheduler.Job, error) {
	var out []scheduler.Job
	for _, s := range ss {
		if err := scheduler.ParseSpec(s.Spec); err != nil {
			return nil, fmt.Errorf("cannot schedule the %s reports: %w", s.Window, err)
		}
		s := s
		out = append(out, scheduler.Job{
			Name:    "reports_" + s.Window.String(),
			Window:  s.Window,
			Spec:    s.Spec,
			CatchUp: 1,
			Run: func(ctx context.Context, at time.Time) (uint64, error) {
				res, err := g.Render(ctx, g.Specs(s.Window, at, s.Levels), s.Formats)
				var files uint64
				for _, r := range res {
					files += uint64(len(r.Files))
				}
				return files, err
			},
		})
	}
	return out, nil
}

// Latest returns the end of the newest window ≤ at for which the region
// has accepted cases (region_kpis), and false when no window has any: what
// `riskwatch run` shows, from whatever data is stored.
func (g *Generator) Latest(ctx context.Context, w schemas.Window, region string, at time.Time) (time.Time, bool, error) {
	end, found, err := g.st.ReportLatestActiveWindowEnd(ctx, w.String(), region, at)
	if err != nil || !found {
		return time.Time{}, false, err
	}
	return end.In(schemas.Shanghai), true, nil
}

// EnsureLatest renders the reports of the latest weekly window with data
// (Latest of the root region) at the levels, those that are missing or
// all of them when force is set, and returns the window end; the zero time
// when no window has data yet.
func (g *Generator) EnsureLatest(ctx context.Context, at time.Time, levels []int, formats []string, force bool) (time.Time, []Result, error) {
	end, found, err := g.Latest(ctx, schemas.Week, g.reg.Root().Code, at)
	if err != nil || !found {
		return time.Time{}, nil, err
	}
	var todo []Spec
	for _, s := range g.Specs(schemas.Week, end, levels) {
		if force || !g.Exists(s) {
			todo = append(todo, s)
		}
	}
	if len(todo) == 0 {
		return end, nil, nil
	}
	res, err := g.Render(ctx, todo, formats)
	return end, res, err
}
