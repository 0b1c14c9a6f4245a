package core_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pghandoff/pghandoff/core"
	"github.com/pghandoff/pghandoff/internal/pgtest"
	"github.com/pghandoff/pghandoff/internal/workload"
)

// Setup copies the small tables itself, from the snapshot its slot starts at, under a write
// workload, with a foreign key checked by nothing during the copy (the child is copied
// before its parent) and the scenario's hard cases; the table over the limit goes to the
// sync workers.
// Every acknowledged write reaches the replica exactly once, and both sides end identical.
func TestSetupCopiesSmallTablesFromOneSnapshot(t *testing.T) {
	forEachPair(t, func(t *testing.T, e *env) {
		e.loadScenario()
		// The scenario has quoted names, identity and generated columns, partitions, enums.
		e.execPrimary(`CREATE TABLE b_parent (id int PRIMARY KEY, filler text);
			CREATE TABLE a_child (id int PRIMARY KEY, parent int NOT NULL REFERENCES b_parent);
			INSERT INTO b_parent SELECT i, repeat('p', 100) FROM generate_series(1, 200) i;
			INSERT INTO a_child SELECT i, i FROM generate_series(1, 10) i;
			CREATE TABLE big (id int PRIMARY KEY, filler text);
			INSERT INTO big SELECT i, repeat('b', 200) FROM generate_series(1, 3000) i;` + workload.Schema)
		w := startWorkload(t, e.pair.Primary.DSN(e.primaryDB), 4)
		waitAcked(t, w, 50)
		opts := e.setupOptions()
		opts.ReplicaIdentityFull = true
		opts.IndexesFirst = true      // the foreign key exists during the copy
		opts.CopyTableMax = 512 << 10 // big is some 720 kB
		res, err := core.Setup(ctxFor(t, 2*time.Minute), opts)
		if err != nil {
			t.Fatal(err)
		}
		if res.Copied == nil || res.Copied.Tables < 5 || res.Copied.ByWorkers < 1 {
			t.Fatalf("setup's copy: %+v; want the small tables copied by setup and big left to the workers", res.Copied)
		}
		if !hasStatement(res.Statements, "CREATE_REPLICATION_SLOT") || !hasStatement(res.Statements, `COPY "Billing"."Order"`) ||
			!strings.Contains(statementLike(res.Statements, `ALTER PUBLICATION "`+e.m.Name+`" ADD TABLE`), `"public"."big"`) {
			t.Fatalf("setup's statements do not show its copy:\n%s", statementsText(res.Statements))
		}
		waitAcked(t, w, 200) // writes after the snapshot, streamed
		w.Stop()
		e.waitReady()
		e.assertSame()
		checkWorkload(t, w, e.replicaConn(), time.Time{})
	})
}

// A setup stopped during its copy leaves no row and no subscription on the replica (the copy
// and the subscription are one transaction there), and the next run copies again from a new
// snapshot. A dry run changes nothing and shows the copy.
func TestSetupStoppedDuringItsCopyStartsItAgain(t *testing.T) {
	e := newEnv(t, pgtest.Pairs(t)[0])
	for i := range 12 {
		e.execPrimary(fmt.Sprintf(`CREATE TABLE t%02d (id int PRIMARY KEY); INSERT INTO t%02d SELECT generate_series(1, 100)`, i, i))
	}
	dry := e.setupOptions()
	dry.DryRun = true
	plan, err := core.Setup(ctxFor(t, time.Minute), dry)
	if err != nil || !hasStatement(plan.Statements, "CREATE_REPLICATION_SLOT") || !hasStatement(plan.Statements, `COPY "public"."t05" (id) FROM STDIN`) {
		t.Fatalf("dry run: %v\n%s", err, statementsText(plan.Statements))
	}
	if n := e.queryInt(false, `SELECT count(*) FROM pg_replication_slots WHERE slot_name = $1`, e.m.Name); n != 0 {
		t.Fatalf("the dry run made a slot")
	}
	ctx, cancel := context.WithCancel(ctxFor(t, time.Minute))
	defer cancel()
	opts := e.setupOptions()
	copies := 0
	opts.Progress = func(ev core.Event) {
		if strings.HasPrefix(ev.SQL, "COPY ") {
			if copies++; copies == 6 {
				cancel() // the process dies before its sixth table
			}
		}
	}
	if _, err := core.Setup(ctx, opts); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted setup returned %v", err)
	}
	if n := e.queryInt(true, `SELECT count(*) FROM pg_subscription WHERE subname = $1`, e.m.Name); n != 0 {
		t.Fatal("a subscription was left on the replica")
	}
	if n := e.queryInt(true, `SELECT (SELECT count(*) FROM t00) + (SELECT count(*) FROM t03)`); n != 0 {
		t.Fatalf("%d rows of a stopped copy were left on the replica", n)
	}
	res, err := core.Setup(ctxFor(t, time.Minute), e.setupOptions())
	if err != nil || res.Copied == nil || res.Copied.Rows != 1200 {
		t.Fatalf("setup after the stop: %v, copied %+v", err, res.Copied)
	}
	e.waitReady()
	e.assertSame()
}

func hasStatement(stmts []core.Statement, prefix string) bool {
	return statementLike(stmts, prefix) != ""
}

// statementLike is the first statement beginning with prefix, or "".
func statementLike(stmts []core.Statement, prefix string) string {
	for _, s := range stmts {
		if strings.HasPrefix(s.SQL, prefix) {
			return s.SQL
		}
	}
	return ""
}
