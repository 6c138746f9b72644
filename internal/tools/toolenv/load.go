package toolenv

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/sources/demo"
	"github.com/riskwatch/riskwatch/store"
	"github.com/riskwatch/riskwatch/transform"
)

// StreamEnd is the demo stream's "now": the end of the last day of its
// default period, so that no generated record lies in the future.
func StreamEnd() time.Time {
	_, to := demo.DefaultPeriod()
	return time.Date(to.Year(), to.Month(), to.Day(), 23, 59, 59, 0, schemas.Zone())
}

// Load runs gen through the real transform (one worker per CPU) into the
// store in batches of 200,000 rows, printing progress to stderr. after, when
// not nil, is called with each batch once it is stored (bench-reports
// raises the rule alarms there, as ingest does). It returns the rows stored;
// a record the transform rejects is an error.
func Load(ctx context.Context, st *store.Store, reg *schemas.Registry, gen *demo.Generator, now time.Time, after func([]schemas.CaseRow) error) (int, error) {
	tr, err := transform.New(transform.Options{Registry: reg})
	if err != nil {
		return 0, err
	}
	msgs := make(chan [][]byte, 4)
	rowsCh := make(chan []schemas.CaseRow, 4)
	go func() {
		defer close(msgs)
		batch := make([][]byte, 0, 20_000)
		for {
			r, ok := gen.Next()
			if ok {
				b, _ := schemas.MarshalRecord(r)
				batch = append(batch, b)
			}
			if len(batch) == cap(batch) || (!ok && len(batch) > 0) {
				msgs <- batch
				batch = make([][]byte, 0, 20_000)
			}
			if !ok {
				return
			}
		}
	}()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var rejected error
	for w := 0; w < runtime.NumCPU(); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for batch := range msgs {
				rows := make([]schemas.CaseRow, 0, len(batch))
				for i, b := range batch {
					row, err := tr.Transform(b, transform.Meta{Topic: "bench", Offset: int64(i)}, now)
					if err != nil {
						mu.Lock()
						rejected = err
						mu.Unlock()
						continue
					}
					rows = append(rows, row)
				}
				rowsCh <- rows
			}
		}()
	}
	go func() { wg.Wait(); close(rowsCh) }()
	loaded := 0
	var pending []schemas.CaseRow
	flush := func() error {
		if err := st.InsertCases(ctx, pending); err != nil {
			return err
		}
		if after != nil {
			if err := after(pending); err != nil {
				return err
			}
		}
		loaded += len(pending)
		pending = pending[:0]
		fmt.Fprintf(os.Stderr, "\rloaded %d records", loaded)
		return nil
	}
	var failed error
	for rows := range rowsCh {
		if failed != nil {
			continue // drain, so that the workers and the generator finish
		}
		pending = append(pending, rows...)
		if len(pending) >= 200_000 {
			failed = flush()
		}
	}
	if failed == nil && len(pending) > 0 {
		failed = flush()
	}
	fmt.Fprintln(os.Stderr)
	if failed != nil {
		return loaded, failed
	}
	if rejected != nil {
		return loaded, fmt.Errorf("a generated record was rejected: %w", rejected)
	}
	return loaded, nil
}

// TransformAll runs gen through tr in one goroutine, in stream order, and
// calls each with every row (Meta.Topic topic, the record's index as its
// offset). It returns the records generated; a record the transform
// rejects is an error.
func TransformAll(gen *demo.Generator, tr *transform.Transformer, topic string, now time.Time, each func(*schemas.CaseRow)) (int, error) {
	n := 0
	for r, ok := gen.Next(); ok; r, ok = gen.Next() {
		b, err := schemas.MarshalRecord(r)
		if err != nil {
			return n, err
		}
		row, err := tr.Transform(b, transform.Meta{Topic: topic, Offset: int64(n)}, now)
		if err != nil {
			return n, fmt.Errorf("a generated record was rejected: %w", err)
		}
		n++
		each(&row)
	}
	return n, nil
}
