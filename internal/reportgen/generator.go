package reportgen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/riskwatch/riskwatch/internal/browser"
	"github.com/riskwatch/riskwatch/reports"
	"github.com/riskwatch/riskwatch/schemas"
)

// Formats a report can be written in.
const (
	HTML = "html"
	PNG  = "png"
	PDF  = "pdf"
)

// Options configure a Generator.
type Options struct {
	// Dir is the reports directory; it is created when missing.
	Dir string
	// Issuer is printed under the title; "" derives it from the region
	// (通辽市委政法委　综治中心).
	Issuer string
	// Chromium is the browser executable for PNG and PDF; "" means
	// browser.Path().
	Chromium string
	// Now is the clock for the generation date printed on reports; nil
	// means time.Now.
	Now func() time.Time
	Log *slog.Logger
	// WaitForJobs makes EnsureLatest wait until every job the report
	// reads has computed the window: set when the scheduler runs the
	// index jobs.
	WaitForJobs bool
}

// Generator builds, renders and files reports.
type Generator struct {
	st         Store
	reg        *schemas.Registry
	opts       Options
	regions    map[string]reports.Region
	categories map[string]reports.Category
	geo        []byte
	log        *slog.Logger

	mu sync.Mutex // one render batch at a time: the index and the browser
}

// New returns a generator over the store and registry.
func New(st Store, reg *schemas.Registry, opts Options) (*Generator, error) {
	if opts.Dir == "" {
		return nil, errors.New("no reports directory")
	}
	// The directory is made at the first write: a service with no data
	// leaves no empty directory behind.
	g := &Generator{st: st, reg: reg, opts: opts, regions: reports.RegionsOf(reg, schemas.LevelVillage),
		categories: reports.CategoriesOf(schemas.Taxonomy), log: opts.Log}
	if g.log == nil {
		g.log = slog.New(slog.DiscardHandler)
	}
	if reg.Root().Code == schemas.TongliaoCityCode {
		g.geo = schemas.TongliaoCountyGeoJSON()
	}
	return g, nil
}

// Dir returns the reports directory.
func (g *Generator) Dir() string { return g.opts.Dir }

func (g *Generator) now() time.Time {
	if g.opts.Now != nil {
		return g.opts.Now()
	}
	return time.Now()
}

func (g *Generator) issuer(r schemas.Region) string {
	if g.opts.Issuer != "" {
		return g.opts.Issuer
	}
	name := r.Name
	if r.Level > schemas.LevelCounty {
		if c, ok := g.reg.AncestorAt(r.Code, schemas.LevelCounty); ok {
			name = c.Name
		}
	}
	return name + "委政法委　" + name + "综治中心"
}

// Result says where one report was written.
type Result struct {
	Spec  Spec
	Title string
	// Files maps each format written to its path.
	Files map[string]string
	// Build and HTML are the times taken to read and build the model and
	// to render the HTML; Size is the HTML's size in bytes.
	Build, HTML time.Duration
	Size        int
}

// relBase is the path of a report's files relative to the directory,
// without extension: <last day of period>/<window>/<region code>, a
// bulletin's <last day of the month>/bulletin/<region code>.
func relBase(s Spec) string {
	dir := s.Window.String()
	if s.Kind == KindBulletin {
		dir = KindBulletin
	}
	return filepath.Join(s.End.In(schemas.Zone()).AddDate(0, 0, -1).Format(time.DateOnly), dir, s.Region)
}

// Exists reports whether the HTML of the report is in the directory.
func (g *Generator) Exists(s Spec) bool {
	_, err := os.Stat(filepath.Join(g.opts.Dir, relBase(s)+".html"))
	return err == nil
}

// meta is what the index needs of a report, kept next to it.
type meta struct {
	Title      string            `json:"title"`
	Kind       string            `json:"kind,omitempty"`
	Window     string            `json:"window"`
	Level      int               `json:"level"`
	RegionCode string            `json:"region_code"`
	RegionName string            `json:"region_name"`
	Start      time.Time         `json:"start"`
	End        time.Time         `json:"end"`
	Files      map[string]string `json:"files"`
	Summary    *Summary          `json:"summary,omitempty"`
}

// Render writes the reports of the specs in the formats (html is always
// written: PNG and PDF are taken from it) and rewrites the index. One
// browser serves the whole batch. A report that fails does not stop the
// others; the errors are joined.
func (g *Generator) Render(ctx context.Context, specs []Spec, formats []string) ([]Result, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, f := range formats {
		if f != HTML && f != PNG && f != PDF {
			return nil, fmt.Errorf("unknown format %q (want html, png or pdf)", f)
		}
	}
	var b *browser.Browser
	var errs []error
	if slices.Contains(formats, PNG) || slices.Contains(formats, PDF) {
		var err error
		b, err = browser.Start(ctx, browser.Options{ExecPath: g.opts.Chromium})
		if err != nil {
			// The HTML is still written; PNG and PDF are missing.
			errs = append(errs, fmt.Errorf("PNG and PDF need Chromium: %w", err))
			b = nil
		} else {
			defer b.Close()
		}
	}
	var out []Result
	for _, s := range specs {
		render := g.renderOne
		if s.Kind == KindBulletin {
			render = g.renderBulletin
		}
		r, err := render(ctx, s, formats, b)
		if err != nil {
			errs = append(errs, fmt.Errorf("report %s %s %s: %w", s.Region, s.Window, s.End.Format(time.DateOnly), err))
			g.log.Error("report failed", "region", s.Region, "window", s.Window.String(), "end", s.End, "err", err)
			continue
		}
		out = append(out, r)
		g.log.Info("report written", "region", s.Region, "window", s.Window.String(), "end", s.End, "files", r.Files,
			"build", r.Build, "html", r.HTML, "bytes", r.Size)
	}
	if err := g.writeIndex(); err != nil {
		errs = append(errs, err)
	}
	return out, errors.Join(errs...)
}

func (g *Generator) renderOne(ctx context.Context, s Spec, formats []string, b *browser.Browser) (Result, error) {
	t0 := time.Now()
	in, err := g.Input(ctx, s)
	if err != nil {
		return Result{}, err
	}
	m, err := reports.Build(in)
	if err != nil {
		return Result{}, err
	}
	t1 := time.Now()
	html, err := reports.RenderHTML(m)
	if err != nil {
		return Result{}, err
	}
	t2 := time.Now()
	res := Result{Spec: s, Title: m.Title, Files: map[string]string{}, Build: t1.Sub(t0), HTML: t2.Sub(t1), Size: len(html)}
	md := meta{Title: m.Title, Window: in.Window, Level: in.Region.Level, RegionCode: in.Region.Code, RegionName: in.Region.Name,
		Start: in.Start, End: in.End, Files: map[string]string{}}
	sum := summaryOf(m)
	md.Summary = &sum
	return res, g.file(ctx, s, html, formats, b, &res, md)
}

// file writes a rendered report's HTML, takes its PNG and PDF with the
// browser b (nil: none) and writes its metadata for the index.
func (g *Generator) file(ctx context.Context, s Spec, html []byte, formats []string, b *browser.Browser, res *Result, md meta) error {
	base := filepath.Join(g.opts.Dir, relBase(s))
	if err := os.MkdirAll(filepath.Dir(base), 0o755); err != nil {
		return err
	}
	if err := writeFile(base+".html", html); err != nil {
		return err
	}
	res.Files[HTML] = base + ".html"
	if b != nil {
		abs, err := filepath.Abs(base + ".html")
		if err != nil {
			return err
		}
		page := browser.Page{URL: (&url.URL{Scheme: "file", Path: abs}).String(), Ready: "window.__reportReady === true",
			Timeout: 60 * time.Second, Width: 1000, Height: 1400}
		// One tab for both: the page loads and draws once.
		if err := g.capture(ctx, b, page, base, formats, res.Files); err != nil {
			return err
		}
	}
	md.Kind = s.Kind
	for f, p := range res.Files {
		rel, err := filepath.Rel(g.opts.Dir, p)
		if err != nil {
			return err
		}
		md.Files[f] = filepath.ToSlash(rel)
	}
	// Formats rendered earlier and not now stay linked.
	for _, f := range []string{PNG, PDF} {
		if _, ok := md.Files[f]; !ok {
			if _, err := os.Stat(base + "." + f); err == nil {
				md.Files[f] = filepath.ToSlash(relBase(s)) + "." + f
			}
		}
	}
	j, err := json.MarshalIndent(md, "", "  ")
	if err != nil {
		return err
	}
	return writeFile(base+".json", j)
}

// writeFile writes atomically: a reader of the directory never sees half a
// report.
func writeFile(path string, b []byte) error {
	tmp := path + ".tmp" + strconv.Itoa(os.Getpid())
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// maxIndexEntries bounds the index page; older reports stay in the
// directory.
const maxIndexEntries = 2000

// writeIndex rewrites index.html from the reports' metadata files.
func (g *Generator) writeIndex() error {
	entries, err := g.indexEntries("")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(g.opts.Dir, 0o755); err != nil {
		return fmt.Errorf("cannot create the reports directory: %w", err)
	}
	var buf bytes.Buffer
	if err := reports.RenderIndex(&buf, g.reg.Root().Name+"矛盾纠纷风险预警报告", entries); err != nil {
		return err
	}
	return writeFile(filepath.Join(g.opts.Dir, "index.html"), buf.Bytes())
}

// indexEntries reads the reports' metadata files, newest first, keeping
// the reports whose region code starts with scope ("" = all) up to
// maxIndexEntries. A missing directory has no reports.
func (g *Generator) indexEntries(scope string) ([]reports.IndexEntry, error) {
	paths, err := filepath.Glob(filepath.Join(g.opts.Dir, "*", "*", "*.json"))
	if err != nil {
		return nil, err
	}
	// Newest dates first: the directory names sort by date.
	slices.SortFunc(paths, func(a, b string) int { return strings.Compare(b, a) })
	var entries []reports.IndexEntry
	for _, p := range paths {
		if len(entries) == maxIndexEntries {
			break
		}
		if !strings.HasPrefix(strings.TrimSuffix(filepath.Base(p), ".json"), scope) {
			continue
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		var m meta
		if err := json.Unmarshal(raw, &m); err != nil {
			g.log.Warn("skipping a bad report metadata file", "path", p, "err", err)
			continue
		}
		if !strings.HasPrefix(m.RegionCode, scope) {
			continue
		}
		entries = append(entries, reports.IndexEntry{Title: m.Title, Kind: m.Kind, Window: m.Window, Level: m.Level, RegionCode: m.RegionCode,
			RegionName: m.RegionName, Start: m.Start, End: m.End, Files: m.Files})
	}
	return entries, nil
}

// decodeDrivers reads the drivers the risk job stores as
// "code|attribution|value|reference"; malformed entries are skipped.
func decodeDrivers(ss []string) []reports.Driver {
	var out []reports.Driver
	for _, s := range ss {
		p := strings.Split(s, "|")
		if len(p) != 4 {
			continue
		}
		var f [3]float64
		ok := true
		for i := range f {
			v, err := strconv.ParseFloat(p[i+1], 64)
			if err != nil {
				ok = false
				break
			}
			f[i] = v
		}
		if ok {
			out = append(out, reports.Driver{Code: p[0], Attribution: f[0], Value: f[1], Ref: f[2]})
		}
	}
	return out
}

// capture opens the report once in a tab and takes the PNG and the PDF.
func (g *Generator) capture(ctx context.Context, b *browser.Browser, page browser.Page, base string, formats []string, files map[string]string) error {
	ctx, cancel := context.WithTimeout(ctx, page.Timeout)
	defer cancel()
	tab, closeTab, err := b.OpenTab(ctx)
	if err != nil {
		return err
	}
	defer closeTab()
	if err := browser.Open(tab, page); err != nil {
		return err
	}
	if slices.Contains(formats, PNG) {
		png, err := browser.Screenshot(tab)
		if err != nil {
			return err
		}
		if err := writeFile(base+".png", png); err != nil {
			return err
		}
		files[PNG] = base + ".png"
	}
	if slices.Contains(formats, PDF) {
		pdf, err := browser.PrintPDF(tab)
		if err != nil {
			return err
		}
		if err := writeFile(base+".pdf", pdf); err != nil {
			return err
		}
		files[PDF] = base + ".pdf"
	}
	return nil
}
