package ingest

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/riskwatch/riskwatch/schemas"
)

type dataErr struct{}

func (dataErr) Error() string { return "refused" }

// fakeSink refuses rows by case id, with a data error or another error.
type fakeSink struct {
	refuse   map[string]bool
	nonData  bool
	inserted int
}

func (f *fakeSink) InsertCases(ctx context.Context, rows ...[]schemas.CaseRow) error {
	for _, rs := range rows {
		for _, r := range rs {
			if f.refuse[r.CaseID] {
				if f.nonData {
					return errors.New("access denied")
				}
				return dataErr{}
			}
		}
	}
	for _, rs := range rows {
		f.inserted += len(rs)
	}
	return nil
}

func (f *fakeSink) InsertIngestErrors(context.Context, []schemas.IngestErrorRow) error { return nil }

func newTestConsumer(t *testing.T, sink Sink) *Consumer {
	t.Helper()
	c, err := NewConsumer(Config{Brokers: []string{"127.0.0.1:1"}, Topic: "t", Group: "g",
		Handler: func(Message) (schemas.CaseRow, *Reject) { return schemas.CaseRow{}, nil }, Sink: sink,
		IsTransient: func(error) bool { return false },
		IsDataError: func(err error) bool { var d dataErr; return errors.As(err, &d) }})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func rowsOf(ids ...string) [][]schemas.CaseRow {
	var rs []schemas.CaseRow
	for _, id := range ids {
		rs = append(rs, schemas.CaseRow{CaseID: id})
	}
	return [][]schemas.CaseRow{rs}
}

func TestInsertRowsIsolatesOnlyDataErrors(t *testing.T) {
	ctx := context.Background()
	// One bad row among four: it alone is refused, the others are stored.
	sink := &fakeSink{refuse: map[string]bool{"c": true}}
	refused, err := newTestConsumer(t, sink).insertRows(ctx, rowsOf("a", "b", "c", "d"))
	if err != nil || len(refused) != 1 || refused[0].reject.Reason != "clickhouse_rejected" || sink.inserted != 3 {
		t.Errorf("one bad row: refused %d, inserted %d, err %v", len(refused), sink.inserted, err)
	}
	// An error that is not about the data stops instead of dead-lettering.
	sink = &fakeSink{refuse: map[string]bool{"c": true}, nonData: true}
	if refused, err := newTestConsumer(t, sink).insertRows(ctx, rowsOf("a", "b", "c", "d")); err == nil || len(refused) != 0 {
		t.Errorf("non-data error: refused %d, err %v; want a stop", len(refused), err)
	}
	// Every row refused: the table is at fault; stop.
	sink = &fakeSink{refuse: map[string]bool{"a": true, "b": true}}
	if _, err := newTestConsumer(t, sink).insertRows(ctx, rowsOf("a", "b")); err == nil {
		t.Error("all rows refused: want a stop")
	}
}

func TestDeadLetterWriteErrors(t *testing.T) {
	c := newTestConsumer(t, &fakeSink{})
	if c.transient(kafka.WriteErrors{kafka.MessageSizeTooLarge}) {
		t.Error("a message too large for the topic is retried forever")
	}
	if !c.transient(kafka.WriteErrors{nil, kafka.LeaderNotAvailable}) {
		t.Error("a temporary broker error is not retried")
	}
}

func TestLongDeadLetterIsCut(t *testing.T) {
	raw := make([]byte, 10<<20)
	it := item{partition: 1, offset: 7, reject: &Reject{Reason: "too_large"}, msg: &kafka.Message{Topic: "t", Value: raw}}
	msg, row := deadLetterOf(it, "t", time.Time{})
	if len(msg.Value) != maxDeadLetterBytes || row.RawSize != 10<<20 {
		t.Errorf("body %d bytes, raw size %d", len(msg.Value), row.RawSize)
	}
	var size string
	for _, h := range msg.Headers {
		if h.Key == HeaderOriginalSize {
			size = string(h.Value)
		}
	}
	if size != strconv.Itoa(10<<20) {
		t.Errorf("original size header %q", size)
	}
}
