package browser

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/riskwatch/riskwatch/schemas"
)

// EnvChromium names the environment variable that overrides the browser
// executable.
const EnvChromium = "RISKWATCH_CHROMIUM"

// DefaultPath is where Debian's chromium package (make deps) installs the
// browser.
const DefaultPath = "/usr/bin/chromium"

// Path returns the browser executable: $RISKWATCH_CHROMIUM when set, else
// /usr/bin/chromium. The error says how to get one when it is missing.
func Path() (string, error) {
	if p := os.Getenv(EnvChromium); p != "" {
		if err := executable(p); err != nil {
			return "", fmt.Errorf("cannot use %s=%q: %w", EnvChromium, p, err)
		}
		return p, nil
	}
	if err := executable(DefaultPath); err != nil {
		return "", fmt.Errorf("no Chromium at %s (%v); install it with `make deps` (Debian package chromium) or set %s", DefaultPath, err, EnvChromium)
	}
	return DefaultPath, nil
}

func executable(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if fi.IsDir() || fi.Mode()&0o111 == 0 {
		return errors.New("not an executable file")
	}
	return nil
}

// Options configure Start.
type Options struct {
	// ExecPath is the browser executable; "" means Path().
	ExecPath string
	// AllowHosts are host names or IP addresses (no port) that pages may
	// reach besides loopback (localhost, 127.0.0.0/8, ::1). Requests to
	// any other host are blocked.
	AllowHosts []string
	// Logf receives the browser's own log lines; nil discards them.
	Logf func(format string, args ...any)
}

// Request is one URL a page asked for.
type Request struct {
	URL     string
	Method  string
	Type    string // network resource type (Document, Script, Image, XHR, Fetch, …)
	Blocked bool   // true when the browser was told to fail it
}

// Browser is a running headless Chromium.
type Browser struct {
	dir         string
	allocCancel context.CancelFunc
	ctx         context.Context // browser context (the first tab)
	cancel      context.CancelFunc
	allow       map[string]bool
	// stop unregisters the Close scheduled for the end of Start's ctx:
	// without it a long-lived ctx would keep every closed Browser
	// reachable.
	stop func() bool

	mu       sync.Mutex
	requests []Request
	closed   bool
}

// Start launches the browser. It lives until Close or until ctx ends.
func Start(ctx context.Context, opts Options) (*Browser, error) {
	exe := opts.ExecPath
	if exe == "" {
		p, err := Path()
		if err != nil {
			return nil, err
		}
		exe = p
	} else if err := executable(exe); err != nil {
		return nil, fmt.Errorf("cannot use the reports.chromium executable %q: %w (leave it empty to use $%s or %s)", exe, err, EnvChromium, DefaultPath)
	}
	allow := map[string]bool{}
	var exclude []string
	for _, h := range opts.AllowHosts {
		h = strings.ToLower(strings.Trim(strings.TrimSpace(h), "[]"))
		if h == "" || strings.ContainsAny(h, "/:, ") && net.ParseIP(h) == nil {
			return nil, fmt.Errorf("AllowHosts entry %q is not a host name or IP address", h)
		}
		allow[h] = true
		exclude = append(exclude, "EXCLUDE "+h)
	}
	dir, err := os.MkdirTemp("", "riskwatch-chromium-")
	if err != nil {
		return nil, fmt.Errorf("cannot create the profile directory: %w", err)
	}
	rules := strings.Join(append([]string{"MAP * ~NOTFOUND", "EXCLUDE localhost", "EXCLUDE *.localhost", "EXCLUDE 127.0.0.1", "EXCLUDE [::1]"}, exclude...), ", ")
	aopts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.UserDataDir(dir),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-breakpad", true),
		chromedp.Flag("disable-client-side-phishing-detection", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-features", "Translate,MediaRouter,OptimizationHints"),
		chromedp.Flag("safebrowsing-disable-auto-update", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("use-mock-keychain", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.Flag("host-resolver-rules", rules),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.WindowSize(1280, 1024),
		chromedp.Env("TZ="+schemas.Zone().String(), "LANG=zh_CN.UTF-8"),
	}
	actx, acancel := chromedp.NewExecAllocator(context.WithoutCancel(ctx), aopts...)
	logf := opts.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	bctx, bcancel := chromedp.NewContext(actx, chromedp.WithLogf(logf), chromedp.WithErrorf(logf))
	b := &Browser{dir: dir, allocCancel: acancel, ctx: bctx, cancel: bcancel, allow: allow}
	if err := chromedp.Do(bctx); err != nil {
		b.Close()
		return nil, fmt.Errorf("cannot start %s: %w", exe, err)
	}
	if ctx.Done() != nil {
		stop := context.AfterFunc(ctx, func() { b.Close() })
		b.mu.Lock()
		b.stop = stop
		b.mu.Unlock()
	}
	return b, nil
}

// Close stops the browser process and removes its profile directory.
func (b *Browser) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	stop := b.stop
	b.stop = nil
	b.mu.Unlock()
	if stop != nil {
		stop()
	}
	// Close the browser and wait for its process to exit (bounded: a
	// hung browser is killed by allocCancel below), so nothing writes
	// into the profile any more when it is removed.
	cctx, ccancel := context.WithTimeout(b.ctx, 10*time.Second)
	_ = chromedp.Cancel(cctx) // fails when the browser is already gone; allocCancel cleans up
	ccancel()
	b.cancel()
	b.allocCancel()
	if err := os.RemoveAll(b.dir); err != nil {
		return fmt.Errorf("cannot remove the profile %s: %w", b.dir, err)
	}
	return nil
}

// Dir returns the temporary profile directory (gone after Close).
func (b *Browser) Dir() string { return b.dir }

// NewTab opens a tab and returns its chromedp context; cancel closes the
// tab. The tab also closes when ctx ends. Request interception is on before
// the tab loads anything. When the tab cannot be opened, the returned
// context is already cancelled and context.Cause(tab) is the error; use
// OpenTab to get the error directly.
func (b *Browser) NewTab(ctx context.Context) (context.Context, context.CancelFunc) {
	tab, cancel, err := b.OpenTab(ctx)
	if err != nil {
		c, ccancel := context.WithCancelCause(ctx)
		ccancel(err)
		return c, func() {}
	}
	return tab, cancel
}

// OpenTab is NewTab returning the error.
func (b *Browser) OpenTab(ctx context.Context) (context.Context, context.CancelFunc, error) {
	tctx, tcancel := chromedp.NewContext(b.ctx)
	stop := context.AfterFunc(ctx, tcancel)
	cancel := func() { stop(); tcancel() }
	err := chromedp.Do(tctx, func(_ context.Context, t *chromedp.Target) (chromedp.Void, error) {
		evs := cdp.Events(tctx, t, fetch.RequestPaused)
		go func() {
			for ev, err := range evs {
				if err != nil {
					return
				}
				go b.decide(tctx, t, ev)
			}
		}()
		_, err := cdp.Call(ctx, t, fetch.Enable, fetch.EnableParams{})
		return chromedp.Void{}, err
	})
	if err != nil {
		cancel()
		return nil, nil, fmt.Errorf("cannot open a tab: %w", err)
	}
	return tctx, cancel, nil
}

func (b *Browser) decide(ctx context.Context, t *chromedp.Target, ev fetch.EventRequestPaused) {
	r := Request{Type: string(ev.ResourceType)}
	if ev.Request != nil {
		r.URL, r.Method = ev.Request.URL, ev.Request.Method
	}
	r.Blocked = !b.allowed(r.URL)
	b.mu.Lock()
	b.requests = append(b.requests, r)
	b.mu.Unlock()
	if r.Blocked {
		cdp.Call(ctx, t, fetch.FailRequest, fetch.FailRequestParams{RequestID: ev.RequestID, ErrorReason: network.ErrorReasonBlockedByClient})
		return
	}
	cdp.Call(ctx, t, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID})
}

// allowed reports whether a page may load u: non-network schemes (data,
// blob, about, file) and http(s)/ws(s) to loopback or an allowed host.
func (b *Browser) allowed(u string) bool {
	p, err := url.Parse(u)
	if err != nil {
		return false
	}
	switch p.Scheme {
	case "http", "https", "ws", "wss":
	case "data", "blob", "about", "file":
		return true
	default:
		return false
	}
	return IsLoopback(p.Hostname()) || b.allow[strings.ToLower(p.Hostname())]
}

// IsLoopback reports whether host (no port) is localhost or a loopback IP.
func IsLoopback(host string) bool {
	host = strings.ToLower(strings.Trim(host, "[]"))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Requests returns every request the pages of this browser made so far, in
// order of interception.
func (b *Browser) Requests() []Request {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.requests)
}

// External returns the requests to hosts other than loopback (blocked or
// allowed by AllowHosts); an offline page has none.
func (b *Browser) External() []Request {
	var out []Request
	for _, r := range b.Requests() {
		p, err := url.Parse(r.URL)
		if err != nil || (p.Scheme != "data" && p.Scheme != "blob" && p.Scheme != "about" && p.Scheme != "file" && !IsLoopback(p.Hostname())) {
			out = append(out, r)
		}
	}
	return out
}

// Page says how to load a page before a capture.
type Page struct {
	URL string
	// Ready is a JavaScript expression that must become truthy before the
	// capture (for example "window.__reportReady === true"); "" waits for
	// the load event only.
	Ready string
	// Timeout bounds load + wait + capture; 0 means 30 s.
	Timeout time.Duration
	// Width and Height set the viewport in CSS pixels; 0 keeps 1280×1024.
	Width, Height int64
}

// Open navigates a tab to p.URL and waits until p.Ready holds.
func Open(tab context.Context, p Page) error {
	steps := []chromedp.Action[chromedp.Void]{}
	if p.Width > 0 && p.Height > 0 {
		steps = append(steps, chromedp.EmulateViewport(p.Width, p.Height))
	}
	steps = append(steps, chromedp.Navigate(p.URL))
	if p.Ready != "" {
		to := p.Timeout
		if to <= 0 {
			to = 30 * time.Second
		}
		steps = append(steps, chromedp.Poll[chromedp.Void](p.Ready, chromedp.WithPollingTimeout(to)))
	}
	if err := chromedp.Do(tab, steps...); err != nil {
		return fmt.Errorf("cannot load %s: %w", p.URL, err)
	}
	return nil
}

// Screenshot returns a PNG of the whole page of the tab.
func Screenshot(tab context.Context) ([]byte, error) {
	b, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
	if err != nil {
		return nil, fmt.Errorf("cannot take a screenshot: %w", err)
	}
	return b, nil
}

// PrintPDF prints the tab to PDF on A4 (or the CSS @page size when the
// page sets one), with backgrounds.
func PrintPDF(tab context.Context) ([]byte, error) {
	b, err := chromedp.Run(tab, chromedp.PrintToPDF(
		chromedp.PDFPaper(chromedp.PaperA4),
		chromedp.PDFPreferCSSPageSize(),
		chromedp.PDFPrintBackground(),
		chromedp.PDFMargin(0),
	))
	if err != nil {
		return nil, fmt.Errorf("cannot print to PDF: %w", err)
	}
	return b, nil
}

// capture opens p in a fresh tab and runs f on it.
func (b *Browser) capture(ctx context.Context, p Page, f func(context.Context) ([]byte, error)) ([]byte, error) {
	to := p.Timeout
	if to <= 0 {
		to = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, to)
	defer cancel()
	tab, closeTab, err := b.OpenTab(ctx)
	if err != nil {
		return nil, err
	}
	defer closeTab()
	if err := Open(tab, p); err != nil {
		return nil, err
	}
	return f(tab)
}

// ScreenshotPage opens p in a new tab and returns a full-page PNG.
func (b *Browser) ScreenshotPage(ctx context.Context, p Page) ([]byte, error) {
	return b.capture(ctx, p, Screenshot)
}

// PrintPDFPage opens p in a new tab and returns it printed to PDF.
func (b *Browser) PrintPDFPage(ctx context.Context, p Page) ([]byte, error) {
	return b.capture(ctx, p, PrintPDF)
}

// Version returns the browser's version line (e.g. "Chromium 156.0…"), for
// logs; it runs the executable with --version.
func Version(exe string) (string, error) {
	out, err := exec.Command(exe, "--version").Output()
	if err != nil {
		return "", fmt.Errorf("cannot run %s --version: %w", exe, err)
	}
	return strings.TrimSpace(string(out)), nil
}
