package core

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// The watchdog keeps a PgBouncer pause from outliving pghandoff.
//
// PgBouncer never ends a PAUSE by itself (see Bouncer.Pause): if the process that paused
// dies, the application's clients queue until query_wait_timeout disconnects them, and new
// ones after them, until someone runs RESUME. So before pausing, pghandoff starts a
// watchdog: a process of its own, in its own session (a Ctrl-C or a kill of pghandoff's
// process group does not reach it), with its own admin connection. It RESUMEs the database
//
//   - at once when pghandoff goes: its standard input, a pipe from pghandoff, reaches EOF
//     when pghandoff exits, crashes or is killed (measured: clients move again within
//     milliseconds of a SIGKILL, see TestBouncerWatchdogResumesWhenThePauserDies);
//   - at its limit (the max pause plus a margin) when pghandoff is alive but stuck (frozen,
//     or cut off from PgBouncer while the watchdog is not);
//   - when pghandoff asks it to (release).
//
// During the pause the watchdog is also the only one that changes where the entry points
// (repoint: write the file, RELOAD, confirm in SHOW DATABASES, or put the file back): one
// process decides, one at a time, so a release at the limit can never cross a repoint, and
// the file never points elsewhere than what PgBouncer has loaded once the watchdog is done.
// If the watchdog itself is gone, pghandoff reads the outcome (ReadBouncerState) instead of
// inferring it.
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
	Op       string        `json:"op"` // arm, repoint, release
	AdminDSN string        `json:"admin_dsn,omitempty"`
	Database string        `json:"database,omitempty"`
	File     string        `json:"file,omitempty"`
	Limit    time.Duration `json:"limit,omitempty"`
	Entry    *BouncerEntry `json:"entry,omitempty"`
	Password string        `json:"password,omitempty"` // the entry's, which BouncerEntry never marshals
}

type watchdogReply struct {
	State  string           `json:"state"` // armed, repointed, released, failed
	Reason string           `json:"reason,omitempty"`
	Error  string           `json:"error,omitempty"`
	Hint   string           `json:"hint,omitempty"`
	Loaded *BouncerDatabase `json:"loaded,omitempty"`
}

// watchdogAppName marks the watchdog's admin connection in SHOW CLIENTS.
func watchdogAppName(database string) string { return "pghandoff watchdog " + database }

// RunBouncerWatchdog is the watchdog process's whole work: the hidden subcommand that
// StartBouncerWatchdog runs calls it with its standard input and output. It returns once it
// has resumed the database (or given up on PgBouncer, after retrying for a minute).
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
	w := &watchdog{out: json.NewEncoder(out)}
	arm, ok := <-reqs
	if !ok {
		return nil
	}
	if err := w.arm(ctx, arm); err != nil {
		w.reply(watchdogReply{State: "failed", Error: err.Error(), Hint: Hint(err)})
		return err
	}
	defer w.admin.Close()
	w.reply(watchdogReply{State: "armed"})
	limit := time.NewTimer(arm.Limit)
	defer limit.Stop()
	for {
		select {
		case r, ok := <-reqs:
			switch {
			case !ok:
				return w.release(ctx, "the pghandoff process that paused PgBouncer is gone")
			case r.Op == "repoint" && r.Entry != nil:
				e := *r.Entry
				e.Password = r.Password
				w.repoint(ctx, e)
			case r.Op == "release":
				return w.release(ctx, "released by pghandoff")
			default:
				w.reply(watchdogReply{State: "failed", Error: fmt.Sprintf("unknown watchdog request %q", r.Op)})
			}
		case <-limit.C:
			return w.release(ctx, fmt.Sprintf("the pause reached the watchdog's limit of %s", arm.Limit))
		case <-ctx.Done():
			return w.release(context.WithoutCancel(ctx), "the watchdog was stopped")
		}
	}
}

type watchdog struct {
	out            *json.Encoder
	admin          *Bouncer
	dsn            DSN
	database, file string
}

func (w *watchdog) reply(r watchdogReply) { _ = w.out.Encode(r) }

func (w *watchdog) arm(ctx context.Context, r watchdogRequest) error {
	if r.Op != "arm" || r.Limit <= 0 {
		return errors.New("the watchdog must be armed first, with a limit")
	}
	dsn, err := ParseDSN(r.AdminDSN)
	if err != nil {
		return err
	}
	w.dsn, w.database, w.file = dsn, r.Database, r.File
	w.admin, err = openBouncer(ctx, dsn, watchdogAppName(r.Database))
	return err
}

// repoint writes the entry, reloads and confirms; on failure it puts the file back as it
// was and reloads that, so that the file and PgBouncer agree again.
func (w *watchdog) repoint(ctx context.Context, e BouncerEntry) {
	old, err := os.ReadFile(w.file)
	if err != nil {
		w.reply(watchdogReply{State: "failed", Error: fmt.Sprintf("read PgBouncer file: %v", err)})
		return
	}
	if err = WriteBouncerEntry(w.file, e); err == nil {
		var db BouncerDatabase
		if db, err = w.admin.ReloadAndConfirm(ctx, e); err == nil {
			w.reply(watchdogReply{State: "repointed", Loaded: &db})
			return
		}
	}
	if restore := writeFileAtomic(w.file, old); restore == nil {
		_ = w.admin.Reload(ctx)
	} else {
		err = fmt.Errorf("%w; putting the file back failed too: %v", err, restore)
	}
	w.reply(watchdogReply{State: "failed", Error: err.Error(), Hint: Hint(err)})
}

// release RESUMEs the database, reconnecting and retrying for a minute if PgBouncer does not
// answer: resuming is the watchdog's one promise. An error PgBouncer answers with (no such
// database) is not retried.
func (w *watchdog) release(ctx context.Context, reason string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	err := w.admin.Resume(ctx, w.database)
	var pgErr *pgconn.PgError
	for err != nil && !errors.As(err, &pgErr) && ctx.Err() == nil {
		_ = sleep(ctx, 200*time.Millisecond)
		var b *Bouncer
		if b, err = openBouncer(ctx, w.dsn, watchdogAppName(w.database)); err == nil {
			err = b.Resume(ctx, w.database)
			b.Close()
		}
	}
	if err != nil {
		w.reply(watchdogReply{State: "failed", Reason: reason, Error: "RESUME failed: " + err.Error()})
		return err
	}
	w.reply(watchdogReply{State: "released", Reason: reason})
	return nil
}
