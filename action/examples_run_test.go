package action_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pghandoff/pghandoff/action"
	"github.com/pghandoff/pghandoff/internal/pgtest"
)

// The example workflows, run as written against real clusters: the recipes of the README,
// with each environment's secrets as the examples' comments describe them.

// examplesRun are the example workflows the tests below run; TestEveryExampleRuns keeps the
// list whole.
var examplesRun = []string{"setup.yml", "status.yml", "cutover.yml", "teardown.yml", "switch-without-proxy.yml"}

const appTable = `CREATE TABLE "Order" (id bigserial PRIMARY KEY, note text NOT NULL);
CREATE TABLE line (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, order_id bigint NOT NULL, qty int NOT NULL);
INSERT INTO "Order" (note) SELECT 'order ' || g FROM generate_series(1, 200) g;
INSERT INTO line (order_id, qty) SELECT g % 200 + 1, g FROM generate_series(1, 500) g;`

// secretsModel is what the examples ask the repository owner to store: pghandoff-change holds
// the migration's roles, pghandoff-watch roles that can only watch (made here as status.yml
// says, once setup has made the sentinel table and the replica's tables).
func (e *env) secretsModel() map[string]map[string]string {
	change := map[string]string{"PGHANDOFF_PRIMARY": e.primaryDSN, "PGHANDOFF_REPLICA": e.replicaDSN}
	if e.proxyDSN != "" {
		change["PGHANDOFF_PROXY"] = e.proxyDSN
	}
	return map[string]map[string]string{"pghandoff-change": change}
}

func (e *env) addWatchRoles(secrets map[string]map[string]string) {
	e.t.Helper()
	watch := map[string]string{}
	for name, c := range map[string]*pgtest.Cluster{"PGHANDOFF_PRIMARY": e.primary, "PGHANDOFF_REPLICA": e.replica} {
		db := map[*pgtest.Cluster]string{e.primary: e.primaryDB, e.replica: e.replicaDB}[c]
		role, password := db+"_watch", nastyPassword+"w"+db
		e.passwords = append(e.passwords, password)
		e.exec(c, db, fmt.Sprintf(`CREATE ROLE %q LOGIN PASSWORD '%s' IN ROLE pg_monitor; GRANT SELECT ON ALL TABLES IN SCHEMA public TO %[1]q`,
			role, strings.ReplaceAll(password, "'", "''")))
		if c == e.primary {
			e.exec(c, db, fmt.Sprintf(`GRANT INSERT, DELETE ON public.%q TO %q`, e.name, role))
		}
		watch[name] = c.DSNFor(role, password, db)
	}
	secrets["pghandoff-watch"] = watch
}

func expectJobs(t *testing.T, workflow string, got map[string]string, want map[string]string) {
	t.Helper()
	for job, result := range want {
		if got[job] != result {
			t.Fatalf("%s: job %s %s, want %s (all: %v)", workflow, job, got[job], result, got)
		}
	}
}

// setup.yml (dry run, then for real with the proxy), status.yml, cutover.yml (wait, the
// approved cutover with the failsafe, verify once the failsafe caught up), teardown.yml.
func TestExampleCutoverThroughProxy(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	proxy, proxyDB := e.withProxy()
	e.exec(e.primary, e.primaryDB, appTable)
	secrets := e.secretsModel()
	env := map[string]string{"MIGRATION": e.name}

	got := runWorkflow(t, "setup.yml", nil, env, secrets) // dry-run by default
	expectJobs(t, "setup.yml", got, map[string]string{"setup": "success"})
	if n := e.queryInt(e.primary, e.primaryDB, `SELECT count(*) FROM pg_publication`); n != 0 {
		t.Fatalf("the dry run made %d publications", n)
	}
	got = runWorkflow(t, "setup.yml", map[string]any{"dry-run": false, "create-proxy": true}, env, secrets)
	expectJobs(t, "setup.yml", got, map[string]string{"setup": "success"})
	e.addWatchRoles(secrets)
	// What pghandoff-watch holds cannot change the migration: a teardown with it fails.
	watch := secrets["pghandoff-watch"]
	r := newRunner(t, map[string]string{"command": "teardown", "name": e.name, "primary": watch["PGHANDOFF_PRIMARY"], "replica": watch["PGHANDOFF_REPLICA"]})
	if r.run(time.Minute) == action.ExitOK {
		t.Fatal("a teardown with the watch-only credentials succeeded")
	}

	expectJobs(t, "status.yml", runWorkflow(t, "status.yml", nil, env, secrets), map[string]string{"status": "success"})

	e.throughProxy(`INSERT INTO "Order" (note) VALUES ('through the proxy, before the cutover')`)
	got = runWorkflow(t, "cutover.yml", nil, env, secrets)
	expectJobs(t, "cutover.yml", got, map[string]string{"wait": "success", "cutover": "success", "verify": "success"})
	e.throughProxy(`INSERT INTO "Order" (note) VALUES ('through the proxy, after the cutover')`)
	if n := e.queryInt(e.replica, e.replicaDB, `SELECT count(*) FROM "Order" WHERE note LIKE 'through the proxy%'`); n != 2 {
		t.Fatalf("the new primary holds %d of the 2 writes made through the proxy", n)
	}

	got = runWorkflow(t, "teardown.yml", map[string]any{"dry-run": false, "remove-proxy": true}, env, secrets)
	expectJobs(t, "teardown.yml", got, map[string]string{"teardown": "success"})
	if n := e.queryInt(e.primary, e.primaryDB, `SELECT count(*) FROM pg_publication`) + e.queryInt(e.replica, e.replicaDB, `SELECT count(*) FROM pg_subscription WHERE subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())`); n != 0 {
		t.Fatalf("teardown left %d publications and subscriptions", n)
	}
	if n := e.queryInt(proxy, proxyDB, `SELECT count(*) FROM pg_foreign_server`); n != 0 {
		t.Fatalf("teardown left %d foreign servers on the proxy", n)
	}
}

// setup.yml (naming the application's role, which the new primary lacks), then
// switch-without-proxy.yml: fence, wait, verify with writes stopped, sequences; the
// application's role logs in to the new primary with its password and writes there, without
// a GRANT made by hand; it cannot write on the old primary until the same workflow runs with
// undo; then teardown.yml.
func TestExampleSwitchWithoutProxy(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.exec(e.primary, e.primaryDB, appTable)
	app := e.primaryDB + "_app"
	e.exec(e.primary, e.primaryDB, fmt.Sprintf(`CREATE ROLE %q LOGIN PASSWORD 'app'; GRANT ALL ON ALL TABLES IN SCHEMA public TO %[1]q; GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO %[1]q`, app))
	secrets := e.secretsModel()
	env := map[string]string{"MIGRATION": e.name}
	got := runWorkflow(t, "setup.yml", map[string]any{"dry-run": false, "map-role": app, "create-roles": true}, env, secrets)
	expectJobs(t, "setup.yml", got, map[string]string{"setup": "success"})
	t.Cleanup(func() { // setup created it on the new primary: roles outlive the test's database
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = e.replica.Exec(ctx, e.replicaDB, fmt.Sprintf(`DROP OWNED BY %q`, app))
		_ = e.replica.Exec(ctx, "postgres", fmt.Sprintf(`DROP ROLE IF EXISTS %q`, app))
	})

	got = runWorkflow(t, "switch-without-proxy.yml", map[string]any{"roles": app}, env, secrets)
	expectJobs(t, "switch-without-proxy.yml", got, map[string]string{"switch": "success"})
	appDSN := e.primary.DSNFor(app, "app", e.primaryDB)
	if err := execAs(t, appDSN, `INSERT INTO "Order" (note) VALUES ('fenced?')`); err == nil {
		t.Fatal("the application's role still writes on the old primary after the switch")
	}
	if seq, max := e.queryInt(e.replica, e.replicaDB, `SELECT last_value FROM "Order_id_seq"`), e.queryInt(e.primary, e.primaryDB, `SELECT max(id) FROM "Order"`); seq <= max {
		t.Fatalf("the new primary's sequence is at %d, not past the old primary's %d", seq, max)
	}
	if err := execAs(t, e.replica.DSNFor(app, "app", e.replicaDB), `INSERT INTO "Order" (note) VALUES ('on the new primary, as the application')`); err != nil {
		t.Fatalf("the application's role cannot write on the new primary: %v", err)
	}

	got = runWorkflow(t, "switch-without-proxy.yml", map[string]any{"roles": app, "undo": true}, env, secrets)
	expectJobs(t, "switch-without-proxy.yml", got, map[string]string{"switch": "success"})
	if err := execAs(t, appDSN, `INSERT INTO "Order" (note) VALUES ('unfenced')`); err != nil {
		t.Fatalf("the application's role cannot write after undo: %v", err)
	}
	got = runWorkflow(t, "teardown.yml", map[string]any{"dry-run": false}, env, secrets)
	expectJobs(t, "teardown.yml", got, map[string]string{"teardown": "success"})
}

// Every example workflow is run by a test above, and is linted (TestExamplesLint).
func TestEveryExampleRuns(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(repoRoot(t), "examples", "*.yml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		if name := filepath.Base(p); isWorkflow(t, p) && !slices.Contains(examplesRun, name) {
			t.Errorf("examples/%s is run by no test", name)
		}
	}
}

func isWorkflow(t *testing.T, path string) bool {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return regexp.MustCompile(`(?m)^jobs:`).Match(b)
}

// execAs runs sql as the role of dsn, as the application would.
func execAs(t *testing.T, dsn, sql string) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}
