package core_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/pghandoff/pghandoff/core"
	"github.com/pghandoff/pghandoff/internal/pgbouncer"
	"github.com/pghandoff/pghandoff/internal/pgtest"
)

// bouncerEnv is a PgBouncer of the test's own, in transaction pooling, whose include file
// has an entry (named after the test's database) pointing at the test's database on the
// shared PostgreSQL 15 primary. Clients log in as the cluster's superuser, whose password
// PgBouncer has in its auth_file.
type bouncerEnv struct {
	t       *testing.T
	cluster *pgtest.Cluster
	db      string
	b       *pgbouncer.Bouncer
	admin   core.DSN
	entry   core.BouncerEntry
}

func newBouncerEnv(t *testing.T, opts pgbouncer.Options) *bouncerEnv {
	t.Helper()
	c := pgtest.Server(t, "primary15", 15)
	e := &bouncerEnv{t: t, cluster: c, db: pgtest.Database(t, c)}
	opts.Users = append(opts.Users, pgbouncer.User{Name: c.User, Password: c.Password})
	e.b = pgtest.Bouncer(t, opts)
	e.admin = core.MustParseDSN(e.b.AdminDSN())
	var err error
	if e.entry, err = core.BouncerEntryFor(e.db, core.MustParseDSN(c.DSN(e.db)), false); err != nil {
		t.Fatal(err)
	}
	if err := core.WriteBouncerEntry(e.b.Include, e.entry); err != nil {
		t.Fatal(err)
	}
	if _, err := e.bouncer().ReloadAndConfirm(ctxFor(t, time.Minute), e.entry); err != nil {
		t.Fatalf("%v\n%s", err, e.b.Log())
	}
	return e
}

// bouncer opens an admin connection, closed when the test ends.
func (e *bouncerEnv) bouncer() *core.Bouncer {
	e.t.Helper()
	b, err := core.OpenBouncer(ctxFor(e.t, time.Minute), e.admin)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(b.Close)
	return b
}

// clientDSN is the application's connection string through PgBouncer. pgx's default
// prepares named statements, which PgBouncer 1.18 cannot carry between the server
// connections of transaction pooling: the clients here use unnamed ones (exec mode).
func (e *bouncerEnv) clientDSN() string {
	return e.b.DSN(e.cluster.User, e.cluster.Password, e.db) + "&default_query_exec_mode=exec"
}

// client opens an application connection through PgBouncer, closed when the test ends.
func (e *bouncerEnv) client() *pgx.Conn {
	e.t.Helper()
	return connectThrough(e.t, e.b, e.cluster.User, e.cluster.Password, e.db)
}

// connectThrough opens a connection to db through PgBouncer (unnamed statements: see
// clientDSN), closed when the test ends.
func connectThrough(t *testing.T, b *pgbouncer.Bouncer, user, password, db string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(ctxFor(t, time.Minute), b.DSN(user, password, db)+"&default_query_exec_mode=exec")
	if err != nil {
		t.Fatalf("connect through PgBouncer: %v\n%s", err, b.Log())
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// waitFor polls cond every few milliseconds until it holds, failing the test after a minute.
func (e *bouncerEnv) waitFor(what string, cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			e.t.Fatalf("gave up waiting: %s\n%s", what, e.b.Log())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// paused reads SHOW DATABASES on a fresh admin connection.
func (e *bouncerEnv) paused() bool {
	e.t.Helper()
	b := e.bouncer()
	defer b.Close()
	db, found, err := b.Database(ctxFor(e.t, time.Minute), e.db)
	if err != nil || !found {
		e.t.Fatalf("SHOW DATABASES: %v (found %v)", err, found)
	}
	return db.Paused
}

// waiting is how many of the entry's clients wait for a server connection.
func (e *bouncerEnv) waiting() int {
	e.t.Helper()
	b := e.bouncer()
	defer b.Close()
	c, err := b.Clients(ctxFor(e.t, time.Minute), e.db)
	if err != nil {
		e.t.Fatal(err)
	}
	return c.Waiting
}

// async runs f in a goroutine and returns a channel that gets its error.
func async(f func() error) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- f() }()
	return ch
}

// otherDatabase is the entry pointed at another database of the test's own on the same
// cluster, for repointing.
func (e *bouncerEnv) otherDatabase() core.BouncerEntry {
	e.t.Helper()
	other := e.entry
	other.DBName = pgtest.Database(e.t, e.cluster)
	return other
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
