// Package transform turns raw Kafka message bytes into storable rows: it
// decodes the record contract, validates it, normalizes times, region codes
// and full-width characters, classifies free text into the taxonomy, masks
// personal data and derives flags.
//
// It is pure: no I/O, no clock (the caller passes the current time), no
// logging. It imports only schemas. Whatever it rejects comes back as an
// error with a reason, for the dead-letter topic.
package transform
