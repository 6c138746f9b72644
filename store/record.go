package store

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// RecordEnv names the environment variable that makes every store record
// the statements it sends: when set to a file path, each Query, QueryRow,
// Exec and batch insert appends one JSON line (Recorded) to that file. The
// SQL replay check (make check-sql-modern) runs the recorded statements on
// current ClickHouse.
const RecordEnv = "RISKWATCH_SQL_RECORD"

// Recorded is one statement a store sent, as RecordEnv writes it.
type Recorded struct {
	Kind     string        `json:"kind"` // query, exec or insert
	SQL      string        `json:"sql"`
	Args     []RecordedArg `json:"args,omitempty"`
	Database string        `json:"database"`
	// Caller is the file:line in package store that sent the statement,
	// followed by the first caller outside the package.
	Caller string `json:"caller"`
}

// RecordedArg is one bound argument with its Go type, so that a replay
// binds the same value.
type RecordedArg struct {
	Type  string          `json:"type"`
	Value json.RawMessage `json:"value"`
}

// recorder appends Recorded lines to a file shared by concurrent stores and
// test processes (O_APPEND, one write per line).
type recorder struct {
	mu sync.Mutex
	f  *os.File
}

var (
	recOnce sync.Once
	rec     *recorder
)

func theRecorder() *recorder {
	recOnce.Do(func() {
		p := os.Getenv(RecordEnv)
		if p == "" {
			return
		}
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			fmt.Fprintf(os.Stderr, "store: %s: cannot open %s: %v\n", RecordEnv, p, err)
			return
		}
		rec = &recorder{f: f}
	})
	return rec
}

func (r *recorder) add(kind, db, query string, args []any) {
	rc := Recorded{Kind: kind, SQL: query, Database: db, Caller: callSite()}
	for _, a := range args {
		v, err := json.Marshal(a)
		if err != nil {
			v, _ = json.Marshal(fmt.Sprint(a))
		}
		rc.Args = append(rc.Args, RecordedArg{Type: fmt.Sprintf("%T", a), Value: v})
	}
	b, err := json.Marshal(rc)
	if err != nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	_, _ = r.f.Write(append(b, '\n'))
}

// callSite returns "store/file.go:N < pkg/file.go:M": the store's own line
// that sent the statement and the first caller outside the store.
func callSite() string {
	pcs := make([]uintptr, 32)
	n := runtime.Callers(3, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	var inStore, outside string
	for {
		f, more := frames.Next()
		rel := shortPath(f.File)
		switch {
		case strings.HasSuffix(f.File, "/store/record.go"):
		case strings.Contains(f.File, "/store/") && !strings.HasSuffix(f.File, "_test.go"):
			if inStore == "" {
				inStore = fmt.Sprintf("%s:%d", rel, f.Line)
			}
		default:
			if inStore != "" && outside == "" {
				outside = fmt.Sprintf("%s:%d", rel, f.Line)
			}
		}
		if !more || outside != "" {
			break
		}
	}
	if outside == "" {
		return inStore
	}
	return inStore + " < " + outside
}

// moduleRoot is the directory of the module (the parent of store/).
var moduleRoot = func() string {
	_, f, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(f)) + string(filepath.Separator)
}()

// shortPath cuts a file path of the module to its module-relative part.
func shortPath(p string) string { return strings.TrimPrefix(p, moduleRoot) }

// recordingConn records every statement before sending it.
type recordingConn struct {
	driver.Conn
	r  *recorder
	db string
}

func (c recordingConn) Query(ctx context.Context, q string, args ...any) (driver.Rows, error) {
	c.r.add("query", c.db, q, args)
	return c.Conn.Query(ctx, q, args...)
}

func (c recordingConn) QueryRow(ctx context.Context, q string, args ...any) driver.Row {
	c.r.add("query", c.db, q, args)
	return c.Conn.QueryRow(ctx, q, args...)
}

func (c recordingConn) Select(ctx context.Context, dest any, q string, args ...any) error {
	c.r.add("query", c.db, q, args)
	return c.Conn.Select(ctx, dest, q, args...)
}

func (c recordingConn) Exec(ctx context.Context, q string, args ...any) error {
	c.r.add("exec", c.db, q, args)
	return c.Conn.Exec(ctx, q, args...)
}

func (c recordingConn) PrepareBatch(ctx context.Context, q string, opts ...driver.PrepareBatchOption) (driver.Batch, error) {
	c.r.add("insert", c.db, q, nil)
	return c.Conn.PrepareBatch(ctx, q, opts...)
}

// withRecording wraps conn when RecordEnv is set.
func withRecording(conn driver.Conn, db string) driver.Conn {
	if r := theRecorder(); r != nil {
		return recordingConn{Conn: conn, r: r, db: db}
	}
	return conn
}

// LoggedContext returns ctx with every query run under it logged in
// system.query_log with the setting log_queries_cut_to_length at
// LoggedTagBase + tag (it only bounds the length of the logged text), so
// that a benchmark can add up the server time of one job's queries.
func LoggedContext(ctx context.Context, tag int) context.Context {
	return clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"log_queries": 1, "log_queries_cut_to_length": LoggedTagBase + tag}))
}

// LoggedTagBase is the log_queries_cut_to_length of LoggedContext's tag 0.
const LoggedTagBase = 1_000_000

// RunLogged runs query with args as the store would, with query_id id
// and log_queries on, and discards the rows. With LoggedTexts it gives the
// text the server received, arguments bound by the driver; the SQL replay
// check (internal/tools/sqlreplay) uses them.
func (s *Store) RunLogged(ctx context.Context, id, query string, args ...any) error {
	qctx := clickhouse.Context(ctx, clickhouse.WithQueryID(id), clickhouse.WithSettings(clickhouse.Settings{"log_queries": 1}))
	rows, err := s.conn.Query(qctx, query, args...)
	if err != nil {
		return err
	}
	for rows.Next() {
	}
	rows.Close()
	return rows.Err()
}

// ExecLogged is RunLogged for a statement without rows (INSERT … SELECT).
func (s *Store) ExecLogged(ctx context.Context, id, query string, args ...any) error {
	qctx := clickhouse.Context(ctx, clickhouse.WithQueryID(id), clickhouse.WithSettings(clickhouse.Settings{"log_queries": 1}))
	return s.conn.Exec(qctx, query, args...)
}

// LoggedTexts returns the texts of finished queries by query_id, read from
// system.query_log (type 2 is QueryFinish on 18.16 and later) after
// flushing it. Queries logged later than a few seconds are missing.
func (s *Store) LoggedTexts(ctx context.Context, ids []string) (map[string]string, error) {
	out := make(map[string]string, len(ids))
	for try := 0; try < 20 && len(out) < len(ids); try++ {
		if try > 0 {
			time.Sleep(200 * time.Millisecond)
		}
		if err := s.conn.Exec(ctx, "SYSTEM FLUSH LOGS"); err != nil {
			return nil, fmt.Errorf("cannot flush logs: %w", err)
		}
		rows, err := s.conn.Query(ctx, "SELECT query_id, query FROM system.query_log WHERE type = 2 AND has(?, query_id)", ids)
		if err != nil {
			return nil, fmt.Errorf("cannot read query_log: %w", err)
		}
		for rows.Next() {
			var id, text string
			if err := rows.Scan(&id, &text); err != nil {
				rows.Close()
				return nil, err
			}
			out[id] = text
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}
