package app

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/internal/config"
	"github.com/riskwatch/riskwatch/internal/testenv"
)

// A command run beside a process that started the local ClickHouse uses
// that server (and says so) instead of failing to start a second one on
// the same data directory; once the owner stops, the next command starts
// its own; a state file left by a dead process is ignored.
func TestCommandsUseTheRunningLocalClickHouse(t *testing.T) {
	testenv.ClickHouse(t) // skip or fail like every ClickHouse test when none is installed
	ctx := context.Background()
	dir := t.TempDir()
	cfg := config.Default()
	cfg.ClickHouse.Local = config.LocalClickHouse{Enabled: true, Dir: dir}
	logger := func(b *bytes.Buffer) *slog.Logger { return slog.New(slog.NewTextHandler(b, nil)) }

	var log1 bytes.Buffer
	st1, local1, cleanup1, err := openStore(ctx, cfg, logger(&log1))
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			cleanup1()
		}
	})
	if local1 == nil || !strings.Contains(log1.String(), "no local ClickHouse running; starting one") {
		t.Fatalf("the first command did not start the local server: %s", log1.String())
	}
	var s localState
	b, err := os.ReadFile(filepath.Join(dir, localStateFile))
	if err != nil {
		t.Fatalf("no state file: %v", err)
	}
	if err := json.Unmarshal(b, &s); err != nil || s.PID != os.Getpid() || s.Addr != local1.Addr {
		t.Fatalf("state file %s: %+v, %v", b, s, err)
	}

	var log2 bytes.Buffer
	st2, local2, cleanup2, err := openStore(ctx, cfg, logger(&log2))
	if err != nil {
		t.Fatalf("a second command beside the first: %v", err)
	}
	if local2 != nil {
		t.Fatal("the second command started a server of its own")
	}
	if !strings.Contains(log2.String(), "using the running local ClickHouse") || !strings.Contains(log2.String(), local1.Addr) {
		t.Fatalf("the second command does not say which server it uses: %s", log2.String())
	}
	if err := st2.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	cleanup2()
	if err := st1.Ping(ctx); err != nil {
		t.Fatalf("the second command's cleanup stopped the first one's server: %v", err)
	}
	stopped = true
	cleanup1()
	if _, err := os.Stat(filepath.Join(dir, localStateFile)); !os.IsNotExist(err) {
		t.Fatalf("state file left after the owner stopped: %v", err)
	}

	// A file left by a process that is gone does not keep a command from
	// starting its own server.
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	if err := writeLocalState(dir, localState{PID: dead.Process.Pid, Addr: local1.Addr, StartedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	var log3 bytes.Buffer
	_, local3, cleanup3, err := openStore(ctx, cfg, logger(&log3))
	if err != nil {
		t.Fatalf("with a stale state file: %v", err)
	}
	defer cleanup3()
	if local3 == nil {
		t.Fatalf("a stale state file was trusted: %s", log3.String())
	}
}
