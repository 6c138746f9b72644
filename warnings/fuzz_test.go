package warnings

import (
	"reflect"
	"strings"
	"testing"
)

// FuzzParseMatchers: stored silence matchers either fail to parse with an
// error naming the matcher, or round-trip through Strings unchanged.
func FuzzParseMatchers(f *testing.F) {
	for _, s := range []string{"region=150521000000\nkind=rule_alarm", "level=red", "level=crimson", "x=y", "=", "category=labor\ncategory=family"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ss := strings.Split(s, "\n")
		m, err := ParseMatchers(ss)
		if err != nil {
			if !strings.Contains(err.Error(), "matcher ") {
				t.Fatalf("error does not name the matcher: %v", err)
			}
			return
		}
		back, err := ParseMatchers(m.Strings())
		if err != nil || !reflect.DeepEqual(back, m) {
			t.Fatalf("round trip of %q: %+v → %+v (%v)", ss, m, back, err)
		}
		if len(m.Strings()) != len(ss) {
			t.Fatalf("%d matchers from %d strings", len(m.Strings()), len(ss))
		}
	})
}
