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

// BenchmarkSetupToReady measures the time from the start of setup until status is ready, for
// a one-million-row table with two secondary indexes, on both version pairs.
func BenchmarkSetupToReady(b *testing.B) {
	for _, pair := range pgtest.Pairs(b) {
		b.Run(pair.Name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				m, pdb, _ := migration(b, pair)
				err := pair.Primary.Exec(ctxFor(b, 5*time.Minute), pdb, `
					CREATE TABLE events (id bigserial PRIMARY KEY, account int NOT NULL, kind text NOT NULL,
					                     payload jsonb, created_at timestamptz NOT NULL DEFAULT now());
					INSERT INTO events (account, kind, payload)
					SELECT g % 5000, 'kind' || (g % 17), jsonb_build_object('g', g, 'note', md5(g::text))
					FROM generate_series(1, 1000000) g;
					CREATE INDEX ON events (account, created_at);
					CREATE INDEX ON events (kind);
					ANALYZE events;`)
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				start := time.Now()
				if _, err := core.Setup(ctxFor(b, 10*time.Minute), core.SetupOptions{Migration: m, PgDump: pgDump(b)}); err != nil {
					b.Fatal(err)
				}
				setupDone := time.Since(start)
				if _, err := core.Wait(ctxFor(b, 30*time.Minute), core.WaitOptions{
					StatusOptions: core.StatusOptions{Migration: m}, Interval: 250 * time.Millisecond, Timeout: 20 * time.Minute}); err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(setupDone.Seconds(), "setup-s")
				b.ReportMetric(time.Since(start).Seconds(), "to-ready-s")
			}
		})
	}
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
