package core

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// The watchdog keeps a PgBouncer pause from outliving pghandoff.
//
// PgBouncer never ends a PAUSE by itself (see Bouncer.Pause): if the process that paused
// dies, the application's clients queue until query_wait_timeout disconnects them, and new
// ones after them, until someone runs RESUME. So pghandoff does not PAUSE itself: it starts
// a watchdog, a process of its own in its own session (a Ctrl-C or a kill of pghandoff's
// process group does not reach it), with admin connections of its own, and asks it to
// PAUSE. The watchdog then RESUMEs the database
//
//   - at once when pghandoff goes: its standard input, a pipe from pghandoff, reaches EOF
//     when pghandoff exits, crashes or is killed (measured: clients move again within
//     milliseconds of a SIGKILL, see TestBouncerWatchdogResumesWhenThePauserDies);
//   - at its limit, counted from PAUSE (the max pause plus a margin), when pghandoff is
//     alive but stuck (frozen, or cut off from PgBouncer while the watchdog is not), or
//     when PAUSE itself has not answered by then;
//   - when pghandoff asks it to (release).
//
// During the pause the watchdog is the only one that changes anything in PgBouncer: PAUSE,
// the repoint (write the file, RELOAD, confirm in SHOW DATABASES, or put the file back) and
// RESUME all happen in this one process, one at a time. So its RESUME at the limit can never
// come before its own PAUSE, nor cross a repoint, and once it is done the file points where
// PgBouncer has loaded. If the watchdog itself is gone, pghandoff reads the outcome
// (ReadBouncerState) instead of inferring it.
//
// What it cannot cover: both processes dying at once (their machine or container), or a
// network cut between their host and PgBouncer. Then the database stays paused, the
// application's queued clients get query_wait_timeout errors, and the next pghandoff run
// resumes it first (ResumeStalePause). The other options weighed, and why not: a RESUME
// issued from a PostgreSQL backend through dblink after pg_sleep would survive pghandoff's
// host, but needs dblink on a server that reaches PgBouncer's admin port, puts the admin
// password in SQL text (pg_stat_activity, logs), and cannot put the file back; SUSPEND,
// which PgBouncer does undo when the last admin connection goes, stops clients mid-
// transaction instead of at transaction boundaries and keeps server connections, so it
// cannot switch servers.

// Watchdog requests and replies, one JSON object per line on the pipes. The requests carry
// the admin DSN and the entry's password: a pipe, never the command line or environment.
type watchdogRequest struct {
	Op       string        `json:"op"` // arm, pause, repoint, release
	AdminDSN string        `json:"admin_dsn,omitempty"`
	Database string        `json:"database,omitempty"`
	File     string        `json:"file,omitempty"`
	Limit    time.Duration `json:"limit,omitempty"`
	Entry    *BouncerEntry `json:"entry,omitempty"`
	Password string        `json:"password,omitempty"` // the entry's, which BouncerEntry never marshals
}

type watchdogReply struct {
	State  string           `json:"state"` // armed, paused, repointed, released, failed
	Reason string           `json:"reason,omitempty"`
	Error  string           `json:"error,omitempty"`
	Hint   string           `json:"hint,omitempty"`
	Loaded *BouncerDatabase `json:"loaded,omitempty"`
}

// watchdogAppName marks the watchdog's admin connection in SHOW CLIENTS.
func watchdogAppName(database string) string { return "pghandoff watchdog " + database }

// RunBouncerWatchdog is the watchdog process's whole work: the hidden subcommand that
// StartBouncerWatchdog runs calls it with its standard input and output. It returns once it
// has resumed the database (or given up on PgBouncer, after retrying for a minute), or at
// once if pghandoff goes before asking it to pause.
func RunBouncerWatchdog(ctx context.Context, in io.Reader, out io.Writer) error {
	reqs := make(chan watchdogRequest)
	go func() {
		defer close(reqs)
		dec := json.NewDecoder(in)
		for {
			var r watchdogRequest
			if dec.Decode(&r) != nil {
				return
			}
			reqs <- r
		}
	}()
	w := &watchdog{out: json.NewEncoder(out), cancelPause: func() {}}
	arm, ok := <-reqs
	if !ok {
		return nil
	}
	if err := w.arm(ctx, arm); err != nil {
		w.reply(watchdogReply{State: "failed", Error: err.Error(), Hint: Hint(err).String()})
		return err
	}
	defer w.close()
	w.reply(watchdogReply{State: "armed"})
	return w.loop(ctx, reqs)
}

// loop serves pghandoff's requests until the pause ends, one event at a time.
func (w *watchdog) loop(ctx context.Context, reqs <-chan watchdogRequest) error {
	for {
		select {
		case r, ok := <-reqs:
			switch {
			case !ok:
				return w.release(ctx, "the pghandoff process that paused PgBouncer is gone")
			case r.Op == "pause" && w.pauseDone == nil:
				w.pause(ctx)
			case r.Op == "repoint" && r.Entry != nil && w.paused:
				e := *r.Entry
				e.Password = r.Password
				w.repoint(ctx, e)
			case r.Op == "release":
				return w.release(ctx, "released by pghandoff")
			default:
				w.reply(watchdogReply{State: "failed", Error: fmt.Sprintf("the watchdog cannot %s now (paused: %v)", r.Op, w.paused)})
			}
		case err := <-w.pauseDone:
			w.pauseDone = nil
			if err != nil {
				return w.release(ctx, fmt.Sprintf("PAUSE failed: %v", err))
			}
			w.paused = true
			w.reply(watchdogReply{State: "paused"})
		case <-w.limit:
			return w.release(ctx, fmt.Sprintf("the pause reached the watchdog's limit of %s", w.limitLength))
		case <-ctx.Done():
			return w.release(context.WithoutCancel(ctx), "the watchdog was stopped")
		}
	}
}
