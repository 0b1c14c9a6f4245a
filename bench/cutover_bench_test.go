package bench

import (
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/pghandoff/pghandoff/core"
	"github.com/pghandoff/pghandoff/internal/pgtest"
	"github.com/pghandoff/pghandoff/internal/workload"
)

// BenchmarkCutoverPause measures the pause of a cutover under 16 clients writing through the
// proxy (internal/workload: ledger inserts and counter increments), on both version pairs: median
// and max over the runs (-benchtime Nx; 5 runs is what BENCHMARKS.md reports). Each run sets
// up a fresh migration and checks afterwards that every acknowledged write is on the new
// primary, and that inserts after the switch got keys above every earlier one.
func BenchmarkCutoverPause(b *testing.B) {
	for _, pair := range pgtest.Pairs(b) {
		b.Run(pair.Name, func(b *testing.B) {
			var pause, held, locks, catchUp, waited []float64
			for i := 0; i < b.N; i++ {
				res, w := cutoverRun(b, pair)
				pause, locks, catchUp = append(pause, res.PauseMS), append(locks, res.LockMS), append(catchUp, res.CatchUpMS)
				waited = append(waited, float64(res.WaitedStatements))
				held = append(held, res.PauseMS+res.RetriedMS)
				b.Logf("run %d: pause %.1f ms (locks %.1f, catch-up %.1f), %d statements waited, %d lock attempts (%.1f ms in retried ones), %d writes, %d serialization retries",
					i+1, res.PauseMS, res.LockMS, res.CatchUpMS, res.WaitedStatements, res.LockAttempts, res.RetriedMS, w.Inserts+w.Increments, w.Retries)
			}
			b.ReportMetric(median(pause), "pause-median-ms")
			b.ReportMetric(maxOf(pause), "pause-max-ms")
			b.ReportMetric(median(held), "held-median-ms")
			b.ReportMetric(maxOf(held), "held-max-ms")
			b.ReportMetric(median(locks), "locks-median-ms")
			b.ReportMetric(median(catchUp), "catchup-median-ms")
			b.ReportMetric(median(waited), "waited-median")
		})
	}
}

func cutoverRun(b *testing.B, pair pgtest.Pair) (*core.CutoverResult, workload.Report) {
	b.StopTimer()
	defer b.StartTimer()
	m, pdb, rdb := migration(b, pair)
	m, proxyDB := withProxy(b, m)
	if err := pair.Primary.Exec(ctxFor(b, time.Minute), pdb, workload.Schema); err != nil {
		b.Fatal(err)
	}
	if _, err := core.Setup(ctxFor(b, time.Minute), core.SetupOptions{Migration: m, PgDump: pgDump(b)}); err != nil {
		b.Fatal(err)
	}
	if _, err := core.ProxyCreate(ctxFor(b, time.Minute), core.ProxyCreateOptions{Migration: m}); err != nil {
		b.Fatal(err)
	}
	w, err := workload.Start(ctxFor(b, time.Minute), proxyCluster(b).DSN(proxyDB), 16)
	if err != nil {
		b.Fatal(err)
	}
	defer w.Stop()
	if err := w.WaitAcked(ctxFor(b, time.Minute), 500); err != nil {
		b.Fatal(err)
	}
	if _, err := core.Wait(ctxFor(b, time.Minute), core.WaitOptions{StatusOptions: core.StatusOptions{Migration: m},
		Interval: 200 * time.Millisecond, Timeout: time.Minute}); err != nil {
		b.Fatal(err)
	}
	return timedCutover(b, pair.Replica, rdb, m, w, 500)
}

// timedCutover cuts over under the workload w, timing only the cutover, then waits for after
// more acknowledged writes and checks them all on the new primary (the replica, database rdb).
func timedCutover(b *testing.B, replica *pgtest.Cluster, rdb string, m core.Migration, w *workload.Workload, after int) (*core.CutoverResult, workload.Report) {
	b.StartTimer()
	res, err := core.Cutover(ctxFor(b, time.Minute), core.CutoverOptions{SwitchOptions: core.SwitchOptions{Migration: m, Execution: core.Execution{Observer: core.Observer{Logger: warnings}}}})
	split := time.Now()
	b.StopTimer()
	if err != nil {
		b.Fatalf("cutover: %v", err)
	}
	if err := w.WaitAcked(ctxFor(b, time.Minute), after); err != nil {
		b.Fatal(err)
	}
	conn, err := replica.Connect(ctxFor(b, time.Minute), rdb)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctxFor(b, time.Minute))
	report, err := w.Check(ctxFor(b, time.Minute), conn, split)
	if err != nil || !report.OK() {
		b.Fatalf("writes lost or reordered: %v %+v", err, report)
	}
	return res, report
}

// warnings shows core's warnings (a lock retried, a rollback) on stderr.
var warnings = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
