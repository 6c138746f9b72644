package scheduler

import (
	"fmt"
	"time"

	// The zone database is embedded so that Asia/Shanghai loads on hosts
	// without zone files (minimal containers); without it LoadLocation would
	// fail there, and falling back to UTC would shift every window by 8 hours.
	_ "time/tzdata"
)

// Shanghai is the Asia/Shanghai location. Windows, cron specs and the times
// recorded for runs are all read in it.
var Shanghai = mustLoadLocation("Asia/Shanghai")

// mustLoadLocation loads name or panics: with time/tzdata embedded the load
// cannot fail, so a failure is a broken build.
func mustLoadLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(fmt.Sprintf("scheduler: load location %s: %v", name, err))
	}
	return loc
}
