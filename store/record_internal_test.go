package store

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/internal/testenv"
	"github.com/riskwatch/riskwatch/schemas"
)

// TestRecordingConnWritesStatementArgsAndCallSite: with recording on, a
// query is written with its arguments, their Go types, the database and
// the call site in the store and outside it.
func TestRecordingConnWritesStatementArgsAndCallSite(t *testing.T) {
	ch := testenv.ClickHouse(t)
	ctx := context.Background()
	st, err := Open(ctx, Options{Addrs: []string{ch.Addr}, Database: testenv.FreshDatabase(t, "record"), Username: "default",
		DialTimeout: 5 * time.Second, ReadTimeout: time.Minute, MaxOpenConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = st.DropDatabase(ctx); st.Close() }()
	migs, _ := schemas.Migrations()
	if _, err := st.Migrate(ctx, migs); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "rec.jsonl")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st.conn = recordingConn{Conn: st.conn, r: &recorder{f: f}, db: st.db}
	since := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	if _, err := st.APIDailyChangedDays(ctx, since); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	var r Recorded
	if err := json.Unmarshal([]byte(lines[0]), &r); err != nil {
		t.Fatalf("line %q: %v", lines[0], err)
	}
	if r.Kind != "query" || !strings.Contains(r.SQL, "SELECT") || r.Database != st.db {
		t.Errorf("recorded %+v", r)
	}
	if len(r.Args) != 1 || r.Args[0].Type != "time.Time" || string(r.Args[0].Value) != `"2026-03-01T00:00:00Z"` {
		t.Errorf("args %+v, want one time.Time 2026-03-01T00:00:00Z", r.Args)
	}
	if !strings.HasPrefix(r.Caller, "store/api_trends.go:") || !strings.Contains(r.Caller, " < store/record_internal_test.go:") {
		t.Errorf("caller %q, want store/api_trends.go:N < store/record_internal_test.go:M", r.Caller)
	}
}
