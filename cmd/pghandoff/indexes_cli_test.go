package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pghandoff/pghandoff/internal/pgtest"
)

// bigTable makes the index builds long enough to kill pghandoff in the middle of one.
const bigTable = `CREATE TABLE public.big (id int PRIMARY KEY, a int, b text, c int, d text);
INSERT INTO public.big SELECT g, g % 1000, md5(g::text), (g::bigint * 7919 % 100003)::int, md5((g * 3)::text) FROM generate_series(1, 400000) g;
CREATE INDEX big_a ON public.big (a, c); CREATE INDEX big_b ON public.big (b); CREATE INDEX big_c ON public.big (c, b); CREATE INDEX big_d ON public.big (d);
ANALYZE public.big;`

// Setup leaves the secondary indexes for after the copy and status shows the tables as
// indexing; setup killed after its import, and wait killed twice in the middle of a build,
// converge when run again: every index the killed runs finished is kept (not built twice),
// none is forgotten (verify compares them), and wait's progress shows the builds.
func TestCommandLineIndexBuildKilled(t *testing.T) {
	pair := pgtest.OldestPair(t)
	primaryDB, replicaDB := pgtest.Database(t, pair.Primary), pgtest.Database(t, pair.Replica)
	schema, err := os.ReadFile(filepath.Join("..", "..", "core", "testdata", "deferred", "schema.sql"))
	if err != nil {
		t.Fatal(err)
	}
	if err := pair.Primary.Exec(context.Background(), primaryDB, string(schema)+bigTable); err != nil {
		t.Fatal(err)
	}
	replica, err := pair.Replica.Connect(context.Background(), replicaDB)
	if err != nil {
		t.Fatal(err)
	}
	defer replica.Close(context.Background())
	c := &cli{t: t, env: map[string]string{"PGHANDOFF_PRIMARY": pair.Primary.DSN(primaryDB), "PGHANDOFF_REPLICA": pair.Replica.DSN(replicaDB)}}
	name := []string{"--name", primaryDB}

	stdout, _ := c.expect(exitOK, append([]string{"preflight", "--jobs", "2"}, name...)...)
	if !strings.Contains(stdout, "12 secondary index(es) and constraint(s) built after their tables' copy") {
		t.Fatalf("preflight does not say what setup leaves for after the copy:\n%s", stdout)
	}
	killWhen(t, c, append([]string{"setup"}, name...), func() bool {
		return queryInt(t, replica, `SELECT count(*) FROM pg_class WHERE relname = 'deferred' AND relkind = 'r'`) == 1
	})
	c.expect(exitOK, append([]string{"setup"}, name...)...)
	var status string
	for !strings.Contains(status, "indexing   \"public\".\"big\": 4 index(es) or constraint(s) to build") {
		status, _ = c.expect(exitNotReady, append([]string{"status"}, name...)...)
		time.Sleep(100 * time.Millisecond)
	}

	// Killed while a build of big's runs: first before any is done, then after one is.
	done := `SELECT count(*) FROM pghandoff_` + primaryDB + `.deferred WHERE table_name = 'big' AND done_at IS NOT NULL`
	building := `SELECT count(*) FROM pg_stat_progress_create_index WHERE relid = 'public.big'::regclass`
	wait := append([]string{"wait", "--jobs", "1", "--interval", "100ms"}, name...)
	killWhen(t, c, wait, func() bool { return queryInt(t, replica, building) > 0 && queryInt(t, replica, done) == 0 })
	killWhen(t, c, wait, func() bool { return queryInt(t, replica, building) > 0 && queryInt(t, replica, done) > 0 })
	kept := indexOIDs(t, replica)
	if n := queryInt(t, replica, done); n == 0 || n == 4 {
		t.Fatalf("%d of big's indexes built by the killed runs, want some", n)
	}

	_, stderr := c.expect(exitOK, append([]string{"wait", "--jobs", "2", "--interval", "100ms"}, name...)...)
	if !strings.Contains(stderr, "indexes ") || !strings.Contains(stderr, " built") {
		t.Fatalf("wait's progress does not show the index builds:\n%s", stderr)
	}
	after := indexOIDs(t, replica)
	for index, oid := range kept {
		if after[index] != oid {
			t.Errorf("index %s was built again after the kill (oid %d, now %d)", index, oid, after[index])
		}
	}
	if n := queryInt(t, replica, `SELECT count(*) FROM pg_index WHERE NOT indisvalid`); n != 0 {
		t.Fatalf("%d invalid indexes on the replica", n)
	}
	stdout, _ = c.expect(exitOK, append([]string{"verify"}, name...)...)
	if !strings.Contains(stdout, "Indexes and constraints: the same on both servers") {
		t.Fatalf("verify:\n%s", stdout)
	}
	c.expect(exitOK, append([]string{"teardown"}, name...)...)
}

// killWhen starts pghandoff with args as a process of its own and kills it (SIGKILL) as soon
// as when holds; it fails the test if the process ends first.
func killWhen(t *testing.T, c *cli, args []string, when func() bool) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self, args...)
	cmd.Env = append(os.Environ(), asCLI+"=1")
	for k, v := range c.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ended := make(chan error, 1)
	go func() { ended <- cmd.Wait() }()
	deadline := time.After(3 * time.Minute)
	for !when() {
		select {
		case err := <-ended:
			t.Fatalf("pghandoff %s ended (%v) before it could be killed:\n%s", args[0], err, out.String())
		case <-deadline:
			_ = cmd.Process.Kill()
			t.Fatalf("pghandoff %s: the moment to kill it never came", args[0])
		case <-time.After(5 * time.Millisecond):
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-ended
}

func queryInt(t *testing.T, conn *pgx.Conn, sql string) int {
	t.Helper()
	var n int
	if err := conn.QueryRow(context.Background(), sql).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// indexOIDs are the replica's valid indexes on the migrated tables, by name.
func indexOIDs(t *testing.T, conn *pgx.Conn) map[string]uint32 {
	t.Helper()
	rows, err := conn.Query(context.Background(), `SELECT i.indexrelid::regclass::text, i.indexrelid::oid FROM pg_index i
		JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE i.indisvalid AND n.nspname IN ('public', 'Billing')`)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]uint32{}
	for rows.Next() {
		var name string
		var oid uint32
		if err := rows.Scan(&name, &oid); err != nil {
			t.Fatal(err)
		}
		out[name] = oid
	}
	return out
}
