package core_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pghandoff/pghandoff/core"
	"github.com/pghandoff/pghandoff/internal/pgtest"
)

// Setup leaves the secondary indexes and constraints for after the copy; status shows the
// synchronised tables as indexing, nobody building, until wait builds them; wait reports who
// builds; and the replica ends with the primary's exact indexes and constraints.
func TestDeferredIndexes(t *testing.T) {
	forEachPair(t, func(t *testing.T, e *env) {
		e.execPrimary(readFile(t, "testdata/deferred/schema.sql"))
		res, err := core.Setup(ctxFor(t, 2*time.Minute), e.setupOptions())
		if err != nil {
			t.Fatalf("setup: %v", err)
		}
		deferred := map[string]string{}
		for _, d := range res.Deferred {
			deferred[d.Table.String()+" "+d.Object] = d.Kind
		}
		for key, kind := range map[string]string{
			`"Billing"."Order" "by customer"`:          core.KindIndex,
			`"Billing"."Order" "Order code"`:           core.KindConstraint,
			`"Billing"."Order" "Order_id_during_excl"`: core.KindConstraint,
			`"public"."line" "line_order_code_fkey"`:   core.KindForeignKey,
			`"public"."line" "line_order_id_fkey"`:     core.KindForeignKey,
			`"public"."line" "line_order_id_idx"`:      core.KindIndex,
			`"public"."events" "events_kind"`:          core.KindIndex,
			`"public"."keyed" "keyed_v"`:               core.KindIndex,
		} {
			if deferred[key] != kind {
				t.Errorf("%s deferred as %q, want %q (deferred: %v)", key, deferred[key], kind, deferred)
			}
		}
		if _, ok := deferred[`"public"."keyed" "keyed_k"`]; ok {
			t.Errorf("the replica identity index was deferred")
		}
		if n := e.queryInt(true, `SELECT count(*) FROM pg_index WHERE indexrelid = to_regclass('"Billing"."by customer"')`); n != 0 {
			t.Fatalf("the index was built before the copy")
		}

		// Nobody builds: the tables synchronise, then wait in state indexing.
		st := e.statusUntil(func(st *core.Status) bool { return st.TableCounts[core.TableIndexing] == 4 })
		if st.Ready || st.Indexes == nil || st.Indexes.Builder != nil || st.Indexes.Pending() != len(res.Deferred) || !contains(st.Reasons, "run wait") {
			t.Fatalf("status before any build: ready %t, indexes %+v, reasons %v", st.Ready, st.Indexes, st.Reasons)
		}
		// What is deferred is the indexing phase, not a difference of schema to repair.
		if st.Schema == nil || len(st.Schema.Changes) != 0 {
			t.Fatalf("status names the deferred indexes as schema differences: %+v", st.Schema)
		}
		if diff, err := core.SchemaDiff(ctxFor(t, time.Minute), core.SchemaDiffOptions{Migration: e.m}); err != nil || diff.Differs {
			t.Fatalf("schema diff while indexing: %v: %+v", err, diff)
		}

		// A transaction on the replica holds the line table: its builds wait, and wait's
		// status says who builds and which table is indexing.
		hold := e.holdReplica(`LOCK TABLE public.line IN ROW EXCLUSIVE MODE`)
		var sawIndexing bool
		var mu sync.Mutex
		opts := core.WaitOptions{StatusOptions: e.statusOptions(), Timeout: 2 * time.Minute, Interval: 200 * time.Millisecond,
			OnStatus: func(st *core.Status) {
				mu.Lock()
				defer mu.Unlock()
				for _, tbl := range st.Tables {
					if tbl.Name == "line" && tbl.State == core.TableIndexing && st.Indexes.Builder != nil {
						if !sawIndexing {
							hold()
						}
						sawIndexing = true
					}
				}
			}}
		if st, err = core.Wait(ctxFor(t, 3*time.Minute), opts); err != nil {
			t.Fatalf("wait: %v (%+v)", err, st)
		}
		if !sawIndexing {
			t.Errorf("wait never reported line as indexing while a builder held it")
		}
		if st.Indexes.Pending() != 0 || st.TableCounts["ready"] != len(st.Tables) {
			t.Fatalf("ready with indexes %+v, tables %v", st.Indexes, st.TableCounts)
		}
		e.assertSameDefinitions()
	})
}

// A build cut short (its context cancelled after the first unit) leaves every unit either
// built and recorded or not at all; an index left invalid is dropped and made again, one
// someone made already is not made twice, and wait converges to the primary's definitions.
func TestDeferredIndexesAfterACrash(t *testing.T) {
	forPairs(t, pairsOf(t, "15to15"), func(t *testing.T, e *env) {
		e.execPrimary(readFile(t, "testdata/deferred/schema.sql"))
		if _, err := core.Setup(ctxFor(t, 2*time.Minute), e.setupOptions()); err != nil {
			t.Fatalf("setup: %v", err)
		}
		e.statusUntil(func(st *core.Status) bool { return st.TableCounts[core.TableIndexing] == 4 })

		ctx, cancel := context.WithCancel(ctxFor(t, 2*time.Minute))
		built := 0
		res, err := core.BuildIndexes(ctx, core.BuildIndexesOptions{Migration: e.m, Jobs: 1, Observer: core.Observer{Progress: func(ev core.Event) {
			if strings.HasPrefix(ev.Message, "built ") {
				if built++; built == 2 {
					cancel()
				}
			}
		}}})
		cancel()
		if err == nil || res == nil || len(res.Built) < 2 {
			t.Fatalf("cancelled build: %v, %+v", err, res)
		}
		st := e.status()
		if st.Indexes.Built != len(res.Built) || st.Indexes.Pending() == 0 {
			t.Fatalf("after the cancelled build, status counts %+v, the build reported %d built", st.Indexes, len(res.Built))
		}
		if n := e.queryInt(true, `SELECT count(*) FROM pg_index WHERE NOT indisvalid`); n != 0 {
			t.Fatalf("%d invalid indexes after the cancelled build", n)
		}

		// Someone made one of the indexes left; another was left invalid, as a partitioned
		// index is until its partitions' are attached.
		e.execReplica(`CREATE INDEX IF NOT EXISTS "by customer" ON "Billing"."Order" (customer, id)`)
		e.execReplica(`CREATE INDEX IF NOT EXISTS events_kind ON ONLY public.events (kind)`)
		if n := e.queryInt(true, `SELECT count(*) FROM pg_index WHERE NOT indisvalid`); n != 1 {
			t.Fatalf("%d invalid indexes, want the one just made", n)
		}
		e.waitReady()
		if n := e.queryInt(true, `SELECT count(*) FROM pg_index WHERE NOT indisvalid`); n != 0 {
			t.Fatalf("%d invalid indexes after wait", n)
		}
		e.assertSameDefinitions()
	})
}

// statusUntil checks the status until ok holds of it.
func (e *env) statusUntil(ok func(*core.Status) bool) *core.Status {
	e.t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		st := e.status()
		if ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("status never got there: %+v", st)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (e *env) status() *core.Status {
	e.t.Helper()
	st, err := core.GetStatus(ctxFor(e.t, time.Minute), e.statusOptions())
	if err != nil {
		e.t.Fatal(err)
	}
	return st
}

// holdReplica runs sql in a transaction on the replica, held open until the returned
// function (or the test's end) rolls it back.
func (e *env) holdReplica(sql string) func() {
	e.t.Helper()
	conn, err := e.pair.Replica.Connect(ctxFor(e.t, time.Minute), e.replicaDB)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := conn.Exec(context.Background(), "BEGIN; "+sql); err != nil {
		e.t.Fatal(err)
	}
	var once sync.Once
	release := func() { once.Do(func() { conn.Close(context.Background()) }) }
	e.t.Cleanup(release)
	return release
}

// assertSameDefinitions fails unless verify finds the same rows, indexes and constraints.
func (e *env) assertSameDefinitions() {
	e.t.Helper()
	res := e.assertSame()
	if res.Definitions == nil || res.Definitions.Objects == 0 || len(res.Definitions.Differences) > 0 {
		e.t.Fatalf("definitions: %+v", res.Definitions)
	}
}

// pairsOf picks version pairs by name.
func pairsOf(t *testing.T, names ...string) []pgtest.Pair {
	var out []pgtest.Pair
	for _, p := range pgtest.Pairs(t) {
		if slices.Contains(names, p.Name) {
			out = append(out, p)
		}
	}
	return out
}
