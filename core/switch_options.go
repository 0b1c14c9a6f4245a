package core

import (
	"os/exec"
	"time"
)

// SwitchOptions are what a switch of traffic takes, in either direction: Cutover's, from the
// primary to the replica, and Rollback's, back.
type SwitchOptions struct {
	Migration // Primary, Replica, and Proxy or PgBouncer
	// MaxPause bounds the pause: if the target has not caught up by then, the switch gives
	// up and traffic stays where it was. DefaultMaxPause when 0.
	MaxPause time.Duration
	// Margin is how many values every sequence on the target is moved past the source's,
	// for writers that reach the source without the proxy; DefaultMargin when 0.
	Margin int64
	MaxLag int64 // the readiness threshold in bytes; DefaultMaxLag when 0
	// LockTimeout bounds the wait for each lock of the pause (DefaultPauseLockTimeout when
	// 0), for application transactions that are slow to finish. When the pause and an
	// application transaction wait for each other, a watcher cancels the attempt within
	// milliseconds; the timeout stays under PostgreSQL's deadlock_timeout (1s by default) in
	// case the watcher misses one, so that it is the switch that gives way, never the
	// application. LockAttempts (DefaultPauseLockAttempts when 0) attempts are made; each
	// failed one releases every lock at once, and the next takes the table that held it up
	// first.
	// Through PgBouncer, LockTimeout bounds each PAUSE's wait for the transactions in flight
	// instead, and each attempt that gives up resumes at once.
	LockTimeout  time.Duration
	LockAttempts int
	// Watchdog makes the command that runs the PgBouncer watchdog (RunBouncerWatchdog) in a
	// process of its own: the front end's binary, with its entry point for it. Required with
	// PgBouncer, but under DryRun.
	Watchdog func() *exec.Cmd
	// Execution's Observer is called during the pause too, from the goroutine holding the
	// locks: its Progress must return at once (buffer, do not post), or the application
	// waits for it.
	Execution
}

// withDefaults applies the rule for zero (defaults.go) to every option.
func (o SwitchOptions) withDefaults() (SwitchOptions, error) {
	var err error
	if o.MaxPause, err = orDefault(OptMaxPause, o.MaxPause, DefaultMaxPause); err != nil {
		return o, err
	}
	if o.LockTimeout, err = orDefault(OptPauseLockTimeout, o.LockTimeout, DefaultPauseLockTimeout); err != nil {
		return o, err
	}
	if o.LockAttempts <= 0 { // not an option of any front end
		o.LockAttempts = DefaultPauseLockAttempts
	}
	if o.Margin, err = orDefault(OptMargin, o.Margin, DefaultMargin); err != nil {
		return o, err
	}
	o.MaxLag, err = orDefault(OptMaxLag, o.MaxLag, DefaultMaxLag)
	return o, err
}
