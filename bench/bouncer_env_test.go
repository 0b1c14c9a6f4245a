package bench

import (
	"context"
	"testing"
	"time"

	"github.com/pghandoff/pghandoff/core"
	"github.com/pghandoff/pghandoff/internal/pgbouncer"
	"github.com/pghandoff/pghandoff/internal/pgcluster"
	"github.com/pghandoff/pghandoff/internal/pgtest"
	"github.com/pghandoff/pghandoff/internal/workload"
)

// The PgBouncer strategy: a migration replicating, an application role of the same
// password on both servers, and a PgBouncer in transaction pooling whose entry pghandoff's
// proxy create wrote, pointing at the primary.

// bouncerMove is one migration behind a PgBouncer.
type bouncerMove struct {
	pair           pgtest.Pair
	m              core.Migration
	pdb, rdb       string
	role, password string
	bouncer        *pgbouncer.Bouncer
	admin          core.DSN
}

const movePassword = "app pw"

// newBouncerMove sets up replication of schema (with the workload's tables) from a fresh
// database on the primary, grants the application role the same on both sides, starts a
// PgBouncer and lets proxy create take over its entry.
func newBouncerMove(b testing.TB, pair pgtest.Pair, schema string) *bouncerMove {
	mv := &bouncerMove{pair: pair, role: "app_" + pgcluster.RandomHex(4), password: movePassword}
	for _, c := range []*pgtest.Cluster{pair.Primary, pair.Replica} {
		mustExec(b, c, "postgres", `CREATE ROLE `+mv.role+` LOGIN PASSWORD '`+mv.password+`'`)
		b.Cleanup(func() { _ = c.Exec(context.Background(), "postgres", `DROP ROLE IF EXISTS `+mv.role) })
	}
	mv.m, mv.pdb, mv.rdb = migration(b, pair)
	grant := `GRANT ALL ON ALL TABLES IN SCHEMA public TO ` + mv.role + `; GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO ` + mv.role
	mustExec(b, pair.Primary, mv.pdb, schema+";"+grant)
	if _, err := core.Setup(ctxFor(b, time.Minute), core.SetupOptions{Migration: mv.m, PgDump: pgDump(b)}); err != nil {
		b.Fatal(err)
	}
	mustExec(b, pair.Replica, mv.rdb, grant)
	mv.bouncer = pgtest.Bouncer(b, pgbouncer.Options{Users: []pgbouncer.User{{Name: mv.role, Password: mv.password}}})
	mv.admin = core.MustParseDSN(mv.bouncer.AdminDSN())
	mv.m.PgBouncer = core.PgBouncer{Admin: mv.admin, Config: mv.bouncer.Include}
	res, err := core.ProxyCreate(ctxFor(b, time.Minute), core.ProxyCreateOptions{Migration: mv.m, MapRoles: []string{mv.role}})
	if err != nil {
		b.Fatalf("proxy create with PgBouncer: %v (%s): %+v\n%s", err, core.Hint(err), res, mv.bouncer.Log())
	}
	return mv
}

// appDSN is the application's connection string through PgBouncer: unnamed statements,
// since PgBouncer 1.18 cannot carry named ones across transaction pooling's connections.
func (mv *bouncerMove) appDSN() string {
	return mv.bouncer.DSN(mv.role, mv.password, mv.pdb) + "&default_query_exec_mode=exec"
}

// startWorkload starts the workload through PgBouncer and waits for its first writes and a
// ready replica.
func (mv *bouncerMove) startWorkload(b testing.TB, clients int) *workload.Workload {
	w, err := workload.Start(ctxFor(b, time.Minute), mv.appDSN(), clients)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(w.Stop)
	if err := w.WaitAcked(ctxFor(b, time.Minute), 300); err != nil {
		b.Fatal(err)
	}
	if _, err := core.Wait(ctxFor(b, time.Minute), core.WaitOptions{StatusOptions: core.StatusOptions{Migration: mv.m},
		Interval: 200 * time.Millisecond, Timeout: time.Minute}); err != nil {
		b.Fatal(err)
	}
	return w
}

func mustExec(b testing.TB, c *pgtest.Cluster, db, sql string) {
	b.Helper()
	if err := c.Exec(ctxFor(b, time.Minute), db, sql); err != nil {
		b.Fatalf("%s: %v\n%s", c.Name, err, sql)
	}
}
