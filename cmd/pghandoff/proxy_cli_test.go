package main

import (
	"context"
	"strings"
	"testing"

	"github.com/pghandoff/pghandoff/internal/pgtest"
)

// The traffic-switching commands from the command line, with the seed scripts' spellings:
// proxy create --server, cutover --server (the new server), proxy remove CONNINFO; then the
// strategy without a proxy, fence and sequences.
func TestCommandLineProxyAndCutover(t *testing.T) {
	pair := pgtest.Pairs(t)[1]
	proxy := pgtest.Server(t, "proxy15", 15)
	pdb, rdb, xdb := pgtest.Database(t, pair.Primary), pgtest.Database(t, pair.Replica), pgtest.Database(t, proxy)
	if err := pair.Primary.Exec(context.Background(), pdb, `CREATE SCHEMA "Billing";
		CREATE TABLE "Billing"."Order" (id bigserial PRIMARY KEY, "user" text NOT NULL DEFAULT current_user, at timestamptz DEFAULT now());
		INSERT INTO "Billing"."Order" ("user") SELECT 'u' || g FROM generate_series(1, 100) g;
		CREATE ROLE app_writer LOGIN PASSWORD 'app-secret-1'`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = pair.Primary.Exec(context.Background(), "postgres", `DROP ROLE IF EXISTS app_writer`)
		_ = pair.Replica.Exec(context.Background(), rdb, `DROP OWNED BY app_writer`) // setup created it there
		_ = pair.Replica.Exec(context.Background(), "postgres", `DROP ROLE IF EXISTS app_writer`)
	})
	c := &cli{t: t, env: map[string]string{}}
	primary, replica, proxyDSN := pair.Primary.DSN(pdb), pair.Replica.DSN(rdb), proxy.DSN(xdb)
	name := []string{"--name", pdb}

	// The application's role: setup creates it on the new primary, where sequences checks it.
	stdout, _ := c.expect(exitOK, append([]string{"setup", "--primary", primary, "--replica", replica, "--map-role", "app_writer", "--create-roles"}, name...)...)
	if !strings.Contains(stdout, "Roles created on the replica:\n  - app_writer") {
		t.Fatalf("setup did not create the application's role:\n%s", stdout)
	}
	c.expect(exitOK, append([]string{"wait", "--primary", primary, "--replica", replica, "--timeout", "2m", "--interval", "200ms"}, name...)...)
	stdout, _ = c.expect(exitOK, append([]string{"proxy", "create", "--proxy", proxyDSN, "--server", primary}, name...)...)
	if !strings.Contains(stdout, "stands in for the primary") || !strings.Contains(stdout, "ON CONFLICT") {
		t.Fatalf("proxy create:\n%s", stdout)
	}
	if err := proxy.Exec(context.Background(), xdb, `INSERT INTO "Billing"."Order" DEFAULT VALUES`); err != nil {
		t.Fatalf("insert through the proxy with every column defaulted: %v", err)
	}
	stdout, _ = c.expect(exitOK, append([]string{"cutover", "--dry-run", "--proxy", proxyDSN, "--primary", primary, "--server", replica}, name...)...)
	if !strings.Contains(stdout, "Dry run") {
		t.Fatalf("cutover --dry-run:\n%s", stdout)
	}
	stdout, _ = c.expect(exitOK, append([]string{"cutover", "--proxy", proxyDSN, "--primary", primary, "--server", replica}, name...)...)
	if !strings.Contains(stdout, "Switched") || !strings.Contains(stdout, "pause") {
		t.Fatalf("cutover:\n%s", stdout)
	}
	if err := proxy.Exec(context.Background(), xdb, `INSERT INTO "Billing"."Order" ("user") VALUES ('after')`); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, pair.Replica, rdb, `SELECT count(*) FROM "Billing"."Order" WHERE "user" = 'after' AND id > 101`); n != 1 {
		t.Fatalf("the write after cutover did not land on the new primary with a key above the old ones (%d)", n)
	}
	// rm-proxy.sh's spelling: the proxy as the only argument; the primary, where the
	// migration's lock lives, from the environment.
	c.env = map[string]string{"PGHANDOFF_PRIMARY": primary}
	stdout, _ = c.expect(exitOK, append([]string{"proxy", "remove", proxyDSN}, name...)...)
	c.env = nil
	if !strings.Contains(stdout, "Removed") {
		t.Fatalf("proxy remove:\n%s", stdout)
	}

	// Without a proxy: fence the application's role, move the sequences, undo.
	stdout, _ = c.expect(exitOK, append([]string{"fence", "--primary", primary, "--replica", replica, "--role", "app_writer"}, name...)...)
	if !strings.Contains(stdout, "Fenced") {
		t.Fatalf("fence:\n%s", stdout)
	}
	stdout, _ = c.expect(exitOK, append([]string{"sequences", "--primary", primary, "--replica", replica, "--window", "200ms", "--skip", "60"}, name...)...)
	if !strings.Contains(stdout, `"Billing"."Order_id_seq"`) {
		t.Fatalf("sequences:\n%s", stdout)
	}
	stdout, _ = c.expect(exitOK, append([]string{"fence", "--primary", primary, "--role", "app_writer", "--undo"}, name...)...)
	if !strings.Contains(stdout, "Unfenced") {
		t.Fatalf("fence --undo:\n%s", stdout)
	}
	c.expect(exitOK, append([]string{"teardown", "--primary", primary, "--replica", replica}, name...)...)
	c.expect(exitUsage, "fence", "--primary", primary)
	c.expect(exitUsage, "proxy", "remove")
	for _, secret := range []string{pair.Primary.Password, pair.Replica.Password, proxy.Password} {
		if strings.Contains(c.all.String(), secret) {
			t.Fatal("a password appeared in the output")
		}
	}
}

func countRows(t *testing.T, c *pgtest.Cluster, db, query string) int64 {
	t.Helper()
	conn, err := c.Connect(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int64
	if err := conn.QueryRow(context.Background(), query).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
