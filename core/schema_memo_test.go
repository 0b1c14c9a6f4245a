package core_test

import (
	"testing"
	"time"

	"github.com/pghandoff/pghandoff/core"
	"github.com/pghandoff/pghandoff/internal/pgtest"
)

// Status remembers its last comparison of the schemas while neither catalog changes: every
// change made after it, on either server, is still seen at the very next check, even one
// that writes no table's row of pg_class (a column's default).
func TestStatusSeesEachChangeAfterARememberedComparison(t *testing.T) {
	forPairs(t, pgtest.Pairs(t)[:1], func(t *testing.T, e *env) {
		e.execPrimary(`CREATE TABLE public.items (id int PRIMARY KEY, name text)`)
		if _, err := core.Setup(ctxFor(t, time.Minute), e.setupOptions()); err != nil {
			t.Fatal(err)
		}
		e.waitReady()
		differences := func() int {
			t.Helper()
			st, err := core.GetStatus(ctxFor(t, time.Minute), core.StatusOptions{Migration: e.m, NoSentinel: true})
			if err != nil || st.Schema == nil {
				t.Fatalf("status: %v, schema %+v", err, st)
			}
			return len(st.Schema.Changes)
		}
		for _, step := range []struct {
			onReplica bool
			sql       string
			want      int
		}{
			{false, `SELECT 1`, 0}, // remembered
			{true, `ALTER TABLE public.items ADD COLUMN note text`, 1},
			{false, `ALTER TABLE public.items ADD COLUMN note text`, 0},
			{false, `ALTER TABLE public.items ALTER COLUMN name SET DEFAULT 'x'`, 1},
			{true, `ALTER TABLE public.items ALTER COLUMN name SET DEFAULT 'x'`, 0},
			{false, `CREATE TEMPORARY TABLE scratch (a int)`, 0},
		} {
			if step.onReplica {
				e.execReplica(step.sql)
			} else {
				e.execPrimary(step.sql)
			}
			for range 2 { // compared, then remembered
				if got := differences(); got != step.want {
					t.Fatalf("after %q on the %s: %d differences, want %d", step.sql, map[bool]string{true: "replica", false: "primary"}[step.onReplica], got, step.want)
				}
			}
		}
	})
}
