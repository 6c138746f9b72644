package reportgen

import (
	"context"
	"fmt"
	"net/http"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

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

// Schedule is one cron entry: render the reports of a window at the
// levels in the formats.
type Schedule struct {
	Spec    string // 5-field cron in Asia/Shanghai, e.g. "30 8 * * 1"
	Window  schemas.Window
	Levels  []int
	Formats []string
}

// ParseSchedule checks a cron spec the way the scheduler will read it (a
// bad spec panics inside robfig/cron for some inputs, so it is recovered).
func ParseSchedule(spec string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("bad cron spec %q: %v", spec, r)
		}
	}()
	if strings.Contains(spec, "TZ=") {
		return fmt.Errorf("bad cron spec %q: the time zone is always Asia/Shanghai", spec)
	}
	_, err = cron.ParseStandard(spec)
	return err
}

// RunSchedules runs the schedules until ctx ends. Each run renders the
// latest complete window at the time it fires; a run still going when the
// next one is due is skipped.
func (g *Generator) RunSchedules(ctx context.Context, ss []Schedule) error {
	c := cron.New(cron.WithLocation(schemas.Shanghai), cron.WithChain(cron.SkipIfStillRunning(cron.DiscardLogger), cron.Recover(cron.DiscardLogger)))
	for _, s := range ss {
		if err := ParseSchedule(s.Spec); err != nil {
			return err
		}
		s := s
		if _, err := c.AddFunc(s.Spec, func() {
			at := g.now()
			end := s.Window.Align(at)
			if _, err := g.Render(ctx, g.Specs(s.Window, end, s.Levels), s.Formats); err != nil && ctx.Err() == nil {
				g.log.Error("scheduled reports failed", "window", s.Window.String(), "end", end, "err", err)
			}
		}); err != nil {
			return fmt.Errorf("reportgen: schedule %q: %w", s.Spec, err)
		}
	}
	c.Start()
	<-ctx.Done()
	<-c.Stop().Done()
	return nil
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

// Next returns the first time after after at which the schedule fires, in
// Asia/Shanghai (what RunSchedules uses).
func (s Schedule) Next(after time.Time) (time.Time, error) {
	if err := ParseSchedule(s.Spec); err != nil {
		return time.Time{}, err
	}
	sched, err := cron.ParseStandard(s.Spec)
	if err != nil {
		return time.Time{}, err
	}
	return sched.Next(after.In(schemas.Shanghai)), nil
}
