package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/internal/app"
	"github.com/riskwatch/riskwatch/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m, stopSharedDemo) }

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "riskwatch.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func testConfig(t *testing.T) string {
	ch := testenv.ClickHouse(t)
	db := testenv.FreshDatabase(t, "app")
	return writeConfig(t, configBody(ch.Addr, db, t.TempDir()))
}

// configBody is the configuration of a run on the ClickHouse server at
// addr, in database db, with its outbox and reports under dir.
func configBody(addr, db, dir string) string {
	return fmt.Sprintf(`
clickhouse:
  local: {enabled: false}
  addrs: [%s]
  database: %s
kafka:
  embedded: true
http:
  listen: 127.0.0.1:0
metrics:
  listen: 127.0.0.1:0
log:
  level: warn
warnings:
  outbox: %s
reports:
  dir: %s
`, addr, db, filepath.Join(dir, "outbox.db"), filepath.Join(dir, "reports"))
}

func TestMigrateTwiceThroughTheCommandLine(t *testing.T) {
	cfg := testConfig(t)
	var out, errb bytes.Buffer
	if code := app.MainContext(context.Background(), []string{"migrate", "--config", cfg}, &out, &errb); code != 0 {
		t.Fatalf("first migrate exited %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "applied 0001_core.sql") || !strings.Contains(out.String(), "loaded 2715 regions") {
		t.Errorf("first migrate printed %q", out.String())
	}
	out.Reset()
	if code := app.MainContext(context.Background(), []string{"migrate", "--config", cfg}, &out, &errb); code != 0 {
		t.Fatalf("second migrate exited %d: %s", code, errb.String())
	}
	if got := out.String(); !strings.Contains(got, "nothing applied") || strings.Contains(got, "applied 0") || strings.Contains(got, "loaded") {
		t.Errorf("second migrate printed %q, want nothing applied and nothing loaded", got)
	}
}

func TestRunServesHealthAndMetrics(t *testing.T) {
	cfg := testConfig(t)
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() { done <- app.MainContext(ctx, []string{"run", "--config", cfg}, &out, &errb) }()

	re := regexp.MustCompile(`(http://127\.0\.0\.1:\d+)/healthz\n.*监控指标 metrics: +(http://127\.0\.0\.1:\d+/metrics)\n`)
	var base, metricsURL string
	deadline := time.Now().Add(60 * time.Second)
	for base == "" {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			base, metricsURL = m[1], m[2]
			break
		}
		select {
		case code := <-done:
			t.Fatalf("run exited early with %d: %s %s", code, out.String(), errb.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("run did not print its URLs: %s %s", out.String(), errb.String())
		}
		time.Sleep(50 * time.Millisecond)
	}

	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	var rep app.HealthReport
	if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || rep.Status != "ok" || !rep.Checks["clickhouse"].OK || !rep.Checks["kafka"].OK {
		t.Errorf("healthz %d %+v", resp.StatusCode, rep)
	}
	if !strings.HasPrefix(rep.Checks["clickhouse"].Detail, "ClickHouse ") {
		t.Errorf("clickhouse detail %q", rep.Checks["clickhouse"].Detail)
	}

	resp, err = http.Get(metricsURL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`riskwatch_health_check_up{check="clickhouse"} 1`, `riskwatch_health_check_up{check="kafka"} 1`, "riskwatch_build_info{", "go_goroutines"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("run exited %d after cancel: %s", code, errb.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("run did not shut down within 20 s of cancel")
	}
}

func TestConfigErrorsExitTwoAndNameTheKey(t *testing.T) {
	cfg := writeConfig(t, "clickhouse:\n  adresses: [x:1]\n")
	var out, errb bytes.Buffer
	code := app.MainContext(context.Background(), []string{"check-config", "--config", cfg}, &out, &errb)
	if code != 2 || !strings.Contains(errb.String(), "clickhouse.adresses: unknown key (line 2)") {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
	out.Reset()
	errb.Reset()
	if code := app.MainContext(context.Background(), []string{"check-config"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "configuration OK") {
		t.Errorf("defaults: exit %d, %q %q", code, out.String(), errb.String())
	}
	if code := app.MainContext(context.Background(), []string{"frobnicate"}, &out, &errb); code != 2 {
		t.Errorf("unknown command exit %d", code)
	}
	out.Reset()
	if code := app.MainContext(context.Background(), []string{"version"}, &out, &errb); code != 0 || !strings.HasPrefix(out.String(), "riskwatch ") {
		t.Errorf("version: %d %q", code, out.String())
	}
}

// startRun runs the command line args (a `run`) until the test ends and
// returns the submatches of re in its standard output once it printed
// them. It fails the test when the command exits first or prints nothing
// matching within 60 s; at cleanup it cancels the command and waits up to
// 30 s for it to stop.
func startRun(t *testing.T, re *regexp.Regexp, args ...string) []string {
	t.Helper()
	return startRunWithin(t, 60*time.Second, re, args...)
}

// startRunWithin is startRun waiting up to wait for the output: for a
// command that first produces the whole demo stream (two years, ~136,000
// records, slower under the race detector).
func startRunWithin(t *testing.T, wait time.Duration, re *regexp.Regexp, args ...string) []string {
	t.Helper()
	r := startCommand(args...)
	t.Cleanup(func() {
		if err := r.stop(); err != nil {
			t.Error(err)
		}
	})
	m, err := r.match(re, wait)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// command is a command line (a `run`) running in this process.
type command struct {
	args      []string
	out, errb syncBuffer
	cancel    context.CancelFunc
	exited    chan struct{} // closed when it returned, with code set
	code      int
}

// startCommand runs the command line args until stop.
func startCommand(args ...string) *command {
	ctx, cancel := context.WithCancel(context.Background())
	c := &command{args: args, cancel: cancel, exited: make(chan struct{})}
	go func() {
		defer close(c.exited)
		c.code = app.MainContext(ctx, args, &c.out, &c.errb)
	}()
	return c
}

// match returns the submatches of re in the command's standard output once
// it printed them, or an error with its output when it exits first or
// prints nothing matching within wait.
func (c *command) match(re *regexp.Regexp, wait time.Duration) ([]string, error) {
	for deadline := time.Now().Add(wait); ; time.Sleep(50 * time.Millisecond) {
		if m := re.FindStringSubmatch(c.out.String()); m != nil {
			return m, nil
		}
		select {
		case <-c.exited:
			return nil, fmt.Errorf("%v exited with %d:\n%s\n%s", c.args, c.code, c.out.String(), c.errb.String())
		default:
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%v printed nothing matching %s within %s:\n%s\n%s", c.args, re, wait, c.out.String(), c.errb.String())
		}
	}
}

// stop cancels the command and waits up to 30 s for it to return.
func (c *command) stop() error {
	c.cancel()
	select {
	case <-c.exited:
		return nil
	case <-time.After(30 * time.Second):
		return fmt.Errorf("%v did not stop within 30 s", c.args)
	}
}
