package app

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// progress reports a long job's count and rate: a line redrawn in place on
// a terminal, a log-style line every 10 s otherwise.
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	what  string
	unit  string
	n     int
	start time.Time
	last  time.Time
	tty   bool
}

func newProgress(w io.Writer, what, unit string) *progress {
	p := &progress{w: w, what: what, unit: unit, start: time.Now()}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	p.last = p.start
	return p
}

func (p *progress) add(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n += n
	now := time.Now()
	every := 10 * time.Second
	if p.tty {
		every = 200 * time.Millisecond
	}
	if now.Sub(p.last) < every {
		return
	}
	p.last = now
	p.print(now, false)
}

func (p *progress) print(now time.Time, final bool) {
	secs := now.Sub(p.start).Seconds()
	rate := 0.0
	if secs > 0 {
		rate = float64(p.n) / secs
	}
	line := fmt.Sprintf("%s: %d %s in %.1f s (%.0f %s/s)", p.what, p.n, p.unit, secs, rate, p.unit)
	switch {
	case p.tty && !final:
		fmt.Fprintf(p.w, "\r%s\033[K", line)
	case p.tty:
		fmt.Fprintf(p.w, "\r%s\033[K\n", line)
	default:
		fmt.Fprintln(p.w, line)
	}
}

// done prints the final count.
func (p *progress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.print(time.Now(), true)
}
