package store

import (
	"context"
	"reflect"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/riskwatch/riskwatch/schemas"
)

// blockConn records the data blocks of a batch insert: rows per Flush.
type blockConn struct {
	driver.Conn
	blocks []int
}

func (c *blockConn) PrepareBatch(context.Context, string, ...driver.PrepareBatchOption) (driver.Batch, error) {
	return &blockBatch{c: c}, nil
}

type blockBatch struct {
	driver.Batch
	c    *blockConn
	rows int // rows appended to the first column since the last Flush
	sent bool
}

func (b *blockBatch) Column(i int) driver.BatchColumn { return blockColumn{b: b, first: i == 0} }
func (b *blockBatch) Flush() error {
	b.c.blocks = append(b.c.blocks, b.rows)
	b.rows = 0
	return nil
}
func (b *blockBatch) Send() error  { b.sent = true; return nil }
func (b *blockBatch) Abort() error { return nil }

type blockColumn struct {
	b     *blockBatch
	first bool
}

func (c blockColumn) Append(v any) error {
	if c.first {
		c.b.rows += reflect.ValueOf(v).Len()
	}
	return nil
}
func (c blockColumn) AppendRow(any) error { return nil }

// A cases insert goes to the server in blocks of Options.InsertBlockRows
// rows, across the slices it is given.
func TestInsertCasesSendsBlocksOfInsertBlockRows(t *testing.T) {
	rows := func(n int) []schemas.CaseRow {
		rs := make([]schemas.CaseRow, n)
		for i := range rs {
			rs[i] = schemas.CaseRow{Source: "platform", CaseID: "c", Status: "accepted"}
		}
		return rs
	}
	for _, tc := range []struct {
		block int
		in    []int
		want  []int
	}{
		{block: 3, in: []int{4, 3}, want: []int{3, 3, 1}},
		{block: 100, in: []int{4, 3}, want: []int{7}},
		{block: 0, in: []int{DefaultInsertBlockRows + 1}, want: []int{DefaultInsertBlockRows, 1}},
	} {
		conn := &blockConn{}
		st := &Store{conn: conn, block: tc.block}
		if tc.block == 0 {
			st.block = DefaultInsertBlockRows
		}
		var in [][]schemas.CaseRow
		for _, n := range tc.in {
			in = append(in, rows(n))
		}
		if err := st.InsertCases(context.Background(), in...); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(conn.blocks, tc.want) {
			t.Errorf("block %d, rows %v: blocks %v, want %v", tc.block, tc.in, conn.blocks, tc.want)
		}
	}
}
