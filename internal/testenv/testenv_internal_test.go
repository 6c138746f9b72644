package testenv

import (
	"fmt"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

func TestMain(m *testing.M) { Main(m) }

// fakeTB records Skip and Fatal calls instead of ending a real test. Run its
// checks through run, which, like the testing package, ends the goroutine on
// Skip and Fatal.
type fakeTB struct {
	testing.TB
	skipped, failed string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Skip(args ...any) {
	f.skipped = fmt.Sprint(args...)
	runtime.Goexit()
}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.failed = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (f *fakeTB) run(fn func(testing.TB)) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(f)
	}()
	<-done
}

func TestMissingSkipsLocallyAndFailsInCI(t *testing.T) {
	t.Setenv("CI", "")
	f := &fakeTB{TB: t}
	f.run(func(tb testing.TB) { missing(tb, clickHouseMissingMsg) })
	if f.skipped != "no ClickHouse server binary (run make deps)" || f.failed != "" {
		t.Errorf("without CI: skipped %q, failed %q", f.skipped, f.failed)
	}

	t.Setenv("CI", "true")
	f = &fakeTB{TB: t}
	f.run(func(tb testing.TB) { missing(tb, clickHouseMissingMsg) })
	if f.skipped != "" || !strings.Contains(f.failed, "run make deps") || !strings.Contains(f.failed, "CI=true") {
		t.Errorf("with CI=true: skipped %q, failed %q", f.skipped, f.failed)
	}
}

func TestFreshDatabase(t *testing.T) {
	a, b := FreshDatabase(t, "store"), FreshDatabase(t, "store")
	pattern := regexp.MustCompile(`^store_[0-9a-f]{16}$`)
	if !pattern.MatchString(a) || !pattern.MatchString(b) {
		t.Errorf("FreshDatabase = %q, %q; want store_ and 16 hex digits", a, b)
	}
	if a == b {
		t.Errorf("FreshDatabase returned %q twice", a)
	}
	for _, bad := range []string{"", "1abc", "a-b", "a b", "x;DROP"} {
		f := &fakeTB{TB: t}
		f.run(func(tb testing.TB) { FreshDatabase(tb, bad) })
		if f.failed == "" {
			t.Errorf("FreshDatabase accepted prefix %q", bad)
		}
	}
}

func TestKafkaVersion(t *testing.T) {
	t.Setenv("RISKWATCH_KAFKA_VERSION", "")
	if got := KafkaVersion(); got != DefaultKafkaVersion {
		t.Errorf("KafkaVersion() = %q, want %q", got, DefaultKafkaVersion)
	}
	t.Setenv("RISKWATCH_KAFKA_VERSION", "3.9.1")
	if got := KafkaVersion(); got != "3.9.1" {
		t.Errorf("KafkaVersion() = %q, want 3.9.1", got)
	}
}

func TestSharedClickHouseIsShared(t *testing.T) {
	a := ClickHouse(t)
	b := ClickHouse(t)
	if a != b {
		t.Fatalf("ClickHouse returned two servers: %s and %s", a.Addr, b.Addr)
	}
	if !a.Running() {
		t.Fatal("the shared ClickHouse server is not running")
	}
}

// runFunc is a test run (testing.M's Run) as a function.
type runFunc func() int

func (f runFunc) Run() int { return f() }

// TestMainStopsWhatTheTestsShareThenTheServers: Main calls the stops after
// the tests, in order and before the shared servers stop, also when the
// tests failed or panicked; a stop's error fails a run that passed.
func TestMainStopsWhatTheTestsShareThenTheServers(t *testing.T) {
	var calls []string
	stop := func(name string, err error) func() error {
		return func() error { calls = append(calls, name); return err }
	}
	servers := func() { calls = append(calls, "servers") }
	for _, c := range []struct {
		name  string
		run   int
		stops []func() error
		want  int
	}{
		{"pass", 0, []func() error{stop("a", nil), stop("b", nil)}, 0},
		{"tests failed", 1, []func() error{stop("a", nil), stop("b", nil)}, 1},
		{"a stop failed", 0, []func() error{stop("a", fmt.Errorf("a did not stop (as this test wants)")), stop("b", nil)}, 1},
	} {
		calls = nil
		if code := runMain(runFunc(func() int { calls = append(calls, "tests"); return c.run }), c.stops, servers); code != c.want {
			t.Errorf("%s: exit code %d, want %d", c.name, code, c.want)
		}
		if got := strings.Join(calls, ","); got != "tests,a,b,servers" {
			t.Errorf("%s: calls %s, want tests,a,b,servers", c.name, got)
		}
	}
	calls = nil
	func() {
		defer func() { _ = recover() }()
		runMain(runFunc(func() int { panic("a test panicked") }), []func() error{stop("a", nil)}, servers)
	}()
	if got := strings.Join(calls, ","); got != "a,servers" {
		t.Errorf("after a panic: calls %s, want a,servers", got)
	}
}
