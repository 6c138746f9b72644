package app_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/internal/app"
)

// lightConfig is testConfig without ingest, jobs and the startup reports,
// with extra appended (its own sections) and the http section's lines in
// httpExtra.
func lightConfig(t *testing.T, httpExtra, extra string) string {
	t.Helper()
	base := strings.Replace(readFile(t, testConfig(t)), "reports:\n", "reports:\n  startup: false\n", 1)
	base = strings.Replace(base, "http:\n  listen: 127.0.0.1:0\n", "http:\n  listen: 127.0.0.1:0\n"+httpExtra, 1)
	return writeConfig(t, base+"ingest:\n  enabled: false\njobs:\n  enabled: false\n"+extra)
}

// closedWithin reports how long until the server closed conn (reads see
// EOF or a reset), reading and discarding whatever it answers, or false
// when it is still open after limit.
func closedWithin(conn net.Conn, limit time.Duration) (time.Duration, bool) {
	start := time.Now()
	_ = conn.SetReadDeadline(start.Add(limit))
	buf := make([]byte, 4096)
	for {
		_, err := conn.Read(buf)
		if err == nil {
			continue
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return 0, false
		}
		return time.Since(start), true
	}
}

// TestRunClosesSlowAndIdleConnections: with http.read_timeout 2s and
// http.idle_timeout 1s, the server riskwatch run starts closes a
// connection whose request body comes at 1 byte/s within the read timeout,
// and an idle keep-alive connection after the idle timeout.
func TestRunClosesSlowAndIdleConnections(t *testing.T) {
	cfg := lightConfig(t, "  read_header_timeout: 1s\n  read_timeout: 2s\n  idle_timeout: 1s\n", "")
	base := startRun(t, regexp.MustCompile(`http://(127\.0\.0\.1:\d+)/healthz`), "run", "--config", cfg)[1]

	// A slow body: 1 byte a second of a declared 100.
	slow, err := net.Dial("tcp", base)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	if _, err := io.WriteString(slow, "POST /api/silences HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Second):
				if _, err := slow.Write([]byte("{")); err != nil {
					return
				}
			}
		}
	}()
	if took, closed := closedWithin(slow, 8*time.Second); !closed {
		t.Error("a request body at 1 byte/s still held its connection after 8 s (http.read_timeout 2s)")
	} else if took > 4*time.Second {
		t.Errorf("slow body: closed after %v, want about http.read_timeout (2s)", took)
	}

	// An idle keep-alive connection after one answered request.
	idle, err := net.Dial("tcp", base)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	if _, err := io.WriteString(idle, "GET /api/openapi.json HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(idle)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Close {
		t.Fatalf("first request on the keep-alive connection: %d, close %v", resp.StatusCode, resp.Close)
	}
	start := time.Now()
	_ = idle.SetReadDeadline(start.Add(8 * time.Second))
	_, err = br.ReadByte()
	var ne net.Error
	switch took := time.Since(start); {
	case errors.As(err, &ne) && ne.Timeout():
		t.Error("an idle keep-alive connection was still open after 8 s (http.idle_timeout 1s)")
	case took > 3*time.Second:
		t.Errorf("idle connection closed after %v, want about http.idle_timeout (1s)", took)
	}
}

// TestMetricsAreNotOnTheMainListener: by default /metrics is served on
// metrics.listen only; the main listener does not serve it to anyone.
func TestMetricsAreNotOnTheMainListener(t *testing.T) {
	cfg := lightConfig(t, "", "")
	m := startRun(t, regexp.MustCompile(`(http://127\.0\.0\.1:\d+)/healthz\n.*监控指标 metrics: +(http://127\.0\.0\.1:\d+/metrics)\n`), "run", "--config", cfg)
	base, metricsURL := m[1], m[2]
	if strings.HasPrefix(metricsURL, base+"/") {
		t.Fatalf("metrics printed at %s, on the main listener %s", metricsURL, base)
	}
	code, body := getWithToken(t, base+"/metrics", "")
	if code == http.StatusOK || strings.Contains(body, "riskwatch_") {
		t.Errorf("main listener /metrics without a token: %d, %d bytes of metrics; want no metrics", code, len(body))
	}
	if code, body := getWithToken(t, metricsURL, ""); code != http.StatusOK || !strings.Contains(body, "riskwatch_build_info{") {
		t.Errorf("metrics listener: %d %.200s", code, body)
	}
}

// TestMetricsOnTheMainListenerNeedAnAdminToken: with metrics.main_listener
// and no separate listener, /metrics on the main listener answers only an
// admin token.
func TestMetricsOnTheMainListenerNeedAnAdminToken(t *testing.T) {
	cfg := lightConfig(t, "", "")
	body := strings.Replace(readFile(t, cfg), "metrics:\n  listen: 127.0.0.1:0\n", "metrics:\n  listen: \"\"\n  main_listener: true\n", 1)
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	token := func(role string) string {
		var out, errb bytes.Buffer
		if code := app.MainContext(context.Background(), []string{"token", "create", "--config", cfg, "--name", role, "--role", role}, &out, &errb); code != 0 {
			t.Fatalf("token create exited %d: %s", code, errb.String())
		}
		return strings.TrimSpace(out.String())
	}
	admin, analyst := token("admin"), token("analyst")
	base := startRun(t, regexp.MustCompile(`(http://127\.0\.0\.1:\d+)/metrics \(管理员令牌`), "run", "--config", cfg)[1]
	for _, c := range []struct {
		token string
		want  int
	}{{"", http.StatusUnauthorized}, {analyst, http.StatusForbidden}, {admin, http.StatusOK}} {
		code, body := getWithToken(t, base+"/metrics", c.token)
		if code != c.want || (code != http.StatusOK) == strings.Contains(body, "riskwatch_build_info{") {
			t.Errorf("/metrics with token %.8q: %d (%d bytes), want %d and metrics only for admin", c.token, code, len(body), c.want)
		}
	}
}

func getWithToken(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// Without the API there are no tokens: the reports and the warning
// endpoints are not served at all (404), rather than served unchecked.
func TestNoAPINoReportsOrWarningEndpoints(t *testing.T) {
	cfg := lightConfig(t, "", "api:\n  enabled: false\n")
	base := startRun(t, regexp.MustCompile(`http://(127\.0\.0\.1:\d+)/healthz`), "run", "--config", cfg)[1]
	for _, c := range []struct{ method, path string }{
		{"GET", "/reports/"}, {"GET", "/reports/index.html"},
		{"POST", "/api/warnings/x/ack"}, {"GET", "/api/silences"}, {"POST", "/api/silences"},
		{"GET", "/api/warnings/dead"}, {"GET", "/api/v1/silences"},
	} {
		req, err := http.NewRequest(c.method, "http://"+base+c.path, strings.NewReader(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s %s without the API: %d, want 404", c.method, c.path, resp.StatusCode)
		}
	}
}
