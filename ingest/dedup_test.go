package ingest

import (
	"testing"

	"github.com/riskwatch/riskwatch/schemas"
)

func TestVersionCache(t *testing.T) {
	c := newVersionCache(2)
	r := schemas.CaseRow{Source: schemas.SourcePlatform, CaseID: "a", Version: 1}
	if got := c.check(&r, []byte(`{"x":1}`), 10); got != -1 {
		t.Fatalf("first sight flagged %d", got)
	}
	if got := c.check(&r, []byte(`{"x":1}`), 10); got != -1 {
		t.Errorf("redelivery (same offset, same bytes) flagged %d", got)
	}
	if got := c.check(&r, []byte(`{"x":1}`), 55); got != -1 {
		t.Errorf("same content re-sent flagged %d", got)
	}
	if got := c.check(&r, []byte(`{"x":2}`), 11); got != 10 {
		t.Errorf("conflicting duplicate: got %d, want first offset 10", got)
	}
	v2 := r
	v2.Version = 2
	if got := c.check(&v2, []byte(`{"x":2}`), 12); got != -1 {
		t.Errorf("a new version flagged %d", got)
	}
	// Two more keys rotate the generations; "a"/1 is still in the old one.
	b := schemas.CaseRow{Source: schemas.SourcePlatform, CaseID: "b", Version: 1}
	c.check(&b, []byte("b"), 13)
	if got := c.check(&r, []byte(`{"x":3}`), 14); got != 10 {
		t.Errorf("conflict against the old generation: got %d, want 10", got)
	}
	// After two more rotations it is forgotten: bounded memory.
	for i, id := range []string{"c", "d", "e", "f"} {
		x := schemas.CaseRow{Source: schemas.SourcePlatform, CaseID: id, Version: 1}
		c.check(&x, []byte(id), int64(20+i))
	}
	if len(c.cur)+len(c.old) > 4 {
		t.Errorf("cache holds %d entries, limit 2 per generation", len(c.cur)+len(c.old))
	}
	if got := c.check(&r, []byte(`{"x":4}`), 30); got != -1 {
		t.Errorf("an evicted key still flagged %d", got)
	}
}
