package bench

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pghandoff/pghandoff/core"
	"github.com/pghandoff/pghandoff/internal/pgtest"
)

// BenchmarkSequences measures `sequences` with its default 10-second window on 20 and 200
// sequences (half of them in use while it watches): one window for all, where ff-seq.sh
// spent 10 seconds per sequence.
func BenchmarkSequences(b *testing.B) {
	pair := pgtest.Pairs(b)[0]
	for _, n := range []int{20, 200} {
		b.Run(fmt.Sprintf("%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				m, pdb, rdb := migration(b, pair)
				var ddl strings.Builder
				for s := 0; s < n; s++ {
					fmt.Fprintf(&ddl, "CREATE SEQUENCE s%03d; SELECT nextval('s%03d');\n", s, s)
				}
				if err := pair.Primary.Exec(ctxFor(b, time.Minute), pdb, ddl.String()); err != nil {
					b.Fatal(err)
				}
				if err := pair.Replica.Exec(ctxFor(b, time.Minute), rdb, ddl.String()); err != nil {
					b.Fatal(err)
				}
				stop := make(chan struct{})
				go func() {
					for k := 0; ; k++ {
						select {
						case <-stop:
							return
						case <-time.After(5 * time.Millisecond):
							_ = pair.Primary.Exec(ctxFor(b, time.Minute), pdb, fmt.Sprintf("SELECT nextval('s%03d')", (k*2)%n))
						}
					}
				}()
				b.StartTimer()
				start := time.Now()
				res, err := core.Sequences(ctxFor(b, time.Minute), core.SequencesOptions{Migration: m})
				took := time.Since(start)
				b.StopTimer()
				close(stop)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(took.Seconds(), "seconds")
				b.ReportMetric(took.Seconds()-res.WindowMS/1000, "beyond-window-s")
				b.Logf("%d sequences: %.2f s, of which the window %.2f s; %d moved", n, took.Seconds(), res.WindowMS/1000, res.Changed)
			}
		})
	}
}
