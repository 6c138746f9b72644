package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// localStateFile is the file, in clickhouse.local.dir, where the process
// that started the local ClickHouse records its address, so that commands
// run beside it (`riskwatch token create` while `make run` is running) use
// that server instead of failing to start a second one on the same data.
const localStateFile = "running.json"

// localState is what localStateFile holds.
type localState struct {
	PID       int       `json:"pid"`
	Addr      string    `json:"addr"`
	HTTPAddr  string    `json:"http_addr"`
	Version   string    `json:"version"`
	StartedAt time.Time `json:"started_at"`
}

// readLocalState returns the state recorded in dir when the process that
// wrote it is still alive; a missing file, one it cannot parse or one left
// by a process that is gone gives false (the caller starts a server as
// usual and overwrites it).
func readLocalState(dir string) (localState, bool) {
	b, err := os.ReadFile(filepath.Join(dir, localStateFile))
	if err != nil {
		return localState{}, false
	}
	var s localState
	if err := json.Unmarshal(b, &s); err != nil || s.PID <= 0 || s.Addr == "" {
		return localState{}, false
	}
	if !processAlive(s.PID) {
		return localState{}, false
	}
	return s, true
}

// writeLocalState records s in dir, replacing the file atomically.
func writeLocalState(dir string, s localState) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, localStateFile+".tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("cannot write %s: %w", tmp, err)
	}
	return os.Rename(tmp, filepath.Join(dir, localStateFile))
}

// removeLocalState removes the file when this process wrote it.
func removeLocalState(dir string) {
	path := filepath.Join(dir, localStateFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return
	}
	var st localState
	if json.Unmarshal(b, &st) == nil && st.PID != os.Getpid() {
		return
	}
	_ = os.Remove(path)
}

// processAlive reports whether a process with the pid exists (signal 0).
func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	err = p.Signal(syscall.Signal(0))
	return err == nil || errors.Is(err, syscall.EPERM)
}

// answers reports whether the recorded server accepts a connection within
// a short time: a state file whose process lives but whose server does not
// answer (still starting, or hung) is not used.
func (s localState) answers(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	c, err := (&net.Dialer{}).DialContext(ctx, "tcp", s.Addr)
	if err != nil {
		return false
	}
	_ = c.Close()
	return true
}
