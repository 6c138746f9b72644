package reportgen

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/riskwatch/riskwatch/jobs/scheduler"
	"github.com/riskwatch/riskwatch/reports"
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

// Handler serves the reports directory with no region restriction (a
// deployment without tokens); ScopedHandler is the one a service mounts.
func (g *Generator) Handler(prefix string) http.Handler { return g.ScopedHandler(prefix, nil) }

// reportName is the only shape of a servable report file below the prefix,
// matched against the decoded path: <last day>/<window>/<12-digit region
// code>.<format>. It has no room for dot segments, separators other than
// single slashes, escapes or anything outside the directory tree.
var reportName = regexp.MustCompile(`^([0-9]{4}-[0-9]{2}-[0-9]{2})/(day|week|month|bulletin)/([0-9]{12})\.(html|pdf|png)$`)

// reportTypes are the content types of the served formats.
var reportTypes = map[string]string{HTML: "text/html; charset=utf-8", PDF: "application/pdf", PNG: "image/png"}

// ScopedHandler serves the reports below prefix to the region scope that
// scope returns for a request (a division-code prefix, "" = everything;
// ok false = no restriction, a deployment without tokens). It serves
// exactly two things: the index (prefix or prefix+"index.html"), rendered
// per request from the reports' metadata and listing only the reports in
// the scope, and report files named <day>/<window>/<code>.html|pdf|png
// (a bulletin's <day>/bulletin/<code>.…) whose region code lies in the scope (403 otherwise). Anything else is
// 404: directory listings, metadata, temporary files, dot segments, a
// path spelled with escapes (%2e, %2f, %5c …: a report has one spelling),
// backslashes, doubled slashes, symbolic links. The path is decoded by
// net/http before it is checked, and the file opened is the one named by
// the checked path, so no later cleaning can change what is served.
// Pages may load nothing from anywhere (Content-Security-Policy): a report
// is self-contained.
func (g *Generator) ScopedHandler(prefix string, scope func(*http.Request) (string, bool)) http.Handler {
	prefix = "/" + strings.Trim(prefix, "/") + "/"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest, ok := reportRequest(w, r, prefix)
		if !ok {
			return
		}
		allowed := ""
		if scope != nil {
			if p, ok := scope(r); ok {
				allowed = p
			}
		}
		w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data: 'self'; frame-ancestors 'self'")
		w.Header().Set("Cache-Control", "no-cache")
		if rest == "" || rest == "index.html" {
			g.serveIndex(w, r, allowed)
			return
		}
		m := reportName.FindStringSubmatch(rest)
		if m == nil {
			http.NotFound(w, r)
			return
		}
		if !strings.HasPrefix(m[3], allowed) {
			http.Error(w, "该报告不在令牌的地区范围内 (report outside the token's region scope)", http.StatusForbidden)
			return
		}
		g.serveFile(w, r, filepath.Join(g.opts.Dir, m[1], m[2], m[3]+"."+m[4]), reportTypes[m[4]])
	})
}

// serveFile serves one regular file (never a link or a directory).
func (g *Generator) serveFile(w http.ResponseWriter, r *http.Request, p, contentType string) {
	fi, err := os.Lstat(p)
	if err != nil || !fi.Mode().IsRegular() {
		http.NotFound(w, r)
		return
	}
	f, err := os.Open(p)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", contentType)
	http.ServeContent(w, r, "", fi.ModTime(), f)
}

// serveIndex renders the index page of the reports in scope (every report
// for ""), from the metadata the renders left next to the reports.
func (g *Generator) serveIndex(w http.ResponseWriter, r *http.Request, scope string) {
	entries, err := g.indexEntries(scope)
	if err == nil {
		var buf bytes.Buffer
		if err = reports.RenderIndex(&buf, g.reg.Root().Name+"矛盾纠纷风险预警报告", entries); err == nil {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(buf.Bytes()))
			return
		}
	}
	g.log.Error("cannot render the reports index", "err", err)
	http.Error(w, "报告索引不可用 (the reports index is unavailable)", http.StatusInternalServerError)
}

// Schedule is one report schedule: render the reports of a window (of a
// kind) at the levels in the formats, at the ticks of a cron spec.
type Schedule struct {
	Spec    string // 5-field cron in the deployment time zone, e.g. "30 8 * * 1"
	Window  schemas.Window
	Levels  []int
	Formats []string
	// Kind is "" for the regular reports of the window, KindBulletin for
	// the monthly ranking bulletins (Window must be month; levels 2 and 3).
	Kind string
}

// Next returns the first time after after at which the schedule fires, in
// the deployment time zone.
func (s Schedule) Next(after time.Time) (time.Time, error) {
	return scheduler.NextTick(s.Spec, after)
}

// Jobs returns the schedules as jobs of the one scheduler, named
// reports_day, reports_week, reports_month and reports_bulletin (the name
// is the kind a subscription names): each tick renders the
// reports of the window that ended before it, the run is recorded in
// job_runs like the index jobs, and on start only the latest missed window
// is caught up (older reports are rendered on demand with `riskwatch
// report`). A run waits for the index jobs it reads (Reads) and runs again
// when one of them recomputes its window. A run's row count is the number
// of files written.
func (g *Generator) Jobs(ss []Schedule) ([]scheduler.Job, error) {
	var out []scheduler.Job
	for _, s := range ss {
		if err := scheduler.ParseSpec(s.Spec); err != nil {
			return nil, fmt.Errorf("cannot schedule the %s reports: %w", s.Window, err)
		}
		s := s
		name, specs := "reports_"+s.Window.String(), func(at time.Time) []Spec { return g.Specs(s.Window, at, s.Levels) }
		if s.Kind == KindBulletin {
			if s.Window != schemas.Month {
				return nil, fmt.Errorf("cannot schedule the bulletin on %s windows: it is monthly", s.Window)
			}
			name, specs = "reports_"+KindBulletin, func(at time.Time) []Spec { return g.BulletinSpecs(at, s.Levels) }
		} else if s.Kind != "" {
			return nil, fmt.Errorf("cannot schedule reports of unknown kind %q", s.Kind)
		}
		out = append(out, scheduler.Job{
			Name:    name,
			Window:  s.Window,
			Spec:    s.Spec,
			CatchUp: 1,
			After:   KindReads(s.Window, s.Kind),
			Run: func(ctx context.Context, at time.Time) (uint64, error) {
				res, err := g.Render(ctx, specs(at), s.Formats)
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
	return end.In(schemas.Zone()), true, nil
}

// EnsureLatest renders the reports of the latest weekly window with data
// (Latest of the root region) at the levels, those that are missing or
// all of them when force is set, and returns the window end; the zero time
// when no window has data yet. With Options.WaitForJobs it renders nothing
// and returns the zero time while a job the weekly report reads has no ok
// run for that window (Missing): the scheduler is still computing it.
func (g *Generator) EnsureLatest(ctx context.Context, at time.Time, levels []int, formats []string, force bool) (time.Time, []Result, error) {
	end, found, err := g.Latest(ctx, schemas.Week, g.reg.Root().Code, at)
	if err != nil || !found {
		return time.Time{}, nil, err
	}
	if g.opts.WaitForJobs {
		missing, err := g.Missing(ctx, schemas.Week, end)
		if err != nil {
			return time.Time{}, nil, err
		}
		if len(missing) > 0 {
			g.log.Info("latest weekly reports wait for their jobs", "week_end", end, "missing", missing)
			return time.Time{}, nil, nil
		}
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

// KeepLatest keeps the latest weekly reports of the levels (HTML: cheap,
// what a browser shows; the schedules write every configured format)
// rendered until ctx ends: at once from whatever is stored, then again
// every refresh (0: only once). Until the first week with data exists (a
// fresh demo is still loading) it looks every 30 s. now is the clock.
func (g *Generator) KeepLatest(ctx context.Context, levels []int, refresh time.Duration, now func() time.Time) {
	latest := func(force bool) bool {
		end, res, err := g.EnsureLatest(ctx, now(), levels, []string{HTML}, force)
		if err != nil && ctx.Err() == nil {
			g.log.Warn("latest weekly reports", "week_end", end, "err", err)
		}
		if len(res) > 0 {
			g.log.Info("latest weekly reports rendered", "week_end", end, "reports", len(res))
		}
		return !end.IsZero()
	}
	have := latest(false)
	if have && refresh <= 0 {
		return
	}
	wait := 30 * time.Second
	for {
		if have {
			if refresh <= 0 {
				return
			}
			wait = refresh
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
			have = latest(have) || have
		}
	}
}

// reportRequest answers what every report handler refuses alike: a method
// other than GET and HEAD (405), a path outside prefix, one with escaped
// bytes or with a backslash or NUL (404). Otherwise it returns the path
// below prefix. It sets nosniff on every answer.
func reportRequest(w http.ResponseWriter, r *http.Request, prefix string) (string, bool) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "只支持 GET (method not allowed)", http.StatusMethodNotAllowed)
		return "", false
	}
	rest, ok := strings.CutPrefix(r.URL.Path, prefix)
	if !ok || r.URL.RawPath != "" || strings.ContainsAny(r.URL.Path, "\\\x00") {
		http.NotFound(w, r)
		return "", false
	}
	return rest, true
}
