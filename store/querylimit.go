package store

import (
	"context"
	"errors"
	"math"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// WithQueryLimit returns a context under which every ClickHouse query
// carries the setting max_execution_time = d (whole seconds, at least 1),
// so that the server itself stops a query that runs longer, even when the
// client is gone. The client still cancels when ctx ends. The driver would
// replace the setting with the time left before ctx's deadline plus 5 s, so
// the returned context hides that deadline from it (Done and Err still
// follow ctx).
func WithQueryLimit(ctx context.Context, d time.Duration) context.Context {
	return WithQueryLimitPriority(ctx, d, 0)
}

// WithQueryLimitPriority is WithQueryLimit with ClickHouse's priority
// setting as well (0 = none): while queries with a smaller positive
// priority run, the server pauses those with a larger one between blocks.
// The API gives 2 to the queries of a token that already has others
// running, so that a token's parallel flood yields to other users' single
// requests.
func WithQueryLimitPriority(ctx context.Context, d time.Duration, priority int) context.Context {
	secs := max(1, int(math.Ceil(d.Seconds())))
	set := clickhouse.Settings{
		"max_execution_time": secs, // timeout_overflow_mode stays throw, the default
	}
	if priority > 0 {
		set["priority"] = priority
	}
	ctx = clickhouse.Context(ctx, clickhouse.WithSettings(set))
	return noDeadline{context.WithValue(ctx, queryLimitKey{}, queryLimit{time.Duration(secs) * time.Second, priority})}
}

type queryLimitKey struct{}

type queryLimit struct {
	d        time.Duration
	priority int
}

// QueryLimitFrom returns the max_execution_time that WithQueryLimit set on
// ctx or a parent of it.
func QueryLimitFrom(ctx context.Context) (time.Duration, bool) {
	l, ok := ctx.Value(queryLimitKey{}).(queryLimit)
	return l.d, ok
}

// QueryPriorityFrom returns the priority that WithQueryLimitPriority set
// on ctx or a parent of it (0 = none).
func QueryPriorityFrom(ctx context.Context) int {
	l, _ := ctx.Value(queryLimitKey{}).(queryLimit)
	return l.priority
}

// noDeadline is ctx without its deadline.
type noDeadline struct{ context.Context }

func (noDeadline) Deadline() (time.Time, bool) { return time.Time{}, false }

// timeoutExceeded is ClickHouse's TIMEOUT_EXCEEDED: a query ran past its
// max_execution_time.
const timeoutExceeded = 159

// IsQueryTimeout reports whether err is ClickHouse stopping a query at its
// max_execution_time.
func IsQueryTimeout(err error) bool {
	var ex *clickhouse.Exception
	return errors.As(err, &ex) && ex.Code == timeoutExceeded
}
