package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSecurityKeys: the Kafka TLS and SASL keys and the extra ClickHouse
// users are read, their passwords come from files or the environment, and
// Redacted hides every one of them.
func TestSecurityKeys(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "kafka.pw")
	ro := filepath.Join(dir, "ro.pw")
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(pw, []byte("kafka-canary-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ro, []byte("ro-canary-2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	writeCA(t, ca)
	t.Setenv("RISKWATCH_CLICKHOUSE_MIGRATE_PASSWORD", "mig-canary-3")
	c, err := Parse([]byte(`
clickhouse:
  local: {enabled: false}
  addrs: [db:9440]
  tls: {enabled: true, ca_file: ` + ca + `, server_name: db.example}
  readonly: {username: rw_reader, password_file: ` + ro + `}
  migrate: {username: rw_admin}
kafka:
  embedded: false
  brokers: [k:9093]
  tls: {enabled: true, ca_file: ` + ca + `}
  sasl: {mechanism: SCRAM-SHA-512, username: rw, password_file: ` + pw + `}
`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Kafka.SASL.Password != "kafka-canary-1" || c.ClickHouse.ReadOnly.Password != "ro-canary-2" || c.ClickHouse.Migrate.Password != "mig-canary-3" {
		t.Errorf("passwords = %q %q %q", c.Kafka.SASL.Password, c.ClickHouse.ReadOnly.Password, c.ClickHouse.Migrate.Password)
	}
	if u, p := c.ClickHouse.ReadOnlyUser(); u != "rw_reader" || p != "ro-canary-2" {
		t.Errorf("ReadOnlyUser = %q %q", u, p)
	}
	if u, _ := c.ClickHouse.MigrateUser(); u != "rw_admin" {
		t.Errorf("MigrateUser = %q", u)
	}
	tc, err := c.ClickHouse.TLS.Client("clickhouse.tls")
	if err != nil || tc == nil || tc.RootCAs == nil || tc.ServerName != "db.example" {
		t.Errorf("clickhouse TLS = %+v, %v", tc, err)
	}
	out, err := c.Redacted().YAML()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"kafka-canary-1", "ro-canary-2", "mig-canary-3"} {
		if strings.Contains(string(out), s) {
			t.Errorf("Redacted leaks %s:\n%s", s, out)
		}
	}
}

func TestSecurityErrorsNameTheKey(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "bad.pem")
	os.WriteFile(notPEM, []byte("not a certificate"), 0o600)
	ext := "kafka: {embedded: false, brokers: [k:1], "
	cases := []struct{ yaml, want string }{
		{ext + "sasl: {mechanism: SCRAM-SHA-256, username: u, password_file: /nonexistent/pw}}\n", "kafka.sasl.password_file: "},
		{ext + "sasl: {mechanism: SCRAM-SHA-1, username: u, password: p}}\n", "kafka.sasl.mechanism: "},
		{ext + "sasl: {mechanism: SCRAM-SHA-256, password: p}}\n", "kafka.sasl.username: "},
		{ext + "sasl: {mechanism: SCRAM-SHA-256, username: u}}\n", "kafka.sasl.password_file: "},
		{ext + "sasl: {mechanism: PLAIN, username: u, password: p}}\n", "kafka.tls.enabled: "},
		{ext + "tls: {enabled: true, ca_file: /nonexistent/ca.pem}}\n", "kafka.tls.ca_file: "},
		{ext + "tls: {enabled: true, ca_file: " + notPEM + "}}\n", "kafka.tls.ca_file: "},
		{ext + "tls: {enabled: true, cert_file: " + notPEM + "}}\n", "kafka.tls.key_file: "},
		{ext + "tls: {ca_file: " + notPEM + "}}\n", "kafka.tls.enabled: "},
		{"kafka: {embedded: true, sasl: {mechanism: SCRAM-SHA-256, username: u, password: p}}\n", "kafka.embedded: "},
		{"clickhouse: {tls: {enabled: true}}\n", "clickhouse.local.enabled: "},
		{"clickhouse: {local: {enabled: false}, addrs: [a:1], readonly: {password: x}}\n", "clickhouse.readonly.username: "},
		{"clickhouse: {local: {enabled: false}, addrs: [a:1], readonly: {username: r, password_file: /nonexistent}}\n", "clickhouse.readonly.password_file: "},
	}
	for _, tc := range cases {
		_, err := Parse([]byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want it to contain %q", tc.yaml, err, tc.want)
		}
	}
}

// writeCA writes a self-signed certificate (any will do for the pool).
func writeCA(t *testing.T, path string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestSecureExampleParses: examples/secure.yaml is a valid configuration
// once its files exist, with three ClickHouse users and SASL_SSL Kafka.
func TestSecureExampleParses(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "examples", "secure.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, sub := range []string{"secrets", "tls"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"clickhouse-ingest", "clickhouse-reader", "clickhouse-admin", "kafka"} {
		if err := os.WriteFile(filepath.Join(dir, "secrets", f), []byte("pw-"+f+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	writeCA(t, filepath.Join(dir, "tls", "center-ca.pem"))
	c, err := Parse([]byte(strings.ReplaceAll(string(b), "/etc/riskwatch/", dir+"/")))
	if err != nil {
		t.Fatal(err)
	}
	if u, p := c.ClickHouse.ReadOnlyUser(); u != "riskwatch_reader" || p != "pw-clickhouse-reader" {
		t.Errorf("readonly user %q %q", u, p)
	}
	if u, p := c.ClickHouse.MigrateUser(); u != "riskwatch_admin" || p != "pw-clickhouse-admin" {
		t.Errorf("migrate user %q %q", u, p)
	}
	if c.ClickHouse.Username != "riskwatch_ingest" || !c.ClickHouse.TLS.Enabled || !c.Kafka.TLS.Enabled ||
		c.Kafka.SASL.Mechanism != "SCRAM-SHA-512" || c.Kafka.SASL.Password != "pw-kafka" {
		t.Errorf("config %+v %+v", c.ClickHouse, c.Kafka)
	}
}
