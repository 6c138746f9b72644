package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/internal/servers"
)

// DefaultKafkaVersion is the Kafka version the tests run against unless
// RISKWATCH_KAFKA_VERSION says otherwise.
const DefaultKafkaVersion = "4.4.0"

// startTimeout bounds the start of one server, including a cold JVM.
const startTimeout = 3 * time.Minute

// shared holds the servers shared by all tests of one test binary. A failed
// start is remembered, so later tests fail or skip at once instead of paying
// for the same failure again.
var shared struct {
	mu sync.Mutex

	clickHouse        *servers.ClickHouse
	clickHouseErr     error
	clickHouseSkip    bool // clickHouseErr means "not installed", not "broken"
	clickHouseStarted bool

	kafka        *servers.Kafka
	kafkaErr     error
	kafkaSkip    bool
	kafkaStarted bool
}

// Main runs the tests of m, calls stops (in order), stops every shared
// server this package started and exits with the tests' status. stops
// end what the package's tests share beyond one test and that uses the
// shared servers (a service run by several tests): they run before the
// servers stop, also when a test failed, and an error of one is printed
// and fails the run. Everything is stopped even if m.Run panics. Packages
// that use ClickHouse or Kafka call it from TestMain.
func Main(m *testing.M, stops ...func() error) {
	os.Exit(runMain(m, stops, stopShared))
}

// runMain is Main without the exit: it returns the exit code.
func runMain(m interface{ Run() int }, stops []func() error, stopServers func()) int {
	stopped := false
	stopAll := func() int {
		if stopped {
			return 0
		}
		stopped = true
		code := 0
		for _, stop := range stops {
			if err := stop(); err != nil {
				fmt.Fprintf(os.Stderr, "testenv: %v\n", err)
				code = 1
			}
		}
		stopServers()
		return code
	}
	defer stopAll() // on a panic in m.Run
	code := m.Run()
	if c := stopAll(); code == 0 {
		code = c
	}
	return code
}

// stopShared stops the shared servers that are running. It is safe to call
// more than once.
func stopShared() {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.clickHouse != nil {
		if err := shared.clickHouse.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "cannot stop the shared ClickHouse server: %v\n", err)
		}
		shared.clickHouse = nil
	}
	if shared.kafka != nil {
		if err := shared.kafka.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "cannot stop the shared Apache Kafka broker: %v\n", err)
		}
		shared.kafka = nil
	}
}

// inCI reports whether the tests run under CI (CI=true), where a missing
// server is a failure rather than a reason to skip.
func inCI() bool {
	switch strings.ToLower(strings.TrimSpace(os.Getenv("CI"))) {
	case "true", "1", "yes":
		return true
	}
	return false
}

// missing skips the test, or fails it under CI=true, because a server is not
// installed.
func missing(t testing.TB, msg string) {
	t.Helper()
	if inCI() {
		t.Fatalf("%s; CI=true requires the real server, so this is a failure, not a skip", msg)
	}
	t.Skip(msg)
}

// ReadOnlyUser and ReadOnlyPassword log in to the shared ClickHouse
// server with the "readonly" profile (readonly = 1), as the API and the
// reports do in production.
const (
	ReadOnlyUser     = "riskwatch_ro"
	ReadOnlyPassword = "ro-test-password"
)

// SharedUsers are the users the shared ClickHouse server has besides
// "default".
var SharedUsers = []servers.ClickHouseUser{{Name: ReadOnlyUser, Password: ReadOnlyPassword, ReadOnly: true}}

// clickHouseMissingMsg is the skip message when no ClickHouse binary exists.
const clickHouseMissingMsg = "no ClickHouse server binary (run make deps)"

// ClickHouse returns the ClickHouse server shared by all tests of this test
// binary, starting it on first use in a temporary directory. Tests must not
// stop or kill it; use NewClickHouse for that, and FreshDatabase to keep
// tests apart. If no ClickHouse binary is installed the test is skipped, or
// fails under CI=true. The package's TestMain must call Main so that the
// server is stopped.
func ClickHouse(t testing.TB) *servers.ClickHouse {
	t.Helper()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if !shared.clickHouseStarted {
		shared.clickHouseStarted = true
		if _, err := servers.FindClickHouse(); err != nil {
			shared.clickHouseErr, shared.clickHouseSkip = err, true
		} else {
			ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
			shared.clickHouse, shared.clickHouseErr = servers.StartClickHouse(ctx, servers.ClickHouseOptions{Users: SharedUsers})
			cancel()
			if shared.clickHouseErr == nil {
				c := shared.clickHouse
				t.Logf("testenv: ClickHouse %s at %s (HTTP %s, dir %s)", c.Version, c.Addr, c.HTTPAddr, c.Dir)
				fmt.Printf("testenv: ClickHouse %s at %s\n", c.Version, c.Addr)
			}
		}
	}
	if shared.clickHouseSkip {
		missing(t, clickHouseMissingMsg)
	}
	if shared.clickHouseErr != nil {
		t.Fatalf("the shared ClickHouse server did not start: %v", shared.clickHouseErr)
	}
	return shared.clickHouse
}

// NewClickHouse starts a private ClickHouse server in a temporary directory
// for a test that stops, kills or restarts it, and stops it and removes the
// directory when the test ends. It skips or fails like ClickHouse when no
// binary is installed.
func NewClickHouse(t testing.TB) *servers.ClickHouse {
	t.Helper()
	if _, err := servers.FindClickHouse(); err != nil {
		missing(t, clickHouseMissingMsg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	c, err := servers.StartClickHouse(ctx, servers.ClickHouseOptions{})
	if err != nil {
		t.Fatalf("cannot start a private ClickHouse server: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Stop(); err != nil {
			t.Errorf("cannot stop the private ClickHouse server: %v", err)
		}
	})
	t.Logf("testenv: private ClickHouse %s at %s (dir %s)", c.Version, c.Addr, c.Dir)
	return c
}

// KafkaVersion returns the Kafka version the tests run against:
// $RISKWATCH_KAFKA_VERSION, or DefaultKafkaVersion.
func KafkaVersion() string {
	if v := strings.TrimSpace(os.Getenv("RISKWATCH_KAFKA_VERSION")); v != "" {
		return v
	}
	return DefaultKafkaVersion
}

// kafkaOptions returns the options for a test broker, or a message saying
// what is missing.
func kafkaOptions() (servers.KafkaOptions, string) {
	version := KafkaVersion()
	dir := servers.KafkaJarsDir(version)
	if _, err := servers.KafkaJarsVersion(dir); err != nil {
		return servers.KafkaOptions{}, fmt.Sprintf("no Apache Kafka %s jars in %s (run make deps, or scripts/kafka-jars.sh %s): %v",
			version, dir, version, err)
	}
	if _, err := servers.FindJava(); err != nil {
		return servers.KafkaOptions{}, "no java on PATH to run Apache Kafka (run make deps)"
	}
	return servers.KafkaOptions{JarsDir: dir}, ""
}

// Kafka returns the Apache Kafka broker shared by all tests of this test
// binary, starting it on first use in a temporary directory. The version is
// $RISKWATCH_KAFKA_VERSION (default DefaultKafkaVersion) and the jars come
// from servers.KafkaJarsDir. Tests must not stop or kill it; use NewKafka for
// that, and unique topic and group names to keep tests apart. If the jars or
// java are missing the test is skipped, or fails under CI=true. The package's
// TestMain must call Main so that the broker is stopped.
func Kafka(t testing.TB) *servers.Kafka {
	t.Helper()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if !shared.kafkaStarted {
		shared.kafkaStarted = true
		if o, msg := kafkaOptions(); msg != "" {
			shared.kafkaErr, shared.kafkaSkip = errors.New(msg), true
		} else {
			ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
			shared.kafka, shared.kafkaErr = servers.StartKafka(ctx, o)
			cancel()
			if shared.kafkaErr == nil {
				k := shared.kafka
				t.Logf("testenv: Apache Kafka %s at %s (dir %s)", k.Version, k.Addr, k.Dir)
				fmt.Printf("testenv: Apache Kafka %s at %s\n", k.Version, k.Addr)
			}
		}
	}
	if shared.kafkaSkip {
		missing(t, shared.kafkaErr.Error())
	}
	if shared.kafkaErr != nil {
		t.Fatalf("the shared Apache Kafka broker did not start: %v", shared.kafkaErr)
	}
	return shared.kafka
}

// NewKafka starts a private Apache Kafka broker in a temporary directory for
// a test that stops, kills or restarts it, and stops it and removes the
// directory when the test ends. It skips or fails like Kafka when the jars
// or java are missing.
func NewKafka(t testing.TB) *servers.Kafka {
	t.Helper()
	o, msg := kafkaOptions()
	if msg != "" {
		missing(t, msg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	k, err := servers.StartKafka(ctx, o)
	if err != nil {
		t.Fatalf("cannot start a private Apache Kafka broker: %v", err)
	}
	t.Cleanup(func() {
		if err := k.Stop(); err != nil {
			t.Errorf("cannot stop the private Apache Kafka broker: %v", err)
		}
	})
	t.Logf("testenv: private Apache Kafka %s at %s (dir %s)", k.Version, k.Addr, k.Dir)
	return k
}

// identifier matches names usable unquoted in ClickHouse.
var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// FreshDatabase returns a database name that no other test uses, prefix
// followed by an underscore and 16 random hex digits, for example
// "store_3f9a0c1d2e4b5a67". It does not create the database; the caller's
// store package does. prefix must be a plain identifier (letters, digits and
// underscores, not starting with a digit).
func FreshDatabase(t testing.TB, prefix string) string {
	t.Helper()
	if !identifier.MatchString(prefix) {
		t.Fatalf("FreshDatabase prefix %q is not a plain identifier", prefix)
	}
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatalf("cannot draw a fresh database name: %v", err)
	}
	return prefix + "_" + hex.EncodeToString(b[:])
}

// NewSecureKafka starts a private Apache Kafka broker like NewKafka, with
// a SASL_SSL listener as well (servers.Kafka.SecureAddr) configured by s.
func NewSecureKafka(t testing.TB, s servers.KafkaSASLSSL) *servers.Kafka {
	t.Helper()
	o, msg := kafkaOptions()
	if msg != "" {
		missing(t, msg)
	}
	o.SASLSSL = &s
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	k, err := servers.StartKafka(ctx, o)
	if err != nil {
		t.Fatalf("testenv: start a private Apache Kafka broker with SASL_SSL: %v", err)
	}
	t.Cleanup(func() {
		if err := k.Stop(); err != nil {
			t.Errorf("testenv: stop the private Apache Kafka broker: %v", err)
		}
	})
	t.Logf("testenv: private Apache Kafka %s at %s, SASL_SSL at %s (dir %s)", k.Version, k.Addr, k.SecureAddr, k.Dir)
	return k
}
