package importer

import (
	"bytes"
	"os"
	"testing"

	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/sources/mappings"
)

// BenchmarkConvertCouncil2019 converts the whole 2019 council file (39,356
// rows) from memory with the shipped mapping; rows/s is the figure to watch.
func BenchmarkConvertCouncil2019(b *testing.B) {
	data := sharedData(b)
	raw, err := os.ReadFile(councilPath(data, 2019))
	if err != nil {
		b.Fatal(err)
	}
	m, reg, err := Open(mappings.FS, "nyc_council.yaml")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	rows := 0
	for b.Loop() {
		st, err := m.Convert(bytes.NewReader(raw), "2019.csv", reg, func(schemas.Record) error { return nil })
		if err != nil {
			b.Fatal(err)
		}
		rows += st.Rows
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}
