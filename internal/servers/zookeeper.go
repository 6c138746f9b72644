package servers

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"
)

// ErrZooKeeperJarsNotFound is returned, wrapped, by StartZooKeeper when the
// jars directory does not hold the ZooKeeper server jars.
var ErrZooKeeperJarsNotFound = errors.New("no Apache ZooKeeper jars: run `make deps` or `scripts/zookeeper-jars.sh VERSION`")

// DefaultZooKeeperVersion is the ZooKeeper version scripts/deps.sh fetches.
const DefaultZooKeeperVersion = "3.8.4"

// zooKeeperReadyTimeout bounds how long a start waits for the server to serve requests.
const zooKeeperReadyTimeout = 60 * time.Second

// ZooKeeperJarsDir returns the directory that holds the jars of ZooKeeper
// version: $RISKWATCH_ZOOKEEPER_JARS if set, else
// $HOME/.cache/riskwatch/zookeeper-VERSION, where scripts/zookeeper-jars.sh
// puts them by default.
func ZooKeeperJarsDir(version string) string {
	if dir := os.Getenv("RISKWATCH_ZOOKEEPER_JARS"); dir != "" {
		return dir
	}
	home, err := os.UserHomeDir()
	if err != nil {
		home = os.TempDir()
	}
	return filepath.Join(home, ".cache", "riskwatch", "zookeeper-"+version)
}

// zooKeeperJar matches the server jar and captures its version.
var zooKeeperJar = regexp.MustCompile(`^zookeeper-(\d+\.\d+\.\d+)\.jar$`)

// ZooKeeperJarsVersion returns the ZooKeeper version of the jars in dir, read
// from the name of its zookeeper-VERSION.jar. The error wraps
// ErrZooKeeperJarsNotFound.
func ZooKeeperJarsVersion(dir string) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrZooKeeperJarsNotFound, err)
	}
	var versions []string
	for _, e := range entries {
		if m := zooKeeperJar.FindStringSubmatch(e.Name()); m != nil {
			versions = append(versions, m[1])
		}
	}
	switch len(versions) {
	case 0:
		return "", fmt.Errorf("%w: no zookeeper-*.jar in %s", ErrZooKeeperJarsNotFound, dir)
	case 1:
		return versions[0], nil
	default:
		return "", fmt.Errorf("several ZooKeeper versions in %s: %s", dir, strings.Join(versions, ", "))
	}
}

// ZooKeeperOptions configures StartZooKeeper.
type ZooKeeperOptions struct {
	// JarsDir holds the server jars, as fetched by scripts/zookeeper-jars.sh.
	JarsDir string
	// Dir holds zoo.cfg, the data under data/ and the captured output in
	// zookeeper.log. If it is empty, a temporary directory is created and
	// Stop removes it.
	Dir string
	// Port is the client port; 0 picks a free loopback port.
	Port int
	// Logger receives progress messages; nil discards them.
	Logger *slog.Logger
}

// ZooKeeper is a standalone Apache ZooKeeper server started by
// StartZooKeeper. Its exported fields never change after the start, so they
// stay valid across Kill, StopKeep and Start.
type ZooKeeper struct {
	// Addr is the client address, 127.0.0.1:Port.
	Addr string
	// Port is the client port.
	Port int
	// Version is the server's version as `srvr` reports it.
	Version string
	// Dir holds zoo.cfg, data/ and zookeeper.log.
	Dir string
	// JarsDir holds the jars the server runs from.
	JarsDir string

	java    string
	tempDir bool
	log     *slog.Logger

	mu      sync.Mutex
	proc    *process
	removed bool
}

// StartZooKeeper writes zoo.cfg into o.Dir, starts a standalone ZooKeeper
// listening on 127.0.0.1 only and waits until it serves requests (`srvr` names its version). ctx bounds
// only the start.
func StartZooKeeper(ctx context.Context, o ZooKeeperOptions) (*ZooKeeper, error) {
	java, err := FindJava()
	if err != nil {
		return nil, err
	}
	if o.JarsDir == "" {
		return nil, fmt.Errorf("%w: ZooKeeperOptions.JarsDir is empty", ErrZooKeeperJarsNotFound)
	}
	jars, err := filepath.Abs(o.JarsDir)
	if err != nil {
		return nil, fmt.Errorf("ZooKeeper jars directory: %w", err)
	}
	if _, err := ZooKeeperJarsVersion(jars); err != nil {
		return nil, err
	}
	z := &ZooKeeper{JarsDir: jars, java: java, log: discardLogger(o.Logger), Port: o.Port}
	if o.Dir == "" {
		dir, err := os.MkdirTemp("", "riskwatch-zookeeper-")
		if err != nil {
			return nil, fmt.Errorf("cannot create ZooKeeper directory: %w", err)
		}
		z.Dir, z.tempDir = dir, true
	} else if z.Dir, err = filepath.Abs(o.Dir); err != nil {
		return nil, fmt.Errorf("ZooKeeper directory: %w", err)
	}
	if err := fillPorts(&z.Port); err != nil {
		z.cleanupFailedStart()
		return nil, err
	}
	z.Addr = loopback(z.Port)
	if err := z.Start(ctx); err != nil {
		z.cleanupFailedStart()
		return nil, err
	}
	out, err := z.fourLetter(ctx, "srvr")
	if err != nil {
		z.Stop()
		return nil, fmt.Errorf("cannot read ZooKeeper version: %w", err)
	}
	z.Version = parseZooKeeperVersion(out)
	z.log.Info("ZooKeeper started", "version", z.Version, "addr", z.Addr, "dir", z.Dir)
	return z, nil
}

// parseZooKeeperVersion takes "3.8.4" out of the `srvr` line
// "Zookeeper version: 3.8.4-9316c2a7a97e1666d8f4593f34dd6fc36ecc436c, built on …".
func parseZooKeeperVersion(srvr string) string {
	for _, line := range strings.Split(srvr, "\n") {
		if v, ok := strings.CutPrefix(line, "Zookeeper version: "); ok {
			v, _, _ = strings.Cut(v, ",")
			v, _, _ = strings.Cut(v, "-")
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func (z *ZooKeeper) cleanupFailedStart() {
	if z.tempDir {
		os.RemoveAll(z.Dir)
	}
}

// Start starts the server again on the same Dir and port after Kill or
// StopKeep, and waits until it serves requests (`srvr` names its version).
func (z *ZooKeeper) Start(ctx context.Context) error {
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.removed {
		return errors.New("ZooKeeper was stopped and its temporary directory removed")
	}
	if z.proc != nil && !z.proc.exited() {
		return errors.New("ZooKeeper is already running")
	}
	z.proc = nil
	if err := z.writeConfig(); err != nil {
		return err
	}
	argv := []string{z.java, "-Xms64m", "-Xmx256m", "-XX:+ExitOnOutOfMemoryError",
		"-Djava.awt.headless=true",
		"-Dlogback.configurationFile=" + filepath.Join(z.Dir, "logback.xml"),
		"-Dzookeeper.admin.enableServer=false",
		"-cp", filepath.Join(z.JarsDir, "*"),
		"org.apache.zookeeper.server.ZooKeeperServerMain", filepath.Join(z.Dir, "zoo.cfg")}
	p, err := startProcess("ZooKeeper", argv, z.Dir, filepath.Join(z.Dir, "zookeeper.log"))
	if err != nil {
		return err
	}
	if err := z.waitReady(ctx, p); err != nil {
		p.kill()
		return err
	}
	z.proc = p
	return nil
}

// zooKeeperLogback keeps the server's console output to warnings and errors.
const zooKeeperLogback = `<configuration>
  <appender name="CONSOLE" class="ch.qos.logback.core.ConsoleAppender">
    <encoder><pattern>%d{ISO8601} %-5level %logger{36} - %msg%n</pattern></encoder>
  </appender>
  <root level="WARN"><appender-ref ref="CONSOLE"/></root>
</configuration>
`

func (z *ZooKeeper) writeConfig() error {
	if err := os.MkdirAll(filepath.Join(z.Dir, "data"), 0o755); err != nil {
		return fmt.Errorf("cannot create ZooKeeper directory: %w", err)
	}
	cfg := fmt.Sprintf(`# Generated by riskwatch (internal/servers); rewritten on every start.
tickTime=500
initLimit=10
syncLimit=5
dataDir=%s
clientPort=%d
clientPortAddress=127.0.0.1
maxClientCnxns=0
minSessionTimeout=1000
maxSessionTimeout=30000
admin.enableServer=false
4lw.commands.whitelist=ruok,srvr,mntr
autopurge.purgeInterval=0
`, filepath.Join(z.Dir, "data"), z.Port)
	if err := os.WriteFile(filepath.Join(z.Dir, "zoo.cfg"), []byte(cfg), 0o644); err != nil {
		return fmt.Errorf("cannot write ZooKeeper config: %w", err)
	}
	if err := os.WriteFile(filepath.Join(z.Dir, "logback.xml"), []byte(zooKeeperLogback), 0o644); err != nil {
		return fmt.Errorf("cannot write ZooKeeper logging config: %w", err)
	}
	return nil
}

// fourLetter sends a four-letter command and returns the answer.
func (z *ZooKeeper) fourLetter(ctx context.Context, cmd string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", z.Addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	if _, err := io.WriteString(c, cmd); err != nil {
		return "", err
	}
	b, err := io.ReadAll(bufio.NewReader(c))
	if err != nil {
		return "", err
	}
	return string(b), nil
}

func (z *ZooKeeper) waitReady(ctx context.Context, p *process) error {
	ctx, cancel := context.WithTimeout(ctx, zooKeeperReadyTimeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		// ruok answers as soon as the port is open; srvr names the version
		// only once the server serves requests.
		out, err := z.fourLetter(ctx, "srvr")
		if err == nil && strings.Contains(out, "Zookeeper version: ") {
			return nil
		}
		last = err
		select {
		case <-p.done:
			return fmt.Errorf("ZooKeeper %s before answering srvr\n%s", p.exitError(), tailFile(filepath.Join(z.Dir, "zookeeper.log"), 4096))
		case <-ctx.Done():
			return fmt.Errorf("ZooKeeper did not answer srvr at %s: %w (last: %v)\n%s", z.Addr, ctx.Err(), last,
				tailFile(filepath.Join(z.Dir, "zookeeper.log"), 4096))
		case <-tick.C:
		}
	}
}

// StopKeep stops the server gracefully and keeps Dir, so that Start can
// bring it back with its data.
func (z *ZooKeeper) StopKeep() error {
	z.mu.Lock()
	defer z.mu.Unlock()
	return z.stopLocked()
}

func (z *ZooKeeper) stopLocked() error {
	if z.proc == nil {
		return nil
	}
	p := z.proc
	z.proc = nil
	if p.stop(stopGrace) {
		z.log.Warn("ZooKeeper did not stop after SIGTERM; killed it", "grace", stopGrace)
	}
	return nil
}

// Stop stops the server and, if Dir is a temporary directory created by
// StartZooKeeper, removes it. Calling Stop more than once is safe.
func (z *ZooKeeper) Stop() error {
	z.mu.Lock()
	defer z.mu.Unlock()
	err := z.stopLocked()
	if z.tempDir && !z.removed {
		z.removed = true
		if rmErr := os.RemoveAll(z.Dir); rmErr != nil {
			err = errors.Join(err, fmt.Errorf("cannot remove ZooKeeper directory: %w", rmErr))
		}
	}
	return err
}

// Kill kills the server with SIGKILL and keeps Dir.
func (z *ZooKeeper) Kill() error {
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.proc == nil {
		return nil
	}
	z.proc.kill()
	z.proc = nil
	return nil
}

// Running reports whether the server process is running.
func (z *ZooKeeper) Running() bool {
	z.mu.Lock()
	defer z.mu.Unlock()
	return z.proc != nil && !z.proc.exited()
}

// PID returns the process id of the running server JVM, or 0.
func (z *ZooKeeper) PID() int {
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.proc == nil || z.proc.exited() {
		return 0
	}
	return z.proc.cmd.Process.Pid
}
