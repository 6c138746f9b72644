package warnings_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/warnings"
)

// EnqueueOnce queues a key's entries once, also after the outbox is closed
// and opened again (a restart).
func TestEnqueueOnceAcrossReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outbox.db")
	now := time.Date(2026, 12, 7, 7, 0, 0, 0, time.UTC)
	entry := func(ch string) warnings.Entry {
		return warnings.Entry{DeliveryID: "d-" + ch, Channel: ch, NextAt: now, CreatedAt: now,
			Notification: warnings.Notification{ID: "n1", Reason: warnings.ReasonReport, Report: &warnings.ReportCard{Title: "周报"}}}
	}
	for i := range 3 {
		ob, err := warnings.OpenOutbox(path, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		q, err := ob.EnqueueOnce("sub1|2026-12-06/week/150500000000", []warnings.Entry{entry("a"), entry("b")}, now)
		if err != nil {
			t.Fatal(err)
		}
		if q != (i == 0) {
			t.Errorf("open %d: queued %v, want %v", i, q, i == 0)
		}
		if ok, err := ob.Enqueued("sub1|2026-12-06/week/150500000000"); err != nil || !ok {
			t.Errorf("open %d: Enqueued = %v, %v", i, ok, err)
		}
		pending, err := ob.Pending()
		if err != nil {
			t.Fatal(err)
		}
		if len(pending) != 2 {
			t.Errorf("open %d: %d pending entries, want 2", i, len(pending))
		}
		ob.Close()
	}
}
