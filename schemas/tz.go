package schemas

import (
	"fmt"
	"time"

	// The zone database is embedded so that Asia/Shanghai loads on hosts
	// without zone files (minimal containers); without it LoadLocation would
	// fail there, and falling back to UTC would shift every window by 8 hours.
	_ "time/tzdata"
)

// Shanghai is the Asia/Shanghai location, the deployment time zone of
// riskwatch: windows, cron specs, report dates and the times recorded for
// runs are all read in it. It is the one place that loads a zone; every
// package that needs local calendar days uses it.
var Shanghai = mustLoadZone("Asia/Shanghai")

// LoadZone returns the location named name (an IANA zone such as
// "America/New_York") from the embedded zone database.
func LoadZone(name string) (*time.Location, error) {
	if name == "" {
		return nil, fmt.Errorf("cannot load time zone: empty name")
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("cannot load time zone %q: %w", name, err)
	}
	return loc, nil
}

// mustLoadZone loads name or panics: with time/tzdata embedded the load
// cannot fail, so a failure is a broken build.
func mustLoadZone(name string) *time.Location {
	loc, err := LoadZone(name)
	if err != nil {
		panic(err.Error())
	}
	return loc
}
