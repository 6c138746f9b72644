package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/store"
)

// TestQueryLimitStopsTheQueryOnTheServer: a query far longer than the limit,
// run with a client deadline well beyond it, is stopped by ClickHouse
// (TIMEOUT_EXCEEDED) about when the limit is reached, not by the client.
func TestQueryLimitStopsTheQueryOnTheServer(t *testing.T) {
	st := migrated(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := time.Now()
	// About 10^11 rows: minutes of work on any server.
	_, err := st.APIQuery(store.WithQueryLimit(ctx, time.Second), "SELECT sum(number) FROM numbers(100000000000)", 1)
	took := time.Since(start)
	if err == nil {
		t.Fatal("the query finished; want it stopped by max_execution_time")
	}
	if !store.IsQueryTimeout(err) || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v after %v; want ClickHouse's TIMEOUT_EXCEEDED, not the client's deadline", err, took)
	}
	if took > 8*time.Second {
		t.Errorf("stopped after %v, want about the 1 s limit", took)
	}
	// The connection is still usable afterwards.
	if _, err := st.APIQuery(store.WithQueryLimit(ctx, time.Second), "SELECT 1", 1); err != nil {
		t.Errorf("next query: %v", err)
	}
}

// TestQueryLimitKeepsCancellation: the context hides its deadline from the
// driver but still ends when its parent does.
func TestQueryLimitKeepsCancellation(t *testing.T) {
	parent, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	ctx := store.WithQueryLimit(parent, 30*time.Second)
	if _, ok := ctx.Deadline(); ok {
		t.Error("the deadline is visible (the driver would override max_execution_time)")
	}
	select {
	case <-ctx.Done():
		if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			t.Errorf("Err = %v, want the parent's DeadlineExceeded", ctx.Err())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("not done when the parent's deadline passed")
	}
}

// TestQueryLimitPriorityIsAccepted: the priority setting reaches the
// server, which runs the query with it.
func TestQueryLimitPriorityIsAccepted(t *testing.T) {
	st := migrated(t)
	ctx := store.WithQueryLimitPriority(context.Background(), 5*time.Second, 2)
	tb, err := st.APIQuery(ctx, "SELECT groupArray(value) FROM (SELECT value FROM system.settings WHERE name IN ('max_execution_time', 'priority') ORDER BY name)", 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(tb.Rows) != 1 || fmt.Sprint(tb.Rows[0]...) != "[5 2]" {
		t.Errorf("settings seen by the server: %v, want priority 2 and max_execution_time 5", tb.Rows)
	}
}
