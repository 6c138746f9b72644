package ingest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"
)

// Conn says how every connection to the brokers is made: the consumer
// group, its partition readers, the dead-letter writer, producers, topic
// creation and the reachability probe all dial through it, so TLS and SASL
// apply everywhere alike. The zero TLS and SASL mean plaintext without
// authentication.
type Conn struct {
	Brokers []string
	// TLS, when not nil, wraps every connection in TLS with this
	// configuration (CA pool, client certificate, server name).
	TLS *tls.Config
	// SASL, when not nil, authenticates every connection.
	SASL sasl.Mechanism
	// SASLHint and TLSHint name what to check when authentication or the
	// TLS handshake fails (the wiring gives the config keys, for example
	// "kafka.sasl.password_file"); they end up in the error text.
	SASLHint string
	TLSHint  string
}

// Plain returns a plaintext, unauthenticated Conn to brokers.
func Plain(brokers ...string) Conn { return Conn{Brokers: brokers} }

// dialTimeout bounds one TCP connect plus the TLS and SASL handshakes.
const dialTimeout = 10 * time.Second

// dialer returns the dialer of the consumer group and partition readers.
func (c Conn) dialer() *kafka.Dialer {
	return &kafka.Dialer{Timeout: dialTimeout, DualStack: true, TLS: c.TLS, SASLMechanism: c.SASL}
}

// transport returns the transport of clients and writers. Each caller gets
// its own, so that closing one never cuts another's connections.
func (c Conn) transport() *kafka.Transport {
	return &kafka.Transport{DialTimeout: dialTimeout, IdleTimeout: 30 * time.Second, TLS: c.TLS, SASL: c.SASL}
}

// client returns a request/response client with the given timeout.
func (c Conn) client(timeout time.Duration) (*kafka.Client, func()) {
	t := c.transport()
	return &kafka.Client{Addr: kafka.TCP(c.Brokers...), Timeout: timeout, Transport: t}, t.CloseIdleConnections
}

// NewSASL returns the kafka-go mechanism for PLAIN, SCRAM-SHA-256 or
// SCRAM-SHA-512 (case-insensitive), or nil for "" (no SASL).
func NewSASL(mechanism, username, password string) (sasl.Mechanism, error) {
	switch strings.ToUpper(mechanism) {
	case "":
		return nil, nil
	case "PLAIN":
		return plain.Mechanism{Username: username, Password: password}, nil
	case "SCRAM-SHA-256":
		return scram.Mechanism(scram.SHA256, username, password)
	case "SCRAM-SHA-512":
		return scram.Mechanism(scram.SHA512, username, password)
	}
	return nil, fmt.Errorf("unknown SASL mechanism %q (PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512)", mechanism)
}

// ErrRefused marks a connection error that retrying cannot fix: the
// brokers refused the credentials or the TLS handshake failed on a
// certificate. Errors wrapping it name what to check.
var ErrRefused = errors.New("refused by Kafka")

// IsRefused reports whether err is an authentication or certificate failure
// (see ErrRefused), directly or as kafka-go reports it.
func IsRefused(err error) bool {
	return errors.Is(err, ErrRefused) || isSASLFailure(err) || isCertFailure(err)
}

func isSASLFailure(err error) bool {
	return errors.Is(err, kafka.SASLAuthenticationFailed) || errors.Is(err, kafka.UnsupportedSASLMechanism) ||
		errors.Is(err, kafka.IllegalSASLState)
}

func isCertFailure(err error) bool {
	var (
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		verify   *tls.CertificateVerificationError
		alert    tls.AlertError
		record   tls.RecordHeaderError
	)
	return errors.As(err, &unknown) || errors.As(err, &hostname) || errors.As(err, &invalid) ||
		errors.As(err, &verify) || errors.As(err, &alert) || errors.As(err, &record)
}

// explain wraps an authentication or certificate failure with ErrRefused and
// the hint naming what to check; other errors are returned unchanged.
func (c Conn) explain(err error) error {
	if err == nil || errors.Is(err, ErrRefused) {
		return err
	}
	switch {
	case isSASLFailure(err):
		hint := c.SASLHint
		if hint == "" {
			hint = "the SASL mechanism, username and password"
		}
		return fmt.Errorf("%w: SASL authentication failed (check %s): %w", ErrRefused, hint, err)
	case isCertFailure(err):
		hint := c.TLSHint
		if hint == "" {
			hint = "the TLS CA and server name"
		}
		return fmt.Errorf("%w: TLS handshake failed (check %s): %w", ErrRefused, hint, err)
	}
	var op *net.OpError
	if c.TLS != nil && errors.As(err, &op) && op.Op == "remote error" {
		return fmt.Errorf("%w: TLS handshake failed (check %s): %w", ErrRefused, c.TLSHint, err)
	}
	return err
}

// Check connects once, with TLS and SASL, and asks for the metadata of
// topic: it fails within timeout, with an error wrapping ErrRefused when the
// credentials or certificates are refused.
func (c Conn) Check(ctx context.Context, topic string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cl, closeIdle := c.client(timeout)
	defer closeIdle()
	req := &kafka.MetadataRequest{}
	if topic != "" {
		req.Topics = []string{topic}
	}
	if _, err := cl.Metadata(ctx, req); err != nil {
		return fmt.Errorf("cannot connect to Kafka at %v: %w", c.Brokers, c.explain(err))
	}
	return nil
}
