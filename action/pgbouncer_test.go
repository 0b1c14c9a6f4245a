package action_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pghandoff/pghandoff/internal/pgbouncer"
	"github.com/pghandoff/pghandoff/internal/pgcluster"
	"github.com/pghandoff/pghandoff/internal/pgtest"
)

// The switch through PgBouncer as workflow steps: proxy-create takes over PgBouncer's entry
// after its checks, cutover pauses and repoints it (a write through PgBouncer then lands on
// the new primary), and proxy-remove leaves the entry, saying so. PgBouncer's admin password
// is masked like every connection string.
func TestCutoverThroughPgBouncer(t *testing.T) {
	t.Parallel()
	role, password := "act_app_"+pgcluster.RandomHex(4), "action-app-pw"
	for _, c := range []*pgtest.Cluster{pgtest.Server(t, "primary15", 15), pgtest.Server(t, "replica17", 17)} {
		if err := c.Exec(context.Background(), "postgres", `CREATE ROLE `+role+` LOGIN PASSWORD '`+password+`'`); err != nil {
			t.Fatal(err)
		}
		// Registered before the databases: it runs once they, and the grants, are dropped.
		t.Cleanup(func() { _ = c.Exec(context.Background(), "postgres", `DROP ROLE IF EXISTS `+role) })
	}
	e := newEnv(t)
	grant := `GRANT ALL ON ALL TABLES IN SCHEMA public TO ` + role + `; GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO ` + role
	e.exec(e.primary, e.primaryDB, `CREATE TABLE public.items (id bigserial PRIMARY KEY, v int); `+grant)
	e.step(map[string]string{"command": "setup"}).expectOK()
	e.step(map[string]string{"command": "wait", "timeout": "2m"}).expectOK()
	e.exec(e.replica, e.replicaDB, grant)
	b := pgtest.Bouncer(t, pgbouncer.Options{Users: []pgbouncer.User{{Name: role, Password: password}}})
	e.passwords = append(e.passwords, b.AdminPassword)
	bouncer := map[string]string{"pgbouncer": b.AdminDSN(), "pgbouncer-config": b.Include}
	with := func(in map[string]string) map[string]string {
		for k, v := range bouncer {
			in[k] = v
		}
		return in
	}

	create := e.step(with(map[string]string{"command": "proxy-create", "map-role": role}))
	create.expectOK()
	if out := create.outputs(); out["changed"] != "true" || out["passed"] != "true" || !strings.Contains(create.summary(), "#### Checks") {
		t.Fatalf("proxy-create outputs %v\n%s", out, create.summary())
	}
	cut := e.step(with(map[string]string{"command": "cutover", "max-pause": "10s"}))
	cut.expectOK()
	if out := cut.outputs(); out["switched"] != "true" || out["pause-ms"] == "" || !strings.Contains(cut.summary(), "| Clients that waited |") {
		t.Fatalf("cutover outputs %v\n%s", out, cut.summary())
	}
	writeThrough(t, b.DSN(role, password, e.primaryDB))
	if n := e.queryInt(e.replica, e.replicaDB, `SELECT count(*) FROM public.items`); n != 1 {
		t.Errorf("the write through PgBouncer after cutover: %d rows on the new primary, want 1", n)
	}
	remove := e.step(with(map[string]string{"command": "proxy-remove"}))
	remove.expectOK()
	if !strings.Contains(remove.summary(), "#### Kept") {
		t.Errorf("proxy-remove does not say what it kept:\n%s", remove.summary())
	}
	for _, r := range []*runner{create, cut, remove} {
		r.assertMasked(b.AdminPassword)
	}
}

// writeThrough inserts a row through dsn (PgBouncer: unnamed statements).
func writeThrough(t *testing.T, dsn string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn+"&default_query_exec_mode=exec")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, `INSERT INTO public.items (v) VALUES (1)`); err != nil {
		t.Fatal(err)
	}
}
