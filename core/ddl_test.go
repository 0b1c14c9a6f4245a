package core_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pghandoff/pghandoff/core"
	"github.com/pghandoff/pghandoff/internal/pgtest"
	"github.com/pghandoff/pghandoff/internal/workload"
)

// ddl runs a statement in the order its change needs, the application writing through the
// proxy all along: unconfirmed it only shows the plan; a column, a table and an index go to
// the replica first, a constraint to the primary first, a dropped column to the proxy first;
// a type change is refused with nothing changed. Replication never stops for long, every
// acknowledged write reaches the replica, and the application uses the new column and table
// through the proxy.
func TestDDLRunsEachChangeInItsOrder(t *testing.T) {
	forEachPairWithProxy(t, func(t *testing.T, e *proxyEnv) {
		w := e.underLoad()

		add := `ALTER TABLE public.ledger ADD COLUMN note text DEFAULT 'none'`
		plan, err := core.DDL(ctxFor(t, time.Minute), e.ddlOptions(add, false))
		if !errors.Is(err, core.ErrRefused) || plan == nil || !plan.Planned || !slices.Equal(plan.Order, []string{"replica", "primary", "proxy"}) ||
			len(plan.Changes) != 1 || plan.Changes[0].Message != `adds column "public"."ledger"."note"` {
			t.Fatalf("unconfirmed ddl: %v, want the plan and a refusal: %s", err, statementsText(plan))
		}
		if e.queryInt(true, `SELECT count(*) FROM pg_attribute WHERE attrelid = 'public.ledger'::regclass AND attname = 'note'`) != 0 {
			t.Fatal("an unconfirmed ddl changed the replica")
		}
		for _, c := range []struct {
			sql   string
			order []string
		}{
			{add, []string{"replica", "primary", "proxy"}},
			{`ALTER TABLE public.notes ADD CONSTRAINT v_positive CHECK (v > 0)`, []string{"primary", "replica", "proxy"}},
			{`ALTER TABLE public.notes DROP COLUMN old`, []string{"proxy", "primary", "replica"}},
			{`CREATE TABLE public.tags (id serial PRIMARY KEY, name text NOT NULL DEFAULT 'tag')`, []string{"replica", "primary", "proxy"}},
			{`CREATE INDEX CONCURRENTLY ledger_n_idx ON public.ledger (n)`, []string{"replica", "primary", "proxy"}},
		} {
			res, err := core.DDL(ctxFor(t, 2*time.Minute), e.ddlOptions(c.sql, true))
			if err != nil || !res.Complete || !slices.Equal(res.Order, c.order) {
				t.Fatalf("ddl %q: %v (%s): %s", c.sql, err, core.Hint(err), statementsText(res))
			}
			for _, s := range res.Steps {
				if s.State != core.StepDone || s.Confirmed == "" {
					t.Fatalf("ddl %q: step %s: %s", c.sql, s.Server, statementsText(res.Steps))
				}
			}
			waitAcked(t, w, 20)
		}
		typeChange := `ALTER TABLE public.notes ALTER COLUMN v TYPE bigint`
		if res, err := core.DDL(ctxFor(t, time.Minute), e.ddlOptions(typeChange, true)); !errors.Is(err, core.ErrRefused) || len(res.Statements) != 0 {
			t.Fatalf("ddl of a type change: %v, want a refusal with nothing run: %s", err, statementsText(res))
		}

		proxy := e.connect(e.proxy, e.proxyDB)
		for _, sql := range []string{
			`UPDATE public.ledger SET note = 'via proxy' WHERE id = (SELECT min(id) FROM public.ledger)`,
			`INSERT INTO public.tags DEFAULT VALUES`,
		} {
			if _, err := proxy.Exec(ctxFor(t, time.Minute), sql); err != nil {
				t.Fatalf("through the proxy: %v\n%s", err, sql)
			}
		}
		waitAcked(t, w, 50)
		w.Stop()
		st := e.waitReady()
		if len(st.Schema.Changes) != 0 || len(st.Warnings) != 0 {
			t.Fatalf("status after the ddl: %s", statementsText(st))
		}
		checkWorkload(t, w, e.replicaConn(), time.Time{})
		if e.queryInt(true, `SELECT count(*) FROM public.tags WHERE name = 'tag'`) != 1 || e.queryInt(true, `SELECT count(*) FROM public.ledger WHERE note = 'via proxy'`) != 1 {
			t.Fatal("the proxy's writes of the new column and table are not on the replica")
		}
		e.assertSame()
	})
}

// A step that fails stops ddl with each server's state said, and the remedy: running it
// again skips what is done and finishes.
func TestDDLStopsWithAClearStateAndResumes(t *testing.T) {
	e := newProxyEnv(t, pgtest.Pairs(t)[0])
	e.setUp(workload.Schema + notesSchema)
	// Hold a lock on the primary's table: the primary's step cannot take it.
	holder := e.primaryConn()
	tx, err := holder.Begin(ctxFor(t, time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctxFor(t, time.Minute), `LOCK TABLE public.notes IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	add := `ALTER TABLE public.notes ADD COLUMN tag text`
	opts := e.ddlOptions(add, true)
	opts.Timeouts.Lock = 100 * time.Millisecond
	res, err := core.DDL(ctxFor(t, time.Minute), opts)
	if err == nil || res == nil || res.Complete {
		t.Fatalf("ddl with the primary's table locked: %v: %s", err, statementsText(res))
	}
	states := []core.StepState{}
	for _, s := range res.Steps {
		states = append(states, s.State)
	}
	if !slices.Equal(states, []core.StepState{core.StepDone, core.StepFailed, core.StepNotRun}) || !strings.Contains(core.Hint(err).String(), "done on the replica") {
		t.Fatalf("steps %v, remedy %q", states, core.Hint(err))
	}
	_ = tx.Rollback(context.Background())

	again, err := core.DDL(ctxFor(t, time.Minute), e.ddlOptions(add, true))
	if err != nil || !again.Complete || again.Steps[0].State != core.StepAlready || again.Steps[1].State != core.StepDone {
		t.Fatalf("ddl again: %v (%s): %s", err, core.Hint(err), statementsText(again))
	}
	e.execPrimary(`INSERT INTO public.notes (id, mood, old, v, tag) VALUES (50, 'ok', 'x', 50, 'new')`)
	st := e.waitReady()
	if len(st.Schema.Changes) != 0 || e.queryInt(true, `SELECT count(*) FROM public.notes WHERE tag = 'new'`) != 1 {
		t.Fatalf("after the resumed ddl: %s", statementsText(st.Schema))
	}
}

func (e *proxyEnv) ddlOptions(sql string, confirm bool) core.DDLOptions {
	return core.DDLOptions{Migration: e.m, SQL: sql, Confirm: confirm, Execution: core.Execution{Observer: e.observer()}}
}
