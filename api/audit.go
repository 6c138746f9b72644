package api

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/riskwatch/riskwatch/store"
)

// AuditStore is where audit entries go.
type AuditStore interface {
	APIWriteAudit(ctx context.Context, es []store.APIAuditEntry) error
}

// auditQueue is the number of entries waiting for the writer; when it is
// full (the store is down) further entries are counted as dropped and
// logged, so memory stays bounded.
const auditQueue = 8192

// auditor batches audit entries into one insert per second (ClickHouse
// wants few, large inserts).
type auditor struct {
	st      AuditStore
	log     *slog.Logger
	ch      chan store.APIAuditEntry
	done    chan struct{}
	once    sync.Once
	every   time.Duration
	mu      sync.Mutex
	dropped uint64
	// sendMu guards closed: add holds it shared, close exclusively, so no
	// entry is sent on the closed channel.
	sendMu sync.RWMutex
	closed bool
}

func newAuditor(st AuditStore, log *slog.Logger, every time.Duration) *auditor {
	a := &auditor{st: st, log: log, ch: make(chan store.APIAuditEntry, auditQueue), done: make(chan struct{}), every: every}
	go a.run()
	return a
}

// add queues an entry; its path and query are redacted here, so that no
// caller can store a token (redactPath, redactQuery).
func (a *auditor) add(e store.APIAuditEntry) {
	e.Path, e.Query = redactPath(e.Path), redactQuery(e.Query)
	a.sendMu.RLock()
	defer a.sendMu.RUnlock()
	if a.closed {
		return
	}
	select {
	case a.ch <- e:
	default:
		a.mu.Lock()
		a.dropped++
		a.mu.Unlock()
	}
}

func (a *auditor) run() {
	defer close(a.done)
	t := time.NewTicker(a.every)
	defer t.Stop()
	var batch []store.APIAuditEntry
	flush := func() {
		a.mu.Lock()
		d := a.dropped
		a.dropped = 0
		a.mu.Unlock()
		if d > 0 {
			a.log.Error("API audit entries dropped: the queue was full", "dropped", d)
		}
		if len(batch) == 0 {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := a.st.APIWriteAudit(ctx, batch)
		cancel()
		if err != nil {
			a.log.Error("cannot write the API audit log", "entries", len(batch), "err", err)
		}
		batch = batch[:0]
	}
	for {
		select {
		case e, ok := <-a.ch:
			if !ok {
				flush()
				return
			}
			batch = append(batch, e)
			if len(batch) >= 1000 {
				flush()
			}
		case <-t.C:
			flush()
		}
	}
}

// close writes what is queued and stops the writer; safe twice.
func (a *auditor) close() {
	a.once.Do(func() {
		a.sendMu.Lock()
		a.closed = true
		close(a.ch)
		a.sendMu.Unlock()
	})
	<-a.done
}
