package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/riskwatch/riskwatch/api"
	"github.com/riskwatch/riskwatch/internal/config"
	"github.com/riskwatch/riskwatch/internal/reportgen"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

// newReportGen builds the report generator of the configuration.
func newReportGen(cfg config.Config, st *store.Store, reg *schemas.Registry, log *slog.Logger) (*reportgen.Generator, error) {
	o := reportgen.Options{Dir: cfg.Reports.Dir, Issuer: cfg.Reports.Issuer, Chromium: cfg.Reports.Chromium, WaitForJobs: cfg.Jobs.Enabled}
	if log != nil {
		o.Log = log.With("component", "reports")
	}
	return reportgen.New(st, reg, o)
}

// reportSchedules turns the configured cron specs into schedules.
func reportSchedules(c config.Reports) []reportgen.Schedule {
	var out []reportgen.Schedule
	for _, s := range []struct {
		spec string
		w    schemas.Window
	}{{c.Schedules.Daily, schemas.Day}, {c.Schedules.Weekly, schemas.Week}, {c.Schedules.Monthly, schemas.Month}} {
		if s.spec != "" {
			out = append(out, reportgen.Schedule{Spec: s.spec, Window: s.w, Levels: c.Levels, Formats: c.Formats})
		}
	}
	if c.Schedules.Bulletin != "" {
		out = append(out, reportgen.Schedule{Spec: c.Schedules.Bulletin, Window: schemas.Month, Levels: c.Levels, Formats: c.Formats,
			Kind: reportgen.KindBulletin})
	}
	return out
}

// mountReports serves the reports directory at /reports/ and makes sure
// the latest weekly city and banner reports exist (rendered at start from
// whatever data is stored, then refreshed every reports.refresh while data
// flows in). The schedules are jobs of the scheduler (see run). stop waits
// for the background work.
func mountReports(env *serveEnv) (stop func(), err error) {
	c := env.cfg.Reports
	g := env.reports
	if !c.Enabled || g == nil {
		return nil, nil
	}
	// Reports hold region data: they need a token of any role, and a
	// region-scoped token reads only the index entries and report files of
	// its scope. Without the API there are no tokens: the files are still
	// written to reports.dir, but not served.
	if env.apiMounted {
		env.mux.Handle("GET /reports/", reportsHandler(g, env.requireRole))
	} else {
		env.log.Warn("the API is disabled (api.enabled: false): /reports/ is not served; the reports are written to reports.dir", "dir", c.Dir)
	}
	fmt.Fprintf(env.out, "  预警报告 reports:  %s/reports/ (directory %s)\n", env.baseURL, c.Dir)

	ctx, cancel := context.WithCancel(env.ctx)
	done := make(chan struct{}, 1)
	go func() {
		defer func() { done <- struct{}{} }()
		if c.Startup {
			g.KeepLatest(ctx, []int{2, 3}, c.Refresh, time.Now)
		}
	}()
	return func() { cancel(); <-done }, nil
}

const reportUsage = `riskwatch report: render one warning report (预警报告) on demand

Usage:
  riskwatch report --level L --region CODE --window day|week|month [--at DATE] [--format html,pdf,png] [--config FILE]
  riskwatch report --kind bulletin --level 2|3 --region CODE [--at DATE] [--format …] [--config FILE]

  --level   2 city (市), 3 banner/county (旗县市区), 4 town (苏木乡镇街道); must be the region's level
  --region  the region's statistical code (150521000000, or the 6-digit county code 150521)
  --window  day, week or month
  --at      YYYY-MM-DD: report the latest complete window before this date (default: today)
  --format  comma-separated formats (default: reports.formats of the configuration)
  --kind    bulletin: the monthly ranking bulletin (平安指数月度通报) of the city or a
            county instead of the report; its window is the month

The files land in the reports directory (reports.dir) under
<last day>/<window>/<code>.html|pdf|png (a bulletin's <last day>/bulletin/<code>.…),
and its index.html is updated.
`

func reportCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("riskwatch report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, reportUsage) }
	cfgPath := fs.String("config", "", "configuration file")
	level := fs.Int("level", 0, "")
	region := fs.String("region", "", "")
	window := fs.String("window", "", "")
	at := fs.String("at", "", "")
	format := fs.String("format", "", "")
	kind := fs.String("kind", "", "")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "riskwatch report: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	bad := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "riskwatch report: "+format+"\n", a...)
		return 2
	}
	switch *kind {
	case "":
	case reportgen.KindBulletin:
		if *window == "" {
			*window = "month"
		}
		if *window != "month" {
			return bad("--window: the bulletin is monthly, not %q", *window)
		}
		if *level != 2 && *level != 3 {
			return bad("--level: %d: the bulletin is issued by the city (2) or a banner/county (3)", *level)
		}
	default:
		return bad("--kind: %q: want bulletin (or none for the report)", *kind)
	}
	w, err := schemas.ParseWindow(*window)
	if err != nil {
		return bad("--window: %q: want day, week or month", *window)
	}
	if *level < 2 || *level > 4 {
		return bad("--level: %d: want 2 (city), 3 (banner/county) or 4 (town)", *level)
	}
	if *region == "" {
		return bad("--region: a region code is required")
	}
	when := time.Now()
	if *at != "" {
		d, err := time.ParseInLocation(time.DateOnly, *at, schemas.Zone())
		if err != nil {
			return bad("--at: %q is not a date YYYY-MM-DD", *at)
		}
		when = d
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return bad("%v", err)
	}
	if *at != "" {
		// --at is a date of the configured zone, known only now.
		when, _ = time.ParseInLocation(time.DateOnly, *at, schemas.Zone())
	}
	formats := cfg.Reports.Formats
	if *format != "" {
		formats = nil
		for _, f := range strings.Split(*format, ",") {
			f = strings.ToLower(strings.TrimSpace(f))
			if f != reportgen.HTML && f != reportgen.PNG && f != reportgen.PDF {
				return bad("--format: %q: want html, png or pdf", f)
			}
			formats = append(formats, f)
		}
	}
	log := NewLogger(cfg.Log, stderr)
	st, _, cleanup, err := openStore(ctx, cfg, log)
	if err != nil {
		fmt.Fprintf(stderr, "riskwatch report: %v\n", err)
		return 1
	}
	defer cleanup()
	reg, err := migrateAndLoad(ctx, cfg, st, log, io.Discard)
	if err != nil {
		fmt.Fprintf(stderr, "riskwatch report: %v\n", err)
		return 1
	}
	code, ok := reg.Normalize(*region)
	if !ok {
		return bad("--region: %q is not a region of the registry", *region)
	}
	r, _ := reg.Lookup(code)
	if int(r.Level) != *level {
		return bad("--region: %s %s is at level %d (%s), not --level %d", r.Code, r.Name, int(r.Level), r.Level, *level)
	}
	g, err := newReportGen(cfg, st, reg, nil)
	if err != nil {
		fmt.Fprintf(stderr, "riskwatch report: %v\n", err)
		return 1
	}
	spec := reportgen.SpecAt(code, w, when)
	spec.Kind = *kind
	res, err := g.Render(ctx, []reportgen.Spec{spec}, formats)
	for _, x := range res {
		fmt.Fprintf(stdout, "%s（%s，%s 至 %s）\n", x.Title, x.Spec.Window, x.Spec.Window.Prev(x.Spec.End).Format(time.DateOnly), x.Spec.End.AddDate(0, 0, -1).Format(time.DateOnly))
		for _, f := range []string{reportgen.HTML, reportgen.PDF, reportgen.PNG} {
			if p, ok := x.Files[f]; ok {
				fmt.Fprintf(stdout, "  %s  %s\n", strings.ToUpper(f), p)
			}
		}
		fmt.Fprintf(stdout, "  built in %s, HTML rendered in %s, %d bytes\n", x.Build.Round(time.Millisecond), x.HTML.Round(time.Millisecond), x.Size)
	}
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return 1
		}
		fmt.Fprintf(stderr, "riskwatch report: %v\n", err)
		return 1
	}
	return 0
}

// reportsHandler is /reports/ behind the token check: the generator's
// handler restricted to the scope of the request's token. Without a token
// in the context (the API is off) the whole directory is served.
func reportsHandler(g *reportgen.Generator, requireRole func(...string) func(http.Handler) http.Handler) http.Handler {
	return requireRole(api.Roles...)(g.ScopedHandler("/reports/", func(r *http.Request) (string, bool) {
		scope, _, ok := api.ScopeFrom(r.Context())
		return scope, ok
	}))
}
