package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/riskwatch/riskwatch/ingest"
	"github.com/riskwatch/riskwatch/internal/servers"
	"github.com/riskwatch/riskwatch/internal/tools/toolenv"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/sources/demo"
	"github.com/riskwatch/riskwatch/transform"
)

// The sinker reads the demo records already transformed, one flat JSON
// object per row whose keys are the columns of cases.
const flatTopic = "disputes_flat"

// sinkerName is the name of the comparison variant that runs
// clickhouse_sinker instead of riskwatch.
const sinkerName = "clickhouse_sinker"

// produceFlat produces the same demo records as the contract topic, each
// run through riskwatch's transform, to flatTopic. Every row's _partition
// is 0 and its _offset its place in the stream (the record's partition and
// offset on the contract topic are the broker's choice): the same columns
// and the same values otherwise.
func produceFlat(ctx context.Context, brokers []string, partitions, records int, topic string) (int, error) {
	if err := ingest.EnsureTopics(ctx, ingest.Plain(brokers...), ingest.TopicSpec{Name: flatTopic, Partitions: partitions, MaxMessageBytes: 16 << 20}); err != nil {
		return 0, err
	}
	reg, err := schemas.LoadTongliao()
	if err != nil {
		return 0, err
	}
	tr, err := transform.New(transform.Options{Registry: reg})
	if err != nil {
		return 0, err
	}
	gen, err := demo.NewN(demo.Options{Seed: 7}, records)
	if err != nil {
		return 0, err
	}
	p := ingest.NewProducer(ingest.Plain(brokers...), flatTopic)
	defer p.Close()
	var batch []ingest.Record
	now := time.Now()
	n, seq := 0, 0
	for {
		r, ok := gen.Next()
		if ok {
			b, err := schemas.MarshalRecord(r)
			if err != nil {
				return 0, err
			}
			row, err := tr.Transform(b, transform.Meta{Topic: topic, Offset: int64(seq), Key: []byte(r.CaseID)}, now)
			seq++
			if err != nil {
				continue // a reject: the sinker has no dead letters
			}
			n++
			flat, err := json.Marshal(flatRow(&row))
			if err != nil {
				return 0, err
			}
			batch = append(batch, ingest.Record{Key: []byte(r.CaseID), Value: flat})
		}
		if len(batch) == 10_000 || (!ok && len(batch) > 0) {
			if err := p.Send(ctx, batch...); err != nil {
				return 0, err
			}
			batch = batch[:0]
		}
		if !ok {
			return n, nil
		}
	}
}

// flatRow returns a row as the sinker reads it: DateTime columns as Unix
// seconds, Date as YYYY-MM-DD (read in the sinker's time zone), enums as
// their names, booleans as 0 or 1, null for a missing Nullable value.
func flatRow(r *schemas.CaseRow) map[string]any {
	ts := func(t *time.Time) any {
		if t == nil {
			return nil
		}
		return t.Unix()
	}
	f := func(p *float64) any {
		if p == nil {
			return nil
		}
		return *p
	}
	b := func(v bool) int {
		if v {
			return 1
		}
		return 0
	}
	updated := r.UpdatedAt
	if updated.IsZero() {
		updated = r.IngestedAt
	}
	return map[string]any{
		"source": string(r.Source), "case_id": r.CaseID, "version": r.Version, "contract": r.Contract, "channel": string(r.Channel),
		"reported_at": r.ReportedAt.Unix(), "reported_date": r.ReportedDate.In(schemas.Zone()).Format("2006-01-02"), "occurred_at": ts(r.OccurredAt),
		"region_code": r.RegionCode, "region_level": r.RegionLevel, "city_code": r.CityCode, "county_code": r.CountyCode,
		"town_code": r.TownCode, "village_code": r.VillageCode, "grid_id": r.GridID, "lat": f(r.Lat), "lon": f(r.Lon),
		"category": r.Category, "category_group": r.CategoryGroup, "category_rule": r.CategoryRule, "category_text": r.CategoryText,
		"summary": r.Summary, "severity": string(r.Severity), "parties": r.Parties, "amount_cny": r.AmountCNY,
		"status": string(r.Status), "assigned_unit": r.AssignedUnit, "due_at": ts(r.DueAt), "resolved_at": ts(r.ResolvedAt),
		"feedback_at": ts(r.FeedbackAt), "evaluated_at": ts(r.EvaluatedAt), "satisfaction": string(r.Satisfaction),
		"repeat_of": r.RepeatOf, "petition": b(r.Petition), "superior_assigned": b(r.SuperiorAssigned), "escalated": b(r.Escalated),
		"group_dispute": b(r.GroupDispute), "large_amount": b(r.LargeAmount),
		"ingested_at": r.IngestedAt.Unix(), "_topic": r.Topic, "_partition": r.Partition, "_offset": r.Offset, "updated_at": updated.Unix(),
	}
}

// sinkerDims lists the columns of db.cases for the sinker's task.dims. Its
// autoSchema cannot read DateTime('Asia/Shanghai') (it panics), so the
// types are given with the time zone left out.
func sinkerDims(ctx context.Context, p runParams, db string) ([]map[string]string, error) {
	out, err := p.ch.Query(ctx, "SELECT name, type FROM system.columns WHERE database = '"+db+"' AND table = 'cases'")
	if err != nil {
		return nil, err
	}
	var dims []map[string]string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		name, typ, ok := strings.Cut(line, "\t")
		if !ok {
			return nil, fmt.Errorf("unexpected system.columns line %q", line)
		}
		typ = strings.ReplaceAll(typ, "\\'", "'")
		typ = strings.ReplaceAll(typ, "DateTime('Asia/Shanghai')", "DateTime")
		dims = append(dims, map[string]string{"name": name, "type": typ})
	}
	return dims, nil
}

// runSinker is runOnce for clickhouse_sinker: the same fresh database (made
// by riskwatch migrate, with both materialized views), a fresh consumer
// group on flatTopic, the clock from the sinker's start to the last row in
// case_events.
func runSinker(ctx context.Context, p runParams, cfgPath, db string) (result, error) {
	dims, err := sinkerDims(ctx, p, db)
	if err != nil {
		return result{}, err
	}
	host, port, _ := strings.Cut(p.ch.Addr, ":")
	portN, err := strconv.Atoi(port)
	if err != nil {
		return result{}, err
	}
	httpAddr, err := toolenv.FreeAddr()
	if err != nil {
		return result{}, err
	}
	_, httpPort, _ := strings.Cut(httpAddr, ":")
	cfg := map[string]any{
		"clickhouse": map[string]any{"hosts": [][]string{{host}}, "port": portN, "db": db, "username": "default", "password": "",
			"retryTimes": 0, "maxOpenConns": 1},
		"kafka": map[string]any{"brokers": strings.Join(p.brokers, ",")},
		"task": map[string]any{"name": "cases", "topic": flatTopic, "consumerGroup": db, "earliest": true, "parser": "fastjson",
			// A sharding key keeps it from adding a __shardingkey column
			// to a ReplacingMergeTree (an ALTER that 18.16 cannot parse);
			// with one shard it changes nothing else.
			"shardingKey": "case_id",
			"tableName":   "cases", "dims": dims, "bufferSize": p.sinkerBuffer, "timeZone": schemas.Zone().String()},
		"logLevel": "warn",
	}
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return result{}, err
	}
	cfgPath = filepath.Join(filepath.Dir(cfgPath), "sinker.json")
	if err := os.WriteFile(cfgPath, b, 0o600); err != nil {
		return result{}, err
	}
	cmd := exec.Command(p.sinker, "--local-cfg-file", cfgPath, "--http-host", "127.0.0.1", "--http-port", httpPort, "--log-paths", "stdout")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return measure(ctx, p, db, cmd, "", false)
}

// measure runs the ingester cmd until every row is in db.case_events, then
// stops it and returns the figures.
func measure(ctx context.Context, p runParams, db string, cmd *exec.Cmd, metricsAddr string, waitInserted bool) (result, error) {
	ch := p.ch
	// The server's own idle CPU rate (background threads), measured
	// before the run: under a loaded machine wall times vary a lot, and
	// idle CPU over a longer run is no cost of the rows.
	idle0 := toolenv.ProcCPU(ch.PID())
	time.Sleep(idleSample)
	idleRate := (toolenv.ProcCPU(ch.PID()) - idle0).Seconds() / idleSample.Seconds()
	inserts0 := insertQueries(ctx, ch)
	chCPU0 := toolenv.ProcCPU(ch.PID())
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return result{}, err
	}
	var n int64
	for {
		// Rows are stored when case_events has them all, or (runs
		// without case_events_mv: waitInserted) when riskwatch counts them
		// inserted.
		if waitInserted {
			if n = insertedRows(metricsAddr); n >= int64(p.rows) {
				break
			}
		} else if out, err := ch.Query(ctx, "SELECT count() FROM "+db+".case_events"); err == nil {
			n, _ = strconv.ParseInt(strings.TrimSpace(out), 10, 64)
			if n >= int64(p.rows) {
				break
			}
		}
		if time.Since(start) > 30*time.Minute {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			return result{}, fmt.Errorf("only %d of %d rows after 30 minutes", n, p.rows)
		}
		time.Sleep(50 * time.Millisecond)
	}
	elapsed := time.Since(start)
	chCPU := toolenv.ProcCPU(ch.PID()) - chCPU0
	batches := ""
	if metricsAddr != "" {
		batches = batchesByReason(metricsAddr)
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	_ = cmd.Wait()
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return result{}, fmt.Errorf("no resource usage for the ingester")
	}
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	written, _ := ch.Query(ctx, "SELECT count() FROM system.parts WHERE database = '"+db+"' AND table = 'cases' AND level = 0")
	nParts, _ := strconv.Atoi(strings.TrimSpace(written))
	inserts := insertQueries(ctx, ch) - inserts0
	settleMerges(ctx, ch, db)
	merged := (toolenv.ProcCPU(ch.PID()) - chCPU0).Seconds() - idleRate*time.Since(start).Seconds()
	return result{
		rowsPerSec: float64(p.rows) / elapsed.Seconds(), rowsPerCPU: float64(p.rows) / cpu.Seconds(),
		rssMB: float64(ru.Maxrss) / 1024, serverPerM: chCPU.Seconds() * 1e6 / float64(p.rows),
		serverBusyPerM: max(0, chCPU.Seconds()-idleRate*elapsed.Seconds()) * 1e6 / float64(p.rows), idleRate: idleRate,
		wall: elapsed, cpu: cpu, serverCPU: chCPU, parts: nParts, batches: batches,
		serverMergedPerM: max(0, merged) * 1e6 / float64(p.rows), inserts: inserts,
	}, nil
}

// insertedRows reads riskwatch's count of rows acknowledged by ClickHouse.
func insertedRows(metricsAddr string) int64 {
	resp, err := http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		return 0
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, "riskwatch_ingest_inserted_rows_total "); ok {
			f, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return int64(f)
		}
	}
	return 0
}

// insertQueries reads the server's count of INSERT queries so far (every
// table: cases, rule_alarms, ingest_errors; the views' writes are part of
// the cases insert).
func insertQueries(ctx context.Context, ch *servers.ClickHouse) int {
	out, err := ch.Query(ctx, "SELECT value FROM system.events WHERE event = 'InsertQuery'")
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(strings.TrimSpace(out))
	return n
}

// settleMerges waits (up to 2 minutes) until no merge of db's tables has
// run for a second: the merges the run's parts start once they are written.
func settleMerges(ctx context.Context, ch *servers.ClickHouse, db string) {
	deadline := time.Now().Add(2 * time.Minute)
	quiet := 0
	for quiet < 5 && time.Now().Before(deadline) {
		out, err := ch.Query(ctx, "SELECT count() FROM system.merges WHERE database = '"+db+"'")
		if err == nil && strings.TrimSpace(out) == "0" {
			quiet++
		} else {
			quiet = 0
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// idleSample is how long the server's idle CPU rate is sampled before a run.
const idleSample = 5 * time.Second
