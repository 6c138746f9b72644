package app

import (
	"fmt"

	"github.com/riskwatch/riskwatch/ingest"
	"github.com/riskwatch/riskwatch/internal/config"
)

// kafkaConn returns how every Kafka connection of the process is made: the
// configured TLS and SASL to brokers, or plaintext to the embedded broker.
// Errors name the config key.
func kafkaConn(cfg config.Config, brokers []string) (ingest.Conn, error) {
	if cfg.Kafka.Embedded {
		return ingest.Plain(brokers...), nil
	}
	conn := ingest.Conn{
		Brokers:  brokers,
		SASLHint: "kafka.sasl.mechanism, kafka.sasl.username and kafka.sasl.password_file",
		TLSHint:  "kafka.tls.ca_file and kafka.tls.server_name",
	}
	var err error
	if conn.TLS, err = cfg.Kafka.TLS.Client("kafka.tls"); err != nil {
		return ingest.Conn{}, err
	}
	s := cfg.Kafka.SASL
	if conn.SASL, err = ingest.NewSASL(s.Mechanism, s.Username, s.Password); err != nil {
		return ingest.Conn{}, fmt.Errorf("kafka.sasl.mechanism: %w", err)
	}
	return conn, nil
}
