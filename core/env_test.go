package core_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pghandoff/pghandoff/core"
	"github.com/pghandoff/pghandoff/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

// env is one test's pair of databases: one on the primary cluster, one on the replica's.
type env struct {
	t                    *testing.T
	pair                 pgtest.Pair
	primaryDB, replicaDB string
	m                    core.Migration
	pgDump               string
}

func newEnv(t *testing.T, pair pgtest.Pair) *env {
	t.Helper()
	e := &env{t: t, pair: pair, primaryDB: pgtest.Database(t, pair.Primary), replicaDB: pgtest.Database(t, pair.Replica)}
	// Slots are cluster-wide and tests share clusters: each test names its own migration.
	e.m = core.Migration{
		Name:    e.primaryDB,
		Primary: core.MustParseDSN(pair.Primary.DSN(e.primaryDB)),
		Replica: core.MustParseDSN(pair.Replica.DSN(e.replicaDB)),
	}
	bin, err := pgtest.ClientBinDir(15)
	if err != nil {
		t.Fatal(err)
	}
	e.pgDump = filepath.Join(bin, "pg_dump")
	return e
}

// forEachPair runs a test on every version pair, in parallel.
func forEachPair(t *testing.T, test func(t *testing.T, e *env)) {
	forPairs(t, pgtest.Pairs(t), test)
}

func forPairs(t *testing.T, pairs []pgtest.Pair, test func(t *testing.T, e *env)) {
	for _, pair := range pairs {
		t.Run(pair.Name, func(t *testing.T) {
			t.Parallel()
			test(t, newEnv(t, pair))
		})
	}
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func (e *env) execPrimary(sql string, args ...any) {
	e.t.Helper()
	if err := e.pair.Primary.Exec(ctxFor(e.t, time.Minute), e.primaryDB, sql, args...); err != nil {
		e.t.Fatalf("primary: %v\n%s", err, sql)
	}
}

func (e *env) execReplica(sql string, args ...any) {
	e.t.Helper()
	if err := e.pair.Replica.Exec(ctxFor(e.t, time.Minute), e.replicaDB, sql, args...); err != nil {
		e.t.Fatalf("replica: %v\n%s", err, sql)
	}
}

func (e *env) queryInt(onReplica bool, sql string, args ...any) int64 {
	e.t.Helper()
	c, db := e.pair.Primary, e.primaryDB
	if onReplica {
		c, db = e.pair.Replica, e.replicaDB
	}
	conn, err := c.Connect(ctxFor(e.t, time.Minute), db)
	if err != nil {
		e.t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int64
	if err := conn.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		e.t.Fatalf("%v\n%s", err, sql)
	}
	return n
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// loadScenario creates the hard-case schema and its data on the primary.
func (e *env) loadScenario() {
	e.t.Helper()
	e.execPrimary(readFile(e.t, "testdata/scenario/schema.sql"))
	e.execPrimary(readFile(e.t, "testdata/scenario/data.sql"))
}

func (e *env) setupOptions() core.SetupOptions {
	return core.SetupOptions{Migration: e.m, PgDump: e.pgDump, Execution: core.Execution{Observer: core.Observer{Logger: testLogger(e.t)}}}
}

func (e *env) statusOptions() core.StatusOptions {
	return core.StatusOptions{Migration: e.m, SentinelTimeout: 10 * time.Second}
}

// waitReady waits for the migration to be ready and returns the ready status.
func (e *env) waitReady() *core.Status {
	e.t.Helper()
	st, err := core.Wait(ctxFor(e.t, 3*time.Minute), core.WaitOptions{StatusOptions: e.statusOptions(),
		Timeout: 2 * time.Minute, Interval: 200 * time.Millisecond})
	if err != nil {
		e.t.Fatalf("wait: %v (status %+v)\nprimary log:\n%s\nreplica log:\n%s", err, st, e.pair.Primary.Log(), e.pair.Replica.Log())
	}
	return st
}

// assertSame fails unless every table holds the same rows on both sides.
func (e *env) assertSame() *core.VerifyResult {
	e.t.Helper()
	res, err := core.Verify(ctxFor(e.t, time.Minute), core.VerifyOptions{Migration: e.m})
	if err != nil {
		e.t.Fatalf("verify: %v: %+v", err, res)
	}
	return res
}

// leftovers lists every replication object and sentinel table left on either server.
func (e *env) leftovers() []string {
	e.t.Helper()
	var out []string
	count := func(onReplica bool, what, sql string) {
		if n := e.queryInt(onReplica, sql); n > 0 {
			out = append(out, what)
		}
	}
	count(false, "publication", `SELECT count(*) FROM pg_publication`)
	count(false, "slot", `SELECT count(*) FROM pg_replication_slots WHERE database = current_database()`)
	count(false, "primary sentinel", `SELECT count(*) FROM pg_class WHERE relname = '`+e.m.Name+`'`)
	count(true, "subscription", `SELECT count(*) FROM pg_subscription s JOIN pg_database d ON d.oid = s.subdbid WHERE d.datname = current_database()`)
	count(true, "replica sentinel", `SELECT count(*) FROM pg_class WHERE relname = '`+e.m.Name+`'`)
	return out
}

// origins counts replication origins on the replica cluster (origins are cluster-wide).
func (e *env) originsOf(subOID int64) int64 {
	return e.queryInt(true, `SELECT count(*) FROM pg_replication_origin WHERE roname ~ ('^pg_' || $1::bigint::text || '(_|$)')`, subOID)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if strings.Contains(x, s) {
			return true
		}
	}
	return false
}
