// Package ingest moves records from Kafka to the store: it consumes the
// dispute topic through kafka-go's consumer-group API, hands each message to
// an injected handler (decode and transform), batches the results, and
// commits a partition's offset only after the batch holding it was
// acknowledged. Records that fail go to the dead-letter topic.
//
// It is the only product package that consumes and produces with
// segmentio/kafka-go (internal/servers only probes its test broker). It never imports
// the store: the wiring injects the sink it writes to.
//
// Every connection it makes (consumer group, partition readers, dead-letter
// writer, producers, topic creation, the /healthz probe) dials through one
// Conn, which carries TLS and SASL (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512). A
// refused password or certificate is permanent: it wraps ErrRefused, names
// what to check, and stops the consumer instead of being retried.
package ingest
