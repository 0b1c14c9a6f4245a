package core_test

import (
	"context"
	"testing"
	"time"

	"github.com/pghandoff/pghandoff/internal/pgbouncer"
)

// PAUSE in transaction pooling answers only once the transaction in flight has ended: the
// database is flagged paused at once, a new transaction queues (cl_waiting), the open one
// carries on, PAUSE answers after its COMMIT with every server connection closed, and the
// queued statement runs after RESUME.
func TestBouncerPauseWaitsForTransactions(t *testing.T) {
	t.Parallel()
	e := newBouncerEnv(t, pgbouncer.Options{})
	ctx := ctxFor(t, time.Minute)
	inFlight, queued := e.client(), e.client()
	if _, err := inFlight.Exec(ctx, `CREATE TABLE t (id int PRIMARY KEY, v int); INSERT INTO t VALUES (1, 0)`); err != nil {
		t.Fatal(err)
	}
	tx, err := inFlight.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `UPDATE t SET v = v + 1`); err != nil {
		t.Fatal(err)
	}
	b := e.bouncer()
	paused := async(func() error { return b.Pause(ctx, e.db) })
	e.waitFor("SHOW DATABASES says paused", e.paused)
	ran := async(func() error { _, err := queued.Exec(ctx, `UPDATE t SET v = v + 10`); return err })
	e.waitFor("the new transaction queues", func() bool { return e.waiting() == 1 })
	if _, err := tx.Exec(ctx, `UPDATE t SET v = v + 1`); err != nil {
		t.Fatalf("the transaction in flight could not go on during PAUSE: %v", err)
	}
	select {
	case err := <-paused:
		t.Fatalf("PAUSE answered (%v) while a transaction was in flight", err)
	default:
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-paused; err != nil {
		t.Fatalf("PAUSE: %v", err)
	}
	pools, err := e.bouncer().Pools(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pools {
		if p.Database == e.db && p.ServersActive+p.ServersIdle+p.ServersUsed > 0 {
			t.Fatalf("PAUSE answered with server connections open: %+v", p)
		}
	}
	select {
	case err := <-ran:
		t.Fatalf("the queued statement ran during the pause: %v", err)
	default:
	}
	if err := e.bouncer().Resume(ctx, e.db); err != nil {
		t.Fatal(err)
	}
	if err := <-ran; err != nil {
		t.Fatalf("the queued statement after RESUME: %v", err)
	}
	var v int
	if err := inFlight.QueryRow(ctx, `SELECT v FROM t`).Scan(&v); err != nil || v != 12 {
		t.Fatalf("v = %d (%v), want 12", v, err)
	}
}

// The pause belongs to the database, not to the admin connection that asked for it: when
// that connection dies while PAUSE waits, or the client gives up on it, the database stays
// paused after the transaction in flight ends, and only a RESUME from another connection
// lets the queued clients go.
func TestBouncerPauseOutlivesItsConnection(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		quit func(cancel context.CancelFunc, closeConn func())
	}{
		{"connection closed", func(_ context.CancelFunc, closeConn func()) { closeConn() }},
		{"client timeout", func(cancel context.CancelFunc, _ func()) { cancel() }},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newBouncerEnv(t, pgbouncer.Options{})
			ctx := ctxFor(t, time.Minute)
			inFlight, queued := e.client(), e.client()
			tx, err := inFlight.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tx.Exec(ctx, `SELECT 1`); err != nil {
				t.Fatal(err)
			}
			// A raw admin connection, whose socket can be closed under the waiting PAUSE.
			admin, err := e.b.Admin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer admin.Close(context.Background())
			pauseCtx, cancel := context.WithCancel(ctx)
			paused := async(func() error { _, err := admin.Exec(pauseCtx, `PAUSE "`+e.db+`"`); return err })
			e.waitFor("SHOW DATABASES says paused", e.paused)
			c.quit(cancel, func() { admin.PgConn().Conn().Close() })
			if err := <-paused; err == nil {
				t.Fatal("PAUSE answered while a transaction was in flight")
			}
			if err := tx.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			ran := async(func() error { _, err := queued.Exec(ctx, `SELECT 1`); return err })
			e.waitFor("a new transaction queues", func() bool { return e.waiting() == 1 })
			if !e.paused() {
				t.Fatal("the database was resumed when the PAUSE's connection went")
			}
			if err := e.bouncer().Resume(ctx, e.db); err != nil {
				t.Fatal(err)
			}
			if err := <-ran; err != nil {
				t.Fatalf("the queued statement after RESUME: %v", err)
			}
		})
	}
}

// RESUME is safe to repeat: a database that is not paused is not an error.
func TestBouncerResumeTwice(t *testing.T) {
	t.Parallel()
	e := newBouncerEnv(t, pgbouncer.Options{})
	ctx := ctxFor(t, time.Minute)
	b := e.bouncer()
	if err := b.Pause(ctx, e.db); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if err := b.Resume(ctx, e.db); err != nil {
			t.Fatalf("RESUME %d: %v", i+1, err)
		}
	}
	if e.paused() {
		t.Fatal("still paused")
	}
}

// In session pooling a client keeps its server connection between transactions, so PAUSE
// waits for the client to disconnect, however idle it is: why the checks refuse session
// pooling for a cutover.
func TestBouncerPauseInSessionPoolingWaitsForClients(t *testing.T) {
	t.Parallel()
	e := newBouncerEnv(t, pgbouncer.Options{PoolMode: "session"})
	ctx := ctxFor(t, time.Minute)
	idle := e.client()
	if _, err := idle.Exec(ctx, `SELECT 1`); err != nil {
		t.Fatal(err)
	}
	b := e.bouncer()
	paused := async(func() error { return b.Pause(ctx, e.db) })
	e.waitFor("SHOW DATABASES says paused", e.paused)
	c, err := e.bouncer().Clients(ctx, e.db)
	if err != nil || c.ServersActive != 1 {
		t.Fatalf("the idle session's server connection: %+v %v", c, err)
	}
	select {
	case err := <-paused:
		t.Fatalf("PAUSE answered (%v) while an idle client held its session", err)
	default:
	}
	idle.Close(ctx)
	if err := <-paused; err != nil {
		t.Fatalf("PAUSE after the client left: %v", err)
	}
	if err := b.Resume(ctx, e.db); err != nil {
		t.Fatal(err)
	}
}
