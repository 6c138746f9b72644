package servers

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"
)

var (
	// ErrJavaNotFound is returned, wrapped, by StartKafka when there is no
	// `java` on PATH.
	ErrJavaNotFound = errors.New("no `java` on PATH: run `make deps` or `apt-get install default-jre-headless`")
	// ErrKafkaJarsNotFound is returned, wrapped, by StartKafka when the jars
	// directory does not hold the Kafka broker jars.
	ErrKafkaJarsNotFound = errors.New("no Apache Kafka jars: run `make deps` or `scripts/kafka-jars.sh VERSION`")
)

const (
	// kafkaReadyTimeout bounds how long a start waits for the broker to
	// answer a metadata request; a cold JVM on two cores needs a while.
	kafkaReadyTimeout = 90 * time.Second
	// kafkaFormatTimeout bounds the storage format step.
	kafkaFormatTimeout = 60 * time.Second
)

// kafkaHeap is the JVM heap of the broker, kept modest for small machines.
var kafkaHeap = []string{"-Xms256m", "-Xmx768m"}

// KafkaJarsDir returns the directory that holds the jars of Kafka version:
// $RISKWATCH_KAFKA_JARS if set, else $HOME/.cache/riskwatch/kafka-VERSION,
// where scripts/kafka-jars.sh puts them by default.
func KafkaJarsDir(version string) string {
	if dir := os.Getenv("RISKWATCH_KAFKA_JARS"); dir != "" {
		return dir
	}
	home, err := os.UserHomeDir()
	if err != nil {
		home = os.TempDir()
	}
	return filepath.Join(home, ".cache", "riskwatch", "kafka-"+version)
}

// FindJava returns the path of `java` on PATH. The error wraps
// ErrJavaNotFound.
func FindJava() (string, error) {
	java, err := exec.LookPath("java")
	if err != nil {
		return "", fmt.Errorf("%w", ErrJavaNotFound)
	}
	return java, nil
}

// KafkaOptions configures StartKafka.
type KafkaOptions struct {
	// JarsDir holds the broker jars (kafka_2.13-VERSION.jar, kafka-clients
	// and their dependencies), as fetched by scripts/kafka-jars.sh.
	JarsDir string
	// Dir holds server.properties, the broker's data under data/ and its
	// captured output in kafka.log. If it is empty, a temporary directory is
	// created and Stop removes it.
	Dir string
	// Port is the PLAINTEXT listener port; 0 picks a free loopback port.
	Port int
	// ControllerPort is the KRaft controller listener port; 0 picks a free
	// loopback port.
	ControllerPort int
	// Logger receives progress messages; nil discards them.
	Logger *slog.Logger
	// Partitions is num.partitions, the partition count of automatically
	// created topics; 0 means 4.
	Partitions int
	// SASLSSL, when not nil, adds a SASL_SSL listener (see KafkaSASLSSL).
	SASLSSL *KafkaSASLSSL
}

// Kafka is a single-node Apache Kafka broker in KRaft mode started by
// StartKafka. Its exported fields are set before StartKafka returns and never
// change, so they stay valid across Kill, StopKeep and Start.
type Kafka struct {
	// Addr is the bootstrap address of the PLAINTEXT listener,
	// 127.0.0.1:Port.
	Addr string
	// ControllerAddr is the address of the KRaft controller listener.
	ControllerAddr string
	// Port is the PLAINTEXT listener port.
	Port int
	// ControllerPort is the KRaft controller listener port.
	ControllerPort int
	// Version is the Kafka version, taken from the kafka-clients jar.
	Version string
	// Dir holds server.properties, the data under data/ and kafka.log.
	Dir string
	// JarsDir holds the jars the broker runs from.
	JarsDir string
	// Partitions is the partition count of automatically created topics.
	Partitions int
	// SecureAddr is the bootstrap address of the SASL_SSL listener,
	// 127.0.0.1:SecurePort, when KafkaOptions.SASLSSL was given; else "".
	SecureAddr string
	SecurePort int

	saslSSL *KafkaSASLSSL
	java    string
	tempDir bool
	log     *slog.Logger

	mu      sync.Mutex
	proc    *process
	removed bool
}

// kafkaClientsJar matches the kafka-clients jar and captures its version.
var kafkaClientsJar = regexp.MustCompile(`^kafka-clients-(\d+\.\d+\.\d+[^/]*)\.jar$`)

// KafkaJarsVersion returns the Kafka version of the jars in dir, read from
// the name of its kafka-clients-VERSION.jar, after checking that the matching
// kafka_2.13-VERSION.jar is there too. The error wraps ErrKafkaJarsNotFound.
func KafkaJarsVersion(dir string) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrKafkaJarsNotFound, err)
	}
	var versions []string
	for _, e := range entries {
		if m := kafkaClientsJar.FindStringSubmatch(e.Name()); m != nil {
			versions = append(versions, m[1])
		}
	}
	switch len(versions) {
	case 0:
		return "", fmt.Errorf("%w: no kafka-clients-*.jar in %s", ErrKafkaJarsNotFound, dir)
	case 1:
	default:
		return "", fmt.Errorf("several Kafka versions in %s: %s", dir, strings.Join(versions, ", "))
	}
	v := versions[0]
	if _, err := os.Stat(filepath.Join(dir, "kafka_2.13-"+v+".jar")); err != nil {
		return "", fmt.Errorf("%w: no kafka_2.13-%s.jar in %s", ErrKafkaJarsNotFound, v, dir)
	}
	return v, nil
}

// StartKafka writes server.properties into o.Dir, formats the storage on the
// first start, starts a single-node KRaft broker (broker and controller in
// one JVM) listening on 127.0.0.1 only, and waits until it answers a metadata
// request listing itself. ctx bounds only the start; the broker runs until
// Stop, StopKeep or Kill, or until this process dies.
func StartKafka(ctx context.Context, o KafkaOptions) (*Kafka, error) {
	java, err := FindJava()
	if err != nil {
		return nil, err
	}
	if o.JarsDir == "" {
		return nil, fmt.Errorf("%w: KafkaOptions.JarsDir is empty", ErrKafkaJarsNotFound)
	}
	jars, err := filepath.Abs(o.JarsDir)
	if err != nil {
		return nil, fmt.Errorf("Kafka jars directory: %w", err)
	}
	version, err := KafkaJarsVersion(jars)
	if err != nil {
		return nil, err
	}
	k := &Kafka{
		Version:    version,
		JarsDir:    jars,
		Partitions: o.Partitions,
		saslSSL:    o.SASLSSL,
		java:       java,
		log:        discardLogger(o.Logger),
	}
	if k.Partitions <= 0 {
		k.Partitions = 4
	}
	if o.Dir == "" {
		dir, err := os.MkdirTemp("", "riskwatch-kafka-")
		if err != nil {
			return nil, fmt.Errorf("cannot create Kafka directory: %w", err)
		}
		k.Dir, k.tempDir = dir, true
	} else if k.Dir, err = filepath.Abs(o.Dir); err != nil {
		return nil, fmt.Errorf("Kafka directory: %w", err)
	}
	k.Port, k.ControllerPort = o.Port, o.ControllerPort
	ports := []*int{&k.Port, &k.ControllerPort}
	if o.SASLSSL != nil {
		if err := o.SASLSSL.check(); err != nil {
			k.cleanupFailedStart()
			return nil, err
		}
		k.SecurePort = o.SASLSSL.Port
		ports = append(ports, &k.SecurePort)
	}
	if err := fillPorts(ports...); err != nil {
		k.cleanupFailedStart()
		return nil, err
	}
	k.Addr, k.ControllerAddr = loopback(k.Port), loopback(k.ControllerPort)
	if o.SASLSSL != nil {
		k.SecureAddr = loopback(k.SecurePort)
	}
	if err := k.Start(ctx); err != nil {
		k.cleanupFailedStart()
		return nil, err
	}
	k.log.Info("Apache Kafka started", "version", k.Version, "addr", k.Addr, "dir", k.Dir)
	return k, nil
}

// cleanupFailedStart removes a temporary Dir after StartKafka failed.
func (k *Kafka) cleanupFailedStart() {
	if k.tempDir {
		os.RemoveAll(k.Dir)
	}
}

// Start starts the broker again on the same Dir and ports after Kill or
// StopKeep, and waits until it answers a metadata request. It fails if the
// broker is running or if Stop removed its temporary Dir.
func (k *Kafka) Start(ctx context.Context) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.removed {
		return errors.New("Kafka was stopped and its temporary directory removed")
	}
	if k.proc != nil && !k.proc.exited() {
		return errors.New("Kafka is already running")
	}
	k.proc = nil
	if err := k.writeConfig(); err != nil {
		return err
	}
	if err := k.formatStorage(ctx); err != nil {
		return err
	}
	argv := []string{k.java}
	argv = append(argv, kafkaHeap...)
	argv = append(argv,
		"-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", "-XX:+ExitOnOutOfMemoryError",
		"-Djava.awt.headless=true",
		// slf4j-simple (see scripts/kafka/pom.xml): warnings and errors only.
		"-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
		"-cp", filepath.Join(k.JarsDir, "*"),
		"kafka.Kafka", k.propertiesPath())
	p, err := startProcess("Kafka", argv, k.Dir, k.logPath())
	if err != nil {
		return err
	}
	k.log.Debug("Kafka process started", "pid", p.cmd.Process.Pid, "argv", argv)
	if err := k.waitReady(ctx, p); err != nil {
		p.kill()
		return err
	}
	k.proc = p
	return nil
}

// Restart stops the broker gracefully, keeping Dir, and starts it again.
func (k *Kafka) Restart(ctx context.Context) error {
	if err := k.StopKeep(); err != nil {
		return err
	}
	return k.Start(ctx)
}

// StopKeep stops the broker gracefully (SIGTERM to its process group, SIGKILL
// after 15 s), waits for the JVM to exit and keeps Dir, so that Start can
// bring it back. It does nothing if the broker is not running.
func (k *Kafka) StopKeep() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.stopLocked()
}

func (k *Kafka) stopLocked() error {
	if k.proc == nil {
		return nil
	}
	p := k.proc
	k.proc = nil
	if p.stop(stopGrace) {
		k.log.Warn("Kafka did not stop after SIGTERM; killed it", "grace", stopGrace)
	}
	return nil
}

// Stop stops the broker gracefully, waits for the JVM to exit and, if Dir is
// a temporary directory created by StartKafka, removes it. After that the
// broker cannot be started again. Calling Stop more than once is safe.
func (k *Kafka) Stop() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	err := k.stopLocked()
	if k.tempDir && !k.removed {
		k.removed = true
		if rmErr := os.RemoveAll(k.Dir); rmErr != nil {
			err = errors.Join(err, fmt.Errorf("cannot remove Kafka directory: %w", rmErr))
		}
	}
	return err
}

// Kill kills the broker's process group with SIGKILL, as a crash would, and
// waits for the JVM to exit. Dir is kept, so Start can bring the broker back.
func (k *Kafka) Kill() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.proc == nil {
		return nil
	}
	k.proc.kill()
	k.proc = nil
	return nil
}

// Running reports whether the broker process is running. A broker that
// crashed by itself reports false.
func (k *Kafka) Running() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.proc != nil && !k.proc.exited()
}

// PID returns the process id of the running broker JVM, or 0.
func (k *Kafka) PID() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.proc == nil || k.proc.exited() {
		return 0
	}
	return k.proc.cmd.Process.Pid
}

func (k *Kafka) propertiesPath() string { return filepath.Join(k.Dir, "server.properties") }
func (k *Kafka) logPath() string        { return filepath.Join(k.Dir, "kafka.log") }
func (k *Kafka) dataDir() string        { return filepath.Join(k.Dir, "data") }

// writeConfig creates Dir and writes server.properties.
func (k *Kafka) writeConfig() error {
	if err := os.MkdirAll(k.dataDir(), 0o755); err != nil {
		return fmt.Errorf("cannot create Kafka directory: %w", err)
	}
	props := fmt.Sprintf(`# Generated by riskwatch (internal/servers); rewritten on every start.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@%[2]s
listeners=PLAINTEXT://%[1]s,CONTROLLER://%[2]s
advertised.listeners=PLAINTEXT://%[1]s
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=%[3]s
num.partitions=%[4]d
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
delete.topic.enable=true
num.network.threads=2
num.io.threads=4
# After a crash the restarted broker cannot register again until the
# controller has expired the old registration; a shorter session than the
# default 9 s makes Kill followed by Start faster.
broker.heartbeat.interval.ms=1000
broker.session.timeout.ms=4000
`, k.Addr, k.ControllerAddr, k.dataDir(), k.Partitions)
	if k.saslSSL != nil {
		keystore := filepath.Join(k.Dir, "sasl-ssl-keystore.pem")
		if err := k.saslSSL.pemKeystore(keystore); err != nil {
			return err
		}
		props = k.saslSSL.properties(props, k.SecureAddr, keystore)
	}
	if err := os.WriteFile(k.propertiesPath(), []byte(props), 0o644); err != nil {
		return fmt.Errorf("cannot write Kafka server.properties: %w", err)
	}
	return nil
}

// formatStorage runs `kafka.tools.StorageTool format` unless the data
// directory is already formatted (holds meta.properties). With a static
// controller.quorum.voters list, plain format works on Kafka 3.9 and 4.x.
func (k *Kafka) formatStorage(ctx context.Context) error {
	if _, err := os.Stat(filepath.Join(k.dataDir(), "meta.properties")); err == nil {
		return nil
	}
	clusterID, err := newKafkaUUID()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, kafkaFormatTimeout)
	defer cancel()
	argv := []string{k.java, "-Xmx256m", "-cp", filepath.Join(k.JarsDir, "*"),
		"kafka.tools.StorageTool", "format", "-t", clusterID, "-c", k.propertiesPath()}
	if k.saslSSL != nil {
		argv = append(argv, k.saslSSL.scramArgs()...)
	}
	p, err := startProcess("Kafka StorageTool", argv, k.Dir, k.logPath())
	if err != nil {
		return err
	}
	select {
	case <-p.done:
	case <-ctx.Done():
		p.kill()
		return fmt.Errorf("Kafka storage format: %w\n--- tail of %s:\n%s", ctx.Err(), k.logPath(), tailFile(k.logPath(), 4096))
	}
	if p.waitErr != nil {
		return fmt.Errorf("Kafka storage format %s\n--- tail of %s:\n%s", p.exitError(), k.logPath(), tailFile(k.logPath(), 4096))
	}
	k.log.Debug("Kafka storage formatted", "cluster_id", clusterID, "dir", k.dataDir())
	return nil
}

// newKafkaUUID returns a random Kafka Uuid in its string form, the URL-safe
// unpadded base64 of 16 random bytes, as `StorageTool random-uuid` prints it
// but without starting a JVM. Like Kafka, it avoids ids starting with '-',
// which command-line parsers mistake for flags.
func newKafkaUUID() (string, error) {
	for {
		var b [16]byte
		if _, err := rand.Read(b[:]); err != nil {
			return "", fmt.Errorf("Kafka cluster id: %w", err)
		}
		if s := base64.RawURLEncoding.EncodeToString(b[:]); s[0] != '-' {
			return s, nil
		}
	}
}

// waitReady sends metadata requests until the broker answers one listing
// exactly one broker, p exits, ctx ends or kafkaReadyTimeout passes. It uses
// kafka.Client (never Conn.Brokers or Conn.Controller, whose protocol
// versions Kafka 4 removed).
func (k *Kafka) waitReady(ctx context.Context, p *process) error {
	ctx, cancel := context.WithTimeout(ctx, kafkaReadyTimeout)
	defer cancel()
	transport := &kafka.Transport{DialTimeout: 2 * time.Second, IdleTimeout: time.Second}
	defer transport.CloseIdleConnections()
	client := &kafka.Client{Addr: kafka.TCP(k.Addr), Timeout: 5 * time.Second, Transport: transport}
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		resp, err := client.Metadata(ctx, &kafka.MetadataRequest{})
		switch {
		case err != nil:
			last = err
		case len(resp.Brokers) != 1:
			last = fmt.Errorf("metadata lists %d brokers, want 1", len(resp.Brokers))
		default:
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("Kafka %s %s before answering a metadata request\n--- tail of %s:\n%s",
				k.Version, p.exitError(), k.logPath(), tailFile(k.logPath(), 4096))
		case <-ctx.Done():
			return fmt.Errorf("Kafka %s at %s did not answer a metadata request: %w (last: %v)\n--- tail of %s:\n%s",
				k.Version, k.Addr, ctx.Err(), last, k.logPath(), tailFile(k.logPath(), 4096))
		case <-tick.C:
		}
	}
}
