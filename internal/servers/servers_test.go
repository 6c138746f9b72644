package servers_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	metadataAPI "github.com/segmentio/kafka-go/protocol/metadata"

	"github.com/riskwatch/riskwatch/internal/servers"
	"github.com/riskwatch/riskwatch/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// versionPattern matches the versions the servers report.
var versionPattern = regexp.MustCompile(`^\d+\.\d+(\.\d+)*`)

func testContext(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

// query runs sql on c and fails the test on error.
func query(t *testing.T, ctx context.Context, c *servers.ClickHouse, sql string) string {
	t.Helper()
	out, err := c.Query(ctx, sql)
	if err != nil {
		t.Fatalf("query %q: %v", sql, err)
	}
	return strings.TrimSpace(out)
}

// httpGet fetches url and returns the status code and body.
func httpGet(ctx context.Context, url string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, "", err
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

// processGone reports whether pid no longer exists (it has exited and been
// reaped).
func processGone(pid int) bool {
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

// listenPorts returns the local addresses of the listening TCP sockets that
// process pid holds, read from /proc.
func listenPorts(t *testing.T, pid int) []string {
	t.Helper()
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Skipf("cannot inspect the sockets of pid %d: %v", pid, err)
	}
	inodes := map[string]bool{}
	for _, fd := range fds {
		target, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if err == nil && strings.HasPrefix(target, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(target, "socket:["), "]")] = true
		}
	}
	var addrs []string
	for _, table := range []string{"tcp", "tcp6"} {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/%s", pid, table))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n")[1:] {
			f := strings.Fields(line)
			if len(f) < 10 || f[3] != "0A" || !inodes[f[9]] { // 0A is TCP_LISTEN
				continue
			}
			addrs = append(addrs, decodeProcAddr(t, f[1]))
		}
	}
	slices.Sort(addrs)
	return addrs
}

// decodeProcAddr turns a /proc/net/tcp{,6} address (hex IP in host byte
// order per 32-bit word, colon, hex port) into host:port.
func decodeProcAddr(t *testing.T, s string) string {
	t.Helper()
	hexIP, hexPort, ok := strings.Cut(s, ":")
	port, err := strconv.ParseUint(hexPort, 16, 16)
	if !ok || err != nil || len(hexIP)%8 != 0 {
		t.Fatalf("bad /proc address %q", s)
	}
	ip := make(net.IP, 0, len(hexIP)/2)
	for w := 0; w < len(hexIP); w += 8 {
		word, err := strconv.ParseUint(hexIP[w:w+8], 16, 32)
		if err != nil {
			t.Fatalf("bad /proc address %q", s)
		}
		ip = append(ip, byte(word), byte(word>>8), byte(word>>16), byte(word>>24))
	}
	return net.JoinHostPort(ip.String(), strconv.FormatUint(port, 10))
}

// assertListensOnly checks that pid listens on exactly want, all on
// 127.0.0.1.
func assertListensOnly(t *testing.T, pid int, want ...string) {
	t.Helper()
	got := listenPorts(t, pid)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("pid %d listens on %v, want exactly %v (loopback only)", pid, got, want)
	}
}

func TestClickHouseShared(t *testing.T) {
	c := testenv.ClickHouse(t)
	ctx := testContext(t, time.Minute)

	if !versionPattern.MatchString(c.Version) {
		t.Errorf("Version = %q, want a version number", c.Version)
	}
	t.Logf("ClickHouse version %s, binary %s", c.Version, c.Binary)

	code, body, err := httpGet(ctx, "http://"+c.HTTPAddr+"/ping")
	if err != nil || code != http.StatusOK || body != "Ok.\n" {
		t.Errorf("GET /ping = %d %q, %v; want 200 \"Ok.\\n\"", code, body, err)
	}
	if got := query(t, ctx, c, "SELECT version()"); got != c.Version {
		t.Errorf("SELECT version() = %q, Version = %q", got, c.Version)
	}
	if got := query(t, ctx, c, "SELECT timezone()"); got != "UTC" && got != "Etc/UTC" {
		t.Errorf("server timezone = %q, want UTC", got)
	}
	if _, err := c.Query(ctx, "SELECT no_such_column"); err == nil {
		t.Error("a bad query did not fail")
	}

	host, _, err := net.SplitHostPort(c.Addr)
	if err != nil || host != "127.0.0.1" {
		t.Errorf("Addr = %q, want 127.0.0.1:port", c.Addr)
	}
	if !c.Running() || c.PID() == 0 {
		t.Fatalf("Running() = %v, PID() = %d for the shared server", c.Running(), c.PID())
	}
	assertListensOnly(t, c.PID(), c.Addr, c.HTTPAddr)
}

func TestClickHouseKillStartKeepsData(t *testing.T) {
	c := testenv.NewClickHouse(t)
	ctx := testContext(t, 3*time.Minute)

	query(t, ctx, c, "CREATE TABLE t (x UInt8) ENGINE = TinyLog")
	query(t, ctx, c, "INSERT INTO t VALUES (7)")

	pid := c.PID()
	if err := c.Kill(); err != nil {
		t.Fatalf("Kill: %v", err)
	}
	if c.Running() || c.PID() != 0 {
		t.Errorf("after Kill: Running() = %v, PID() = %d", c.Running(), c.PID())
	}
	if !processGone(pid) {
		t.Errorf("after Kill: pid %d still exists", pid)
	}
	if _, _, err := httpGet(ctx, "http://"+c.HTTPAddr+"/ping"); err == nil {
		t.Error("after Kill: /ping still answers")
	}
	if err := c.Kill(); err != nil {
		t.Errorf("second Kill: %v", err)
	}

	if err := c.Start(ctx); err != nil {
		t.Fatalf("Start after Kill: %v", err)
	}
	if err := c.Start(ctx); err == nil {
		t.Error("Start on a running server did not fail")
	}
	if got := query(t, ctx, c, "EXISTS TABLE t"); got != "1" {
		t.Errorf("after Kill and Start: EXISTS TABLE t = %q, want 1", got)
	}
	if got := query(t, ctx, c, "SELECT sum(x) FROM t"); got != "7" {
		t.Errorf("after Kill and Start: SELECT sum(x) = %q, want 7", got)
	}

	pid = c.PID()
	if err := c.Restart(ctx); err != nil {
		t.Fatalf("Restart: %v", err)
	}
	if !processGone(pid) {
		t.Errorf("after Restart: old pid %d still exists", pid)
	}
	if got := query(t, ctx, c, "SELECT count() FROM t"); got != "1" {
		t.Errorf("after Restart: SELECT count() = %q, want 1", got)
	}

	pid = c.PID()
	if err := c.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if !processGone(pid) {
		t.Errorf("after Stop: pid %d still exists", pid)
	}
	if _, err := os.Stat(c.Dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("after Stop: temporary dir %s still exists (stat: %v)", c.Dir, err)
	}
	if err := c.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if err := c.Start(ctx); err == nil {
		t.Error("Start after Stop removed the temporary dir did not fail")
	}
}

func TestClickHouseOwnDirSurvivesStop(t *testing.T) {
	if _, err := servers.FindClickHouse(); err != nil {
		t.Skip("no ClickHouse server binary (run make deps)")
	}
	dir := filepath.Join(t.TempDir(), "clickhouse")
	ctx := testContext(t, 3*time.Minute)

	c, err := servers.StartClickHouse(ctx, servers.ClickHouseOptions{Dir: dir})
	if err != nil {
		t.Fatalf("StartClickHouse: %v", err)
	}
	t.Cleanup(func() { c.Stop() })
	query(t, ctx, c, "CREATE DATABASE d")
	query(t, ctx, c, "CREATE TABLE d.t (s String) ENGINE = TinyLog")
	query(t, ctx, c, "INSERT INTO d.t VALUES ('kept')")

	cfg, err := os.ReadFile(filepath.Join(dir, "config.xml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<yandex>", "<listen_host>127.0.0.1</listen_host>", "<timezone>UTC</timezone>"} {
		if !strings.Contains(string(cfg), want) {
			t.Errorf("config.xml lacks %s", want)
		}
	}
	if strings.Contains(string(cfg), "interserver") {
		t.Error("config.xml configures an interserver port")
	}

	if err := c.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "config.xml")); err != nil {
		t.Fatalf("Stop removed a caller-supplied Dir: %v", err)
	}

	// A new server on the same Dir and ports, as `riskwatch run` does on its
	// next start, sees the data.
	c2, err := servers.StartClickHouse(ctx, servers.ClickHouseOptions{Dir: dir, TCPPort: c.TCPPort, HTTPPort: c.HTTPPort})
	if err != nil {
		t.Fatalf("StartClickHouse on the same Dir: %v", err)
	}
	t.Cleanup(func() { c2.Stop() })
	if c2.Addr != c.Addr || c2.HTTPAddr != c.HTTPAddr {
		t.Errorf("second server at %s/%s, want %s/%s", c2.Addr, c2.HTTPAddr, c.Addr, c.HTTPAddr)
	}
	if got := query(t, ctx, c2, "SELECT s FROM d.t"); got != "kept" {
		t.Errorf("after a new start on the same Dir: SELECT s = %q, want kept", got)
	}
	if err := c2.StopKeep(); err != nil {
		t.Fatalf("StopKeep: %v", err)
	}
	if err := c2.Start(ctx); err != nil {
		t.Fatalf("Start after StopKeep: %v", err)
	}
	if got := query(t, ctx, c2, "SELECT count() FROM d.t"); got != "1" {
		t.Errorf("after StopKeep and Start: count() = %q, want 1", got)
	}
}

func TestClickHouseStartFailureShowsLog(t *testing.T) {
	if _, err := servers.FindClickHouse(); err != nil {
		t.Skip("no ClickHouse server binary (run make deps)")
	}
	// Hold the HTTP port so that the server cannot bind it.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	dir := t.TempDir()

	c, err := servers.StartClickHouse(testContext(t, time.Minute), servers.ClickHouseOptions{Dir: dir, HTTPPort: port})
	if err == nil {
		c.Stop()
		t.Fatal("StartClickHouse succeeded on a busy HTTP port")
	}
	t.Logf("expected error: %v", err)
	if !strings.Contains(err.Error(), "clickhouse-server.err.log") || !strings.Contains(strings.ToLower(err.Error()), "address already in use") {
		t.Errorf("error does not carry the server's error log: %v", err)
	}
}

func TestClickHouseMissingBinary(t *testing.T) {
	_, err := servers.StartClickHouse(t.Context(), servers.ClickHouseOptions{Binary: "/nonexistent/clickhouse"})
	if !errors.Is(err, servers.ErrClickHouseNotFound) {
		t.Fatalf("err = %v, want ErrClickHouseNotFound", err)
	}
	if !strings.Contains(err.Error(), "make deps") || !strings.Contains(err.Error(), "apt-get install clickhouse-server") {
		t.Errorf("error does not say how to install ClickHouse: %v", err)
	}
}

// kafkaClient returns a kafka-go client for k whose idle connections are
// closed when the test ends.
func kafkaClient(t *testing.T, k *servers.Kafka) *kafka.Client {
	tr := &kafka.Transport{DialTimeout: 5 * time.Second}
	t.Cleanup(tr.CloseIdleConnections)
	return &kafka.Client{Addr: kafka.TCP(k.Addr), Timeout: 10 * time.Second, Transport: tr}
}

// topicNames returns the names of the topics the broker lists.
func topicNames(t *testing.T, ctx context.Context, client *kafka.Client) []string {
	t.Helper()
	md, err := client.Metadata(ctx, &kafka.MetadataRequest{})
	if err != nil {
		t.Fatalf("Metadata: %v", err)
	}
	var names []string
	for _, topic := range md.Topics {
		names = append(names, topic.Name)
	}
	return names
}

// produce writes one record to partition 0 of topic, retrying while the new
// partition has no leader yet, and returns its offset.
func produce(t *testing.T, ctx context.Context, client *kafka.Client, topic, value string) int64 {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := client.Produce(ctx, &kafka.ProduceRequest{
			Topic:        topic,
			Partition:    0,
			RequiredAcks: kafka.RequireAll,
			Records:      kafka.NewRecordReader(kafka.Record{Value: kafka.NewBytes([]byte(value))}),
		})
		if err == nil {
			err = resp.Error
		}
		if err == nil {
			return resp.BaseOffset
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			t.Fatalf("Produce to %s: %v", topic, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestKafkaShared(t *testing.T) {
	k := testenv.Kafka(t)
	ctx := testContext(t, 2*time.Minute)

	if !versionPattern.MatchString(k.Version) || k.Version != testenv.KafkaVersion() {
		t.Errorf("Version = %q, want %s", k.Version, testenv.KafkaVersion())
	}
	t.Logf("Apache Kafka version %s from %s", k.Version, k.JarsDir)

	client := kafkaClient(t, k)
	md, err := client.Metadata(ctx, &kafka.MetadataRequest{})
	if err != nil {
		t.Fatalf("Metadata: %v", err)
	}
	if len(md.Brokers) != 1 || md.Brokers[0].Host != "127.0.0.1" || md.Brokers[0].Port != k.Port || md.Brokers[0].ID != 1 {
		t.Errorf("Metadata brokers = %+v, want node 1 at %s", md.Brokers, k.Addr)
	}

	// Create a topic, write a record and read it back.
	topic := "servers-test-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	created, err := client.CreateTopics(ctx, &kafka.CreateTopicsRequest{
		Topics: []kafka.TopicConfig{{Topic: topic, NumPartitions: 1, ReplicationFactor: 1}},
	})
	if err != nil || created.Errors[topic] != nil {
		t.Fatalf("CreateTopics: %v, %v", err, created)
	}
	offset := produce(t, ctx, client, topic, "hello")
	fetched, err := client.Fetch(ctx, &kafka.FetchRequest{Topic: topic, Partition: 0, Offset: offset, MinBytes: 1, MaxBytes: 1 << 20, MaxWait: time.Second})
	if err != nil || fetched.Error != nil {
		t.Fatalf("Fetch: %v, %v", err, fetched.Error)
	}
	rec, err := fetched.Records.ReadRecord()
	if err != nil {
		t.Fatalf("ReadRecord: %v", err)
	}
	value, err := io.ReadAll(rec.Value)
	if err != nil || string(value) != "hello" {
		t.Errorf("fetched %q, %v; want hello", value, err)
	}

	// A metadata request that allows auto-creation creates a topic with the
	// configured partition count.
	auto := topic + "-auto"
	tr := &kafka.Transport{DialTimeout: 5 * time.Second}
	defer tr.CloseIdleConnections()
	var partitions int
	for attempt := 0; attempt < 50 && partitions == 0; attempt++ {
		msg, err := tr.RoundTrip(ctx, kafka.TCP(k.Addr), &metadataAPI.Request{TopicNames: []string{auto}, AllowAutoTopicCreation: true})
		if err != nil {
			t.Fatalf("metadata with auto-creation: %v", err)
		}
		if resp := msg.(*metadataAPI.Response); len(resp.Topics) == 1 && resp.Topics[0].ErrorCode == 0 {
			partitions = len(resp.Topics[0].Partitions)
		} else {
			time.Sleep(100 * time.Millisecond)
		}
	}
	if k.Partitions != 4 || partitions != k.Partitions {
		t.Errorf("auto-created topic has %d partitions, Partitions = %d; want 4 (the default)", partitions, k.Partitions)
	}

	if !k.Running() || k.PID() == 0 {
		t.Fatalf("Running() = %v, PID() = %d for the shared broker", k.Running(), k.PID())
	}
	assertListensOnly(t, k.PID(), k.Addr, k.ControllerAddr)
}

func TestKafkaKillStartStop(t *testing.T) {
	k := testenv.NewKafka(t)
	ctx := testContext(t, 4*time.Minute)
	client := kafkaClient(t, k)

	topic := "persisted"
	if _, err := client.CreateTopics(ctx, &kafka.CreateTopicsRequest{
		Topics: []kafka.TopicConfig{{Topic: topic, NumPartitions: 2, ReplicationFactor: 1}},
	}); err != nil {
		t.Fatalf("CreateTopics: %v", err)
	}
	produce(t, ctx, client, topic, "before kill")

	pid := k.PID()
	start := time.Now()
	if err := k.Kill(); err != nil {
		t.Fatalf("Kill: %v", err)
	}
	t.Logf("Kill took %v", time.Since(start))
	if k.Running() || !processGone(pid) {
		t.Errorf("after Kill: Running() = %v, pid %d gone = %v", k.Running(), pid, processGone(pid))
	}
	start = time.Now()
	if err := k.Start(ctx); err != nil {
		t.Fatalf("Start after Kill: %v", err)
	}
	t.Logf("Start after Kill took %v", time.Since(start))
	client = kafkaClient(t, k)
	if names := topicNames(t, ctx, client); !slices.Contains(names, topic) {
		t.Errorf("after Kill and Start: topics %v lack %q", names, topic)
	}
	if off := produce(t, ctx, client, topic, "after restart"); off != 1 {
		t.Errorf("after Kill and Start: next offset = %d, want 1", off)
	}

	pid = k.PID()
	dir := k.Dir
	start = time.Now()
	if err := k.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	t.Logf("Stop took %v", time.Since(start))
	if !processGone(pid) {
		t.Errorf("Stop returned before the JVM (pid %d) exited", pid)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("after Stop: temporary dir %s still exists (stat: %v)", dir, err)
	}
	if err := k.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if err := k.Start(ctx); err == nil {
		t.Error("Start after Stop removed the temporary dir did not fail")
	}
}

func TestKafkaJarsVersion(t *testing.T) {
	dir := t.TempDir()
	touch := func(name string) {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := servers.KafkaJarsVersion(dir); !errors.Is(err, servers.ErrKafkaJarsNotFound) {
		t.Errorf("empty dir: err = %v, want ErrKafkaJarsNotFound", err)
	}
	touch("kafka-clients-3.9.1.jar")
	if _, err := servers.KafkaJarsVersion(dir); !errors.Is(err, servers.ErrKafkaJarsNotFound) {
		t.Errorf("without kafka_2.13 jar: err = %v, want ErrKafkaJarsNotFound", err)
	}
	touch("kafka_2.13-3.9.1.jar")
	touch("kafka-server-3.9.1.jar")
	if v, err := servers.KafkaJarsVersion(dir); err != nil || v != "3.9.1" {
		t.Errorf("KafkaJarsVersion = %q, %v; want 3.9.1", v, err)
	}
	if _, err := servers.StartKafka(t.Context(), servers.KafkaOptions{JarsDir: filepath.Join(dir, "missing")}); !errors.Is(err, servers.ErrKafkaJarsNotFound) && !errors.Is(err, servers.ErrJavaNotFound) {
		t.Errorf("StartKafka without jars: err = %v, want ErrKafkaJarsNotFound", err)
	}
}

func TestKafkaJarsDir(t *testing.T) {
	t.Setenv("RISKWATCH_KAFKA_JARS", "")
	t.Setenv("HOME", "/home/someone")
	if got, want := servers.KafkaJarsDir("4.4.0"), "/home/someone/.cache/riskwatch/kafka-4.4.0"; got != want {
		t.Errorf("KafkaJarsDir = %q, want %q", got, want)
	}
	t.Setenv("RISKWATCH_KAFKA_JARS", "/opt/kafka/libs")
	if got := servers.KafkaJarsDir("4.4.0"); got != "/opt/kafka/libs" {
		t.Errorf("KafkaJarsDir with RISKWATCH_KAFKA_JARS = %q", got)
	}
}
