package core_test

import (
	"testing"
	"time"

	"github.com/pghandoff/pghandoff/core"
	"github.com/pghandoff/pghandoff/internal/pgbouncer"
	"github.com/pghandoff/pghandoff/internal/pgtest"
	"github.com/pghandoff/pghandoff/internal/workload"
)

// bouncerMove is a migration whose application goes through a PgBouncer of the test's own:
// the workload's tables replicated from the primary, an application role with the same
// password and privileges on both servers (setup copies neither), and PgBouncer's entry for
// the primary's database written by proxy create.
type bouncerMove struct {
	*appEnv
	b      *pgbouncer.Bouncer
	events *eventLog
}

func newBouncerMove(t *testing.T, pair pgtest.Pair) *bouncerMove {
	t.Helper()
	role := newAppRole(t, pair)
	e := &bouncerMove{appEnv: &appEnv{env: newEnv(t, pair), role: role, password: bouncerAppPassword}, events: &eventLog{}}
	grant := `GRANT ALL ON ALL TABLES IN SCHEMA public TO ` + role + `; GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO ` + role
	e.execPrimary(workload.Schema + ";" + grant)
	if _, err := core.Setup(ctxFor(t, 2*time.Minute), e.setupOptions()); err != nil {
		t.Fatalf("setup: %v (%s)", err, core.Hint(err))
	}
	e.execReplica(grant)
	e.waitReady()
	e.b = e.bouncer(pgbouncer.Options{})
	e.m.PgBouncer = core.PgBouncer{Admin: core.MustParseDSN(e.b.AdminDSN()), Config: e.b.Include}
	res, err := core.ProxyCreate(ctxFor(t, time.Minute), core.ProxyCreateOptions{Migration: e.m, MapRoles: []string{role},
		Execution: core.Execution{Observer: e.observer()}})
	if err != nil || !res.Changed || res.Strategy != core.StrategyPgBouncer {
		t.Fatalf("proxy create with PgBouncer: %v (%s)\n%s\n%s", err, core.Hint(err), statementsText(res), e.b.Log())
	}
	return e
}

// forEachPairWithBouncer runs a test on every version pair, through PgBouncer, in parallel.
func forEachPairWithBouncer(t *testing.T, test func(t *testing.T, e *bouncerMove)) {
	forEachPairOf(t, newBouncerMove, test)
}

func (e *bouncerMove) observer() core.Observer {
	return core.Observer{Logger: testLogger(e.t), Progress: e.events.add}
}

// switchOptions are the options of a switch through PgBouncer, its watchdog the test binary.
func (e *bouncerMove) switchOptions() core.SwitchOptions {
	return core.SwitchOptions{Migration: e.m, Watchdog: pgtest.Watchdog,
		Execution: core.Execution{Observer: e.observer()}}
}

// appDSN is the application's connection string through PgBouncer (unnamed statements:
// see clientDSN).
func (e *bouncerMove) appDSN() string {
	return e.b.DSN(e.role, e.password, e.primaryDB) + "&default_query_exec_mode=exec"
}

// state reads PgBouncer's entry and the file, on a fresh admin connection.
func (e *bouncerMove) state() core.BouncerState {
	e.t.Helper()
	b, err := core.OpenBouncer(ctxFor(e.t, time.Minute), e.m.PgBouncer.Admin)
	if err != nil {
		e.t.Fatal(err)
	}
	defer b.Close()
	st, err := core.ReadBouncerState(ctxFor(e.t, time.Minute), b, e.primaryDB, e.b.Include)
	if err != nil {
		e.t.Fatal(err)
	}
	return st
}

// pointsAt fails the test unless PgBouncer and the file both point the entry at the
// cluster's database, not paused, with no watchdog left.
func (e *bouncerMove) pointsAt(c *pgtest.Cluster, db string) {
	e.t.Helper()
	st := e.state()
	if !st.Consistent || st.Loaded.Port != c.Port || st.Loaded.Database != db || st.Loaded.Paused {
		e.t.Fatalf("PgBouncer's entry: %+v, want it at port %d database %s, not paused\n%s", st, c.Port, db, e.b.Log())
	}
}
