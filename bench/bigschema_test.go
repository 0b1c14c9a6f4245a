package bench

import (
	"fmt"
	"testing"

	"github.com/pghandoff/pghandoff/internal/pgtest"
)

// Big schemas (issue 15): many small tables, each with a bigserial key, so that the pause
// has as many foreign tables and helpers to lock and sequences to set as a SaaS schema of
// one table per tenant or per feature.

// bigSchemaSizes are the table counts the big-schema benchmarks run at.
var bigSchemaSizes = []int{10, 100, 1000}

// bigSchemaDDL makes n tables of 10 rows, each with a bigserial key (so n sequences), in one
// statement.
func bigSchemaDDL(n int) string {
	return fmt.Sprintf(`DO $$ BEGIN
		FOR i IN 1..%d LOOP
			EXECUTE format('CREATE TABLE public.big_%%s (id bigserial PRIMARY KEY, v text NOT NULL)', lpad(i::text, 4, '0'));
			EXECUTE format('INSERT INTO public.big_%%s (v) SELECT md5(g::text) FROM generate_series(1, 10) g', lpad(i::text, 4, '0'));
		END LOOP;
	END $$`, n)
}

// bigPairs are the version pairs of the big-schema benchmarks, 15 → 15 and 15 → 17, with
// replicas of their own that copy 8 tables at once, so that setting up 1,000 tables for a
// pause takes seconds: the pause does not depend on it.
func bigPairs(b testing.TB) []pgtest.Pair {
	primary := pgtest.Server(b, "primary15", 15)
	workers := "max_sync_workers_per_subscription = 8"
	return []pgtest.Pair{
		{Name: "15to15", Primary: primary, Replica: pgtest.ServerWith(b, "bigreplica15", 15, workers)},
		{Name: "15to17", Primary: primary, Replica: pgtest.ServerWith(b, "bigreplica17", 17, workers)},
	}
}

// bigProxyCluster is a PostgreSQL 15 proxy with lock slots for a pause over 1,000 tables and
// their 1,000 sequence helpers in one transaction (the pause refuses to start without them).
func bigProxyCluster(b testing.TB) *pgtest.Cluster {
	return pgtest.ServerWith(b, "bigproxy15", 15, "max_locks_per_transaction = 2200", "max_connections = 100")
}
