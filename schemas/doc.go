// Package schemas is the start of the flow: it owns the shapes every other
// package agrees on.
//
// It holds the record contract (one JSON object per Kafka message, see
// Record and record.schema.json), the category taxonomy, the region registry
// (Tongliao's five administrative levels with census population, or any
// other hierarchy loaded from a generic CSV) and the ordered ClickHouse
// migrations embedded in the binary.
//
// It imports no other package of this module and does no I/O beyond reading
// the readers it is given and its own embedded files. It does not validate
// records against business rules (that is transform's job) and it does not
// talk to ClickHouse (that is the store's job): it only describes.
package schemas
