package config

import (
	"strings"
	"testing"
)

// retry.max_permanent_attempts defaults to 3 and must be at least 1.
func TestMaxPermanentAttempts(t *testing.T) {
	if got := Default().Warnings.Retry.MaxPermanentAttempts; got != 3 {
		t.Errorf("default max_permanent_attempts %d, want 3", got)
	}
	c, err := Parse([]byte("warnings:\n  retry: {max_permanent_attempts: 5}\n"))
	if err != nil || c.Warnings.Retry.MaxPermanentAttempts != 5 {
		t.Errorf("max_permanent_attempts 5: %d, %v", c.Warnings.Retry.MaxPermanentAttempts, err)
	}
	_, err = Parse([]byte("warnings:\n  retry: {max_permanent_attempts: 0}\n"))
	if err == nil || !strings.Contains(err.Error(), "warnings.retry.max_permanent_attempts") {
		t.Errorf("max_permanent_attempts 0: %v, want an error naming the key", err)
	}
}
