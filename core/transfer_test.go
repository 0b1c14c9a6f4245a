package core_test

import (
	"strings"
	"testing"
	"time"

	"github.com/pghandoff/pghandoff/core"
	"github.com/pghandoff/pghandoff/internal/pgtest"
)

// Between two servers of PostgreSQL 16 or newer, preflight says rows travel in binary and
// large transactions stream to parallel workers, and counts what setup leaves for after the
// copy. (Setup itself needs a pg_dump as new as the primary, which this machine lacks for
// 16 and later: the subscription's options are checked below, without a server.)
func TestTransferDecided(t *testing.T) {
	pair := pgtest.Pair{Name: "17to18", Primary: pgtest.Server(t, "primary17", 17), Replica: pgtest.Server(t, "replica18", 18)}
	forPairs(t, append(pairsOf(t, "15to17"), pair), func(t *testing.T, e *env) {
		e.execPrimary(readFile(t, "testdata/deferred/schema.sql"))
		pre, err := core.Preflight(ctxFor(t, time.Minute), core.PreflightOptions{Migration: e.m, PgDump: e.pgDump})
		if err != nil {
			t.Fatal(err)
		}
		checks := map[string]string{}
		for _, c := range pre.Checks {
			checks[c.Name] = c.Detail
		}
		binary := e.pair.Primary.Major >= 16
		if strings.Contains(checks["transfer"], "binary copy") != binary || strings.Contains(checks["transfer"], "parallel workers") != binary {
			t.Errorf("preflight's transfer from %d: %q", e.pair.Primary.Major, checks["transfer"])
		}
		if !strings.HasPrefix(checks["indexes after the copy"], "8 secondary index(es) and constraint(s)") {
			t.Errorf("preflight's indexes after the copy: %q", checks["indexes after the copy"])
		}
	})
}
