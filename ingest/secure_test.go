package ingest_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/riskwatch/riskwatch/ingest"
	"github.com/riskwatch/riskwatch/internal/servers"
	"github.com/riskwatch/riskwatch/internal/testenv"
	"github.com/riskwatch/riskwatch/schemas"
)

// memSink keeps the rows and dead letters a consumer hands over.
type memSink struct {
	mu     sync.Mutex
	cases  map[string]bool
	errors int
}

func (s *memSink) InsertCases(_ context.Context, rows ...[]schemas.CaseRow) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, rs := range rows {
		for _, r := range rs {
			s.cases[fmt.Sprintf("%s/%d", r.CaseID, r.Version)] = true
		}
	}
	return nil
}

func (s *memSink) InsertIngestErrors(_ context.Context, rows []schemas.IngestErrorRow) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.errors += len(rows)
	return nil
}

func (s *memSink) counts() (int, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.cases), s.errors
}

// secureKafka is a private broker with a SASL_SSL listener whose only user
// is "riskwatch" with password "s3cret-pw", and the certificates it uses.
func secureKafka(t *testing.T) (*servers.Kafka, testenv.Certs) {
	t.Helper()
	certs := testenv.NewCerts(t)
	k := testenv.NewSecureKafka(t, servers.KafkaSASLSSL{
		CertFile: certs.CertFile, KeyFile: certs.KeyFile, ClientCAFile: certs.CAFile,
		Users: map[string]string{"riskwatch": "s3cret-pw"},
	})
	return k, certs
}

func tlsTrusting(t *testing.T, caFile string) *tls.Config {
	t.Helper()
	b, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		t.Fatalf("no certificate in %s", caFile)
	}
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
}

const (
	testSASLHint = "kafka.sasl.password_file"
	testTLSHint  = "kafka.tls.ca_file"
)

func secureConn(t *testing.T, k *servers.Kafka, caFile, mechanism, password string) ingest.Conn {
	t.Helper()
	mech, err := ingest.NewSASL(mechanism, "riskwatch", password)
	if err != nil {
		t.Fatal(err)
	}
	return ingest.Conn{Brokers: []string{k.SecureAddr}, TLS: tlsTrusting(t, caFile), SASL: mech,
		SASLHint: testSASLHint, TLSHint: testTLSHint}
}

// TestSASLSSLProduceConsume: over the SASL_SSL listener only, with each
// mechanism (and a client certificate with SCRAM-SHA-512), the topic is
// created, the probe answers, records are produced and the consumer group
// consumes every one of them and dead-letters the poison one.
func TestSASLSSLProduceConsume(t *testing.T) {
	k, certs := secureKafka(t)
	for _, mech := range []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"} {
		t.Run(mech, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			conn := secureConn(t, k, certs.CAFile, mech, "s3cret-pw")
			if mech == "SCRAM-SHA-512" {
				cert, err := tls.LoadX509KeyPair(certs.ClientCertFile, certs.ClientKeyFile)
				if err != nil {
					t.Fatal(err)
				}
				conn.TLS.Certificates = []tls.Certificate{cert}
			}
			topic := "secure_" + strings.ToLower(strings.ReplaceAll(mech, "-", "_"))
			if err := ingest.EnsureTopics(ctx, conn, ingest.TopicSpec{Name: topic, Partitions: 2}); err != nil {
				t.Fatal(err)
			}
			info, err := ingest.Probe(ctx, conn, topic)
			if err != nil {
				t.Fatal(err)
			}
			if info.Brokers != 1 || info.Partitions != 2 {
				t.Fatalf("probe = %+v, want 1 broker and 2 partitions", info)
			}
			const n = 300
			p := ingest.NewProducer(conn, topic)
			var recs []ingest.Record
			for i := 0; i < n; i++ {
				b, _ := json.Marshal(testRecord{ID: fmt.Sprintf("c%04d", i), V: 1})
				recs = append(recs, ingest.Record{Key: b[:10], Value: b})
			}
			b, _ := json.Marshal(testRecord{ID: "poison", V: 1, Poison: true})
			recs = append(recs, ingest.Record{Key: []byte("poison"), Value: b})
			if err := p.Send(ctx, recs...); err != nil {
				t.Fatal(err)
			}
			if err := p.Close(); err != nil {
				t.Fatal(err)
			}

			sink := &memSink{cases: map[string]bool{}}
			stop := runConsumer(t, ingest.Config{
				Conn: conn, Topic: topic, Group: "g_" + topic,
				BatchRows: 100, BatchAge: 100 * time.Millisecond, RetryMax: time.Second,
				Handler: testHandler, Sink: sink, IsTransient: func(error) bool { return false },
				Logger: testLogger(),
			})
			deadline := time.Now().Add(90 * time.Second)
			for {
				rows, rejects := sink.counts()
				if rows == n && rejects == 1 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("consumed %d rows and %d rejects, want %d and 1", rows, rejects, n)
				}
				time.Sleep(100 * time.Millisecond)
			}
			if err := stop(); err != nil {
				t.Fatalf("consumer stopped with %v", err)
			}
			// The dead letter went through the SASL_SSL listener (the
			// consumer knows no other); read it back over PLAINTEXT.
			r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{k.Addr}, Topic: topic + ".dlq", GroupID: "dlqcheck_" + topic,
				StartOffset: kafka.FirstOffset, MaxWait: 100 * time.Millisecond})
			defer r.Close()
			rctx, rcancel := context.WithTimeout(ctx, 60*time.Second)
			defer rcancel()
			m, err := r.ReadMessage(rctx)
			if err != nil {
				t.Fatalf("dead-letter topic: %v", err)
			}
			if string(m.Key) != "poison" {
				t.Fatalf("dead letter key %q, want poison", m.Key)
			}
		})
	}
}

// TestSASLSSLRefusalsFailFast: a wrong password and an untrusted server
// certificate make the probe, topic creation, the producer and the
// consumer fail within seconds with ErrRefused and the hint naming what to
// check, instead of retrying forever.
func TestSASLSSLRefusalsFailFast(t *testing.T) {
	k, certs := secureKafka(t)
	cases := []struct {
		name string
		conn ingest.Conn
		hint string
	}{
		{"wrong password", secureConn(t, k, certs.CAFile, "SCRAM-SHA-256", "wrong-pw"), testSASLHint},
		{"wrong PLAIN password", secureConn(t, k, certs.CAFile, "PLAIN", "wrong-pw"), testSASLHint},
		{"untrusted CA", secureConn(t, k, certs.OtherCAFile, "SCRAM-SHA-256", "s3cret-pw"), testTLSHint},
	}
	const bound = 20 * time.Second
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			check := func(what string, f func(ctx context.Context) error) {
				t.Helper()
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
				defer cancel()
				start := time.Now()
				err := f(ctx)
				took := time.Since(start)
				if err == nil {
					t.Fatalf("%s: no error", what)
				}
				if !errors.Is(err, ingest.ErrRefused) || !strings.Contains(err.Error(), c.hint) {
					t.Errorf("%s: error %q does not wrap ErrRefused or name %s", what, err, c.hint)
				}
				if took > bound {
					t.Errorf("%s: failed after %v, want within %v", what, took, bound)
				}
			}
			check("probe", func(ctx context.Context) error { _, err := ingest.Probe(ctx, c.conn, "t"); return err })
			check("ensure topics", func(ctx context.Context) error {
				return ingest.EnsureTopics(ctx, c.conn, ingest.TopicSpec{Name: "refused", Partitions: 1})
			})
			check("produce", func(ctx context.Context) error {
				p := ingest.NewProducer(c.conn, "refused")
				defer p.Close()
				return p.Send(ctx, ingest.Record{Key: []byte("k"), Value: []byte("{}")})
			})
			check("consume", func(ctx context.Context) error {
				cons, err := ingest.NewConsumer(ingest.Config{
					Conn: c.conn, Topic: "refused", Group: "g_refused",
					Handler: testHandler, Sink: &memSink{cases: map[string]bool{}}, IsTransient: func(error) bool { return false },
				})
				if err != nil {
					return fmt.Errorf("unexpected config error: %w", err)
				}
				return cons.Run(ctx)
			})
		})
	}
}
