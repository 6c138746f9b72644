package importer

import (
	"strings"
	"testing"

	"github.com/riskwatch/riskwatch/schemas"
)

// FuzzLoadMapping: the loader never panics, and a mapping it accepts
// converts any small input without panicking, every record passing the
// contract validator.
func FuzzLoadMapping(f *testing.F) {
	for _, seed := range []string{minimal, valuesMapping, regionMapping, versionsMapping, "fields: [\n", "a: &x [*x]\n", "region: *y\n"} {
		f.Add(seed, "KEY,OPENDATE,ZIP\na,2020-01-01,11207\n")
	}
	f.Fuzz(func(t *testing.T, yaml, input string) {
		m, err := LoadMapping(strings.NewReader(yaml), "fuzz.yaml")
		if err != nil {
			return
		}
		reg := testRegistry(t)
		v := newContractValidator(reg)
		_, _ = m.Convert(strings.NewReader(input), "fuzz.csv", reg, func(r schemas.Record) error {
			if r.Version == 2 || m.versions == VersionsFinal {
				v.last = nil
				return nil // the validator's version checks assume open_close order
			}
			if err := v.checkFields(r); err != nil {
				t.Errorf("record breaks the contract: %v", err)
			}
			return nil
		})
	})
}

// FuzzConvertCSV: any input through the region mapping gives rows =
// rejected + accepted, never panics, and every record passes the validator.
func FuzzConvertCSV(f *testing.F) {
	f.Add("KEY,OPENDATE,ZIP,BOARD,BOROUGH,ACCOUNT,DESC\na,2020-01-01,11207,,,,x\n")
	f.Add("KEY,OPENDATE,ZIP,BOARD,BOROUGH,ACCOUNT,DESC\n\"a\n\",2020-01-01,,05 brooklyn,,,\"\"\"\"\nb\"\n")
	f.Add("\ufeffKEY,OPENDATE,ZIP,BOARD,BOROUGH,ACCOUNT,DESC\r\nb,2020-02-30,1,,,NYCC35,\r\n")
	m := mustLoad(f, regionMapping)
	reg := testRegistry(f)
	f.Fuzz(func(t *testing.T, input string) {
		v := newContractValidator(reg)
		accepted := 0
		st, err := m.Convert(strings.NewReader(input), "fuzz.csv", reg, func(r schemas.Record) error {
			accepted++
			if err := v.check(r); err != nil {
				t.Errorf("record breaks the contract: %v", err)
			}
			return nil
		})
		if err != nil {
			return // a header without the columns, or unreadable input
		}
		if st.Rows != st.Rejected+accepted || st.Records != accepted {
			t.Errorf("rows %d, rejected %d, accepted %d, records %d", st.Rows, st.Rejected, accepted, st.Records)
		}
	})
}
