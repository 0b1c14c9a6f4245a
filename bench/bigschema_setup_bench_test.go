package bench

import (
	"fmt"
	"testing"
	"time"

	"github.com/pghandoff/pghandoff/core"
	"github.com/pghandoff/pghandoff/internal/pgtest"
)

// BenchmarkBigSchemaSetup measures setup → ready at 10, 100 and 1,000 small tables (10 rows
// and a bigserial key each), 15 → 15 and 15 → 17, three ways: setup copying the small tables
// itself ("setup-copy", the default, on a replica with PostgreSQL's defaults for its
// workers); the replica's sync workers copying every table (setup's copy-by-workers option)
// with PostgreSQL's defaults ("workers": 2 tables at once) and with the settings preflight
// suggests ("workers-preflight": restarted with its max_logical_replication_workers and
// max_worker_processes, as an operator would, and setup's sync-workers option set to its
// number). The time runs from setup's call to the first wait check that finds the replica
// ready; wait checks every 100 ms.
func BenchmarkBigSchemaSetup(b *testing.B) {
	primary := pgtest.Server(b, "primary15", 15)
	for _, major := range []int{15, 17} {
		for _, mode := range []string{"setup-copy", "workers", "workers-preflight"} {
			tuned := mode == "workers-preflight"
			for _, n := range bigSchemaSizes {
				name := fmt.Sprintf("15to%d/%s/%dtables", major, mode, n)
				b.Run(name, func(b *testing.B) {
					pair := pgtest.Pair{Name: name, Primary: primary, Replica: defaultsReplica(b, major, tuned)}
					var s []float64
					for i := 0; i < b.N; i++ {
						sec, copies := bigSetupRun(b, pair, n, mode)
						s = append(s, sec)
						b.Logf("run %d: setup → ready %.2f s, %d tables at once", i+1, sec, copies)
					}
					b.ReportMetric(median(s), "ready-median-s")
					b.ReportMetric(maxOf(s), "ready-max-s")
					b.ReportMetric(0, "ns/op")
				})
			}
		}
	}
}

// workerDefaults are PostgreSQL's defaults for the replica's workers (the test clusters run
// with more).
var workerDefaults = []string{"max_worker_processes = 8", "max_logical_replication_workers = 4", "max_sync_workers_per_subscription = 2"}

// defaultsReplica is a replica of the given major with PostgreSQL's defaults for its workers,
// or, tuned, one restarted with the settings preflight suggests that need a restart.
func defaultsReplica(b *testing.B, major int, tuned bool) *pgtest.Cluster {
	if !tuned {
		return pgtest.ServerWith(b, fmt.Sprintf("bigdefaults%d", major), major, workerDefaults...)
	}
	c := pgtest.ServerWith(b, fmt.Sprintf("bigtuned%d", major), major, workerDefaults...)
	m, _, _ := migration(b, pgtest.Pair{Primary: pgtest.Server(b, "primary15", 15), Replica: c})
	pre, err := core.Preflight(ctxFor(b, time.Minute), core.PreflightOptions{Migration: m, PgDump: pgDump(b)})
	if err != nil {
		b.Fatal(err)
	}
	// The suggestion for 1,000 tables; an empty database gets the same one for the processes.
	want := pre.Copy.Settings.For(core.SuggestedSyncWorkers)
	if pre.Copy.Settings.LogicalWorkers < want.LogicalWorkers || pre.Copy.Settings.WorkerProcesses < want.WorkerProcesses {
		err := c.Restart(ctxFor(b, time.Minute), fmt.Sprintf("max_logical_replication_workers = %d", want.LogicalWorkers),
			fmt.Sprintf("max_worker_processes = %d", want.WorkerProcesses))
		if err != nil {
			b.Fatal(err)
		}
	}
	return c
}

// bigSetupRun makes n tables on a fresh primary database, asks preflight what to set when
// the workers copy with its settings, then times setup → ready.
func bigSetupRun(b *testing.B, pair pgtest.Pair, n int, mode string) (seconds float64, copies int) {
	b.StopTimer()
	defer b.StartTimer()
	m, pdb, _ := migration(b, pair)
	if err := pair.Primary.Exec(ctxFor(b, 5*time.Minute), pdb, bigSchemaDDL(n)); err != nil {
		b.Fatal(err)
	}
	opts := core.SetupOptions{Migration: m, PgDump: pgDump(b), CopyByWorkers: mode != "setup-copy"}
	if mode == "workers-preflight" {
		pre, err := core.Preflight(ctxFor(b, time.Minute), core.PreflightOptions{Migration: m, PgDump: pgDump(b), CopyByWorkers: true})
		if err != nil {
			b.Fatal(err)
		}
		opts.SyncWorkers = pre.Copy.SuggestedAtOnce
		b.Logf("preflight: %d tables, %d at once now (about %.1f s), suggests %+v (about %.1f s)", pre.Copy.Tables, pre.Copy.AtOnce,
			pre.Copy.EstimateSeconds, pre.Copy.Suggested, pre.Copy.SuggestedEstimateSeconds)
	}
	b.StartTimer()
	start := time.Now()
	res, err := core.Setup(ctxFor(b, 5*time.Minute), opts)
	if err != nil {
		b.Fatal(err)
	}
	if res.Copied != nil {
		b.Logf("setup returned after %.2f s: %s", time.Since(start).Seconds(), res.Copied)
	}
	wait := core.WaitOptions{StatusOptions: core.StatusOptions{Migration: m}, Interval: 100 * time.Millisecond, Timeout: 10 * time.Minute,
		OnStatus: func(st *core.Status) {
			if st.Subscription != nil {
				copies = max(copies, st.Subscription.Copying)
			}
		}}
	if _, err := core.Wait(ctxFor(b, 10*time.Minute), wait); err != nil {
		b.Fatal(err)
	}
	seconds = time.Since(start).Seconds()
	b.StopTimer()
	return seconds, copies
}
