package main

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/pghandoff/pghandoff/core"
	"github.com/pghandoff/pghandoff/internal/pgbouncer"
	"github.com/pghandoff/pghandoff/internal/pgcluster"
	"github.com/pghandoff/pghandoff/internal/pgtest"
)

// The PgBouncer strategy from the command line, PgBouncer's options from the environment as
// an operator would keep them: --pgbouncer given halfway is a usage error; proxy create
// (dry run, then for real); cutover --failsafe --json, after which a write through PgBouncer
// lands on the new primary; rollback; proxy remove, which says that the entry stays.
func TestCommandLinePgBouncer(t *testing.T) {
	pair := pgtest.Pairs(t)[0]
	role, password := "cli_app_"+pgcluster.RandomHex(4), "cli-app-pw"
	for _, c := range []*pgtest.Cluster{pair.Primary, pair.Replica} {
		if err := c.Exec(context.Background(), "postgres", `CREATE ROLE `+role+` LOGIN PASSWORD '`+password+`'`); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Exec(context.Background(), "postgres", `DROP ROLE IF EXISTS `+role) })
	}
	pdb, rdb := pgtest.Database(t, pair.Primary), pgtest.Database(t, pair.Replica)
	grant := `GRANT ALL ON ALL TABLES IN SCHEMA public TO ` + role + `; GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO ` + role
	if err := pair.Primary.Exec(context.Background(), pdb, `CREATE TABLE public.items (id bigserial PRIMARY KEY, v int); `+grant); err != nil {
		t.Fatal(err)
	}
	b := pgtest.Bouncer(t, pgbouncer.Options{Users: []pgbouncer.User{{Name: role, Password: password}}})
	servers := []string{"--primary", pair.Primary.DSN(pdb), "--replica", pair.Replica.DSN(rdb), "--name", pdb}
	c := &cli{t: t, env: map[string]string{"PGHANDOFF_PGBOUNCER": b.AdminDSN()}}

	_, stderr := c.expect(exitUsage, append([]string{"cutover"}, servers...)...)
	if !strings.Contains(stderr, "--pgbouncer-config") {
		t.Fatalf("--pgbouncer without its file:\n%s", stderr)
	}
	c.env["PGHANDOFF_PGBOUNCER_CONFIG"] = b.Include
	c.expect(exitOK, append([]string{"setup"}, servers...)...)
	c.expect(exitOK, append([]string{"wait", "--timeout", "2m", "--interval", "200ms"}, servers...)...)
	if err := pair.Replica.Exec(context.Background(), rdb, grant); err != nil {
		t.Fatal(err)
	}
	stdout, _ := c.expect(exitOK, append([]string{"proxy", "create", "--dry-run", "--map-role", role}, servers...)...)
	if file, _ := os.ReadFile(b.Include); !strings.Contains(stdout, "Dry run") || !strings.Contains(stdout, "RELOAD") || strings.Contains(string(file), "host") {
		t.Fatalf("proxy create --dry-run:\n%s\n%s", stdout, file)
	}
	stdout, _ = c.expect(exitOK, append([]string{"proxy", "create", "--map-role", role}, servers...)...)
	if !strings.Contains(stdout, "written and loaded") || !strings.Contains(stdout, "prepared statements") {
		t.Fatalf("proxy create --pgbouncer:\n%s", stdout)
	}
	stdout, _ = c.expect(exitOK, append([]string{"cutover", "--failsafe", "--json"}, servers...)...)
	var res core.CutoverResult
	if err := json.Unmarshal([]byte(stdout), &res); err != nil || !res.Switched || res.Strategy != core.StrategyPgBouncer || res.SentinelLSN == "" {
		t.Fatalf("cutover --json: %v\n%s", err, stdout)
	}
	insertThrough(t, b.DSN(role, password, pdb))
	if n := countRows(t, pair.Replica, rdb, `SELECT count(*) FROM public.items`); n != 1 {
		t.Fatalf("the write through PgBouncer after cutover is not on the new primary (%d rows)", n)
	}
	stdout, _ = c.expect(exitOK, append([]string{"rollback"}, servers...)...)
	if !strings.Contains(stdout, "Rolled back: PgBouncer") || !strings.Contains(stdout, "clients waited") {
		t.Fatalf("rollback:\n%s", stdout)
	}
	stdout, _ = c.expect(exitOK, append([]string{"proxy", "remove"}, servers...)...)
	if !strings.Contains(stdout, "Kept:") || !strings.Contains(stdout, "PgBouncer's entry "+pdb) {
		t.Fatalf("proxy remove --pgbouncer:\n%s", stdout)
	}
	for _, secret := range []string{pair.Primary.Password, pair.Replica.Password, b.AdminPassword} {
		if strings.Contains(c.all.String(), secret) {
			t.Fatal("a password appeared in the output")
		}
	}
}

// insertThrough writes a row through dsn (PgBouncer: unnamed statements).
func insertThrough(t *testing.T, dsn string) {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn+"&default_query_exec_mode=exec")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), `INSERT INTO public.items (v) VALUES (1)`); err != nil {
		t.Fatal(err)
	}
}
