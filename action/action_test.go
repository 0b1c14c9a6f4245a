package action_test

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pghandoff/pghandoff/core"
	"github.com/pghandoff/pghandoff/internal/pgtest"
)

// env is one test's migration: a database on each cluster, reached as a role whose password
// holds every character that encodings change.
type env struct {
	t                      *testing.T
	primary, replica       *pgtest.Cluster
	primaryDB, replicaDB   string
	primaryDSN, replicaDSN string
	proxyDSN               string // when the test has a proxy
	name                   string
	passwords              []string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, primary: pgtest.Server(t, "primary15", 15), replica: pgtest.Server(t, "replica17", 17)}
	e.primaryDB, e.replicaDB = pgtest.Database(t, e.primary), pgtest.Database(t, e.replica)
	e.name = e.primaryDB // slots are cluster-wide: each test its own migration name
	e.primaryDSN = e.role(e.primary, e.primaryDB, "p")
	e.replicaDSN = e.role(e.replica, e.replicaDB, "r")
	return e
}

// role creates a login role of its own for the test, with a nasty password, and returns
// the DSN to reach db as it.
func (e *env) role(c *pgtest.Cluster, db, suffix string) string {
	name := db + "_" + suffix
	password := nastyPassword + suffix + db
	e.passwords = append(e.passwords, password)
	e.exec(c, db, fmt.Sprintf(`CREATE ROLE %q LOGIN SUPERUSER PASSWORD '%s'`, name, strings.ReplaceAll(password, "'", "''")))
	return c.DSNFor(name, password, db)
}

func (e *env) exec(c *pgtest.Cluster, db, sql string, args ...any) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := c.Exec(ctx, db, sql, args...); err != nil {
		e.t.Fatalf("%s: %v\n%s", c.Name, err, sql)
	}
}

// loadSchema loads testdata/schema.sql, the names that break things, on the primary.
func (e *env) loadSchema() {
	e.t.Helper()
	schema, err := os.ReadFile("testdata/schema.sql")
	if err != nil {
		e.t.Fatal(err)
	}
	e.exec(e.primary, e.primaryDB, string(schema))
}

// step runs the Action with the migration's connection strings and the given inputs.
func (e *env) step(inputs map[string]string) *runner {
	e.t.Helper()
	all := map[string]string{"primary": e.primaryDSN, "replica": e.replicaDSN, "name": e.name}
	for k, v := range inputs {
		all[k] = v
	}
	r := newRunner(e.t, all)
	r.run(3 * time.Minute)
	r.assertNoSecret(e.secrets()...)
	for _, in := range []string{"primary", "replica", "proxy"} {
		if dsn := all[in]; dsn != "" {
			r.assertMasked(core.MustParseDSN(dsn).Secrets()...)
		}
	}
	return r
}

// secrets are every form of every password of the test: the DSNs whole, the passwords,
// their encodings.
func (e *env) secrets() []string {
	out := append([]string{}, e.passwords...)
	for _, dsn := range []string{e.primaryDSN, e.replicaDSN, e.proxyDSN} {
		if dsn != "" {
			out = append(out, core.MustParseDSN(dsn).Secrets()...)
		}
	}
	return out
}

func (r *runner) expectOK() {
	r.t.Helper()
	if r.code != 0 {
		r.t.Fatalf("exit %d; errors %v", r.code, r.annotations("error"))
	}
}

// The life of a migration as workflow steps: setup, wait, status, verify, teardown, with
// outputs a workflow can branch on and a summary with its tables.
func TestLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.loadSchema()

	dry := e.step(map[string]string{"command": "setup", "dry-run": "true"})
	dry.expectOK()
	if out := dry.outputs(); out["changed"] != "false" {
		t.Errorf("dry-run setup outputs %v", out)
	}
	if s := dry.summary(); !strings.Contains(s, "dry run") || !strings.Contains(s, "CREATE PUBLICATION") {
		t.Errorf("dry-run summary lacks the statements:\n%s", s)
	}

	setup := e.step(map[string]string{"command": "setup"})
	setup.expectOK()
	if out := setup.outputs(); out["changed"] != "true" || out["tables"] != "6" {
		t.Errorf("setup outputs %v, want changed=true tables=6 (5 and the sentinel)", out)
	}
	var res core.SetupResult
	if err := json.Unmarshal([]byte(setup.outputs()["report"]), &res); err != nil || len(res.Tables) != 6 {
		t.Errorf("setup report: %v %+v", err, res)
	}

	wait := e.step(map[string]string{"command": "wait", "timeout": "2m"})
	wait.expectOK()
	log := wait.stdout.String()
	if !strings.Contains(log, "::group::pghandoff wait") || !strings.Contains(log, "::endgroup::") {
		t.Errorf("wait printed no log group")
	}
	if out := wait.outputs(); out["ready"] != "true" {
		t.Errorf("wait outputs %v", out)
	}

	status := e.step(map[string]string{"command": "status", "max-lag": "16MB"})
	status.expectOK()
	out := status.outputs()
	lag, err := strconv.ParseInt(out["lag-bytes"], 10, 64)
	if out["ready"] != "true" || out["state"] != "ready" || err != nil || lag < 0 || lag > 16<<20 {
		t.Fatalf("status outputs %v (lag %v)", out, err)
	}
	var st core.Status
	if err := json.Unmarshal([]byte(out["report"]), &st); err != nil || !st.Ready || st.MaxLagBytes != 16<<20 {
		t.Fatalf("status report %v: %+v", err, st)
	}
	summary := status.summary()
	for _, want := range []string{
		"### ✅ pghandoff status: replication is ready", // the verdict first
		"| Table | State |",
		"| `\"Billing\".\"Order\"` | ready |",
		"| ``\"public\".\"weird\\|`name\"`` | ready |", // a pipe and a backtick, still one cell
	} {
		if !strings.Contains(summary, want) {
			t.Errorf("status summary lacks %q:\n%s", want, summary)
		}
	}
	if !strings.HasPrefix(summary, "### ✅") {
		t.Errorf("summary does not start with the verdict:\n%s", summary)
	}

	verify := e.step(map[string]string{"command": "verify"})
	verify.expectOK()
	if out := verify.outputs(); out["mismatches"] != "0" {
		t.Errorf("verify outputs %v", out)
	}

	// Nothing from a table name may become a workflow command.
	for _, r := range []*runner{setup, wait, status, verify} {
		for _, a := range r.annotations("error") {
			t.Errorf("forged annotation: %+v", a)
		}
	}

	down := e.step(map[string]string{"command": "teardown"})
	down.expectOK()
	if out := down.outputs(); out["changed"] != "true" {
		t.Errorf("teardown outputs %v", out)
	}
	after := e.step(map[string]string{"command": "status"})
	after.expectOK()
	if out := after.outputs(); out["ready"] != "false" || out["state"] != core.StateNotSetUp {
		t.Errorf("status after teardown: %v", out)
	}
}

// wait gives up at its timeout with the reasons, fails the step, and still sets the outputs
// a workflow needs to decide what to do.
func TestWaitTimesOut(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.exec(e.primary, e.primaryDB, `CREATE TABLE t (id int PRIMARY KEY)`)
	e.step(map[string]string{"command": "setup"}).expectOK()
	e.exec(e.replica, e.replicaDB, fmt.Sprintf(`ALTER SUBSCRIPTION %q DISABLE`, e.name))
	r := e.step(map[string]string{"command": "wait", "timeout": "3s"})
	if r.code != 1 {
		t.Fatalf("exit %d, want 1", r.code)
	}
	out := r.outputs()
	if out["ready"] != "false" || out["state"] == "" || !strings.Contains(out["error"], "not ready") {
		t.Errorf("outputs %v", out)
	}
	errs := r.annotations("error")
	if len(errs) != 1 || !strings.Contains(errs[0].title, "not ready") || !strings.Contains(errs[0].message, "disabled") {
		t.Errorf("error annotations %+v", errs)
	}
	if s := r.summary(); !strings.HasPrefix(s, "### ❌ pghandoff wait") || !strings.Contains(s, "Why it is not ready") {
		t.Errorf("summary:\n%s", s)
	}

	// A cancelled job (the runner's cancel, or timeout-minutes) ends the wait at once.
	all := map[string]string{"command": "wait", "primary": e.primaryDSN, "replica": e.replicaDSN, "name": e.name}
	c := newRunner(t, all)
	if code := c.run(2 * time.Second); code != 1 {
		t.Fatalf("cancelled wait: exit %d", code)
	}
	if errs := c.annotations("error"); len(errs) != 1 || !strings.Contains(errs[0].title, "cancelled") {
		t.Errorf("cancelled wait: %+v", errs)
	}
}

// Another pghandoff operation holding the migration's lock stops a mutating step, with who
// holds it: two workflow runs cannot change one migration at once, concurrency group or not.
func TestLockedMigration(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.holdLock("pghandoff cutover")
	r := e.step(map[string]string{"command": "teardown"})
	if r.code != 1 {
		t.Fatalf("exit %d, want 1", r.code)
	}
	errs := r.annotations("error")
	if len(errs) != 1 || !strings.Contains(errs[0].title, "locked") || !strings.Contains(errs[0].message, "pghandoff cutover") || !strings.Contains(errs[0].message, "Try:") {
		t.Fatalf("error annotations %+v", errs)
	}
}

// holdLock takes the migration's operation lock in a session of its own, as another
// pghandoff operation named app would, until the test ends.
func (e *env) holdLock(app string) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := e.primary.Connect(ctx, e.primaryDB)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { conn.Close(context.Background()) })
	if _, err := conn.Exec(ctx, `SELECT set_config('application_name', $1, false)`, app); err != nil {
		e.t.Fatal(err)
	}
	// The key core/operation_lock.go uses: class "pgho", FNV-1a of the migration name.
	h := fnv.New32a()
	h.Write([]byte(e.name))
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1, $2)`, int32(0x7067686f), int32(h.Sum32())); err != nil {
		e.t.Fatal(err)
	}
}

// Outside a runner (no GITHUB_OUTPUT, no GITHUB_STEP_SUMMARY) the step still runs: a warning,
// never go-githubactions' panic.
func TestWithoutRunnerFiles(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := newRunner(t, map[string]string{"command": "status", "primary": e.primaryDSN, "replica": e.replicaDSN, "name": e.name})
	delete(r.env, "GITHUB_OUTPUT")
	delete(r.env, "GITHUB_STEP_SUMMARY")
	if code := r.run(time.Minute); code != 0 {
		t.Fatalf("exit %d", code)
	}
	var titles []string
	for _, a := range r.annotations("warning") {
		titles = append(titles, a.title)
	}
	if !slices.Contains(titles, "No outputs") || !slices.Contains(titles, "No step summary") {
		t.Errorf("warnings %v", titles)
	}
}

// preflight passes on a sound database and fails the step on a blocker, with the check and
// its remedy as an error annotation; the opt-in clears it.
func TestPreflight(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.exec(e.primary, e.primaryDB, `CREATE TABLE "Keyed" (id int PRIMARY KEY)`)
	ok := e.step(map[string]string{"command": "preflight"})
	if ok.code != 0 || ok.outputs()["passed"] != "true" {
		t.Fatalf("preflight on a sound database: exit %d, outputs %v, errors %v", ok.code, ok.outputs(), ok.annotations("error"))
	}
	if s := ok.summary(); !strings.HasPrefix(s, "### ✅ pghandoff preflight: ready to set up") || !strings.Contains(s, "| Check | Result | Detail | Fix |") {
		t.Errorf("summary:\n%s", s)
	}

	e.exec(e.primary, e.primaryDB, `CREATE TABLE "No Key" (v int)`)
	bad := e.step(map[string]string{"command": "preflight"})
	if bad.code != 1 || bad.outputs()["passed"] != "false" {
		t.Fatalf("preflight with a keyless table: exit %d, outputs %v", bad.code, bad.outputs())
	}
	found := false
	for _, a := range bad.annotations("error") {
		found = found || (strings.Contains(a.message, `"No Key"`) && strings.Contains(a.message, "Fix:"))
	}
	if !found {
		t.Errorf("no error annotation naming the table with a remedy: %+v", bad.annotations("error"))
	}
	if s := bad.summary(); !strings.HasPrefix(s, "### ❌ pghandoff preflight") {
		t.Errorf("summary:\n%s", s)
	}

	optIn := e.step(map[string]string{"command": "preflight", "replica-identity-full": "true"})
	if optIn.code != 0 || optIn.outputs()["passed"] != "true" {
		t.Errorf("preflight with replica-identity-full: exit %d, outputs %v, errors %v", optIn.code, optIn.outputs(), optIn.annotations("error"))
	}
}
