package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/riskwatch/riskwatch/jobs/scheduler"
)

// Reports configures the warning reports (section `reports`).
type Reports struct {
	// Enabled runs the schedules and serves /reports/ in `riskwatch run`.
	Enabled bool `yaml:"enabled"`
	// Dir is the reports directory (HTML, PNG, PDF and index.html).
	Dir string `yaml:"dir"`
	// Issuer is printed under each title; empty derives it from the
	// region (通辽市委政法委　通辽市综治中心).
	Issuer string `yaml:"issuer"`
	// Chromium is the browser for PNG and PDF; empty means
	// $RISKWATCH_CHROMIUM or /usr/bin/chromium.
	Chromium string `yaml:"chromium"`
	// Formats are written for every scheduled report: html, png, pdf
	// (html is always written; PNG and PDF need Chromium).
	Formats []string `yaml:"formats"`
	// Levels get reports: 2 the city, 3 each banner/county, 4 each town.
	Levels []int `yaml:"levels"`
	// Schedules are 5-field cron specs in Asia/Shanghai; empty turns one
	// off.
	Schedules ReportSchedules `yaml:"schedules"`
	// Startup makes `riskwatch run` render the latest weekly reports at
	// start when they are missing, from whatever data is stored.
	Startup bool `yaml:"startup"`
	// Refresh re-renders the latest weekly reports this often while the
	// service runs (so a fresh demo shows its data); 0 turns it off.
	Refresh time.Duration `yaml:"refresh"`
}

// ReportSchedules are the cron specs of the daily, weekly and monthly
// reports, and of the monthly ranking bulletin (平安指数月度通报, city and
// county level).
type ReportSchedules struct {
	Daily    string `yaml:"daily"`
	Weekly   string `yaml:"weekly"`
	Monthly  string `yaml:"monthly"`
	Bulletin string `yaml:"bulletin"`
}

func defaultReports() Reports {
	return Reports{
		Enabled: true, Dir: ".run/reports", Formats: []string{"html", "pdf"}, Levels: []int{2, 3},
		Schedules: ReportSchedules{Daily: "0 8 * * *", Weekly: "30 8 * * 1", Monthly: "0 9 1 * *", Bulletin: "30 9 1 * *"},
		Startup:   true, Refresh: 10 * time.Minute,
	}
}

// validate reports each bad value with its dotted key through bad.
func (c Reports) validate(bad func(key, format string, a ...any)) {
	if strings.TrimSpace(c.Dir) == "" {
		bad("reports.dir", "must not be empty")
	}
	if len(c.Formats) == 0 {
		bad("reports.formats", "must list at least one of html, png, pdf")
	}
	seen := map[string]bool{}
	for i, f := range c.Formats {
		switch f {
		case "html", "png", "pdf":
		default:
			bad(fmt.Sprintf("reports.formats[%d]", i), "must be html, png or pdf, not %q", f)
		}
		if seen[f] {
			bad(fmt.Sprintf("reports.formats[%d]", i), "%q is listed twice", f)
		}
		seen[f] = true
	}
	if len(c.Levels) == 0 {
		bad("reports.levels", "must list at least one of 2 (city), 3 (banner/county), 4 (town)")
	}
	for i, l := range c.Levels {
		if l < 2 || l > 4 {
			bad(fmt.Sprintf("reports.levels[%d]", i), "must be 2 (city), 3 (banner/county) or 4 (town), not %d", l)
		}
	}
	for _, s := range []struct{ key, spec string }{
		{"reports.schedules.daily", c.Schedules.Daily}, {"reports.schedules.weekly", c.Schedules.Weekly}, {"reports.schedules.monthly", c.Schedules.Monthly},
		{"reports.schedules.bulletin", c.Schedules.Bulletin},
	} {
		if s.spec == "" {
			continue
		}
		if err := checkCron(s.spec); err != nil {
			bad(s.key, "%v", err)
		}
	}
	if c.Refresh < 0 || (c.Refresh > 0 && c.Refresh < time.Minute) {
		bad("reports.refresh", "must be 0 (off) or at least 1m, got %s", c.Refresh)
	}
}

// checkCron checks a spec the way the scheduler reads it.
func checkCron(spec string) error { return scheduler.ParseSpec(spec) }
