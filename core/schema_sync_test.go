package core_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pghandoff/pghandoff/core"
	"github.com/pghandoff/pghandoff/internal/workload"
)

// notesSchema is a table the workload does not write, with an enum, for the changes that
// would break the workload's own writes.
const notesSchema = `
CREATE TYPE public.mood AS ENUM ('ok', 'sad');
CREATE TABLE public.notes (id int PRIMARY KEY, mood public.mood, old text, v int);
INSERT INTO public.notes SELECT g, 'ok', 'x', g FROM generate_series(1, 10) g;`

// A release of the application changes the schema on the primary while the migration runs
// and the application writes through the proxy: columns added with and without a default,
// one NOT NULL after a backfill, a new table, a new index, a new enum value used at once.
// Status names each difference within one check, and the stopped apply worker's reason;
// schema sync (its dry run changing nothing) repairs them on the replica and the proxy;
// replication resumes with every acknowledged write, and the application writes the new
// columns and table through the proxy.
func TestSchemaSyncRepairsAdditiveChangesUnderLoad(t *testing.T) {
	forEachPairWithProxy(t, func(t *testing.T, e *proxyEnv) {
		w := e.underLoad()
		for _, ddl := range []string{
			`ALTER TABLE public.ledger ADD COLUMN note text`,
			`ALTER TABLE public.ledger ADD COLUMN price numeric NOT NULL DEFAULT 0`,
			`ALTER TABLE public.notes ADD COLUMN flag boolean`,
			`UPDATE public.notes SET flag = true`,
			`ALTER TABLE public.notes ALTER COLUMN flag SET NOT NULL`,
			`CREATE TABLE public.orders (id bigserial PRIMARY KEY, ledger_id bigint, mood public.mood NOT NULL DEFAULT 'ok');
			 INSERT INTO public.orders (ledger_id) SELECT g FROM generate_series(1, 20) g`,
			`CREATE INDEX ledger_client_idx ON public.ledger (client)`,
			`ALTER TYPE public.mood ADD VALUE 'glad'`,
			`INSERT INTO public.notes VALUES (11, 'glad', 'y', 11, true)`,
		} {
			e.execPrimary(ddl)
		}
		waitAcked(t, w, 50) // the new columns are on the primary's rows now: replication has stopped

		st, err := core.GetStatus(ctxFor(t, time.Minute), e.statusOptions())
		if err != nil {
			t.Fatal(err)
		}
		if st.State != core.StateBroken || st.Schema == nil {
			t.Fatalf("status after the release: %s", statementsText(st))
		}
		for _, want := range []string{
			`column "public"."ledger"."note" exists on the primary, not on the replica: replication stops at the next change to "public"."ledger": run schema sync`,
			`column "public"."ledger"."price" exists on the primary, not on the replica`,
			`column "public"."notes"."flag" exists on the primary, not on the replica`,
			`table "public"."orders" exists on the primary, not on the replica: its rows are not replicated: run schema sync`,
			`enum type "public"."mood" has values on the primary that the replica lacks ('glad')`,
		} {
			if !contains(st.Reasons, want) {
				t.Errorf("status does not say %q: %s", want, strings.Join(st.Reasons, "\n"))
			}
		}
		if !contains(st.Warnings, `index "public"."ledger_client_idx" on "public"."ledger" exists on the primary, not on the replica: run schema sync`) {
			t.Errorf("status does not warn about the index: %s", strings.Join(st.Warnings, "\n"))
		}
		waitFor(t, "the apply worker's failure named", func() bool {
			st, err := core.GetStatus(ctxFor(t, time.Minute), e.statusOptions())
			return err == nil && len(st.Reasons) > 0 && strings.HasPrefix(st.Reasons[0], "the replica's apply worker has stopped") &&
				strings.Contains(st.Reasons[0], `column "public"."ledger"`)
		})

		dry, err := core.SchemaSync(ctxFor(t, time.Minute), e.syncOptions(true))
		if err != nil || dry.Changed || len(dry.Statements) == 0 || e.queryInt(true, `SELECT count(*) FROM pg_attribute WHERE attrelid = 'public.ledger'::regclass AND attname = 'note'`) != 0 {
			t.Fatalf("dry run of schema sync: %v (%s) or it changed the replica: %s", err, core.Hint(err), statementsText(dry))
		}
		res, err := core.SchemaSync(ctxFor(t, 2*time.Minute), e.syncOptions(false))
		if err != nil || !res.Changed {
			t.Fatalf("schema sync: %v (%s): %s", err, core.Hint(err), statementsText(res))
		}
		wantApplied := []core.ChangeKind{core.ChangeColumnMissing, core.ChangeTableMissing, core.ChangeEnumValuesMissing, core.ChangeIndexMissing}
		for _, kind := range wantApplied {
			if !slices.ContainsFunc(res.Applied, func(c core.SchemaChange) bool { return c.Kind == kind }) {
				t.Errorf("schema sync did not apply a %s: %s", kind, statementsText(res.Applied))
			}
		}
		for _, c := range res.Remaining {
			if c.Kind != core.ChangeColumnNotNull || c.Object != `"public"."notes"."flag"` {
				t.Errorf("schema sync left %s", statementsText(c))
			}
		}

		// The application writes the new columns and the new table through the proxy.
		proxy := e.connect(e.proxy, e.proxyDB)
		for _, sql := range []string{
			`UPDATE public.ledger SET note = 'via proxy', price = 9.5 WHERE id = (SELECT min(id) FROM public.ledger)`,
			`INSERT INTO public.orders (ledger_id, mood) VALUES (-1, 'glad')`,
			`INSERT INTO public.notes (id, mood, v, flag) VALUES (12, 'glad', 12, false)`,
		} {
			if _, err := proxy.Exec(ctxFor(t, time.Minute), sql); err != nil {
				t.Fatalf("through the proxy: %v\n%s", err, sql)
			}
		}
		waitAcked(t, w, 50)
		w.Stop()
		e.waitReady()
		again, err := core.SchemaSync(ctxFor(t, time.Minute), e.syncOptions(false))
		if err != nil || len(again.Remaining) != 0 {
			t.Fatalf("schema sync once caught up: %v: %s", err, statementsText(again))
		}
		diff, err := core.SchemaDiff(ctxFor(t, time.Minute), core.SchemaDiffOptions{Migration: e.m})
		if err != nil || diff.Differs {
			t.Fatalf("schema diff after sync: %v: %s", err, statementsText(diff))
		}
		checkWorkload(t, w, e.replicaConn(), time.Time{})
		if n := e.queryInt(true, `SELECT count(*) FROM public.orders WHERE mood = 'glad' AND ledger_id = -1`) +
			e.queryInt(true, `SELECT count(*) FROM public.ledger WHERE note = 'via proxy' AND price = 9.5`); n != 2 {
			t.Fatalf("the proxy's writes of the new columns and table are not on the replica (%d of 2)", n)
		}
		e.assertSame()
	})
}

// underLoad sets up the workload's tables and notes, with the proxy, and starts the
// workload writing through the proxy.
func (e *proxyEnv) underLoad() *workload.Workload {
	e.t.Helper()
	e.setUp(workload.Schema + notesSchema)
	w := startWorkload(e.t, e.proxy.DSN(e.proxyDB), 4)
	waitAcked(e.t, w, 100)
	return w
}

func (e *proxyEnv) syncOptions(dryRun bool) core.SchemaSyncOptions {
	return core.SchemaSyncOptions{Migration: e.m, PgDump: e.pgDump, Execution: core.Execution{DryRun: dryRun, Observer: e.observer()}}
}

// waitFor polls cond until it holds, for up to a minute.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	ctx := ctxFor(t, time.Minute)
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("waited a minute for %s", what)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// What schema sync cannot apply without a decision, a dropped column and a changed type, it
// explains: status names the type change as why the apply worker stopped, schema diff says
// the proxy's inserts fail on the dropped column, and the statements listed, run in their
// order, bring replication back with every acknowledged write.
func TestSchemaSyncExplainsWhatNeedsADecision(t *testing.T) {
	forEachPairWithProxy(t, func(t *testing.T, e *proxyEnv) {
		w := e.underLoad()
		e.execPrimary(`ALTER TABLE public.notes DROP COLUMN old`)
		e.execPrimary(`ALTER TABLE public.notes ALTER COLUMN v TYPE bigint`)
		e.execPrimary(`INSERT INTO public.notes (id, mood, v) VALUES (100, 'sad', 5000000000)`)

		var st *core.Status
		waitFor(t, "the stopped apply worker explained", func() bool {
			var err error
			st, err = core.GetStatus(ctxFor(t, time.Minute), e.statusOptions())
			return err == nil && len(st.Reasons) > 0 && strings.HasPrefix(st.Reasons[0], "the replica's apply worker has stopped") &&
				strings.Contains(st.Reasons[0], `column "public"."notes"."v" is bigint on the primary, integer on the replica`)
		})
		if !slices.ContainsFunc(st.Schema.Changes, func(c core.SchemaChange) bool {
			return c.Kind == core.ChangeColumnExtra && strings.HasPrefix(c.Message, `column "public"."notes"."old" exists on the replica, not on the primary (dropped there?)`)
		}) {
			t.Fatalf("status does not name the dropped column: %s", statementsText(st.Schema))
		}
		diff, err := core.SchemaDiff(ctxFor(t, time.Minute), core.SchemaDiffOptions{Migration: e.m})
		if err != nil || !slices.ContainsFunc(diff.Changes, func(c core.SchemaChange) bool {
			return c.Target == "proxy" && c.Effect == core.EffectBreaks && strings.Contains(c.Message, `every INSERT into "public"."notes" through the proxy fails`)
		}) {
			t.Fatalf("schema diff does not say the proxy's inserts fail: %v: %s", err, statementsText(diff))
		}

		res, err := core.SchemaSync(ctxFor(t, time.Minute), e.syncOptions(false))
		if err != nil {
			t.Fatalf("schema sync: %v (%s)", err, core.Hint(err))
		}
		var decisions []core.SchemaChange
		for _, c := range res.Remaining {
			if c.Target == "replica" && len(c.Statements) > 0 && !c.Sync {
				decisions = append(decisions, c)
			}
		}
		if len(decisions) != 2 || e.queryInt(true, `SELECT count(*) FROM pg_attribute WHERE attrelid = 'public.notes'::regclass AND attname = 'old' AND NOT attisdropped`) != 1 {
			t.Fatalf("schema sync applied or left out a decision: %s", statementsText(res))
		}
		for _, c := range decisions {
			for _, s := range c.Statements {
				if s.Server == "replica" {
					e.execReplica(s.SQL)
				} else {
					e.execProxy(s.SQL)
				}
			}
		}
		waitAcked(t, w, 50)
		w.Stop()
		e.waitReady()
		after, err := core.SchemaDiff(ctxFor(t, time.Minute), core.SchemaDiffOptions{Migration: e.m})
		if err != nil || after.Differs {
			t.Fatalf("schema diff after the decisions: %v: %s", err, statementsText(after))
		}
		checkWorkload(t, w, e.replicaConn(), time.Time{})
		e.assertSame()
	})
}
