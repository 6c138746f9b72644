// Package ingest moves records from Kafka to the store: it consumes the
// dispute topic through kafka-go's consumer-group API, hands each message to
// an injected handler (decode and transform), batches the results, and
// commits a partition's offset only after the batch holding it was
// acknowledged. Records that fail go to the dead-letter topic.
//
// It is the only product package that consumes and produces with
// segmentio/kafka-go (internal/servers only probes its test broker). It never imports
// the store: the wiring injects the sink it writes to.
package ingest
