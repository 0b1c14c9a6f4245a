package bench

import (
	"testing"
	"time"

	"github.com/pghandoff/pghandoff/core"
	"github.com/pghandoff/pghandoff/internal/pgtest"
	"github.com/pghandoff/pghandoff/internal/workload"
)

// BenchmarkBouncerSwitchPause measures cutover through PgBouncer under 16 clients writing
// through it (internal/workload), on every version pair: median and max over the runs
// (-benchtime Nx). Each run sets up a fresh migration and PgBouncer and checks afterwards
// that every acknowledged write is on the new primary and that none made after the switch
// reached the old one.
func BenchmarkBouncerSwitchPause(b *testing.B) {
	for _, pair := range pgtest.Pairs(b) {
		b.Run(pair.Name, func(b *testing.B) {
			var pause, drain, catchUp, waiting []float64
			for i := 0; i < b.N; i++ {
				p, report := bouncerSwitchRun(b, pair)
				pause, drain, catchUp = append(pause, p.PauseMS), append(drain, p.LockMS), append(catchUp, p.CatchUpMS)
				waiting = append(waiting, float64(p.WaitedStatements))
				b.Logf("run %d: pause %.1f ms (PAUSE drained %.1f, sentinel %.1f, the rest %.1f), %d attempt(s), %d clients queued, %d writes checked, %d failed",
					i+1, p.PauseMS, p.LockMS, p.CatchUpMS, p.PauseMS-p.LockMS-p.CatchUpMS, p.LockAttempts, p.WaitedStatements,
					report.Inserts+report.Increments, len(report.Problems))
			}
			b.ReportMetric(median(pause), "pause-median-ms")
			b.ReportMetric(maxOf(pause), "pause-max-ms")
			b.ReportMetric(median(drain), "drain-median-ms")
			b.ReportMetric(median(catchUp), "catchup-median-ms")
			b.ReportMetric(median(waiting), "waiting-median")
		})
	}
}

func bouncerSwitchRun(b *testing.B, pair pgtest.Pair) (core.PauseReport, workload.Report) {
	b.StopTimer()
	defer b.StartTimer()
	mv := newBouncerMove(b, pair, workload.Schema)
	w := mv.startWorkload(b, 16)
	b.StartTimer()
	p, err := mv.cutover(ctxFor(b, time.Minute), 5*time.Second)
	split := time.Now()
	b.StopTimer()
	if err != nil {
		b.Fatalf("cutover: %v (%s)", err, core.Hint(err))
	}
	if err := w.WaitAcked(ctxFor(b, time.Minute), 500); err != nil {
		b.Fatal(err)
	}
	report := mv.checkAfterSwitch(b, w, split)
	return p, report
}
