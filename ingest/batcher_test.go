package ingest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/schemas"
)

// While the inserter is busy and a batch already waits for it, a batch of
// age is not sealed: it grows on, so that a slow server gets one larger
// insert instead of a queue of small ones.
func TestAgedBatchGrowsWhileInserterBusy(t *testing.T) {
	const age = 40 * time.Millisecond
	c, err := NewConsumer(Config{Brokers: []string{"127.0.0.1:1"}, Topic: "t", Group: "g", BatchAge: age,
		Handler: func(Message) (schemas.CaseRow, *Reject) { return schemas.CaseRow{}, nil }, Sink: &fakeSink{},
		IsTransient: func(error) bool { return false }})
	if err != nil {
		t.Fatal(err)
	}
	out := make(chan *batch, 1) // as in Run: one batch waits while one is inserted
	done := make(chan struct{})
	go func() { defer close(done); c.batcher(context.Background(), out) }()
	t.Cleanup(func() {
		close(c.in)
		for range out {
		}
		<-done
	})
	send := func(id string) {
		c.in <- &chunk{rows: []schemas.CaseRow{{CaseID: id}}, raw: 100}
	}
	next := func() (*batch, error) {
		select {
		case b := <-out:
			return b, nil
		case <-time.After(10 * age):
			return nil, errors.New("no batch sealed")
		}
	}
	ids := func(b *batch) []string {
		var s []string
		for _, ch := range b.chunks {
			for _, r := range ch.rows {
				s = append(s, r.CaseID)
			}
		}
		return s
	}

	send("a")
	first, err := next() // the inserter takes it and is busy from now on
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(first); len(got) != 1 || got[0] != "a" || first.why != "age" {
		t.Fatalf("first batch: %v (%s), want [a] sealed by age", got, first.why)
	}
	send("b")
	// b is sealed by age into the queue, which then is full.
	deadline := time.Now().Add(10 * age)
	for len(out) == 0 && time.Now().Before(deadline) {
		time.Sleep(age / 4)
	}
	if len(out) != 1 {
		t.Fatal("b was not sealed by age while the queue had room")
	}
	send("c")
	time.Sleep(4 * age) // c is old enough, but no batch can be queued
	send("d")
	time.Sleep(4 * age)
	if b, _ := next(); b == nil || len(ids(b)) != 1 || ids(b)[0] != "b" {
		t.Fatalf("second batch: %v, want [b]", b)
	}
	third, err := next()
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(third); len(got) != 2 || got[0] != "c" || got[1] != "d" {
		t.Fatalf("third batch: %v (%s), want [c d]: the aged batch should grow while the inserter is busy", got, third.why)
	}
}

// While Kafka holds enough records to fill the batch (catching up on a
// backlog), a batch of age is not sealed: it waits for them, up to
// backlogAgeFactor × BatchAge. Once a partition reports nothing more ready,
// age seals it as before.
func TestAgedBatchWaitsForBacklog(t *testing.T) {
	const age = 40 * time.Millisecond
	c, err := NewConsumer(Config{Brokers: []string{"127.0.0.1:1"}, Topic: "t", Group: "g", BatchAge: age, BatchRows: 10,
		Handler: func(Message) (schemas.CaseRow, *Reject) { return schemas.CaseRow{}, nil }, Sink: &fakeSink{},
		IsTransient: func(error) bool { return false }})
	if err != nil {
		t.Fatal(err)
	}
	out := make(chan *batch, 1)
	done := make(chan struct{})
	go func() { defer close(done); c.batcher(context.Background(), out) }()
	t.Cleanup(func() {
		close(c.in)
		for range out {
		}
		<-done
	})
	send := func(partition int, behind int64, ids ...string) {
		ch := &chunk{partition: partition, raw: 100, behind: behind}
		for _, id := range ids {
			ch.rows = append(ch.rows, schemas.CaseRow{CaseID: id})
		}
		c.in <- ch
	}
	wait := func(d time.Duration) *batch {
		select {
		case b := <-out:
			return b
		case <-time.After(d):
			return nil
		}
	}

	// 2 rows in the batch, 4 + 4 ready in two partitions: 8 = BatchRows-2.
	t0 := time.Now()
	send(0, 4, "a")
	send(1, 4, "b")
	if b := wait(3 * age); b != nil {
		t.Fatalf("batch of %d rows sealed by %s after %v while the backlog could fill it", b.rows, b.why, time.Since(t0))
	}
	// Partition 1 is caught up: 4 ready, 7 missing: age seals at once.
	send(1, 0, "c")
	b := wait(3 * age)
	if b == nil || b.why != "age" || b.rows != 3 {
		t.Fatalf("got %+v, want the 3 rows sealed by age once the backlog cannot fill the batch", b)
	}

	// A backlog that never arrives holds the batch only up to the cap.
	t0 = time.Now()
	send(2, 1000, "d")
	b = wait(4 * backlogAgeFactor * age)
	if b == nil || b.why != "age" {
		t.Fatalf("got %+v, want a batch sealed by age at the cap", b)
	}
	if d := time.Since(t0); d < (backlogAgeFactor-1)*age {
		t.Fatalf("sealed after %v, want about %v", d, backlogAgeFactor*age)
	}

	// Rows still seal at once.
	send(3, 1000, "e", "f", "g", "h", "i", "j", "k", "l", "m", "n")
	if b := wait(age / 2); b == nil || b.why != "rows" {
		t.Fatalf("got %+v, want a batch sealed by rows", b)
	}
}
