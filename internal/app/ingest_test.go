package app_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/ingest"
	"github.com/riskwatch/riskwatch/internal/app"
	"github.com/riskwatch/riskwatch/internal/testenv"
	"github.com/riskwatch/riskwatch/store"
)

// good returns a valid record of contract version 1.
func good(id string, version int, summary string) string {
	return fmt.Sprintf(`{"case_id":%q,"version":%d,"source":"platform","channel":"visit","reported_at":"2026-03-02T09:00:00+08:00",`+
		`"region_code":"150502001001","category":"neighbor.noise","summary":%q,"severity":"general","parties":2,"status":"accepted"}`, id, version, summary)
}

// TestBadInputGoesToDeadLettersWhileTheStreamFlows produces good records
// interleaved with every kind of bad input through a real Apache Kafka
// broker into the real transform and ClickHouse: every good record is
// stored, every bad one is in ingest_errors with its reason, and the stream
// never stops.
func TestBadInputGoesToDeadLettersWhileTheStreamFlows(t *testing.T) {
	k := testenv.Kafka(t)
	ch := testenv.ClickHouse(t)
	db := testenv.FreshDatabase(t, "badinput")
	topic := "disputes_" + db
	cfg := writeConfig(t, fmt.Sprintf(`
clickhouse:
  local: {enabled: false}
  addrs: [%s]
  database: %s
kafka:
  embedded: false
  brokers: [%s]
  topic: %s
  group: g_%s
http:
  listen: 127.0.0.1:0
metrics:
  listen: 127.0.0.1:0
ingest:
  batch_rows: 50
  batch_age: 100ms
log:
  level: warn
`, ch.Addr, db, k.Addr, topic, db))

	huge := `{"case_id":"huge","version":1,"source":"platform","reported_at":"2026-03-02T09:00:00+08:00","region_code":"150502001001","parties":2,"status":"accepted","summary":"` +
		strings.Repeat("长", 10<<20/3) + `"}`
	bad := []struct{ name, value, reason string }{
		{"broken JSON", `{"case_id":"b1","version":`, "bad_json"},
		{"wrong types", strings.Replace(good("b2", 1, "x"), `"parties":2`, `"parties":true`, 1), "wrong_type"},
		{"missing case_id", strings.Replace(good("b3", 1, "x"), `"case_id":"b3",`, ``, 1), "missing_field"},
		{"unknown region", strings.Replace(good("b4", 1, "x"), `150502001001`, `150599001001`, 1), "unknown_region"},
		{"negative amount", strings.Replace(good("b5", 1, "x"), `"parties":2`, `"parties":2,"amount_cny":-5`, 1), "bad_value"},
		{"year 2099", strings.Replace(good("b6", 1, "x"), `2026-03-02T09`, `2099-03-02T09`, 1), "future_time"},
		{"10 MB message", huge, "too_large"},
		{"invalid UTF-8", good("b8", 1, "x") + "", "invalid_utf8"},
		{"empty message", ``, "empty"},
		{"version 0", good("b10", 0, "x"), "bad_value"},
		{"unknown enum", strings.Replace(good("b11", 1, "x"), `"status":"accepted"`, `"status":"pending"`, 1), "unknown_enum"},
		{"numbers as strings", strings.Replace(good("b12", 1, "x"), `"parties":2`, `"parties":"2"`, 1), "wrong_type"},
		{"null bytes", strings.Replace(good("b13", 1, "x"), `"x"`, `"a\u0000b"`, 1), "null_byte"},
		{"unknown field", strings.Replace(good("b14", 1, "x"), `"parties":2`, `"parties":2,"priority":1`, 1), "unknown_field"},
		{"trailing data", good("b15", 1, "x") + ` {"more":1}`, "trailing_data"},
		{"newer contract", strings.Replace(good("b16", 1, "x"), `{`, `{"contract":2,`, 1), "unsupported_contract"},
		{"duplicate version with different content", good("dup", 1, "second text"), "duplicate_version"},
	}
	// Invalid UTF-8: a lone continuation byte inside the summary.
	bad[7].value = strings.Replace(good("b8", 1, "x"), `"x"`, "\"a\x80b\"", 1)

	var recs []ingest.Record
	add := func(key, v string) { recs = append(recs, ingest.Record{Key: []byte(key), Value: []byte(v)}) }
	goodCount := 0
	for i := 0; i < 100; i++ {
		add(fmt.Sprintf("g%d", i), good(fmt.Sprintf("g%d", i), 1, "邻居噪音"))
		goodCount++
	}
	add("dup", good("dup", 1, "first text"))
	goodCount++
	add("xss", good("xss", 1, `<script>alert("x")</script> 楼上噪音`))
	goodCount++
	for i, b := range bad {
		key := fmt.Sprintf("bad%d", i)
		if b.reason == "duplicate_version" {
			key = "dup" // producers key by case id: every version of a case shares a partition
		}
		add(key, b.value)
		add(fmt.Sprintf("m%d", i), strings.Replace(good(fmt.Sprintf("m%d", i), 1, "张三 13812345678 吵闹"), `"parties":2`, `"parties":2,"party_names":["张三"]`, 1))
		goodCount++
	}
	if err := ingest.EnsureTopics(context.Background(), ingest.Plain(k.Addr), ingest.TopicSpec{Name: topic, Partitions: 2, MaxMessageBytes: 16 << 20}); err != nil {
		t.Fatal(err)
	}
	p := ingest.NewProducer(ingest.Plain(k.Addr), topic)
	// One message at a time keeps the huge one in a request of its own.
	for _, r := range recs {
		if err := p.Send(context.Background(), r); err != nil {
			t.Fatalf("produce %q…: %v", string(r.Key), err)
		}
	}
	p.Close()

	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() { done <- app.MainContext(ctx, []string{"ingest", "--config", cfg}, &out, &errb) }()
	defer func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("ingest exited %d: %s", code, errb.String())
			}
		case <-time.After(40 * time.Second):
			t.Error("ingest did not stop")
		}
	}()

	st, err := store.Open(context.Background(), store.Options{Addrs: []string{ch.Addr}, Database: db, Username: "default",
		DialTimeout: 5 * time.Second, ReadTimeout: time.Minute, MaxOpenConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	defer st.DropDatabase(context.Background())
	want := map[string]uint64{}
	for _, b := range bad {
		want[b.reason]++
	}
	deadline := time.Now().Add(90 * time.Second)
	var got map[string]uint64
	var cs store.CaseStats
	for {
		cs, _ = st.CaseStats(context.Background())
		got, _ = st.IngestErrorCounts(context.Background())
		total := uint64(0)
		for _, n := range got {
			total += n
		}
		if cs.Rows >= uint64(goodCount) && total >= uint64(len(bad)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 90 s: %d of %d good cases, errors %v; stderr %s", cs.Rows, goodCount, got, errb.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	if cs.Rows != uint64(goodCount) {
		t.Errorf("stored %d cases, want %d", cs.Rows, goodCount)
	}
	for reason, n := range want {
		if got[reason] != n {
			t.Errorf("ingest_errors[%s] = %d, want %d (all: %v)", reason, got[reason], n, got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("ingest_errors reasons %v, want exactly %v", got, want)
	}
	// The script stays text, the first copy of the duplicated version stands,
	// and nothing personal reached ClickHouse.
	text, err := ch.Query(context.Background(), "SELECT case_id, summary FROM "+db+".cases FINAL WHERE case_id IN ('xss', 'dup', 'm0') ORDER BY case_id FORMAT TabSeparated")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"<script>alert", "first text"} {
		if !strings.Contains(text, w) {
			t.Errorf("stored summaries %q lack %q", text, w)
		}
	}
	dump, err := ch.Query(context.Background(), "SELECT summary FROM "+db+".cases FINAL FORMAT TabSeparated")
	if err != nil {
		t.Fatal(err)
	}
	errText, err := ch.Query(context.Background(), "SELECT raw_masked, detail FROM "+db+".ingest_errors FORMAT TabSeparated")
	if err != nil {
		t.Fatal(err)
	}
	dump += errText
	for _, pii := range []string{"13812345678", "张三"} {
		if strings.Contains(dump, pii) {
			t.Errorf("personal data %q reached ClickHouse", pii)
		}
	}
	if !bytes.Contains([]byte(dump), []byte("张*")) {
		t.Errorf("masked name 张* not found in stored text")
	}
}
