package core_test

import (
	"context"
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/pghandoff/pghandoff/core"
	"github.com/pghandoff/pghandoff/internal/pgbouncer"
)

// When the process that paused PgBouncer is killed, its watchdog resumes the database: the
// client queued behind the pause runs, and the watchdog's connection goes.
func TestBouncerWatchdogResumesWhenThePauserDies(t *testing.T) {
	t.Parallel()
	e := newBouncerEnv(t, pgbouncer.Options{})
	ctx := ctxFor(t, time.Minute)
	client := e.client()
	p := e.startPauser(time.Hour)
	ran := async(func() error { _, err := client.Exec(ctx, `SELECT 1`); return err })
	e.waitFor("the client queues behind the pause", func() bool { return e.waiting() == 1 })
	killed := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := <-ran; err != nil {
		t.Fatalf("the queued client after the pauser died: %v", err)
	}
	t.Logf("the queued client ran %.1f ms after the process that paused was killed", ms(time.Since(killed)))
	if e.paused() {
		t.Fatal("still paused")
	}
	e.waitFor("the watchdog's admin connection goes", func() bool { return !e.state().Watchdog })
}

// When the process that paused is alive but stuck (frozen here), the watchdog resumes the
// database at its limit.
func TestBouncerWatchdogResumesAtItsLimit(t *testing.T) {
	t.Parallel()
	e := newBouncerEnv(t, pgbouncer.Options{})
	ctx := ctxFor(t, time.Minute)
	client := e.client()
	started := time.Now()
	p := e.startPauser(time.Second)
	if err := p.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	defer p.cmd.Process.Signal(syscall.SIGCONT)
	if _, err := client.Exec(ctx, `SELECT 1`); err != nil {
		t.Fatalf("the client during a frozen pauser's pause: %v", err)
	}
	t.Logf("the client ran %.1f ms after the pauser started, with a watchdog limit of 1 s", ms(time.Since(started)))
	if e.paused() {
		t.Fatal("still paused")
	}
}

// Through the watchdog, a repoint writes the entry, reloads and is confirmed; release then
// resumes, and the queued client lands on the new database.
func TestBouncerWatchdogRepointAndRelease(t *testing.T) {
	t.Parallel()
	e := newBouncerEnv(t, pgbouncer.Options{})
	ctx := ctxFor(t, time.Minute)
	other := e.otherDatabase()
	client := e.client()
	w := e.startWatchdog(time.Minute)
	if err := w.Pause(ctx); err != nil {
		t.Fatal(err)
	}
	ran := async(func() error { _, err := client.Exec(ctx, `SELECT 1`); return err })
	e.waitFor("the client queues behind the pause", func() bool { return e.waiting() == 1 })
	if err := w.Repoint(ctx, other); err != nil {
		t.Fatalf("repoint: %v (%s)\n%s", err, core.Hint(err), e.b.Log())
	}
	if st := e.state(); !st.Consistent || !st.Loaded.Paused || st.Loaded.Database != other.DBName {
		t.Fatalf("after repoint: %+v", st)
	}
	if err := w.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-ran; err != nil {
		t.Fatal(err)
	}
	var db string
	if err := client.QueryRow(ctx, `SELECT current_database()`).Scan(&db); err != nil || db != other.DBName {
		t.Fatalf("the client is on %q (%v), want %q", db, err, other.DBName)
	}
}

// A PAUSE held up by a transaction that stays open is given up at the caller's deadline
// (the max pause): the release resumes the database although PAUSE never answered, the
// clients queued meanwhile run, and the open transaction carries on.
func TestBouncerWatchdogGivesUpAPauseHeldByATransaction(t *testing.T) {
	t.Parallel()
	e := newBouncerEnv(t, pgbouncer.Options{})
	ctx := ctxFor(t, time.Minute)
	open, queued := e.client(), e.client()
	tx, err := open.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `SELECT 1`); err != nil {
		t.Fatal(err)
	}
	w := e.startWatchdog(time.Minute)
	deadline, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	paused := async(func() error { return w.Pause(deadline) })
	e.waitFor("SHOW DATABASES says paused", e.paused)
	ran := async(func() error { _, err := queued.Exec(ctx, `SELECT 1`); return err })
	e.waitFor("a client queues", func() bool { return e.waiting() == 1 })
	if err := <-paused; !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("PAUSE with a transaction open: %v, want the deadline", err)
	}
	if err := w.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-ran; err != nil {
		t.Fatalf("the client queued during the abandoned pause: %v", err)
	}
	if e.paused() {
		t.Fatal("still paused")
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatalf("the open transaction after the abandoned pause: %v", err)
	}
}

// A repoint PgBouncer does not take (it cannot read the new file) puts the file back: the
// file and PgBouncer agree again, on the old entry.
func TestBouncerWatchdogRepointFailurePutsTheFileBack(t *testing.T) {
	t.Parallel()
	e := newBouncerEnv(t, pgbouncer.Options{})
	ctx := ctxFor(t, time.Minute)
	other := e.otherDatabase()
	w := e.startWatchdog(time.Minute)
	defer w.Release(ctx)
	if err := w.Pause(ctx); err != nil {
		t.Fatal(err)
	}
	// Owned by root and unreadable to others: the rewrite keeps that, and PgBouncer, running
	// as postgres, cannot read it.
	if err := syscall.Chown(e.b.Include, 0, 0); err != nil {
		t.Fatal(err)
	}
	err := w.Repoint(ctx, other)
	if err == nil || core.Hint(err).IsZero() {
		t.Fatalf("repoint to a file PgBouncer cannot read: %v, want an error with a hint", err)
	}
	t.Logf("repoint refused: %v (%s)", err, core.Hint(err))
	if st := e.state(); !st.Consistent || st.Loaded.Database != e.db {
		t.Fatalf("after the failed repoint: %+v", st)
	}
}

// A watchdog that already released the pause at its limit refuses a repoint.
func TestBouncerWatchdogRefusesRepointAfterItsLimit(t *testing.T) {
	t.Parallel()
	e := newBouncerEnv(t, pgbouncer.Options{})
	ctx := ctxFor(t, time.Minute)
	w := e.startWatchdog(100 * time.Millisecond)
	if err := w.Pause(ctx); err != nil && !errors.Is(err, core.ErrPauseReleased) {
		t.Fatal(err)
	}
	e.waitFor("the watchdog resumes at its limit", func() bool { return !e.paused() })
	err := w.Repoint(ctx, e.otherDatabase())
	if !errors.Is(err, core.ErrPauseReleased) && !errors.Is(err, core.ErrWatchdogGone) {
		t.Fatalf("repoint after the limit: %v", err)
	}
	if st := e.state(); !st.Consistent || st.Loaded.Database != e.db {
		t.Fatalf("after the refused repoint: %+v", st)
	}
}

// The next run resumes a pause that nobody owns any more; a file cut off half-way by a
// repoint is set back to what PgBouncer has loaded first (what the application's traffic
// follows), and an entry loaded pointing at neither of the migration's servers is refused.
func TestResumeStalePause(t *testing.T) {
	t.Parallel()
	e := newBouncerEnv(t, pgbouncer.Options{})
	ctx := ctxFor(t, time.Minute)
	replica := e.otherDatabase()
	m := core.Migration{Primary: core.MustParseDSN(e.cluster.DSN(e.db)), Replica: core.MustParseDSN(e.cluster.DSN(replica.DBName)),
		PgBouncer: core.PgBouncer{Admin: e.admin, Config: e.b.Include, Database: e.db}}
	if err := e.bouncer().Pause(ctx, e.db); err != nil {
		t.Fatal(err)
	}
	if err := core.WriteBouncerEntry(e.b.Include, replica); err != nil {
		t.Fatal(err)
	}
	done, err := core.ResumeStalePause(ctx, m)
	if err != nil || len(done) != 2 || e.paused() {
		t.Fatalf("with the file pointing at the replica, PgBouncer at the primary: %v, %v", done, err)
	}
	if st := e.state(); !st.Consistent || st.File.DBName != e.db {
		t.Fatalf("the file was not set back to the primary: %+v", st)
	}
	t.Logf("settled: %v", done)
	if done, err := core.ResumeStalePause(ctx, m); len(done) != 0 || err != nil {
		t.Fatalf("again: %v, %v", done, err)
	}
	elsewhere := e.entry
	elsewhere.DBName = "postgres"
	if err := core.WriteBouncerEntry(e.b.Include, elsewhere); err != nil {
		t.Fatal(err)
	}
	if _, err := e.bouncer().ReloadAndConfirm(ctx, elsewhere); err != nil {
		t.Fatal(err)
	}
	if err := e.bouncer().Pause(ctx, e.db); err != nil {
		t.Fatal(err)
	}
	if err := core.WriteBouncerEntry(e.b.Include, e.entry); err != nil {
		t.Fatal(err)
	}
	if done, err := core.ResumeStalePause(ctx, m); !errors.Is(err, core.ErrRefused) || !e.paused() {
		t.Fatalf("with PgBouncer's entry at neither server: %v, %v", done, err)
	}
}
