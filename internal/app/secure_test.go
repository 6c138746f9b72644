package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/internal/app"
	"github.com/riskwatch/riskwatch/internal/servers"
	"github.com/riskwatch/riskwatch/internal/testenv"
)

// Canary secrets: none may appear in any output of a run.
const (
	kafkaCanary  = "kafka-canary-7f3a9c"
	ingestCanary = "ingest-canary-51d2e8"
	roCanary     = "readonly-canary-0b6c44"
	migCanary    = "migrate-canary-93aa17"
)

// secureSetup is a SASL_SSL Kafka and a TLS ClickHouse with three users,
// and the files of a configuration using them.
type secureSetup struct {
	k     *servers.Kafka
	ch    *servers.ClickHouse
	certs testenv.Certs
	dir   string
	db    string
}

func newSecureSetup(t *testing.T) *secureSetup {
	t.Helper()
	s := &secureSetup{certs: testenv.NewCerts(t), dir: t.TempDir(), db: testenv.FreshDatabase(t, "secure")}
	if _, err := servers.FindClickHouse(); err != nil {
		testenv.ClickHouse(t) // skips, or fails under CI
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ch, err := servers.StartClickHouse(ctx, servers.ClickHouseOptions{
		TLS: &servers.ClickHouseTLS{CertFile: s.certs.CertFile, KeyFile: s.certs.KeyFile},
		Users: []servers.ClickHouseUser{
			{Name: "rw_ingest", Password: ingestCanary},
			{Name: "rw_reader", Password: roCanary, ReadOnly: true},
			{Name: "rw_admin", Password: migCanary},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ch.Stop() })
	s.ch = ch
	s.k = testenv.NewSecureKafka(t, servers.KafkaSASLSSL{CertFile: s.certs.CertFile, KeyFile: s.certs.KeyFile,
		Users: map[string]string{"rw_kafka": kafkaCanary}})
	for name, pw := range map[string]string{"kafka.pw": kafkaCanary, "ingest.pw": ingestCanary, "ro.pw": roCanary, "mig.pw": migCanary, "wrong.pw": "wrong-password-x"} {
		if err := os.WriteFile(filepath.Join(s.dir, name), []byte(pw+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// config writes a configuration; kafkaPW and kafkaCA pick the password file
// and CA of Kafka, chCA the CA of ClickHouse.
func (s *secureSetup) config(t *testing.T, kafkaPW, kafkaCA, chCA string) string {
	t.Helper()
	return writeConfig(t, fmt.Sprintf(`
clickhouse:
  local: {enabled: false}
  addrs: [%[1]s]
  database: %[2]s
  username: rw_ingest
  password_file: %[3]s/ingest.pw
  tls: {enabled: true, ca_file: %[4]s}
  readonly: {username: rw_reader, password_file: %[3]s/ro.pw}
  migrate: {username: rw_admin, password_file: %[3]s/mig.pw}
kafka:
  embedded: false
  brokers: [%[5]s]
  topic: secure_disputes
  tls: {enabled: true, ca_file: %[6]s}
  sasl: {mechanism: SCRAM-SHA-512, username: rw_kafka, password_file: %[3]s/%[7]s}
jobs: {enabled: false}
http:
  listen: 127.0.0.1:0
log:
  level: debug
  format: json
warnings:
  outbox: %[3]s/outbox.db
reports:
  dir: %[3]s/reports
`, s.ch.SecureAddr, s.db, s.dir, chCA, s.k.SecureAddr, kafkaCA, kafkaPW))
}

// TestSecureRunAndCanarySecrets: with SASL_SSL Kafka and a TLS ClickHouse
// with three users, `check-config`, `gen --produce`, `import` and `run`
// work end to end (records reach the cases table, /healthz is ok), and
// none of the four passwords appears in any output: stdout, the debug
// log, /healthz, /metrics or any table of the database.
func TestSecureRunAndCanarySecrets(t *testing.T) {
	s := newSecureSetup(t)
	cfg := s.config(t, "kafka.pw", s.certs.CAFile, s.certs.CAFile)
	var outputs []string
	cmd := func(args ...string) {
		t.Helper()
		var out, errb syncBuffer
		code := app.MainContext(context.Background(), args, &out, &errb)
		outputs = append(outputs, out.String(), errb.String())
		if code != 0 {
			t.Fatalf("%v exited %d:\n%s\n%s", args, code, out.String(), errb.String())
		}
	}
	cmd("check-config", "--config", cfg)
	cmd("gen", "--config", cfg, "--produce", "--limit", "500", "--seed", "5")
	// The same stream as a file gives the expected number of cases.
	want := distinctCases(t, s.dir, "--limit", "500", "--seed", "5")
	// NYC 311 rows are not in the Tongliao registry: they reach the dead
	// letters and ingest_errors, which must not hold a secret either.
	cmd("import", "--mapping", "nyc311", "--config", cfg, nycSample(t, s.dir, 5))

	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() { done <- app.MainContext(ctx, []string{"run", "--config", cfg}, &out, &errb) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case <-done:
		case <-time.After(40 * time.Second):
			t.Errorf("run did not stop within 40 s")
		}
	}
	defer stop()
	re := regexp.MustCompile(`(http://127\.0\.0\.1:\d+)/healthz`)
	var base string
	for deadline := time.Now().Add(90 * time.Second); base == ""; time.Sleep(50 * time.Millisecond) {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			base = m[1]
		}
		select {
		case code := <-done:
			stopped = true
			t.Fatalf("run exited with %d:\n%s\n%s", code, out.String(), errb.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("run printed no URL:\n%s\n%s", out.String(), errb.String())
		}
	}
	// Every record produced through SASL_SSL reaches ClickHouse over TLS,
	// and the rejected ones ingest_errors.
	var rows string
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		var err error
		rows, err = s.ch.Query(context.Background(), "SELECT uniqExact(case_id), (SELECT count() FROM "+s.db+".ingest_errors) > 0 FROM "+s.db+".cases FORMAT TSV")
		if err == nil && strings.TrimSpace(rows) == fmt.Sprintf("%d\t1", want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("cases and ingest_errors: %q (err %v), want %d cases and some errors\n%s", rows, err, want, errb.String())
		}
	}
	var health string
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		resp, err := http.Get(base + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		health = string(b)
		var rep app.HealthReport
		if json.Unmarshal(b, &rep) == nil && rep.Status == "ok" && rep.Checks["kafka"].OK && rep.Checks["clickhouse"].OK && rep.Checks["ingest"].OK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("healthz: %s", b)
		}
	}
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	stop()
	outputs = append(outputs, out.String(), errb.String(), health, string(metrics))
	if !strings.Contains(errb.String(), `"level":"DEBUG"`) {
		t.Errorf("the run logged nothing at debug level; the canary check would be weak:\n%s", errb.String())
	}
	tables, err := s.ch.Query(context.Background(), "SELECT name FROM system.tables WHERE database = '"+s.db+"' AND engine NOT LIKE '%View%'")
	if err != nil {
		t.Fatal(err)
	}
	for _, tbl := range strings.Fields(tables) {
		dump, err := s.ch.Query(context.Background(), "SELECT * FROM "+s.db+"."+tbl+" FORMAT TSV")
		if err != nil {
			t.Fatalf("dump %s: %v", tbl, err)
		}
		outputs = append(outputs, dump)
	}
	for _, o := range outputs {
		for _, c := range []string{kafkaCanary, ingestCanary, roCanary, migCanary} {
			if strings.Contains(o, c) {
				i := strings.Index(o, c)
				t.Errorf("secret %s appears in an output: …%s…", c, o[max(0, i-200):min(len(o), i+100)])
			}
		}
	}
}

// TestSecureRefusalsNameTheKey: a wrong Kafka password, a Kafka or a
// ClickHouse certificate signed by an untrusted CA make gen, import and
// run fail within seconds with an error naming the key to fix.
func TestSecureRefusalsNameTheKey(t *testing.T) {
	s := newSecureSetup(t)
	rec := nycSample(t, s.dir, 2)
	cases := []struct {
		name string
		cfg  string
		args []string
		key  string
	}{
		{"gen, wrong Kafka password", s.config(t, "wrong.pw", s.certs.CAFile, s.certs.CAFile), []string{"gen", "--produce", "--limit", "5"}, "kafka.sasl.password_file"},
		{"import, wrong Kafka password", s.config(t, "wrong.pw", s.certs.CAFile, s.certs.CAFile), []string{"import", "--mapping", "nyc311", rec}, "kafka.sasl.password_file"},
		{"run, wrong Kafka password", s.config(t, "wrong.pw", s.certs.CAFile, s.certs.CAFile), []string{"run"}, "kafka.sasl.password_file"},
		{"gen, untrusted Kafka CA", s.config(t, "kafka.pw", s.certs.OtherCAFile, s.certs.CAFile), []string{"gen", "--produce", "--limit", "5"}, "kafka.tls.ca_file"},
		{"run, untrusted Kafka CA", s.config(t, "kafka.pw", s.certs.OtherCAFile, s.certs.CAFile), []string{"run"}, "kafka.tls.ca_file"},
		{"run, untrusted ClickHouse CA", s.config(t, "kafka.pw", s.certs.CAFile, s.certs.OtherCAFile), []string{"run"}, "clickhouse.tls.ca_file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			var out, errb syncBuffer
			start := time.Now()
			args := append([]string{c.args[0], "--config", c.cfg}, c.args[1:]...)
			code := app.MainContext(ctx, args, &out, &errb)
			took := time.Since(start)
			if code == 0 {
				t.Fatalf("%v exited 0:\n%s\n%s", args, out.String(), errb.String())
			}
			if !strings.Contains(errb.String(), c.key) {
				t.Errorf("%v: stderr does not name %s:\n%s", args, c.key, errb.String())
			}
			if took > 30*time.Second {
				t.Errorf("%v failed after %v, want within 30 s", args, took)
			}
			for _, secret := range []string{kafkaCanary, ingestCanary, roCanary, migCanary, "wrong-password-x"} {
				if strings.Contains(out.String()+errb.String(), secret) {
					t.Errorf("%v: output holds the secret %s", args, secret)
				}
			}
		})
	}
}

// distinctCases runs `gen` with args into a file and counts its case ids.
func distinctCases(t *testing.T, dir string, args ...string) int {
	t.Helper()
	p := filepath.Join(dir, "stream.jsonl")
	var o syncBuffer
	if code := app.MainContext(context.Background(), append([]string{"gen", "--out", p}, args...), &o, &o); code != 0 {
		t.Fatalf("gen --out: %s", o.String())
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var r struct {
			CaseID string `json:"case_id"`
		}
		if err := json.Unmarshal([]byte(line), &r); err != nil || r.CaseID == "" {
			t.Fatalf("gen line %q: %v", line, err)
		}
		ids[r.CaseID] = true
	}
	return len(ids)
}

// nycSample writes the header and the first n rows of the NYC 311 sample.
func nycSample(t *testing.T, dir string, n int) string {
	t.Helper()
	b, err := os.ReadFile(sharedData(t, "complaints/nyc311_2024-09-01/nyc311_service_requests_2024-09-01.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfterN(string(b), "\n", n+2)
	p := filepath.Join(dir, "nyc.csv")
	if err := os.WriteFile(p, []byte(strings.Join(lines[:n+1], "")), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
