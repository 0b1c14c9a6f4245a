package core_test

import (
	"errors"
	"testing"
	"time"

	"github.com/pghandoff/pghandoff/core"
	"github.com/pghandoff/pghandoff/internal/pgtest"
)

// Teardown works from partial states: each case breaks a finished setup in one way.
func TestTeardownFromPartialStates(t *testing.T) {
	cases := map[string]func(e *env){
		"subscription already dropped": func(e *env) {
			e.execReplica(`ALTER SUBSCRIPTION ` + e.m.Name + ` DISABLE`)
			e.execReplica(`ALTER SUBSCRIPTION ` + e.m.Name + ` SET (slot_name = NONE)`)
			e.execReplica(`DROP SUBSCRIPTION ` + e.m.Name)
		},
		"publication already dropped": func(e *env) {
			e.execPrimary(`DROP PUBLICATION ` + e.m.Name)
		},
		"slot without subscription or publication": func(e *env) {
			e.execReplica(`ALTER SUBSCRIPTION ` + e.m.Name + ` DISABLE`)
			e.execReplica(`ALTER SUBSCRIPTION ` + e.m.Name + ` SET (slot_name = NONE)`)
			e.execReplica(`DROP SUBSCRIPTION ` + e.m.Name)
			e.execPrimary(`DROP PUBLICATION ` + e.m.Name)
			e.execPrimary(`DROP TABLE public.` + e.m.Name)
		},
		"subscription disabled": func(e *env) {
			e.execReplica(`ALTER SUBSCRIPTION ` + e.m.Name + ` DISABLE`)
		},
	}
	pair := pgtest.Pairs(t)[0]
	for name, breakIt := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, pair)
			e.execPrimary(`CREATE TABLE "Order" (id int PRIMARY KEY, "user" text); INSERT INTO "Order" SELECT g, 'u' FROM generate_series(1, 100) g`)
			if _, err := core.Setup(ctxFor(t, time.Minute), e.setupOptions()); err != nil {
				t.Fatal(err)
			}
			e.waitReady()
			breakIt(e)
			res, err := core.Teardown(ctxFor(t, time.Minute), core.TeardownOptions{Migration: e.m})
			if err != nil {
				t.Fatalf("teardown: %v", err)
			}
			if len(res.Removed) == 0 {
				t.Fatal("teardown removed nothing")
			}
			if left := e.leftovers(); len(left) > 0 {
				t.Fatalf("left after teardown: %v (removed %v)", left, res.Removed)
			}
		})
	}
}

// --drop needs confirmation, shows its statements under dry-run, and drops the imported
// schema on the replica.
func TestTeardownDrop(t *testing.T) {
	e := newEnv(t, pgtest.Pairs(t)[1])
	e.loadScenario()
	opts := e.setupOptions()
	opts.ReplicaIdentityFull = true
	if _, err := core.Setup(ctxFor(t, time.Minute), opts); err != nil {
		t.Fatal(err)
	}
	e.waitReady()
	down := core.TeardownOptions{Migration: e.m, Drop: true, PgDump: e.pgDump}
	if _, err := core.Teardown(ctxFor(t, time.Minute), down); !errors.Is(err, core.ErrRefused) {
		t.Fatalf("--drop without confirmation: %v", err)
	}
	down.DryRun = true
	dry, err := core.Teardown(ctxFor(t, time.Minute), down)
	if err != nil || len(dry.Statements) < 10 {
		t.Fatalf("dry run: %v, %d statements", err, len(dry.Statements))
	}
	if n := e.queryInt(true, `SELECT count(*) FROM pg_subscription`); n == 0 {
		t.Fatal("dry run changed something")
	}
	down.DryRun, down.Confirm = false, true
	if _, err := core.Teardown(ctxFor(t, time.Minute), down); err != nil {
		t.Fatalf("teardown --drop: %v", err)
	}
	if n := e.queryInt(true, `SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('Billing', 'inventory') OR (n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S'))`); n != 0 {
		t.Fatalf("%d relations left on the replica after --drop", n)
	}
	if left := e.leftovers(); len(left) > 0 {
		t.Fatalf("left: %v", left)
	}
}
