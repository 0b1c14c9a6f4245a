package action_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pghandoff/pghandoff/core"
	"github.com/pghandoff/pghandoff/internal/pgtest"
)

// withProxy adds a database on the proxy cluster, reached as a role with a nasty password.
func (e *env) withProxy() (*pgtest.Cluster, string) {
	e.t.Helper()
	proxy := pgtest.Server(e.t, "proxy15", 15)
	db := pgtest.Database(e.t, proxy)
	e.proxyDSN = e.role(proxy, db, "x")
	return proxy, db
}

// throughProxy runs sql on the proxy as the application would, as the role the proxy maps.
func (e *env) throughProxy(sql string) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, e.proxyDSN)
	if err != nil {
		e.t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, sql); err != nil {
		e.t.Fatalf("through the proxy: %v\n%s", err, sql)
	}
}

func (e *env) queryInt(c *pgtest.Cluster, db, sql string) int64 {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := c.Connect(ctx, db)
	if err != nil {
		e.t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int64
	if err := conn.QueryRow(ctx, sql).Scan(&n); err != nil {
		e.t.Fatalf("%s: %v\n%s", c.Name, err, sql)
	}
	return n
}

// The switch through a proxy as workflow steps: proxy-create, a dry-run cutover, cutover
// reporting pause-ms and the LSNs, then proxy-remove and teardown leaving nothing behind.
func TestCutoverThroughProxy(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	proxy, proxyDB := e.withProxy()
	e.loadSchema()
	e.step(map[string]string{"command": "setup"}).expectOK()
	e.step(map[string]string{"command": "wait", "timeout": "2m"}).expectOK()

	// map-role: the proxy's superuser gets a user mapping too, as an application role would.
	create := e.step(map[string]string{"command": "proxy-create", "proxy": e.proxyDSN, "map-role": "postgres"})
	create.expectOK()
	if out := create.outputs(); out["changed"] != "true" {
		t.Fatalf("proxy-create outputs %v", out)
	}
	if n := e.queryInt(proxy, proxyDB, `SELECT count(*) FROM pg_user_mappings WHERE usename = 'postgres'`); n != 1 {
		t.Errorf("%d user mappings for the mapped role, want 1", n)
	}
	// The application writes through the proxy, to the old primary for now.
	e.throughProxy(`INSERT INTO "Billing"."Order" ("user", "total|sum") VALUES ('before', 1)`)

	dry := e.step(map[string]string{"command": "cutover", "proxy": e.proxyDSN, "dry-run": "true"})
	dry.expectOK()
	if out := dry.outputs(); out["switched"] != "false" || out["pause-ms"] != "" {
		t.Errorf("dry-run cutover outputs %v", out)
	}

	cut := e.step(map[string]string{"command": "cutover", "proxy": e.proxyDSN, "max-pause": "10s"})
	cut.expectOK()
	out := cut.outputs()
	pause, err := strconv.ParseFloat(out["pause-ms"], 64)
	if out["switched"] != "true" || err != nil || pause <= 0 {
		t.Fatalf("cutover outputs %v", out)
	}
	var res core.CutoverResult
	if err := json.Unmarshal([]byte(out["report"]), &res); err != nil || !res.Switched || res.SentinelLSN == "" {
		t.Fatalf("cutover report %v: %+v", err, res)
	}
	for _, q := range res.Sequences {
		if q.Next < q.PrimaryNext+1000 { // the margin's default, as the CLI's
			t.Errorf("sequence %s set to %d, want the old primary's %d plus 1000", q.TableName, q.Next, q.PrimaryNext)
		}
	}
	log := cut.stdout.String()
	if !strings.Contains(log, "::group::pghandoff cutover") || !strings.Contains(log, "::endgroup::") {
		t.Error("cutover printed no log group")
	}
	summary := cut.summary()
	for _, want := range []string{"### ✅ pghandoff cutover: switched", "| Pause |", "| Sentinel LSN |", "#### Sequences"} {
		if !strings.Contains(summary, want) {
			t.Errorf("cutover summary lacks %q:\n%s", want, summary)
		}
	}
	// Writes through the proxy now reach the new primary, and only it.
	e.throughProxy(`INSERT INTO "Billing"."Order" ("user", "total|sum") VALUES ('after', 2)`)
	if n := e.queryInt(e.replica, e.replicaDB, `SELECT count(*) FROM "Billing"."Order" WHERE "user" IN ('before', 'after')`); n != 2 {
		t.Errorf("%d of the proxied rows on the new primary, want 2", n)
	}
	if n := e.queryInt(e.primary, e.primaryDB, `SELECT count(*) FROM "Billing"."Order" WHERE "user" = 'after'`); n != 0 {
		t.Errorf("a write after cutover reached the old primary")
	}

	again := e.step(map[string]string{"command": "cutover", "proxy": e.proxyDSN})
	again.expectOK()
	if out := again.outputs(); out["switched"] != "true" {
		t.Errorf("second cutover outputs %v", out)
	}

	e.step(map[string]string{"command": "proxy-remove", "proxy": e.proxyDSN}).expectOK()
	e.step(map[string]string{"command": "teardown"}).expectOK()
	if n := e.queryInt(proxy, proxyDB, `SELECT count(*) FROM pg_foreign_server`); n != 0 {
		t.Errorf("%d foreign servers left on the proxy", n)
	}
}

// Another operation holding the migration's lock refuses cutover, concurrency group or not.
func TestCutoverLocked(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.withProxy()
	e.exec(e.primary, e.primaryDB, `CREATE TABLE t (id int PRIMARY KEY)`)
	e.step(map[string]string{"command": "setup"}).expectOK()
	e.step(map[string]string{"command": "wait", "timeout": "2m"}).expectOK()
	e.step(map[string]string{"command": "proxy-create", "proxy": e.proxyDSN}).expectOK()
	e.holdLock("pghandoff teardown")
	r := e.step(map[string]string{"command": "cutover", "proxy": e.proxyDSN})
	if errs := r.annotations("error"); r.code != 1 || len(errs) != 1 || !strings.Contains(errs[0].title, "locked") || !strings.Contains(errs[0].message, "pghandoff teardown") {
		t.Fatalf("exit %d, errors %+v", r.code, errs)
	}
	if out := r.outputs(); out["switched"] == "true" {
		t.Errorf("outputs %v", out)
	}
}

// Without a proxy: setup creates the application's role on the new primary (map-role,
// create-roles), fence checks it there and fences it, sequences move ahead, undo the fence.
func TestFenceAndSequences(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.loadSchema()
	app := e.primaryDB + "_app"
	e.exec(e.primary, e.primaryDB, fmt.Sprintf(`CREATE ROLE %q LOGIN`, app))
	t.Cleanup(func() {
		_ = e.replica.Exec(context.Background(), e.replicaDB, fmt.Sprintf(`DROP OWNED BY %q`, app))
		_ = e.replica.Exec(context.Background(), "postgres", fmt.Sprintf(`DROP ROLE IF EXISTS %q`, app))
	})
	setup := e.step(map[string]string{"command": "setup", "map-role": app, "create-roles": "true"})
	setup.expectOK()
	if !strings.Contains(setup.summary(), "Roles created on the new primary") || !strings.Contains(setup.summary(), "(application)") {
		t.Fatalf("setup summary does not show the application's role created:\n%s", setup.summary())
	}
	e.step(map[string]string{"command": "wait", "timeout": "2m"}).expectOK()

	if r := e.step(map[string]string{"command": "fence"}); r.code != 1 {
		t.Fatalf("fence without roles: exit %d", r.code)
	} else {
		r.expectInputError("role")
	}
	fence := e.step(map[string]string{"command": "fence", "role": app})
	fence.expectOK()
	if out := fence.outputs(); out["changed"] != "true" {
		t.Errorf("fence outputs %v", out)
	}
	seq := e.step(map[string]string{"command": "sequences", "window": "1s", "skip": "60"})
	seq.expectOK()
	if !strings.Contains(seq.summary(), "| Sequence |") {
		t.Errorf("sequences summary:\n%s", seq.summary())
	}
	if n := e.queryInt(e.replica, e.replicaDB, `SELECT last_value FROM "Billing"."Order_id_seq"`); n < 500 {
		t.Errorf("Order_id_seq on the new primary at %d, behind the old primary's 500", n)
	}
	undo := e.step(map[string]string{"command": "fence", "role": app, "undo": "true"})
	undo.expectOK()
	if out := undo.outputs(); out["changed"] != "true" {
		t.Errorf("fence undo outputs %v", out)
	}
}
