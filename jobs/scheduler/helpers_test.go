package scheduler

import (
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/schemas"
)

// cst parses "2006-01-02 15:04" (or with seconds) as Shanghai wall time.
func cst(t *testing.T, s string) time.Time {
	t.Helper()
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02 15:04:05.999999999"} {
		if v, err := time.ParseInLocation(layout, s, schemas.Shanghai); err == nil {
			return v
		}
	}
	t.Fatalf("bad test time %q", s)
	return time.Time{}
}

func utc(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("bad test time %q: %v", s, err)
	}
	return v
}
