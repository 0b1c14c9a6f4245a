package bench

import (
	"testing"
	"time"

	"github.com/pghandoff/pghandoff/internal/pgtest"
	"github.com/pghandoff/pghandoff/internal/workload"
)

// BenchmarkBouncerSwitchPause measures the switch by hand through PgBouncer (switchOver)
// under 16 clients writing through it (internal/workload), on both version pairs: median
// and max over the runs (-benchtime Nx). Each run sets up a fresh migration and PgBouncer
// and checks afterwards that every acknowledged write is on the new primary and that none
// made after the switch reached the old one.
func BenchmarkBouncerSwitchPause(b *testing.B) {
	for _, pair := range pgtest.Pairs(b) {
		b.Run(pair.Name, func(b *testing.B) {
			var pause, drain, catchUp, waiting []float64
			for i := 0; i < b.N; i++ {
				f, report := bouncerSwitchRun(b, pair)
				pause, drain, catchUp = append(pause, f.PauseMS), append(drain, f.DrainMS), append(catchUp, f.CatchUpMS)
				waiting = append(waiting, float64(f.Waiting))
				b.Logf("run %d: pause %.1f ms (PAUSE drained %.1f, sentinel %.1f, sequences %.1f, repoint %.1f, RESUME %.1f), %d clients queued, %d writes checked",
					i+1, f.PauseMS, f.DrainMS, f.CatchUpMS, f.SequencesMS, f.RepointMS, f.ResumeMS, f.Waiting, report.Inserts+report.Increments)
			}
			b.ReportMetric(median(pause), "pause-median-ms")
			b.ReportMetric(maxOf(pause), "pause-max-ms")
			b.ReportMetric(median(drain), "drain-median-ms")
			b.ReportMetric(median(catchUp), "catchup-median-ms")
			b.ReportMetric(median(waiting), "waiting-median")
		})
	}
}

func bouncerSwitchRun(b *testing.B, pair pgtest.Pair) (switchFigures, workload.Report) {
	b.StopTimer()
	defer b.StartTimer()
	mv := newBouncerMove(b, pair, workload.Schema)
	w := mv.startWorkload(b, 16)
	b.StartTimer()
	f, err := mv.switchOver(ctxFor(b, time.Minute), 5*time.Second)
	split := time.Now()
	b.StopTimer()
	if err != nil {
		b.Fatalf("switch: %v", err)
	}
	if err := w.WaitAcked(ctxFor(b, time.Minute), 500); err != nil {
		b.Fatal(err)
	}
	report := mv.checkAfterSwitch(b, w, split)
	return f, report
}
