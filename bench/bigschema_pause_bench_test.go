package bench

import (
	"fmt"
	"testing"
	"time"

	"github.com/pghandoff/pghandoff/core"
	"github.com/pghandoff/pghandoff/internal/pgtest"
	"github.com/pghandoff/pghandoff/internal/workload"
)

// BenchmarkBigSchemaPause measures the cutover pause at 10, 100 and 1,000 tables (each with a
// bigserial key and 10 rows, so as many sequences and sequence helpers on the proxy) under 8
// clients writing through the proxy, 15 → 15 and 15 → 17: median and max over the runs
// (-benchtime Nx), with the pause's split. Every run checks that no acknowledged write was
// lost or reordered (workload.Check).
func BenchmarkBigSchemaPause(b *testing.B) {
	for _, pair := range bigPairs(b) {
		for _, n := range bigSchemaSizes {
			b.Run(fmt.Sprintf("%s/%dtables", pair.Name, n), func(b *testing.B) {
				var s pauseSamples
				for i := 0; i < b.N; i++ {
					res, w := bigCutoverRun(b, pair, n)
					s.add(res)
					b.Logf("run %d: pause %.1f ms (locks %.1f, sentinel %.1f, sequences %.1f, switch %.1f), %d foreign tables, %d sequences, %d attempts (%.1f ms retried), %d writes, %d lost",
						i+1, res.PauseMS, res.LockMS, res.SentinelMS, res.SequencesMS, res.SwitchMS, res.Tables, len(res.Sequences),
						res.LockAttempts, res.RetriedMS, w.Inserts+w.Increments, w.Lost)
				}
				s.report(b)
			})
		}
	}
}

// pauseSamples are the figures of several pauses.
type pauseSamples struct{ pause, held, locks, sentinel, sequences, sw []float64 }

func (s *pauseSamples) add(res *core.CutoverResult) {
	s.pause, s.held = append(s.pause, res.PauseMS), append(s.held, res.PauseMS+res.RetriedMS)
	s.locks, s.sentinel = append(s.locks, res.LockMS), append(s.sentinel, res.SentinelMS)
	s.sequences, s.sw = append(s.sequences, res.SequencesMS), append(s.sw, res.SwitchMS)
}

func (s *pauseSamples) report(b *testing.B) {
	b.ReportMetric(median(s.pause), "pause-median-ms")
	b.ReportMetric(maxOf(s.pause), "pause-max-ms")
	b.ReportMetric(median(s.held), "held-median-ms")
	b.ReportMetric(median(s.locks), "locks-median-ms")
	b.ReportMetric(median(s.sentinel), "sentinel-median-ms")
	b.ReportMetric(median(s.sequences), "sequences-median-ms")
	b.ReportMetric(median(s.sw), "switch-median-ms")
	b.ReportMetric(0, "ns/op")
}

// bigCutoverRun sets up a migration of n tables, makes the proxy, starts the workload and
// cuts over, then checks the workload's writes on the new primary.
func bigCutoverRun(b *testing.B, pair pgtest.Pair, n int) (*core.CutoverResult, workload.Report) {
	b.StopTimer()
	defer b.StartTimer()
	m, pdb, rdb := migration(b, pair)
	proxyDB := pgtest.Database(b, bigProxyCluster(b))
	m.Proxy = core.MustParseDSN(bigProxyCluster(b).DSN(proxyDB))
	if err := pair.Primary.Exec(ctxFor(b, 5*time.Minute), pdb, workload.Schema+";\n"+bigSchemaDDL(n)); err != nil {
		b.Fatal(err)
	}
	if _, err := core.Setup(ctxFor(b, 5*time.Minute), core.SetupOptions{Migration: m, PgDump: pgDump(b)}); err != nil {
		b.Fatal(err)
	}
	// Ready before the writes start: under continuous writes, each table's copy waits for
	// the primary to log its running transactions (see BENCHMARKS.md, "Big schemas").
	if _, err := core.Wait(ctxFor(b, 10*time.Minute), core.WaitOptions{StatusOptions: core.StatusOptions{Migration: m},
		Interval: 250 * time.Millisecond, Timeout: 10 * time.Minute}); err != nil {
		b.Fatal(err)
	}
	if _, err := core.ProxyCreate(ctxFor(b, 5*time.Minute), core.ProxyCreateOptions{Migration: m}); err != nil {
		b.Fatal(err)
	}
	w, err := workload.Start(ctxFor(b, time.Minute), bigProxyCluster(b).DSN(proxyDB), 8)
	if err != nil {
		b.Fatal(err)
	}
	defer w.Stop()
	if err := w.WaitAcked(ctxFor(b, time.Minute), 200); err != nil {
		b.Fatal(err)
	}
	return timedCutover(b, pair.Replica, rdb, m, w, 200)
}
