package servers

import (
	"fmt"
	"os"
	"sort"
	"strings"
)

// KafkaSASLSSL configures a SASL_SSL listener next to the PLAINTEXT one:
// TLS with the given certificate, then SASL PLAIN, SCRAM-SHA-256 or
// SCRAM-SHA-512. The PLAINTEXT listener stays for the broker's own use and
// for readiness checks.
type KafkaSASLSSL struct {
	// Port of the listener; 0 picks a free loopback port.
	Port int
	// CertFile is the broker's PEM certificate chain and KeyFile its
	// unencrypted PKCS#8 PEM private key.
	CertFile string
	KeyFile  string
	// ClientCAFile, when set, makes the broker ask for a client certificate
	// (ssl.client.auth=requested) and verify it against these PEM CAs.
	ClientCAFile string
	// Users maps user names to passwords. Each user can log in with PLAIN
	// (a JAAS entry) and with both SCRAM mechanisms (credentials written as
	// KRaft bootstrap records when the storage is formatted).
	Users map[string]string
}

// check refuses values that cannot be written into server.properties or
// the JAAS configuration.
func (s *KafkaSASLSSL) check() error {
	if s.CertFile == "" || s.KeyFile == "" {
		return fmt.Errorf("KafkaSASLSSL needs CertFile and KeyFile")
	}
	if len(s.Users) == 0 {
		return fmt.Errorf("KafkaSASLSSL needs at least one user")
	}
	for u, p := range s.Users {
		if u == "" || strings.ContainsAny(u+p, "\"\\\n\r,=[]") {
			return fmt.Errorf("KafkaSASLSSL user %q: names and passwords must not contain quotes, backslashes, newlines, commas, '=' or brackets", u)
		}
	}
	return nil
}

// pemKeystore writes the broker's key and certificate chain into one PEM
// file, the form of Kafka's PEM keystore.
func (s *KafkaSASLSSL) pemKeystore(path string) error {
	key, err := os.ReadFile(s.KeyFile)
	if err != nil {
		return fmt.Errorf("Kafka SASL_SSL key: %w", err)
	}
	cert, err := os.ReadFile(s.CertFile)
	if err != nil {
		return fmt.Errorf("Kafka SASL_SSL certificate: %w", err)
	}
	return os.WriteFile(path, append(append(key, '\n'), cert...), 0o600)
}

func (s *KafkaSASLSSL) users() []string {
	names := make([]string, 0, len(s.Users))
	for u := range s.Users {
		names = append(names, u)
	}
	sort.Strings(names)
	return names
}

// properties adds the listener to server.properties text; keystore is the PEM keystore written by pemKeystore.
func (s *KafkaSASLSSL) properties(props, addr, keystore string) string {
	r := strings.NewReplacer(
		"listeners=PLAINTEXT://", "listeners=SASL_SSL://"+addr+",PLAINTEXT://",
		"listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT", "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL",
	)
	props = r.Replace(props)
	var plain strings.Builder
	for _, u := range s.users() {
		fmt.Fprintf(&plain, ` user_%s="%s"`, u, s.Users[u])
	}
	var b strings.Builder
	b.WriteString(props)
	b.WriteString("# SASL_SSL listener (KafkaOptions.SASLSSL)\n")
	b.WriteString("sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512\n")
	b.WriteString("listener.name.sasl_ssl.ssl.keystore.type=PEM\n")
	fmt.Fprintf(&b, "listener.name.sasl_ssl.ssl.keystore.location=%s\n", keystore)
	if s.ClientCAFile != "" {
		b.WriteString("listener.name.sasl_ssl.ssl.truststore.type=PEM\n")
		fmt.Fprintf(&b, "listener.name.sasl_ssl.ssl.truststore.location=%s\n", s.ClientCAFile)
		b.WriteString("listener.name.sasl_ssl.ssl.client.auth=requested\n")
	}
	fmt.Fprintf(&b, "listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required%s;\n", plain.String())
	b.WriteString("listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;\n")
	b.WriteString("listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;\n")
	return b.String()
}

// scramArgs returns the StorageTool format arguments that create the SCRAM
// credentials of every user as bootstrap records.
func (s *KafkaSASLSSL) scramArgs() []string {
	var args []string
	for _, u := range s.users() {
		for _, m := range []string{"SCRAM-SHA-256", "SCRAM-SHA-512"} {
			args = append(args, "--add-scram", fmt.Sprintf("%s=[name=%s,password=%s]", m, u, s.Users[u]))
		}
	}
	return args
}
