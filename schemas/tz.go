package schemas

import (
	"fmt"
	"sync/atomic"
	"time"

	// The zone database is embedded so that Asia/Shanghai loads on hosts
	// without zone files (minimal containers); without it LoadLocation would
	// fail there, and falling back to UTC would shift every window by 8 hours.
	_ "time/tzdata"
)

// Shanghai is the Asia/Shanghai location, the default deployment time zone.
// Code reads the deployment zone through Zone, never this variable.
var Shanghai = mustLoadZone("Asia/Shanghai")

// DefaultZone is the name of the default deployment time zone.
const DefaultZone = "Asia/Shanghai"

var zone atomic.Pointer[time.Location]

func init() { zone.Store(Shanghai) }

// Zone returns the deployment time zone: windows, cron specs, report dates,
// the day a record counts on and the times printed to people are all read
// in it. It is Asia/Shanghai unless SetZone changed it (the configuration's
// timezone key, set once at start before anything runs).
func Zone() *time.Location { return zone.Load() }

// SetZone makes loc the deployment time zone. Call it once at start,
// before windows are computed or schedules built; it returns the previous
// zone (tests restore it).
func SetZone(loc *time.Location) *time.Location {
	if loc == nil {
		loc = Shanghai
	}
	return zone.Swap(loc)
}

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
