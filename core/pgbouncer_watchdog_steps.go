package core

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// watchdog is the watchdog process's state.
type watchdog struct {
	out *json.Encoder
	// control serves RESUME, RELOAD and SHOW; pauser only PAUSE, which may wait for the
	// application's transactions while control stays free to RESUME.
	control, pauser *Bouncer
	dsn             DSN
	database, file  string
	limitLength     time.Duration

	pauseIssued, paused bool
	pauseDone           chan error // the PAUSE in flight, nil when none
	cancelPause         context.CancelFunc
	limit               <-chan time.Time // nil until PAUSE is issued
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
	w.dsn, w.database, w.file, w.limitLength = dsn, r.Database, r.File, r.Limit
	if _, err := bouncerIdent(w.database); err != nil {
		return err
	}
	if w.control, err = openBouncer(ctx, dsn, watchdogAppName(r.Database)); err != nil {
		return err
	}
	w.pauser, err = openBouncer(ctx, dsn, watchdogAppName(r.Database))
	return err
}

func (w *watchdog) close() {
	w.cancelPause()
	if w.pauseDone != nil {
		<-w.pauseDone // the PAUSE's goroutine still holds its connection
	}
	w.control.Close()
	w.pauser.Close()
}

// pause issues PAUSE on its own connection and starts the limit: the answer arrives on
// pauseDone.
func (w *watchdog) pause(ctx context.Context) {
	ctx, w.cancelPause = context.WithCancel(ctx)
	w.pauseIssued, w.pauseDone = true, make(chan error, 1)
	w.limit = time.After(w.limitLength)
	go func() { w.pauseDone <- w.pauser.Pause(ctx, w.database) }()
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
		if db, err = w.control.ReloadAndConfirm(ctx, e); err == nil {
			w.reply(watchdogReply{State: "repointed", Loaded: &db})
			return
		}
	}
	if restore := writeFileAtomic(w.file, old); restore == nil {
		_ = w.control.Reload(ctx)
	} else {
		err = fmt.Errorf("%w; putting the file back failed too: %v", err, restore)
	}
	w.reply(watchdogReply{State: "failed", Error: err.Error(), Hint: Hint(err).String()})
}

// release ends the pause: a PAUSE still waiting is abandoned (its connection closed), and
// RESUME is sent on the control connection, reconnecting and retrying for a minute if
// PgBouncer does not answer: resuming is the watchdog's one promise. An error PgBouncer
// answers with (no such database) is not retried. A watchdog that never paused resumes
// nothing: the pause, if any, is someone else's.
func (w *watchdog) release(ctx context.Context, reason string) error {
	w.cancelPause()
	if !w.pauseIssued {
		w.reply(watchdogReply{State: "released", Reason: reason + " (nothing was paused)"})
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	err := w.control.Resume(ctx, w.database)
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
