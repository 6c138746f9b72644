package config

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"
)

// TLS configures a TLS client connection (to Kafka or ClickHouse).
type TLS struct {
	Enabled bool `yaml:"enabled"`
	// CAFile is a PEM bundle of the certificate authorities trusted for the
	// server's certificate; empty means the system's roots.
	CAFile string `yaml:"ca_file"`
	// CertFile and KeyFile are the PEM client certificate and its key, for
	// servers that ask for one; both or neither.
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// ServerName is checked against the server's certificate; empty means
	// the host of the address dialled.
	ServerName string `yaml:"server_name"`
}

// Client returns the crypto/tls client configuration, or nil when TLS is
// not enabled. Errors name the key under prefix (e.g. "kafka.tls").
func (t TLS) Client(prefix string) (*tls.Config, error) {
	if !t.Enabled {
		if t.CAFile != "" || t.CertFile != "" || t.KeyFile != "" || t.ServerName != "" {
			return nil, fmt.Errorf("%s.enabled: must be true when %s.ca_file, cert_file, key_file or server_name is set", prefix, prefix)
		}
		return nil, nil
	}
	c := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: t.ServerName}
	if t.CAFile != "" {
		b, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("%s.ca_file: %w", prefix, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(b) {
			return nil, fmt.Errorf("%s.ca_file: %s holds no PEM certificate", prefix, t.CAFile)
		}
		c.RootCAs = pool
	}
	switch {
	case t.CertFile != "" && t.KeyFile != "":
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("%s.cert_file, %s.key_file: %w", prefix, prefix, err)
		}
		c.Certificates = []tls.Certificate{cert}
	case t.CertFile != "":
		return nil, fmt.Errorf("%s.key_file: required with %s.cert_file", prefix, prefix)
	case t.KeyFile != "":
		return nil, fmt.Errorf("%s.cert_file: required with %s.key_file", prefix, prefix)
	}
	return c, nil
}

// KafkaSASL configures SASL authentication to the brokers.
type KafkaSASL struct {
	// Mechanism is PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512; empty means no
	// SASL.
	Mechanism string `yaml:"mechanism"`
	Username  string `yaml:"username"`
	// Password may also come from RISKWATCH_KAFKA_SASL_PASSWORD or from
	// PasswordFile; keep it out of the file in production.
	Password     string `yaml:"password"`
	PasswordFile string `yaml:"password_file"`
}

// Credentials is a ClickHouse user other than the main one.
type Credentials struct {
	// Username empty means "use the main clickhouse.username".
	Username string `yaml:"username"`
	// Password may also come from the environment variable named in the
	// documentation of the key, or from PasswordFile.
	Password     string `yaml:"password"`
	PasswordFile string `yaml:"password_file"`
}

// secret resolves a password: the environment variable env wins, then the
// file, then the value in the configuration.
func secret(getenv func(string) string, env, value, file, key string) (string, error) {
	if v := getenv(env); v != "" {
		return v, nil
	}
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("%s: %w", key, err)
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	}
	return value, nil
}

// applySecrets reads the passwords of the Kafka SASL user and the
// additional ClickHouse users from the environment or their files.
func (c *Config) applySecrets(getenv func(string) string) error {
	var errs []error
	var err error
	s := &c.Kafka.SASL
	if s.Password, err = secret(getenv, "RISKWATCH_KAFKA_SASL_PASSWORD", s.Password, s.PasswordFile, "kafka.sasl.password_file"); err != nil {
		errs = append(errs, err)
	}
	r := &c.ClickHouse.ReadOnly
	if r.Password, err = secret(getenv, "RISKWATCH_CLICKHOUSE_READONLY_PASSWORD", r.Password, r.PasswordFile, "clickhouse.readonly.password_file"); err != nil {
		errs = append(errs, err)
	}
	m := &c.ClickHouse.Migrate
	if m.Password, err = secret(getenv, "RISKWATCH_CLICKHOUSE_MIGRATE_PASSWORD", m.Password, m.PasswordFile, "clickhouse.migrate.password_file"); err != nil {
		errs = append(errs, err)
	}
	tr := &c.Transform
	if tr.PartyKeySecret, err = secret(getenv, "RISKWATCH_PARTY_KEY_SECRET", tr.PartyKeySecret, tr.PartyKeySecretFile, "transform.party_key_secret_file"); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// validateSecurity checks the TLS and SASL keys.
func (c *Config) validateSecurity(bad func(key, format string, a ...any)) {
	for _, t := range []struct {
		prefix string
		tls    TLS
	}{{"kafka.tls", c.Kafka.TLS}, {"clickhouse.tls", c.ClickHouse.TLS}} {
		if _, err := t.tls.Client(t.prefix); err != nil {
			// The error already starts with the key.
			key, msg, _ := strings.Cut(err.Error(), ": ")
			bad(key, "%s", msg)
		}
	}
	s := c.Kafka.SASL
	switch strings.ToUpper(s.Mechanism) {
	case "":
		if s.Username != "" || s.Password != "" || s.PasswordFile != "" {
			bad("kafka.sasl.mechanism", "required with kafka.sasl.username or a password (PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512)")
		}
	case "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512":
		if s.Username == "" {
			bad("kafka.sasl.username", "required with kafka.sasl.mechanism")
		}
		if s.Password == "" {
			bad("kafka.sasl.password_file", "a password is required with kafka.sasl.mechanism (kafka.sasl.password_file or RISKWATCH_KAFKA_SASL_PASSWORD)")
		}
		if s.Mechanism == "PLAIN" && !c.Kafka.TLS.Enabled {
			bad("kafka.tls.enabled", "must be true with kafka.sasl.mechanism PLAIN, which sends the password in clear")
		}
	default:
		bad("kafka.sasl.mechanism", "must be PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512, not %q", s.Mechanism)
	}
	if c.Kafka.Embedded && (s.Mechanism != "" || c.Kafka.TLS.Enabled) {
		bad("kafka.embedded", "the embedded broker speaks plaintext only; set kafka.embedded: false to use kafka.tls or kafka.sasl")
	}
	for _, u := range []struct {
		key string
		c   Credentials
	}{{"clickhouse.readonly", c.ClickHouse.ReadOnly}, {"clickhouse.migrate", c.ClickHouse.Migrate}} {
		if u.c.Username == "" && (u.c.Password != "" || u.c.PasswordFile != "") {
			bad(u.key+".username", "required when a password is given")
		}
	}
	if c.ClickHouse.Local.Enabled && (c.ClickHouse.TLS.Enabled || c.ClickHouse.ReadOnly.Username != "" || c.ClickHouse.Migrate.Username != "") {
		bad("clickhouse.local.enabled", "the local server has only the default user, without TLS; set it to false to use clickhouse.tls, clickhouse.readonly or clickhouse.migrate")
	}
}

// ReadOnlyUser returns the user and password of the API and the reports:
// clickhouse.readonly, or the main user when it is not set.
func (ch ClickHouse) ReadOnlyUser() (string, string) {
	if ch.ReadOnly.Username != "" {
		return ch.ReadOnly.Username, ch.ReadOnly.Password
	}
	return ch.Username, ch.Password
}

// MigrateUser returns the user and password of the migrations:
// clickhouse.migrate, or the main user when it is not set.
func (ch ClickHouse) MigrateUser() (string, string) {
	if ch.Migrate.Username != "" {
		return ch.Migrate.Username, ch.Migrate.Password
	}
	return ch.Username, ch.Password
}

// redactSecrets replaces the passwords of the security keys.
func (c *Config) redactSecrets() {
	for _, p := range []*string{&c.Kafka.SASL.Password, &c.ClickHouse.ReadOnly.Password, &c.ClickHouse.Migrate.Password, &c.Transform.PartyKeySecret} {
		if *p != "" {
			*p = "<redacted>"
		}
	}
}
