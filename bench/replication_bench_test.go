package bench

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pghandoff/pghandoff/core"
	"github.com/pghandoff/pghandoff/internal/pgtest"
)

// setupSets are BenchmarkSetupToReady's data: an index-heavy table (four secondary indexes
// and a foreign key) and the same rows with their primary key only.
var setupSets = []struct{ name, ddl string }{
	{"heavy", `
		CREATE TABLE accounts (id int PRIMARY KEY, name text NOT NULL);
		INSERT INTO accounts SELECT g, 'account ' || g FROM generate_series(0, 4999) g;
		CREATE TABLE events (id bigserial PRIMARY KEY, account int NOT NULL REFERENCES accounts (id), kind text NOT NULL,
		                     ref uuid NOT NULL, payload jsonb, created_at timestamptz NOT NULL DEFAULT now());
		INSERT INTO events (account, kind, ref, payload)
		SELECT g % 5000, 'kind' || (g % 17), md5(g::text)::uuid, jsonb_build_object('g', g, 'note', md5(g::text))
		FROM generate_series(1, ` + setupRows + `) g;
		CREATE INDEX ON events (account, created_at);
		CREATE INDEX ON events (kind);
		CREATE UNIQUE INDEX ON events (ref);
		CREATE INDEX ON events ((payload ->> 'note'));
		ANALYZE;`},
	{"plain", `
		CREATE TABLE events (id bigserial PRIMARY KEY, account int NOT NULL, kind text NOT NULL,
		                     ref uuid NOT NULL, payload jsonb, created_at timestamptz NOT NULL DEFAULT now());
		INSERT INTO events (account, kind, ref, payload)
		SELECT g % 5000, 'kind' || (g % 17), md5(g::text)::uuid, jsonb_build_object('g', g, 'note', md5(g::text))
		FROM generate_series(1, ` + setupRows + `) g;
		ANALYZE;`},
}

// setupRows is the scale of BenchmarkSetupToReady (issue 14 asks for 2,000,000; 500,000
// keeps a run of its eight cases within minutes on two shared cores).
const setupRows = "500000"

// BenchmarkSetupToReady measures the time from the start of setup until status is ready
// (every index and constraint built), with indexes first (as before issue 14) and with the
// secondary ones built after the copy (the default), one after the other in the same run,
// for each data set on 15 → 15 and 15 → 17; then checks that the replica's indexes and
// constraints are the primary's.
func BenchmarkSetupToReady(b *testing.B) {
	for _, pair := range pgtest.Pairs(b) {
		if pair.Name != "15to15" && pair.Name != "15to17" {
			continue
		}
		for _, set := range setupSets {
			for _, indexesFirst := range []bool{true, false} {
				mode := map[bool]string{true: "indexes-first", false: "default"}[indexesFirst]
				b.Run(pair.Name+"/"+set.name+"/"+mode, func(b *testing.B) {
					for i := 0; i < b.N; i++ {
						setupToReady(b, pair, set.ddl, indexesFirst)
					}
				})
			}
		}
	}
}

// setupToReady loads ddl on a fresh primary database, then times setup and wait.
func setupToReady(b *testing.B, pair pgtest.Pair, ddl string, indexesFirst bool) {
	b.StopTimer()
	m, pdb, _ := migration(b, pair)
	if err := pair.Primary.Exec(ctxFor(b, 5*time.Minute), pdb, ddl); err != nil {
		b.Fatal(err)
	}
	b.StartTimer()
	start := time.Now()
	if _, err := core.Setup(ctxFor(b, 10*time.Minute), core.SetupOptions{Migration: m, PgDump: pgDump(b), IndexesFirst: indexesFirst}); err != nil {
		b.Fatal(err)
	}
	setupDone := time.Since(start)
	var copied time.Duration // until a check finds every row on the replica: the rest is index builds and catch-up
	if _, err := core.Wait(ctxFor(b, 30*time.Minute), core.WaitOptions{
		StatusOptions: core.StatusOptions{Migration: m}, Interval: 250 * time.Millisecond, Timeout: 20 * time.Minute,
		OnStatus: func(st *core.Status) {
			if copied == 0 && len(st.Tables) > 0 && st.TableCounts["init"]+st.TableCounts["copy"] == 0 {
				copied = time.Since(start)
			}
		}}); err != nil {
		b.Fatal(err)
	}
	toReady := time.Since(start)
	b.StopTimer()
	v, err := core.Verify(ctxFor(b, 10*time.Minute), core.VerifyOptions{Migration: m})
	if err != nil || !v.OK || v.Definitions == nil || len(v.Definitions.Differences) > 0 {
		b.Fatalf("verify after ready: %v, definitions %+v", err, v.Definitions)
	}
	b.ReportMetric(setupDone.Seconds(), "setup-s")
	b.ReportMetric(copied.Seconds(), "copied-s")
	b.ReportMetric(toReady.Seconds(), "to-ready-s")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkStatus1000Tables measures one status report (with its sentinel round trip) for a
// migration of 1,000 tables.
func BenchmarkStatus1000Tables(b *testing.B) {
	pair := pgtest.Pairs(b)[0]
	m, pdb, _ := migration(b, pair)
	var ddl strings.Builder
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(&ddl, "CREATE TABLE t%04d (id int PRIMARY KEY, v text); INSERT INTO t%04d VALUES (1, 'x');\n", i, i)
	}
	if err := pair.Primary.Exec(ctxFor(b, 5*time.Minute), pdb, ddl.String()); err != nil {
		b.Fatal(err)
	}
	if _, err := core.Setup(ctxFor(b, 10*time.Minute), core.SetupOptions{Migration: m, PgDump: pgDump(b)}); err != nil {
		b.Fatal(err)
	}
	if _, err := core.Wait(ctxFor(b, 30*time.Minute), core.WaitOptions{StatusOptions: core.StatusOptions{Migration: m}, Timeout: 20 * time.Minute}); err != nil {
		b.Fatal(err)
	}
	// Ten reports per iteration, so that one run of the benchmark gives a median.
	var latencies []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N*10; i++ {
		start := time.Now()
		st, err := core.GetStatus(ctxFor(b, time.Minute), core.StatusOptions{Migration: m})
		if err != nil || !st.Ready || len(st.Tables) != 1001 {
			b.Fatalf("status: %v ready=%v tables=%d", err, st != nil && st.Ready, len(st.Tables))
		}
		latencies = append(latencies, time.Since(start))
	}
	b.StopTimer()
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	b.ReportMetric(float64(latencies[len(latencies)/2].Microseconds())/1000, "median-ms")
	b.ReportMetric(float64(latencies[len(latencies)-1].Microseconds())/1000, "max-ms")
	b.ReportMetric(0, "ns/op")
}
