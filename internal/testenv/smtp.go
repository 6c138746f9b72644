package testenv

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// SMTP is an SMTP server for a test: aiosmtpd (scripts/deps.sh smtp) on a
// free loopback port, writing every message it accepts into the Maildir
// Dir (new/).
type SMTP struct {
	Addr string // host:port
	Dir  string
}

// NewSMTP starts aiosmtpd from the cache's venv-smtp for the test and
// stops it in t.Cleanup; it skips, or fails under CI=true, when the venv
// is missing.
func NewSMTP(t testing.TB) *SMTP {
	t.Helper()
	cache := os.Getenv("RISKWATCH_CACHE")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache", "riskwatch")
	}
	py := filepath.Join(cache, "venv-smtp", "bin", "python")
	if err := exec.Command(py, "-c", "import aiosmtpd").Run(); err != nil {
		missing(t, fmt.Sprintf("aiosmtpd is not installed in %s (run scripts/deps.sh smtp): %v", py, err))
		return nil
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	dir := filepath.Join(t.TempDir(), "maildir")
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, py, "-m", "aiosmtpd", "-n", "-l", addr, "-c", "aiosmtpd.handlers.Mailbox", dir)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("cannot start aiosmtpd: %v", err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("aiosmtpd does not answer on %s: %v", addr, err)
		}
	}
	return &SMTP{Addr: addr, Dir: dir}
}

// Messages returns the raw messages received so far.
func (s *SMTP) Messages(t testing.TB) [][]byte {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(s.Dir, "new", "*"))
	var out [][]byte
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}
