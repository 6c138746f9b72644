package ingest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/segmentio/kafka-go"

	"github.com/riskwatch/riskwatch/schemas"
)

// Dead-letter headers. The value is the raw message as it arrived.
const (
	HeaderReason          = "riskwatch-reason"
	HeaderDetail          = "riskwatch-detail"
	HeaderSourceTopic     = "riskwatch-source-topic"
	HeaderSourcePartition = "riskwatch-source-partition"
	HeaderSourceOffset    = "riskwatch-source-offset"
	HeaderSourceTime      = "riskwatch-source-timestamp"
)

// maxMaskedBytes bounds the masked text kept in ingest_errors.
const maxMaskedBytes = 64 << 10

// maxDeadLetterBytes bounds the message body on the dead-letter topic: a
// topic created with the broker's default limit (about 1 MB) must still
// take every dead letter. A longer message is cut; headers give its full
// size and SHA-256, and ingest_errors keeps both too.
const maxDeadLetterBytes = 900 << 10

// Headers of a cut dead letter.
const (
	HeaderOriginalSize   = "riskwatch-original-size"
	HeaderOriginalSHA256 = "riskwatch-original-sha256"
)

// deadLetterOf builds the DLQ message and the ingest_errors row of a reject.
func deadLetterOf(it item, topic string, now time.Time) (kafka.Message, schemas.IngestErrorRow) {
	m := it.msg
	var raw, key []byte
	var ts time.Time
	if m != nil {
		raw, key, ts = m.Value, m.Key, m.Time
		if m.Topic != "" {
			topic = m.Topic
		}
	}
	sum := sha256.Sum256(raw)
	body := raw
	if len(body) > maxDeadLetterBytes {
		body = body[:maxDeadLetterBytes]
	}
	msg := kafka.Message{
		Key:   key,
		Value: body,
		Headers: []kafka.Header{
			{Key: HeaderReason, Value: []byte(it.reject.Reason)},
			{Key: HeaderDetail, Value: []byte(truncateUTF8(it.reject.Detail, 1024))},
			{Key: HeaderSourceTopic, Value: []byte(topic)},
			{Key: HeaderSourcePartition, Value: []byte(strconv.Itoa(it.partition))},
			{Key: HeaderSourceOffset, Value: []byte(strconv.FormatInt(it.offset, 10))},
			{Key: HeaderSourceTime, Value: []byte(ts.UTC().Format(time.RFC3339Nano))},
		},
	}
	if len(body) < len(raw) {
		msg.Headers = append(msg.Headers,
			kafka.Header{Key: HeaderOriginalSize, Value: []byte(strconv.Itoa(len(raw)))},
			kafka.Header{Key: HeaderOriginalSHA256, Value: []byte(hex.EncodeToString(sum[:]))})
	}
	row := schemas.IngestErrorRow{
		At: now, Topic: topic, Partition: int32(it.partition), Offset: it.offset,
		MessageKey: truncateUTF8(string(key), 256),
		Reason:     it.reject.Reason, Detail: truncateUTF8(it.reject.Detail, 4096),
		RawSize: uint64(len(raw)), RawSHA256: hex.EncodeToString(sum[:]),
		RawMasked: truncateUTF8(it.reject.Masked, maxMaskedBytes),
	}
	return msg, row
}

// truncateUTF8 cuts s to at most n bytes without splitting a rune, and
// replaces invalid UTF-8 so that the text is safe to store and log.
func truncateUTF8(s string, n int) string {
	if !utf8.ValidString(s) {
		s = string([]rune(s)) // invalid bytes become U+FFFD
	}
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// rowJSON renders a transformed (already masked) row for the dead-letter
// topic when ClickHouse refuses it.
func rowJSON(r schemas.CaseRow) string {
	b, err := json.Marshal(r)
	if err != nil {
		return "{}"
	}
	return string(b)
}
