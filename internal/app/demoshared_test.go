package app_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/internal/testenv"
)

// demoRun is a `run --demo` shared by the tests that check the demo as
// make run starts it: jobs, reports and the trickle on, two years of
// history up to the clock, with one day of catch-up and HTML reports only
// (PDF and PNG are Chromium's work, tested with the report command).
// Starting one costs about a minute on two cores (the history produced
// and stored, the jobs caught up, the forecasts fitted), and what those
// tests check does not change once it runs; so the first of them starts
// it and TestMain stops it after the last (stopSharedDemo).
type demoRun struct {
	cfg     string    // the configuration file
	db      string    // its ClickHouse database
	reports string    // reports.dir
	dir     string    // the temporary directory of the files above
	started time.Time // when the run was started
	cmd     *command
}

var sharedDemo struct {
	mu      sync.Mutex
	started bool // a failed start is not tried again
	run     *demoRun
	err     error
}

// sharedDemoRun returns the shared demo run, starting it on first use.
// The test fails if it could not be started.
func sharedDemoRun(t *testing.T) *demoRun {
	t.Helper()
	ch := testenv.ClickHouse(t)
	sharedDemo.mu.Lock()
	defer sharedDemo.mu.Unlock()
	if !sharedDemo.started {
		sharedDemo.started = true
		sharedDemo.run, sharedDemo.err = startDemoRun(ch.Addr, testenv.FreshDatabase(t, "app"))
		if sharedDemo.err == nil {
			t.Logf("the shared demo run: configuration %s", sharedDemo.run.cfg)
		}
	}
	if sharedDemo.err != nil {
		t.Fatalf("the shared demo run did not start: %v", sharedDemo.err)
	}
	return sharedDemo.run
}

func startDemoRun(addr, db string) (*demoRun, error) {
	dir, err := os.MkdirTemp("", "riskwatch-demo-run-")
	if err != nil {
		return nil, err
	}
	d := &demoRun{cfg: filepath.Join(dir, "riskwatch.yaml"), db: db, reports: filepath.Join(dir, "reports"), dir: dir}
	body := strings.Replace(configBody(addr, db, dir), "reports:\n", "reports:\n  formats: [html]\n", 1) +
		"demo:\n  ground_truth: " + filepath.Join(dir, "gt.csv") + "\njobs:\n  catch_up: 1\n"
	if !strings.Contains(body, "  dir: "+d.reports+"\n") {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("the configuration has no reports.dir %s:\n%s", d.reports, body)
	}
	if err := os.WriteFile(d.cfg, []byte(body), 0o600); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	d.started = time.Now()
	d.cmd = startCommand("run", "--demo", "--config", d.cfg)
	return d, nil
}

// match returns the submatches of re in the run's standard output once it
// printed them; it fails the test when the run exited or printed nothing
// matching within wait.
func (d *demoRun) match(t *testing.T, wait time.Duration, re *regexp.Regexp) []string {
	t.Helper()
	m, err := d.cmd.match(re, wait)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// stopSharedDemo stops the shared demo run, if one was started, and removes
// its files. TestMain calls it after every test, failed or not.
func stopSharedDemo() error {
	sharedDemo.mu.Lock()
	defer sharedDemo.mu.Unlock()
	d := sharedDemo.run
	if d == nil {
		return nil
	}
	sharedDemo.run = nil
	err := d.cmd.stop()
	if rerr := os.RemoveAll(d.dir); rerr != nil && err == nil {
		err = rerr
	}
	if err != nil {
		return fmt.Errorf("the shared demo run: %w", err)
	}
	return nil
}
