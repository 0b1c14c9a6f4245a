package bench

import (
	"fmt"
	"testing"
	"time"

	"github.com/pghandoff/pghandoff/core"
	"github.com/pghandoff/pghandoff/internal/pgbouncer"
	"github.com/pghandoff/pghandoff/internal/pgtest"
)

// BenchmarkStrategyTPS measures what the application pays while the move is under way, in
// one run against the same primary: pgbench straight to the primary, through the
// postgres_fdw proxy (core.ProxyCreate) and through PgBouncer in transaction pooling, with
// the migration replicating every write to the replica throughout. Each ratio is a path's
// TPS divided by direct's in the same round, the median of tpsRounds rounds.
func BenchmarkStrategyTPS(b *testing.B) {
	pair := pgtest.Pairs(b)[0]
	m, pdb, _ := migration(b, pair)
	runPgbench(b, pair.Primary, pdb, "-i", "-s", "10", "-q")
	// pgbench_history has no key: it only takes inserts, which replicate without one.
	if _, err := core.Setup(ctxFor(b, time.Minute), core.SetupOptions{Migration: m, PgDump: pgDump(b),
		Selection: core.Selection{ReplicaIdentityFull: true}}); err != nil {
		b.Fatal(err)
	}
	m, proxyDB := withProxy(b, m)
	if _, err := core.ProxyCreate(ctxFor(b, time.Minute), core.ProxyCreateOptions{Migration: m}); err != nil {
		b.Fatal(err)
	}
	bouncer := bouncerInFront(b, pair.Primary, pdb)
	if _, err := core.Wait(ctxFor(b, 5*time.Minute), core.WaitOptions{StatusOptions: core.StatusOptions{Migration: m},
		Interval: time.Second, Timeout: 5 * time.Minute}); err != nil {
		b.Fatal(err)
	}
	p := pair.Primary
	paths := []struct {
		name string
		tps  func(args []string) float64
	}{
		{"direct", func(args []string) float64 { return pgbenchTPS(b, p, pdb, args...) }},
		{"fdw", func(args []string) float64 { return pgbenchTPS(b, proxyCluster(b), proxyDB, args...) }},
		{"pgbouncer", func(args []string) float64 {
			return tpsOf(b, runPgbenchAt(b, bouncer.Port, p.User, p.Password, pdb, args...), args)
		}},
	}
	for _, w := range []struct{ name, builtin string }{{"simple-update", "simple-update"}, {"tpcb-like", "tpcb-like"}} {
		for _, clients := range []int{4, 16} {
			// Retries: postgres_fdw's REPEATABLE READ remote transactions fail concurrent
			// updates of a row with serialization errors, which an application must retry.
			args := []string{"-n", "-b", w.builtin, "-c", fmt.Sprint(clients), "-j", "2", "-T", "10", "--max-tries", "100"}
			name := fmt.Sprintf("%s-%d", w.name, clients)
			ratios := map[string][]float64{}
			var direct []float64
			// Rounds of every path in turn, each ratio against the direct figure of its own
			// round: the load of a shared machine drifts less within a round than across.
			for round := 1; round <= tpsRounds; round++ {
				var d float64
				for _, path := range paths {
					tps := path.tps(args)
					if path.name == "direct" {
						d = tps
						direct = append(direct, tps)
					} else {
						ratios[path.name] = append(ratios[path.name], tps/d)
					}
					b.Logf("%-16s round %d %-9s %8.1f tps (%.2f of direct)", name, round, path.name, tps, tps/d)
				}
			}
			b.ReportMetric(median(direct), name+"-direct-tps")
			for path, r := range ratios {
				b.ReportMetric(median(r), name+"-"+path+"-ratio")
			}
		}
	}
}

// tpsRounds is how many times each path of BenchmarkStrategyTPS is measured.
const tpsRounds = 3

// bouncerInFront starts a PgBouncer whose entry db points at db on c, for its superuser.
func bouncerInFront(b testing.TB, c *pgtest.Cluster, db string) *pgbouncer.Bouncer {
	bouncer := pgtest.Bouncer(b, pgbouncer.Options{Users: []pgbouncer.User{{Name: c.User, Password: c.Password}}})
	entry, err := core.BouncerEntryFor(db, core.MustParseDSN(c.DSN(db)), false)
	if err != nil {
		b.Fatal(err)
	}
	if err := core.WriteBouncerEntry(bouncer.Include, entry); err != nil {
		b.Fatal(err)
	}
	admin, err := core.OpenBouncer(ctxFor(b, time.Minute), core.MustParseDSN(bouncer.AdminDSN()))
	if err != nil {
		b.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.ReloadAndConfirm(ctxFor(b, time.Minute), entry); err != nil {
		b.Fatal(err)
	}
	return bouncer
}
