//go:build faults

package faults

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/pghandoff/pghandoff/internal/pgbouncer"
	"github.com/pghandoff/pghandoff/internal/pgcluster"
	"github.com/pghandoff/pghandoff/internal/pgtest"
)

// The PgBouncer strategy's harness: a PgBouncer of the scenario's own in front of the
// primary, in transaction pooling, instead of the proxy. pghandoff reaches its admin console
// directly, and writes its entry from the primary's connection string: PgBouncer reaches the
// servers through their forwarders, as the proxy's foreign server does. The application logs
// in as a role of its own, with the same password on both servers.
type bouncerFront struct {
	b              *pgbouncer.Bouncer
	role, password string
}

// newBouncerEnv is an env whose application goes through PgBouncer.
func newBouncerEnv(t *testing.T) *env {
	t.Helper()
	f := &bouncerFront{role: "app_" + pgcluster.RandomHex(4), password: "faults-app-pw"}
	for _, name := range []string{"primary15", "replica15"} {
		c := pgtest.Server(t, name, 15)
		if err := c.Exec(ctxFor(t, time.Minute), "postgres", `CREATE ROLE `+f.role+` LOGIN PASSWORD '`+f.password+`'`); err != nil {
			t.Fatal(err)
		}
		// Registered before the databases: it runs after they are dropped, with the grants.
		t.Cleanup(func() { _ = c.Exec(context.Background(), "postgres", `DROP ROLE IF EXISTS `+f.role) })
	}
	e := newServers(t)
	f.b = pgtest.Bouncer(t, pgbouncer.Options{Users: []pgbouncer.User{{Name: f.role, Password: f.password}}})
	e.bouncer = f
	return e
}

// vars are PgBouncer's options for pghandoff's environment; none without PgBouncer.
func (f *bouncerFront) vars() []string {
	if f == nil {
		return nil
	}
	return []string{"PGHANDOFF_PGBOUNCER=" + f.b.AdminDSN(), "PGHANDOFF_PGBOUNCER_CONFIG=" + f.b.Include}
}

// grants is what the application's role may do, on both servers (setup copies no privileges).
func (f *bouncerFront) grants() string {
	return `GRANT ALL ON ALL TABLES IN SCHEMA public TO ` + f.role + `; GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO ` + f.role
}

// create grants the role on both servers, then has proxy create take over PgBouncer's entry.
func (f *bouncerFront) create(e *env) {
	e.t.Helper()
	e.primary.exec(e.t, f.grants())
	e.replica.exec(e.t, f.grants())
	e.must("proxy", "create", "--map-role", f.role)
}

// appDSN reaches the primary's database through PgBouncer; unnamed statements, which
// PgBouncer 1.18 carries across transaction pooling.
func (f *bouncerFront) appDSN(e *env) string {
	return f.b.DSN(f.role, f.password, e.primary.db) + "&default_query_exec_mode=exec"
}

// entry reads PgBouncer's entry for the primary's database from SHOW DATABASES: where it
// points (its port and database) and whether it is paused.
func (f *bouncerFront) entry(e *env) (port, database string, paused, found bool) {
	e.t.Helper()
	conn, err := f.b.Admin(ctxFor(e.t, time.Minute))
	if err != nil {
		e.t.Fatalf("PgBouncer's admin console: %v", err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(ctxFor(e.t, time.Minute), "SHOW DATABASES")
	if err != nil {
		e.t.Fatalf("SHOW DATABASES: %v", err)
	}
	defer rows.Close()
	for rows.Next() {
		row := map[string]string{}
		for i, fd := range rows.FieldDescriptions() {
			row[fd.Name] = string(rows.RawValues()[i])
		}
		if row["name"] == e.primary.db {
			return row["port"], row["database"], row["paused"] == "1", true
		}
	}
	return "", "", false, false
}

// target names the server PgBouncer has the entry pointing at.
func (f *bouncerFront) target(e *env) string {
	port, database, _, found := f.entry(e)
	if !found {
		return ""
	}
	if role := e.nodeOf(port, database); role != "" {
		return role
	}
	return fmt.Sprintf("elsewhere (port %s, database %s)", port, database)
}

// checkResumed: PgBouncer's entry is not paused once every command has ended, whatever
// happened to them.
func (f *bouncerFront) checkResumed(e *env) {
	if f == nil {
		return
	}
	e.t.Helper()
	if _, _, paused, _ := f.entry(e); paused {
		e.t.Errorf("PAUSED: PgBouncer's entry %s is still paused after every command ended", e.primary.db)
	}
}
