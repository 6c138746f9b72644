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
