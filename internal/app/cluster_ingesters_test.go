package app_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/ingest"
	"github.com/riskwatch/riskwatch/internal/app"
	"github.com/riskwatch/riskwatch/internal/testenv"
	"github.com/riskwatch/riskwatch/store"
)

// mainArgsEnv, when set in the environment of this test binary, makes it
// run the riskwatch command line with the JSON-encoded arguments instead of
// the tests: the tests start real `riskwatch ingest` processes they can kill
// with SIGKILL.
const mainArgsEnv = "RISKWATCH_TEST_MAIN_ARGS"

func init() {
	if v := os.Getenv(mainArgsEnv); v != "" {
		var args []string
		if err := json.Unmarshal([]byte(v), &args); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		os.Exit(app.Main(args, os.Stdout, os.Stderr))
	}
}

// ingester is a `riskwatch ingest` process.
type ingester struct {
	cmd  *exec.Cmd
	base string // http://127.0.0.1:port
	done chan struct{}
	out  *syncBuffer
}

// startIngester starts `riskwatch ingest --config cfg` as a child process and
// waits until it prints its HTTP address.
func startIngester(t *testing.T, cfg string) *ingester {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	args, _ := json.Marshal([]string{"ingest", "--config", cfg})
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), mainArgsEnv+"="+string(args))
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdout, _ := cmd.StdoutPipe()
	in := &ingester{cmd: cmd, done: make(chan struct{}), out: &syncBuffer{}}
	cmd.Stderr = in.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-in.done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-in.done
		}
	})
	found := make(chan string, 1)
	go func() {
		// The metrics listener's address: the group lag and the inserted
		// rows are read from /metrics there.
		re := regexp.MustCompile(`监控指标 metrics: +(http://127\.0\.0\.1:\d+)/metrics`)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			in.out.Write([]byte(sc.Text() + "\n"))
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
		_ = cmd.Wait()
		close(in.done)
	}()
	select {
	case in.base = <-found:
	case <-in.done:
		t.Fatalf("ingester exited: %s", in.out.String())
	case <-time.After(2 * time.Minute):
		t.Fatalf("ingester printed no address in 2 min: %s", in.out.String())
	}
	return in
}

// metric returns the lines of base/metrics that start with name.
func metric(base, name string) []string {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, name) {
			out = append(out, l)
		}
	}
	return out
}

// TestClusterThreeIngestersOneKilled runs three `riskwatch ingest` processes
// in one consumer group over a 12-partition topic into the cluster, kills
// one with SIGKILL in the middle of the stream, and requires the cluster to
// hold exactly the produced cases and versions: the survivors take over the
// dead one's partitions from its last committed offsets, and what it had
// stored without committing collapses when delivered again. Every ingester
// exports the group's lag per partition, which ends at 0 on all 12.
func TestClusterThreeIngestersOneKilled(t *testing.T) {
	k := testenv.Kafka(t)
	c := testenv.NewCluster(t)
	db := testenv.FreshDatabase(t, "clthree")
	topic := "disputes_" + db
	cfg := clusterConfig(t, c.Addrs(), "riskwatch", db, k.Addr, topic, "g_"+db)
	if err := ingest.EnsureTopics(context.Background(), ingest.Plain(k.Addr), ingest.TopicSpec{Name: topic, Partitions: 12}); err != nil {
		t.Fatal(err)
	}
	runCmd(t, "migrate", "--config", cfg)
	st, err := store.Open(context.Background(), store.Options{Addrs: c.Addrs(), Database: db, Username: "default", Cluster: "riskwatch",
		DialTimeout: 5 * time.Second, ReadTimeout: time.Minute, MaxOpenConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var ins []*ingester
	for range 3 {
		ins = append(ins, startIngester(t, cfg))
	}
	p := ingest.NewProducer(ingest.Plain(k.Addr), topic)
	defer p.Close()

	const n = 8000
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); produceCases(t, p, "t", 0, n, 200*time.Millisecond) }()
	// Kill one once every ingester has stored something.
	for deadline := time.Now().Add(3 * time.Minute); ; time.Sleep(500 * time.Millisecond) {
		busy := 0
		for _, in := range ins {
			for _, l := range metric(in.base, "riskwatch_ingest_inserted_rows_total ") {
				if !strings.HasSuffix(l, " 0") {
					busy++
				}
			}
		}
		if busy == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 3 min only %d of 3 ingesters stored rows", busy)
		}
	}
	victim := ins[1]
	if err := victim.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-victim.done
	t.Logf("killed ingester %d with SIGKILL", victim.cmd.Process.Pid)
	wg.Wait()
	waitStats(t, st, store.CaseStats{Rows: n, Distinct: n, Events: n + n/10}, 4*time.Minute)

	var lags []string
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(time.Second) {
		lags = metric(ins[0].base, "riskwatch_ingest_group_lag{")
		zero := 0
		for _, l := range lags {
			if strings.HasSuffix(l, "} 0") {
				zero++
			}
		}
		if len(lags) == 12 && zero == 12 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("group lag on a survivor's /metrics: %v; want 12 partitions at 0", lags)
		}
	}
}
