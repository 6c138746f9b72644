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
	secs := max(1, int(math.Ceil(d.Seconds())))
	ctx = clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{
		"max_execution_time": secs, // timeout_overflow_mode stays throw, the default
	}))
	return noDeadline{context.WithValue(ctx, queryLimitKey{}, time.Duration(secs)*time.Second)}
}

type queryLimitKey struct{}

// QueryLimitFrom returns the max_execution_time that WithQueryLimit set on
// ctx or a parent of it.
func QueryLimitFrom(ctx context.Context) (time.Duration, bool) {
	d, ok := ctx.Value(queryLimitKey{}).(time.Duration)
	return d, ok
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
