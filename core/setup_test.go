package core_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/pghandoff/pghandoff/core"
	"github.com/pghandoff/pghandoff/internal/pgtest"
)

// The whole replication lifecycle on the hard-case schema: setup, catch-up, identical data,
// later writes, status before and after, teardown leaving nothing. Also from PostgreSQL 13,
// the oldest source supported.
func TestReplicationLifecycle(t *testing.T) {
	forPairs(t, append(pgtest.Pairs(t), pgtest.OldestPair(t)), func(t *testing.T, e *env) {
		e.loadScenario()
		opts := e.setupOptions()
		opts.ReplicaIdentityFull = true // public.audit_log has no primary key
		res, err := core.Setup(ctxFor(t, 2*time.Minute), opts)
		if err != nil {
			t.Fatalf("setup: %v (hint: %s)", err, core.Hint(err))
		}
		if !res.Changed || !res.SchemaImported {
			t.Fatalf("setup did nothing: %+v", res)
		}
		if len(res.ReplicaIdentityFull) != 1 || res.ReplicaIdentityFull[0] != (core.TableName{Schema: "public", Name: "audit_log"}) {
			t.Fatalf("replica identity set on %v, want public.audit_log", res.ReplicaIdentityFull)
		}
		if !contains(res.Warnings, `"public"."cache"`) {
			t.Errorf("no warning about the unlogged table: %v", res.Warnings)
		}

		// Stop the apply worker: the report must say why it is not ready.
		e.execReplica(`ALTER SUBSCRIPTION ` + e.m.Name + ` DISABLE`)
		st, err := core.GetStatus(ctxFor(t, time.Minute), e.statusOptions())
		if err != nil {
			t.Fatal(err)
		}
		if st.Ready || st.State != core.StateBroken || st.Subscription == nil || st.Subscription.Enabled || !contains(st.Reasons, "disabled") {
			t.Fatalf("status with a disabled subscription: %+v", st)
		}
		e.execReplica(`ALTER SUBSCRIPTION ` + e.m.Name + ` ENABLE`)

		st = e.waitReady()
		if st.SentinelMS == nil || *st.SentinelMS <= 0 || st.LagBytes == nil || *st.LagBytes > core.DefaultMaxLag {
			t.Fatalf("ready status without sentinel or lag: %+v", st)
		}
		if st.Slot == nil || !st.Slot.Active || !st.Slot.Safe() || st.Subscription == nil || !st.Subscription.WorkerRunning {
			t.Fatalf("ready status with slot %+v subscription %+v", st.Slot, st.Subscription)
		}
		if len(st.Tables) != 7 || st.TableCounts["ready"] != 7 {
			t.Fatalf("tables %+v, want 7 ready (sentinel, Customer, Order, items, events, audit_log, docs)", st.Tables)
		}
		if st.PrimaryVersion[:2] != fmt.Sprint(e.pair.Primary.Major) || st.ReplicaVersion[:2] != fmt.Sprint(e.pair.Replica.Major) {
			t.Fatalf("versions %s → %s", st.PrimaryVersion, st.ReplicaVersion)
		}
		check := e.assertSame()
		if check.Rows != 4620 { // 200 customers, 2000 orders, 300 items, 2000 events, 100 log lines, 20 docs
			t.Fatalf("verify saw %d rows", check.Rows)
		}

		e.execPrimary(readFile(t, "testdata/scenario/changes.sql"))
		e.waitReady()
		e.assertSame()
		if n := e.queryInt(true, `SELECT count(*) FROM "Billing"."Customer" WHERE "user" = 'it''s me'`); n != 1 {
			t.Fatalf("late insert not replicated")
		}

		var subOID int64 = e.queryInt(true, `SELECT oid::int8 FROM pg_subscription WHERE subname = $1`, e.m.Name)
		down, err := core.Teardown(ctxFor(t, time.Minute), core.TeardownOptions{Migration: e.m})
		if err != nil {
			t.Fatalf("teardown: %v", err)
		}
		if len(down.Removed) < 5 {
			t.Errorf("teardown removed only %v", down.Removed)
		}
		if left := e.leftovers(); len(left) > 0 {
			t.Fatalf("left after teardown: %v", left)
		}
		if n := e.originsOf(subOID); n != 0 {
			t.Fatalf("%d replication origins left", n)
		}
		if n := e.queryInt(false, `SELECT count(*) FROM pg_class WHERE relname = 'audit_log' AND relreplident = 'f'`); n != 0 {
			t.Fatalf("replica identity FULL not restored")
		}
		again, err := core.Teardown(ctxFor(t, time.Minute), core.TeardownOptions{Migration: e.m})
		if err != nil || len(again.Removed) != 0 {
			t.Fatalf("second teardown: %v, removed %v", err, again.Removed)
		}
	})
}

// A table without a key refuses setup, names the table, and leaves nothing on either server.
func TestSetupRefusesTableWithoutIdentity(t *testing.T) {
	forEachPair(t, func(t *testing.T, e *env) {
		e.loadScenario()
		_, err := core.Setup(ctxFor(t, time.Minute), e.setupOptions())
		if !errors.Is(err, core.ErrRefused) {
			t.Fatalf("setup: got %v, want ErrRefused", err)
		}
		if want := `"public"."audit_log"`; !contains([]string{err.Error()}, want) {
			t.Fatalf("error %q does not name %s", err, want)
		}
		if core.Hint(err).IsZero() {
			t.Fatal("no hint")
		}
		if left := e.leftovers(); len(left) > 0 {
			t.Fatalf("refused setup left %v", left)
		}
		if n := e.queryInt(true, `SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('Billing', 'inventory', 'public')`); n != 0 {
			t.Fatalf("refused setup created %d relations on the replica", n)
		}
		// Excluding the table is the other way through.
		opts := e.setupOptions()
		opts.ExcludeTables = []core.TableName{{Schema: "public", Name: "audit_log"}}
		if _, err := core.Setup(ctxFor(t, time.Minute), opts); err != nil {
			t.Fatalf("setup excluding the table: %v", err)
		}
		st := e.waitReady()
		for _, tbl := range st.Tables {
			if tbl.Name == "audit_log" {
				t.Fatal("excluded table replicated")
			}
		}
	})
}

// A second setup finds everything in place and changes nothing.
func TestSetupIsIdempotent(t *testing.T) {
	forEachPair(t, func(t *testing.T, e *env) {
		e.loadScenario()
		opts := e.setupOptions()
		opts.ReplicaIdentityFull = true
		if _, err := core.Setup(ctxFor(t, time.Minute), opts); err != nil {
			t.Fatal(err)
		}
		res, err := core.Setup(ctxFor(t, time.Minute), opts)
		if err != nil {
			t.Fatalf("second setup: %v", err)
		}
		if res.Changed || len(res.Statements) != 0 {
			t.Fatalf("second setup changed something: %+v", res.Statements)
		}
		e.waitReady()
		e.assertSame()
	})
}

// A partitioned table whose partitions have no key is refused through its root, and the
// opt-in sets the identity on the root and every partition.
func TestSetupPartitionsWithoutIdentity(t *testing.T) {
	e := newEnv(t, pgtest.Pairs(t)[0])
	e.execPrimary(`CREATE TABLE "Part" (a int, b text) PARTITION BY LIST (a);
		CREATE TABLE "Part_1" PARTITION OF "Part" FOR VALUES IN (1);
		CREATE TABLE "Part_2" PARTITION OF "Part" FOR VALUES IN (2);
		INSERT INTO "Part" VALUES (1, 'one'), (2, 'two')`)
	_, err := core.Setup(ctxFor(t, time.Minute), e.setupOptions())
	if !errors.Is(err, core.ErrRefused) || !contains([]string{err.Error()}, `"public"."Part"`) {
		t.Fatalf("setup: %v", err)
	}
	opts := e.setupOptions()
	opts.ReplicaIdentityFull = true
	res, err := core.Setup(ctxFor(t, time.Minute), opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.ReplicaIdentityFull) != 3 {
		t.Fatalf("identity set on %v, want the root and both partitions", res.ReplicaIdentityFull)
	}
	e.waitReady()
	e.execPrimary(`UPDATE "Part" SET b = 'uno' WHERE a = 1; DELETE FROM "Part" WHERE a = 2`)
	e.waitReady()
	e.assertSame()
}

// The schema import is all or nothing: it stops at the first failing statement, shows it, and
// keeps nothing of what ran before it. A schema the replica already has is not a clash (every
// new database has public); a type of the same name is.
func TestSchemaImportStopsAtFirstError(t *testing.T) {
	e := newEnv(t, pgtest.Pairs(t)[1])
	e.loadScenario()
	e.execReplica(`CREATE SCHEMA "Billing"; CREATE TYPE "Billing".status AS ENUM ('x'); CREATE SCHEMA inventory`)
	opts := e.setupOptions()
	opts.ReplicaIdentityFull = true
	_, err := core.Setup(ctxFor(t, time.Minute), opts)
	if err == nil || !contains([]string{err.Error()}, "schema import stopped at statement") || !contains([]string{err.Error()}, `CREATE TYPE "Billing".status`) {
		t.Fatalf("setup into a replica with a clashing schema: %v", err)
	}
	if core.Hint(err).IsZero() {
		t.Fatal("no remedy")
	}
	if n := e.queryInt(true, `SELECT count(*) FROM pg_type WHERE typname = 'status' AND array_length(enum_range(NULL::"Billing".status), 1) = 1`); n != 1 {
		t.Fatal("the replica's own type was changed")
	}
	if left := e.leftovers(); len(left) > 0 {
		t.Fatalf("left %v", left)
	}
}

// A table created on the primary after setup shows in status as not replicated; running setup
// again imports its definition, publishes it, and its rows arrive.
func TestSetupAddsTablesCreatedLater(t *testing.T) {
	e := newEnv(t, pgtest.Pairs(t)[1])
	e.execPrimary(`CREATE SCHEMA "Late"; CREATE TABLE "Late"."First" (id int PRIMARY KEY)`)
	if _, err := core.Setup(ctxFor(t, time.Minute), e.setupOptions()); err != nil {
		t.Fatal(err)
	}
	e.waitReady()
	e.execPrimary(`CREATE TABLE "Late"."Second" (id bigserial PRIMARY KEY, "user" text);
		CREATE INDEX ON "Late"."Second" ("user");
		INSERT INTO "Late"."Second" ("user") SELECT 'u' || g FROM generate_series(1, 50) g`)
	st, err := core.GetStatus(ctxFor(t, time.Minute), e.statusOptions())
	if err != nil {
		t.Fatal(err)
	}
	if !contains(append(st.Reasons, st.Warnings...), `"Late"."Second"`) {
		t.Fatalf("status does not name the new table: %v %v", st.Reasons, st.Warnings)
	}
	res, err := core.Setup(ctxFor(t, time.Minute), e.setupOptions())
	if err != nil || !res.Changed {
		t.Fatalf("setup again: %v (changed %v)", err, res != nil && res.Changed)
	}
	st = e.waitReady()
	if len(st.Warnings) != 0 || len(st.Tables) != 3 {
		t.Fatalf("after the second setup: warnings %v, tables %v", st.Warnings, st.Tables)
	}
	e.execPrimary(`INSERT INTO "Late"."Second" ("user") VALUES ('after')`)
	e.waitReady()
	e.assertSame()
}
