package core_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/pghandoff/pghandoff/core"
	"github.com/pghandoff/pghandoff/internal/pgtest"
	"github.com/pghandoff/pghandoff/internal/workload"
)

// notChildrenSQL lists the migration's foreign tables on the proxy that do not inherit their
// pause parent: pause_sequences for the sequence helpers, pause_tables for the others.
const notChildrenSQL = `SELECT coalesce(array_agg(format('%I.%I', n.nspname, c.relname) ORDER BY 1), '{}')
	FROM pg_foreign_table ft
	JOIN pg_foreign_server s ON s.oid = ft.ftserver
	JOIN pg_class c ON c.oid = ft.ftrelid
	JOIN pg_namespace n ON n.oid = c.relnamespace
	WHERE s.srvname = $1 AND NOT EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = c.oid
	  AND i.inhparent = to_regclass(format('%I.%I', 'pghandoff_' || $1,
	                    CASE WHEN n.nspname = 'pghandoff_' || $1 THEN 'pause_sequences' ELSE 'pause_tables' END)))`

// notChildren lists the foreign tables that are not children of their pause parent.
func (e *proxyEnv) notChildren() []string {
	e.t.Helper()
	var out []string
	e.scanProxy(notChildrenSQL, &out, e.m.Name)
	return out
}

// detach makes the proxy look as an older pghandoff left it: the foreign tables that match
// like (a LIKE pattern on schema.name) no longer inherit the pause's parents, and with
// dropParents (like then matches every child) the parents are gone.
func (e *proxyEnv) detach(like string, dropParents bool) {
	e.t.Helper()
	e.execProxy(`DO $$ DECLARE r record; BEGIN
		FOR r IN SELECT i.inhrelid::regclass AS child, i.inhparent::regclass AS parent FROM pg_inherits i
		         JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace n ON n.oid = p.relnamespace
		         JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_namespace cn ON cn.oid = c.relnamespace
		         WHERE n.nspname = 'pghandoff_` + e.m.Name + `' AND cn.nspname || '.' || c.relname LIKE ` + quoteLiteral(like) + ` LOOP
			EXECUTE format('ALTER FOREIGN TABLE %s NO INHERIT %s', r.child, r.parent);
		END LOOP; END $$`)
	if dropParents {
		e.execProxy(`DROP TABLE "pghandoff_` + e.m.Name + `".pause_tables, "pghandoff_` + e.m.Name + `".pause_sequences`)
	}
}

// holdLedger opens an application transaction through the proxy that holds the ledger: it
// has inserted one row (client 1, n 1), and not committed.
func (e *proxyEnv) holdLedger(ctx context.Context) pgx.Tx {
	e.t.Helper()
	tx, err := e.connect(e.proxy, e.proxyDB).Begin(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO public.ledger (client, n) VALUES (1, 1)`); err != nil {
		e.t.Fatal(err)
	}
	return tx
}

// Proxy create makes every foreign table of the migration a child of its pause parent, the
// tables schema sync adds later too; on a proxy an older pghandoff made (no parents, or
// tables that do not inherit them), running it again converges, and a third run has nothing
// to do.
func TestProxyForeignTablesInheritThePauseParents(t *testing.T) {
	e := newProxyEnv(t, pgtest.Pairs(t)[0])
	e.setUp(workload.Schema + notesSchema)
	if left := e.notChildren(); len(left) > 0 {
		t.Fatalf("after proxy create, foreign tables that do not inherit the pause's parents: %v", left)
	}
	e.execPrimary(`CREATE TABLE public.orders (id bigserial PRIMARY KEY, note text)`)
	if res, err := core.SchemaSync(ctxFor(t, 2*time.Minute), e.syncOptions(false)); err != nil {
		t.Fatalf("schema sync: %v (%s): %s", err, core.Hint(err), statementsText(res))
	}
	helper := `"pghandoff_` + e.m.Name + `"."public.orders_id_seq"`
	if n := e.queryProxy(`SELECT count(*) FROM pg_inherits WHERE inhrelid IN ('public.orders'::regclass, $1::regclass)`, helper); n != 2 {
		t.Fatalf("the new table and its sequence helper inherit %d pause parents, want 2: %v", n, e.notChildren())
	}
	if left := e.notChildren(); len(left) > 0 {
		t.Fatalf("after schema sync, foreign tables that do not inherit the pause's parents: %v", left)
	}

	for _, dropParents := range []bool{false, true} {
		e.detach(map[bool]string{false: "public.%", true: "%"}[dropParents], dropParents)
		res, err := core.ProxyCreate(ctxFor(t, time.Minute), core.ProxyCreateOptions{Migration: e.m, Execution: core.Execution{Observer: e.observer()}})
		if err != nil || !res.Changed {
			t.Fatalf("proxy create on an older proxy (parents dropped: %v): %v (%s): %s", dropParents, err, core.Hint(err), statementsText(res))
		}
		if left := e.notChildren(); len(left) > 0 {
			t.Fatalf("proxy create on an older proxy left foreign tables that do not inherit the pause's parents: %v", left)
		}
		again, err := core.ProxyCreate(ctxFor(t, time.Minute), core.ProxyCreateOptions{Migration: e.m, Execution: core.Execution{Observer: e.observer()}})
		if err != nil || again.Changed {
			t.Fatalf("third proxy create: %v: %s", err, statementsText(again))
		}
	}
}

// A proxy an older pghandoff made still cuts over with nothing lost under the workload: with
// no pause parents, its foreign tables are locked one by one; with some tables not children,
// those of the application before the parents' LOCK TABLE, the helpers after it.
func TestCutoverOnAnOlderProxy(t *testing.T) {
	pair := pgtest.Pairs(t)[0]
	for _, c := range []struct {
		name        string
		like        string
		dropParents bool
		want        []string // in the lock batch, in this order
	}{
		{"no parents", "%", true, []string{`ALTER FOREIGN TABLE public.counters`, `ALTER FOREIGN TABLE public.ledger`, `ALTER FOREIGN TABLE pghandoff_`}},
		{"some not children", "%ledger%", false, []string{`ALTER FOREIGN TABLE public.ledger`, `LOCK TABLE "pghandoff_`, `ALTER FOREIGN TABLE pghandoff_`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newProxyEnv(t, pair)
			e.setUp(workload.Schema)
			e.detach(c.like, c.dropParents)
			w := startWorkload(t, e.proxy.DSN(e.proxyDB), 6)
			waitAcked(t, w, 200)
			res, err := core.Cutover(ctxFor(t, time.Minute), e.cutoverOptions())
			split := time.Now()
			if err != nil || !res.Switched || res.Tables != 3 {
				t.Fatalf("cutover: %v (%s)\n%s", err, core.Hint(err), statementsText(res))
			}
			batch := strings.Join(statementsOf(res.Statements), "\n")
			for i, at := 0, 0; i < len(c.want); i++ {
				next := strings.Index(batch[at:], c.want[i])
				if next < 0 {
					t.Fatalf("the lock batch lacks %q after its statement %d:\n%s", c.want[i], i, batch)
				}
				at += next + len(c.want[i])
			}
			if c.dropParents == strings.Contains(batch, "LOCK TABLE") {
				t.Fatalf("the lock batch (parents dropped: %v):\n%s", c.dropParents, batch)
			}
			waitAcked(t, w, 200)
			checkWorkload(t, w, e.replicaConn(), split)
		})
	}
}

// When an application transaction holds a table for longer than the pause's lock timeout,
// the LOCK TABLE of the parents fails on that table; the watch saw which one it waited for,
// so the next attempt waits for it first, holding nothing else, and goes through once the
// application commits.
func TestCutoverRetriesWithTheTableTheParentsWaitedFor(t *testing.T) {
	e := newProxyEnv(t, pgtest.Pairs(t)[0])
	e.setUp(workload.Schema)
	ctx := ctxFor(t, time.Minute)
	tx := e.holdLedger(ctx)
	// The application commits once the first attempt has given up: the hook runs before the
	// next attempt starts.
	var committed error
	e.events.hook = func(ev core.Event) {
		if ev.Warning && strings.Contains(ev.Message, "trying again with that table first") && tx != nil {
			committed, tx = tx.Commit(ctx), nil
		}
	}
	opts := e.cutoverOptions()
	opts.LockTimeout = 200 * time.Millisecond
	res, err := core.Cutover(ctxFor(t, time.Minute), opts)
	e.events.hook = nil
	if err != nil || !res.Switched || res.LockAttempts != 2 || committed != nil {
		t.Fatalf("cutover: %v (application's commit: %v)\n%s", err, committed, statementsText(res))
	}
	if !strings.Contains(e.events.text(), `the lock on public.ledger was not granted within 200ms`) {
		t.Fatalf("the retry does not name the table the parents' lock waited for: %s", e.events.text())
	}
	if n := e.queryInt(true, `SELECT count(*) FROM public.ledger WHERE client = 1 AND n = 1`); n != 1 {
		t.Fatalf("the application's insert is not on the new primary: %d", n)
	}
}
