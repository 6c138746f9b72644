package servers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// ErrClickHouseNotFound is returned, wrapped, by StartClickHouse when no
// ClickHouse server binary can be found.
var ErrClickHouseNotFound = errors.New("no ClickHouse server binary found: " +
	"run `make deps` or `apt-get install clickhouse-server`, " +
	"or put a `clickhouse` binary on PATH")

// clickHouseReadyTimeout bounds how long a start waits for /ping to answer.
const clickHouseReadyTimeout = 60 * time.Second

// debianClickHouseServer is where Debian's clickhouse-server package installs
// its binary; /usr/sbin is often not on a non-root user's PATH.
const debianClickHouseServer = "/usr/sbin/clickhouse-server"

// ClickHouseOptions configures StartClickHouse.
type ClickHouseOptions struct {
	// Dir holds the generated configuration, the data and the logs. If it is
	// empty, a temporary directory is created and Stop removes it.
	Dir string
	// TCPPort is the native protocol port; 0 picks a free loopback port.
	TCPPort int
	// HTTPPort is the HTTP interface port; 0 picks a free loopback port.
	HTTPPort int
	// Binary overrides the server binary. A binary named "clickhouse" is run
	// as `clickhouse server`; any other is run directly.
	Binary string
	// Logger receives progress messages; nil discards them.
	Logger *slog.Logger
	// TLS, when not nil, adds a TLS native-protocol port (tcp_port_secure).
	TLS *ClickHouseTLS
	// Users are added to users.xml next to "default".
	Users []ClickHouseUser
}

// ClickHouse is a ClickHouse server process started by StartClickHouse. Its
// exported fields are set before StartClickHouse returns and never change,
// so they stay valid across Kill, StopKeep and Start.
type ClickHouse struct {
	// Addr is the native protocol address, 127.0.0.1:TCPPort.
	Addr string
	// HTTPAddr is the HTTP interface address, 127.0.0.1:HTTPPort.
	HTTPAddr string
	// TCPPort is the native protocol port.
	TCPPort int
	// HTTPPort is the HTTP interface port.
	HTTPPort int
	// Version is the server's version, as returned by SELECT version().
	Version string
	// Dir holds the configuration (config.xml, users.xml), the data under
	// data/ and the logs under log/.
	Dir string
	// Binary is the path of the server binary.
	Binary string
	// SecureAddr is the TLS native protocol address, 127.0.0.1:SecurePort,
	// when ClickHouseOptions.TLS was given; else "".
	SecureAddr string
	SecurePort int

	tls   *ClickHouseTLS
	users []ClickHouseUser

	args    []string // arguments between the binary and --config-file
	tempDir bool
	log     *slog.Logger
	http    *http.Client

	mu      sync.Mutex
	proc    *process // nil while not running
	removed bool     // Stop removed the temporary Dir; the server cannot start again
}

// FindClickHouse returns the ClickHouse server binary StartClickHouse would
// use when no Binary is given: `clickhouse` on PATH, else `clickhouse-server`
// on PATH, else /usr/sbin/clickhouse-server. The error wraps
// ErrClickHouseNotFound.
func FindClickHouse() (string, error) {
	for _, name := range []string{"clickhouse", "clickhouse-server"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	if info, err := os.Stat(debianClickHouseServer); err == nil && !info.IsDir() && info.Mode()&0o111 != 0 {
		return debianClickHouseServer, nil
	}
	return "", ErrClickHouseNotFound
}

// StartClickHouse generates a configuration in o.Dir, starts a ClickHouse
// server listening on 127.0.0.1 only, waits until its /ping answers and reads
// its version. ctx bounds only the start; the server runs until Stop, StopKeep
// or Kill, or until this process dies.
func StartClickHouse(ctx context.Context, o ClickHouseOptions) (*ClickHouse, error) {
	bin := o.Binary
	if bin == "" {
		var err error
		if bin, err = FindClickHouse(); err != nil {
			return nil, err
		}
	} else if p, err := exec.LookPath(bin); err != nil {
		return nil, fmt.Errorf("ClickHouse binary %q: %w (%w)", bin, err, ErrClickHouseNotFound)
	} else {
		bin = p
	}
	var args []string
	if filepath.Base(bin) == "clickhouse" {
		args = []string{"server"}
	}

	c := &ClickHouse{
		Binary: bin,
		args:   args,
		log:    discardLogger(o.Logger),
		http:   &http.Client{Transport: &http.Transport{DisableKeepAlives: true}},
	}
	if o.Dir == "" {
		dir, err := os.MkdirTemp("", "riskwatch-clickhouse-")
		if err != nil {
			return nil, fmt.Errorf("cannot create ClickHouse directory: %w", err)
		}
		c.Dir, c.tempDir = dir, true
	} else {
		dir, err := filepath.Abs(o.Dir)
		if err != nil {
			return nil, fmt.Errorf("ClickHouse directory: %w", err)
		}
		c.Dir = dir
	}
	c.TCPPort, c.HTTPPort = o.TCPPort, o.HTTPPort
	c.tls, c.users = o.TLS, o.Users
	if err := c.checkUsers(); err != nil {
		c.cleanupFailedStart()
		return nil, err
	}
	ports := []*int{&c.TCPPort, &c.HTTPPort}
	if o.TLS != nil {
		c.SecurePort = o.TLS.Port
		ports = append(ports, &c.SecurePort)
	}
	if err := fillPorts(ports...); err != nil {
		c.cleanupFailedStart()
		return nil, err
	}
	c.Addr, c.HTTPAddr = loopback(c.TCPPort), loopback(c.HTTPPort)
	if o.TLS != nil {
		c.SecureAddr = loopback(c.SecurePort)
	}

	if err := c.Start(ctx); err != nil {
		c.cleanupFailedStart()
		return nil, err
	}
	v, err := c.Query(ctx, "SELECT version()")
	if err != nil {
		c.Stop()
		return nil, fmt.Errorf("cannot read ClickHouse version: %w", err)
	}
	c.Version = strings.TrimSpace(v)
	c.log.Info("ClickHouse started", "version", c.Version, "addr", c.Addr, "http", c.HTTPAddr, "dir", c.Dir)
	return c, nil
}

// cleanupFailedStart removes a temporary Dir after StartClickHouse failed.
func (c *ClickHouse) cleanupFailedStart() {
	if c.tempDir {
		os.RemoveAll(c.Dir)
	}
}

// Start starts the server again on the same Dir and ports after Kill or
// StopKeep, and waits until it answers /ping. It fails if the server is
// running or if Stop removed its temporary Dir.
func (c *ClickHouse) Start(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.removed {
		return errors.New("ClickHouse was stopped and its temporary directory removed")
	}
	if c.proc != nil && !c.proc.exited() {
		return errors.New("ClickHouse is already running")
	}
	c.proc = nil
	if err := c.writeConfig(); err != nil {
		return err
	}
	argv := append([]string{c.Binary}, c.args...)
	argv = append(argv, "--config-file="+filepath.Join(c.Dir, "config.xml"))
	p, err := startProcess("ClickHouse", argv, c.Dir, filepath.Join(c.Dir, "log", "stdout.log"))
	if err != nil {
		return err
	}
	c.log.Debug("ClickHouse process started", "pid", p.cmd.Process.Pid, "argv", argv)
	if err := c.waitReady(ctx, p); err != nil {
		p.kill()
		return err
	}
	c.proc = p
	return nil
}

// Restart stops the server gracefully, keeping Dir, and starts it again.
func (c *ClickHouse) Restart(ctx context.Context) error {
	if err := c.StopKeep(); err != nil {
		return err
	}
	return c.Start(ctx)
}

// StopKeep stops the server gracefully (SIGTERM to its process group, SIGKILL
// after 15 s) and keeps Dir, so that Start can bring it back. It does nothing
// if the server is not running.
func (c *ClickHouse) StopKeep() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stopLocked()
}

func (c *ClickHouse) stopLocked() error {
	if c.proc == nil {
		return nil
	}
	p := c.proc
	c.proc = nil
	if p.stop(stopGrace) {
		c.log.Warn("ClickHouse did not stop after SIGTERM; killed it", "grace", stopGrace)
	}
	return nil
}

// Stop stops the server gracefully and, if Dir is a temporary directory
// created by StartClickHouse, removes it. After that the server cannot be
// started again. Calling Stop more than once is safe.
func (c *ClickHouse) Stop() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	err := c.stopLocked()
	if c.tempDir && !c.removed {
		c.removed = true
		if rmErr := os.RemoveAll(c.Dir); rmErr != nil {
			err = errors.Join(err, fmt.Errorf("cannot remove ClickHouse directory: %w", rmErr))
		}
	}
	return err
}

// Kill kills the server's process group with SIGKILL, as a crash would, and
// waits for it to exit. Dir is kept, so Start can bring the server back.
func (c *ClickHouse) Kill() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.proc == nil {
		return nil
	}
	c.proc.kill()
	c.proc = nil
	return nil
}

// Running reports whether the server process is running. A server that
// crashed by itself reports false.
func (c *ClickHouse) Running() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.proc != nil && !c.proc.exited()
}

// PID returns the process id of the running server, or 0.
func (c *ClickHouse) PID() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.proc == nil || c.proc.exited() {
		return 0
	}
	return c.proc.cmd.Process.Pid
}

// Query runs one SQL statement through the HTTP interface as the default
// user and returns the response body (TabSeparated for SELECTs). It is meant
// for readiness checks, tests and small administrative statements; the store
// package owns real data access.
func (c *ClickHouse) Query(ctx context.Context, sql string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+c.HTTPAddr+"/", strings.NewReader(sql))
	if err != nil {
		return "", err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return "", fmt.Errorf("ClickHouse query: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", fmt.Errorf("ClickHouse query: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("ClickHouse query %q: HTTP %d: %s", sql, resp.StatusCode, strings.TrimSpace(string(body)))
	}
	return string(body), nil
}

// ping reports whether GET /ping answers "Ok.".
func (c *ClickHouse) ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+c.HTTPAddr+"/ping", nil)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(body)) != "Ok." {
		return fmt.Errorf("/ping answered HTTP %d %q", resp.StatusCode, body)
	}
	return nil
}

// waitReady polls /ping until it answers, p exits, ctx ends or
// clickHouseReadyTimeout passes.
func (c *ClickHouse) waitReady(ctx context.Context, p *process) error {
	ctx, cancel := context.WithTimeout(ctx, clickHouseReadyTimeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		if last = c.ping(ctx); last == nil {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("ClickHouse (%s) %s before answering /ping\n%s", c.Binary, p.exitError(), c.logTails())
		case <-ctx.Done():
			return fmt.Errorf("ClickHouse (%s) did not answer http://%s/ping: %w (last: %v)\n%s",
				c.Binary, c.HTTPAddr, ctx.Err(), last, c.logTails())
		case <-tick.C:
		}
	}
}

// logTails returns the tails of the server's error log and its captured
// stdout and stderr, for error messages.
func (c *ClickHouse) logTails() string {
	logDir := filepath.Join(c.Dir, "log")
	return "--- tail of " + filepath.Join(logDir, "clickhouse-server.err.log") + ":\n" +
		tailFile(filepath.Join(logDir, "clickhouse-server.err.log"), 4096) + "\n" +
		"--- tail of " + filepath.Join(logDir, "stdout.log") + ":\n" +
		tailFile(filepath.Join(logDir, "stdout.log"), 2048)
}
