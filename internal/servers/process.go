package servers

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
)

// stopGrace is how long a graceful stop waits for a server to exit after
// SIGTERM before it sends SIGKILL.
const stopGrace = 15 * time.Second

// process is one running server process, the leader of its own process
// group. The server is started with exec.Command, not exec.CommandContext: it
// must outlive the context that bounded its start.
type process struct {
	name    string
	cmd     *exec.Cmd
	done    chan struct{} // closed once the process has exited and been reaped
	waitErr error         // the result of cmd.Wait; read only after done is closed
}

// startProcess starts argv in workDir with stdout and stderr appended to
// outPath, in a new process group that is killed when this process dies.
func startProcess(name string, argv []string, workDir, outPath string) (*process, error) {
	out, err := os.OpenFile(outPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("cannot open %s output: %w", name, err)
	}
	fmt.Fprintf(out, "---- %s: %s\n", time.Now().UTC().Format(time.RFC3339), strings.Join(argv, " "))
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = workDir
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.SysProcAttr = serverSysProcAttr()
	if err := onSpawnThread(cmd.Start); err != nil {
		out.Close()
		return nil, fmt.Errorf("cannot start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		out.Close()
		close(p.done)
	}()
	return p, nil
}

var (
	spawnOnce sync.Once
	spawnCh   chan func()
)

// onSpawnThread runs f on one OS thread that lives as long as this process.
// Linux delivers the parent-death signal when the thread that forked a child
// exits, not when the whole process does, and the Go runtime ends threads
// whose goroutine exits while locked to them; forking every server from one
// locked, never-ending goroutine keeps a server alive exactly as long as
// this process.
func onSpawnThread(f func() error) error {
	spawnOnce.Do(func() {
		spawnCh = make(chan func())
		go func() {
			runtime.LockOSThread()
			for g := range spawnCh {
				g()
			}
		}()
	})
	errc := make(chan error, 1)
	spawnCh <- func() { errc <- f() }
	return <-errc
}

// exited reports whether the process has exited and been reaped.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// signalGroup sends sig to the process group of p. It does nothing once the
// leader has been reaped, because its id may then belong to someone else.
func (p *process) signalGroup(sig syscall.Signal) {
	if p.exited() {
		return
	}
	if err := syscall.Kill(-p.cmd.Process.Pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		// The group is gone or cannot be signalled; fall back to the leader.
		_ = p.cmd.Process.Signal(sig)
	}
}

// stop sends SIGTERM to the process group, waits up to grace for the leader
// to exit, then sends SIGKILL and waits for it. It reports whether SIGKILL
// was needed.
func (p *process) stop(grace time.Duration) (killed bool) {
	p.signalGroup(syscall.SIGTERM)
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-p.done:
		return false
	case <-timer.C:
		p.kill()
		return true
	}
}

// kill sends SIGKILL to the process group and waits for the leader to exit.
func (p *process) kill() {
	p.signalGroup(syscall.SIGKILL)
	<-p.done
}

// exitError describes how the process ended, for error messages.
func (p *process) exitError() string {
	if p.waitErr == nil {
		return "exited with status 0"
	}
	return p.waitErr.Error()
}

// tailFile returns up to the last maxBytes bytes of path, starting at a line
// boundary, or a note saying why it could not be read.
func tailFile(path string, maxBytes int64) string {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", path, err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", path, err)
	}
	start := max(info.Size()-maxBytes, 0)
	buf, err := io.ReadAll(io.NewSectionReader(f, start, info.Size()-start))
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", path, err)
	}
	s := string(buf)
	if start > 0 {
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			s = s[i+1:]
		}
	}
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return fmt.Sprintf("(%s is empty)", path)
	}
	return s
}

// discardLogger returns l, or a logger that drops everything when l is nil.
func discardLogger(l *slog.Logger) *slog.Logger {
	if l != nil {
		return l
	}
	return slog.New(slog.DiscardHandler)
}
