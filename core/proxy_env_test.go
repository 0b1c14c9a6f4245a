package core_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/pghandoff/pghandoff/core"
	"github.com/pghandoff/pghandoff/internal/pgtest"
	"github.com/pghandoff/pghandoff/internal/workload"
)

// proxyEnv is an env with a database on the proxy cluster as well.
type proxyEnv struct {
	*env
	proxy   *pgtest.Cluster
	proxyDB string
	events  *eventLog
}

func newProxyEnv(t *testing.T, pair pgtest.Pair) *proxyEnv {
	t.Helper()
	e := &proxyEnv{env: newEnv(t, pair), proxy: pgtest.Server(t, "proxy15", 15), events: &eventLog{}}
	e.proxyDB = pgtest.Database(t, e.proxy)
	e.m.Proxy = core.MustParseDSN(e.proxy.DSN(e.proxyDB))
	return e
}

// forEachPairWithProxy runs a test on every version pair, with a proxy, in parallel.
func forEachPairWithProxy(t *testing.T, test func(t *testing.T, e *proxyEnv)) {
	forEachPairOf(t, newProxyEnv, test)
}

// forEachPairOf runs a test on every version pair, in parallel, on an env newEnv makes.
func forEachPairOf[E any](t *testing.T, newEnv func(*testing.T, pgtest.Pair) E, test func(*testing.T, E)) {
	for _, pair := range pgtest.Pairs(t) {
		t.Run(pair.Name, func(t *testing.T) {
			t.Parallel()
			test(t, newEnv(t, pair))
		})
	}
}

func (e *proxyEnv) observer() core.Observer {
	return core.Observer{Logger: testLogger(e.t), Progress: e.events.add}
}

func (e *proxyEnv) execProxy(sql string, args ...any) {
	e.t.Helper()
	if err := e.proxy.Exec(ctxFor(e.t, time.Minute), e.proxyDB, sql, args...); err != nil {
		e.t.Fatalf("proxy: %v\n%s", err, sql)
	}
}

func (e *proxyEnv) queryProxy(sql string, args ...any) int64 {
	e.t.Helper()
	var n int64
	e.scanProxy(sql, &n, args...)
	return n
}

// connect opens a superuser connection to the test's database on one server, closed when
// the test ends.
func (e *env) connect(c *pgtest.Cluster, db string) *pgx.Conn {
	e.t.Helper()
	conn, err := c.Connect(ctxFor(e.t, time.Minute), db)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func (e *env) primaryConn() *pgx.Conn { return e.connect(e.pair.Primary, e.primaryDB) }
func (e *env) replicaConn() *pgx.Conn { return e.connect(e.pair.Replica, e.replicaDB) }

// scan reads one value from the primary or the replica.
func (e *proxyEnv) scan(onReplica bool, sql string, dest any) {
	e.t.Helper()
	conn := e.primaryConn()
	if onReplica {
		conn = e.replicaConn()
	}
	if err := conn.QueryRow(context.Background(), sql).Scan(dest); err != nil {
		e.t.Fatalf("%v\n%s", err, sql)
	}
}

func (e *proxyEnv) scanProxy(sql string, dest any, args ...any) {
	e.t.Helper()
	if err := e.connect(e.proxy, e.proxyDB).QueryRow(context.Background(), sql, args...).Scan(dest); err != nil {
		e.t.Fatalf("proxy: %v\n%s", err, sql)
	}
}

// setUp loads sql (the scenario when empty) on the primary, sets up replication, waits for
// it, and creates the proxy.
func (e *proxyEnv) setUp(schema string, mapRoles ...string) *core.ProxyCreateResult {
	e.t.Helper()
	if schema == "" {
		e.loadScenario()
	} else {
		e.execPrimary(schema)
	}
	opts := e.setupOptions()
	opts.ReplicaIdentityFull = true
	if _, err := core.Setup(ctxFor(e.t, 2*time.Minute), opts); err != nil {
		e.t.Fatalf("setup: %v (%s)", err, core.Hint(err))
	}
	e.waitReady()
	res, err := core.ProxyCreate(ctxFor(e.t, time.Minute), core.ProxyCreateOptions{Migration: e.m, MapRoles: mapRoles, Execution: core.Execution{Observer: e.observer()}})
	if err != nil {
		e.t.Fatalf("proxy create: %v (%s)\n%s", err, core.Hint(err), statementsText(res))
	}
	return res
}

func (e *proxyEnv) cutoverOptions() core.CutoverOptions {
	return core.CutoverOptions{SwitchOptions: core.SwitchOptions{Migration: e.m, Execution: core.Execution{Observer: e.observer()}}}
}

// proxyLeftovers lists what pghandoff objects remain on the proxy, and its helper schemas
// on the primary and replica.
func (e *proxyEnv) proxyLeftovers() []string {
	var out []string
	check := func(what string, n int64) {
		if n > 0 {
			out = append(out, what)
		}
	}
	check("foreign server", e.queryProxy(`SELECT count(*) FROM pg_foreign_server`))
	check("user mapping", e.queryProxy(`SELECT count(*) FROM pg_user_mappings`))
	check("foreign table", e.queryProxy(`SELECT count(*) FROM pg_foreign_table`))
	check("proxy schema", e.queryProxy(`SELECT count(*) FROM pg_namespace WHERE nspname IN ('Billing', 'inventory') OR nspname LIKE 'pghandoff\_%'`))
	check("proxy type", e.queryProxy(`SELECT count(*) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND t.typtype = 'e'`))
	check("proxy function", e.queryProxy(`SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')`))
	check("postgres_fdw", e.queryProxy(`SELECT count(*) FROM pg_extension WHERE extname = 'postgres_fdw'`))
	check("primary helper schema", e.queryInt(false, `SELECT count(*) FROM pg_namespace WHERE nspname = 'pghandoff_' || $1::text`, e.m.Name))
	check("replica helper schema", e.queryInt(true, `SELECT count(*) FROM pg_namespace WHERE nspname = 'pghandoff_' || $1::text`, e.m.Name))
	check("failsafe subscription", e.queryInt(false, `SELECT count(*) FROM pg_subscription s JOIN pg_database d ON d.oid = s.subdbid WHERE d.datname = current_database()`))
	check("failsafe publication", e.queryInt(true, `SELECT count(*) FROM pg_publication`))
	check("failsafe slot", e.queryInt(true, `SELECT count(*) FROM pg_replication_slots WHERE database = current_database()`))
	return out
}

// eventLog collects progress events, safely from several goroutines.
type eventLog struct {
	mu     sync.Mutex
	events []core.Event
	hook   func(core.Event)
}

func (l *eventLog) add(ev core.Event) {
	l.mu.Lock()
	l.events = append(l.events, ev)
	hook := l.hook
	l.mu.Unlock()
	if hook != nil {
		hook(ev)
	}
}

func (l *eventLog) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, _ := json.Marshal(l.events)
	return string(b)
}

func statementsText(res any) string {
	b, _ := json.MarshalIndent(res, "", "  ")
	return string(b)
}

// assertNoSecrets fails if any of the DSNs' passwords appears in the texts.
func assertNoSecrets(t *testing.T, m core.Migration, texts ...string) {
	t.Helper()
	for _, dsn := range []core.DSN{m.Primary, m.Replica, m.Proxy} {
		if dsn.IsZero() || dsn.Password() == "" {
			continue
		}
		for _, text := range texts {
			if strings.Contains(text, dsn.Password()) {
				t.Fatalf("a password appears in the output:\n%s", text)
			}
		}
	}
}

// startWorkload starts clients writing through dsn, stopped when the test ends.
func startWorkload(t *testing.T, dsn string, clients int) *workload.Workload {
	t.Helper()
	w, err := workload.Start(ctxFor(t, time.Minute), dsn, clients)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	return w
}

// waitAcked waits for n more acknowledged inserts.
func waitAcked(t *testing.T, w *workload.Workload, n int) {
	t.Helper()
	if err := w.WaitAcked(ctxFor(t, time.Minute), n); err != nil {
		t.Fatal(err)
	}
}

// checkWorkload stops w and fails unless conn's server holds exactly what w was acknowledged.
func checkWorkload(t *testing.T, w *workload.Workload, conn *pgx.Conn, split time.Time) {
	t.Helper()
	r, err := w.Check(ctxFor(t, time.Minute), conn, split)
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() {
		t.Fatalf("the workload's writes are not all there: %s", statementsText(r))
	}
	t.Logf("workload: %d inserts, %d increments, %d serialization retries", r.Inserts, r.Increments, r.Retries)
}
