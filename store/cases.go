package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/shopspring/decimal"

	"github.com/riskwatch/riskwatch/schemas"
)

// caseColumns are the columns of cases, in migration order.
const caseColumns = "source, case_id, version, contract, channel, reported_at, reported_date, occurred_at, " +
	"region_code, region_level, city_code, county_code, town_code, village_code, grid_id, lat, lon, " +
	"category, category_group, category_rule, category_text, summary, severity, parties, amount_cny, " +
	"status, assigned_unit, due_at, resolved_at, feedback_at, evaluated_at, satisfaction, " +
	"repeat_of, petition, superior_assigned, escalated, group_dispute, large_amount, " +
	"ingested_at, _topic, _partition, _offset, updated_at, category_confidence, " +
	"party_keys, party_key_kinds, party_labels"

var (
	enumSource, _       = schemas.EnumFor("source")
	enumChannel, _      = schemas.EnumFor("channel")
	enumSeverity, _     = schemas.EnumFor("severity")
	enumStatus, _       = schemas.EnumFor("status")
	enumSatisfaction, _ = schemas.EnumFor("satisfaction")
)

// DefaultInsertBlockRows is how many rows of a cases insert go to the
// server in one data block (Options.InsertBlockRows). The insert is still
// one statement (the server squashes the blocks into parts), but the client
// holds only one block's column copies at a time.
const DefaultInsertBlockRows = 8192

// InsertCases writes rows to cases (latest version wins); the server's
// materialized views copy them into case_events (every version, without
// free text) and the daily rollup. All three collapse duplicates, so a retried or re-delivered
// batch never changes counts. The rows are sent once, column by column, in
// blocks of Options.InsertBlockRows. The caller keeps ownership of rows; nothing is
// retained.
func (s *Store) InsertCases(ctx context.Context, rows ...[]schemas.CaseRow) error {
	n := 0
	for _, r := range rows {
		n += len(r)
	}
	if n == 0 {
		return nil
	}
	if s.cl.name == "" {
		return insertCaseRows(ctx, s.conn, "cases", n, s.block, rows)
	}
	key := caseBatchKey(n, rows)
	if s.router.failedBefore(key) {
		ctx = clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"insert_deduplicate": 0}))
	}
	var err error
	if s.cl.insert == ClusterInsertLocal {
		err = s.insertCasesLocal(ctx, n, rows)
	} else {
		err = insertCaseRows(ctx, s.conn, "cases", n, s.block, rows)
	}
	s.router.noteInsert(key, err)
	return err
}

// insertCaseRows inserts the n rows of rows into table over conn, in blocks
// of block rows: the same rows in the same order give the same blocks,
// which a replicated table drops as duplicates when they come again.
func insertCaseRows(ctx context.Context, conn driver.Conn, table string, n, block int, rows [][]schemas.CaseRow) error {
	b, err := conn.PrepareBatch(ctx, "INSERT INTO "+table+" ("+caseColumns+")")
	if err != nil {
		return fmt.Errorf("cannot prepare insert into %s: %w", table, err)
	}
	cb := newCaseBlock(min(n, block))
	flush := func() error {
		for i, c := range cb.columns() {
			if err := b.Column(i).Append(c); err != nil {
				return &DataError{Table: table, Err: fmt.Errorf("column %d: %w", i, err)}
			}
		}
		cb.reset()
		if err := b.Flush(); err != nil {
			return classify(table, err)
		}
		return nil
	}
	for _, rs := range rows {
		for i := range rs {
			cb.add(&rs[i])
			if cb.n == block {
				if err := flush(); err != nil {
					_ = b.Abort()
					return err
				}
			}
		}
	}
	if cb.n > 0 {
		if err := flush(); err != nil {
			_ = b.Abort()
			return err
		}
	}
	if err := b.Send(); err != nil {
		return classify(table, err)
	}
	return nil
}

// classify wraps an insert error: transient errors for retrying, anything
// else as a DataError (the rows themselves are refused).
func classify(table string, err error) error {
	if IsTransient(err) {
		return fmt.Errorf("cannot insert into %s: %w", table, err)
	}
	return &DataError{Table: table, Err: err}
}

func (s *Store) insertColumns(ctx context.Context, table, columns string, cols []any) error {
	b, err := s.conn.PrepareBatch(ctx, "INSERT INTO "+table+" ("+columns+")")
	if err != nil {
		return fmt.Errorf("cannot prepare insert into %s: %w", table, err)
	}
	for i, c := range cols {
		if err := b.Column(i).Append(c); err != nil {
			_ = b.Abort()
			return &DataError{Table: table, Err: fmt.Errorf("column %d: %w", i, err)}
		}
	}
	if err := b.Send(); err != nil {
		return classify(table, err)
	}
	return nil
}

// caseBlock holds one block of rows as column slices, in caseColumns order.
// Its slices are reused from block to block: the driver copies what it is
// given.
type caseBlock struct {
	n                                                               int
	source, channel, severity, status, satisfaction                 []int8
	caseID, regionCode, cityCode, countyCode, townCode, villageCode []string
	gridID, category, categoryGroup, categoryRule, categoryText     []string
	summary, assignedUnit, repeatOf, topic                          []string
	version, parties                                                []uint32
	contract                                                        []uint16
	regionLevel, petition, superior, escalated, group, large        []uint8
	reportedAt, reportedDate, ingestedAt, updatedAt                 []time.Time
	occurredAt, dueAt, resolvedAt, feedbackAt, evaluatedAt          []*time.Time
	lat, lon                                                        []*float64
	amount                                                          []decimal.Decimal
	partition                                                       []int32
	offset                                                          []int64
	confidence                                                      []float32
	partyKeys, partyKinds, partyLabels                              [][]string
}

func newCaseBlock(capacity int) *caseBlock {
	c := &caseBlock{}
	c.grow(capacity)
	return c
}

func (c *caseBlock) grow(n int) {
	mk := func(p *[]string) { *p = make([]string, 0, n) }
	for _, p := range []*[]string{&c.caseID, &c.regionCode, &c.cityCode, &c.countyCode, &c.townCode, &c.villageCode,
		&c.gridID, &c.category, &c.categoryGroup, &c.categoryRule, &c.categoryText, &c.summary, &c.assignedUnit, &c.repeatOf, &c.topic} {
		mk(p)
	}
	for _, p := range []*[]int8{&c.source, &c.channel, &c.severity, &c.status, &c.satisfaction} {
		*p = make([]int8, 0, n)
	}
	for _, p := range []*[]uint8{&c.regionLevel, &c.petition, &c.superior, &c.escalated, &c.group, &c.large} {
		*p = make([]uint8, 0, n)
	}
	for _, p := range []*[]*time.Time{&c.occurredAt, &c.dueAt, &c.resolvedAt, &c.feedbackAt, &c.evaluatedAt} {
		*p = make([]*time.Time, 0, n)
	}
	c.reportedAt, c.reportedDate, c.ingestedAt, c.updatedAt = make([]time.Time, 0, n), make([]time.Time, 0, n), make([]time.Time, 0, n), make([]time.Time, 0, n)
	c.version, c.parties = make([]uint32, 0, n), make([]uint32, 0, n)
	c.contract = make([]uint16, 0, n)
	c.lat, c.lon = make([]*float64, 0, n), make([]*float64, 0, n)
	c.amount = make([]decimal.Decimal, 0, n)
	c.partition, c.offset = make([]int32, 0, n), make([]int64, 0, n)
	c.confidence = make([]float32, 0, n)
	c.partyKeys, c.partyKinds, c.partyLabels = make([][]string, 0, n), make([][]string, 0, n), make([][]string, 0, n)
}

func (c *caseBlock) add(r *schemas.CaseRow) {
	c.n++
	c.source = append(c.source, enumSource.Code(string(r.Source)))
	c.caseID = append(c.caseID, r.CaseID)
	c.version = append(c.version, r.Version)
	c.contract = append(c.contract, r.Contract)
	c.channel = append(c.channel, enumChannel.Code(string(r.Channel)))
	c.reportedAt = append(c.reportedAt, r.ReportedAt)
	c.reportedDate = append(c.reportedDate, r.ReportedDate)
	c.occurredAt = append(c.occurredAt, r.OccurredAt)
	c.regionCode = append(c.regionCode, r.RegionCode)
	c.regionLevel = append(c.regionLevel, r.RegionLevel)
	c.cityCode = append(c.cityCode, r.CityCode)
	c.countyCode = append(c.countyCode, r.CountyCode)
	c.townCode = append(c.townCode, r.TownCode)
	c.villageCode = append(c.villageCode, r.VillageCode)
	c.gridID = append(c.gridID, r.GridID)
	c.lat = append(c.lat, r.Lat)
	c.lon = append(c.lon, r.Lon)
	c.category = append(c.category, r.Category)
	c.categoryGroup = append(c.categoryGroup, r.CategoryGroup)
	c.categoryRule = append(c.categoryRule, r.CategoryRule)
	c.categoryText = append(c.categoryText, r.CategoryText)
	c.summary = append(c.summary, r.Summary)
	c.severity = append(c.severity, enumSeverity.Code(string(r.Severity)))
	c.parties = append(c.parties, r.Parties)
	c.amount = append(c.amount, decimal.New(int64(math.Round(r.AmountCNY*100)), -2))
	c.status = append(c.status, enumStatus.Code(string(r.Status)))
	c.assignedUnit = append(c.assignedUnit, r.AssignedUnit)
	c.dueAt = append(c.dueAt, r.DueAt)
	c.resolvedAt = append(c.resolvedAt, r.ResolvedAt)
	c.feedbackAt = append(c.feedbackAt, r.FeedbackAt)
	c.evaluatedAt = append(c.evaluatedAt, r.EvaluatedAt)
	c.satisfaction = append(c.satisfaction, enumSatisfaction.Code(string(r.Satisfaction)))
	c.repeatOf = append(c.repeatOf, r.RepeatOf)
	c.petition = append(c.petition, b2u(r.Petition))
	c.superior = append(c.superior, b2u(r.SuperiorAssigned))
	c.escalated = append(c.escalated, b2u(r.Escalated))
	c.group = append(c.group, b2u(r.GroupDispute))
	c.large = append(c.large, b2u(r.LargeAmount))
	c.ingestedAt = append(c.ingestedAt, r.IngestedAt)
	c.topic = append(c.topic, r.Topic)
	c.partition = append(c.partition, r.Partition)
	c.offset = append(c.offset, r.Offset)
	u := r.UpdatedAt
	if u.IsZero() {
		u = r.IngestedAt
	}
	c.updatedAt = append(c.updatedAt, u)
	c.confidence = append(c.confidence, r.CategoryConfidence)
	c.partyKeys = append(c.partyKeys, nonNilStrings(r.PartyKeys))
	c.partyKinds = append(c.partyKinds, nonNilStrings(r.PartyKeyKinds))
	c.partyLabels = append(c.partyLabels, nonNilStrings(r.PartyLabels))
}

// nonNilStrings returns s, or an empty slice for nil (an empty array).
func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// columns returns the block's columns in caseColumns order.
func (c *caseBlock) columns() []any {
	return []any{c.source, c.caseID, c.version, c.contract, c.channel, c.reportedAt, c.reportedDate, c.occurredAt,
		c.regionCode, c.regionLevel, c.cityCode, c.countyCode, c.townCode, c.villageCode, c.gridID, c.lat, c.lon,
		c.category, c.categoryGroup, c.categoryRule, c.categoryText, c.summary, c.severity, c.parties, c.amount,
		c.status, c.assignedUnit, c.dueAt, c.resolvedAt, c.feedbackAt, c.evaluatedAt, c.satisfaction,
		c.repeatOf, c.petition, c.superior, c.escalated, c.group, c.large,
		c.ingestedAt, c.topic, c.partition, c.offset, c.updatedAt, c.confidence,
		c.partyKeys, c.partyKinds, c.partyLabels}
}

// reset empties the block, dropping its references to the rows' strings.
func (c *caseBlock) reset() {
	c.n = 0
	for _, p := range []*[]string{&c.caseID, &c.regionCode, &c.cityCode, &c.countyCode, &c.townCode, &c.villageCode,
		&c.gridID, &c.category, &c.categoryGroup, &c.categoryRule, &c.categoryText, &c.summary, &c.assignedUnit, &c.repeatOf, &c.topic} {
		clear(*p)
		*p = (*p)[:0]
	}
	for _, p := range []*[]*time.Time{&c.occurredAt, &c.dueAt, &c.resolvedAt, &c.feedbackAt, &c.evaluatedAt} {
		clear(*p)
		*p = (*p)[:0]
	}
	clear(c.lat)
	clear(c.lon)
	clear(c.amount)
	c.lat, c.lon, c.amount = c.lat[:0], c.lon[:0], c.amount[:0]
	for _, p := range []*[]int8{&c.source, &c.channel, &c.severity, &c.status, &c.satisfaction} {
		*p = (*p)[:0]
	}
	for _, p := range []*[]uint8{&c.regionLevel, &c.petition, &c.superior, &c.escalated, &c.group, &c.large} {
		*p = (*p)[:0]
	}
	c.reportedAt, c.reportedDate, c.ingestedAt, c.updatedAt = c.reportedAt[:0], c.reportedDate[:0], c.ingestedAt[:0], c.updatedAt[:0]
	c.version, c.parties, c.contract = c.version[:0], c.parties[:0], c.contract[:0]
	c.partition, c.offset = c.partition[:0], c.offset[:0]
	c.confidence = c.confidence[:0]
	for _, p := range []*[][]string{&c.partyKeys, &c.partyKinds, &c.partyLabels} {
		clear(*p)
		*p = (*p)[:0]
	}
}

func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// InsertIngestErrors records rejected records.
func (s *Store) InsertIngestErrors(ctx context.Context, rows []schemas.IngestErrorRow) error {
	if len(rows) == 0 {
		return nil
	}
	n := len(rows)
	at := make([]time.Time, n)
	topic, key, reason, detail, sha, masked := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	part := make([]int32, n)
	off := make([]int64, n)
	size := make([]uint64, n)
	for i, r := range rows {
		at[i], topic[i], part[i], off[i] = r.At, r.Topic, r.Partition, r.Offset
		key[i], reason[i], detail[i] = r.MessageKey, r.Reason, r.Detail
		size[i], sha[i], masked[i] = r.RawSize, r.RawSHA256, r.RawMasked
	}
	return s.insertColumns(ctx, "ingest_errors",
		"at, topic, partition, offset, message_key, reason, detail, raw_size, raw_sha256, raw_masked",
		[]any{at, topic, part, off, key, reason, detail, size, sha, masked})
}

// DataError is an insert the server refused because of the data itself: a
// retry cannot succeed, so the caller isolates the bad rows instead.
type DataError struct {
	Table string
	Err   error
}

func (e *DataError) Error() string {
	return fmt.Sprintf("ClickHouse refused the rows for %s: %v", e.Table, e.Err)
}
func (e *DataError) Unwrap() error { return e.Err }

// IsDataError reports whether err is an insert the server refused because
// of the rows themselves (bisecting the batch can isolate them).
func IsDataError(err error) bool {
	var de *DataError
	return errors.As(err, &de)
}

// transientCodes are server exceptions that go away by themselves.
var transientCodes = map[int32]bool{
	159: true, // TIMEOUT_EXCEEDED
	202: true, // TOO_MANY_SIMULTANEOUS_QUERIES
	209: true, // SOCKET_TIMEOUT
	210: true, // NETWORK_ERROR
	241: true, // MEMORY_LIMIT_EXCEEDED
	252: true, // TOO_MANY_PARTS
	242: true, // TABLE_IS_READ_ONLY
	319: true, // UNKNOWN_STATUS_OF_INSERT
	425: true, // SYSTEM_ERROR
	999: true, // KEEPER_EXCEPTION
}

// IsTransient reports whether err is worth retrying: network trouble, a
// server that is down or overloaded, too many parts. Anything else (a type
// mismatch, a malformed value) is permanent.
func IsTransient(err error) bool {
	if err == nil {
		return false
	}
	var ex *clickhouse.Exception
	if errors.As(err, &ex) {
		return transientCodes[ex.Code]
	}
	var de *DataError
	if errors.As(err, &de) {
		return false
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, clickhouse.ErrAcquireConnTimeout) ||
		errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	msg := err.Error()
	for _, s := range []string{"connection refused", "broken pipe", "connection reset", "i/o timeout", "EOF", "no such host", "acquire conn timeout"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// CaseStats summarises the cases table after collapsing versions.
type CaseStats struct {
	Rows     uint64 // rows of cases FINAL: one per case
	Distinct uint64 // distinct (source, case_id)
	Events   uint64 // rows of case_events FINAL: one per case version
}

// CaseStats counts cases and versions, collapsing duplicates with FINAL.
func (s *Store) CaseStats(ctx context.Context) (CaseStats, error) {
	var c CaseStats
	if err := s.conn.QueryRow(ctx, "SELECT count(), uniqExact(source, case_id) FROM cases FINAL").Scan(&c.Rows, &c.Distinct); err != nil {
		return c, fmt.Errorf("cannot count cases: %w", err)
	}
	if err := s.conn.QueryRow(ctx, "SELECT count() FROM case_events FINAL").Scan(&c.Events); err != nil {
		return c, fmt.Errorf("cannot count case events: %w", err)
	}
	return c, nil
}

// CaseVersions returns the stored (FINAL) version of every case id of a
// source, for tests and audits that compare against what was produced.
func (s *Store) CaseVersions(ctx context.Context, source schemas.Source) (map[string]uint32, error) {
	rows, err := s.conn.Query(ctx, "SELECT case_id, version FROM cases FINAL WHERE source = ?", string(source))
	if err != nil {
		return nil, fmt.Errorf("cannot read cases: %w", err)
	}
	defer rows.Close()
	out := map[string]uint32{}
	for rows.Next() {
		var id string
		var v uint32
		if err := rows.Scan(&id, &v); err != nil {
			return nil, err
		}
		out[id] = v
	}
	return out, rows.Err()
}

// IngestErrorCounts returns the number of rejected records per reason.
func (s *Store) IngestErrorCounts(ctx context.Context) (map[string]uint64, error) {
	rows, err := s.conn.Query(ctx, "SELECT reason, count() FROM ingest_errors FINAL GROUP BY reason")
	if err != nil {
		return nil, fmt.Errorf("cannot read ingest_errors: %w", err)
	}
	defer rows.Close()
	out := map[string]uint64{}
	for rows.Next() {
		var r string
		var n uint64
		if err := rows.Scan(&r, &n); err != nil {
			return nil, err
		}
		out[r] = n
	}
	return out, rows.Err()
}
