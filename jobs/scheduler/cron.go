package scheduler

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/riskwatch/riskwatch/schemas"
	"github.com/robfig/cron/v3"
)

// ParseSpec checks a cron spec the way the scheduler reads it: five fields
// or a descriptor, no time-zone prefix (specs are read in the deployment
// time zone). robfig/cron panics on some malformed inputs; that is
// recovered and reported as an error.
func ParseSpec(spec string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%q is not a cron spec", spec)
		}
	}()
	if _, err := parseSpec(spec); err != nil {
		return fmt.Errorf("%q is not a 5-field cron spec: %w", spec, err)
	}
	return nil
}

// NextTick returns the first time after after at which spec fires, in the
// deployment time zone.
func NextTick(spec string, after time.Time) (time.Time, error) {
	if err := ParseSpec(spec); err != nil {
		return time.Time{}, err
	}
	sched, err := parseSpec(spec)
	if err != nil {
		return time.Time{}, err
	}
	return sched.Next(after.In(schemas.Zone())), nil
}

// parseSpec parses a standard five-field cron spec (or a descriptor such as
// @daily) and pins it to Shanghai. The parser alone would leave the schedule
// in time.Local, which robfig reads as "the location of the time passed to
// Next": right inside a Cron built WithLocation(Shanghai), wrong anywhere
// else; pinning it makes the spec mean Shanghai wall time on its own.
func parseSpec(spec string) (cron.Schedule, error) {
	s := strings.TrimSpace(spec)
	if strings.HasPrefix(s, "TZ=") || strings.HasPrefix(s, "CRON_TZ=") {
		return nil, errors.New("time zone prefix not allowed: specs are read in the deployment time zone (timezone)")
	}
	sched, err := cron.ParseStandard(s)
	if err != nil {
		return nil, err
	}
	if ss, ok := sched.(*cron.SpecSchedule); ok {
		ss.Location = schemas.Zone()
	}
	return sched, nil
}

// wrapCron decorates a job's cron entry so that a tick is skipped while the
// previous tick's run is still going, and a panic escaping the run is logged
// instead of killing the process.
//
// The order matters. Chain.Then applies the first wrapper outermost, so this
// is SkipIfStillRunning(Recover(j)). In robfig/cron v3.0.1 (chain.go)
// SkipIfStillRunning holds a one-slot token channel: it takes the token, calls
// the inner job, and puts the token back after the call returns, not in a
// defer. With Recover outermost, Recover(SkipIfStillRunning(j)), a panic would
// unwind through SkipIfStillRunning before Recover stopped it, the token would
// never be put back, and every later tick would find the channel empty and
// log "skip": the job would silently never run again until a restart. With
// Recover innermost the panic stops inside, the inner call returns normally
// and the token goes back.
//
// RunWindow already recovers a panic in the job function and records it;
// this Recover is the second line, for panics in the code around the job
// (a RunStore implementation, a logging handler).
func wrapCron(j cron.Job, l cron.Logger) cron.Job {
	return cron.NewChain(cron.SkipIfStillRunning(l), cron.Recover(l)).Then(j)
}

// cronLogger adapts slog to robfig's Logger. robfig's Info messages are its
// chatter (start, wake, run, schedule) and go to Debug, except "skip", which
// SkipIfStillRunning logs when a tick is dropped and which deserves a warning.
type cronLogger struct {
	log     *slog.Logger
	skipped func() // called on each skipped tick; may be nil
}

// Info implements cron.Logger.
func (l cronLogger) Info(msg string, keysAndValues ...any) {
	if msg == "skip" {
		l.log.Warn("cron tick skipped: the previous run is still going", keysAndValues...)
		if l.skipped != nil {
			l.skipped()
		}
		return
	}
	l.log.Debug("cron "+msg, keysAndValues...)
}

// Error implements cron.Logger.
func (l cronLogger) Error(err error, msg string, keysAndValues ...any) {
	l.log.Error("cron "+msg, append([]any{"err", err}, keysAndValues...)...)
}
