package app

import (
	"context"
	"log/slog"
	"time"
)

// gatePoll is how often waitIngested asks Kafka for the group's offsets;
// gateLogEvery is how often it logs that it still waits.
const (
	gatePoll     = 500 * time.Millisecond
	gateLogEvery = 30 * time.Second
)

// ingestOffsets is what waitIngested reads of the source topic (an
// ingest.LagCollector).
type ingestOffsets interface {
	Ends(ctx context.Context) (map[int]int64, error)
	Behind(ctx context.Context, marks map[int]int64) (int64, error)
}

// waitIngested returns once the consumer group has committed (so stored)
// every message that the topic held when it was called or, when produced
// is not nil, when produced was closed (the demo's history is in the
// broker): messages produced later (the demo's trickle, new records) do
// not hold it up. It returns ctx's error when ctx ends first. Kafka errors
// are logged and retried: the jobs wait rather than compute windows whose
// records are still in the topic.
//
// Records that arrive later for a window already computed (a producer that
// sends late, an ingest that was down) are stored but leave the window's
// results as they were until the window is run again (riskwatch backfill).
func waitIngested(ctx context.Context, lag ingestOffsets, produced <-chan struct{}, log *slog.Logger) error {
	start := time.Now()
	if produced != nil {
		log.Info("jobs wait for the demo's history to be produced and stored")
		select {
		case <-produced:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	var marks map[int]int64
	lastLog := time.Now()
	for {
		var err error
		if marks == nil {
			marks, err = lag.Ends(ctx)
			if err == nil && marks == nil {
				marks = map[int]int64{} // no topic yet: nothing to wait for
			}
		}
		var behind int64
		if err == nil {
			behind, err = lag.Behind(ctx, marks)
			if err == nil && behind == 0 {
				log.Info("jobs start: ingest has stored the topic's records", "waited", time.Since(start).Round(time.Millisecond))
				return nil
			}
		}
		if time.Since(lastLog) >= gateLogEvery {
			lastLog = time.Now()
			if err != nil {
				log.Warn("jobs wait for ingest: cannot read the consumer group's offsets", "err", err)
			} else {
				log.Info("jobs wait for ingest to store the topic's records", "behind", behind)
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(gatePoll):
		}
	}
}
