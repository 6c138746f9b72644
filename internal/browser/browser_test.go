package browser

import (
	"bytes"
	"context"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// startForTest starts the browser or skips (fails under CI=true) when
// Chromium is missing.
func startForTest(t *testing.T, opts Options) *Browser {
	t.Helper()
	if _, err := Path(); err != nil {
		if strings.EqualFold(os.Getenv("CI"), "true") {
			t.Fatalf("%v; CI=true requires Chromium", err)
		}
		t.Skip(err)
	}
	b, err := Start(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Error(err)
		}
		if _, err := os.Stat(b.Dir()); !os.IsNotExist(err) {
			t.Errorf("profile dir %s still there after Close (stat: %v)", b.Dir(), err)
		}
	})
	return b
}

const page = `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<title>t</title><script src="/ok.js"></script></head>
<body style="font-family:'Noto Sans CJK SC',sans-serif">
<h1>离线测试页</h1>
<img src="http://203.0.113.7/x.png" onerror="window.imgFailed=true">
<script>
fetch("http://example.com/track").then(()=>{window.ext="loaded"}, ()=>{window.ext="failed"});
</script></body></html>`

func TestOfflinePageBlocksExternalRequests(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(page))
	})
	mux.HandleFunc("/ok.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		w.Write([]byte("window.okLoaded = 1;"))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	b := startForTest(t, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	tab, closeTab := b.NewTab(ctx)
	defer closeTab()
	if err := context.Cause(tab); err != nil && tab.Err() != nil {
		t.Fatal(err)
	}
	if err := Open(tab, Page{URL: srv.URL + "/", Ready: `window.okLoaded === 1 && window.imgFailed === true && window.ext === "failed"`, Timeout: 20 * time.Second}); err != nil {
		t.Fatal(err)
	}

	var sawLocal, sawIP, sawHost bool
	for _, r := range b.Requests() {
		switch {
		case r.URL == srv.URL+"/ok.js":
			sawLocal = true
			if r.Blocked {
				t.Errorf("loopback request %s was blocked", r.URL)
			}
		case strings.HasPrefix(r.URL, "http://203.0.113.7/"):
			sawIP = true
			if !r.Blocked {
				t.Errorf("external request %s was not blocked", r.URL)
			}
		case strings.HasPrefix(r.URL, "http://example.com/"):
			sawHost = true
			if !r.Blocked {
				t.Errorf("external request %s was not blocked", r.URL)
			}
		}
	}
	if !sawLocal || !sawIP || !sawHost {
		t.Fatalf("requests not all recorded (local %v, ip %v, host %v): %+v", sawLocal, sawIP, sawHost, b.Requests())
	}
	ext := b.External()
	if len(ext) != 2 {
		t.Errorf("External() = %+v, want the 2 blocked requests", ext)
	}

	shot, err := Screenshot(tab)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	if w := img.Bounds().Dx(); w != 1280 {
		t.Errorf("screenshot width %d, want the 1280 px window", w)
	}

	pdf, err := PrintPDF(tab)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("PDF starts with %q", pdf[:min(len(pdf), 8)])
	}
	if _, err := exec.LookPath("pdftotext"); err == nil {
		f := filepath.Join(t.TempDir(), "p.pdf")
		if err := os.WriteFile(f, pdf, 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command("pdftotext", "-enc", "UTF-8", f, "-").Output()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(out), "离线测试页") {
			t.Errorf("pdftotext output %q lacks the Chinese heading", out)
		}
	}
}

func TestPrintPDFPageAndClosedTab(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<!doctype html><meta charset="utf-8"><p id="x">一</p><script>setTimeout(()=>{window.done=true},50)</script>`))
	}))
	t.Cleanup(srv.Close)
	b := startForTest(t, Options{})
	pdf, err := b.PrintPDFPage(context.Background(), Page{URL: srv.URL, Ready: "window.done === true", Timeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatal("not a PDF")
	}
	// A page whose Ready never holds times out with an error naming the URL.
	_, err = b.ScreenshotPage(context.Background(), Page{URL: srv.URL, Ready: "window.never === true", Timeout: 2 * time.Second})
	if err == nil || !strings.Contains(err.Error(), srv.URL) {
		t.Fatalf("err = %v, want a load error naming %s", err, srv.URL)
	}
}

func TestAllowed(t *testing.T) {
	b := &Browser{allow: map[string]bool{"intranet.example": true}}
	for u, want := range map[string]bool{
		"http://127.0.0.1:8080/a":       true,
		"http://localhost/x":            true,
		"http://[::1]:9/":               true,
		"ws://127.0.0.1/ws":             true,
		"data:text/plain,hi":            true,
		"about:blank":                   true,
		"http://intranet.example/a.js":  true,
		"https://INTRANET.example/b":    true,
		"https://cdn.jsdelivr.net/x.js": false,
		"http://10.0.0.1/":              false,
		"ftp://127.0.0.1/":              false,
		"http://localhost.evil.com/":    false,
	} {
		if got := b.allowed(u); got != want {
			t.Errorf("allowed(%q) = %v, want %v", u, got, want)
		}
	}
}

func TestPathEnv(t *testing.T) {
	t.Setenv(EnvChromium, filepath.Join(t.TempDir(), "nope"))
	_, err := Path()
	if err == nil || !strings.Contains(err.Error(), EnvChromium) {
		t.Fatalf("err = %v, want one naming %s", err, EnvChromium)
	}
	if _, err := Start(context.Background(), Options{}); err == nil || !strings.Contains(err.Error(), EnvChromium) {
		t.Fatalf("Start with a missing browser: %v", err)
	}
	// A bad entry is refused before anything is launched.
	if _, err := Start(context.Background(), Options{ExecPath: "/bin/sh", AllowHosts: []string{"http://x/"}}); err == nil || !strings.Contains(err.Error(), "AllowHosts") {
		t.Fatalf("Start with a URL in AllowHosts: %v", err)
	}
}

// Close unregisters the Close scheduled for the end of Start's ctx: a
// closed Browser started under a long-lived ctx can be collected.
func TestCloseReleasesLongLivedContext(t *testing.T) {
	if _, err := Path(); err != nil {
		if strings.EqualFold(os.Getenv("CI"), "true") {
			t.Fatalf("%v; CI=true requires Chromium", err)
		}
		t.Skip(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b, err := Start(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(b.Dir()); !os.IsNotExist(err) {
		t.Errorf("profile dir %s still there after Close (stat: %v)", b.Dir(), err)
	}
	collected := make(chan struct{})
	runtime.AddCleanup(b, func(ch chan struct{}) { close(ch) }, collected)
	b = nil
	for range 50 {
		runtime.GC()
		select {
		case <-collected:
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Error("a closed Browser is still reachable while the ctx it was started with lives")
}

// A bad executable is reported with where it came from.
func TestStartNamesTheExecutableSource(t *testing.T) {
	_, err := Start(context.Background(), Options{ExecPath: filepath.Join(t.TempDir(), "no-chromium")})
	if err == nil || !strings.Contains(err.Error(), "reports.chromium") || !strings.Contains(err.Error(), EnvChromium) {
		t.Errorf("Start with a missing executable: %v, want it to name reports.chromium and %s", err, EnvChromium)
	}
}

// Close lets Chromium exit by itself (Browser.close, waited for) rather
// than killing it: a wrapper that records the browser's exit status sees
// it return 0.
func TestCloseWaitsForChromiumToExit(t *testing.T) {
	exe, err := Path()
	if err != nil {
		if strings.EqualFold(os.Getenv("CI"), "true") {
			t.Fatalf("%v; CI=true requires Chromium", err)
		}
		t.Skip(err)
	}
	dir := t.TempDir()
	status := filepath.Join(dir, "status")
	wrapper := filepath.Join(dir, "chromium")
	script := "#!/bin/sh\n'" + exe + "' \"$@\"\necho $? > '" + status + "'\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := Start(context.Background(), Options{ExecPath: wrapper})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(status)
	if err != nil || strings.TrimSpace(string(got)) != "0" {
		t.Errorf("Chromium's exit status after Close: %q (%v), want 0: it was killed, not closed", got, err)
	}
}
