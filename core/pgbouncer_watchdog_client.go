package core

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"syscall"
	"time"
)

// ErrWatchdogGone: the watchdog process ended (or was killed) before it answered. Where the
// entry points and whether it is paused must then be read (ReadBouncerState), not inferred.
var ErrWatchdogGone = errors.New("the PgBouncer watchdog is gone")

// BouncerWatchdogOptions arms a watchdog.
type BouncerWatchdogOptions struct {
	Admin    DSN    // PgBouncer's admin console
	Database string // the entry to RESUME
	File     string // the file pghandoff owns, which the watchdog rewrites on Repoint
	// Limit is how long the watchdog lets the pause last, from PAUSE, when pghandoff is
	// alive but does not release it: the max pause plus a margin.
	Limit time.Duration
}

// BouncerWatchdog is pghandoff's side of a running watchdog (see RunBouncerWatchdog).
type BouncerWatchdog struct {
	cmd     *exec.Cmd
	send    *json.Encoder
	replies chan watchdogReply
	exited  chan struct{}
}

// StartBouncerWatchdog starts cmd (pghandoff's hidden watchdog subcommand, which calls
// RunBouncerWatchdog; made with exec.Command, not CommandContext, since it must outlive
// this process) in a session of its own, and waits until it has its admin connections.
// Nothing is paused yet: Pause asks the watchdog to.
func StartBouncerWatchdog(ctx context.Context, cmd *exec.Cmd, opts BouncerWatchdogOptions) (*BouncerWatchdog, error) {
	if opts.Limit <= 0 {
		return nil, errors.New("the PgBouncer watchdog needs a limit")
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the PgBouncer watchdog: %w", err)
	}
	w := &BouncerWatchdog{cmd: cmd, send: json.NewEncoder(in), replies: make(chan watchdogReply, 4), exited: make(chan struct{})}
	go w.read(bufio.NewReader(out))
	err = w.send.Encode(watchdogRequest{Op: "arm", AdminDSN: opts.Admin.raw, Database: opts.Database, File: opts.File, Limit: opts.Limit})
	if err == nil {
		err = w.expect(ctx, "armed")
	}
	if err != nil {
		w.Kill()
		return nil, fmt.Errorf("start the PgBouncer watchdog: %w", err)
	}
	return w, nil
}

// read passes the watchdog's replies on and reaps the process when its output ends.
func (w *BouncerWatchdog) read(out *bufio.Reader) {
	dec := json.NewDecoder(out)
	for {
		var r watchdogReply
		if dec.Decode(&r) != nil {
			break
		}
		w.replies <- r
	}
	_ = w.cmd.Wait()
	close(w.exited)
}

// expect waits for the next reply, which must be in state want. A reply sent just before
// the watchdog exited is still read: it says why. A late "paused" (for a Pause that gave up
// waiting) is passed over.
func (w *BouncerWatchdog) expect(ctx context.Context, want string) error {
	for {
		var r watchdogReply
		select {
		case r = <-w.replies:
		case <-w.exited:
			select {
			case r = <-w.replies:
			default:
				return ErrWatchdogGone
			}
		case <-ctx.Done():
			return ctx.Err()
		}
		if r.State != "paused" || want == "paused" {
			return r.as(want)
		}
	}
}

func (r watchdogReply) as(want string) error {
	if r.State == want {
		return nil
	}
	err := fmt.Errorf("PgBouncer watchdog: %s", firstNonEmpty(r.Error, r.Reason, r.State))
	if r.State == "released" {
		err = fmt.Errorf("%w: %s", ErrPauseReleased, r.Reason)
	}
	if r.Hint != "" {
		return withHint(err, remedy(r.Hint))
	}
	return err
}

// ErrPauseReleased: the watchdog had already resumed the database (at its limit) when
// pghandoff asked it to repoint: the pause is over and the entry still points where it did.
var ErrPauseReleased = errors.New("the watchdog already resumed the database")

// Pause asks the watchdog to PAUSE the database, and returns once PgBouncer has answered:
// every transaction in flight then has ended, and new ones queue. The watchdog's limit runs
// from now. If ctx ends first (the max pause), PAUSE may still be waiting and the database
// is paused: call Release. ErrPauseReleased in the chain says the watchdog gave up on the
// PAUSE itself (at its limit) and resumed.
func (w *BouncerWatchdog) Pause(ctx context.Context) error {
	if err := w.send.Encode(watchdogRequest{Op: "pause"}); err != nil {
		return w.gone(err)
	}
	return w.expect(ctx, "paused")
}

// Repoint asks the watchdog to point the entry at e: write the file, RELOAD, confirm in
// SHOW DATABASES (or put the file back). It fails with ErrPauseReleased in its chain when the
// watchdog had already released the pause, and ErrWatchdogGone when it died.
func (w *BouncerWatchdog) Repoint(ctx context.Context, e BouncerEntry) error {
	if err := w.send.Encode(watchdogRequest{Op: "repoint", Entry: &e, Password: e.Password}); err != nil {
		return w.gone(err)
	}
	return w.expect(ctx, "repointed")
}

// Release asks the watchdog to RESUME the database and end, and returns once it has
// resumed (the process ends by itself after; Exited tells when).
func (w *BouncerWatchdog) Release(ctx context.Context) error {
	if err := w.send.Encode(watchdogRequest{Op: "release"}); err != nil {
		return w.gone(err)
	}
	if err := w.expect(ctx, "released"); err != nil && !errors.Is(err, ErrPauseReleased) {
		return err
	}
	return nil
}

// Exited is closed once the watchdog process has ended and been reaped.
func (w *BouncerWatchdog) Exited() <-chan struct{} { return w.exited }

// gone reports a failed write to the watchdog: it has exited (or is exiting).
func (w *BouncerWatchdog) gone(err error) error {
	select {
	case <-w.exited:
		return ErrWatchdogGone
	case <-time.After(time.Second):
		return fmt.Errorf("write to the PgBouncer watchdog: %w", err)
	}
}

// Kill ends the watchdog at once and waits for it: for a watchdog that does not answer, so
// that nothing acts on PgBouncer any more before pghandoff reads and settles the outcome.
func (w *BouncerWatchdog) Kill() {
	_ = w.cmd.Process.Kill()
	<-w.exited
}

// Pid is the watchdog's process id.
func (w *BouncerWatchdog) Pid() int { return w.cmd.Process.Pid }

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
